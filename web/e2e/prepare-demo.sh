#!/usr/bin/env bash
# Creates the browser tests' demo clinic at $DB with `attune` ($ATTUNE): a simulated clinic
# (docs/simulation.md) plus one sign-in per role, all with the password $ATTUNE_DEMO_PASSWORD.
# Used by e2e/run.mjs until scripts/demo offers the same; synthetic data only.
set -euo pipefail
: "${ATTUNE:?}" "${DB:?}" "${ATTUNE_DEMO_PASSWORD:?}"
"$ATTUNE" sim clinic --db "$DB" --therapists 30 --clients 200 --sessions 8 --seed 7 --org-name "Demo clinic (simulated)" >/dev/null
# expected treatment response curves for the outcome charts' band (docs/monitor.md), when available
"$ATTUNE" monitor fit --db "$DB" >/dev/null 2>&1 || echo "demo: no expected-response curves (attune monitor fit unavailable or refused)"
# a waitlist for the coordinator's batch assignment: synthetic clients with no episode yet
waiting=$(mktemp)
trap 'rm -f "$waiting"' EXIT
cat > "$waiting" <<'CSV'
external_id,pseudonym,concerns,goals,constraints
demo-wait-1,Waiting A,depression,sleep through the night,language:en
demo-wait-2,Waiting B,anxiety;stress,go back to work,language:en;modality:video
demo-wait-3,Waiting C,relationships,argue less at home,
demo-wait-4,Waiting D,trauma,feel safe in crowds,modality:in_person
demo-wait-5,Waiting E,depression;anxiety,see friends again,
demo-wait-6,Waiting F,stress,take breaks,language:es
CSV
"$ATTUNE" import clients "$waiting" --db "$DB" >/dev/null
q() { sqlite3 -batch -noheader "$DB" "$1"; }
# the therapist and client with a planted rupture's alert when the simulation raised one,
# else the busiest therapist and their most-measured active client
therapist=$(q "SELECT e.therapist_id FROM alerts a JOIN episodes e ON e.id = a.episode_id AND e.org_id = a.org_id
               WHERE a.kind LIKE '%rupture%' GROUP BY e.therapist_id ORDER BY COUNT(*) DESC LIMIT 1")
[ -n "$therapist" ] || therapist=$(q "SELECT therapist_id FROM episodes GROUP BY therapist_id ORDER BY COUNT(*) DESC LIMIT 1")
client=$(q "SELECT e.client_id FROM alerts a JOIN episodes e ON e.id = a.episode_id AND e.org_id = a.org_id
            WHERE a.kind LIKE '%rupture%' AND e.therapist_id = $therapist LIMIT 1")
[ -n "$client" ] || client=$(q "SELECT e.client_id FROM episodes e JOIN responses r ON r.subject_id = e.client_id
            WHERE e.therapist_id = $therapist GROUP BY e.client_id ORDER BY COUNT(*) DESC LIMIT 1")
other=$(q "SELECT client_id FROM episodes WHERE client_id <> $client ORDER BY client_id LIMIT 1")
add() { printf '%s\n' "$ATTUNE_DEMO_PASSWORD" | "$ATTUNE" user add --db "$DB" --password-stdin "$@" >/dev/null; }
add --handle admin --role admin
add --handle coordinator --role coordinator
add --handle researcher --role researcher
add --handle therapist1 --role therapist --therapist-id "$therapist"
add --handle client1 --role client --client-id "$client"
add --handle client2 --role client --client-id "$other"
echo "demo: therapist1 = therapist $therapist; client1 = client $client; client2 = client $other"
echo "DEMO_IDS therapist=$therapist client=$client"
