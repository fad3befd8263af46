#!/usr/bin/env python3
"""Quick probe of label-sequence decoder variants before they are built into claimtrack.

The decoder (`src/model/decode.rs`, docs/MODEL.md) adds first-order label transitions,
estimated from the training articles, to the model's log-probabilities. This script asks
whether richer sequence scores would do better, on the development outlets only, with the
emulation of `scripts/probe_features.py`: scikit-learn's logistic regression on the matrix
claimtrack trains on (alpha 0.1, balanced class weights), leave-one-outlet-out, temperature
fixed at 0.85. The out-of-fold probabilities are computed once and every variant decodes
the same ones; each fold's transitions come from its own training outlets. Figures are
comparable with each other only.

Inputs, as for probe_features.py:

    claimtrack evaluate --data dev.jsonl --dump-features dev.svm
    claimtrack train --data dev.jsonl --no-decode --no-calibrate --out dev-model.json
    OMP_NUM_THREADS=1 python3 scripts/probe_decoder.py dev.jsonl dev.svm dev-model.json

Variants, each at decoder weights 0.25, 0.5 and 0.75:

- first-order: the shipped decoder (transitions `log P(b | a) - log P(b)`, start scores);
- quote: two transition tables, one after a sentence with an odd number of double quotes
  (`cue:quote_open`: the quote runs on into the next sentence), one after any other;
- role-pair: four transition tables, by the boundary: after the headline, after the lede,
  into or out of a heading, between body sentences;
- role-prior: the first-order decoder plus, per sentence, `log P(label | role) - log P(label)`
  at the same weight (what the sentence's role says of its label, which the model does not
  see);
- second-order: transitions over label triples, `log P(c | a, b) - log P(c)`, and the
  first-order table for the first pair.

Needs numpy, scipy and scikit-learn. The inputs hold corpus text: keep them out of the
repository.
"""

import sys

import numpy as np
from sklearn.metrics import f1_score

import probe_features as probe

K = probe.K
ROLES = ["headline", "lede", "heading", "body"]
TEMPERATURE = 0.85


def role_prior(examples, y, rows):
    prior = probe.log_prior(y, rows)
    out = {}
    for role in ROLES:
        counts = np.ones(K)
        for r in rows:
            if examples[r]["role"] == role:
                counts[y[r]] += 1
        out[role] = np.log(counts / counts.sum()) - prior
    return out


def triples(examples, y, rows):
    prior = probe.log_prior(y, rows)
    m = np.ones((K, K, K))
    for rs in probe.article_orders(examples, rows):
        for a, b, c in zip(rs, rs[1:], rs[2:]):
            m[y[a], y[b], y[c]] += 1
    return np.log(m / m.sum(2, keepdims=True)) - prior[None, None, :]


def viterbi2(logp, start, trans, tri, w):
    """Second-order Viterbi over pairs of labels."""
    if len(logp) == 1:
        return [int((logp[0] + w * start).argmax())]
    score = logp[0][:, None] + w * start[:, None] + logp[1][None, :] + w * trans
    backs = []
    for t in range(2, len(logp)):
        cand = score[:, :, None] + w * tri
        backs.append(cand.argmax(0))
        score = cand.max(0) + logp[t][None, :]
    b, c = np.unravel_index(score.argmax(), score.shape)
    path = [int(c), int(b)]
    for back in reversed(backs):
        path.append(int(back[path[-1], path[-2]]))
    return path[::-1]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    examples, y, raw, cues = probe.load(*sys.argv[1:4])
    x = probe.normalize(raw)
    outlets = np.array([e["outlet"] for e in examples])
    roles = np.array([e["role"] for e in examples])
    quote_open = (raw[:, cues["cue:quote_open"]] > 0).toarray().ravel()
    folds = [(np.where(outlets != o)[0], np.where(outlets == o)[0]) for o in np.unique(outlets)]
    probs = np.zeros((len(y), K))
    for train, test in folds:
        probs[test] = probe.fit_predict(x, y, train, test)

    def role_pair(a, b):
        if roles[a] in ("headline", "lede"):
            return roles[a]
        return "heading" if "heading" in (roles[a], roles[b]) else "body"

    boundaries = {  # the kinds of boundary with a table of their own, and which one (a, b) is
        "quote": ([False, True], lambda a, b: bool(quote_open[a])),
        "role-pair": (ROLES, role_pair),
    }

    head = np.isin(roles, ["headline", "lede"])
    macro, skept = probe.scores(y, probs.argmax(1))
    print(f"{'argmax':14s}        macro-F1 {macro:.3f}  skepticism {skept:.3f}")
    for kind in ["first-order", "quote", "role-pair", "role-prior", "second-order"]:
        for w in [0.25, 0.5, 0.75]:
            decoded = np.zeros(len(y), dtype=int)
            kinds, boundary = boundaries.get(kind, ([0], lambda a, b: 0))
            for train, test in folds:
                start, trans = probe.transition_tables(examples, y, train, kinds, boundary)
                prior = role_prior(examples, y, train) if kind == "role-prior" else None
                tri = triples(examples, y, train) if kind == "second-order" else None
                logp = np.log(probs[test]) / TEMPERATURE
                logp -= np.logaddexp.reduce(logp, axis=1, keepdims=True)
                at = {r: k for k, r in enumerate(test)}
                for rs in probe.article_orders(examples, test):
                    lp = logp[[at[r] for r in rs]]
                    if tri is not None:
                        decoded[rs] = viterbi2(lp, start, trans[0], tri, w)
                        continue
                    if prior is not None:
                        lp = lp + w * np.array([prior[roles[r]] for r in rs])
                    decoded[rs] = probe.viterbi(
                        lp, start, lambda t: trans[boundary(rs[t - 1], rs[t])], w
                    )
            macro, skept = probe.scores(y, decoded)
            hl = f1_score(y[head], decoded[head], labels=range(K), average="macro")
            print(
                f"{kind:14s} w={w:<4} macro-F1 {macro:.3f}  skepticism {skept:.3f}  "
                f"headline+lede {hl:.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
