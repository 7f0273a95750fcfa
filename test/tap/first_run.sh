#!/usr/bin/env bash
# TAP: the first run of a new user, from a git clone in a 0700 directory
# (Debian 12's home directories are 0700: the postgres user cannot enter
# them).  The clone (with this tree's uncommitted changes applied) lives in
# a fresh 0700 directory under /tmp; from it, the steps that make the
# postgres user read files run on their own ports (FIRST_RUN_PORT, default
# 54348, and the next one for valgrind):
#   - scripts/run.sh, twice, with a small demo (PGA_DEMO_EVENTS=20000) in a
#     cluster named "test" of the clone: its data goes to /var/tmp and run.sh
#     says so; no "could not change directory" anywhere; between the two runs
#     the pg_cron job is set to every minute, and during the second run's
#     reload it is never scheduled (sampled while run.sh runs); afterwards
#     the job is back and every tenant scored twice or more has a delta;
#   - test/tap/stress_short.sh (5 s) against that cluster finds its server
#     log under /var/tmp and searches it (no SKIP);
#   - test/memcheck/valgrind.sh with one regression file: the server starts
#     under valgrind, which runs as postgres and reads its suppressions.
# Needs root (scripts/test.sh runs it as root).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/test/lib/tap.sh"
port=${FIRST_RUN_PORT:-54348}
vport=$((port + 1))

home=$(mktemp -d /tmp/pga-home.XXXXXX)
chmod 0700 "$home"
clone=$home/pg_adoption
vartmp=/var/tmp/pg_adoption-$(printf '%s' "$clone" | md5sum | cut -c1-8)
cleanup() {
	[ -d "$clone" ] && (cd / && PGA_TEST_PORT=$port bash "$clone/scripts/cluster.sh" stop test >/dev/null 2>&1)
	rm -rf "$home" "$vartmp"
}
trap cleanup EXIT

git clone -q "$here" "$clone" && (git -C "$here" diff HEAD --binary | git -C "$clone" apply --allow-empty 2>&1)
ok $? "git clone (with the tree's uncommitted changes) into a 0700 directory, $clone"
! runuser -u postgres -- test -r "$clone/README.md" 2>/dev/null
ok $? "the postgres user cannot read the clone"

# Timestamps each line of stdin.
stamp() { while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done; }
run_demo() {
	(cd "$clone" && PGA_DEMO_CLUSTER=test PGA_DEMO_PORT=$port PGA_DEMO_EVENTS=20000 PGA_DEMO_SEED=3 \
		bash scripts/run.sh 2>&1) | stamp >"$home/$1.out"
	return "${PIPESTATUS[0]}"
}
export PGHOST=/tmp/pg_adoption-$port PGPORT=$port PGUSER=postgres
job="SELECT count(*) FROM cron.job WHERE jobname = 'pg_adoption_rescore_adoption_demo'"

run_demo run1
ok $? "scripts/run.sh from the clone (a 20,000-event demo)"
tail -n 5 "$home/run1.out" | cut -d' ' -f2- | why
grep -q "data in $vartmp/test/data" "$home/run1.out"
ok $? "run.sh says where the data lives: $vartmp/test/data"
[ -f "$vartmp/test/data/PG_VERSION" ]
ok $? "and it lives there"
loaded=$(q -d adoption_demo -c "SELECT count(*) FROM adoption.feature_usage_events" 2>&1)
[ "$loaded" = 20000 ]
ok $? "the demo holds the 20,000 events it announces ($loaded)"

# The second run, with the job due every minute: sample the job while it runs.
q -d adoption_demo -c "SELECT adoption.schedule_rescoring('* * * * *')" >/dev/null
run_demo run2 &
runner=$!
: >"$home/samples"
while kill -0 "$runner" 2>/dev/null; do
	sample_start=$EPOCHREALTIME
	sample_jobs=$(q -d adoption_demo -c "$job" 2>/dev/null || echo x)
	printf '%s %s %s\n' "$sample_start" "$sample_jobs" "$EPOCHREALTIME" >>"$home/samples"
	sleep 0.2
done
wait "$runner"
ok $? "scripts/run.sh a second time"
tail -n 5 "$home/run2.out" | cut -d' ' -f2- | why
from=$(awk '/== loading the demo data set/ { print $1; exit }' "$home/run2.out")
to=$(awk '/== scheduling health rescoring/ { print $1; exit }' "$home/run2.out")
# A sample counts when it started after "from" and ended 2 s before "to": a
# line's stamp is when stamp() read it, which on a busy machine can be later
# than run.sh went on to schedule the job (a sample that ended in between saw
# it, and failed this check once).
read -r during scheduled <<<"$(awk -v a="${from:-0}" -v b="${to:-0}" '$1 > a && $3 < b - 2 { n++; if ($2 != 0) s++ } END { print n + 0, s + 0 }' "$home/samples")"
[ -n "$from" ] && [ -n "$to" ] && [ "$during" -gt 0 ] && [ "$scheduled" = 0 ]
ok $? "no pg_cron job scheduled while the second run reloads ($during samples, $scheduled with the job)"
[ "$(q -d adoption_demo -c "$job")" = 1 ]
ok $? "the job is scheduled again at the end"
nulls=$(q -d adoption_demo -c "SELECT count(*) FROM adoption.tenant_health AS h
	WHERE h.delta IS NULL AND (SELECT count(*) FROM adoption.health_scores AS s WHERE s.tenant_id = h.tenant_id) > 1")
[ "$nulls" = 0 ]
ok $? "every tenant scored more than once has a health delta after the rerun ($nulls without)"
noise=$(cut -d' ' -f2- "$home/run1.out" "$home/run2.out" | grep -c 'could not change directory')
[ "$noise" = 0 ]
ok $? "no \"could not change directory\" in what run.sh printed ($noise lines)"

# Not the log scripts/test.sh exported for its own cluster: the clone's.
out=$(cd "$clone" && env -u PGA_SERVER_LOG -u STRESS_SERVER_LOG DURATION=5 WRITERS=2 USERS=200 bash test/tap/stress_short.sh 2>&1)
printf '%s\n' "$out" | grep -q "^ok .* the server log names no crashed backend ($vartmp/test/server.log)"
ok $? "stress_short from the clone searches the server log under /var/tmp"
printf '%s\n' "$out" | grep -E '^not ok|SKIP|log' | why 5

out=$(cd "$clone" && VALGRIND_TESTS=01_create_extension VALGRIND_CLUSTER=first_run VALGRIND_PORT=$vport \
	bash test/memcheck/valgrind.sh 2>&1)
rc=$?
printf '%s\n' "$out" | grep -q '^test 01_create_extension .* ok' && [ "$rc" = 0 ]
ok $? "valgrind.sh from the clone: the server starts under valgrind and a regression file passes (exit $rc)"
printf '%s\n' "$out" | tail -n 12 | why 12
noise=$(printf '%s\n' "$out" | grep -c 'could not change directory')
[ "$noise" = 0 ]
ok $? "no \"could not change directory\" from valgrind.sh ($noise lines)"

plan
[ "$failed" = 0 ]
