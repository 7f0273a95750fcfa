#!/usr/bin/env bash
# The dashboard in one command: installs Node and npm (Debian packages) if
# missing, starts the demo cluster (scripts/run.sh loads it first if it has
# no demo database), brings the daily snapshots up to date, installs the
# dashboard's npm packages (package-lock.json), builds dashboard/ against the
# demo data and serves it on http://127.0.0.1:${PGA_DASHBOARD_PORT:-3000}/.
#   scripts/dashboard.sh            build and serve
#   scripts/dashboard.sh --build    build only (dashboard/dist)
# PG* variables already set (PGHOST, PGPORT, PGUSER, PGDATABASE, PGOPTIONS)
# choose another server; then nothing is started or written.
source "$(dirname "$0")/lib.sh"
need_root "$@"
port=${PGA_DEMO_PORT:-54320}

ensure_node
if [ -z "${PGDATABASE:-}" ]; then
	ensure_packages
	if pg pg_ctl -D "$(cluster_dir demo)/data" status >/dev/null 2>&1; then
		export PGHOST=/tmp/pg_adoption-$port PGPORT=$port PGUSER=postgres
	else
		cluster_start demo "$port" adoption_demo
	fi
	if ! psql -X -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'adoption_demo'" | grep -q 1; then
		bash "$REPO/scripts/run.sh"
	fi
	export PGDATABASE=adoption_demo
	say "bringing the daily snapshots up to date"
	psql -X -q -v ON_ERROR_STOP=1 -tAc "SELECT adoption.snapshot_adoption() || ' tenant-days written'"
fi
dashboard_build
[ "${1:-}" = "--build" ] && exit 0
say "serving (Ctrl-C stops)"
exec node "$REPO/dashboard/lib/serve.js" "$REPO/dashboard/dist" "${PGA_DASHBOARD_PORT:-3000}"
