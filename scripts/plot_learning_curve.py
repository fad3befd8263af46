#!/usr/bin/env python3
"""Draw learning curves (macro-F1 and expert_skepticism F1 vs training sentences) as SVG.

Input: one or more `claimtrack evaluate --learning-curve ... --json` outputs, each given as
NAME=FILE. Output: a self-contained SVG on stdout (no plotting library needed).

Usage:
  claimtrack evaluate --data data/gold --articles ../shared/corpus --group outlet --folds 10 \
      --learning-curve 0.1,0.2,0.35,0.5,0.75,1 --json > lc.json
  claimtrack evaluate ... --no-cues --json > lc-words.json
  python3 scripts/plot_learning_curve.py "cue classes + words=lc.json" "words only=lc-words.json" \
      > docs/learning-curve.svg
"""

import json
import sys
from html import escape

W, H = 640, 380
L, R, T, B = 60, 190, 30, 50
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]


def main():
    series = []
    for arg in sys.argv[1:]:
        name, _, path = arg.partition("=")
        with open(path) as f:
            curve = json.load(f)
        pts = [
            (
                p["train_sentences"],
                p["model"]["macro_f1"],
                next(m["f1"] for m in p["model"]["per_label"] if m["label"] == "expert_skepticism"),
            )
            for p in curve["points"]
        ]
        series.append((name, pts, curve["scheme"]))
    if not series:
        sys.exit("usage: plot_learning_curve.py NAME=FILE [NAME=FILE ...]")
    xmax = max(x for _, pts, _ in series for x, _, _ in pts) * 1.05
    ymin, ymax = 0.4, 0.8

    def sx(x):
        return L + (W - L - R) * x / xmax

    def sy(y):
        return T + (H - T - B) * (1 - (y - ymin) / (ymax - ymin))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<text x="{L}" y="18" font-size="13">Learning curve, {escape(series[0][2])} '
        "(held-out outlets)</text>",
    ]
    for i in range(9):
        y = ymin + i * 0.05
        out.append(
            f'<line x1="{L}" x2="{W - R}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" stroke="#ddd"/>'
            f'<text x="{L - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{y:.2f}</text>'
        )
    step = 250 if xmax < 2500 else 1000
    x = 0
    while x <= xmax:
        out.append(
            f'<line x1="{sx(x):.1f}" x2="{sx(x):.1f}" y1="{H - B}" y2="{H - B + 4}" stroke="#333"/>'
            f'<text x="{sx(x):.1f}" y="{H - B + 18}" text-anchor="middle">{x}</text>'
        )
        x += step
    out.append(
        f'<line x1="{L}" x2="{W - R}" y1="{H - B}" y2="{H - B}" stroke="#333"/>'
        f'<line x1="{L}" x2="{L}" y1="{T}" y2="{H - B}" stroke="#333"/>'
        f'<text x="{(L + W - R) / 2}" y="{H - 10}" text-anchor="middle">'
        "training sentences (mean per fold)</text>"
        f'<text x="16" y="{(T + H - B) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {(T + H - B) / 2})">F1</text>'
    )
    legend_y = T + 10
    for k, (name, pts, _) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        for idx, dash, label in [(1, "", "macro-F1"), (2, ' stroke-dasharray="5 4"', "skepticism F1")]:
            path = " ".join(f"{sx(p[0]):.1f},{sy(p[idx]):.1f}" for p in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
            for p in pts:
                out.append(f'<circle cx="{sx(p[0]):.1f}" cy="{sy(p[idx]):.1f}" r="3" fill="{color}"/>')
            out.append(
                f'<line x1="{W - R + 12}" x2="{W - R + 36}" y1="{legend_y}" y2="{legend_y}" '
                f'stroke="{color}" stroke-width="2"{dash}/>'
                f'<text x="{W - R + 42}" y="{legend_y + 4}">{escape(name)}</text>'
                f'<text x="{W - R + 42}" y="{legend_y + 18}" fill="#555">{label}</text>'
            )
            legend_y += 38
    out.append("</svg>")
    print("\n".join(out))


if __name__ == "__main__":
    main()
