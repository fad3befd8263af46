"""Score a folder of articles with Ray Data and merge the partial scores into one report.

    python examples/ray_score.py seeds/ --out report.md
    python examples/ray_score.py corpus/ --format html --out corpus.html --partitions 8

The driver lists the article files as ``claimtrack`` does, Ray Data spreads them over blocks,
``map_batches`` (pyarrow batches) scores each with the ``claimtrack`` package on one core per
task, and the score lines are written as Parquet part files (``--scores DIR``). The driver
merges the parts, in any order, into the report ``claimtrack report`` gives for the same
articles, byte for byte. Starts a local Ray with two CPUs unless ``--address`` names a cluster.
"""

import argparse
import os
import pathlib
import random
import sys
import tempfile

import claimtrack


def score_batch(batch):
    """map_batches: a pyarrow table of (name, id) in, a table of score lines out."""
    import pyarrow as pa

    import claimtrack

    files = zip(batch.column("name").to_pylist(), batch.column("id").to_pylist())
    lines = claimtrack.score_files(claimtrack.read_files(files), raw=True)
    return pa.table({"score_json": pa.array(lines, pa.string())})


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
    ap.add_argument("--address", help="a Ray cluster to join (default: start a local one)")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--shuffle", type=int, help="shuffle the files with this seed first")
    args = ap.parse_args(argv)

    files = [(os.path.abspath(p), i) for p, i in claimtrack.input_files(args.inputs)]
    if args.shuffle is not None:
        random.Random(args.shuffle).shuffle(files)

    import pyarrow.parquet as pq
    import ray

    if args.address:
        ray.init(address=args.address, logging_level="ERROR")
    else:
        ray.init(num_cpus=args.cpus, include_dashboard=False, logging_level="ERROR")
    scores = args.scores or tempfile.mkdtemp(prefix="claimtrack-ray-")
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ds = ray.data.from_items([{"name": p, "id": i} for p, i in files])
        ds = ds.repartition(min(args.partitions, max(len(files), 1)))
        ds = ds.map_batches(score_batch, batch_format="pyarrow", batch_size=None)
        ds.write_parquet(scores)
    finally:
        ray.shutdown()
    parts = [pq.read_table(p) for p in sorted(pathlib.Path(scores).glob("*.parquet"))]
    report = claimtrack.report(parts, format=args.format)
    if args.out:
        write_atomic(args.out, report)
    else:
        sys.stdout.buffer.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
