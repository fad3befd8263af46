#!/usr/bin/env python3
"""Ablation of the framing formula against the human reference (docs/FRAMING.md).

Runs `claimtrack evaluate --framing data/framing-reference.tsv` once per variant (framing
settings and hedge list), with cross-fitted labels (10 outlet folds) and with gold labels
(--oracle), and prints article-level Spearman on the development and held-out outlets.
Choices are made on the development outlets only; the held-out column is for the report.

Usage: scripts/framing_ablation.py [--articles DIR ...] [--variants NAME,...] [--bin PATH]
"""
import argparse, json, os, subprocess, sys, tempfile

V = "data/framing-variants"
VARIANTS = {
    # name: (framing settings, hedge list or None for the built-in one)
    "shipped": ({}, None),
    "no primacy": ({"primacy_share": 0.0}, None),
    "primacy 0.25": ({"primacy_share": 0.25}, None),
    "no shrinkage": ({"prior_mass": 1e-6}, None),
    "shrinkage 2": ({"prior_mass": 2.0}, None),
    "flat prominence": ({"headline_weight": 1.0, "lede_weight": 1.0, "heading_weight": 1.0, "tail_weight": 1.0}, None),
    "lambda 1": ({"hedge_discount": 1.0}, None),
    "lambda 0": ({"hedge_discount": 0.0}, None),
    "hard labels": ({"hard_labels": True}, None),
    "hedges: distancing only": ({}, f"{V}/hedges-distancing.txt"),
    "hedges: no scare quotes": ({}, f"{V}/hedges-no-scare-quotes.txt"),
    "hedges: no modals": ({}, f"{V}/hedges-no-modals.txt"),
    "hedges: no attribution": ({}, f"{V}/hedges-no-attribution.txt"),
    # Second round: combinations around the first round's best single change (lambda 0).
    "lambda 0 + shrinkage 2": ({"hedge_discount": 0.0, "prior_mass": 2.0}, None),
    "lambda 0 + flat prominence": ({"hedge_discount": 0.0, "headline_weight": 1.0, "lede_weight": 1.0, "heading_weight": 1.0, "tail_weight": 1.0}, None),
    "lambda 0 + no primacy": ({"hedge_discount": 0.0, "primacy_share": 0.0}, None),
    "lambda 0 + primacy 0.25": ({"hedge_discount": 0.0, "primacy_share": 0.25}, None),
    "distancing lambda 0.25": ({"hedge_discount": 0.25}, f"{V}/hedges-distancing.txt"),
    "distancing shrinkage 2": ({"prior_mass": 2.0}, f"{V}/hedges-distancing.txt"),
}


def run(binary, articles, settings, hedges, oracle):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(settings, f)
        path = f.name
    cmd = [binary, "evaluate", "--data", "data/gold", "--articles", *articles,
           "--framing", "data/framing-reference.tsv", "--framing-params", path,
           "--folds", "10", "--worst", "0", "--json"]
    if hedges:
        cmd += ["--hedges", hedges]
    if oracle:
        cmd.append("--oracle")
    out = subprocess.run(cmd, capture_output=True, text=True)
    os.unlink(path)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)}\n{out.stderr}")
    v = json.loads(out.stdout)
    return {s["set"]: s["articles"] for s in v["sets"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", nargs="+", default=["../shared/corpus", "../shared/corpus2"])
    ap.add_argument("--variants", default=None, help="semicolon-separated names (default: all)")
    ap.add_argument("--settings", default=None, help="extra variant: JSON settings")
    ap.add_argument("--hedges", default=None, help="hedge list for the extra variant")
    ap.add_argument("--bin", default="target/release/claimtrack")
    a = ap.parse_args()
    variants = dict(VARIANTS)
    if a.settings or a.hedges:
        variants = {"extra": (json.loads(a.settings or "{}"), a.hedges)}
    elif a.variants:
        variants = {k: VARIANTS[k] for k in a.variants.split(";")}
    print(f"{'variant':<26} {'dev rho':>8} {'held-out':>9} {'dev MAE':>8} | {'oracle dev':>10} {'held-out':>9}")
    for name, (settings, hedges) in variants.items():
        cf = run(a.bin, a.articles, settings, hedges, False)
        orc = run(a.bin, a.articles, settings, hedges, True)
        print(f"{name:<26} {cf['development']['spearman']:>8.3f} {cf['held-out']['spearman']:>9.3f} "
              f"{cf['development']['mae']:>8.3f} | {orc['development']['spearman']:>10.3f} "
              f"{orc['held-out']['spearman']:>9.3f}", flush=True)


if __name__ == "__main__":
    main()
