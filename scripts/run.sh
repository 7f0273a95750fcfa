#!/usr/bin/env bash
# The product in one command: installs what is missing, builds and installs
# pg_adoption, starts the private demo cluster (pg_cron preloaded), creates
# the extension in database adoption_demo, loads the deterministic demo data
# set and prints the views.  Run again: it rebuilds and reloads the demo (the
# previous run's pg_cron job is unscheduled first, so that it cannot rescore
# a half-loaded data set, and scheduled again at the end).
# Stop the cluster with: scripts/cluster.sh stop demo
# Environment: PGA_DEMO_SEED (42), PGA_DEMO_EVENTS (1000000), PGA_DEMO_PORT
# (54320), PGA_DEMO_CLUSTER (demo; tests use another name).
source "$(dirname "$0")/lib.sh"
need_root "$@"
port=${PGA_DEMO_PORT:-54320}
name=${PGA_DEMO_CLUSTER:-demo}
db=adoption_demo

ensure_packages
build_install
cluster_start "$name" "$port" "$db"

say "creating database $db with pg_cron and pg_adoption"
psql -X -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
	|| psql -X -q -d postgres -c "CREATE DATABASE $db"
# pg_cron runs the previous run's job (adoption.upkeep(), every 15 minutes)
# whatever this script does: unschedule it before the reload, and wait for a
# run of it that has already started (it would hold locks the DROP waits for,
# or rescore the half-loaded data right after).
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE TEMP TABLE old_jobs AS SELECT j.jobid FROM cron.job AS j
WHERE j.jobname = 'pg_adoption_rescore_' || current_database();
SELECT cron.unschedule(o.jobid) FROM old_jobs AS o \g /dev/null
-- A run pg_cron has started is 'starting' in cron.job_run_details before its
-- query shows in pg_stat_activity: wait for both (at most a minute).
DO $$
DECLARE
	deadline timestamptz := clock_timestamp() + interval '60 seconds';
BEGIN
	WHILE clock_timestamp() < deadline AND (
		EXISTS (SELECT FROM pg_stat_activity AS a
			WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
				AND a.query LIKE '%adoption.upkeep()%' AND a.state <> 'idle')
		OR EXISTS (SELECT FROM cron.job_run_details AS d JOIN old_jobs AS o USING (jobid)
			WHERE d.status IN ('starting', 'running') AND d.start_time > now() - interval '1 hour')) LOOP
		PERFORM pg_sleep(0.2);
	END LOOP;
END
$$;
DROP EXTENSION IF EXISTS pg_adoption CASCADE;
CREATE EXTENSION pg_adoption;
SQL

say "loading the demo data set (seed ${PGA_DEMO_SEED:-42}; about a minute)"
psql -X -q -v ON_ERROR_STOP=1 -v seed="${PGA_DEMO_SEED:-42}" -v events="${PGA_DEMO_EVENTS:-1000000}" \
	-d "$db" -f "$REPO/scripts/demo.sql"

say "scheduling health rescoring and upkeep with pg_cron (every 15 minutes)"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -tAc "SELECT 'pg_cron job ' || adoption.schedule_rescoring()"

say "what the demo holds"
psql -X -v ON_ERROR_STOP=1 -d "$db" -f "$REPO/scripts/demo_show.sql"

data=$(cluster_dir "$name")
env=
[ "$port" = 54320 ] || env="PGA_DEMO_PORT=$port "
cat <<MSG

The demo cluster keeps running (data in $data/data, server log in
$data/server.log).  Connect with (as root, or as a user with sudo):
  ${env}scripts/cluster.sh psql demo
or, as root:
  psql -h $PGHOST -p $PGPORT -U postgres $db
Stop it with:
  ${env}scripts/cluster.sh stop demo
The dashboard over this data (built, then served on http://127.0.0.1:3000/):
  ${env}scripts/dashboard.sh
MSG
