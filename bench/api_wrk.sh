#!/usr/bin/env bash
# Load benchmark of `attune serve` with wrk on loopback (issue 8). Prints, for 32 connections:
#  - POST /api/v1/responses (durable on SQLite, unique Idempotency-Key per request): req/s, p99,
#    errors, and whether every acknowledged (201) response is stored. Target >= 3,000 req/s,
#    p99 <= 20 ms, zero errors, all stored.
#  - GET /api/v1/clients/1/recommendations for a 1,000-therapist organisation: req/s, p99,
#    errors, and whether every answered read is in the audit log (recommendation.read entries,
#    counted after shutdown flushed the read audit). Target >= 5,000 req/s, p99 <= 10 ms.
# Each line ends with "target met" or "target NOT met" (and why), with the load average, since
# wrk, the server and whatever else runs share the machine's cores.
# Usage: bench/api_wrk.sh BUILD_DIR [SECONDS] [SUBMIT_FLOOR] [RECOMMEND_FLOOR]
# Exits 1 on any error, on an acknowledged response missing from the database, or below the
# floors (regression guards far below the targets, so a busy CI machine does not fail spuriously).
set -euo pipefail
# Say which command failed: once, under a parallel ctest, this script failed in 0.5 s without a word.
trap 'echo "api_wrk: line $LINENO: a command failed (exit $?)" >&2' ERR
build=${1:-build}
seconds=${2:-10}
submit_floor=${3:-0}
recommend_floor=${4:-0}
attune="$build/attune"
command -v wrk >/dev/null || { echo "wrk is not installed (Debian package wrk)"; exit 1; }
work=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
db="$work/bench.db"

"$attune" sim clinic --therapists 1000 --clients 2000 --sessions 2 --seed 11 --db "$db" \
  --org-name "Bench clinic" --csv-dir "$work/csv" >/dev/null
echo "bench password 123" | "$attune" user add --db "$db" --handle bench-coord --role coordinator --password-stdin >/dev/null

"$attune" serve --db "$db" --port 0 2>"$work/serve.log" &
server=$!
port=
for _ in $(seq 1 300); do
  port=$(sed -n 's/.*listening on http:\/\/[0-9.]*:\([0-9]*\).*/\1/p' "$work/serve.log" | head -1)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "server did not start:"; cat "$work/serve.log"; exit 1; }
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
token=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"handle":"bench-coord","password":"bench password 123"}' | sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p')
[ -n "$token" ] || { echo "sign-in failed"; exit 1; }

cat > "$work/common.lua" <<'LUA'
local threads = {}
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end
function init(args)
  ok, other, n = 0, 0, 0
  token = os.getenv("TOKEN")
end
function response(status, headers, body)
  if status == 200 or status == 201 then
    ok = ok + 1
  else
    other = other + 1
    -- the first few answers that were not 2xx, so a failure says what they were
    if other <= 3 then io.write(string.format("NON2XX %d %s\n", status, string.sub(body, 1, 200))) end
  end
end
function done(summary, latency, requests)
  local o, x = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); x = x + t:get("other") end
  local e = summary.errors
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f ok=%d non2xx=%d socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    o, x, e.connect + e.read + e.write + e.timeout))
end
LUA
cat "$work/common.lua" > "$work/submit.lua"
cat >> "$work/submit.lua" <<'LUA'
-- Each request about another of the 2,000 clients, as a clinic's load comes: submissions about one
-- client are prepared and committed one at a time (docs/monitor.md), so 32 connections all about
-- client 1 would measure that client's queue, not the server.
function request()
  n = n + 1
  local subject = 1 + (tid * 997 + n * 7) % 2000
  local body = '{"instrument_id":"phq9","subject_id":' .. subject ..
    ',"answered_at":"2026-01-01T09:00:00Z","answers":[1,2,1,0,1,2,1,0,0,1]}'
  return wrk.format("POST", "/api/v1/responses", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token, ["Idempotency-Key"] = "bench-" .. tid .. "-" .. n}, body)
end
LUA
cat "$work/common.lua" > "$work/recommend.lua"
cat >> "$work/recommend.lua" <<'LUA'
function request()
  return wrk.format("GET", "/api/v1/clients/1/recommendations?limit=10", {["Authorization"] = "Bearer " .. token})
end
LUA

# CPU seconds (user + system) a process has used so far, to report CPU time per request: on a
# shared machine req/s and latency depend on what else runs, CPU per request much less.
tick=$(getconf CLK_TCK)
cpu_of() { awk -v t="$tick" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$1/stat"; }
per_request() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1e6 / n; else print "-" }'; }

# The allocator matters under 32 worker threads (docs/api.md, Performance): say which one runs.
echo "allocator of $attune: $( (ldd "$attune" 2>/dev/null | grep -o 'libjemalloc[^ ]*') || echo 'glibc malloc')"

status=0
field() { sed -n "s/.*RESULT.* $1=\([0-9.]*\).*/\1/p" "$2"; }

cpu0=$(cpu_of "$server")
TOKEN=$token /usr/bin/time -f "WRKCPU %U %S" -o "$work/submit.time" wrk -t2 -c32 -d"${seconds}s" -s "$work/submit.lua" "http://127.0.0.1:$port" > "$work/submit.out"
cpu1=$(cpu_of "$server")
stored=$(sqlite3 "$db" "SELECT COUNT(*) FROM responses WHERE idempotency_key LIKE 'bench-%'")
rps=$(field rps "$work/submit.out"); p99=$(field p99_ms "$work/submit.out"); ok=$(field ok "$work/submit.out")
bad=$(field non2xx "$work/submit.out"); sock=$(field socket_errors "$work/submit.out")
grep -m 3 '^NON2XX' "$work/submit.out" | sed 's/^/  not 2xx: /' || true
# verdict RPS P99 MIN_RPS MAX_P99 ERRORS EXTRA_OK: "target met" or what is short.
verdict() {
  awk -v r="$1" -v p="$2" -v mr="$3" -v mp="$4" -v e="$5" -v x="$6" 'BEGIN {
    why = "";
    if (r < mr) why = why sprintf(" %.0f req/s < %d;", r, mr);
    if (p > mp) why = why sprintf(" p99 %.2f ms > %d ms;", p, mp);
    if (e > 0) why = why sprintf(" %d errors;", e);
    if (x != "yes") why = why " " x ";";
    if (why == "") print "target met"; else print "target NOT met:" why }'
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
all_stored=yes; [ "$stored" -ge "$ok" ] || all_stored="acknowledged $ok but stored $stored"
echo "POST /api/v1/responses (SQLite, durable), 32 connections, ${seconds}s: ${rps} req/s, p50 $(field p50_ms "$work/submit.out") ms, p99 ${p99} ms, acknowledged (2xx) ${ok}, non-2xx ${bad}, socket errors ${sock}, stored ${stored} (targets: >= 3000 req/s, p99 <= 20 ms, 0 errors, all stored; load average $(load)): $(verdict "$rps" "$p99" 3000 20 $((bad + sock)) "$all_stored")"
wrk_cpu() { awk '/WRKCPU/ { printf "%.3f", $2 + $3 }' "$1"; }
n=$(awk -v a="$ok" -v b="$bad" 'BEGIN { print a + b }')
echo "  CPU per request: server $(per_request "$cpu0" "$cpu1" "$n") us, wrk $(per_request 0 "$(wrk_cpu "$work/submit.time")" "$n") us"
curl -sf "http://127.0.0.1:$port/metrics" | awk '
  /^attune_submit_commit_seconds_sum/ { sum = $2 } /^attune_submit_commit_seconds_count/ { count = $2 }
  /^attune_submit_committed_total/ { items = $2 }
  END { if (count > 0) printf "  group commit: %d transactions, %.1f submissions and %.2f ms each on average\n", count, items / count, sum * 1000 / count }'
[ "$bad" = 0 ] && [ "$sock" = 0 ] || { echo "FAIL: errors"; status=1; }
[ "$stored" -ge "$ok" ] || { echo "FAIL: acknowledged $ok but stored only $stored"; status=1; }
awk -v r="$rps" -v f="$submit_floor" 'BEGIN { exit !(r >= f) }' || { echo "FAIL: below floor $submit_floor req/s"; status=1; }

cpu2=$(cpu_of "$server")
TOKEN=$token /usr/bin/time -f "WRKCPU %U %S" -o "$work/recommend.time" wrk -t2 -c32 -d"${seconds}s" -s "$work/recommend.lua" "http://127.0.0.1:$port" > "$work/recommend.out"
cpu3=$(cpu_of "$server")
rps=$(field rps "$work/recommend.out"); p99=$(field p99_ms "$work/recommend.out"); ok=$(field ok "$work/recommend.out")
bad=$(field non2xx "$work/recommend.out"); sock=$(field socket_errors "$work/recommend.out")
grep -m 3 '^NON2XX' "$work/recommend.out" | sed 's/^/  not 2xx: /' || true
recommend_load=$(load)

kill -TERM "$server"; wait "$server" || { echo "FAIL: server did not exit cleanly"; status=1; }
server=
# The read audit is flushed at shutdown: every answered recommendation must be in the log.
audited=$(sqlite3 "$db" "SELECT COUNT(*) FROM audit_log WHERE action = 'recommendation.read'")
all_audited=yes; [ "$audited" -ge "$ok" ] || all_audited="answered $ok but audited $audited"
echo "GET /api/v1/clients/1/recommendations (1,000 therapists), 32 connections, ${seconds}s: ${rps} req/s, p50 $(field p50_ms "$work/recommend.out") ms, p99 ${p99} ms, answered (2xx) ${ok}, non-2xx ${bad}, socket errors ${sock}, audited ${audited} (targets: >= 5000 req/s, p99 <= 10 ms; load average ${recommend_load}): $(verdict "$rps" "$p99" 5000 10 $((bad + sock)) "$all_audited")"
[ "$bad" = 0 ] && [ "$sock" = 0 ] || { echo "FAIL: errors"; status=1; }
n=$(awk -v a="$ok" -v b="$bad" 'BEGIN { print a + b }')
echo "  CPU per request: server $(per_request "$cpu2" "$cpu3" "$n") us, wrk $(per_request 0 "$(wrk_cpu "$work/recommend.time")" "$n") us"
[ "$audited" -ge "$ok" ] || { echo "FAIL: $all_audited"; status=1; }
awk -v r="$rps" -v f="$recommend_floor" 'BEGIN { exit !(r >= f) }' || { echo "FAIL: below floor $recommend_floor req/s"; status=1; }
exit $status
