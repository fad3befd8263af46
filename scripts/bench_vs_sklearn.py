#!/usr/bin/env python3
"""Side-by-side benchmark helpers for claimtrack and scikit-learn (driven by bench_vs_sklearn.sh).

Subcommands:

  gen GOLD.jsonl OUTDIR [--sizes ...] [--train N] [--test N] [--gb G] [--seed S]
      Builds a large, realistic corpus from the gold sentences (`claimtrack evaluate
      --dump-examples`): every synthetic sentence is a real gold sentence with some of its
      clauses swapped for clauses of other sentences with the same label, drawn with a fixed
      seed, so vocabulary, clause structure and sentence length match real news. Writes
        sentences_<N>.txt   N sentences, one per line (the classify input of both tools);
        train.jsonl         labelled sentences from 80% of the gold articles;
        test.jsonl          held-out sentences from the other 20% (gold label in "gold");
        articles.jsonl      about G GB of JSONL articles (score/report streaming; skipped if 0).
      Nothing of this is committed: it is third-party text.

  sklearn-classify GOLD.jsonl FILE... --C C
      Fits TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) + LogisticRegression on the
      gold, then times transform + predict_proba on each file's sentences (file reading and
      fitting excluded). Prints one JSON line per file.

  paired GOLD.jsonl FILE --claimtrack BIN --model MODEL --C C [--runs N]
      Paired, interleaved CPU-time comparison on one file (plain text, or JSONL with a "text"
      field per line): fits scikit-learn on the gold once, then N times in turn (the order
      alternating) runs `BIN --threads 1 classify --model MODEL FILE > /dev/null` (its CPU
      time: user + system of the child, from getrusage) and scikit-learn on the same file (its
      CPU time from time.process_time(), one core): reading the file, parsing each line
      (json.loads for JSONL), transform + predict_proba, and rendering one JSON line per input
      line as classify does, written to /dev/null. The time of transform + predict_proba alone
      is recorded too. Prints the per-pair ratios and their medians (JSON).

  train-paired TRAIN.jsonl --claimtrack BIN --mode one-fit|same-work --C C [--runs N]
      Paired, interleaved CPU-time comparison of training, like for like (BENCHMARKS.md), N
      times in turn, the order alternating; one core each. claimtrack: the whole process
      (user + system CPU of the child and its peak RSS, from GNU time at /usr/bin/time).
      scikit-learn: time.process_time() around its work, the file already read.
        one-fit    ONE FIT against one fit: `BIN --threads 1 train --no-decode --no-calibrate`
                   against TfidfVectorizer.fit_transform + LogisticRegression.fit on all the
                   sentences.
        same-work  THE SAME WORK: the whole `BIN --threads 1 train` (the final fit plus the
                   inner cross-validation of 5 folds of whole articles, each warm-started
                   from the final model, giving out-of-fold probabilities for the calibration
                   and the decoder weight) against scikit-learn doing that work: the fit on
                   all the sentences, then for each of 5 GroupKFold folds by article a
                   vectorizer refitted on the fold's training part, a LogisticRegression with
                   warm_start=True whose coef_/intercept_ are set from the full fit (matched
                   by term, zero for a new term), fit, and predict_proba on the held-out part.
      With --ct-tolerance T, claimtrack's fits get `--tolerance T` (scikit-learn's --tol is
      unchanged). Prints the CPU times, iterations, per-pair ratios (claimtrack /
      scikit-learn) and their median (JSON).

  tolerance-for-objective TRAIN.jsonl MATRIX.svm --claimtrack BIN --C C [--start T] [--bisect K]
      T*: the largest `--tolerance` at which claimtrack's one fit (`BIN --threads 1 train
      --no-decode --no-calibrate`) stops at an objective (claimtrack's, as in same-optimum)
      at or below that of scikit-learn's LogisticRegression fitted on MATRIX.svm (claimtrack's
      matrix of TRAIN.jsonl, `claimtrack evaluate --dump-features`). The tolerance only moves
      where the same path stops, so the objective grows with it: the search doubles from
      --start (default 1e-4, claimtrack's default) until the objective passes scikit-learn's,
      then bisects K times (log scale). Prints T*, its iterations, gradient norm and
      objective, and every tolerance tried (JSON).

  matrix-paired TRAIN.jsonl MATRIX.svm --model MODEL.json --claimtrack BIN --C C
                --ct-tolerance T [--runs N]
      Equal optimum on the same matrix: scikit-learn's LogisticRegression.fit on MATRIX.svm
      (loaded before timing; time.process_time()) against claimtrack's fit at --tolerance T.
      claimtrack cannot fit from the matrix, so its fit is estimated per round as the CPU
      time of `BIN --threads 1 train --no-decode --no-calibrate --tolerance T` minus that of
      the same command with `--max-iterations 1` (featurizing, start-up, one iteration and
      the model's writing), the three runs of a round in turn, the order rotating. MODEL.json
      (any model of TRAIN.jsonl) gives the number of features. Prints both ratios (the fit
      estimate, and claimtrack's whole process) per round and their medians (JSON).

  cycle SENTENCES.jsonl N OUT.jsonl OUT.txt
      Repeats the lines of `claimtrack sentences` output in order up to N lines: OUT.jsonl
      gets the lines as they are, OUT.txt their texts, one per line.

  sklearn-train TRAIN.jsonl TEST.jsonl --C C --tol T --max-iter M
      Times vectorize + fit (class_weight="balanced"; wall and CPU seconds) and reports
      held-out accuracy. JSON.

  same-optimum MATRIX.svm MODEL.json --C C --tol T --max-iter M
      Fits scikit-learn's LogisticRegression on claimtrack's own design matrix (dumped with
      `claimtrack evaluate --dump-features`) and compares both optima under claimtrack's
      objective (sum of weighted log-losses + alpha/2 |W|^2, intercepts unpenalized). JSON.

  accuracy TEST.jsonl PRED.jsonl
      Accuracy of claimtrack's predictions (classify output) against the "gold" field.

  plot RESULTS.json OUT.svg
      Throughput vs input size for both tools (matplotlib, or a hand-written SVG without it).
"""

import argparse
import json
import random
import re
import sys
import time

LABELS = ["russian_claim", "us_denial", "expert_skepticism", "context"]


def read_jsonl(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    sys.exit(f"{path}:{n}: not JSON ({e})")
    return rows


# ---------------------------------------------------------------------------------------
# Corpus generation

CLAUSE_SPLIT = re.compile(r"(?<=[,;:])\s+|\s+(?=[\u2014\u2013]\s)|\s+(?=(?:but|and|while|as|which|who|after|before|because)\s)")


def clauses(text):
    parts = [p for p in CLAUSE_SPLIT.split(text.strip()) if p]
    return parts or [text.strip()]


class Generator:
    """Recombines gold sentences clause by clause (same label, same clause position)."""

    def __init__(self, rows, rng):
        self.rng = rng
        self.rows = [r for r in rows if r["text"].strip()]
        self.split = [clauses(r["text"]) for r in self.rows]
        # Pools of clauses by (label, position bucket: first / middle / last).
        self.pool = {}
        for r, cl in zip(self.rows, self.split):
            for i, c in enumerate(cl):
                key = (r["label"], self.bucket(i, len(cl)))
                self.pool.setdefault(key, []).append(c)
        self.by_label = {}
        for i, r in enumerate(self.rows):
            self.by_label.setdefault(r["label"], []).append(i)

    @staticmethod
    def bucket(i, n):
        return 0 if i == 0 else (2 if i == n - 1 else 1)

    def sentence(self, label=None):
        rng = self.rng
        if label is None:
            i = rng.randrange(len(self.rows))
        else:
            i = rng.choice(self.by_label[label])
        r, cl = self.rows[i], self.split[i]
        out = []
        for j, c in enumerate(cl):
            if len(cl) > 1 and rng.random() < 0.5:
                c = rng.choice(self.pool[(r["label"], self.bucket(j, len(cl)))])
            out.append(c)
        text = " ".join(out)
        if len(cl) == 1 and rng.random() < 0.3:
            # Single-clause sentences: join two of the same label now and then.
            other = self.rows[rng.choice(self.by_label[r["label"]])]["text"]
            text = text.rstrip(".") + ", " + other[:1].lower() + other[1:]
        return text, r["label"], r


def gen(args):
    import os

    rng = random.Random(args.seed)
    rows = read_jsonl(args.gold)
    if not rows:
        sys.exit(f"{args.gold}: no examples")
    os.makedirs(args.out, exist_ok=True)
    articles = sorted({r["article"] for r in rows})
    rng.shuffle(articles)
    n_test = max(1, len(articles) // 5)
    test_articles = set(articles[:n_test])
    all_gen = Generator(rows, random.Random(args.seed + 1))
    train_gen = Generator([r for r in rows if r["article"] not in test_articles], random.Random(args.seed + 2))
    test_gen = Generator([r for r in rows if r["article"] in test_articles], random.Random(args.seed + 3))

    for n in args.sizes:
        with open(f"{args.out}/sentences_{n}.txt", "w", encoding="utf-8") as f:
            for _ in range(n):
                f.write(all_gen.sentence()[0].replace("\n", " ") + "\n")

    def labelled(path, g, n, prefix, field):
        with open(path, "w", encoding="utf-8") as f:
            for i in range(n):
                text, label, src = g.sentence()
                rec = {
                    "article": f"{prefix}{i // 25}",
                    "outlet": src["outlet"],
                    "index": i % 25,
                    "text": text,
                    field: label,
                }
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")

    labelled(f"{args.out}/train.jsonl", train_gen, args.train, "train-", "label")
    labelled(f"{args.out}/test.jsonl", test_gen, args.test, "test-", "gold")

    if args.gb > 0:
        outlets = sorted({r["outlet"] for r in rows})
        limit = int(args.gb * (1 << 30))
        written, k = 0, 0
        with open(f"{args.out}/articles.jsonl", "w", encoding="utf-8") as f:
            while written < limit:
                n_sent = all_gen.rng.randint(12, 45)
                sents = [all_gen.sentence()[0] for _ in range(n_sent)]
                paras = []
                while sents:
                    take = all_gen.rng.randint(1, 4)
                    paras.append(" ".join(sents[:take]))
                    sents = sents[take:]
                rec = {
                    "id": f"bench-{k:07d}",
                    "outlet": outlets[k % len(outlets)],
                    "date": f"2024-{1 + k % 12:02d}-{1 + k % 28:02d}",
                    "title": all_gen.sentence()[0],
                    "text": "\n\n".join(paras),
                }
                line = json.dumps(rec, ensure_ascii=False) + "\n"
                f.write(line)
                written += len(line.encode("utf-8"))
                k += 1
        print(f"articles.jsonl: {k} articles, {written / (1 << 30):.2f} GiB", file=sys.stderr)
    print(f"generated corpus in {args.out} from {len(rows)} gold sentences "
          f"({len(articles)} articles, {n_test} held out)", file=sys.stderr)


# ---------------------------------------------------------------------------------------
# scikit-learn side


def pipeline_parts(c, class_weight, tol, max_iter):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    clf = LogisticRegression(C=c, class_weight=class_weight, tol=tol, max_iter=max_iter)
    return vec, clf


def sklearn_classify(args):
    rows = read_jsonl(args.gold)
    vec, clf = pipeline_parts(args.C, "balanced", args.tol, args.max_iter)
    clf.fit(vec.fit_transform([r["text"] for r in rows]), [r["label"] for r in rows])
    for path in args.files:
        with open(path, encoding="utf-8") as f:
            texts = [line.rstrip("\n") for line in f if line.strip()]
        best = None
        for _ in range(args.repeat):
            start = time.perf_counter()
            probs = clf.predict_proba(vec.transform(texts))
            dt = time.perf_counter() - start
            best = dt if best is None else min(best, dt)
        assert probs.shape[0] == len(texts)
        print(json.dumps({"file": path, "sentences": len(texts), "seconds": best,
                          "per_second": len(texts) / best}))


def cycle(args):
    import itertools

    lines = [line for line in open(args.sentences, encoding="utf-8") if line.strip()]
    with open(args.out_jsonl, "w", encoding="utf-8") as a, \
            open(args.out_txt, "w", encoding="utf-8") as b:
        for line in itertools.islice(itertools.cycle(lines), args.n):
            a.write(line)
            b.write(json.loads(line)["text"].replace("\n", " ") + "\n")
    print(f"{len(lines)} distinct sentences, cycled to {args.n} lines", file=sys.stderr)


def paired(args):
    import os
    import resource
    import statistics
    import subprocess

    rows = read_jsonl(args.gold)
    vec, clf = pipeline_parts(args.C, "balanced", args.tol, args.max_iter)
    clf.fit(vec.fit_transform([r["text"] for r in rows]), [r["label"] for r in rows])
    jsonl = args.file.endswith(".jsonl")
    cmd = [args.claimtrack, "--threads", "1", "classify", "--model", args.model, args.file]

    def claimtrack_cpu():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    def sklearn_cpu():
        start = time.process_time()
        with open(args.file, encoding="utf-8") as f:
            lines = [line for line in f if line.strip()]
        records = [json.loads(line) for line in lines] if jsonl else None
        texts = [r["text"] for r in records] if jsonl else [line.strip() for line in lines]
        core = time.process_time()
        probs = clf.predict_proba(vec.transform(texts))
        core = time.process_time() - core
        names = list(clf.classes_)
        order = [names.index(label) for label in LABELS]
        with open(os.devnull, "w", encoding="utf-8") as out:
            for i, row in enumerate(probs):
                rec = records[i] if jsonl else {"text": texts[i]}
                rec["label"] = LABELS[max(range(4), key=lambda k: row[order[k]])]
                rec["probs"] = {LABELS[k]: float(row[order[k]]) for k in range(4)}
                out.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
        return time.process_time() - start, core

    ct, sk, sk_core = [], [], []
    for i in range(args.runs):
        if i % 2 == 0:
            ct.append(claimtrack_cpu())
            total, core = sklearn_cpu()
        else:
            total, core = sklearn_cpu()
            ct.append(claimtrack_cpu())
        sk.append(total)
        sk_core.append(core)
    n = sum(1 for line in open(args.file, encoding="utf-8") if line.strip())
    ratio = [s / c for s, c in zip(sk, ct)]
    ratio_core = [s / c for s, c in zip(sk_core, ct)]
    print(json.dumps({
        "file": args.file, "lines": n, "runs": args.runs,
        "claimtrack_cpu_seconds": ct, "sklearn_cpu_seconds": sk,
        "sklearn_predict_only_cpu_seconds": sk_core,
        "ratio": ratio, "ratio_median": statistics.median(ratio),
        "ratio_predict_only": ratio_core,
        "ratio_predict_only_median": statistics.median(ratio_core),
        "claimtrack_lines_per_cpu_second": n / statistics.median(ct),
    }))


def sklearn_train(args):
    train = read_jsonl(args.train)
    test = read_jsonl(args.test)
    texts, labels = [r["text"] for r in train], [r["label"] for r in train]
    vec, clf = pipeline_parts(args.C, "balanced", args.tol, args.max_iter)
    start, cpu = time.perf_counter(), time.process_time()
    x = vec.fit_transform(texts)
    clf.fit(x, labels)
    dt, dcpu = time.perf_counter() - start, time.process_time() - cpu
    pred = clf.predict(vec.transform([r["text"] for r in test]))
    acc = sum(p == r["gold"] for p, r in zip(pred, test)) / len(test)
    print(json.dumps({"examples": len(train), "features": x.shape[1], "seconds": dt, "cpu_seconds": dcpu,
                      "iterations": int(max(clf.n_iter_)), "heldout_accuracy": acc}))


def sklearn_train_work(texts, labels, articles, c, tol, max_iter, mode):
    """scikit-learn's side of `train-paired`: CPU seconds and the iterations of each fit."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    start = time.process_time()
    vec, clf = pipeline_parts(c, "balanced", tol, max_iter)
    clf.fit(vec.fit_transform(texts), labels)
    iters = [int(max(clf.n_iter_))]
    if mode == "same-work":
        vocab = vec.vocabulary_
        oof = np.zeros((len(texts), len(clf.classes_)))
        for tr, te in GroupKFold(n_splits=5).split(texts, labels, groups=articles):
            fvec, fclf = pipeline_parts(c, "balanced", tol, max_iter)
            xf = fvec.fit_transform([texts[i] for i in tr])
            # Warm start from the full fit, each term's weights matched by term.
            terms = fvec.get_feature_names_out()
            cols = np.array([vocab.get(t, -1) for t in terms])
            coef = np.zeros((clf.coef_.shape[0], len(terms)))
            known = cols >= 0
            coef[:, known] = clf.coef_[:, cols[known]]
            fclf.set_params(warm_start=True)
            fclf.coef_, fclf.intercept_ = coef, clf.intercept_.copy()
            fclf.fit(xf, [labels[i] for i in tr])
            iters.append(int(max(fclf.n_iter_)))
            oof[te] = fclf.predict_proba(fvec.transform([texts[i] for i in te]))
        assert np.allclose(oof.sum(axis=1), 1.0)
    return time.process_time() - start, iters


def train_paired(args):
    import os
    import statistics
    import subprocess
    import tempfile

    train = read_jsonl(args.train)
    texts = [r["text"] for r in train]
    labels = [r["label"] for r in train]
    articles = [r["article"] for r in train]
    extra = ["--no-decode", "--no-calibrate"] if args.mode == "one-fit" else []
    if args.ct_tolerance is not None:
        extra += ["--tolerance", repr(args.ct_tolerance)]
    tmp = tempfile.mkdtemp(prefix="ct-train-")
    model, timing = os.path.join(tmp, "model.json"), os.path.join(tmp, "time")
    cmd = ["/usr/bin/time", "-f", "%U %S %M", "-o", timing, args.claimtrack, "--threads", "1",
           "train", "--data", args.train, "--out", model, *extra]

    def claimtrack_cpu():
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(timing) as f:
            u, s, kb = f.read().split()[-3:]
        with open(model, encoding="utf-8") as f:
            conv = json.load(f)["content"]["training"]["convergence"]
        return float(u) + float(s), int(kb), conv["iterations"], conv["reason"]

    ct, sk, rss, ct_iters, sk_iters = [], [], [], [], []
    for i in range(args.runs):
        if i % 2 == 0:
            c = claimtrack_cpu()
            s = sklearn_train_work(texts, labels, articles, args.C, args.tol, args.max_iter, args.mode)
        else:
            s = sklearn_train_work(texts, labels, articles, args.C, args.tol, args.max_iter, args.mode)
            c = claimtrack_cpu()
        ct.append(c[0])
        rss.append(c[1])
        ct_iters.append(f"{c[2]} ({c[3].split('; ')[-1]})")
        sk.append(s[0])
        sk_iters.append(s[1])
    ratio = [a / b for a, b in zip(ct, sk)]
    print(json.dumps({
        "mode": args.mode, "sentences": len(train), "runs": args.runs,
        "claimtrack_tolerance": args.ct_tolerance,
        "claimtrack_cpu_seconds": ct, "sklearn_cpu_seconds": sk,
        "ratio": ratio, "ratio_median": statistics.median(ratio),
        "claimtrack_peak_rss_kb": rss, "claimtrack_final_fit_iterations": ct_iters,
        "sklearn_iterations_full_then_folds": sk_iters,
    }))


def ct_objective(x, y, sw, w, b, alpha):
    """claimtrack's objective: sum_i sw_i * logloss_i + alpha/2 |W|^2 (intercepts free)."""
    import numpy as np

    z = x @ w + b
    m = z.max(axis=1, keepdims=True)
    lse = (m[:, 0] + np.log(np.exp(z - m).sum(axis=1)))
    data = float((sw * (lse - z[np.arange(len(y)), y])).sum())
    return data + 0.5 * alpha * float((w * w).sum())


def same_optimum(args):
    import numpy as np
    from sklearn.datasets import load_svmlight_file
    from sklearn.linear_model import LogisticRegression

    x, y = load_svmlight_file(args.matrix, zero_based=True)
    with open(args.model, encoding="utf-8") as f:
        model = json.load(f)["content"]
    n_feat = len(model["vocabulary"])
    if x.shape[1] < n_feat:
        from scipy.sparse import hstack, csr_matrix

        x = hstack([x, csr_matrix((x.shape[0], n_feat - x.shape[1]))]).tocsr()
    y = y.astype(int)
    classes = sorted(set(y))
    counts = np.bincount(y, minlength=4)
    sw = len(y) / (len(classes) * counts[y])
    alpha = 1.0 / args.C
    w_ct = np.array(model["weights"])
    b_ct = np.array(model["intercepts"])
    loss_ct = ct_objective(x, y, sw, w_ct, b_ct, alpha)
    start = time.perf_counter()
    clf = LogisticRegression(C=args.C, class_weight="balanced", tol=args.tol,
                             max_iter=args.max_iter).fit(x, y)
    dt = time.perf_counter() - start
    w_sk = np.zeros((n_feat, 4))
    b_sk = np.zeros(4)
    for col, c in enumerate(clf.classes_):
        w_sk[:, c] = clf.coef_[col]
        b_sk[c] = clf.intercept_[col]
    loss_sk = ct_objective(x, y, sw, w_sk, b_sk, alpha)
    agree = float((np.argmax(x @ w_ct + b_ct, axis=1) == np.argmax(x @ w_sk + b_sk, axis=1)).mean())
    print(json.dumps({
        "claimtrack_loss": loss_ct,
        "sklearn_loss": loss_sk,
        "relative_gap": (loss_ct - loss_sk) / abs(loss_sk),
        "max_abs_weight_diff": float(np.abs(w_ct - w_sk).max()),
        "train_prediction_agreement": agree,
        "sklearn_fit_seconds_on_same_matrix": dt,
        "sklearn_iterations": int(max(clf.n_iter_)),
    }))


def load_matrix(path, n_feat):
    """claimtrack's dumped design matrix (CSR, n_feat columns) and its labels."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.datasets import load_svmlight_file

    x, y = load_svmlight_file(path, zero_based=True)
    if x.shape[1] < n_feat:
        x = hstack([x, csr_matrix((x.shape[0], n_feat - x.shape[1]))]).tocsr()
    return x, y.astype(int)


def balanced_weights(y):
    """class_weight="balanced", per sample: n / (classes * count of the sample's class)."""
    import numpy as np

    counts = np.bincount(y, minlength=4)
    return len(y) / (len(set(y)) * counts[y])


def sklearn_objective(x, y, sw, c, tol, max_iter):
    """scikit-learn's fit on the matrix: claimtrack's objective at its optimum, and iterations."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, class_weight="balanced", tol=tol, max_iter=max_iter).fit(x, y)
    w = np.zeros((x.shape[1], 4))
    b = np.zeros(4)
    for col, k in enumerate(clf.classes_):
        w[:, k] = clf.coef_[col]
        b[k] = clf.intercept_[col]
    return ct_objective(x, y, sw, w, b, 1.0 / c), int(max(clf.n_iter_))


def ct_fit(binary, train, out, tolerance):
    """One `claimtrack --threads 1 train --no-decode --no-calibrate` fit; its model's content."""
    import subprocess

    cmd = [binary, "--threads", "1", "train", "--data", train, "--out", out,
           "--no-decode", "--no-calibrate"]
    if tolerance is not None:
        cmd += ["--tolerance", repr(tolerance)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out, encoding="utf-8") as f:
        return json.load(f)["content"]


def tolerance_for_objective(args):
    import math
    import os
    import tempfile

    import numpy as np

    tmp = tempfile.mkdtemp(prefix="ct-tol-")
    out = os.path.join(tmp, "model.json")
    first = ct_fit(args.claimtrack, args.train, out, args.start)
    n_feat = len(first["vocabulary"])
    x, y = load_matrix(args.matrix, n_feat)
    sw = balanced_weights(y)
    alpha = 1.0 / args.C
    target, sk_iters = sklearn_objective(x, y, sw, args.C, args.tol, args.max_iter)
    tried = {}

    def run(t, content=None):
        content = content or ct_fit(args.claimtrack, args.train, out, t)
        if len(content["vocabulary"]) != n_feat:
            sys.exit(f"{args.train}: the fit with --tolerance {t} has another vocabulary")
        conv = content["training"]["convergence"]
        loss = ct_objective(x, y, sw, np.array(content["weights"]),
                            np.array(content["intercepts"]), alpha)
        tried[t] = {"tolerance": t, "iterations": conv["iterations"],
                    "gradient_norm": conv["gradient_norm"], "objective": loss,
                    "at_or_below_sklearn": loss <= target}
        return loss <= target

    # The path does not depend on the tolerance (only where it stops), so the objective at the
    # stop grows with the tolerance: bracket T* by doubling from the start, then bisect in log.
    ok, bad = None, None
    t = args.start
    if run(t, first):
        ok = t
        while bad is None and t < 1.0:
            t *= 2.0
            if run(t):
                ok = t
            else:
                bad = t
    else:
        bad = t
        while ok is None and t > 1e-12:
            t /= 2.0
            if run(t):
                ok = t
            else:
                bad = t
    if ok is None or bad is None:
        sys.exit(f"no bracket for the tolerance from {args.start}")
    for _ in range(args.bisect):
        mid = math.sqrt(ok * bad)
        if run(mid):
            ok = mid
        else:
            bad = mid
    rows = [tried[k] for k in sorted(tried)]
    print(json.dumps({
        "sentences": int(x.shape[0]), "features": n_feat,
        "sklearn_objective": target, "sklearn_iterations": sk_iters,
        "tolerance_star": ok, "first_failing_tolerance": bad,
        "at_tolerance_star": tried[ok], "tried": rows,
    }))


def matrix_paired(args):
    """Equal optimum on the same matrix: claimtrack's fit against scikit-learn's fit."""
    import os
    import statistics
    import subprocess
    import tempfile

    with open(args.model, encoding="utf-8") as f:
        n_feat = len(json.load(f)["content"]["vocabulary"])
    x, y = load_matrix(args.matrix, n_feat)
    sw = balanced_weights(y)
    tmp = tempfile.mkdtemp(prefix="ct-matrix-")
    model, timing = os.path.join(tmp, "model.json"), os.path.join(tmp, "time")

    def claimtrack_cpu(extra):
        cmd = ["/usr/bin/time", "-f", "%U %S", "-o", timing, args.claimtrack, "--threads", "1",
               "train", "--data", args.train, "--out", model, "--no-decode", "--no-calibrate",
               *extra]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(timing) as f:
            u, s = f.read().split()[-2:]
        with open(model, encoding="utf-8") as f:
            iters = json.load(f)["content"]["training"]["convergence"]["iterations"]
        return float(u) + float(s), iters

    def sklearn_cpu():
        from sklearn.linear_model import LogisticRegression

        start = time.process_time()
        clf = LogisticRegression(C=args.C, class_weight="balanced", tol=args.tol,
                                 max_iter=args.max_iter).fit(x, y)
        return time.process_time() - start, int(max(clf.n_iter_))

    full_args = ["--tolerance", repr(args.ct_tolerance)]
    one_args = ["--max-iterations", "1"]
    full, one, sk, fit, ct_iters, sk_iters = [], [], [], [], [], []
    for i in range(args.runs):
        # The three in turn, the order rotating, so a neighbour's burst hits each alike.
        jobs = [("full", lambda: claimtrack_cpu(full_args)), ("one", lambda: claimtrack_cpu(one_args)),
                ("sk", sklearn_cpu)]
        jobs = jobs[i % 3:] + jobs[:i % 3]
        got = {name: job() for name, job in jobs}
        full.append(got["full"][0])
        one.append(got["one"][0])
        ct_iters.append(got["full"][1])
        sk.append(got["sk"][0])
        sk_iters.append(got["sk"][1])
        fit.append(got["full"][0] - got["one"][0])
    ratio_fit = [a / b for a, b in zip(fit, sk)]
    ratio_whole = [a / b for a, b in zip(full, sk)]
    print(json.dumps({
        "sentences": int(x.shape[0]), "features": n_feat, "runs": args.runs,
        "claimtrack_tolerance": args.ct_tolerance,
        "claimtrack_cpu_seconds": full, "claimtrack_max_iterations_1_cpu_seconds": one,
        "claimtrack_fit_estimate_cpu_seconds": fit, "claimtrack_iterations": ct_iters,
        "sklearn_fit_on_matrix_cpu_seconds": sk, "sklearn_iterations": sk_iters,
        "ratio_fit_estimate": ratio_fit, "ratio_fit_estimate_median": statistics.median(ratio_fit),
        "ratio_whole_process": ratio_whole,
        "ratio_whole_process_median": statistics.median(ratio_whole),
    }))


def accuracy(args):
    test = read_jsonl(args.test)
    pred = read_jsonl(args.pred)
    if len(test) != len(pred):
        sys.exit(f"{len(test)} test rows but {len(pred)} predictions")
    acc = sum(p["label"] == t["gold"] for p, t in zip(pred, test)) / len(test)
    print(json.dumps({"heldout_accuracy": acc}))


# ---------------------------------------------------------------------------------------
# Plot


def plot(args):
    with open(args.results, encoding="utf-8") as f:
        res = json.load(f)
    series = [
        ("claimtrack, 1 thread", [(r["sentences"], r["claimtrack_1t"]) for r in res["classify"]], "#1f77b4"),
        ("claimtrack, 2 threads", [(r["sentences"], r["claimtrack_2t"]) for r in res["classify"]], "#2ca02c"),
        ("scikit-learn, 1 core", [(r["sentences"], r["sklearn"]) for r in res["classify"]], "#d62728"),
    ]
    title = "classify throughput vs input size (sentences/s, log-log)"
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        plt.rcParams["svg.hashsalt"] = "claimtrack"
        plt.rcParams["svg.fonttype"] = "none"
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for name, pts, color in series:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=name, color=color)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("input size (sentences)")
        ax.set_ylabel("sentences per second")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.out, format="svg", metadata={"Date": None})
    except ImportError:
        write_svg(args.out, series, title)


def write_svg(path, series, title):
    import math

    w, h, l, r, t, b = 700, 420, 80, 20, 40, 50
    xs = [p[0] for _, pts, _ in series for p in pts]
    ys = [p[1] for _, pts, _ in series for p in pts]
    x0, x1 = math.log10(min(xs)), math.log10(max(xs))
    y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    sx = lambda v: l + (math.log10(v) - x0) / max(x1 - x0, 1e-9) * (w - l - r)
    sy = lambda v: h - b - (math.log10(v) - y0) / max(y1 - y0, 1e-9) * (h - t - b)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<text x="{w / 2}" y="20" text-anchor="middle">{title}</text>',
           f'<rect x="{l}" y="{t}" width="{w - l - r}" height="{h - t - b}" fill="none" stroke="#999"/>']
    for e in range(y0, y1 + 1):
        y = sy(10 ** e)
        out.append(f'<text x="{l - 6}" y="{y + 4:.1f}" text-anchor="end">1e{e}</text>')
    for v in sorted(set(xs)):
        out.append(f'<text x="{sx(v):.1f}" y="{h - b + 16}" text-anchor="middle">{v}</text>')
    for i, (name, pts, color) in enumerate(series):
        d = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        out.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"/>')
        out.append(f'<text x="{l + 10}" y="{t + 16 + 16 * i}" fill="{color}">{name}</text>')
    out.append("</svg>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def add_fit_options(p):
    """scikit-learn's fit settings, shared by every subcommand that fits: C, tol, max-iter."""
    p.add_argument("--C", type=float, required=True)
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--max-iter", type=int, default=1000)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("gold")
    g.add_argument("out")
    g.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000, 300000])
    g.add_argument("--train", type=int, default=20000)
    g.add_argument("--test", type=int, default=5000)
    g.add_argument("--gb", type=float, default=1.0)
    g.add_argument("--seed", type=int, default=20241122)
    g.set_defaults(func=gen)
    c = sub.add_parser("sklearn-classify")
    c.add_argument("gold")
    c.add_argument("files", nargs="+")
    add_fit_options(c)
    c.add_argument("--repeat", type=int, default=3)
    c.set_defaults(func=sklearn_classify)
    cy = sub.add_parser("cycle")
    cy.add_argument("sentences")
    cy.add_argument("n", type=int)
    cy.add_argument("out_jsonl")
    cy.add_argument("out_txt")
    cy.set_defaults(func=cycle)
    pc = sub.add_parser("paired")
    pc.add_argument("gold")
    pc.add_argument("file")
    pc.add_argument("--claimtrack", required=True)
    pc.add_argument("--model", required=True)
    add_fit_options(pc)
    pc.add_argument("--runs", type=int, default=5)
    pc.set_defaults(func=paired)
    t = sub.add_parser("sklearn-train")
    t.add_argument("train")
    t.add_argument("test")
    add_fit_options(t)
    t.set_defaults(func=sklearn_train)
    tp = sub.add_parser("train-paired")
    tp.add_argument("train")
    tp.add_argument("--claimtrack", required=True)
    tp.add_argument("--mode", choices=["one-fit", "same-work"], required=True)
    add_fit_options(tp)
    tp.add_argument("--runs", type=int, default=3)
    tp.add_argument("--ct-tolerance", type=float, default=None)
    tp.set_defaults(func=train_paired)
    tf = sub.add_parser("tolerance-for-objective")
    tf.add_argument("train")
    tf.add_argument("matrix")
    tf.add_argument("--claimtrack", required=True)
    add_fit_options(tf)
    tf.add_argument("--start", type=float, default=1e-4)
    tf.add_argument("--bisect", type=int, default=5)
    tf.set_defaults(func=tolerance_for_objective)
    mp = sub.add_parser("matrix-paired")
    mp.add_argument("train")
    mp.add_argument("matrix")
    mp.add_argument("--model", required=True)
    mp.add_argument("--claimtrack", required=True)
    add_fit_options(mp)
    mp.add_argument("--ct-tolerance", type=float, required=True)
    mp.add_argument("--runs", type=int, default=5)
    mp.set_defaults(func=matrix_paired)
    s = sub.add_parser("same-optimum")
    s.add_argument("matrix")
    s.add_argument("model")
    add_fit_options(s)
    s.set_defaults(func=same_optimum)
    a = sub.add_parser("accuracy")
    a.add_argument("test")
    a.add_argument("pred")
    a.set_defaults(func=accuracy)
    p = sub.add_parser("plot")
    p.add_argument("results")
    p.add_argument("out")
    p.set_defaults(func=plot)
    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
