#!/usr/bin/env python3
"""Score scikit-learn's reference pipeline on the same gold and the same folds as claimtrack.

Reads the examples claimtrack dumped (`claimtrack evaluate --dump-examples FILE`: one JSON
object per line with text, label, article, outlet, index), so both tools see exactly the
same sentences, stand-off labels included. For each grouping (article, outlet) it runs
leave-one-group-out with TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) +
LogisticRegression, pools the held-out predictions, and prints macro-F1 and per-label F1,
plus the time of vectorize+fit on all examples (for the performance comparison).

Usage: python3 scripts/compare_sklearn.py EXAMPLES.jsonl [--C 1.0] [--class-weight balanced]
"""

import argparse
import json
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import LeaveOneGroupOut
from sklearn.pipeline import make_pipeline

LABELS = ["russian_claim", "us_denial", "expert_skepticism", "context"]


def pipeline(c, class_weight):
    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(C=c, class_weight=class_weight, max_iter=1000),
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("examples")
    ap.add_argument("--C", type=float, default=1.0, help="inverse L2 strength (1/alpha)")
    ap.add_argument("--class-weight", default=None, choices=[None, "balanced"])
    args = ap.parse_args()

    rows = []
    with open(args.examples, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    sys.exit(f"{args.examples}:{n}: not JSON ({e})")
    texts = [r["text"] for r in rows]
    labels = [r["label"] for r in rows]
    print(f"{len(rows)} examples, C={args.C}, class_weight={args.class_weight}")

    for key in ("article", "outlet"):
        groups = [r[key] for r in rows]
        pred = [None] * len(rows)
        for train, test in LeaveOneGroupOut().split(texts, labels, groups):
            model = pipeline(args.C, args.class_weight)
            model.fit([texts[i] for i in train], [labels[i] for i in train])
            for i, p in zip(test, model.predict([texts[i] for i in test])):
                pred[i] = p
        macro = f1_score(labels, pred, average="macro")
        per = f1_score(labels, pred, labels=LABELS, average=None)
        per_s = ", ".join(f"{l} {v:.3f}" for l, v in zip(LABELS, per))
        print(f"leave-one-{key}-out: macro-F1 {macro:.3f} ({per_s})")

    start = time.perf_counter()
    pipeline(args.C, args.class_weight).fit(texts, labels)
    print(f"vectorize+fit on all {len(rows)} examples: {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
