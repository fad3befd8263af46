#!/usr/bin/env python3
"""Ablation of the framing formula against the human reference (docs/FRAMING.md).

Runs `claimtrack evaluate --framing data/framing-reference.tsv` once per variant (framing
settings and hedge list), with cross-fitted labels (10 outlet folds) and with gold labels
(--oracle), and prints article-level Spearman on the development and held-out outlets.
Choices are made on the development outlets only; the held-out column is for the report.

Usage: scripts/framing_ablation.py [--articles DIR ...] [--variants NAME;...] [--bin PATH]
                                   [--project DIR]

--project DIR runs the variants on another claim's project instead (its gold, articles,
hedges and framing reference), e.g. projects/havana-syndrome. The third round's variants
(both claims) start from the settings shipped before it, the fourth round's from the settings
shipped after the third; scripts/framing_prototypes.py reproduces the rows whose formula is not
in the tool.
"""
import argparse, json, os, subprocess, sys, tempfile

V = "data/framing-variants"
# The settings shipped before the third round (data/framing.json at that time).
BEFORE = {"hedge_discount": 0.0, "full_evidence": 0.75, "claim_prior": 0.5,
          "calibration": [[-1.0, -1.0], [-0.5, -0.72], [0.0, -0.17], [0.5, 0.06],
                          [0.75, 0.38], [1.0, 0.88]]}
# The settings shipped before the fourth round (smooth position weighting, refitted knots).
ROUND3 = {**BEFORE, "primacy_share": 0.0, "position_scale": 3.0,
          "calibration": [[-1.0, -1.0], [-0.5, -0.75], [0.0, -0.18], [0.5, 0.11],
                          [0.75, 0.45], [1.0, 0.88]]}
FLAT = {"headline_weight": 1.0, "lede_weight": 1.0, "heading_weight": 1.0, "tail_weight": 1.0}
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
    # Third round, on both claims (run once plain and once with --project
    # projects/havana-syndrome): from the settings shipped before it.
    "before": (BEFORE, None),
    "before + no primacy": ({**BEFORE, "primacy_share": 0.0}, None),
    "before + primacy 0.25": ({**BEFORE, "primacy_share": 0.25}, None),
    "before + flat prominence": ({**BEFORE, **FLAT}, None),
    "before + flat prominence + no primacy": ({**BEFORE, **FLAT, "primacy_share": 0.0}, None),
    **{f"before + primacy scale {x:g}": ({**BEFORE, "primacy_scale": x}, None) for x in (2.0, 3.0, 5.0)},
    **{f"before + shrinkage {x:g}": ({**BEFORE, "prior_mass": x}, None) for x in (0.25, 1.0, 2.0)},
    **{f"before + claim_prior {x:g}": ({**BEFORE, "claim_prior": x}, None) for x in (0.0, 0.25, 1.0)},
    **{f"before + position scale {x:g}": ({**BEFORE, "primacy_share": 0.0, "position_scale": x}, None)
       for x in (1.0, 2.0, 3.0, 4.0, 5.0, 8.0, 12.0)},
    **{f"before + position scale {x:g} + claim_prior 0.25":
       ({**BEFORE, "primacy_share": 0.0, "position_scale": x, "claim_prior": 0.25}, None) for x in (3.0, 5.0, 8.0)},
    "before + position scale 5 + shrinkage 0.25": ({**BEFORE, "primacy_share": 0.0, "position_scale": 5.0, "prior_mass": 0.25}, None),
    **{f"before + position scale 5 + full_evidence {x:g}":
       ({**BEFORE, "primacy_share": 0.0, "position_scale": 5.0, "full_evidence": x}, None) for x in (0.5, 1.0)},
    "before + primacy scale 5 + tail 1": ({**BEFORE, "primacy_scale": 5.0, "tail_weight": 1.0}, None),
    "before + primacy scale 5 + headline 2, lede 1.5": ({**BEFORE, "primacy_scale": 5.0, "headline_weight": 2.0, "lede_weight": 1.5}, None),
    # Fourth round, on both claims: from the settings shipped before it.
    "round 3": (ROUND3, None),
    **{f"round 3 + headline presence {x:g}": ({**ROUND3, "headline_presence": x}, None)
       for x in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75)},
    "round 3 + headline presence 0.5 + position scale 5":
       ({**ROUND3, "headline_presence": 0.5, "position_scale": 5.0}, None),
}


def run(binary, articles, settings, hedges, oracle, project=None):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(settings, f)
        path = f.name
    if project:
        cmd = [binary, "--project", project, "evaluate", "--framing", "--framing-params", path,
               "--folds", "10", "--worst", "0", "--json"]
    else:
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
    ap.add_argument("--project", default=None, help="another claim's project folder")
    a = ap.parse_args()
    variants = dict(VARIANTS)
    if a.settings or a.hedges:
        variants = {"extra": (json.loads(a.settings or "{}"), a.hedges)}
    elif a.variants:
        variants = {k: VARIANTS[k] for k in a.variants.split(";")}
    print(f"{'variant':<26} {'dev rho':>8} {'held-out':>9} {'dev MAE':>8} | {'oracle dev':>10} {'held-out':>9}")
    for name, (settings, hedges) in variants.items():
        cf = run(a.bin, a.articles, settings, hedges, False, a.project)
        orc = run(a.bin, a.articles, settings, hedges, True, a.project)
        print(f"{name:<26} {cf['development']['spearman']:>8.3f} {cf['held-out']['spearman']:>9.3f} "
              f"{cf['development']['mae']:>8.3f} | {orc['development']['spearman']:>10.3f} "
              f"{orc['held-out']['spearman']:>9.3f}", flush=True)


if __name__ == "__main__":
    main()
