#!/usr/bin/env python3
"""Re-key the gold labels after a change to the sentence splitter.

The stand-off gold (data/gold/corpus*.labels.jsonl) names each sentence by its article, its
index as `claimtrack sentences` numbers it, and a hash of its text; the inline seed gold
(data/gold/seeds.jsonl) holds index, role and text. When the splitter changes, indices,
hashes and roles move. This script carries every label over:

    claimtrack sentences ../shared/corpus ../shared/corpus2 seeds/ > before.jsonl  # old binary
    claimtrack sentences ../shared/corpus ../shared/corpus2 seeds/ > after.jsonl   # new binary
    scripts/migrate_standoff.py --before before.jsonl --after after.jsonl --gold data/gold

How a new sentence finds its old label: within an article, the splitter keeps every
non-space character in order, so each sentence is a span [start, end) of the article's
non-space character stream. A new sentence whose span equals an old one keeps its label; one
that is the exact union of several consecutive old spans (a merge) takes the label of highest
precedence among them, by the labelling specification's order
us_denial > expert_skepticism > russian_claim > context; one that lies inside a single old
span (a split) inherits that sentence's label. Merges whose old labels disagree are listed
(article and indices only, never text) so that a person can check them.

The script refuses (exit status 1, nothing written) when an article's non-space text differs
between the two outputs, when a new sentence straddles an old boundary without covering whole
sentences, when a gold line's index or hash does not match the `before` output, or when a gold
article is missing from either output. Files are written to a temporary file in the same
folder and renamed.
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile
from collections import OrderedDict

PRECEDENCE = ["us_denial", "expert_skepticism", "russian_claim", "context"]


class MigrationError(Exception):
    """A sentence or gold line that cannot be carried over."""


def sentence_hash(text):
    """The stand-off hash: "sha256:" and the first 16 hex digits of the text's SHA-256."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def read_jsonl(path):
    """Lines of a JSONL file as (line number, object), skipping blank lines."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.append((n, json.loads(line)))
                except json.JSONDecodeError as e:
                    raise MigrationError(f"{path}:{n}: not JSON ({e})")
    return out


def by_article(path):
    """`claimtrack sentences` output grouped by article, each list ordered by index."""
    arts = OrderedDict()
    for n, s in read_jsonl(path):
        arts.setdefault(s["article"], []).append(s)
    for art, ss in arts.items():
        for i, s in enumerate(ss):
            if s["index"] != i:
                raise MigrationError(f"{path}: article {art}: index {s['index']} at position {i}")
    return arts


def spans(sentences):
    """Each sentence's [start, end) in the article's non-space character stream, and the stream."""
    out, stream, pos = [], [], 0
    for s in sentences:
        chars = [c for c in s["text"] if not c.isspace()]
        out.append((pos, pos + len(chars)))
        stream.extend(chars)
        pos += len(chars)
    return out, "".join(stream)


def map_article(art, old, new):
    """For each new sentence, (kind, [old indices]) with kind "same", "merge" or "split"."""
    old_spans, old_stream = spans(old)
    new_spans, new_stream = spans(new)
    if old_stream != new_stream:
        raise MigrationError(
            f"article {art}: the non-space text differs between before and after "
            "(the change is not a pure re-splitting)"
        )
    starts = {a: i for i, (a, _) in enumerate(old_spans)}
    ends = {b: i for i, (_, b) in enumerate(old_spans)}
    result = []
    for j, (a, b) in enumerate(new_spans):
        if a in starts and b in ends and starts[a] <= ends[b]:
            ids = list(range(starts[a], ends[b] + 1))
            result.append(("same" if len(ids) == 1 else "merge", ids))
            continue
        inside = [i for i, (oa, ob) in enumerate(old_spans) if oa <= a and b <= ob]
        if len(inside) == 1 and a < b:
            result.append(("split", inside))
            continue
        raise MigrationError(
            f"article {art}: new sentence {j} (characters {a}..{b}) cannot be mapped to old "
            "sentences: it straddles an old sentence boundary"
        )
    return result


def resolve(labels):
    """The label of highest precedence among `labels`."""
    return min(labels, key=PRECEDENCE.index)


def write_atomic(path, lines):
    """Write JSON lines to `path` through a temporary file in the same folder."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".migrate-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for obj in lines:
                f.write(json.dumps(obj, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def migrate_file(path, inline, before, after, mappings, report):
    """The migrated lines of one gold file (stand-off unless `inline`)."""
    gold = OrderedDict()
    for n, g in read_jsonl(path):
        art = g["article"]
        if art not in before or art not in after:
            raise MigrationError(f"{path}:{n}: article {art} is missing from the sentences output")
        old = before[art]
        i = g["index"]
        if not 0 <= i < len(old):
            raise MigrationError(f"{path}:{n}: article {art} has no sentence {i} in `before`")
        if inline:
            if g["text"] != old[i]["text"]:
                raise MigrationError(f"{path}:{n}: article {art} sentence {i}: text differs from `before`")
        elif g["hash"] != sentence_hash(old[i]["text"]):
            raise MigrationError(f"{path}:{n}: article {art} sentence {i}: hash differs from `before`")
        gold.setdefault(art, {})[i] = g
    out = []
    for art, lines in gold.items():
        old, new = before[art], after[art]
        if len(lines) != len(old):
            missing = sorted(set(range(len(old))) - set(lines))
            raise MigrationError(f"{path}: article {art}: no gold label for old sentences {missing}")
        if art not in mappings:
            mappings[art] = map_article(art, old, new)
        template = next(iter(lines.values()))
        for j, (kind, ids) in enumerate(mappings[art]):
            labels = [lines[i]["label"] for i in ids]
            label = resolve(labels)
            if kind == "merge":
                report["merges"].append(
                    {"file": os.path.basename(path), "article": art, "new_index": j,
                     "old_indices": ids, "old_labels": labels, "label": label}
                )
            elif kind == "split":
                report["splits"].append(
                    {"file": os.path.basename(path), "article": art, "new_index": j,
                     "old_index": ids[0], "label": label}
                )
            s = new[j]
            if inline:
                line = OrderedDict(
                    [("article", art), ("outlet", template["outlet"]), ("index", j),
                     ("role", s["role"]), ("text", s["text"]), ("label", label)]
                )
            else:
                line = OrderedDict(
                    [("article", art), ("url", template["url"]), ("index", j),
                     ("hash", sentence_hash(s["text"])), ("label", label)]
                )
            out.append(line)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", required=True, help="`claimtrack sentences` output of the old splitter")
    ap.add_argument("--after", required=True, help="`claimtrack sentences` output of the new splitter")
    ap.add_argument("--gold", default="data/gold", help="folder of the gold files (default data/gold)")
    ap.add_argument("--dry-run", action="store_true", help="report only; write nothing")
    ap.add_argument("--report", help="also write the report (ids, indices and labels only) as JSON here")
    args = ap.parse_args()

    files = sorted(
        os.path.join(args.gold, f) for f in os.listdir(args.gold) if f.endswith(".jsonl")
    )
    try:
        before, after = by_article(args.before), by_article(args.after)
        mappings, report = {}, {"merges": [], "splits": []}
        results = []
        for path in files:
            inline = not path.endswith(".labels.jsonl")
            results.append((path, migrate_file(path, inline, before, after, mappings, report)))
    except (MigrationError, KeyError) as e:
        print(f"migrate_standoff: refusing: {e}", file=sys.stderr)
        return 1

    n_before = sum(len(before[a]) for a in mappings)
    n_after = sum(len(after[a]) for a in mappings)
    conflicts = [m for m in report["merges"] if len(set(m["old_labels"])) > 1]
    report["summary"] = {
        "articles": len(mappings),
        "sentences_before": n_before,
        "sentences_after": n_after,
        "merges": len(report["merges"]),
        "old_sentences_merged": sum(len(m["old_indices"]) for m in report["merges"]),
        "old_sentences_split": len({(s["file"], s["article"], s["old_index"]) for s in report["splits"]}),
        "new_sentences_from_splits": len(report["splits"]),
        "merges_with_disagreeing_labels": len(conflicts),
    }
    for k, v in report["summary"].items():
        print(f"{k}: {v}")
    for m in report["merges"]:
        flag = "DISAGREE" if len(set(m["old_labels"])) > 1 else "agree"
        print(f"merge {flag}: {m['file']} {m['article']} new {m['new_index']} <- old "
              f"{m['old_indices']} {m['old_labels']} -> {m['label']}")
    for s in report["splits"]:
        print(f"split: {s['file']} {s['article']} new {s['new_index']} <- old {s['old_index']} -> {s['label']}")
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
    if not args.dry_run:
        for path, lines in results:
            write_atomic(path, lines)
            print(f"wrote {path} ({len(lines)} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
