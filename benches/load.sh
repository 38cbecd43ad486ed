#!/usr/bin/env bash
# Load benchmark: the mock against a bare hyper baseline, measured in one run.
#
#   benches/load.sh [SECONDS] [ROUNDS]   (default 5 s per measurement, 5 rounds)
#
# Needs wrk (Debian: apt-get install wrk) and python3. Builds the release binaries, then for
# each server: pins it to CPU 0 and wrk to CPU 1 (taskset), 32 keep-alive connections, one
# wrk thread, the vendor's example body (a unique login per request), and prints requests/s,
# p50/p99, the ratio to the baseline, startup time (launch to first 200), idle and loaded RSS,
# and each server's user and kernel CPU time per request (/proc/PID/stat).
# Then the 422 path (4 errors), memory per stored user after 1,000,000 creates, and
# benches/instr.py's instructions per request (httpmock's included).
# The machines this runs on are shared and noisy, so the three throughput runs are repeated
# ROUNDS times, interleaved (bare, mock 200, mock 422, bare, ...), and each column reports the
# median; the ratio is the median of the per-round ratios.
# Never run by CI; no test asserts a duration.
set -euo pipefail
. "$(dirname "$0")/args.sh"
numeric_args "$0" "$@"
cd "$(dirname "$0")/.."
SECS="${1:-5}"
ROUNDS="${2:-5}"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind not found: apt-get install valgrind" >&2; exit 1; }
HTTPMOCK="${HTTPMOCK:-$(command -v httpmock || true)}"
[ -n "$HTTPMOCK" ] || { echo "httpmock not found: cargo install httpmock --features standalone (or set HTTPMOCK=path)" >&2; exit 1; }
cargo build --release --quiet --bin vms-billing-mock --example bare-hyper
MOCK=target/release/vms-billing-mock
BARE=target/release/examples/bare-hyper
PORT_BARE=18181
PORT_MOCK=18182
PORT_HM=18183
# httpmock's standalone server replays benches/httpmock/create.yaml: the create route's
# documented 200 body, a static match-and-replay.
HM_DIR=benches/httpmock

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
wait_port() { for _ in $(seq 200); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.01; done; echo "port $1 not up" >&2; exit 1; }

# wrk_run URL SCRIPT [PREFIX] -> "rps p50_ms p99_ms requests non2xx"
wrk_run() {
  local out
  out=$(taskset -c 1 wrk -t1 -c32 -d"${SECS}s" --latency -s "$2" "$1" -- "${3:-u}")
  echo "$out" | awk '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=ms($2)} /^ +99%/ {p99=ms($2)}
    /requests in/ {n=$1}
    /Non-2xx/ {bad=$5}
    END {printf "%d %.3f %.3f %d %d\n", rps, p50, p99, n, bad+0}'
}

# cpu_run PID URL SCRIPT [PREFIX] -> wrk_run's five figures, then the server's user and
# kernel CPU time per request in microseconds (all its threads, from /proc/PID/stat): where
# a server's time goes, beside how fast it answered.
cpu_ticks() { awk '{print $14 + 0, $15 + 0}' "/proc/$1/stat"; }
cpu_run() {
  local pid=$1 u0 s0 u1 s1 rps p50 p99 n bad
  shift
  read -r u0 s0 < <(cpu_ticks "$pid")
  read -r rps p50 p99 n bad < <(wrk_run "$@")
  read -r u1 s1 < <(cpu_ticks "$pid")
  awk -v rps="$rps" -v p50="$p50" -v p99="$p99" -v n="$n" -v bad="$bad" -v hz="$(getconf CLK_TCK)" \
      -v u="$((u1 - u0))" -v s="$((s1 - s0))" \
      'BEGIN {printf "%d %.3f %.3f %d %d %.2f %.2f\n", rps, p50, p99, n, bad, u / hz * 1e6 / n, s / hz * 1e6 / n}'
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)"
echo "measuring ${SECS}s per run; server on CPU 0, wrk -t1 -c32 on CPU 1"
echo

startup_bare=$(python3 benches/startup.py $PORT_BARE 20 -- taskset -c 0 $BARE $PORT_BARE)
startup_mock=$(python3 benches/startup.py $PORT_MOCK 20 -- taskset -c 0 $MOCK --port $PORT_MOCK)

taskset -c 0 $BARE $PORT_BARE >/dev/null & BARE_PID=$!
# The mock logs at its default level (a line per request), to /dev/null. Room for every
# create of the rounds: at 40,000 req/s five rounds store about 1,000,000 users (290 MB),
# past the default --max-store-bytes (256 MiB), where creates answer 500 and look faster.
taskset -c 0 $MOCK --port $PORT_MOCK --max-store-bytes 4294967296 --max-users 100000000 >/dev/null 2>&1 & MOCK_PID=$!
taskset -c 0 "$HTTPMOCK" -p $PORT_HM -m "$HM_DIR" -d >/dev/null 2>&1 & HM_PID=$!
trap 'kill $BARE_PID $MOCK_PID $HM_PID 2>/dev/null || true' EXIT
wait_port $PORT_BARE; wait_port $PORT_MOCK; wait_port $PORT_HM
sleep 0.2
idle_bare=$(rss_kb $BARE_PID); idle_mock=$(rss_kb $MOCK_PID); idle_hm=$(rss_kb $HM_PID)

rows=()
bad_total=0
for round in $(seq "$ROUNDS"); do
  read -r b_rps b_p50 b_p99 _ _ b_us b_ks < <(cpu_run $BARE_PID http://127.0.0.1:$PORT_BARE benches/create.lua)
  read -r m_rps m_p50 m_p99 m_n m_bad m_us m_ks < <(cpu_run $MOCK_PID http://127.0.0.1:$PORT_MOCK benches/create.lua "r$round-")
  read -r i_rps i_p50 i_p99 _ _ i_us i_ks < <(cpu_run $MOCK_PID http://127.0.0.1:$PORT_MOCK benches/invalid.lua)
  read -r h_rps h_p50 h_p99 _ h_bad h_us h_ks < <(cpu_run $HM_PID http://127.0.0.1:$PORT_HM benches/create.lua)
  echo "round $round: bare $b_rps req/s, mock 200 $m_rps ($m_bad non-2xx), mock 422 $i_rps, httpmock $h_rps ($h_bad non-2xx)" >&2
  bad_total=$((bad_total + m_bad + h_bad))
  rows+=("$b_rps $b_p50 $b_p99 $m_rps $m_p50 $m_p99 $i_rps $i_p50 $i_p99 $h_rps $h_p50 $h_p99 $b_us $b_ks $m_us $m_ks $i_us $i_ks $h_us $h_ks")
done
loaded_bare=$(rss_kb $BARE_PID); loaded_mock=$(rss_kb $MOCK_PID); loaded_hm=$(rss_kb $HM_PID)
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
col() { printf '%s\n' "${rows[@]}" | awk -v c="$1" '{print $c}' | median; }
ratio() { printf '%s\n' "${rows[@]}" | awk -v c="$1" '{printf "%.3f\n", $c / $1}' | median; }

echo
printf "%-28s %10s %9s %9s %7s %18s %10s %11s\n" "server / path (median)" "req/s" "p50 ms" "p99 ms" "ratio" "startup ms (max)" "idle RSS" "loaded RSS"
printf "%-28s %10.0f %9.3f %9.3f %7s %18s %7d kB %8d kB\n" "bare hyper (fixed 200)" "$(col 1)" "$(col 2)" "$(col 3)" "1.00" "${startup_bare% *} (${startup_bare#* })" "$idle_bare" "$loaded_bare"
printf "%-28s %10.0f %9.3f %9.3f %7.2f %18s %7d kB %8d kB\n" "mock create 200 (unique)" "$(col 4)" "$(col 5)" "$(col 6)" "$(ratio 4)" "${startup_mock% *} (${startup_mock#* })" "$idle_mock" "$loaded_mock"
printf "%-28s %10.0f %9.3f %9.3f %7.2f\n" "mock create 422 (4 errors)" "$(col 7)" "$(col 8)" "$(col 9)" "$(ratio 7)"
printf "%-28s %10.0f %9.3f %9.3f %7.2f %18s %7d kB %8d kB\n" "httpmock 0.9 (static 200)" "$(col 10)" "$(col 11)" "$(col 12)" "$(ratio 10)" "-" "$idle_hm" "$loaded_hm"
echo
echo "CPU time per request, microseconds (median; user / kernel, all the server's threads):"
printf "  bare hyper %s / %s, mock create %s / %s, mock 422 %s / %s, httpmock %s / %s\n" \
  "$(col 13)" "$(col 14)" "$(col 15)" "$(col 16)" "$(col 17)" "$(col 18)" "$(col 19)" "$(col 20)"
if [ "$bad_total" -gt 0 ]; then
  echo "WARNING: $bad_total create requests were not answered 200: the create figures are not comparable"
fi
echo "mock create 200 / httpmock: $(printf '%s\n' "${rows[@]}" | awk '{printf "%.3f\n", $4 / $10}' | median) (median of per-round ratios)"

kill $BARE_PID $MOCK_PID $HM_PID; wait 2>/dev/null || true

# Memory per stored user: fill the journal first (its size is capped), then 1,000,000 more
# creates, and divide the growth of the resident set by the users added.
# Room for the users: the default --max-store-bytes (256 MiB) would stop the creates early.
taskset -c 0 $MOCK --port $PORT_MOCK --max-store-bytes 4294967296 --max-users 100000000 >/dev/null 2>&1 & MOCK_PID=$!
trap 'kill $MOCK_PID 2>/dev/null || true' EXIT
wait_port $PORT_MOCK
SECS=2 wrk_run http://127.0.0.1:$PORT_MOCK benches/create.lua warm >/dev/null
before=$(rss_kb $MOCK_PID)
added=0
run=0
while [ "$added" -lt 1000000 ]; do
  run=$((run + 1))
  read -r _ _ _ n bad < <(SECS=10 wrk_run http://127.0.0.1:$PORT_MOCK benches/create.lua "m$run-")
  [ $((n - bad)) -gt 0 ] || { echo "creates stopped succeeding after $added users" >&2; break; }
  added=$((added + n - bad))
done
after=$(rss_kb $MOCK_PID)
echo
echo "memory per stored user: $(( (after - before) * 1024 / added )) bytes (RSS $before kB -> $after kB after $added more creates)"
kill $MOCK_PID; wait 2>/dev/null || true

# Instructions per request (callgrind), the same binaries.
echo
HTTPMOCK="$HTTPMOCK" python3 benches/instr.py --no-build
