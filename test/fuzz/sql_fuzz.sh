#!/usr/bin/env bash
# Bad-input fuzz driver: against the server PGHOST/PGPORT/PGUSER point at (a
# superuser), creates a fresh database with pg_adoption and a little data,
# then makes FUZZ_CALLS calls (default 100000) with random and boundary values:
# every function and aggregate of schema adoption (read from pg_proc, trigger
# functions excepted) and INSERT and COPY into every input table.  gen.py
# writes the calls for seed FUZZ_SEED (same seed, same calls); psql runs each
# in its own savepoint (ON_ERROR_ROLLBACK), committing every FUZZ_BATCH calls,
# and prints the SQLSTATE of every error.  Afterwards it checks that no backend
# crashed (psql lost no connection, SELECT 1 answers, the server log names no
# "terminated by signal" when FUZZ_SERVER_LOG names it) and that no error was
# XX000, prints a summary and exits 1 on a crash or an XX000.
#   FUZZ_SEED=1 FUZZ_CALLS=100000 FUZZ_DB=adoption_fuzz test/fuzz/sql_fuzz.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seed=${FUZZ_SEED:-1}
calls=${FUZZ_CALLS:-100000}
batch=${FUZZ_BATCH:-200}
db=${FUZZ_DB:-adoption_fuzz}
log=${FUZZ_SERVER_LOG:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
q() { psql -X -q -tA -v ON_ERROR_STOP=1 "$@"; }

log_lines=0
[ -n "$log" ] && [ -r "$log" ] && log_lines=$(wc -l <"$log")

q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || exit 2
q -d "$db" >/dev/null <<'SQL' || exit 2
SET client_min_messages = warning;
CREATE EXTENSION pg_adoption;
INSERT INTO adoption.tenants (tenant_id, name, seats_licensed) VALUES ('t1', 'One', 10), ('acme', 'Acme', 5);
INSERT INTO adoption.features (feature_id, feature_name, tier) VALUES ('adv', 'Advanced', 'advanced');
INSERT INTO adoption.features (feature_id, feature_name, tier, upgrade_feature_id) VALUES ('core1', 'Core', 'core', 'adv');
INSERT INTO adoption.launches (launch_id, feature_id, launched_at, campaign_id)
VALUES ('l1', 'adv', now() - interval '20 days', 'c1');
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome, integration_context)
SELECT 't' || (i % 3 + 1), 'u' || (i % 4 + 1), (ARRAY['f1', 'f2', 'core1', 'adv'])[i % 4 + 1],
	now() - i * interval '97 minutes', i % 5 <> 0, jsonb_build_object('campaign_influence', 'c' || (i % 2 + 1))
FROM generate_series(1, 2000) AS i;
INSERT INTO adoption.campaign_touches (tenant_id, user_id, campaign_id, touched_at)
VALUES ('t1', 'u1', 'c1', now() - interval '30 days'), ('t2', 'u2', 'c2', now() - interval '10 days');
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, score, body)
VALUES ('t1', 'fb1', 'nps', 3, 'slow and it crashes'), ('t2', 'fb2', 'nps', 10, 'love it');
SQL
q -d "$db" -f "$here/catalog.sql" >"$work/catalog" || exit 2
nfuncs=$(grep -c '^f|' "$work/catalog")
ntables=$(grep -c '^t|' "$work/catalog")

start=$(date +%s)
python3 "$here/gen.py" "$seed" "$calls" "$work/catalog" "$batch" \
	| psql -X -q -d "$db" -o /dev/null 2>"$work/errors"
psql_rc=$?
secs=$(($(date +%s) - start))

crashes=0
if grep -qE 'server closed the connection unexpectedly|connection to server was lost|terminated abnormally|no connection to the server' "$work/errors"; then
	crashes=$((crashes + 1))
	echo "crash: psql lost its connection:"
	grep -m 5 -E 'server closed|connection to server|terminated abnormally' "$work/errors"
fi
if [ -n "$log" ] && [ -r "$log" ] && tail -n +"$((log_lines + 1))" "$log" | grep -E 'terminated by signal|was terminated by exception'; then
	crashes=$((crashes + 1))
	echo "crash: the server log names a backend that died"
fi
if [ "$(psql -X -tA -d "$db" -c 'SELECT 1' 2>/dev/null)" != 1 ]; then
	crashes=$((crashes + 1))
	echo "crash: the server does not answer SELECT 1"
fi

# Error lines are "psql:<stdin>:N: ERROR:  SQLSTATE" (VERBOSITY sqlstate).
grep -oE 'ERROR:  [0-9A-Z]{5}' "$work/errors" | awk '{print $2}' | sort >"$work/states"
errors=$(wc -l <"$work/states")
xx000=$(grep -c '^XX000$' "$work/states")
# Lines that are neither an error with a SQLSTATE nor known noise: a message
# without a SQLSTATE counts as a failure too.
other=$(grep -vcE 'ERROR:  [0-9A-Z]{5}$|^$' "$work/errors")
ok=$((calls - errors))

echo "sql_fuzz: seed $seed, $calls calls ($nfuncs functions, $ntables tables) in ${secs}s"
printf '%-10s %8s\n' outcome calls
printf '%-10s %8d\n' ok "$ok"
cut -c1-2 "$work/states" | uniq -c | while read -r n c; do
	printf '%-10s %8d\n' "class $c" "$n"
done
echo "SQLSTATEs: $(uniq -c "$work/states" | awk '{printf "%s %s, ", $2, $1}' | sed 's/, $//')"
printf 'crashes %d, XX000 %d, unexplained stderr lines %d, psql exit %d\n' "$crashes" "$xx000" "$other" "$psql_rc"
if [ "$xx000" -gt 0 ]; then
	echo "XX000 errors: rerun with the same seed and look at these statements:"
	grep -B0 'ERROR:  XX000' "$work/errors" | head -n 20
fi
if [ "$other" -gt 0 ]; then
	grep -vE 'ERROR:  [0-9A-Z]{5}$|^$' "$work/errors" | head -n 20
fi
[ "$crashes" -eq 0 ] && [ "$xx000" -eq 0 ] && [ "$other" -eq 0 ] && [ "$psql_rc" -eq 0 ]
