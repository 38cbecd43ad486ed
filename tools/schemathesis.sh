#!/usr/bin/env bash
# Schemathesis (PyPI), the property-based API tester, against the mock's own OpenAPI
# document: every generated request must get no 5xx, a documented status, a documented
# content type and a body matching its documented schema.
#
#   tools/schemathesis.sh [BINARY] [MAX_EXAMPLES]     # defaults: target/debug/vms-billing-mock, 100
#
# Installs schemathesis into target/schemathesis-venv on first use (python3 with venv).
# Two checks are left out on purpose, because Laravel's semantics are not JSON Schema's:
# positive_data_acceptance (a schema-valid body can still fail `unique`/`exists` or, after
# trimming, `required`: 422 is the right answer) and negative_data_rejection (Laravel's
# `integer` accepts "5", trimming turns " x " into "x"...). Runs twice: with
# `Accept: application/json` as integrators send it, and without it (302 and HTML pages).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-target/debug/vms-billing-mock}"
EXAMPLES="${2:-100}"
VENV=target/schemathesis-venv
if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet schemathesis
fi
[ -x "$BIN" ] || cargo build --quiet --bin vms-billing-mock
PORT_FILE=$(mktemp -u /tmp/vms-mock-st.XXXXXX)
# Request log lines would drown the report: warnings only.
"$BIN" --port 0 --port-file "$PORT_FILE" --log-level warn >/dev/null &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -f "$PORT_FILE"' EXIT
for _ in $(seq 200); do [ -s "$PORT_FILE" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$PORT_FILE")"
run() {
  "$VENV/bin/schemathesis" run "$URL/__admin/openapi.json" --url "$URL" \
    --exclude-checks positive_data_acceptance,negative_data_rejection \
    -n "$EXAMPLES" --seed 1 "$@"
}
run -H 'Accept: application/json'
run
