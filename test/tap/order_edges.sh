#!/usr/bin/env bash
# TAP: the hand-worked edge cases of test/pgtap/09_reference.sql (late
# successes, duplicate times, exactly 7 days, exactly W, rate = theta,
# success rate = sigma, users leaving and coming back, a late event that
# removes a milestone) and tenant q (a user's old uses counting once it is
# active again), test/reference/edge_events.sql, sent through the ingest
# engine one INSERT per event in six orders (as listed, time, reverse time,
# three random), in one statement and in one statement per event time (in
# time order): every load's state equals the
# reference (test/reference/definitions.sql), whose milestones are first
# checked against the ones worked out by hand.  Uses the server
# PGHOST/PGPORT/PGUSER point at.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/test/reference/compare_lib.sh"
export PGTZ=UTC PGOPTIONS="-c client_min_messages=warning"
master=adoption_edges
work=$(mktemp -d)
dbs=()
trap 'for db in "${dbs[@]}" $master; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null; done; rm -rf "$work"' EXIT
columns='event_id, tenant_id, user_id, feature_id, usage_timestamp, session_duration, success_outcome'

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $master" 2>/dev/null
q -d postgres -c "CREATE DATABASE $master" && q -d $master -c 'CREATE EXTENSION pg_adoption' &&
	q -d $master -f "$here/test/reference/edge_events.sql" && q -d $master <<'SQL' &&
ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events;
INSERT INTO adoption.tenants (tenant_id) SELECT DISTINCT tenant_id FROM edge.events;
INSERT INTO adoption.settings (tenant_id, aha_successes, usage_velocity_threshold, feature_adoption_threshold)
SELECT * FROM edge.settings;
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp,
	session_duration, success_outcome)
SELECT event_id, tenant_id, user_id, feature_id, usage_timestamp, session_duration, success_outcome
FROM edge.events ORDER BY seq;
SQL
	q -d $master -f "$here/test/reference/definitions.sql" && snap_setup && snapshot $master ref ref
ok $? "edge cases loaded with the trigger disabled, reference computed"
[ "$failed" = 0 ] || { plan; exit 1; }

# The milestones worked out by hand (09_reference.sql, edge_events.sql).
got=$(q -d $master -c "SET TimeZone = 'UTC'; SELECT string_agg(tenant_id || '/' || feature_id || ' ' || to_char(feature_adopted_at, 'MM-DD HH24:MI'), ', ' ORDER BY tenant_id, feature_id) FROM ref.tenant_feature_milestones")
want='a/f 10-15 09:00, b/x 10-03 10:00, d/z 11-09 10:00, e/z 10-02 11:00, f/z 10-02 10:00, k3/y 09-11 10:00, k4/z 08-10 10:00, r1/x 06-10 10:00'
[ "$got" = "$want" ]
ok $? "reference milestones are the hand-worked ones: $want"
[ "$got" = "$want" ] || echo "# reference: $got"

q -d $master -c "SELECT format('INSERT INTO adoption.settings (tenant_id, aha_successes, usage_velocity_threshold, feature_adoption_threshold) VALUES (%L, %L, %L, %L);', tenant_id, aha_successes, usage_velocity_threshold, feature_adoption_threshold) FROM edge.settings" >"$work/settings.sql"
values="format('(%L, %L, %L, %L, %L, %s, %L)', event_id, tenant_id, user_id, feature_id, usage_timestamp, session_duration, success_outcome)"
insert="INSERT INTO adoption.feature_usage_events ($columns) VALUES "
for o in 'listed:seq' 'time:usage_timestamp, seq' 'reverse:usage_timestamp DESC, seq DESC' \
	"random1:md5('r1' || seq)" "random2:md5('r2' || seq)" "random3:md5('r3' || seq)"; do
	tag=${o%%:*}
	q -d $master -c "SET TimeZone = 'UTC'; SELECT '$insert' || $values || ';' FROM edge.events ORDER BY ${o#*:}" >"$work/$tag.sql"
done
q -d $master -c "SET TimeZone = 'UTC'; SELECT '$insert' || string_agg($values, ', ' ORDER BY seq) || ';' FROM edge.events" >"$work/one.sql"
# One statement per event time, in time order: the events of several users
# (and tenants) at one time arrive together.
q -d $master -c "SET TimeZone = 'UTC'; SELECT '$insert' || string_agg($values, ', ' ORDER BY seq) || ';' FROM edge.events GROUP BY usage_timestamp ORDER BY usage_timestamp" >"$work/bytime.sql"

for tag in listed time reverse random1 random2 random3 one bytime; do
	db=adoption_edges_$tag
	dbs+=("$db")
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
	q -d postgres -c "CREATE DATABASE $db" && q -d $db -c 'CREATE EXTENSION pg_adoption' &&
		q -d $db -f "$work/settings.sql" && q -d $db -f "$work/$tag.sql" 2>"$work/$tag.err"
	ok $? "$tag: $(wc -l <"$work/$tag.sql") INSERT statements of the $(q -d $master -c 'SELECT count(*) FROM edge.events') events"
	comment <"$work/$tag.err"
	snapshot $db adoption "$tag"
	compare_all "$tag" ref "the reference"
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
done

plan
exit $failed
