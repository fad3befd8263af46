#!/usr/bin/env bash
# Compare claimtrack with scikit-learn on the same gold and folds.
# Creates a venv under target/ with scikit-learn on first use, dumps the examples claimtrack
# loads, then runs scripts/compare_sklearn.py on them. Extra arguments go to the Python script
# (for example --C 0.5 or --class-weight balanced).
#
# Usage: scripts/compare_sklearn.sh [--data data/gold] [--articles DIR]... [-- PY_ARGS...]
# (default articles: ../shared/corpus and ../shared/corpus2 when present)
set -euo pipefail
cd "$(dirname "$0")/.."

data=data/gold
articles=()
given=0
for d in ../shared/corpus ../shared/corpus2; do [ -d "$d" ] && articles+=("$d"); done
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --articles) [ "$given" = 0 ] && articles=(); given=1; articles+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done

venv=target/sklearn-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import sklearn" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet scikit-learn
fi

examples=target/compare-examples.jsonl
mkdir -p target
art=()
[ "${#articles[@]}" -gt 0 ] && art=(--articles "${articles[@]}")
cargo run --quiet --release -- evaluate --data "$data" "${art[@]}" --dump-examples "$examples"
"$venv/bin/python" scripts/compare_sklearn.py "$examples" "$@"
