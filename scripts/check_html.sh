#!/usr/bin/env bash
# Renders the HTML framing report in a real browser (headless Chromium) and checks the rendered
# page: the SVG charts and every outlet are there, and hostile article text (script tags,
# attribute breakouts, </style>) stays inert text. Keeps a screenshot of the seeds report as
# docs/report-seeds.png.
#
# Usage: scripts/check_html.sh [--model FILE]      (default: the model shipped in the binary)
# Installs Chromium with apt-get when it is missing (Debian's `chromium` package; needs root).
set -euo pipefail
cd "$(dirname "$0")/.."

model_args=()
if [ "${1:-}" = "--model" ] && [ -n "${2:-}" ]; then
  model_args=(--model "$2")
fi

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (apt-get)..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

cargo build --quiet
bin="${CARGO_TARGET_DIR:-target}/debug/claimtrack"
work=$(mktemp -d)
profile=$(mktemp -d)
trap 'rm -rf "$work" "$profile"' EXIT

chrome() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --virtual-time-budget=2000 "$@" 2>/dev/null
}

fail() { echo "check_html: FAIL: $*" >&2; exit 1; }

# 1. The seeds report: charts and outlets in the rendered DOM, and a screenshot.
"$bin" report -q "${model_args[@]}" --format html --out "$work/seeds.html" seeds/
chrome --dump-dom "file://$work/seeds.html" > "$work/seeds.dom"
[ -s "$work/seeds.dom" ] || fail "chromium rendered nothing"
grep -q '<svg class="dotplot"' "$work/seeds.dom" || fail "no credibility dot plot"
grep -q '<svg class="shares"' "$work/seeds.dom" || fail "no label-share bars"
grep -q '<svg class="timeline"' "$work/seeds.dom" || fail "no timeline"
dots=$(grep -o 'class="score-dot"' "$work/seeds.dom" | wc -l)
[ "$dots" -eq 5 ] || fail "expected 5 outlet dots, found $dots"
bars=$(grep -o '<rect class="share ' "$work/seeds.dom" | wc -l)
[ "$bars" -eq 20 ] || fail "expected 20 share segments (5 outlets x 4 labels), found $bars"
strips=$(grep -o '<svg class="sentence-strip"' "$work/seeds.dom" | wc -l)
[ "$strips" -eq 5 ] || fail "expected 5 sentence strips, found $strips"
for outlet in "New York Post" "Bangkok Post" "UNN" "The Stock Dork" "Kyiv Post"; do
  grep -q "$outlet" "$work/seeds.dom" || fail "outlet $outlet missing"
done
mkdir -p docs
chrome --screenshot="$work/shot.png" --window-size=1200,2600 --hide-scrollbars "file://$work/seeds.html"
[ -s "$work/shot.png" ] || fail "no screenshot"
cp "$work/shot.png" docs/report-seeds.png

# 2. Hostile text: nothing may execute or become markup.
mkdir "$work/hostile"
cat > "$work/hostile/evil.txt" <<'ART'
---
outlet: <script>document.title='PWNED'</script>Evil Outlet
date: 2024-02-02
title: "><img src=x onerror="document.title='PWNED'">
---
"><img src=x onerror="document.title='PWNED'"> Putin has reportedly signalled he is open to talks.

</style><script>document.title='PWNED'</script> US officials denied receiving any message.

<svg onload="document.title='PWNED'"></svg> Experts cautioned it could be a ploy.
ART
"$bin" report -q "${model_args[@]}" --format html --out "$work/hostile.html" "$work/hostile"
chrome --dump-dom "file://$work/hostile.html" > "$work/hostile.dom"
[ -s "$work/hostile.dom" ] || fail "chromium rendered nothing for the hostile report"
grep -q '<title>claimtrack: credibility framing report</title>' "$work/hostile.dom" \
  || fail "the page title changed: a script ran"
grep -qi '<script' "$work/hostile.dom" && fail "a script element reached the DOM"
grep -qi '<img' "$work/hostile.dom" && fail "an img element reached the DOM"
grep -qi '<svg onload' "$work/hostile.dom" && fail "an injected svg element reached the DOM"
grep -q 'Evil Outlet' "$work/hostile.dom" || fail "the hostile outlet name is not shown as text"
echo "check_html: OK (rendered in $(chromium --version 2>/dev/null | head -1)); screenshot in docs/report-seeds.png"
