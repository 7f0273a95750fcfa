#!/usr/bin/env bash
# TAP: the dashboard (dashboard/, docs/bi.md).  Loads a small demo data set
# (scripts/demo.sql, 60,000 events, 40 tenants) into a database of the
# server PGHOST/PGPORT/PGUSER point at, keeps the daily snapshots, builds
# the dashboard against it (scripts/lib.sh dashboard_build: npm ci from
# package-lock.json when needed), serves it on 127.0.0.1 and opens every
# page in headless Chromium with outside hosts blocked
# (dashboard/test/check.js): each chart rendered marks, no request left the
# machine, no console error.  Then builds it again as a login role in
# adoption_tenant for one tenant, which must see only that tenant's rows.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
source "$repo/scripts/lib.sh"
source "$repo/test/lib/tap.sh"
set +e
db=adoption_dashboard
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null; psql -X -q -d postgres -c "DROP ROLE IF EXISTS adoption_dashboard_tenant" 2>/dev/null' EXIT

ensure_node >/dev/null
if ! command -v chromium >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1
fi
command -v chromium >/dev/null 2>&1
ok $? "chromium (Debian package) is installed"

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
psql -X -q -d postgres -c "CREATE DATABASE $db" &&
	psql -X -q -v ON_ERROR_STOP=1 -d $db -c "SET client_min_messages = warning" -c "CREATE EXTENSION pg_adoption" &&
	psql -X -q -v ON_ERROR_STOP=1 -v events=60000 -v tenants=40 -d $db -f "$repo/scripts/demo.sql" >/dev/null &&
	psql -X -q -v ON_ERROR_STOP=1 -d $db -c "SELECT adoption.snapshot_adoption()" >/dev/null
ok $? "small demo data set loaded, daily snapshots kept"

export PGDATABASE=$db
out=$(dashboard_build 2>&1)
ok $? "dashboard built against $db: $(echo "$out" | tail -n 1)"
echo "$out" | tail -n 20 | why 20

log=$(mktemp)
node "$repo/dashboard/lib/serve.js" "$repo/dashboard/dist" 0 >"$log" 2>&1 &
server=$!
for _ in $(seq 50); do grep -q http "$log" && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$log")
[ -n "$url" ]
ok $? "dashboard served on 127.0.0.1 ($url)"

# check.js prints its own TAP lines: renumber them into this file's.
(cd "$repo/dashboard" && node test/check.js "$url") 2>&1 | while IFS= read -r line; do
	case "$line" in
		"ok "*|"not ok "*) echo "$line" ;;
		1..*) ;;
		*) echo "# $line" ;;
	esac
done >"$log.tap"
while IFS= read -r line; do
	case "$line" in
		"ok "*) ok 0 "${line#ok * - }" ;;
		"not ok "*) ok 1 "${line#not ok * - }" ;;
		*) echo "$line" ;;
	esac
done <"$log.tap"
grep -q '^ok ' "$log.tap"
ok $? "the browser check ran"
kill "$server" 2>/dev/null; server=

# Under adoption_tenant for one tenant: the build reads only its rows.
tenant=$(psql -X -q -tA -d $db -c "SELECT tenant_id FROM adoption.tenant_health ORDER BY score, tenant_id LIMIT 1")
psql -X -q -d postgres -c "DROP ROLE IF EXISTS adoption_dashboard_tenant" -c "CREATE ROLE adoption_dashboard_tenant LOGIN IN ROLE adoption_tenant" 2>/dev/null
out=$(PGUSER=adoption_dashboard_tenant PGOPTIONS="-c adoption.tenant_id=$tenant" dashboard_build 2>&1)
ok $? "dashboard built as a login role in adoption_tenant for tenant $tenant"
echo "$out" | tail -n 20 | why 20
seen=$(node -e "const d = require('$repo/dashboard/dist/_file/data/' + require('fs').readdirSync('$repo/dashboard/dist/_file/data').find((f) => f.startsWith('health.'))); console.log([...new Set(d.least.map((r) => r.tenant_id))].join(','))" 2>&1)
[ "$seen" = "$tenant" ]
ok $? "the tenant's build lists only its own tenant among the least healthy ($seen)"
rm -f "$log" "$log.tap"
plan
[ "$failed" = 0 ]
