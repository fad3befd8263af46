"""Safe after fork (a child of a process that used the package works, and does not hang), and
the console script is the CLI."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

CHILD = textwrap.dedent(
    """
    import os, sys, claimtrack
    texts = ["Putin is open to talks, officials said.", "The White House denied it."]
    parent = claimtrack.classify(texts, threads=2)
    before = claimtrack.score_jsonl([{"id": "a", "text": texts[0] + " " + texts[1]}], threads=2)
    pid = os.fork()
    if pid == 0:
        ok = claimtrack.classify(texts, threads=2) == parent
        ok = ok and claimtrack.score_jsonl([{"id": "a", "text": texts[0] + " " + texts[1]}], threads=2) == before
        os._exit(0 if ok else 3)
    deadline = 60
    import time
    start = time.monotonic()
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            sys.exit(os.waitstatus_to_exitcode(status))
        if time.monotonic() - start > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            sys.exit(4)
        time.sleep(0.05)
    """
)


def test_package_works_in_a_forked_child():
    # Exit 4: the child hung (killed after the timeout); 3: it gave other results.
    r = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, timeout=300)
    assert r.returncode == 0, (r.returncode, r.stderr.decode())


def test_console_script_is_the_cli(cli, seeds, tmp_path):
    script = shutil.which("claimtrack", path=os.path.dirname(sys.executable))
    assert script, "the wheel installs a `claimtrack` console script beside python"
    for args in (["report", "-q", str(seeds)], ["score", "-q", str(seeds)], ["--version"]):
        want = cli(*args)
        got = subprocess.run([script, *args], cwd=tmp_path, capture_output=True, timeout=600)
        assert (got.returncode, got.stdout) == want[:2], args
    bad = subprocess.run([script, "report", "nope/"], cwd=tmp_path, capture_output=True)
    assert bad.returncode == 2 and b"nope" in bad.stderr


def test_import_starts_no_threads_and_calls_are_thread_safe():
    code = textwrap.dedent(
        """
        import os, threading
        before = len(os.listdir("/proc/self/task"))
        import claimtrack
        after = len(os.listdir("/proc/self/task"))
        assert before == after, (before, after)
        texts = ["Putin is open to talks.", "It was denied.", "Experts doubted it."] * 50
        want = claimtrack.classify_lines(texts)
        got = [None] * 4
        def work(n):
            got[n] = claimtrack.classify_lines(texts, threads=1 + n % 2)
        ts = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in ts: t.start()
        for t in ts: t.join()
        assert all(g == want for g in got)
        """
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr.decode()
