"""Score a folder of articles with Dask (a distributed ``LocalCluster``) and merge the partial
scores into one report.

    python examples/dask_score.py seeds/ --out report.md
    python examples/dask_score.py corpus/ --format html --out corpus.html --partitions 8

The driver lists the article files as ``claimtrack`` does, a Dask bag spreads them over
partitions, ``map_partitions`` scores each partition with the ``claimtrack`` package on the
workers (two single-threaded worker processes by default), and ``to_textfiles`` writes the
score lines as one partial file per partition (Dask writes no newline after a part's last
line; the merge reads such parts as they are). The driver merges the parts, in any order,
into the report ``claimtrack report`` gives for the same articles, byte for byte.
"""

import argparse
import os
import pathlib
import random
import sys
import tempfile

import claimtrack


def score_partition(files):
    """map_partitions: (path, id) pairs in, score lines out."""
    import claimtrack

    return claimtrack.score_files(claimtrack.read_files(files), raw=True)


def write_atomic(path: str, data: bytes) -> None:
    """Writes ``data`` to ``path`` through a temporary file renamed over it."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".claimtrack-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", help="article files or folders (.txt, .md, .jsonl)")
    ap.add_argument("--format", default="md", choices=["md", "json", "csv", "html"])
    ap.add_argument("--out", help="report file (default: standard output)")
    ap.add_argument("--scores", help="folder for the partial score files (default: a temporary one)")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shuffle", type=int, help="shuffle the files with this seed first")
    args = ap.parse_args(argv)

    files = [(os.path.abspath(p), i) for p, i in claimtrack.input_files(args.inputs)]
    if args.shuffle is not None:
        random.Random(args.shuffle).shuffle(files)

    import dask.bag as db
    from dask.distributed import Client, LocalCluster

    scores = args.scores or tempfile.mkdtemp(prefix="claimtrack-dask-")
    with LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, Client(cluster):
        bag = db.from_sequence(files, npartitions=min(args.partitions, max(len(files), 1)))
        bag.map_partitions(score_partition).to_textfiles(os.path.join(scores, "*.jsonl"))
    parts = sorted(pathlib.Path(scores).glob("*.jsonl"))
    report = claimtrack.report(parts, format=args.format)
    if args.out:
        write_atomic(args.out, report)
    else:
        sys.stdout.buffer.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
