#!/usr/bin/env bash
# Soak test: mixed traffic against one mock for MINUTES (default 10), sampling its resident
# memory every 30 s. Memory must level off: the journal and the session count are capped,
# and the soak's logins come from a fixed pool.
#
#   benches/soak.sh [MINUTES]
#
# Needs wrk. Never run by CI.
set -euo pipefail
. "$(dirname "$0")/args.sh"
numeric_args "$0" "$@"
cd "$(dirname "$0")/.."
MINUTES="${1:-10}"
PORT=18183
cargo build --release --quiet --bin vms-billing-mock
taskset -c 0 target/release/vms-billing-mock --port $PORT >/dev/null &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 200); do (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.01; done
rss() { awk '/VmRSS/ {print $2}' /proc/$PID/status; }
echo "start: $(rss) kB"
taskset -c 1 wrk -t1 -c16 -d"${MINUTES}m" -s benches/soak.lua "http://127.0.0.1:$PORT" > /tmp/soak-wrk.txt &
WRK=$!
elapsed=0
while kill -0 $WRK 2>/dev/null; do
  sleep 30
  elapsed=$((elapsed + 30))
  kill -0 $WRK 2>/dev/null && printf "%4d s  %8d kB\n" "$elapsed" "$(rss)"
done
wait $WRK || true
echo "end: $(rss) kB"
grep -E "requests in|Requests/sec" /tmp/soak-wrk.txt
