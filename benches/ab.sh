#!/usr/bin/env bash
# Paired load A/B: two servers side by side, the same wrk load on each in alternating
# rounds, and the per-round ratio B/A. For a change whose effect is smaller than this
# machine's noise between runs (a few %): both servers share the machine's state of the
# moment, round by round.
#
#   benches/ab.sh ROUNDS SECONDS SCRIPT 'COMMAND A' 'COMMAND B'
#   benches/ab.sh 10 5 benches/create.lua \
#     'target/release/vms-billing-mock --port PORT' \
#     '/tmp/other/target/release/vms-billing-mock --port PORT --journal-capacity 1'
#
# PORT in a command becomes the server's port (18190 for A, 18191 for B). Both servers run
# on CPU 0 and wrk (-t1 -c32, SCRIPT, a fresh login prefix per round) on CPU 1, as in
# benches/load.sh. Each round prints, per server, req/s and its user and kernel CPU time per
# request (all its threads, from /proc/PID/stat); the summary gives the median and range of
# the per-round req/s ratios B/A. Needs wrk. Never run by CI; no test asserts a duration.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 5 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
ROUNDS=$1 SECS=$2 SCRIPT=$3 A=$4 B=$5
. benches/args.sh
numeric_args "$0" "$ROUNDS" "$SECS"
[ -f "$SCRIPT" ] || { echo "$0: no wrk script $SCRIPT" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }

# shellcheck disable=SC2086 # the commands are word-split on purpose
taskset -c 0 ${A//PORT/18190} >/dev/null 2>&1 & PID_A=$!
# shellcheck disable=SC2086
taskset -c 0 ${B//PORT/18191} >/dev/null 2>&1 & PID_B=$!
trap 'kill $PID_A $PID_B 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for port in 18190 18191; do
  for _ in $(seq 200); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.02; done
done
HZ=$(getconf CLK_TCK)

# round PID PORT LABEL -> "LABEL req/s user_us kernel_us"
round() {
  local u0 s0 u1 s1 out
  read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$1/stat")
  out=$(taskset -c 1 wrk -t1 -c32 -d"${SECS}s" -s "$SCRIPT" "http://127.0.0.1:$2" -- "ab$3$RANDOM$RANDOM")
  read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$1/stat")
  echo "$out" | awk -v l="$3" -v hz="$HZ" -v u=$((u1 - u0)) -v s=$((s1 - s0)) '
    /requests in/ {n = $1} /Requests\/sec/ {rps = $2}
    END {printf "%s %d %.2f %.2f\n", l, rps, u / hz * 1e6 / n, s / hz * 1e6 / n}'
}

results=$(for r in $(seq "$ROUNDS"); do
  round "$PID_A" 18190 A
  round "$PID_B" 18191 B
done | tee /dev/stderr)
ratios=$(echo "$results" | awk '$1 == "A" {a[++na] = $2} $1 == "B" {b[++nb] = $2}
  END {for (i = 1; i <= na; i++) printf "%.3f\n", b[i] / a[i]}' | sort -n)
echo "$ratios" | awk '{r[NR] = $1}
  END {
    med = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
    printf "B/A req/s, per round: median %.3f, range %.3f to %.3f (%d rounds)\n", med, r[1], r[NR], NR
  }'
