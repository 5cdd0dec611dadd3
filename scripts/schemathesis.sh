#!/usr/bin/env bash
# Fuzzes the running API against its own OpenAPI document with Schemathesis: every operation,
# every check, stateful sequences through the document's links. Exits non-zero on any failure.
#
# Starts target/debug/crm (built first, so it is the current code) on a free loopback port with a fresh SQLite file,
# signs in as the bootstrap admin and runs authenticated. Knobs (environment):
#   SCHEMATHESIS_MAX_EXAMPLES  test cases per operation and phase (default 25)
#   SCHEMATHESIS_SEED          random seed (default: a fresh one, printed by schemathesis)
#   SCHEMATHESIS_TIMEOUT       hard limit for the whole run in seconds (default 900)
#   SCHEMATHESIS_INCLUDE       a path regex: fuzz only the operations it matches (a module
#                              while it is being built, e.g. '/api/v1/(projects|tasks)'); CI
#                              leaves it unset and fuzzes every operation
set -euo pipefail
cd "$(dirname "$0")/.."

ST_VERSION="4.32.5"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-25}"
RUN_TIMEOUT="${SCHEMATHESIS_TIMEOUT:-900}"
mkdir -p "${CARGO_TARGET_DIR:-target}"
TARGET_DIR="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)"
BIN="${TARGET_DIR}/debug/crm"
REPORT_DIR="${TARGET_DIR}/schemathesis"

# Pinned, so a new release cannot turn CI red on its own.
if [ "$(python3 -m pip show schemathesis 2>/dev/null | sed -n 's/^Version: //p')" != "${ST_VERSION}" ]; then
  echo "schemathesis: installing schemathesis==${ST_VERSION}"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    "schemathesis==${ST_VERSION}"
fi

# Always through cargo: a binary left from an earlier build would fuzz an older document. The
# same command as `make test` (which builds target/debug/crm for the end-to-end tests), so after
# it nothing is rebuilt: `cargo build --bin crm` unifies other features and rebuilt the server's
# crates, ~160 s of every CI run.
echo "schemathesis: building ${BIN}"
cargo test --workspace --all-targets --no-run

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "${SERVER_PID}" ] && kill -0 "${SERVER_PID}" 2>/dev/null; then
    kill "${SERVER_PID}" 2>/dev/null || true
    wait "${SERVER_PID}" 2>/dev/null || true
  fi
  rm -rf "${WORK}"
}
trap cleanup EXIT INT TERM

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:${PORT}"
ADMIN_EMAIL="fuzz-admin@example.com"
ADMIN_PASSWORD="Fuzz-admin-$(date +%s)-pw"

echo "schemathesis: starting ${BIN} on ${BASE} (log ${REPORT_DIR}/server.log)"
mkdir -p "${REPORT_DIR}"
# The run's token must outlive the run; the per-email login limit would otherwise answer 429
# to the fuzzer's own sign-in attempts and hide the responses worth checking.
CRM_ENV=test \
  CRM__SERVER__HOST=127.0.0.1 \
  CRM__SERVER__PORT="${PORT}" \
  CRM__DATABASE__URL="sqlite://${WORK}/crm.db?mode=rwc" \
  CRM__BOOTSTRAP__ADMIN_EMAIL="${ADMIN_EMAIL}" \
  CRM__BOOTSTRAP__ADMIN_PASSWORD="${ADMIN_PASSWORD}" \
  CRM__AUTH__RATE_LIMIT_PER_MINUTE=0 \
  CRM__AUTH__ACCESS_TTL_SECS=7200 \
  CRM__MAIL__TRANSPORT=file \
  CRM__MAIL__FILE__DIR="${WORK}/mail" \
  CRM__FILES__DIR="${WORK}/files" \
  CRM__LOG__FORMAT=json \
  "${BIN}" serve >"${REPORT_DIR}/server.log" 2>&1 &
SERVER_PID=$!

ready=""
for _ in $(seq 1 120); do
  if ! kill -0 "${SERVER_PID}" 2>/dev/null; then
    echo "schemathesis: the server exited; its log:" >&2
    tail -n 50 "${REPORT_DIR}/server.log" >&2
    exit 1
  fi
  if curl -fsS "${BASE}/health/ready" >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 0.5
done
[ -n "${ready}" ] || { echo "schemathesis: ${BASE}/health/ready never answered" >&2; exit 1; }

TOKEN="$(curl -fsS -X POST "${BASE}/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"${ADMIN_EMAIL}\",\"password\":\"${ADMIN_PASSWORD}\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
[ -n "${TOKEN}" ] || { echo "schemathesis: sign-in failed" >&2; exit 1; }

seed_args=()
if [ -n "${SCHEMATHESIS_SEED:-}" ]; then
  seed_args=(--seed "${SCHEMATHESIS_SEED}")
fi
if [ -n "${SCHEMATHESIS_INCLUDE:-}" ]; then
  seed_args+=(--include-path-regex "${SCHEMATHESIS_INCLUDE}")
fi

# Every phase (examples, coverage, fuzzing, stateful via the document's links) and every check.
# --generation-database none: no .hypothesis folder in the checkout, every run starts afresh.
# scripts/schemathesis_hooks.py drops only the failures no document can prevent (each with its reason).
# The notification stream is excluded: a live Server-Sent Events response never ends, so a
# request/response fuzzer can only time out on it (tests/e2e/notifications.rs covers it).
echo "schemathesis: running (max ${MAX_EXAMPLES} examples per operation, at most ${RUN_TIMEOUT}s)"
start=${SECONDS}
set +e
# One worker keeps the run reproducible from its seed and light on CI's two cores. Run from the
# temporary folder so schemathesis' cache stays out of the checkout.
cd "${WORK}"
DROPPED="${WORK}/dropped.log"
: >"${DROPPED}"
SCHEMATHESIS_DROPPED_LOG="${DROPPED}" SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="${OLDPWD}/scripts${PYTHONPATH:+:${PYTHONPATH}}" \
  timeout --kill-after=30 "${RUN_TIMEOUT}" python3 -m schemathesis.cli run "${BASE}/api/v1/openapi.json" \
  --header "Authorization: Bearer ${TOKEN}" \
  --exclude-path /api/v1/notifications/stream \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "${MAX_EXAMPLES}" \
  --workers 1 \
  --request-timeout 30 \
  --generation-database none \
  --report junit \
  --report-dir "${REPORT_DIR}" \
  --no-color \
  "${seed_args[@]}"
status=$?
set -e
echo "schemathesis: failures dropped by scripts/schemathesis_hooks.py, by reason:"
sort "${DROPPED}" | uniq -c | sort -rn | sed 's/^/  /'
echo "schemathesis: finished in $((SECONDS - start))s with exit code ${status}"
if [ "${status}" -eq 124 ] || [ "${status}" -eq 137 ]; then
  echo "schemathesis: the run exceeded ${RUN_TIMEOUT}s" >&2
fi
exit "${status}"
