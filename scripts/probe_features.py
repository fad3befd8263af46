#!/usr/bin/env python3
"""Quick probe of sentence-feature variants before they are built into claimtrack.

Emulates claimtrack's leave-one-outlet-out evaluation with scikit-learn on the exact feature
matrix claimtrack trains on, so a feature idea can be screened in minutes on the development
outlets (docs/MODEL.md, "Variants tried for expert_skepticism"). Only figures of the same
script are comparable with each other: the emulation fits one vocabulary and idf on all the
examples given (claimtrack fits them per fold), fixes the decoder weight (w = 0.5) and the
temperature (T = 0.85) instead of choosing them inside each fold, and uses scikit-learn's
L-BFGS. A variant that looks worth it here must be built into claimtrack and measured with
`claimtrack evaluate` before it is adopted.

Inputs (all from the same examples file, e.g. the development outlets' `dev.jsonl`):

    claimtrack evaluate --data dev.jsonl --dump-features dev.svm
    claimtrack train --data dev.jsonl --no-decode --no-calibrate --out dev-model.json
    OMP_NUM_THREADS=1 python3 scripts/probe_features.py dev.jsonl dev.svm dev-model.json \
        base roles role-cue cue-pairs doubt-weight=2 class-weight-power=1.5 chars=0.5 stacked

Variants (each on top of the shipped features, alpha 0.1, balanced class weights):

- base: the matrix as claimtrack builds it;
- roles: one term per sentence role (`role:headline`, `role:lede`, `role:heading`,
  `role:body`);
- role-cue: roles plus one term per (role, cue class present in the sentence);
- cue-pairs: one term per pair of distinct cue classes present in the sentence (a doubt
  cue in the same sentence as an overture cue, ...);
- doubt-weight=K: the `cue:doubt` term's TF-IDF value multiplied by K;
- class-weight-power=P: balanced class weights raised to the power P;
- chars=W: character 3- to 5-grams within words (scikit-learn's `TfidfVectorizer(analyzer=
  "char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2)` over the examples' text), a
  block of norm W (default 1) beside the unit-norm row of the shipped features, the two
  renormalized together;
- stacked: a second logistic model on the log-probabilities of the sentence and of its
  previous and next sentences (out-of-fold inside each training part, 5 folds by article),
  reported as its per-sentence argmax;
- neg-scope: every word after a negation (`not`, `no`, `never`, `nothing`, `neither`,
  `nor`, `none`, `without`, `cannot`, any `n't`) up to the next punctuation mark or `but`
  also gives the term `neg:<stem>`, so the claim's words under a negation ("no sign Putin
  is ready to negotiate") are apart from the same words stated;
- scope: the same, opened also by the one-word `denial` and `doubt` cues of
  `data/cues.tsv` (denied, rejected, doubt, skeptical, ploy, whether, ...), so the claim's
  words governed by a denial or doubt are marked too;
- article-cues: the cue classes found in the article's other sentences, as terms
  `art:<class>` (tf the number of those sentences holding it), so a sentence in an article
  full of doubt leans that way;
- headline-cues: the cue classes of the article's headline (first sentence), as terms
  `head:<class>`, on every other sentence of the article.

New terms get tf 1 (sublinear), a smooth idf over the examples and share the row's L2
norm with the existing terms, as a claimtrack feature group does. Needs numpy, scipy and
scikit-learn (and snowballstemmer for the scope variants). The inputs hold corpus text: keep
them out of the repository.
"""

import json
import re
import sys
from collections import Counter

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import normalize

LABELS = ["russian_claim", "us_denial", "expert_skepticism", "context"]
SKEPTICISM = LABELS.index("expert_skepticism")
K = len(LABELS)
ALPHA, TEMPERATURE, DECODER_WEIGHT = 0.1, 0.85, 0.5


def load(examples_path, svm_path, model_path):
    """Examples, labels, the raw (un-normalized) TF-IDF matrix, idf and cue columns."""
    examples = [json.loads(line) for line in open(examples_path, encoding="utf-8")]
    content = json.load(open(model_path, encoding="utf-8"))["content"]
    vocabulary, idf = content["vocabulary"], np.array(content["idf"])
    x, y = load_svmlight_file(svm_path, n_features=len(vocabulary), zero_based=True)
    x, y = x.tocsr(), y.astype(int)
    if len(examples) != x.shape[0] or any(
        LABELS.index(e["label"]) != y[i] for i, e in enumerate(examples)
    ):
        sys.exit("the examples and the feature matrix do not match")
    # Each row is tf * idf / norm with tf >= 1 and a term of tf 1 in practice, so the
    # largest idf / value of a row is its norm.
    norms = np.array(
        [
            max(idf[j] / v for j, v in zip(x.indices[a:b], x.data[a:b]))
            if b > a
            else 1.0
            for a, b in zip(x.indptr[:-1], x.indptr[1:])
        ]
    )
    raw = sp.diags(norms) @ x
    cues = {t: j for j, t in enumerate(vocabulary) if t.startswith("cue:")}
    return examples, y, raw.tocsr(), cues


def new_terms(term_lists):
    """Raw TF-IDF columns of new terms (sublinear tf, smooth idf over the examples)."""
    names = sorted({t for terms in term_lists for t in terms})
    col = {t: k for k, t in enumerate(names)}
    rows, cols, vals = [], [], []
    for i, terms in enumerate(term_lists):
        for t, c in Counter(terms).items():
            rows.append(i)
            cols.append(col[t])
            vals.append(1.0 + np.log(c))
    n = len(term_lists)
    m = sp.csr_matrix((vals, (rows, cols)), shape=(n, len(names)))
    df = np.asarray((m > 0).sum(0)).ravel()
    return m @ sp.diags(np.log((1.0 + n) / (1.0 + df)) + 1.0)


def balanced(y, rows, power=1.0):
    labels = np.unique(y[rows])
    return {
        c: (len(rows) / (len(labels) * np.sum(y[rows] == c))) ** power for c in labels
    }


def fit_predict(x, y, train, test, power=1.0):
    m = LogisticRegression(
        C=1.0 / ALPHA, class_weight=balanced(y, train, power), max_iter=2000, tol=1e-5
    )
    m.fit(x[train], y[train])
    p = np.full((len(test), K), 1e-9)
    p[:, m.classes_] = m.predict_proba(x[test])
    return p / p.sum(1, keepdims=True)


def article_orders(examples, rows):
    """The rows of each article, in sentence order."""
    by_article = {}
    for r in rows:
        by_article.setdefault(examples[r]["article"], []).append(r)
    return [sorted(rs, key=lambda r: examples[r]["index"]) for rs in by_article.values()]


def log_prior(y, rows):
    """log P(label) over the rows, with add-one smoothing."""
    counts = np.ones(K)
    for r in rows:
        counts[y[r]] += 1
    return np.log(counts / counts.sum())


def transition_tables(examples, y, rows, kinds, boundary):
    """Start scores and one transition table per kind of boundary (`boundary(a, b)` names
    the kind between rows a and b, one of `kinds`), add-one smoothing, minus log P(label)."""
    prior = log_prior(y, rows)
    start, pairs = np.ones(K), {kind: np.ones((K, K)) for kind in kinds}
    for rs in article_orders(examples, rows):
        start[y[rs[0]]] += 1
        for a, b in zip(rs, rs[1:]):
            pairs[boundary(a, b)][y[a], y[b]] += 1
    return np.log(start / start.sum()) - prior, {
        kind: np.log(m / m.sum(1, keepdims=True)) - prior[None, :] for kind, m in pairs.items()
    }


def transitions(examples, y, rows):
    """The decoder's start and transition scores (one table for every boundary)."""
    start, tables = transition_tables(examples, y, rows, [0], lambda a, b: 0)
    return start, tables[0]


def viterbi(logp, start, trans, w):
    """First-order Viterbi; `trans` is one table, or a function of t giving the table
    between sentences t-1 and t."""
    table = trans if callable(trans) else (lambda t: trans)
    score, back = logp[0] + w * start, []
    for t in range(1, len(logp)):
        cand = score[:, None] + w * table(t)
        back.append(cand.argmax(0))
        score = cand.max(0) + logp[t]
    path = [int(score.argmax())]
    for b in reversed(back):
        path.append(int(b[path[-1]]))
    return path[::-1]


def context_features(examples, rows, probs):
    """Log-probabilities of each sentence, its previous and its next sentence."""
    at = {r: k for k, r in enumerate(rows)}
    f = np.zeros((len(rows), 3 * K + 2))
    for rs in article_orders(examples, rows):
        for t, r in enumerate(rs):
            prev = np.log(probs[at[rs[t - 1]]]) if t > 0 else np.zeros(K)
            nxt = np.log(probs[at[rs[t + 1]]]) if t + 1 < len(rs) else np.zeros(K)
            f[at[r]] = np.concatenate(
                [np.log(probs[at[r]]), prev, nxt, [t == 0, t + 1 == len(rs)]]
            )
    return f


def scores(y, pred):
    macro = f1_score(y, pred, labels=range(K), average="macro")
    skept = f1_score(y, pred, labels=[SKEPTICISM], average=None)[0]
    return macro, skept


def evaluate(name, examples, y, x, power=1.0, stacked=False):
    outlets = np.array([e["outlet"] for e in examples])
    articles = np.array([e["article"] for e in examples])
    probs = np.zeros((len(y), K))
    decoded = np.zeros(len(y), dtype=int)
    second = np.zeros((len(y), K))
    for outlet in np.unique(outlets):
        test = np.where(outlets == outlet)[0]
        train = np.where(outlets != outlet)[0]
        p = fit_predict(x, y, train, test, power)
        probs[test] = p
        start, trans = transitions(examples, y, train)
        logp = np.log(p) / TEMPERATURE
        logp -= np.logaddexp.reduce(logp, axis=1, keepdims=True)
        at = {r: k for k, r in enumerate(test)}
        for rs in article_orders(examples, test):
            decoded[rs] = viterbi(logp[[at[r] for r in rs]], start, trans, DECODER_WEIGHT)
        if stacked:
            oof = np.zeros((len(train), K))
            for inner_train, inner_test in GroupKFold(5).split(train, groups=articles[train]):
                oof[inner_test] = fit_predict(
                    x, y, train[inner_train], train[inner_test], power
                )
            m = LogisticRegression(class_weight=balanced(y, train), max_iter=2000)
            m.fit(context_features(examples, train, oof), y[train])
            s = np.zeros((len(test), K))
            s[:, m.classes_] = m.predict_proba(context_features(examples, test, p))
            second[test] = s
    head = np.isin([e["role"] for e in examples], ["headline", "lede"])
    (am, ask), (dm, dsk) = scores(y, probs.argmax(1)), scores(y, decoded)
    hl = f1_score(y[head], decoded[head], labels=range(K), average="macro")
    line = (
        f"{name:24s} argmax {am:.3f} (skepticism {ask:.3f})  decoded {dm:.3f} "
        f"(skepticism {dsk:.3f})  headline+lede decoded {hl:.3f}"
    )
    if stacked:
        sm, ssk = scores(y, second.argmax(1))
        line += f"  stacked argmax {sm:.3f} (skepticism {ssk:.3f})"
    print(line, flush=True)


NEGATIONS = {"not", "no", "never", "nothing", "neither", "nor", "none", "without", "cannot"}
SCOPE_ENDS = set(",.;:!?()[]\"") | {"but", "however", "although", "though"}


def scope_terms(text, openers):
    """`neg:<stem>` for each word inside the scope of an opener word (to the next
    punctuation mark or contrast), words and stems approximately as claimtrack's."""
    import snowballstemmer

    stem = snowballstemmer.stemmer("english").stemWord
    text = text.lower().translate(str.maketrans("\u2018\u2019\u201c\u201d", "''\"\""))
    terms, inside = [], False
    for token in re.findall(r"[a-z0-9]+(?:'[a-z]+)*|[^\sa-z0-9]", text):
        if token in SCOPE_ENDS:
            inside = False
            continue
        word = stem(token)
        if token in openers or word in openers or token.endswith("n't"):
            inside = True
            continue
        if inside and token[0].isalnum():
            terms.append("neg:" + word)
    return terms


def one_word_cues(path, classes):
    """The stems of the one-word cues of the given classes in a cue lexicon."""
    import snowballstemmer

    stem = snowballstemmer.stemmer("english").stemWord
    out = set()
    for line in open(path, encoding="utf-8"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) == 2 and parts[0] in classes and " " not in parts[1]:
            out.add(stem(parts[1].lower()))
    return out


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    examples, y, raw, cues = load(*sys.argv[1:4])
    classes = sorted(cues)
    present = (raw[:, [cues[c] for c in classes]] > 0).toarray()

    def sentence_cues(i):
        return [classes[k] for k in np.where(present[i])[0]]

    def with_terms(term_lists=None, doubt=1.0):
        m = raw.tolil(copy=True)
        if doubt != 1.0:
            m[:, cues["cue:doubt"]] = m[:, cues["cue:doubt"]] * doubt
        m = m.tocsr()
        if term_lists is not None:
            m = sp.hstack([m, new_terms(term_lists)]).tocsr()
        return normalize(m)

    n = len(examples)
    for variant in sys.argv[4:]:
        name, _, value = variant.partition("=")
        if name == "base":
            evaluate(variant, examples, y, with_terms())
        elif name == "roles":
            terms = [["role:" + e["role"]] for e in examples]
            evaluate(variant, examples, y, with_terms(terms))
        elif name == "role-cue":
            terms = [
                ["role:" + e["role"]] + [e["role"] + "&" + c for c in sentence_cues(i)]
                for i, e in enumerate(examples)
            ]
            evaluate(variant, examples, y, with_terms(terms))
        elif name == "cue-pairs":
            terms = []
            for i in range(n):
                cs = sentence_cues(i)
                terms.append([f"{a}&{b}" for k, a in enumerate(cs) for b in cs[k + 1 :]])
            evaluate(variant, examples, y, with_terms(terms))
        elif name == "doubt-weight":
            evaluate(variant, examples, y, with_terms(doubt=float(value)))
        elif name == "class-weight-power":
            evaluate(variant, examples, y, with_terms(), power=float(value))
        elif name == "chars":
            from sklearn.feature_extraction.text import TfidfVectorizer

            chars = TfidfVectorizer(
                analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2
            ).fit_transform([e["text"] for e in examples])
            weight = float(value) if value else 1.0
            x = normalize(sp.hstack([with_terms(), weight * chars]).tocsr())
            evaluate(variant, examples, y, x)
        elif name in ("neg-scope", "scope"):
            openers = set(NEGATIONS)
            if name == "scope":
                openers |= one_word_cues("data/cues.tsv", {"denial", "doubt"})
            terms = [scope_terms(e["text"], openers) for e in examples]
            evaluate(variant, examples, y, with_terms(terms))
        elif name in ("article-cues", "headline-cues"):
            terms = [[] for _ in range(n)]
            for rs in article_orders(examples, range(n)):
                if name == "headline-cues":
                    for r in rs[1:]:
                        terms[r] = ["head:" + c for c in sentence_cues(rs[0])]
                    continue
                counts = Counter(c for r in rs for c in set(sentence_cues(r)))
                for r in rs:
                    own = Counter(set(sentence_cues(r)))
                    for c, k in (counts - own).items():
                        terms[r] += ["art:" + c] * k
            evaluate(variant, examples, y, with_terms(terms))
        elif name == "stacked":
            evaluate(variant, examples, y, with_terms(), stacked=True)
        else:
            sys.exit(f"unknown variant {variant!r}")


if __name__ == "__main__":
    main()
