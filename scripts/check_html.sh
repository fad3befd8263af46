#!/usr/bin/env bash
# Renders the HTML framing report in a real browser (headless Chromium) and checks the rendered
# page: the summary, charts, table of contents and every outlet are there, the page's own table
# script runs under its Content-Security-Policy, hostile article text (script tags, attribute
# breakouts, </style>, javascript: links) stays inert text, and no chart or table is wider
# than the page at 1366 px (desktop) or 390 px (phone). It measures the seeds report and, when
# the corpora are there, the report of both corpus folders, and prints each page's height.
#
# Widths are exact: each page is measured inside an <iframe> of that width (a headless
# window cannot be narrower than 500 px), by scripts/overflow_probe.js injected into a copy of
# the page. With --screenshots it also writes docs/report-{seeds,corpus}-{1366,390}.png (the top
# of each page; needs ImageMagick's `convert` to crop the phone shots).
#
# Usage: scripts/check_html.sh [--model FILE] [--screenshots]
# Installs Chromium with apt-get when it is missing (Debian's `chromium` package; needs root).
# The corpora: $CLAIMTRACK_CORPUS (a :-separated list), else ../shared/corpus and corpus2.
set -euo pipefail
cd "$(dirname "$0")/.."

model_args=()
shots=0
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model_args=(--model "$2"); shift 2 ;;
    --screenshots) shots=1; shift ;;
    *) echo "usage: scripts/check_html.sh [--model FILE] [--screenshots]" >&2; exit 2 ;;
  esac
done

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
    --user-data-dir="$profile" --virtual-time-budget=5000 "$@" 2>/dev/null
}

fail() { echo "check_html: FAIL: $*" >&2; exit 1; }

# probe PAGE WIDTH: the probe's JSON for PAGE laid out WIDTH px wide.
probe() {
  local page=$1 width=$2 name
  name=$(basename "$page" .html)-$width
  # The copy drops the page's CSP (so the probe may run) and runs the probe after load.
  python3 - "$page" scripts/overflow_probe.js "$work/$name.probe.html" <<'PY'
import re, sys
page, probe, out = (open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3])
page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', '', page)
open(out, "w").write(page.replace("</body>", "<script>" + probe + "</script></body>"))
PY
  cat > "$work/$name.host.html" <<HOST
<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{margin:0}iframe{border:0;display:block}</style></head>
<body><iframe src="$name.probe.html" width="$width" height="900" scrolling="no"></iframe>
<script>addEventListener('message',function(e){var p=document.createElement('pre');p.id='overflow-probe';p.textContent=e.data;document.body.appendChild(p);});</script>
</body></html>
HOST
  chrome --window-size=$((width + 40)),1000 --dump-dom "file://$work/$name.host.html" \
    | grep -o '<pre id="overflow-probe">[^<]*' | sed -e 's/^<pre id="overflow-probe">//' -e 's/&quot;/"/g'
}

# check_layout PAGE LABEL: no overflow or clipping at either width; prints the heights.
check_layout() {
  local page=$1 label=$2 w json
  for w in 1366 390; do
    json=$(probe "$page" "$w")
    [ -n "$json" ] || fail "$label at $w px: the layout probe did not report"
    python3 - "$label" "$w" "$json" <<'PY' || exit 1
import json, sys
label, width, r = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
problems = []
if r["width"] != width:
    problems.append(f"laid out {r['width']} px wide, not {width}")
if r["scroll"] > r["width"]:
    problems.append(f"the page scrolls sideways ({r['scroll']} px wide)")
problems += [f"overflows: {o}" for o in r["overflow"]]
problems += [f"cut off: {c}" for c in r["clipped"]]
if r["boxes"] == 0:
    problems.append("no svg or table measured")
print(f"check_html: {label} at {width} px: height {r['height']} px ({r['open']} px with every section open), {r['boxes']} charts and tables measured")
if problems:
    for p in problems:
        print(f"check_html: FAIL: {label} at {width} px: {p}", file=sys.stderr)
    sys.exit(1)
PY
  done
}

# screenshot PAGE NAME: the top of PAGE at 1366 and 390 px as docs/report-NAME-*.png (the
# summary, the outlet chart with its sample sizes and the timeline; the evidence stays folded).
screenshot() {
  local page=$1 name=$2 deskh=$3 phoneh=$4
  chrome --screenshot="$work/$name-1366.png" --window-size=1366,"$deskh" --hide-scrollbars "file://$page"
  cp "$work/$name-1366.png" "docs/report-$name-1366.png"
  cat > "$work/$name-phone.html" <<HOST
<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{margin:0}iframe{border:0;display:block}</style></head>
<body><iframe src="file://$page" width="390" height="$phoneh" scrolling="no"></iframe></body></html>
HOST
  chrome --screenshot="$work/$name-phone.png" --window-size=500,"$phoneh" --hide-scrollbars "file://$work/$name-phone.html"
  # The window is at least 500 px wide: crop the 390 px frame out of it.
  if ! convert "$work/$name-phone.png" -crop "390x$phoneh+0+0" +repage "docs/report-$name-390.png" 2>/dev/null; then
    echo "check_html: ImageMagick's convert did not crop: the phone shot keeps a blank margin" >&2
    cp "$work/$name-phone.png" "docs/report-$name-390.png"
  fi
}

# 1. The seeds report: summary, charts, contents and outlets in the rendered DOM.
"$bin" report -q "${model_args[@]}" --format html --out "$work/seeds.html" seeds/
chrome --dump-dom "file://$work/seeds.html" > "$work/seeds.dom"
[ -s "$work/seeds.dom" ] || fail "chromium rendered nothing"
grep -q '<section id="summary">' "$work/seeds.dom" || fail "no summary"
grep -q '<p class="answer">Of 5 outlets' "$work/seeds.dom" || fail "the summary does not count the 5 outlets"
grep -q '<nav class="toc"' "$work/seeds.dom" || fail "no table of contents"
grep -q 'class="how-to-read"' "$work/seeds.dom" || fail "no how-to-read note"
grep -q '<svg class="timeline wide"' "$work/seeds.dom" || fail "no timeline"
grep -q '<svg class="timeline narrow"' "$work/seeds.dom" || fail "no narrow timeline"
count() { grep -o "$1" "$2" | wc -l || true; }
dots=$(count 'class="score-dot ' "$work/seeds.dom")
[ "$dots" -eq 5 ] || fail "expected 5 outlet dots, found $dots"
bars=$(count '<i class="share ' "$work/seeds.dom")
[ "$bars" -eq 20 ] || fail "expected 20 share segments (5 outlets x 4 labels), found $bars"
strips=$(count '<svg class="sentence-strip"' "$work/seeds.dom")
[ "$strips" -eq 5 ] || fail "expected 5 sentence strips, found $strips"
grep -q 'data-sortable="ready"' "$work/seeds.dom" \
  || fail "the table script did not run under the page's Content-Security-Policy"
for outlet in "New York Post" "Bangkok Post" "UNN" "The Stock Dork" "Kyiv Post"; do
  grep -q "$outlet" "$work/seeds.dom" || fail "outlet $outlet missing"
done
grep -q '<a href="https://nypost.com/' "$work/seeds.dom" || fail "no link to the New York Post article"
check_layout "$work/seeds.html" seeds

# 2. The corpus report (both folders), when the corpora are on this machine.
corpora=()
IFS=: read -r -a listed <<< "${CLAIMTRACK_CORPUS:-../shared/corpus:../shared/corpus2}"
for d in "${listed[@]}"; do [ -d "$d" ] && corpora+=("$d"); done
if [ ${#corpora[@]} -gt 0 ]; then
  "$bin" report -q "${model_args[@]}" --format html --out "$work/corpus.html" "${corpora[@]}"
  check_layout "$work/corpus.html" corpus
else
  echo "check_html: corpus report SKIPPED: no corpus folder (set CLAIMTRACK_CORPUS)"
fi

if [ "$shots" -eq 1 ]; then
  mkdir -p docs
  screenshot "$work/seeds.html" seeds 1900 3300
  if [ ${#corpora[@]} -gt 0 ]; then screenshot "$work/corpus.html" corpus 2250 4200; fi
fi

# 3. Hostile text: nothing may execute, become markup or become a javascript: link.
mkdir "$work/hostile"
cat > "$work/hostile/evil.txt" <<'ART'
---
outlet: <script>document.title='PWNED'</script>Evil Outlet
date: 2024-02-02
url: javascript:document.title='PWNED'
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
[ "$(count '<script' "$work/hostile.dom")" -eq 1 ] \
  || fail "a script element other than the page's own reached the DOM"
grep -qi '<img' "$work/hostile.dom" && fail "an img element reached the DOM"
grep -qi '<svg onload' "$work/hostile.dom" && fail "an injected svg element reached the DOM"
grep -qi 'href="javascript' "$work/hostile.dom" && fail "a javascript: URL became a link"
grep -q 'Evil Outlet' "$work/hostile.dom" || fail "the hostile outlet name is not shown as text"
echo "check_html: OK (rendered in $(chromium --version 2>/dev/null | head -1))"
