#!/usr/bin/env python3
"""Build data/gold/ from two annotation passes and the adjudication.

Inputs (kept outside the repo, because corpus sentences are third-party text):
  --sentences FILE...   output of `claimtrack sentences` (seeds and corpus), JSONL
  --pass-a FILE...      TSV `<article>#<index> TAB label` (first pass)
  --pass-b FILE...      TSV, same ids (second, independent pass)
  --adjudicated FILE    TSV `<id> TAB label TAB reason` for every disagreement
  --sources TSV         the corpus SOURCES.tsv (file, outlet, date, url)
  --corpus-name NAME    the stand-off file is data/gold/NAME.labels.jsonl (default: corpus)
  --labels LIST         the label names, comma-separated (default: the default story's; a claim
                        project's gold uses the role names claim,denial,skepticism,context)
  --corrections TSV     `<id> TAB old TAB new TAB reason`: consistency corrections the adjudicator
                        made to labels both passes agreed on (applied after the passes; counted)
  --out DIR             where the gold files go (default: data/gold)
Outputs:
  data/gold/seeds.jsonl          inline gold for the seeds (our own documents)
  data/gold/corpus.labels.jsonl  stand-off gold for the corpus: ids, hashes, labels, no text
  prints Cohen's kappa and counts, for data/README.md
"""
import argparse, collections, csv, hashlib, json, os, sys

LABELS = ["russian_claim", "us_denial", "expert_skepticism", "context"]

def read_tsv(paths, labels=None):
    labels = labels or LABELS
    out = {}
    for p in paths:
        for n, line in enumerate(open(p, encoding="utf-8"), 1):
            if not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            if parts[1] not in labels:
                sys.exit(f"{p}:{n}: unknown label {parts[1]!r}")
            out[parts[0]] = parts[1]
    return out

def sentence_hash(text):
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

def kappa(a, b, ids):
    n = len(ids)
    po = sum(a[i] == b[i] for i in ids) / n
    ca = collections.Counter(a[i] for i in ids)
    cb = collections.Counter(b[i] for i in ids)
    pe = sum(ca[l] * cb[l] for l in LABELS) / (n * n)
    return po, (po - pe) / (1 - pe)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sentences", nargs="+", required=True)
    ap.add_argument("--pass-a", nargs="+", required=True)
    ap.add_argument("--pass-b", nargs="+", required=True)
    ap.add_argument("--adjudicated")
    ap.add_argument("--sources", required=True)
    ap.add_argument("--seed-prefix", default="seeds/")
    ap.add_argument("--out", default="data/gold")
    ap.add_argument("--corpus-name", default="corpus")
    ap.add_argument("--labels", default=",".join(LABELS))
    ap.add_argument("--corrections")
    args = ap.parse_args()
    LABELS[:] = args.labels.split(",")
    a, b = read_tsv(args.pass_a), read_tsv(args.pass_b)
    adj = read_tsv([args.adjudicated]) if args.adjudicated else {}
    corrections = {}
    if args.corrections:
        for n, line in enumerate(open(args.corrections, encoding="utf-8"), 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or not line.strip():
                continue
            if parts[2] not in LABELS:
                sys.exit(f"{args.corrections}:{n}: unknown label {parts[2]!r}")
            corrections[parts[0]] = (parts[1], parts[2])
    urls = {os.path.splitext(r["file"])[0]: r["url"] for r in csv.DictReader(open(args.sources), delimiter="\t")}
    sents = []
    for p in args.sentences:
        for line in open(p, encoding="utf-8"):
            sents.append(json.loads(line))
    ids = [f"{s['article']}#{s['index']}" for s in sents]
    missing = [i for i in ids if i not in a or i not in b]
    if missing:
        sys.exit(f"{len(missing)} sentences lack a label in a pass, e.g. {missing[:3]}")
    final = {}
    for i in ids:
        if i in corrections:
            old, new = corrections[i]
            if a[i] != b[i] or a[i] != old:
                sys.exit(f"{i}: correction from {old} but the passes say {a[i]} / {b[i]}")
            final[i] = new
        elif a[i] == b[i]:
            final[i] = a[i]
        elif i in adj:
            final[i] = adj[i]
        else:
            sys.exit(f"{i}: passes disagree ({a[i]} / {b[i]}) and no adjudication given")
    seeds = [s for s in sents if s["article"] not in urls]
    corpus = [s for s in sents if s["article"] in urls]
    os.makedirs(args.out, exist_ok=True)
    if seeds:
        with open(os.path.join(args.out, "seeds.jsonl"), "w", encoding="utf-8") as f:
            for s in seeds:
                row = {"article": s["article"], "outlet": s["outlet"], "index": s["index"],
                       "role": s["role"], "text": s["text"], "label": final[f"{s['article']}#{s['index']}"]}
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    with open(os.path.join(args.out, f"{args.corpus_name}.labels.jsonl"), "w", encoding="utf-8") as f:
        for s in corpus:
            row = {"article": s["article"], "url": urls[s["article"]], "index": s["index"],
                   "hash": sentence_hash(s["text"]), "label": final[f"{s['article']}#{s['index']}"]}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    for name, group in [("all", ids), ("seeds", [f"{s['article']}#{s['index']}" for s in seeds]),
                        ("corpus", [f"{s['article']}#{s['index']}" for s in corpus])]:
        if not group:
            continue
        po, k = kappa(a, b, group)
        print(f"{name}: n={len(group)} observed agreement={po:.3f} kappa={k:.3f}")
    for name, group in [("seeds", seeds), ("corpus", corpus)]:
        if not group:
            continue
        c = collections.Counter(final[f"{s['article']}#{s['index']}"] for s in group)
        print(name, {l: c[l] for l in LABELS}, "articles:", len({s['article'] for s in group}))
    per_label = {}
    for l in LABELS:
        # per-label agreement: Cohen's kappa of the binary "is l" decision
        aa = {i: a[i] == l for i in ids}; bb = {i: b[i] == l for i in ids}
        n = len(ids); po = sum(aa[i] == bb[i] for i in ids) / n
        pa = sum(aa.values()) / n; pb = sum(bb.values()) / n
        pe = pa * pb + (1 - pa) * (1 - pb)
        per_label[l] = round((po - pe) / (1 - pe), 3)
    print("per-label kappa:", per_label)
    print("disagreements:", sum(a[i] != b[i] for i in ids), "adjudicated:", len(adj),
          "consistency corrections of agreed labels:", len(corrections))

if __name__ == "__main__":
    main()
