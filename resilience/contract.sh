#!/usr/bin/env bash
# Contract fuzzing (issue 6, suite 5): schemathesis, with every check, against the /openapi.json
# that the real `sehat` binary serves, on an SQLite file under target/. Pass figures: 0 server
# errors, 0 undocumented status codes, 0 responses outside their schema, over at least 1,000
# generated cases.
#
#   resilience/contract.sh           fast run for CI (fixed seed, a few minutes)
#   resilience/contract.sh --long    long run on demand (random seed, more cases, stateful phase)
#
# Environment: SEHAT_BIN (a built binary; default: build target/debug/sehat),
# SEHAT_CONTRACT_EXAMPLES (cases per operation and phase), SEHAT_CONTRACT_SEED,
# SEHAT_CONTRACT_MIN_CASES (default 1000), SEHAT_CONTRACT_DATABASE (a database URL to use instead
# of a fresh SQLite file, e.g. an empty PostgreSQL database).
# Writes target/resilience/contract/{report.json,figures.txt,st.log,server.log,junit.xml}.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

SCHEMATHESIS_VERSION=4.32.5
out=$root/target/resilience/contract
venv=$root/target/resilience/venv
mode=fast
case "${1:-}" in
  "") ;;
  --long) mode=long ;;
  *) echo "usage: $0 [--long]" >&2; exit 2 ;;
esac

if [ "$mode" = fast ]; then
  examples=${SEHAT_CONTRACT_EXAMPLES:-20}
  seed=${SEHAT_CONTRACT_SEED:-20260601}
  phases=examples,coverage,fuzzing
else
  examples=${SEHAT_CONTRACT_EXAMPLES:-300}
  seed=${SEHAT_CONTRACT_SEED:-$RANDOM$RANDOM}
  phases=examples,coverage,fuzzing,stateful
fi
min_cases=${SEHAT_CONTRACT_MIN_CASES:-1000}

rm -rf "$out"
mkdir -p "$out"

# schemathesis, pinned, in a virtualenv of its own.
if [ "$("$venv/bin/st" --version 2>/dev/null)" != "st, version $SCHEMATHESIS_VERSION" ]; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    echo "installing python3-venv"
    (apt-get update -qq && apt-get install -y -qq python3-venv) >/dev/null 2>&1 || { echo "FAIL: python3 -m venv is needed" >&2; exit 1; }
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

if [ -z "${SEHAT_BIN:-}" ]; then
  cargo build --quiet --locked -p sehat
  SEHAT_BIN=$root/target/debug/sehat
fi

database=${SEHAT_CONTRACT_DATABASE:-sqlite://$out/sehat.db}
backend=SQLite
case "$database" in postgres*) backend=PostgreSQL ;; esac

# A fresh token each run; it only lives as long as this server.
admin_token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')

# The public limit (per address) would answer most fuzzed calls with 429 after the first 100;
# raised for the run so the operations themselves are exercised (429 is still documented).
# Likewise the OTP caps per mobile (the generated cases reuse the schema's example mobile); the
# caps themselves are suite 3's subject. Beneficiary tokens outlive the run.
SEHAT__PUBLIC_API__CALLS_PER_WINDOW=1000000 \
SEHAT__OTP__PER_HOUR=1000000 \
SEHAT__OTP__PER_DAY=1000000 \
SEHAT__OTP__RESEND_GAP_SECS=0 \
SEHAT__OTP__PER_ADDRESS_PER_HOUR=0 \
SEHAT__TOKENS__BENEFICIARY_TTL_SECS=7200 \
SEHAT__KEYS__DATA_DIR="$out/keys" \
SEHAT__DEMO__CENTERS=200 \
SEHAT__LOG__FILTER=info \
  "$SEHAT_BIN" serve --listen 127.0.0.1:0 --database "$database" --demo \
  --otp-delivery sandbox --admin-token "$admin_token" >"$out/server.out" 2>"$out/server.log" &
server_pid=$!
cleanup() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
trap cleanup EXIT

base=
for _ in $(seq 1 600); do
  base=$(sed -n 's/^sehat listening on \(http:\/\/[^ ]*\)$/\1/p' "$out/server.out")
  [ -n "$base" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$out/server.log" >&2; echo "FAIL: the server did not start" >&2; exit 1; }
  sleep 0.2
done
[ -n "$base" ] || { echo "FAIL: the server did not say where it listens" >&2; exit 1; }
echo "sehat at $base ($backend)"

# A beneficiary token from the v2 OTP login, with one registered beneficiary so that the
# protected routes have something of their own to find.
json() { "$venv/bin/python" -c "import json,sys; print(json.load(sys.stdin)$1)"; }
# Ten digits: 9 and nine random ones (RANDOM * 32768 + RANDOM can reach ten digits on its own).
mobile=9$(printf '%09d' $(((RANDOM * 32768 + RANDOM) % 1000000000)))
reply=$(curl -sS --fail-with-body -X POST "$base/api/v2/auth/public/generateOTP" -H 'content-type: application/json' \
  -d "{\"mobile\":\"$mobile\"}") || { echo "FAIL: generateOTP answered: $reply" >&2; exit 1; }
txn=$(json '["txnId"]' <<<"$reply")
otp=$(json '["otp"]' <<<"$reply")
otp_hash=$(printf '%s' "$otp" | sha256sum | cut -d' ' -f1)
beneficiary_token=$(curl -sf -X POST "$base/api/v2/auth/validateMobileOtp" -H 'content-type: application/json' \
  -d "{\"otp\":\"$otp_hash\",\"txnId\":\"$txn\"}" | json '["token"]')
curl -sf -X POST "$base/api/v2/registration/beneficiary/new" -H 'content-type: application/json' \
  -H "authorization: Bearer $beneficiary_token" \
  -d '{"name":"Contract Fuzz","birth_year":"1980","gender_id":1,"photo_id_type":1,"photo_id_number":"234123412346","comorbidity_ind":"N","consent_version":"V1"}' \
  >/dev/null || echo "note: could not register the demo beneficiary (see the fuzz results)"

echo "schemathesis $SCHEMATHESIS_VERSION: mode $mode, seed $seed, $examples cases per operation and phase"
# Hypothesis's `too_slow` health check times the generator, not the server: on a loaded 2-core
# CI machine it can fail an operation whose cases are merely slow to build. The server's own
# speed is bounded by --request-timeout, and a timeout is still an error.
set +e
(
  cd "$out"
  SEHAT_CONTRACT_ADMIN_TOKEN=$admin_token SEHAT_CONTRACT_BENEFICIARY_TOKEN=$beneficiary_token \
    "$venv/bin/st" --no-color --config-file "$root/resilience/schemathesis.toml" run "$base/openapi.json" \
    --phases "$phases" --max-examples "$examples" --seed "$seed" \
    --generation-database none --suppress-health-check too_slow --workers 2 --request-timeout 30 --output-sanitize true \
    --report json,junit --report-dir "$out" --report-json-path "$out/report.json" \
    --report-junit-path "$out/junit.xml"
) >"$out/st.log" 2>&1
st_status=$?
set -e
tail -n 25 "$out/st.log"

# The figures, from the JSON report; the run fails below 1,000 generated cases too.
internal_errors=$(grep -c 'internal error' "$out/server.log" || true)
figures_status=0
"$venv/bin/python" - "$out/report.json" "$min_cases" "$mode" "$seed" "$internal_errors" "$backend" "$out/server.log" "$otp" >"$out/figures.txt" <<'EOF_PY' || figures_status=$?
import json, re, sys
path, min_cases, mode, seed, internal, backend = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
server_log, otp = open(sys.argv[7], errors="replace").read(), sys.argv[8]

# Suite 8 on this run's server log (at info: every request's access line). The rules of
# sehat_api::telemetry::personal_data_in: mobiles (10 digits from 6), 12-digit ids, JWTs,
# partner API keys (UUIDs skipped), and the OTP this script was sent.
def personal_data(log):
    leaks = []
    for word in re.split(r"[^A-Za-z0-9_-]", log):
        if len(word) == 36 and word.count("-") == 4:
            continue
        for run in re.split(r"[^0-9]", word):
            if (len(run) == 10 and run[0] in "6789") or len(run) == 12:
                leaks.append("number " + run)
        if word.startswith("eyJ") and len(word) >= 16:
            leaks.append("a JWT")
        if word.startswith("sehat_") and len(word) > 40:
            leaks.append("a partner API key")
    if len(otp) == 6 and otp.isdigit() and re.search(r"(?<![0-9])" + otp + r"(?![0-9])", log):
        leaks.append("the OTP")
    return leaks
leaks = personal_data(server_log)
report = json.load(open(path))
cases = report["test_cases"]
by_check = {}
for failure in report.get("failures", []):
    name = failure.get("check") or failure.get("title") or "failure"
    by_check[name] = by_check.get(name, 0) + 1
print(f"schemathesis {report['schemathesis_version']}, mode {mode}, seed {seed}, {backend}")
print(f"operations tested: {report['operations']['tested']}/{report['operations']['total']}")
print(f"cases generated: {cases['generated']} (minimum {min_cases})")
print(f"cases with failures: {cases['with_failures']}, unique failures: {cases['unique_failures']}")
for name, count in sorted(by_check.items()):
    print(f"  {name}: {count}")
print(f"errors: {len(report.get('errors', []))}")
for error in report.get("errors", []):
    print("  " + json.dumps(error)[:600])
print(f"server-side internal errors logged: {internal}")
print(f"personal data in the server log: {len(leaks)} ({len(server_log.splitlines())} lines scanned){' first: ' + ', '.join(leaks[:3]) if leaks else ''}")
print(f"running time: {report['running_time']:.0f} s")
ok = cases["generated"] >= min_cases and cases["unique_failures"] == 0 and not report.get("errors") and internal == 0 and not leaks
print("contract fuzzing: " + ("PASS" if ok else "FAIL"))
sys.exit(0 if ok else 1)
EOF_PY
cat "$out/figures.txt"
if [ "$st_status" -ne 0 ] || [ "$figures_status" -ne 0 ]; then
  echo "--- the end of st.log (errors and failures are listed above its summary) ---" >&2
  tail -n 200 "$out/st.log" >&2
  echo "FAIL: see $out/st.log" >&2
  exit 1
fi
