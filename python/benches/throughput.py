"""Articles per second per core: the Python package (batches of 1, 100 and 10,000 articles),
the command line, and the Spark, Dask and Ray examples on a local two-core cluster.

    python python/benches/throughput.py ../shared/corpus ../shared/corpus2 --n 10000 --work /tmp/ct-bench

Copies the given articles (repeated, under new file names, so every id is unique) into
``WORK/articles`` until there are ``--n``, then times each way of scoring them (the best of
``--repeat`` runs for the package and the CLI; one run per engine, start-up included, since
that is what a job pays). Gives wall time and CPU time (this process, or the finished child
processes: for the engines that is the JVM, schedulers and workers), and articles per
CPU-second: per-core throughput that holds on a machine shared with other work. Prints a
Markdown table. Nothing is written outside ``WORK``.
"""

import argparse
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import time

import claimtrack

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def prepare(inputs, n, work):
    folder = work / "articles"
    if folder.is_dir() and len(list(folder.iterdir())) == n:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = [p for p, _ in claimtrack.input_files(inputs) if not p.endswith(".jsonl")]
    k = 0
    while k < n:
        for p in files:
            if k == n:
                break
            shutil.copy(p, folder / f"{k:06d}_{os.path.basename(p)}")
            k += 1
    return folder


def cpu():
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measure(f):
    t, c = time.perf_counter(), cpu()
    f()
    return time.perf_counter() - t, cpu() - c


def best(f, repeat):
    return min((measure(f) for _ in range(repeat)), key=lambda wc: wc[1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--work", default="/tmp/ct-bench")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--engines", default="spark,dask,ray")
    args = ap.parse_args()
    work = pathlib.Path(args.work)
    folder = prepare(args.inputs, args.n, work)
    triples = claimtrack.read_files(claimtrack.input_files(folder))
    n = len(triples)
    rows = []

    claimtrack.score_files(triples[:1])  # model load, outside the timings
    for size in (1, 100, 10000):
        count = min(n, max(size, 2000 if size < 10000 else n))

        def run(size=size, count=count):
            for i in range(0, count, size):
                claimtrack.score_files(triples[i : i + size], raw=True)

        rows.append((f"Python `score_files`, batches of {size}", count, 1, best(run, args.repeat)))

    script = shutil.which("claimtrack", path=os.path.dirname(sys.executable))
    wc = best(
        lambda: subprocess.run(
            [script, "--threads", "1", "score", "-q", str(folder)],
            stdout=subprocess.DEVNULL,
            check=True,
            cwd=work,
        ),
        args.repeat,
    )
    rows.append(("CLI `claimtrack --threads 1 score` (process start included)", n, 1, wc))

    for engine in filter(None, args.engines.split(",")):
        out = work / f"{engine}.md"
        wc = measure(
            lambda engine=engine, out=out: subprocess.run(
                [sys.executable, str(EXAMPLES / f"{engine}_score.py"), str(folder), "--out",
                 str(out), "--scores", str(work / f"{engine}-scores"), "--partitions", "8"],
                check=True,
                stderr=subprocess.DEVNULL,
            )
        )
        rows.append((f"{engine} example, 2 cores, 8 partitions (start-up, report included)", n, 2, wc))

    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| run | articles | cores | wall s | CPU s | articles/s per core (wall) | articles per CPU-second |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, count, cores, (w, c) in rows:
        print(f"| {name} | {count} | {cores} | {w:.2f} | {c:.2f} | {count / w / cores:.0f} | {count / c:.0f} |")


if __name__ == "__main__":
    main()
