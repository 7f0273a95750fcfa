#!/usr/bin/env bash
# TAP: adoption.schedule_rescoring() with pg_cron.  pg_cron only has its
# functions in cron.database_name (postgres on the test cluster), so the
# extension is installed there for this test: the job is created with the
# right command, schedule and database, calling it again replaces the job,
# a real cron run (every minute) scores the tenants within 70 seconds, and
# unscheduling removes the job.  Uses the server PGHOST/PGPORT/PGUSER point at.
set -u
source "$(dirname "$0")/../lib/tap.sh"
db=postgres
qd() { q -d "$db" "$@"; }
cleanup() {
	qd -c "SELECT adoption.unschedule_rescoring()" >/dev/null 2>&1
	qd -c "DROP EXTENSION IF EXISTS pg_adoption CASCADE" >/dev/null 2>&1
}
cleanup
trap cleanup EXIT
qd -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS pg_cron" -c "CREATE EXTENSION pg_adoption" >/dev/null
qd >/dev/null <<'SQL'
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 'cron-t' || (i % 3), 'u' || (i % 7), 'f' || (i % 2), now() - i * interval '1 hour'
FROM generate_series(1, 60) AS i;
SQL

job=$(qd -c "SELECT adoption.schedule_rescoring('*/5 * * * *')")
[ -n "$job" ]; ok $? "schedule_rescoring() returns the job id ($job)"
row=$(qd -c "SELECT command || '|' || database || '|' || schedule FROM cron.job WHERE jobid = $job")
[ "$row" = "SELECT adoption.upkeep()|$db|*/5 * * * *" ]; ok $? "the job runs SELECT adoption.upkeep() in database $db every 5 minutes ($row)"

job2=$(qd -c "SELECT adoption.schedule_rescoring('* * * * *')")
[ "$job2" = "$job" ]; ok $? "scheduling again replaces the job (same id $job2)"
row=$(qd -c "SELECT count(*) || '|' || min(schedule) FROM cron.job WHERE jobname = adoption.rescoring_job_name()")
[ "$row" = "1|* * * * *" ]; ok $? "one job, with the new schedule ($row)"

# pg_cron starts jobs on the minute: wait for a finished run and its scores.
status=
for _ in $(seq 1 70); do
	status=$(qd -c "SELECT status FROM cron.job_run_details WHERE jobid = $job AND status IN ('succeeded', 'failed') ORDER BY runid DESC LIMIT 1")
	[ -n "$status" ] && break
	sleep 1
done
[ "$status" = succeeded ]; ok $? "a cron run finished within 70 s: ${status:-none} $(qd -c "SELECT return_message FROM cron.job_run_details WHERE jobid = $job ORDER BY runid DESC LIMIT 1")"
scored=$(qd -c "SELECT count(DISTINCT tenant_id) FROM adoption.health_scores")
[ "$scored" = 3 ]; ok $? "the cron run scored the 3 tenants ($scored)"
last=$(qd -c "SELECT last_tenants FROM adoption.rescore_state")
[ "$last" = 3 ]; ok $? "rescore_state records the run ($last tenants)"

# The upkeep trims its own job's run records older than a week.
qd -c "INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, start_time, end_time)
	VALUES ($job, 0, '$db', current_user, 'SELECT adoption.upkeep()', 'succeeded', 'old', now() - interval '8 days', now() - interval '8 days')" >/dev/null
trimmed=$(qd -c "SELECT adoption.upkeep() ->> 'cron_runs_trimmed'")
left=$(qd -c "SELECT count(*) FROM cron.job_run_details WHERE jobid = $job AND return_message = 'old'")
[ "$trimmed" = 1 ] && [ "$left" = 0 ]; ok $? "upkeep() trimmed the run record older than 7 days ($trimmed trimmed, $left left)"

r=$(qd -c "SELECT adoption.unschedule_rescoring()")
left=$(qd -c "SELECT count(*) FROM cron.job WHERE jobname = adoption.rescoring_job_name()")
[ "$r" = t ] && [ "$left" = 0 ]; ok $? "unschedule_rescoring() removes the job ($r, $left left)"
r=$(qd -c "SELECT adoption.unschedule_rescoring()")
[ "$r" = f ]; ok $? "unscheduling again returns false ($r)"
plan
[ "$failed" = 0 ]
