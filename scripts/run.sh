#!/usr/bin/env bash
# The product in one command: installs what is missing, builds and installs
# pg_adoption, starts the private demo cluster (pg_cron preloaded), creates
# the extension in database adoption_demo, loads the deterministic demo data
# set and prints the views.  Run again: it rebuilds and reloads the demo.
# Stop the cluster with: scripts/cluster.sh stop demo
source "$(dirname "$0")/lib.sh"
need_root "$@"
port=${PGA_DEMO_PORT:-54320}
db=adoption_demo

ensure_packages
build_install
cluster_start demo "$port" "$db"

say "creating database $db with pg_cron and pg_adoption"
psql -X -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
	|| psql -X -q -d postgres -c "CREATE DATABASE $db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_cron;
DROP EXTENSION IF EXISTS pg_adoption CASCADE;
CREATE EXTENSION pg_adoption;
SQL

say "loading the demo data set (seed ${PGA_DEMO_SEED:-42}; about a minute)"
psql -X -q -v ON_ERROR_STOP=1 -v seed="${PGA_DEMO_SEED:-42}" -d "$db" -f "$REPO/scripts/demo.sql"

say "scheduling health rescoring and upkeep with pg_cron (every 15 minutes)"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -tAc "SELECT 'pg_cron job ' || adoption.schedule_rescoring()"

say "what the demo holds"
psql -X -v ON_ERROR_STOP=1 -d "$db" -f "$REPO/scripts/demo_show.sql"

cat <<MSG

The demo cluster keeps running.  Connect with:
  sudo scripts/cluster.sh psql demo        (or: sudo -u postgres psql -h $PGHOST -p $PGPORT $db)
Stop it with:
  sudo scripts/cluster.sh stop demo
The dashboard over this data (built, then served on http://127.0.0.1:3000/):
  sudo scripts/dashboard.sh
MSG
