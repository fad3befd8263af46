"""The README's Python blocks run as written, from the repository root, and give what they say."""

import importlib.util
import os
import re
import shutil
import sys

import pytest

from conftest import REPO


def block(marker):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    rest = text[text.index(f"<!-- python: {marker} -->") :]
    return re.search(r"```python\n(.*?)```", rest, re.S).group(1)


def run(code):
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        namespace = {}
        exec(compile(code, "README.md", "exec"), namespace)
        return namespace
    finally:
        os.chdir(cwd)


def test_readme_python_block(cli):
    ns = run(block("readme"))
    assert -1.0 <= ns["scored"][0]["framing"]["score"] <= 1.0
    code, want, err = cli("report", "-q", "--format", "html", REPO / "seeds")
    assert code == 0, err
    assert ns["html"] == want


def test_readme_spark_block(monkeypatch):
    if importlib.util.find_spec("pyspark") is None or shutil.which("java") is None:
        pytest.skip("PySpark or Java is not installed: the README's Spark recipe was not run")
    # Spark's Python workers run this interpreter (the one with the package and pyarrow).
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    ns = run(block("readme spark"))
    assert b"Example Times" in ns["markdown"] and b"Daily Example" in ns["markdown"]
    assert len(ns["lines"]) == 2
