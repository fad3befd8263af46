#!/usr/bin/env python3
"""Build data/framing-reference.tsv from two independent raters' framing scores and an adjudication.

Inputs (kept outside the repo: the raters read third-party articles):
  --rater1 TSV, --rater2 TSV   `<article> TAB <score -1..+1> TAB <one-line reason>`, every article
  --adjudicated TSV            `<article> TAB <score> TAB <reason>` for every article whose two
                               scores differ by --gap or more
  --sources TSV...             the SOURCES.tsv of each article folder (file, outlet, date, url)
Output: data/framing-reference.tsv (stand-off: keys, the article file's SHA-256, scores and our
reasons; no article text), and the raters' agreement printed for data/README.md.

The reference score of an article is the mean of the two raters, or the adjudicated score where
they differ by --gap or more.
"""
import argparse, csv, hashlib, os, statistics, sys


def read_scores(path):
    out = {}
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 3 or parts[0] == "article":
            continue
        score = float(parts[1])
        if not -1 <= score <= 1:
            sys.exit(f"{path}:{n}: score {score} outside [-1, 1]")
        out[parts[0]] = (score, parts[2].replace("\t", " ").strip())
    return out


def ranks(v):
    order = sorted(range(len(v)), key=lambda i: v[i])
    r = [0.0] * len(v)
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2
        i = j + 1
    return r


def pearson(a, b):
    ma, mb = statistics.mean(a), statistics.mean(b)
    num = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    den = (sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b)) ** 0.5
    return num / den


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rater1", required=True)
    ap.add_argument("--rater2", required=True)
    ap.add_argument("--adjudicated", required=True)
    ap.add_argument("--sources", nargs="+", required=True)
    ap.add_argument("--gap", type=float, default=0.5)
    ap.add_argument("--out", default="data/framing-reference.tsv")
    args = ap.parse_args()
    r1, r2, adj = read_scores(args.rater1), read_scores(args.rater2), read_scores(args.adjudicated)
    rows = []
    for src in args.sources:
        folder = os.path.dirname(src)
        for s in csv.DictReader(open(src, encoding="utf-8"), delimiter="\t"):
            key = os.path.splitext(s["file"])[0]
            data = open(os.path.join(folder, s["file"]), "rb").read()
            rows.append((key, s["outlet"], s["url"], hashlib.sha256(data).hexdigest()))
    missing = [k for k, *_ in rows if k not in r1 or k not in r2]
    if missing:
        sys.exit(f"{len(missing)} articles lack a score from a rater, e.g. {missing[:3]}")
    out = []
    for key, outlet, url, sha in rows:
        (s1, why1), (s2, why2) = r1[key], r2[key]
        if abs(s1 - s2) >= args.gap - 1e-9:
            if key not in adj:
                sys.exit(f"{key}: raters differ by {abs(s1 - s2):.1f} and no adjudication given")
            ref, why_adj = adj[key]
        else:
            ref, why_adj = round((s1 + s2) / 2, 2), ""
        out.append([key, outlet, url, "sha256:" + sha, f"{s1:+.1f}", f"{s2:+.1f}",
                    f"{ref:+.2f}", why1, why2, why_adj])
    with open(args.out, "w", encoding="utf-8", newline="") as f:
        f.write("# Human framing reference: two independent raters scored how each article frames the claim\n")
        f.write("# (-1 not credible .. +1 credible; labeling spec, last section), blind to claimtrack's scores;\n")
        f.write("# gaps >= 0.5 adjudicated. reference = mean of the raters, or the adjudicated score. No article text.\n")
        w = csv.writer(f, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(["article", "outlet", "url", "file_sha256", "rater1", "rater2", "reference",
                    "reason1", "reason2", "adjudication"])
        w.writerows(out)
    a = [r1[k][0] for k, *_ in rows]
    b = [r2[k][0] for k, *_ in rows]
    print(f"articles {len(rows)}; raters' Spearman {pearson(ranks(a), ranks(b)):.3f}; "
          f"Pearson {pearson(a, b):.3f}; mean |difference| {statistics.mean(abs(x - y) for x, y in zip(a, b)):.3f}; "
          f"adjudicated {sum(1 for r in out if r[9])}")


if __name__ == "__main__":
    main()
