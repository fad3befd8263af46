#!/usr/bin/env bash
# claimtrack vs scikit-learn, side by side on the same files, in one run (ratios, not absolute
# times, are what to compare: shared machines are noisy). See BENCHMARKS.md for results.
#
#   scripts/bench_vs_sklearn.sh [all|real|classify|train|one-fit|same-work|tolerance|same-matrix|stream|plot]
#                                                                                (default: all)
#
# `one-fit` and `same-work` compare training like for like at BENCH_TRAIN sentences (default
# 100,000, generated from the gold), paired interleaved CPU times, BENCH_TRAIN_RUNS pairs
# (default 3), one core each (`bench_vs_sklearn.py train-paired`):
#   one-fit    ONE FIT against one fit: `claimtrack --threads 1 train --no-decode
#              --no-calibrate` against scikit-learn's fit_transform + fit.
#   same-work  THE SAME WORK: the whole `claimtrack --threads 1 train` (final fit plus the
#              inner cross-validation of 5 folds of whole articles, warm-started from the
#              final model) against scikit-learn's fit on all the sentences plus 5 GroupKFold
#              folds by article, each with its vectorizer refitted, warm-started from the full
#              fit (warm_start=True, coef_ set by term), giving out-of-fold probabilities.
# Neither is part of `all` (each takes minutes at 100,000 sentences). With BENCH_TOLERANCE=T,
# claimtrack's fits in both get `--tolerance T` (default: claimtrack's own default, 1e-4).
#
# The same comparison AT THE SAME OPTIMUM (the default tolerance is stricter than scikit-learn's
# max-abs rule at 100,000 sentences, so the default fits do not solve to the same precision):
#   tolerance    finds T*, the largest `--tolerance` at which claimtrack's one fit stops at an
#                objective (claimtrack's, on claimtrack's matrix from `evaluate
#                --dump-features`) at or below scikit-learn's fitted on that matrix; prints
#                every tolerance tried with its iterations and objective
#                (`bench_vs_sklearn.py tolerance-for-objective`). Then run `one-fit` with
#                BENCH_TOLERANCE=T*.
#   same-matrix  at BENCH_TOLERANCE (required; T* from `tolerance`): claimtrack's fit against
#                scikit-learn's LogisticRegression.fit on claimtrack's dumped matrix (no
#                vectorizing on its side). claimtrack cannot fit from the matrix, so its fit is
#                estimated as the CPU time of the process at T* minus that of the same process
#                with `--max-iterations 1` (featurizing, start-up, one iteration, the model
#                written), the three runs interleaved (`bench_vs_sklearn.py matrix-paired`).
#
# `real` is the headline comparison: real corpus sentences (`claimtrack sentences` over the
# seeds and the corpora, cycled to BENCH_REAL_LINES lines), as plain text and as JSONL, both
# tools trained on the same gold, paired interleaved CPU-time ratios (median of BENCH_RUNS).
#
# Needs: cargo, python3 (a venv with scikit-learn==$SKLEARN, numpy==$NUMPY and scipy==$SCIPY
# is made in .venv-bench/ on first use; pip must reach PyPI or a local wheel directory given in PIP_FIND_LINKS), GNU time at
# /usr/bin/time (peak RSS). The shared material beside the repo (../shared/corpus and
# ../shared/corpus2, or the folders of $CLAIMTRACK_CORPUS separated by `:`) gives the full
# gold (seeds + both corpora, 3,316 sentences); without it
# the corpus is built from data/gold/seeds.jsonl alone (154 sentences: smaller vocabulary,
# numbers not comparable with BENCHMARKS.md).
#
# Environment: BENCH_GB (size of the streaming corpus, default 1), BENCH_SIZES (classify input
# sizes), BENCH_REPEAT (classify runs per tool and size, the best one counts; default 3),
# BENCH_BOOTSTRAP (replicates in the streaming run, default 100; the framing bootstrap
# dominates score time and does not change what is being checked: memory and identical output).
#
# Everything generated (corpus, outputs) goes to bench-data/ (git-ignored: it is third-party
# text); the numbers go to bench-data/results.json and, with `plot`, docs/bench-throughput.svg.
set -euo pipefail
cd "$(dirname "$0")/.."

SKLEARN=1.6.1
NUMPY=2.4.6
SCIPY=1.17.1
MATPLOTLIB=3.9.2
OUT=bench-data
SIZES=${BENCH_SIZES:-"1000 10000 100000 300000 1000000"}
GB=${BENCH_GB:-1}
REPEAT=${BENCH_REPEAT:-3}
BOOT=${BENCH_BOOTSTRAP:-100}
REAL_LINES=${BENCH_REAL_LINES:-300000}
RUNS=${BENCH_RUNS:-5}
TRAIN_N=${BENCH_TRAIN:-100000}
TRAIN_RUNS=${BENCH_TRAIN_RUNS:-3}
TOLERANCE=${BENCH_TOLERANCE:-}
what=${1:-all}
mkdir -p "$OUT"

venv=.venv-bench
if ! "$venv/bin/python" -c "import numpy, scipy, sklearn
assert (numpy.__version__, scipy.__version__, sklearn.__version__) == ('$NUMPY', '$SCIPY', '$SKLEARN')" \
    2>/dev/null; then
  echo "== creating $venv with scikit-learn $SKLEARN, NumPy $NUMPY, SciPy $SCIPY" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "numpy==$NUMPY" "scipy==$SCIPY" "scikit-learn==$SKLEARN"
  "$venv/bin/pip" install --quiet "matplotlib==$MATPLOTLIB" \
    || echo "note: matplotlib not installed; the plot will be written as plain SVG" >&2
fi
PY="$venv/bin/python"
HELPER=scripts/bench_vs_sklearn.py

cargo build --release --quiet
# A copy, so rebuilding during a long run does not swap the binary under it.
cp "${CARGO_TARGET_DIR:-target}/release/claimtrack" "$OUT/claimtrack"
BIN="$OUT/claimtrack"

# The article folders of the stand-off gold: CLAIMTRACK_CORPUS (folders separated by `:`).
corpus=${CLAIMTRACK_CORPUS:-../shared/corpus:../shared/corpus2}
IFS=: read -r -a corpus_dirs <<< "$corpus"
art=()
for d in "${corpus_dirs[@]}"; do [ -d "$d" ] && art+=("$d"); done
if [ ${#art[@]} -gt 0 ]; then
  art=(--articles "${art[@]}")
else
  echo "note: $corpus not found: building the corpus from data/gold/seeds.jsonl only." >&2
  echo "      For the full gold put the shared material beside the repo (../shared/corpus) or" >&2
  echo "      set CLAIMTRACK_CORPUS=DIR; results are then not comparable with BENCHMARKS.md." >&2
fi

# Machine and conditions, recorded with the results.
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "== machine: $(nproc) cores, $cpu; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# Wall seconds of a command, its stdout going to the file given first.
wall() { # wall OUT CMD...
  local out=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$@" > "$out"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

# Time of a command (wall seconds) and its peak RSS (KB), from GNU time.
timed() { # timed NAME CMD... ; stdout of CMD goes to $OUT/NAME.out
  local name=$1; shift
  local s
  s=$(wall "$OUT/$name.out" /usr/bin/time -f "%M" -o "$OUT/$name.time" "$@")
  echo "$s $(tail -1 "$OUT/$name.time")"
}

# timed_null CMD... : like `timed`, with the output thrown away (no RSS: "-").
timed_null() { echo "$(wall /dev/null "$@") -"; }

# The smaller of two times (the first may be empty).
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }

gold="$OUT/gold.jsonl"
missing=false
for n in $SIZES; do [ -s "$OUT/sentences_$n.txt" ] || missing=true; done
# The generator draws sentences in a fixed order from a fixed seed: files made by an earlier
# run with fewer sizes are reproduced byte for byte, so regenerating only adds what is missing.
if [ ! -s "$OUT/train.jsonl" ] || [ ! -s "$OUT/gold.jsonl" ] || $missing; then
  echo "== building the corpus in $OUT/ (fixed seed)" >&2
  "$BIN" evaluate --data data/gold "${art[@]}" --dump-examples "$gold"
  # shellcheck disable=SC2086
  "$PY" "$HELPER" gen "$gold" "$OUT" --sizes $SIZES --gb 0
fi

# claimtrack's defaults, mapped to scikit-learn's parameters (alpha = 1/C).
# claimtrack's default alpha (ModelParams::default(), chosen in docs/MODEL.md).
ALPHA=0.1
C=$("$PY" -c "print(1/$ALPHA)")
results="$OUT/results.json"
[ -s "$results" ] || echo '{}' > "$results"
put() { # put KEY JSON
  "$PY" - "$results" "$1" "$2" <<'EOF'
import json, sys
path, key, value = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
with open(path) as f:
    res = json.load(f)
res[key] = value
with open(path, "w") as f:
    json.dump(res, f, indent=1)
EOF
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
machine_json() { # machine_json LOAD_AT_START
  printf '{"nproc": %s, "cpu": "%s", "loadavg_start": "%s", "loadavg_end": "%s", "sklearn": "%s", "date": "%s"}' \
    "$(nproc)" "$cpu" "$1" "$(load)" "$SKLEARN" "$(date -u +%FT%TZ)"
}

if [ "$what" = all ] || [ "$what" = real ]; then
  echo "== real: corpus sentences, plain text and JSONL, paired CPU time, median of $RUNS" >&2
  l0=$(load)
  # Both tools learn from the same gold: claimtrack trains its model on the dumped examples.
  "$BIN" train --data "$gold" --out "$OUT/gold-model.json"
  dirs=(seeds)
  IFS=: read -r -a cdirs <<< "${CLAIMTRACK_CORPUS:-../shared/corpus:../shared/corpus2}"
  for d in "${cdirs[@]}"; do [ -d "$d" ] && dirs+=("$d"); done
  "$BIN" sentences "${dirs[@]}" > "$OUT/real_sentences.jsonl"
  "$PY" "$HELPER" cycle "$OUT/real_sentences.jsonl" "$REAL_LINES" "$OUT/real.jsonl" "$OUT/real.txt"
  rows="["
  for f in "$OUT/real.txt" "$OUT/real.jsonl"; do
    cat "$f" > /dev/null
    row=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
      "$PY" "$HELPER" paired "$gold" "$f" --claimtrack "$BIN" --model "$OUT/gold-model.json" \
      --C "$C" --runs "$RUNS")
    echo "$row" >&2
    rows="$rows$row,"
  done
  put real "${rows%,}]"
  put machine_real "$(machine_json "$l0")"
fi

if [ "$what" = all ] || [ "$what" = classify ]; then
  echo "== classify: sentences/s, one core each, then claimtrack --threads 2" >&2
  l0=$(load)
  rows="["
  for n in $SIZES; do
    f="$OUT/sentences_$n.txt"
    # Read the input once first: this VM's memory reclaimer (DAMON) evicts cold files from the
    # page cache, and a run that pays for the disk measures the disk, not the classifier
    # (scikit-learn's timing starts with the texts already in memory).
    cat "$f" > /dev/null
    # Once each to a file: the outputs of one and two threads must be the same bytes, and
    # the time with the output stored on this machine's disk is reported beside the others.
    read -r f1 kb1 < <(timed "classify_${n}_t1" "$BIN" --threads 1 classify "$f")
    read -r f2 kb2 < <(timed "classify_${n}_t2" "$BIN" --threads 2 classify "$f")
    cmp -s "$OUT/classify_${n}_t1.out" "$OUT/classify_${n}_t2.out" \
      || { echo "error: --threads 1 and 2 outputs differ for $f" >&2; exit 1; }
    # Those two files (up to 2 x 333 MB) are written back to disk by the kernel after the
    # runs end: wait for it, or the write-back shares the two cores with the timed runs.
    sync
    # The timed runs: every output byte rendered and written, to /dev/null (scikit-learn's
    # side stores nothing either; the disk's write-back cost varies with the file system
    # and what else is being written). Best of $REPEAT runs, one and two threads in turn:
    # the statistic scikit-learn's side reports (best of three by default), so a
    # neighbour's burst hits both tools alike.
    s1=; s2=
    for _ in $(seq "$REPEAT"); do
      read -r t _ < <(timed_null "$BIN" --threads 1 classify "$f")
      s1=$(best "$s1" "$t")
      read -r t _ < <(timed_null "$BIN" --threads 2 classify "$f")
      s2=$(best "$s2" "$t")
    done
    sk=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
      "$PY" "$HELPER" sklearn-classify "$gold" "$f" --C "$C" --repeat "$REPEAT")
    row=$("$PY" -c "
import json,sys
sk=json.loads('''$sk''')
n=$n; s1=$s1; s2=$s2; f1=$f1; f2=$f2
print(json.dumps({'sentences':n,'claimtrack_1t':n/s1,'claimtrack_2t':n/s2,'sklearn':sk['per_second'],
 'ratio_1t_vs_sklearn':n/s1/sk['per_second'],'scaling_2t':s1/s2,
 'claimtrack_1t_to_file':n/f1,'claimtrack_2t_to_file':n/f2,'ratio_1t_to_file_vs_sklearn':n/f1/sk['per_second'],
 'scaling_2t_to_file':f1/f2,'rss_kb_1t':$kb1,'rss_kb_2t':$kb2}))")
    echo "$row" >&2
    rows="$rows$row,"
  done
  put classify "${rows%,}]"
  put machine_classify "$(machine_json "$l0")"
fi

if [ "$what" = all ] || [ "$what" = train ]; then
  echo "== train: 20,000 sentences, vectorize + fit, one core each; same optimum check" >&2
  l0=$(load)
  cat "$OUT/train.jsonl" "$BIN" > /dev/null # into the page cache (see classify)
  read -r st kbt < <(timed train_t1 "$BIN" --threads 1 train --data "$OUT/train.jsonl" --out "$OUT/model.json")
  read -r st2 kbt2 < <(timed train_t2 "$BIN" --threads 2 train --data "$OUT/train.jsonl" --out "$OUT/model2.json")
  cmp -s "$OUT/model.json" "$OUT/model2.json" || { echo "error: models differ across thread counts" >&2; exit 1; }
  "$BIN" classify --model "$OUT/model.json" "$OUT/test.jsonl" > "$OUT/test.pred.jsonl"
  ct_acc=$("$PY" "$HELPER" accuracy "$OUT/test.jsonl" "$OUT/test.pred.jsonl")
  sk=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
    "$PY" "$HELPER" sklearn-train "$OUT/train.jsonl" "$OUT/test.jsonl" --C "$C")
  "$BIN" evaluate --data "$OUT/train.jsonl" --dump-features "$OUT/train.svm"
  same=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$PY" "$HELPER" same-optimum "$OUT/train.svm" "$OUT/model.json" --C "$C")
  row=$("$PY" -c "
import json
m=json.load(open('$OUT/model.json'))['content']['training']['convergence']
sk=json.loads('''$sk'''); acc=json.loads('''$ct_acc'''); same=json.loads('''$same''')
print(json.dumps({'examples':20000,'claimtrack_seconds_1t':$st,'claimtrack_seconds_2t':$st2,'sklearn_seconds':sk['seconds'],
 'ratio_1t_vs_sklearn':$st/sk['seconds'],'claimtrack_iterations':m['iterations'],'claimtrack_gradient_norm':m['gradient_norm'],
 'claimtrack_heldout_accuracy':acc['heldout_accuracy'],'sklearn_heldout_accuracy':sk['heldout_accuracy'],
 'sklearn_iterations':sk['iterations'],'rss_kb_1t':$kbt,'same_optimum':same}))")
  echo "$row" >&2
  put train "$row"
  put machine_train "$(machine_json "$l0")"
fi

case "$what" in one-fit | same-work | tolerance | same-matrix)
  echo "== $what: train on $TRAIN_N sentences, one core each" >&2
  l0=$(load)
  tdir="$OUT/train_$TRAIN_N"
  if [ ! -s "$tdir/train.jsonl" ]; then
    "$PY" "$HELPER" gen "$gold" "$tdir" --sizes 1 --train "$TRAIN_N" --test 100 --gb 0
  fi
  cat "$tdir/train.jsonl" "$BIN" > /dev/null # into the page cache (see classify)
  tol=()
  [ -n "$TOLERANCE" ] && tol=(--ct-tolerance "$TOLERANCE")
  if [ "$what" = tolerance ] || [ "$what" = same-matrix ]; then
    [ -s "$tdir/train.svm" ] || "$BIN" evaluate --data "$tdir/train.jsonl" --dump-features "$tdir/train.svm" > /dev/null
  fi
  if [ "$what" = tolerance ]; then
    row=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
      "$PY" "$HELPER" tolerance-for-objective "$tdir/train.jsonl" "$tdir/train.svm" \
      --claimtrack "$BIN" --C "$C")
  elif [ "$what" = same-matrix ]; then
    [ -n "$TOLERANCE" ] || { echo "error: same-matrix needs BENCH_TOLERANCE (T* from the tolerance mode)" >&2; exit 1; }
    "$BIN" --threads 1 train --data "$tdir/train.jsonl" --out "$tdir/model_default.json" \
      --no-decode --no-calibrate 2> /dev/null
    row=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
      "$PY" "$HELPER" matrix-paired "$tdir/train.jsonl" "$tdir/train.svm" \
      --model "$tdir/model_default.json" --claimtrack "$BIN" --C "$C" --runs "$TRAIN_RUNS" ${tol[@]+"${tol[@]}"})
  else
    row=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
      "$PY" "$HELPER" train-paired "$tdir/train.jsonl" --claimtrack "$BIN" --mode "$what" \
      --C "$C" --runs "$TRAIN_RUNS" ${tol[@]+"${tol[@]}"})
  fi
  echo "$row" >&2
  # Keys: train_MODE, with _N for another size than 100,000 and _tol_T for a tolerance.
  key="train_$what"
  [ "$TRAIN_N" = 100000 ] || key="${key}_$TRAIN_N"
  [ -z "$TOLERANCE" ] || key="${key}_tol_$TOLERANCE"
  put "$key" "$row"
  put "machine_$key" "$(machine_json "$l0")"
  ;;
esac

if [ "$what" = all ] || [ "$what" = stream ]; then
  a="$OUT/articles.jsonl"
  if [ ! -s "$a" ]; then
    "$PY" "$HELPER" gen "$gold" "$OUT/stream" --sizes 1 --train 1 --test 1 --gb "$GB"
    mv "$OUT/stream/articles.jsonl" "$a"
  fi
  bytes=$(stat -L -c %s "$a")
  echo "== stream: score and report over $a ($bytes bytes), --bootstrap $BOOT" >&2
  l0=$(load)
  read -r ss kbs < <(timed score_whole "$BIN" score -q --bootstrap "$BOOT" "$a")
  # Small batches: the same file in pieces of 2,000 articles, one process each.
  rm -rf "$OUT/parts" && mkdir -p "$OUT/parts"
  split -l 2000 -d -a 4 --additional-suffix=.jsonl "$a" "$OUT/parts/p"
  for p in "$OUT"/parts/p*.jsonl; do
    "$BIN" score -q --bootstrap "$BOOT" "$p" > "${p%.jsonl}.scores"
  done
  # The generated articles carry their own ids, so the outputs must match byte for byte.
  cat "$OUT"/parts/p*.scores > "$OUT/score_parts.out"
  same_score=false; cmp -s "$OUT/score_whole.out" "$OUT/score_parts.out" && same_score=true
  read -r sr kbr < <(timed report_whole "$BIN" report -q --bootstrap "$BOOT" --format json --from-scores "$OUT/score_whole.out")
  "$BIN" report -q --bootstrap "$BOOT" --format json --from-scores "$OUT"/parts/p*.scores > "$OUT/report_parts.out"
  same_report=false; cmp -s "$OUT/report_whole.out" "$OUT/report_parts.out" && same_report=true
  row=$("$PY" -c "
import json
print(json.dumps({'input_bytes':$bytes,'bootstrap':$BOOT,'score_seconds':$ss,'score_peak_rss_kb':$kbs,
 'score_identical_to_small_batches':$([ $same_score = true ] && echo True || echo False),
 'report_seconds':$sr,'report_peak_rss_kb':$kbr,
 'report_identical_to_small_batches':$([ $same_report = true ] && echo True || echo False)}))")
  echo "$row" >&2
  put stream "$row"
  put machine_stream "$(machine_json "$l0")"
fi

if [ "$what" = all ] || [ "$what" = plot ]; then
  "$PY" "$HELPER" plot "$results" docs/bench-throughput.svg
  cp "$results" docs/bench-results.json
  echo "== wrote docs/bench-throughput.svg and docs/bench-results.json" >&2
fi
