#!/usr/bin/env bash
# TAP: adoption state is a function of the SET of committed events.  One
# data set (test/reference/order_events.sql: 21,000 events, 12 skewed
# tenants, 12 % of them late by days or weeks, duplicate times, settings
# overrides) is loaded into a fresh database in eight ways: one COPY in time
# order, one in reverse time order, three in random orders, one INSERT per
# event and INSERTs of 500 rows (both in arrival order), and four concurrent
# sessions each sending a quarter in random order, 50 rows a statement.
# The batch load then gets every event again (ON CONFLICT DO NOTHING): the
# state must not change.  After each load every column of
# user_feature_state, tenant_user_state, tenant_state,
# tenant_feature_counts, tenant_feature_milestones and the view
# tenant_feature_state (but updated_at, milestone_buffer, activity,
# evidence; velocity_per_week within 1e-9 relative) must equal (a) the
# first load's and (b) the reference computed in plain SQL from the event
# log alone (test/reference/definitions.sql, checked by hand in
# test/pgtap/09_reference.sql); after the concurrent load, also after
# adoption.rebuild().  Every load enqueues exactly one action per milestone
# reached.  Uses the server PGHOST/PGPORT/PGUSER point at; ORDER_EVENTS
# changes the size (under 20,000 the data set check fails), ORDER_KEEP=1
# keeps the databases (adoption_order: the data set, the reference and the
# snapshots; adoption_order_<load>).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/test/reference/compare_lib.sh"
export PGTZ=UTC PGOPTIONS="-c client_min_messages=warning"
events=${ORDER_EVENTS:-21000}
master=adoption_order
work=$(mktemp -d)
dbs=()
cleanup() {
	if [ "${ORDER_KEEP:-0}" != 1 ]; then
		for db in "${dbs[@]}" $master; do
			psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
		done
	fi
	rm -rf "$work"
}
trap cleanup EXIT
columns='event_id, tenant_id, user_id, feature_id, usage_timestamp, session_duration, success_outcome'

# The data set and the reference, in the master database: the event log
# filled with the ingest trigger disabled (the reference reads the log alone).
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $master" 2>/dev/null
q -d postgres -c "CREATE DATABASE $master"
{
	q -d $master -c 'CREATE EXTENSION pg_adoption' &&
		q -d $master -v events="$events" -f "$here/test/reference/order_events.sql" &&
		q -d $master <<'SQL'
ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events;
INSERT INTO adoption.tenants (tenant_id) SELECT tenant_id FROM gen.tenants;
INSERT INTO adoption.settings (tenant_id, aha_successes, usage_velocity_threshold, feature_adoption_threshold,
	success_outcome_rate, active_window)
SELECT tenant_id, aha_successes, usage_velocity_threshold, feature_adoption_threshold, success_outcome_rate,
	active_window FROM gen.settings;
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp,
	session_duration, success_outcome)
SELECT event_id, tenant_id, user_id, feature_id, usage_timestamp, session_duration, success_outcome
FROM gen.events ORDER BY seq;
SQL
} && start=$SECONDS && q -d $master -f "$here/test/reference/definitions.sql"
ok $? "data set generated and the reference computed from its event log ($((SECONDS - ${start:-SECONDS})) s)"
[ "$failed" = 0 ] || { plan; exit 1; }

# The data set is what the test needs: size, skew, late events (an event
# is late if an event that arrived before it is more than a day later),
# duplicate times within a user x feature, milestones reached.
stats=$(q -d $master <<'SQL'
SELECT format('%s events, %s tenants (largest %s events), %s users, %s features, %s %% successes, %s %% late, %s user x feature keys with a repeated time, %s of %s tenant x feature milestones reached',
	e.events, e.tenants, e.largest, e.users, e.features, round(100 * e.successes, 1), round(100 * l.late, 1), d.dups,
	(SELECT count(*) FROM ref.tenant_feature_milestones), (SELECT count(*) FROM ref.tenant_feature_counts))
	|| '|' || (e.events >= 20000 AND e.tenants >= 10 AND l.late >= 0.10 AND d.dups > 0
		AND (SELECT count(*) FROM ref.tenant_feature_milestones) >= 5)
FROM (SELECT count(*) AS events, count(DISTINCT tenant_id) AS tenants, count(DISTINCT (tenant_id, user_id)) AS users,
		count(DISTINCT feature_id) AS features, avg(success_outcome::int) AS successes,
		(SELECT count(*) FROM gen.events GROUP BY tenant_id ORDER BY 1 DESC LIMIT 1) AS largest
	FROM gen.events) AS e,
	(SELECT avg(late::int) AS late
		FROM (SELECT usage_timestamp < max(usage_timestamp) OVER w - interval '1 day' AS late
			FROM gen.events WINDOW w AS (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) AS x) AS l,
	(SELECT count(*) AS dups FROM (SELECT 1 FROM gen.events GROUP BY tenant_id, user_id, feature_id, usage_timestamp
		HAVING count(*) > 1) AS x) AS d
SQL
)
[ "${stats##*|}" = true ]
ok $? "data set: ${stats%|*}"

# Snapshots of the state (test/reference/compare_lib.sh) go to table snap
# of the master; the reference is tag ref.
snap_setup
snapshot $master ref ref
ok $? "reference snapshot taken"

# The load files, from the master: CSV in time order, reverse time order,
# three random orders; SQL with one INSERT per event, with INSERTs of 500
# rows in arrival order, all again in random order by 500 rows ON CONFLICT
# DO NOTHING, and four quarters in random order by 50 rows.
q -d $master -c "COPY (SELECT $columns FROM gen.events ORDER BY usage_timestamp, event_id) TO STDOUT (FORMAT csv)" >"$work/time.csv"
q -d $master -c "COPY (SELECT $columns FROM gen.events ORDER BY usage_timestamp DESC, event_id DESC) TO STDOUT (FORMAT csv)" >"$work/reverse.csv"
for r in 1 2 3; do
	q -d $master -c "COPY (SELECT $columns FROM gen.events ORDER BY md5('random$r:' || event_id)) TO STDOUT (FORMAT csv)" >"$work/random$r.csv"
done
values="format('(%L, %L, %L, %L, %L, %s, %L)', event_id, tenant_id, user_id, feature_id, usage_timestamp, session_duration, success_outcome)"
insert="INSERT INTO adoption.feature_usage_events ($columns) VALUES "
q -d $master -c "SELECT '$insert' || $values || ';' FROM gen.events ORDER BY seq" >"$work/single.sql"
q -d $master -c "SELECT '$insert' || string_agg($values, ', ' ORDER BY seq) || ';' FROM gen.events GROUP BY (seq - 1) / 500 ORDER BY (seq - 1) / 500" >"$work/batch500.sql"
q -d $master -c "SELECT '$insert' || string_agg($values, ', ' ORDER BY r) || ' ON CONFLICT DO NOTHING;'
	FROM (SELECT *, row_number() OVER (ORDER BY md5('resend:' || event_id)) AS r FROM gen.events) AS x
	GROUP BY (r - 1) / 500 ORDER BY (r - 1) / 500" >"$work/resend.sql"
for s in 0 1 2 3; do
	q -d $master -c "SELECT '$insert' || string_agg($values, ', ' ORDER BY r) || ';'
		FROM (SELECT *, row_number() OVER (ORDER BY md5('conc-order:' || event_id)) AS r FROM gen.events
			WHERE ('x' || substr(md5('conc:' || event_id), 1, 8))::bit(32)::int & 3 = $s) AS x
		GROUP BY (r - 1) / 50 ORDER BY (r - 1) / 50" >"$work/conc$s.sql"
done
# The log every load must hold: count and digest of the rows sent.
digest="SELECT count(*) || ':' || md5(string_agg(concat_ws(',', $columns), '|' ORDER BY event_id)) FROM"
want_log=$(q -d $master -c "SET TimeZone = 'UTC'; $digest gen.events")
# The settings overrides of the data set, for each load's database.
q -d $master -c "SELECT format('INSERT INTO adoption.settings (tenant_id, aha_successes, usage_velocity_threshold, feature_adoption_threshold, success_outcome_rate, active_window) VALUES (%L, %L, %L, %L, %L, %L);', tenant_id, aha_successes, usage_velocity_threshold, feature_adoption_threshold, success_outcome_rate, active_window) FROM gen.settings" >"$work/settings.sql"

# A fresh database with the extension, the overrides and every milestone
# mapped to a campaign (so that each is enqueued).
fresh() {
	local db=$1
	dbs+=("$db")
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
	q -d postgres -c "CREATE DATABASE $db" && q -d "$db" -c 'CREATE EXTENSION pg_adoption' &&
		q -d "$db" -f "$work/settings.sql" &&
		q -d "$db" -c "INSERT INTO adoption.milestone_campaigns (milestone, template_key) VALUES ('activated', 'adoption_nudge'), ('adopted', 'adoption_success')"
}

# One action per milestone reached and per (milestone, subject), none for a
# user milestone not reached, keys and actions one to one.  A feature_adopted
# action may outlive its milestone (a late event removed it): counted, allowed.
actions_check() {
	q -d "$1" <<'SQL'
WITH reached AS (
	SELECT s.tenant_id, m.milestone, s.feature_id, s.user_id
	FROM adoption.user_feature_state AS s,
		LATERAL (VALUES ('activated', s.activated_at), ('adopted', s.adopted_at), ('habitual', s.habitual_at)) AS m (milestone, at)
	WHERE m.at IS NOT NULL
	UNION ALL
	SELECT tenant_id, 'feature_adopted', feature_id, NULL FROM adoption.tenant_feature_milestones
), acts AS (
	SELECT a.tenant_id, a.dedupe_key::jsonb ->> 0 AS milestone, a.dedupe_key::jsonb ->> 1 AS feature_id,
		a.dedupe_key::jsonb ->> 2 AS user_id, a.feature_id AS col_feature, a.user_id AS col_user
	FROM adoption.campaign_actions AS a
	WHERE a.dedupe_key::jsonb ->> 0 IN ('activated', 'adopted', 'habitual', 'feature_adopted')
), counted AS (
	SELECT tenant_id, milestone, feature_id, coalesce(user_id, '') AS user_key, count(*) AS actions
	FROM acts GROUP BY 1, 2, 3, 4
), per_reached AS (
	SELECT r.milestone, coalesce(c.actions, 0) AS actions
	FROM reached AS r
	LEFT JOIN counted AS c ON c.tenant_id = r.tenant_id AND c.milestone = r.milestone
		AND c.feature_id = r.feature_id AND c.user_key = coalesce(r.user_id, '')
), unreached AS (
	SELECT c.* FROM counted AS c
	WHERE NOT EXISTS (SELECT 1 FROM reached AS r WHERE r.tenant_id = c.tenant_id AND r.milestone = c.milestone
		AND r.feature_id = c.feature_id AND coalesce(r.user_id, '') = c.user_key)
), stats AS (
	SELECT (SELECT count(*) FROM per_reached WHERE actions <> 1) AS not_one,
		(SELECT count(*) FROM counted WHERE actions > 1) AS twice,
		(SELECT count(*) FROM unreached WHERE milestone <> 'feature_adopted') AS user_unreached,
		(SELECT count(*) FROM unreached WHERE milestone = 'feature_adopted') AS tenant_unreached,
		(SELECT count(*) FROM acts WHERE col_feature IS DISTINCT FROM feature_id OR col_user IS DISTINCT FROM user_id)
			AS bad_columns,
		(SELECT count(*) FROM adoption.campaign_action_keys AS k FULL JOIN adoption.campaign_actions AS a
			USING (tenant_id, dedupe_key) WHERE k.action_id IS DISTINCT FROM a.action_id) AS key_mismatch,
		(SELECT count(*) FROM per_reached) AS reached,
		(SELECT count(*) FROM per_reached WHERE milestone = 'feature_adopted') AS reached_tenant
)
SELECT (not_one = 0 AND twice = 0 AND user_unreached = 0 AND bad_columns = 0 AND key_mismatch = 0)
	|| format('|%s milestones reached (%s feature_adopted): %s without exactly one action, %s (milestone, subject) with two or more, %s user-milestone actions not reached, %s actions naming another subject in their columns, %s keys not matching one action; %s feature_adopted actions whose milestone a later event removed (allowed)',
		reached, reached_tenant, not_one, twice, user_unreached, bad_columns, key_mismatch, tenant_unreached)
FROM stats;
SQL
}

# after_load TAG DB SECONDS: the log, the actions, the snapshot and the comparisons.
first=
after_load() {
	local tag=$1 db=$2 secs=$3 got r
	got=$(q -d "$db" -c "SET TimeZone = 'UTC'; $digest adoption.feature_usage_events")
	[ "$got" = "$want_log" ]
	ok $? "$tag: the event log holds exactly the ${want_log%%:*} events sent (loaded in $secs s)"
	r=$(actions_check "$db")
	[ "${r%%|*}" = true ]
	ok $? "$tag: one action per milestone reached: ${r#*|}"
	snapshot "$db" adoption "$tag"
	compare "$tag" ref "the reference"
	if [ -z "$first" ]; then
		first=$tag
	else
		compare "$tag" "$first" "the first load's ($first)"
	fi
}

# copy_load TAG FILE: one COPY statement.
copy_load() {
	local tag=$1 db=adoption_order_$1 start
	fresh "$db" || { ok 1 "$tag: database created"; return; }
	start=$SECONDS
	q -d "$db" -c "\\copy adoption.feature_usage_events ($columns) FROM '$2' (FORMAT csv)" 2>"$work/$tag.err"
	ok $? "$tag: one COPY of all events"
	comment <"$work/$tag.err"
	after_load "$tag" "$db" $((SECONDS - start))
}
# sql_load TAG FILE DESCRIPTION: statements, each in its own transaction.
sql_load() {
	local tag=$1 db=adoption_order_$1 start
	fresh "$db" || { ok 1 "$tag: database created"; return; }
	start=$SECONDS
	q -d "$db" -f "$2" 2>"$work/$tag.err"
	ok $? "$tag: $3"
	comment <"$work/$tag.err"
	after_load "$tag" "$db" $((SECONDS - start))
}

copy_load time "$work/time.csv"
copy_load reverse "$work/reverse.csv"
for r in 1 2 3; do
	copy_load random$r "$work/random$r.csv"
done
sql_load single "$work/single.sql" "one INSERT statement per event, in arrival order ($(wc -l <"$work/single.sql") statements)"
sql_load batch500 "$work/batch500.sql" "INSERTs of 500 rows in arrival order ($(wc -l <"$work/batch500.sql") statements)"
# Every event sent again (random order, 500 rows, ON CONFLICT DO NOTHING):
# the set is the same, so is the state.
q -d adoption_order_batch500 -f "$work/resend.sql" 2>"$work/resend.err"
ok $? "batch500: every event sent again with ON CONFLICT DO NOTHING ($(wc -l <"$work/resend.sql") statements)"
comment <"$work/resend.err"
[ "$(q -d adoption_order_batch500 -c "SET TimeZone = 'UTC'; $digest adoption.feature_usage_events")" = "$want_log" ]
ok $? "batch500+resend: the event log still holds exactly the ${want_log%%:*} events"
snapshot adoption_order_batch500 adoption batch500+resend
compare batch500+resend ref "the reference"

# Four sessions at once, each a quarter of the events in random order, 50
# rows a statement.  They really overlap: the four intervals of ingested_at
# (each statement's transaction start) share a time.
tag=concurrent
db=adoption_order_$tag
if fresh $db; then
	start=$SECONDS
	pids=()
	for s in 0 1 2 3; do
		q -d $db -f "$work/conc$s.sql" 2>"$work/conc$s.err" &
		pids+=($!)
	done
	rcs=0
	for p in "${pids[@]}"; do
		wait "$p" || rcs=$((rcs + 1))
	done
	[ $rcs = 0 ]
	ok $? "$tag: 4 concurrent sessions of $(cat "$work"/conc?.sql | wc -l) INSERTs of 50 rows ($rcs sessions failed)"
	cat "$work"/conc?.err | comment 10
	overlap=$(q -d $db -c "SELECT (max(lo) < min(hi)) || '|' || string_agg(format('session %s %s..%s', s, lo::time(0), hi::time(0)), ', ' ORDER BY s)
		FROM (SELECT ('x' || substr(md5('conc:' || event_id), 1, 8))::bit(32)::int & 3 AS s,
			min(ingested_at) AS lo, max(ingested_at) AS hi FROM adoption.feature_usage_events GROUP BY 1) AS x")
	[ "${overlap%%|*}" = true ]
	ok $? "$tag: the four sessions ran at the same time (${overlap#*|})"
	after_load $tag $db $((SECONDS - start))
	replayed=$(q -d $db -c "SELECT adoption.rebuild()" 2>&1)
	[ "$replayed" = "${want_log%%:*}" ]
	ok $? "$tag: adoption.rebuild() replayed $replayed events"
	snapshot $db adoption "$tag+rebuild"
	compare "$tag+rebuild" ref "the reference"
	compare "$tag+rebuild" "$first" "the first load's ($first)"
else
	ok 1 "$tag: database created"
fi

plan
exit $failed
