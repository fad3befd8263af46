#!/usr/bin/env python3
"""Prototype framing formulas against the human reference, on both claims (docs/FRAMING.md).

A fast offline check of formula ideas before any of them is written in Rust: the cross-fitted
probabilities (10 outlet folds, calibrated, as `evaluate --framing --folds 10` makes them) and
the gold labels of every reference article are dumped once per claim with the tool itself,
then each variant's article scores are computed here and ranked against the people's scores.
The shipped formula is re-implemented exactly (the "shipped" row reproduces `claimtrack
evaluate --framing` to the last digit), so a row differs from it only by the variant's idea.

By default only the development outlets are printed (even SHA-256 of the outlet name), with the
criterion used for every choice: the mean of the four development Spearman figures (default
story and the Havana project, cross-fitted and gold labels). --held-out prints the other half
instead, for the report of an adopted configuration.

--fit-calibration fits the monotone calibration of data/framing.json for the shipped formula:
the raw (uncalibrated) article scores of both claims' development outlets, with cross-fitted
labels, against the people's mean scores; knots at fixed raw scores, values chosen by least
squares under a non-decreasing constraint (scipy). It prints the knots and the mean absolute
error before and after, on the development outlets (and, with --held-out, on the held-out ones).

Usage: scripts/framing_prototypes.py [--variants NAME;...] [--held-out] [--bin PATH]
                                     [--cache DIR] [--fit-calibration]
"""
import argparse, hashlib, json, math, os, subprocess, sys
from collections import defaultdict

CLAIMS = {
    # name: (project folder, framing reference)
    "default": (".", "data/framing-reference.tsv"),
    "havana": ("projects/havana-syndrome", "projects/havana-syndrome/framing-reference.tsv"),
}
ROLE_INDEX = {"russian_claim": 0, "us_denial": 1, "expert_skepticism": 2, "context": 3,
              "claim": 0, "denial": 1, "skepticism": 2,
              "gru_attack_claim": 0, "official_denial": 1, "scientific_doubt": 2}
DEFAULTS = dict(headline_weight=3.0, lede_weight=2.0, heading_weight=1.0, tail_weight=0.5,
                hedge_discount=0.5, chance=0.25, full_evidence=0.5, primacy_scale=1.0,
                primacy_share=0.5, prior_mass=0.5, claim_prior=0.0, calibration=[],
                position_scale=0.0, headline_presence=0.0)
# The settings shipped before the smooth position weighting (data/framing.json at that time).
BEFORE = dict(DEFAULTS, hedge_discount=0.0, full_evidence=0.75, claim_prior=0.5,
              calibration=[[-1.0, -1.0], [-0.5, -0.72], [0.0, -0.17], [0.5, 0.06],
                           [0.75, 0.38], [1.0, 0.88]])
# The settings shipped before the headline presence (the smooth position weighting, refitted
# knots): the starting point of the fourth round's rows.
ROUND3 = dict(hedge_discount=0.0, full_evidence=0.75, claim_prior=0.5, primacy_share=0.0,
              position_scale=3.0,
              calibration=[[-1.0, -1.0], [-0.5, -0.75], [0.0, -0.18], [0.5, 0.11],
                           [0.75, 0.45], [1.0, 0.88]])


def is_development(outlet):
    return hashlib.sha256(outlet.encode()).digest()[31] % 2 == 0


def dump(binary, claim, cache):
    """Examples and cross-fitted predictions of one claim, made by the tool (cached)."""
    project, _ = CLAIMS[claim]
    ex, cv = f"{cache}/{claim}.examples.jsonl", f"{cache}/{claim}.cv.json"
    base = [binary, "--project", project, "evaluate"]
    if not os.path.exists(ex):
        subprocess.run(base + ["--dump-examples", ex], check=True, capture_output=True)
    if not os.path.exists(cv):
        out = subprocess.run(base + ["--group", "outlet", "--folds", "10", "--no-decode", "--json"],
                             check=True, capture_output=True, text=True)
        with open(cv, "w") as f:
            f.write(out.stdout)
    return ex, cv


def load_reference(path):
    ref, header = {}, None
    for line in open(path, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        fields = line.rstrip("\n").split("\t")
        if header is None:
            header = fields
            continue
        row = dict(zip(header, fields))
        ref[row["article"]] = (row["outlet"], float(row["reference"]))
    return ref


def load_claim(binary, claim, cache):
    ex_path, cv_path = dump(binary, claim, cache)
    examples = [json.loads(l) for l in open(ex_path, encoding="utf-8")]
    probs = [None] * len(examples)
    for p in json.load(open(cv_path))["predictions"]:
        probs[p["example"]] = p["probs"]
    ref = load_reference(CLAIMS[claim][1])
    articles = defaultdict(list)
    for e, p in zip(examples, probs):
        if e["article"] in ref:
            gold = [0.0] * 4
            gold[ROLE_INDEX[e["label"]]] = 1.0
            articles[e["article"]].append(dict(index=e["index"], role=e["role"], text=e["text"],
                                               cf=p, gold=gold))
    for sentences in articles.values():
        sentences.sort(key=lambda s: s["index"])
    return articles, ref


# --- hedges (data/hedges.txt; the same matching as src/framing/hedge.rs) ---------------------
def words_of(text):
    out, cur = [], ""
    for i, c in enumerate(text):
        inner = c in "'\u2019" and cur and i + 1 < len(text) and text[i + 1].isalnum()
        if c.isalnum() or inner:
            cur += c.lower()
        elif cur:
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out


def has_scare_quotes(text):
    pairs = {"\u201c": "\u201d", "\u2018": "\u2019", "\u00ab": "\u00bb", '"': '"'}
    i = 0
    while i < len(text):
        close = pairs.get(text[i])
        if close and (i == 0 or not text[i - 1].isalnum()):
            j = text.find(close, i + 1)
            if j >= 0:
                inner = text[i + 1:j]
                if 1 <= len(words_of(inner)) <= 4 and not any(ch in inner for ch in ".,!?;:"):
                    return True
                i = j + 1
                continue
        i += 1
    return False


HEDGES = []
for _line in open("data/hedges.txt", encoding="utf-8"):
    _line = _line.strip()
    if _line and not _line.startswith("#"):
        _w, _cue = _line.split("\t")
        HEDGES.append((float(_w), _cue.strip().lower(), words_of(_cue)))
_HEDGE_CACHE = {}


def hedge(text):
    if text not in _HEDGE_CACHE:
        words, keep = words_of(text), 1.0
        for w, cue, cw in HEDGES:
            if cue == "<scare-quotes>":
                hit = has_scare_quotes(text)
            else:
                hit = any(words[i:i + len(cw)] == cw for i in range(len(words) - len(cw) + 1))
            if hit:
                keep *= 1.0 - w
        _HEDGE_CACHE[text] = 1.0 - keep
    return _HEDGE_CACHE[text]


# --- the formula (src/framing/mod.rs) ----------------------------------------------------------
def prominence(role, index, n, p):
    if p["position_scale"] > 0:
        return 1.0 / (1.0 + index / p["position_scale"])
    if role in ("headline", "lede", "heading"):
        return p[role + "_weight"]
    pos = min(index, n - 1) / (n - 1) if n > 1 else 0.0
    return 1.0 - (1.0 - p["tail_weight"]) * pos


def calibrate(x, knots):
    if len(knots) < 2:
        return x
    if x <= knots[0][0]:
        return knots[0][1]
    for (x0, y0), (x1, y1) in zip(knots, knots[1:]):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return knots[-1][1]


def stance_units(sentences, p, key):
    n, units = len(sentences), []
    for s in sentences:
        ec, ed, ek = (max(0.0, q - p["chance"]) for q in s[key][:3])
        evidence = ec + ed + ek
        gate = min(1.0, evidence / p["full_evidence"])
        if gate <= 0:
            continue
        units.append(dict(index=s["index"], role=s["role"], mass=gate, n=n, claim=s[key][0],
                          ec=ec, ed=ed, ek=ek, evidence=evidence, text=s["text"],
                          prominence=prominence(s["role"], s["index"], n, p)))
    return units


def score(units, p, position=None, primacy=None, hedging=None, topic=0.0, frame=False,
          presence_evidence=None, headline_topic=0.0, headline_share=0.0, last_share=0.0,
          context_mass=0.0, sentences=None):
    """The article score; the keyword arguments are the prototypes' departures from it:
    position(unit, stance mass before it) replaces prominence; primacy(stance mass before)
    replaces the exponential primacy weight; hedging(article doubt share) gives the hedge
    discount lambda of the article; topic counts non-claim stance mass in the claim-mass
    factor with that weight; frame makes the primacy component the headline and lede;
    presence_evidence replaces chance as the headline evidence that counts fully in the
    headline presence; headline_topic counts the headline's doubt in the claim mass with that
    weight; headline_share and last_share mix the direction of the headline and of the last
    stance unit into the raw score with those weights; context_mass adds that many neutral
    pseudo-sentences per sentence of the article (sentences) to the shrinkage prior."""
    if not units:
        return 0.0
    total = sum(u["mass"] for u in units)
    doubt_share = sum(u["mass"] * (u["ed"] + u["ek"]) / u["evidence"] for u in units) / total
    lam = hedging(doubt_share) if hedging else p["hedge_discount"]
    bn = bd = pn = pd = before = claim_mass = 0.0
    top = [u for u in units if u["role"] in ("headline", "lede")] or units[:1]
    for u in units:
        g = u["mass"]
        h = hedge(u["text"]) if (lam > 0 and u["ec"] > 0) else 0.0
        direction = max(-1.0, min(1.0, (u["ec"] * (1 - 2 * lam * h) - u["ed"] - u["ek"])
                                  / u["evidence"]))
        u["direction"] = direction
        claim_mass += g * (u["claim"] + topic * (1.0 - u["claim"]))
        if u["index"] == 0:
            claim_mass += g * headline_topic * (u["ed"] + u["ek"]) / u["evidence"]
        w = position(u, before) if position else u["prominence"]
        bn += w * g * direction
        bd += w * g
        e = primacy(before) if primacy else math.exp(-before / p["primacy_scale"])
        pn += e * g * direction
        pd += e * g
        before += g
    if frame:
        pn = sum(u["mass"] * u["direction"] for u in top)
        pd = sum(u["mass"] for u in top)
    raw = (1 - p["primacy_share"]) * bn / bd + p["primacy_share"] * pn / pd
    head = next((u for u in units if u["index"] == 0), None)
    if headline_share and head:
        raw = (1 - headline_share) * raw + headline_share * head["direction"]
    if last_share:
        raw = (1 - last_share) * raw + last_share * units[-1]["direction"]
    prior = p["prior_mass"] + (context_mass * len(sentences) if context_mass else 0.0)
    shrink = total / (total + prior)
    if p["claim_prior"] > 0:
        shrink *= claim_mass / (claim_mass + p["claim_prior"])
    if p["headline_presence"] > 0:
        carried = min(1.0, head["evidence"] / (presence_evidence or p["chance"])) if head else 0.0
        shrink *= 1 - p["headline_presence"] + p["headline_presence"] * carried
    return calibrate(raw * shrink, p["calibration"])


def ranks(v):
    order, r, i = sorted(range(len(v)), key=lambda k: v[k]), [0.0] * len(v), 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
            j += 1
        for k in order[i:j + 1]:
            r[k] = (i + j) / 2
        i = j + 1
    return r


def spearman(a, b):
    a, b = ranks(a), ranks(b)
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    num = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    return num / math.sqrt(sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b))


def hyperbolic(scale):
    return lambda u, before: 1.0 / (1.0 + u["index"] / scale)


# name: (settings over BEFORE, keyword arguments of score()); expand() adds the sweeps.
VARIANTS = {
    "shipped before": ({}, {}),
    "no primacy": ({"primacy_share": 0.0}, {}),
    "primacy share 0.25": ({"primacy_share": 0.25}, {}),
    "flat prominence": ({"headline_weight": 1.0, "lede_weight": 1.0, "heading_weight": 1.0,
                         "tail_weight": 1.0}, {}),
    "flat prominence, no primacy": ({"headline_weight": 1.0, "lede_weight": 1.0,
                                     "heading_weight": 1.0, "tail_weight": 1.0,
                                     "primacy_share": 0.0}, {}),
}
SMOOTH = {"primacy_share": 0.0}


def expand():
    """Every row: (name, settings, score keyword arguments)."""
    rows = []
    for name, v in VARIANTS.items():
        if v is not None:
            rows.append((name, v[0], v[1]))
    add = lambda name, s, k=None: rows.append((name, s, k or {}))
    for sc in (2.0, 3.0, 5.0):
        add(f"primacy scale {sc:g}", {"primacy_scale": sc})
    for m in (0.25, 1.0, 2.0):
        add(f"shrinkage {m:g}", {"prior_mass": m})
    for c in (0.0, 0.25, 1.0):
        add(f"claim_prior {c:g}", {"claim_prior": c})
    for mu in (0.25, 0.5, 1.0):
        add(f"claim mass counts doubt at {mu:g}", {}, {"topic": mu})
    for sh in (0.5, 0.25):
        add(f"primacy from headline and lede, share {sh:g}", {"primacy_share": sh},
            {"frame": True})
    for lam in (0.5, 1.0):
        add(f"hedges: lambda {lam:g} times doubt share", {}, {"hedging": lambda d, l=lam: l * d})
        add(f"hedges: lambda {lam:g} when doubt share > 0.1", {},
            {"hedging": lambda d, l=lam: l if d > 0.1 else 0.0})
    for s in (1, 2, 3, 4, 5, 8, 12):
        add(f"smooth position s = {s}, no primacy", dict(SMOOTH, position_scale=float(s)))
    for s in (5, 8):
        add(f"smooth position s = {s}, primacy 0.25", {"primacy_share": 0.25},
            {"position": hyperbolic(s)})
    for s in (3, 5, 8):
        add(f"smooth position s = {s} times role prominence", SMOOTH,
            {"position": lambda u, b, s=s: u["prominence"] / (1 + u["index"] / s)})
    for hb in (1.5, 2.0, 3.0):
        add(f"smooth position s = 5, headline x{hb:g}", SMOOTH,
            {"position": lambda u, b, hb=hb: (hb if u["role"] == "headline" else 1.0)
             / (1 + u["index"] / 5)})
    for s in (1, 2, 3, 5, 8):
        add(f"smooth in stance order, s = {s}", SMOOTH,
            {"position": lambda u, b, s=s: 1 / (1 + b / s)})
    for a, s in ((1.5, 5), (1.5, 10), (0.5, 1), (0.5, 3)):
        add(f"smooth position power law a = {a:g}, s = {s}", SMOOTH,
            {"position": lambda u, b, a=a, s=s: (1 + u["index"] / s) ** -a})
    for s in (2, 4, 8):
        add(f"smooth position exp(-i/{s}) + 0.2", SMOOTH,
            {"position": lambda u, b, s=s: 0.2 + math.exp(-u["index"] / s)})
    for s in (0.25, 0.5, 1.0):
        add(f"smooth by relative position, s = {s:g}", SMOOTH,
            {"position": lambda u, b, s=s: 1 / (1 + u["index"] / max(1, u["n"] - 1) / s)})
    for s in (3, 5, 8):
        add(f"smooth position s = {s} + claim_prior 0.25",
            dict(SMOOTH, position_scale=float(s), claim_prior=0.25))
    add("smooth position s = 5 + shrinkage 0.25", dict(SMOOTH, position_scale=5.0, prior_mass=0.25))
    for fe in (0.5, 1.0):
        add(f"smooth position s = 5 + full_evidence {fe:g}",
            dict(SMOOTH, position_scale=5.0, full_evidence=fe))
    add("primacy scale 5 + tail 1", {"primacy_scale": 5.0, "tail_weight": 1.0})
    add("primacy scale 5 + headline 2, lede 1.5",
        {"primacy_scale": 5.0, "headline_weight": 2.0, "lede_weight": 1.5})
    # Fourth round: from the settings shipped with the smooth position weighting (ROUND3).
    add("round 3 shipped", ROUND3)
    for eta in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75):
        add(f"headline presence {eta:g}", dict(ROUND3, headline_presence=eta))
    for e in (0.15, 0.35, 0.5, 0.75):
        add(f"headline presence 0.5, full from evidence {e:g}",
            dict(ROUND3, headline_presence=0.5), {"presence_evidence": e})
    for mu in (0.5, 1.0):
        add(f"headline presence 0.5 + headline doubt in claim mass {mu:g}",
            dict(ROUND3, headline_presence=0.5), {"headline_topic": mu})
        add(f"headline doubt in claim mass {mu:g}", ROUND3, {"headline_topic": mu})
    for h in (0.15, 0.3, 0.5):
        add(f"headline direction share {h:g}", ROUND3, {"headline_share": h})
    for h in (0.1, 0.2):
        add(f"last stance share {h:g}", ROUND3, {"last_share": h})
    for r in (0.02, 0.05, 0.1):
        add(f"context sentences in the prior, {r:g} each", ROUND3, {"context_mass": r})
    add("headline presence 0.5 + position_scale 5", dict(ROUND3, headline_presence=0.5,
                                                          position_scale=5.0))
    add("headline presence 0.5 + shrinkage 0.25", dict(ROUND3, headline_presence=0.5,
                                                       prior_mass=0.25))
    add("headline presence 0.5 + claim_prior 0.25", dict(ROUND3, headline_presence=0.5,
                                                          claim_prior=0.25))
    return rows


CALIBRATION_KNOTS = [-1.0, -0.5, 0.0, 0.5, 0.75, 1.0]


def fit_calibration(data, held_out):
    """Monotone piecewise-linear map from raw article scores to the people's scale."""
    import numpy as np
    from scipy.optimize import lsq_linear

    with open("data/framing.json") as f:
        shipped = dict(DEFAULTS, **json.load(f))
    raw_settings = dict(shipped, calibration=[])
    points = {True: [], False: []}
    for claim, (articles, ref) in data.items():
        for art, sentences in articles.items():
            outlet, reference = ref[art]
            raw = score(stance_units(sentences, raw_settings, "cf"), raw_settings)
            points[is_development(outlet)].append((raw, reference))
    xs = np.array([x for x, _ in points[True]])
    ys = np.array([y for _, y in points[True]])
    k = CALIBRATION_KNOTS
    # Hat basis: f(x) = sum_j y_j * hat_j(x); y_j = y_0 + sum_{i<=j} d_i with d_i >= 0.
    hats = np.zeros((len(xs), len(k)))
    for r, x in enumerate(xs):
        x = min(max(x, k[0]), k[-1])
        for j in range(len(k) - 1):
            if k[j] <= x <= k[j + 1]:
                t = (x - k[j]) / (k[j + 1] - k[j])
                hats[r, j], hats[r, j + 1] = 1 - t, t
                break
    cum = np.tril(np.ones((len(k), len(k))))  # y = cum @ [y0, d1, ..., dn]
    design = hats @ cum
    lower = np.r_[-1.0, np.zeros(len(k) - 1)]
    upper = np.r_[1.0, np.full(len(k) - 1, 2.0)]
    sol = lsq_linear(design, ys, bounds=(lower, upper))
    values = np.minimum(cum @ sol.x, 1.0)
    knots = [[x, round(float(y), 2)] for x, y in zip(k, values)]
    print("knots:", json.dumps(knots))

    def mae(pts, knots):
        return sum(abs(calibrate(x, knots) - y) for x, y in pts) / len(pts)

    for dev in ([True, False] if held_out else [True]):
        name = "development" if dev else "held-out"
        print(f"{name}: {len(points[dev])} articles, mean absolute error "
              f"{mae(points[dev], shipped['calibration']):.3f} (shipped knots) -> "
              f"{mae(points[dev], knots):.3f} (fitted)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default=None, help="semicolon-separated row names (default: all)")
    ap.add_argument("--held-out", action="store_true", help="print the held-out outlets instead")
    ap.add_argument("--bin", default="target/release/claimtrack")
    ap.add_argument("--cache", default="target/framing-prototypes")
    ap.add_argument("--fit-calibration", action="store_true",
                    help="fit the calibration knots of the shipped formula (development outlets)")
    a = ap.parse_args()
    os.makedirs(a.cache, exist_ok=True)
    data = {c: load_claim(a.bin, c, a.cache) for c in CLAIMS}
    if a.fit_calibration:
        fit_calibration(data, a.held_out)
        return
    rows = expand()
    if a.variants:
        wanted = a.variants.split(";")
        rows = [r for r in rows if r[0] in wanted]
    half = "held-out" if a.held_out else "development"
    print(f"{half} outlets; criterion = mean of the four Spearman figures")
    print(f"{'variant':<52} {'default cf':>10} {'oracle':>7} {'havana cf':>10} {'oracle':>7} "
          f"{'criterion':>9}")
    for name, settings, kw in rows:
        p = dict(BEFORE, **settings)
        figures = []
        for claim, (articles, ref) in data.items():
            for key in ("cf", "gold"):
                xs, ys = [], []
                for art, sentences in articles.items():
                    outlet, reference = ref[art]
                    if is_development(outlet) == a.held_out:
                        continue
                    xs.append(score(stance_units(sentences, p, key), p, sentences=sentences,
                                    **kw))
                    ys.append(reference)
                figures.append(spearman(xs, ys))
        print(f"{name:<52} {figures[0]:>10.3f} {figures[1]:>7.3f} {figures[2]:>10.3f} "
              f"{figures[3]:>7.3f} {sum(figures) / 4:>9.4f}", flush=True)


if __name__ == "__main__":
    main()
