#!/usr/bin/env bash
# A sweep of hostile and careless inputs against a claimtrack binary (docs/RELIABILITY.md).
# Each case runs under a time limit and a memory limit; the sweep counts panics, aborts or
# deaths by signal, hangs (time limit hit), and outputs that replaced an input or a special
# file. It prints one line per case and a summary; exits 1 if any case broke a promise.
#
# Usage: scripts/reliability_sweep.sh [BINARY]   (default: target/release/claimtrack)
# Run as root to include the /dev/null case with its full force.
set -u
BIN=$(realpath "${1:-target/release/claimtrack}")
SEEDS=$(realpath "$(dirname "$0")/../seeds")
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
bad=0; n=0

# case NAME EXPECT CMD...: EXPECT is ok (exit 0) or err (exit 2); a panic, a signal, exit 124
# (time limit) or any other exit counts as broken.
case_() {
  local name=$1 expect=$2; shift 2
  n=$((n + 1))
  ( ulimit -v 4000000; timeout 60 "$@" ) >"$W/out" 2>"$W/err" </dev/null
  local rc=$?
  local why=""
  grep -q "panicked" "$W/err" && why="panic"
  [ $rc -ge 124 ] && why="${why:+$why, }exit $rc (hang, abort or signal)"
  [ "$expect" = ok ] && [ $rc -ne 0 ] && [ -z "$why" ] && why="expected success, exit $rc: $(head -c 200 "$W/err")"
  [ "$expect" = err ] && [ $rc -ne 2 ] && [ -z "$why" ] && why="expected a clean error (exit 2), got $rc"
  if [ -n "$why" ]; then bad=$((bad + 1)); echo "BROKEN  $name: $why"; else echo "ok      $name"; fi
}

art() { printf -- '---\noutlet: %s\n---\nPutin signalled through intermediaries that he is open to a ceasefire. US officials denied it.\n' "$1"; }
mkdir -p c && art Reuters > c/a.txt && art BBC > c/b.txt

# 1-2: temp files, special files, links
for pid in $(seq $(( $(cat /proc/sys/kernel/ns_last_pid 2>/dev/null || echo 1) + 1 )) $(( $(cat /proc/sys/kernel/ns_last_pid 2>/dev/null || echo 1) + 200 ))); do ln -sf "$W/victim" ".r.md.tmp$pid"; done
echo precious > victim
case_ "planted temp-name symlinks" ok "$BIN" report -q --out r.md "$SEEDS"
[ "$(cat victim)" = precious ] || { bad=$((bad + 1)); echo "BROKEN  victim file overwritten through a planted link"; }
rm -f .r.md.tmp*
case_ "--out /dev/null" ok "$BIN" report -q --out /dev/null "$SEEDS"
[ -c /dev/null ] || { bad=$((bad + 1)); echo "BROKEN  /dev/null replaced"; }
case_ "--out /dev/full names the file" err "$BIN" score -q --out /dev/full "$SEEDS"
mkfifo fifo; (cat fifo > fifo.out &) ; case_ "--out FIFO" ok "$BIN" report -q --format csv --out fifo "$SEEDS"
[ -p fifo ] || { bad=$((bad + 1)); echo "BROKEN  FIFO replaced"; }
echo old > t.md; ln -s t.md l.md; case_ "--out symlink" ok "$BIN" report -q --out l.md "$SEEDS"
[ -L l.md ] || { bad=$((bad + 1)); echo "BROKEN  symlink replaced by a file"; }
case_ "253-byte --out name" ok "$BIN" report -q --out "$(printf 'r%.0s' $(seq 250)).md" "$SEEDS"
# 3: input = output
cp c/a.txt keep.txt
case_ "score --out an input" err "$BIN" score -q --out c/a.txt c
cmp -s c/a.txt keep.txt || { bad=$((bad + 1)); echo "BROKEN  input overwritten by score"; }
printf '{"article":"x","outlet":"O","index":0,"text":"Putin is open to talks.","label":"russian_claim"}\n{"article":"y","outlet":"P","index":0,"text":"Officials denied it.","label":"us_denial"}\n' > g.jsonl; cp g.jsonl g.keep
case_ "train --out its gold" err "$BIN" train --data g.jsonl --out g.jsonl
cmp -s g.jsonl g.keep || { bad=$((bad + 1)); echo "BROKEN  gold overwritten by train"; }
"$BIN" score -q --out s.jsonl c 2>/dev/null; cp s.jsonl s.keep
case_ "report --from-scores X --out X" err "$BIN" report -q --from-scores s.jsonl --out s.jsonl
cmp -s s.jsonl s.keep || { bad=$((bad + 1)); echo "BROKEN  scores overwritten by report"; }
# 6: sizes
case_ "--bootstrap u64::MAX" err "$BIN" report -q --bootstrap 18446744073709551615 "$SEEDS"
case_ "--bootstrap 1e9" err "$BIN" report -q --bootstrap 1000000000 "$SEEDS"
case_ "--threads 2000" err "$BIN" --threads 2000 sentences "$SEEDS"
head -c 70000000 /dev/zero | tr '\0' a > big.txt; case_ "70 MB single-line article" err "$BIN" sentences big.txt; rm -f big.txt
ln -s /dev/zero z.jsonl; case_ ".jsonl from /dev/zero" err "$BIN" sentences z.jsonl
case_ "--from-scores /dev/zero" err "$BIN" report -q --from-scores /dev/zero
case_ "classify /dev/zero" err "$BIN" classify /dev/zero
# 7-8: hangs and walking
mkdir -p h/sub && art X > h/sub/one.txt && mkfifo h/blocker.txt && ln -s "$W/h" h/sub/loop && ln -s "$W/h/sub" h/sub/loop2
case_ "FIFO and symlink loops in a folder" ok "$BIN" sentences h
[ "$(grep -c . out)" = 2 ] || { bad=$((bad + 1)); echo "BROKEN  loop: the article was not read exactly once ($(grep -c . out) lines)"; }
head -c 30000000 /dev/zero | tr '\0' a | ( ulimit -v 4000000; timeout 60 "$BIN" classify ) >/dev/null 2>&1; rc=$?; n=$((n + 1))
[ $rc -lt 124 ] && echo "ok      classify of 30 MB without a line break (exit $rc)" || { bad=$((bad + 1)); echo "BROKEN  classify without line breaks: exit $rc"; }
# 9: ids
mkdir -p d/reuters d/bbc && art Reuters > d/reuters/article1.txt && art BBC > d/bbc/article1.txt
case_ "same file name in two folders" ok "$BIN" report -q d
printf '{"id":"x","text":"A."}\n{"id":"x","text":"B."}\n' > dup.jsonl; case_ "repeated JSONL id" err "$BIN" score -q dup.jsonl
printf '{"text":"A.","text":"B."}\n' > key.jsonl; case_ "repeated JSONL key" err "$BIN" sentences key.jsonl
# 10: model values (a model with a weight of 1e308, re-checksummed, must be refused)
"$BIN" train --data g.jsonl --out m.json 2>/dev/null
python3 - <<'PY'
import hashlib, json, re
m = json.load(open("m.json"))
c = m["content"]
# poison the first weight
w = c["weights"] if "weights" in c else None
if w is not None:
    w[0][0] = 1e308
# serde_json writes exponents without leading zeros (1e+308, 1e-5), Python pads them (1e-05)
compact = re.sub(r"(?<=[0-9])e([+-])0*([0-9]+)", r"e\1\2", json.dumps(c, separators=(",", ":"), ensure_ascii=False))
m["checksum"] = "sha256:" + hashlib.sha256(compact.encode()).hexdigest()
json.dump(m, open("m-bad.json", "w"))
PY
printf '{"text":"Putin is open to talks."}\n' > one.jsonl
case_ "model with a 1e308 weight" err "$BIN" classify --model m-bad.json one.jsonl
grep -q checksum err && { bad=$((bad + 1)); echo "BROKEN  the poisoned model was refused for its checksum, not its value: re-checksum differently"; }
# 11: smaller ones
printf '\xef\xbb\xbf{"text":"Putin is open to talks.","id":"k"}\n' > bom.jsonl; case_ "classify JSONL with a BOM" ok "$BIN" classify bom.jsonl
grep -q '"id":"k"' out || { bad=$((bad + 1)); echo "BROKEN  BOM lost the first record's fields"; }
case_ "--outlet ''" err "$BIN" sentences --outlet '' "$SEEDS"
printf -- '---\noutlet: Evil\033]0;x\007\n---\nPutin is open to talks \033[31mred.\n' > esc.txt; case_ "control characters" ok "$BIN" report -q esc.txt
grep -q $'\033' out err && { bad=$((bad + 1)); echo "BROKEN  raw ESC reached the terminal"; }
( ulimit -v 4000000; "$BIN" report -q --format csv --per-article "$SEEDS" | head -c 1 >/dev/null; echo "${PIPESTATUS[0]}" > pipe.rc )
[ "$(cat pipe.rc)" = 0 ] && echo "ok      CSV to a closed pipe" || { bad=$((bad + 1)); echo "BROKEN  CSV to a closed pipe: exit $(cat pipe.rc)"; }
# 4: signals
mkdir -p big && for i in $(seq 3000); do art "Outlet $((i % 40))" > big/a$i.txt; done
for sig in TERM INT HUP; do
  echo previous > sig.out
  "$BIN" score -q --threads 1 --out sig.out big & pid=$!
  for _ in $(seq 400); do ls -a | grep -q '^\.claimtrack-' && break; sleep 0.005; done
  kill -$sig $pid 2>/dev/null; wait $pid 2>/dev/null; n=$((n + 1))
  if ls -a | grep -q '^\.claimtrack-'; then bad=$((bad + 1)); echo "BROKEN  SIG$sig left a temp file"; else echo "ok      SIG$sig during score --out: no temp file left"; fi
done
echo "$n cases, $bad broken"
[ $bad -eq 0 ]
