#!/usr/bin/env bash
# feedback_update_bench.sh: what a single-row UPDATE and DELETE of
# adoption.feedback cost with the persona profile's statement triggers
# (src/profiles.c), on a tenant with many rows a month.
#
#   test/bench/feedback_update_bench.sh [ROWS] [STATEMENTS]
#
# Against the server PGHOST/PGPORT point at: creates the database
# adoption_feedback_bench afresh, loads ROWS feedback rows (default 25000;
# four fifths of tenant a, one row every 4 minutes from May 2026, so about
# 9,000 rows of a in a month), then times STATEMENTS (default 300)
# single-row UPDATEs of a's text and as many DELETEs, one statement each,
# and prints the milliseconds per statement.  To compare two builds, run it
# once with each installed (the profile's update path recounted the whole
# tenant-month before issue 18's audit; it now applies differences and
# rescans a month only when the row that held its latest time goes).
set -eu
export PGOPTIONS="-c client_min_messages=warning"
rows=${1:-25000}
n=${2:-300}
db=adoption_feedback_bench
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db"' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pg_adoption;
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, body, created_at)
SELECT CASE WHEN i % 5 = 0 THEN 'b' ELSE 'a' END, 'f' || i, 'survey',
	(ARRAY['The dashboards are slow and crash every morning.', 'Dashboards load fast and the team loves them.',
		'Please add custom fields to the report builder.', 'We save 5 hours a week with the report builder.'])[1 + i % 4],
	timestamptz '2026-05-01 00:00+00' + i * interval '4 minutes'
FROM generate_series(1, $rows) AS i;
SQL
ms() {
	psql -X -q -tA -v ON_ERROR_STOP=1 -d $db -c "DO \$\$ BEGIN PERFORM set_config('b.t0', clock_timestamp()::text, false); END \$\$" \
		-c "DO \$\$ BEGIN FOR i IN 1..$n LOOP $1; END LOOP; END \$\$" \
		-c "SELECT round(extract(epoch FROM clock_timestamp() - current_setting('b.t0')::timestamptz)::numeric * 1000 / $n, 3)"
}
echo "update: $(ms "UPDATE adoption.feedback SET body = 'Terrible.' WHERE tenant_id = 'a' AND feedback_id = 'f' || (i * 7 + 1)") ms a statement"
echo "delete: $(ms "DELETE FROM adoption.feedback WHERE tenant_id = 'a' AND feedback_id = 'f' || (i * 7 + 2)") ms a statement"
