"""Score a folder of articles with PySpark and merge the partial scores into one report.

    python examples/spark_score.py seeds/ --out report.md
    python examples/spark_score.py corpus/ --format html --out corpus.html --partitions 8

The driver lists the article files as ``claimtrack`` does (folders walked in sorted order,
each file's article id), Spark hands them out in partitions, and each partition is scored by
``mapInArrow`` with the ``claimtrack`` package (one core per task, the GIL released). The score
lines are written as partial files (``--scores DIR``, Spark's ``part-*`` text files), and the
driver merges them, in whatever order they come, into the report ``claimtrack report`` gives
for the same articles, byte for byte. Runs on ``local[2]`` unless ``--master`` says otherwise.
"""

import argparse
import os
import pathlib
import random
import sys
import tempfile

import claimtrack


def score_partition(batches):
    """mapInArrow: (name, id) batches in, score lines out (``score_json``)."""
    import pyarrow as pa

    import claimtrack

    for batch in batches:
        files = zip(batch.column("name").to_pylist(), batch.column("id").to_pylist())
        lines = claimtrack.score_files(claimtrack.read_files(files), raw=True)
        yield pa.RecordBatch.from_pydict({"score_json": pa.array(lines, pa.string())})


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
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--shuffle", type=int, help="shuffle the files with this seed first")
    args = ap.parse_args(argv)

    files = claimtrack.input_files(args.inputs)
    if args.shuffle is not None:
        random.Random(args.shuffle).shuffle(files)

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(args.master)
        .appName("claimtrack")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(args.partitions))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    scores = args.scores or tempfile.mkdtemp(prefix="claimtrack-spark-")
    try:
        df = spark.createDataFrame(
            [(os.path.abspath(p), i) for p, i in files], "name string, id string"
        ).repartition(args.partitions)
        scored = df.mapInArrow(score_partition, "score_json string")
        scored.write.mode("overwrite").text(scores)
    finally:
        spark.stop()
    parts = sorted(pathlib.Path(scores).glob("part-*"))
    report = claimtrack.report(parts, format=args.format)
    if args.out:
        write_atomic(args.out, report)
    else:
        sys.stdout.buffer.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
