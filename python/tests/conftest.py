"""Fixtures of the Python package's tests: the repository, its seed articles, and the
claimtrack binary built by cargo (the reference every result is compared with, byte for
byte)."""

import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"


def _binary() -> pathlib.Path:
    env = os.environ.get("CLAIMTRACK_BIN")
    if env:
        return pathlib.Path(env)
    for profile in ("release", "debug"):
        p = REPO / "target" / profile / "claimtrack"
        if p.is_file():
            return p
    raise RuntimeError(
        "no claimtrack binary: run `cargo build` at the repository root (or set CLAIMTRACK_BIN)"
    )


@pytest.fixture(scope="session")
def cli_bin() -> pathlib.Path:
    return _binary()


@pytest.fixture
def cli(cli_bin, tmp_path):
    """Runs the claimtrack binary in an empty folder (outside any claim project) and gives
    (exit status, stdout bytes, stderr text)."""

    def run(*args, cwd=None, input=None):
        r = subprocess.run(
            [str(cli_bin), *map(str, args)],
            cwd=cwd or tmp_path,
            input=input,
            capture_output=True,
            timeout=600,
        )
        return r.returncode, r.stdout, r.stderr.decode("utf-8", "replace")

    return run


@pytest.fixture(scope="session")
def seeds() -> pathlib.Path:
    return SEEDS
