#!/usr/bin/env bash
# TAP: the product analytics (adoption.retention, lifecycle, stickiness, pes,
# feature_retention) against a plain-SQL oracle written from the published
# definitions (test/reference/analytics_oracle.sql), on a skewed event set
# (test/reference/analytics_events.sql: a whale tenant, one-event users, the
# same user_id in many tenants, events on period boundaries and around a
# 23-hour DST day, events before and after the range) loaded in shuffled
# order by four concurrent sessions in many statements, with late events
# sent afterwards by two more.  Every function is compared row by row with
# the oracle for users and tenants, all features and one, day / ISO week /
# month, one tenant and all, in three session time zones (UTC,
# America/Los_Angeles, Asia/Kolkata): periods are UTC whatever the zone.
# Uses the server PGHOST/PGPORT/PGUSER point at.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/test/lib/tap.sh"
export PGOPTIONS="-c client_min_messages=warning"
db=adoption_analytics_oracle
work=$(mktemp -d)
# ANALYTICS_ORACLE_KEEP=1 keeps the database (to look into a difference).
trap '[ -n "${ANALYTICS_ORACLE_KEEP:-}" ] || psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null; rm -rf "$work"' EXIT

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
q -d postgres -c "CREATE DATABASE $db" && q -d $db -c 'CREATE EXTENSION pg_adoption' &&
	q -d $db -f "$here/test/reference/analytics_events.sql" && q -d $db <<'SQL'
INSERT INTO adoption.features (feature_id, tier, launched_at) VALUES
	('f1', 'core', NULL), ('f2', 'core', NULL), ('f3', 'core', '2026-03-15 12:00+00'), ('f4', 'advanced', NULL);
INSERT INTO adoption.tenants (tenant_id, created_at) VALUES ('early', '2026-01-10 00:00+00');
-- Overrides: s03 a 7-day active window, a lower threshold, its own weights;
-- s05 a window of '1 mon' (30 days).
INSERT INTO adoption.settings (tenant_id, active_window, feature_adoption_threshold, weight_usage_trend, weight_feedback)
VALUES ('s03', '7 days', 0.5, 1, 0), ('s05', '1 mon', NULL, NULL, NULL);
SQL
ok $? "event set generated: $(q -d $db -c "SELECT count(*) || ' events, ' || count(DISTINCT (tenant_id, user_id)) || ' users, ' || count(DISTINCT tenant_id) || ' tenants' FROM gen.events")"

# Shuffled INSERTs of 50 events each; four concurrent sessions in different
# time zones, then the late events from two more.
ins="SELECT 'INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome, integration_context) VALUES '
	|| string_agg(format('(%L, %L, %L, %L, %L, %L)', tenant_id, user_id, feature_id, to_char(usage_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US+00'), success_outcome,
		CASE WHEN campaign IS NULL THEN '{}' ELSE jsonb_build_object('campaign_influence', campaign)::text END), ', ') || ';'
	FROM (SELECT *, row_number() OVER (ORDER BY md5('shuffle' || seq)) AS r FROM gen.events WHERE late = LATE) AS s"
for part in 0 1 2 3; do
	q -d $db -c "${ins/LATE/false} WHERE r % 4 = $part GROUP BY r / 200 ORDER BY md5(r / 200 || 'o')" >"$work/load$part.sql"
done
for part in 0 1; do
	q -d $db -c "${ins/LATE/true} WHERE r % 2 = $part GROUP BY r / 100 ORDER BY r / 100 DESC" >"$work/late$part.sql"
done
zones=(UTC America/Los_Angeles Asia/Kolkata Europe/Berlin)
pids=()
for part in 0 1 2 3; do
	PGTZ=${zones[$part]} q -d $db -f "$work/load$part.sql" 2>"$work/load$part.err" &
	pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
# The daily snapshots (BI views) before the late events arrive.
q -d $db -c "SELECT adoption.snapshot_adoption('2025-12-01')" >/dev/null || status=1
pids=()
for part in 0 1; do
	PGTZ=${zones[$((part + 1))]} q -d $db -f "$work/late$part.sql" 2>"$work/late$part.err" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
loaded=$(q -d $db -c "SELECT count(*) FROM adoption.feature_usage_events")
[ "$status" = 0 ] && [ "$loaded" = "$(q -d $db -c 'SELECT count(*) FROM gen.events')" ]
ok $? "loaded by 6 concurrent sessions in $(cat "$work"/load*.sql "$work"/late*.sql | wc -l) statements, late events last: $loaded events"
cat "$work"/*.err | comment
q -d $db -c "SELECT adoption.snapshot_adoption()" >/dev/null
ok $? "daily snapshots taken before the late events, and again (incremental) after them"

q -d $db -f "$here/test/reference/analytics_oracle.sql" -f "$here/test/reference/health_oracle.sql" \
	-f "$here/test/reference/oracle_diff.sql"
ok $? "oracle installed"

# check_sql TZ LABEL QUERY ORACLE: the rows of two queries, in zone TZ.
check_sql() {
	local d rows
	d=$(q -d $db -c "SET TimeZone = '$1'" -c "SELECT * FROM oracle.diff(\$q\$$3\$q\$, \$q\$$4\$q\$)")
	rows=$(printf '%s\n' "$d" | tail -n 1)
	d=$(printf '%s\n' "$d" | sed '$d')
	[ -z "$d" ] && [ -n "$rows" ]
	ok $? "$2, TimeZone $1: $rows rows equal the oracle"
	printf '%s\n' "$d" | why 8
}

# check TZ FUNCTION ARGS: the function and the oracle on the same arguments.
check() {
	check_sql "$1" "$2($3)" "SELECT * FROM adoption.$2($3)" "SELECT * FROM oracle.$2($3)"
}

range="'2026-02-03', '2026-04-28'"
# Users and tenants, every period over all features in UTC and by week on
# one feature; in the two other zones (periods are UTC, whatever the
# session's zone) over all features, weeks in America/Los_Angeles (the
# 23-hour day falls in one), months in Asia/Kolkata.
for combo in "UTC:day week month:NULL" "UTC:week:'f2'" "America/Los_Angeles:week:NULL" "Asia/Kolkata:month:NULL"; do
	tz=${combo%%:*} rest=${combo#*:}
	periods=${rest%%:*} features=${rest#*:}
	for period in $periods; do
		for actor in user tenant; do
			for feature in $features; do
				check $tz retention "'$actor', $feature, '$period', $range, NULL, 'on'"
				check $tz retention "'$actor', $feature, '$period', $range, NULL, 'on_or_after'"
				check $tz lifecycle "'$actor', $feature, '$period', $range, NULL"
				check $tz stickiness "'$actor', $feature, '$period', $range, NULL"
				check $tz pes "'$actor', $feature, '$period', $range, NULL"
			done
			check $tz feature_retention "'$actor', NULL, '$period', $range, NULL, 1"
		done
	done
done
# One tenant; another interval number; a range starting on the 23-hour day.
for tz in UTC America/Los_Angeles; do
	periods='day week'
	[ $tz = UTC ] || periods=week
	for period in $periods; do
		check $tz retention "'user', NULL, '$period', '2026-03-08', '2026-04-05', 'whale', 'on'"
		check $tz lifecycle "'user', 'f1', '$period', '2026-03-08', '2026-04-05', 'edge'"
		check $tz stickiness "'user', NULL, '$period', '2026-03-08', '2026-04-05', 'whale'"
		check $tz pes "'tenant', NULL, '$period', '2026-03-08', '2026-04-05', NULL"
		check $tz feature_retention "'user', 'f3', '$period', '2026-03-01', '2026-04-30', NULL, 2"
	done
done

# BI: the daily snapshots, rewritten by the incremental run after the late
# events (a fifth of February and all of December arrived after the
# snapshots of those days were written), against test/reference/bi_oracle.sql.
q -d $db -f "$here/test/reference/bi_oracle.sql"
ok $? "BI oracle installed"
check_sql Asia/Kolkata "adoption_daily 2025-12-15 .. 2026-05-20" \
	"SELECT tenant_id, feature_id, day, active_users, active_adopters, adoption_rate, active_habitual, habitual_rate,
		activated_users, adopted_users, habitual_users, new_adopters, tenant_adopted
	FROM adoption.adoption_daily WHERE day BETWEEN '2025-12-15' AND '2026-05-20'" \
	"SELECT * FROM oracle.adoption_daily('2025-12-15', '2026-05-20')"
check_sql America/Los_Angeles "tenant_activity_daily 2025-12-15 .. 2026-05-20" \
	"SELECT tenant_id, day, active_users, users, events FROM adoption.tenant_activity_daily WHERE day BETWEEN '2025-12-15' AND '2026-05-20'" \
	"SELECT * FROM oracle.tenant_activity_daily('2025-12-15', '2026-05-20')"

# The series built on the daily snapshots: per feature across tenants
# (every tenant with a snapshot of the day counts in active_users, also
# those that never used the feature) and per tenant and ISO week (the
# values of the week's last day, new adopters summed, the mean daily rate).
q -d $db -c "CREATE TABLE oracle.ad AS SELECT * FROM oracle.adoption_daily('2025-12-15', '2026-05-17')" \
	-c "CREATE TABLE oracle.ta AS SELECT * FROM oracle.tenant_activity_daily('2025-12-15', '2026-05-17')"
# feature_adoption_daily: every tenant's day summed per feature.
fdaily="SELECT f.feature_id, t.day, sum(t.active_users) AS active_users, sum(coalesce(a.active_adopters, 0)) AS active_adopters,
		sum(coalesce(a.active_adopters, 0))::float8 / nullif(sum(t.active_users), 0) AS adoption_rate,
		sum(coalesce(a.active_habitual, 0)) AS active_habitual,
		sum(coalesce(a.active_habitual, 0))::float8 / nullif(sum(t.active_users), 0) AS habitual_rate,
		sum(coalesce(a.activated_users, 0)) AS activated_users, sum(coalesce(a.adopted_users, 0)) AS adopted_users,
		sum(coalesce(a.new_adopters, 0)) AS new_adopters, count(*) AS tenants,
		count(*) FILTER (WHERE a.activated_users > 0) AS tenants_using, count(*) FILTER (WHERE a.tenant_adopted) AS tenants_adopted
	FROM adoption.features AS f CROSS JOIN oracle.ta AS t
	LEFT JOIN oracle.ad AS a ON a.tenant_id = t.tenant_id AND a.feature_id = f.feature_id AND a.day = t.day
	GROUP BY f.feature_id, t.day"
check_sql Asia/Kolkata "feature_adoption_daily 2025-12-15 .. 2026-05-17" \
	"SELECT feature_id, day, active_users, active_adopters, adoption_rate, active_habitual, habitual_rate, activated_users,
		adopted_users, new_adopters, tenants, tenants_using, tenants_adopted
	FROM adoption.feature_adoption_daily WHERE day BETWEEN '2025-12-15' AND '2026-05-17'" \
	"$fdaily"
# feature_adoption_weekly / _monthly (docs/bi.md): the end-of-period row of
# feature_adoption_daily (its last day with a row), new adopters summed.
for per in "week:2025-12-15:2026-05-11:America/Los_Angeles" "month:2026-01-01:2026-04-01:Asia/Kolkata"; do
	IFS=: read -r p p0 p1 ptz <<<"$per"
	check_sql $ptz "feature_adoption_${p}ly $p0 .. $p1" \
		"SELECT feature_id, $p, last_day, active_users, active_adopters, adoption_rate, active_habitual, habitual_rate,
			activated_users, adopted_users, new_adopters, tenants, tenants_using, tenants_adopted
		FROM adoption.feature_adoption_${p}ly WHERE $p BETWEEN '$p0' AND '$p1'" \
		"WITH d AS ($fdaily), w AS (SELECT feature_id, date_trunc('$p', day)::date AS $p, max(day) AS last_day,
				sum(new_adopters) AS new_adopters FROM d WHERE day BETWEEN '$p0' AND ('$p1'::date + interval '1 $p' - interval '1 day')::date GROUP BY 1, 2)
		SELECT w.feature_id, w.$p, w.last_day, d.active_users, d.active_adopters, d.adoption_rate, d.active_habitual, d.habitual_rate,
			d.activated_users, d.adopted_users, w.new_adopters, d.tenants, d.tenants_using, d.tenants_adopted
		FROM w JOIN d ON d.feature_id = w.feature_id AND d.day = w.last_day"
done
check_sql America/Los_Angeles "adoption_weekly 2025-12-15 .. 2026-05-17" \
	"SELECT tenant_id, feature_id, week, days, last_day, active_users, active_adopters, adoption_rate, activated_users,
		adopted_users, habitual_users, new_adopters, mean_adoption_rate, tenant_adopted
	FROM adoption.adoption_weekly WHERE week BETWEEN '2025-12-15' AND '2026-05-11'" \
	"SELECT w.tenant_id, w.feature_id, w.week, w.days, w.last_day, a.active_users, a.active_adopters, a.adoption_rate,
		a.activated_users, a.adopted_users, a.habitual_users, w.new_adopters, w.mean_adoption_rate, a.tenant_adopted
	FROM (SELECT tenant_id, feature_id, date_trunc('week', day)::date AS week, count(*) AS days, max(day) AS last_day,
			sum(new_adopters) AS new_adopters, avg(adoption_rate) AS mean_adoption_rate
		FROM oracle.ad GROUP BY 1, 2, 3) AS w
	JOIN oracle.ad AS a ON a.tenant_id = w.tenant_id AND a.feature_id = w.feature_id AND a.day = w.last_day"
check_sql Asia/Kolkata "adoption_monthly 2026-01 .. 2026-04" \
	"SELECT tenant_id, feature_id, month, days, last_day, active_users, active_adopters, adoption_rate, activated_users,
		adopted_users, habitual_users, new_adopters, mean_adoption_rate, tenant_adopted
	FROM adoption.adoption_monthly WHERE month BETWEEN '2026-01-01' AND '2026-04-01'" \
	"SELECT w.tenant_id, w.feature_id, w.month, w.days, w.last_day, a.active_users, a.active_adopters, a.adoption_rate,
		a.activated_users, a.adopted_users, a.habitual_users, w.new_adopters, w.mean_adoption_rate, a.tenant_adopted
	FROM (SELECT tenant_id, feature_id, date_trunc('month', day)::date AS month, count(*) AS days, max(day) AS last_day,
			sum(new_adopters) AS new_adopters, avg(adoption_rate) AS mean_adoption_rate
		FROM oracle.ad WHERE day BETWEEN '2026-01-01' AND '2026-04-30' GROUP BY 1, 2, 3) AS w
	JOIN oracle.ad AS a ON a.tenant_id = w.tenant_id AND a.feature_id = w.feature_id AND a.day = w.last_day"

# Attribution (each model), campaign lift, launch performance against
# test/reference/campaign_oracle.sql, in two zones: spans are not local days.
q -d $db -f "$here/test/reference/campaign_oracle.sql" -c "SELECT oracle.load_campaign_inputs()" >/dev/null
ok $? "campaign oracle, touches (ties, tenant-wide, on the lookback's bounds) and launches installed"
for tz in UTC America/Los_Angeles; do
	for m in first_touch last_touch linear time_decay position_based; do
		check_sql $tz "attribution('$m', '30 days')" "SELECT * FROM adoption.attribution('$m', '30 days')" \
			"SELECT * FROM oracle.attribution('$m', '30 days')"
	done
	check_sql $tz "attribution('linear', '0')" "SELECT * FROM adoption.attribution('linear', '0')" \
		"SELECT * FROM oracle.attribution('linear', '0')"
	for lb in '30 days' '7 days'; do
		check_sql $tz "campaign_lift('$lb')" "SELECT * FROM adoption.campaign_lift('$lb')" "SELECT * FROM oracle.campaign_lift('$lb')"
	done
	check_sql $tz "launch_performance" "SELECT launch_id, feature_id, launched_at, target_at, users_activated_7d,
		users_activated_30d, users_activated_90d, tenants_activated_7d, tenants_activated_30d, tenants_activated_90d,
		tenants_active, tenants_adopted, adoption_rate, median_time_to_activation, target_met, users_active,
		users_adopted, user_adoption_rate FROM adoption.launch_performance" "SELECT * FROM oracle.launch_performance()"
done
got=$(q -d $db -c "SELECT string_agg(DISTINCT round(s::numeric, 12)::text, ',') FROM (SELECT sum(credit) AS s
	FROM adoption.attribution('position_based', '30 days') GROUP BY tenant_id, user_id, feature_id
	UNION ALL SELECT sum(credit) FROM adoption.attribution('time_decay', '30 days') GROUP BY tenant_id, user_id, feature_id) AS x")
[ "$got" = "1.000000000000" ]
ok $? "credits of each adoption sum to 1 (position_based, time_decay): $got"
# By hand: tie/v1 adopts f1 at 2026-03-07 10:00 UTC; its touches in the
# 30-day lookback are gamma (exactly 30 days before: counted; delta a
# microsecond earlier is not), alpha and zeta (both 4 days before, ordered
# by campaign_id).  first_touch: gamma 1; last_touch: zeta 1; linear 1/3
# each; position_based 0.4 / 0.2 / 0.4; time_decay 2^(-30/7) = 0.051271,
# 2^(-4/7) = 0.672950 twice, sum 1.397171: 0.036696, 0.481652, 0.481652.
for tz in UTC America/Los_Angeles; do
	got=$(q -d $db -c "SET TimeZone = '$tz'" -c "SELECT string_agg(m || ' ' || campaign_id || ' ' || round(credit::numeric, 6), ', ' ORDER BY m, touched_at, campaign_id)
		FROM unnest(ARRAY['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay']) AS m,
		adoption.attribution(m, '30 days') AS a WHERE a.tenant_id = 'tie'")
	want='first_touch gamma 1.000000, last_touch zeta 1.000000, linear gamma 0.333333, linear alpha 0.333333, linear zeta 0.333333, position_based gamma 0.400000, position_based alpha 0.200000, position_based zeta 0.400000, time_decay gamma 0.036696, time_decay alpha 0.481652, time_decay zeta 0.481652'
	[ "$got" = "$want" ]
	ok $? "by hand, tie/v1's credits, TimeZone $tz"
	[ "$got" = "$want" ] || echo "# got: $got"
done

# Health: the components of explain_health and the scores rescore() stores,
# as of two times, against test/reference/health_oracle.sql, in sessions
# whose zone has a daylight-saving change inside the windows.
q -d $db -c "SELECT oracle.load_health_inputs()" >/dev/null
ok $? "health inputs (tickets, billing, NPS answers on window bounds) loaded"
for t in '2026-03-20 12:00+00' '2026-04-10 07:30+00' '2026-04-20 23:30+00'; do
	for tz in UTC America/Los_Angeles Asia/Kolkata; do
		check_sql $tz "components as of $t" \
			"SELECT tn.tenant_id, x.component, x.score FROM (SELECT DISTINCT tenant_id FROM gen.events WHERE usage_timestamp <= '$t') AS tn,
				adoption.explain_health(tn.tenant_id, '$t') AS x WHERE x.score IS NOT NULL" \
			"SELECT * FROM oracle.health('$t')"
	done
	q -d $db -c "SET TimeZone = 'America/Los_Angeles'" -c "SELECT adoption.rescore(NULL, '$t')" >/dev/null
	check_sql America/Los_Angeles "rescore(NULL, '$t') scores" \
		"SELECT tenant_id, score FROM adoption.health_scores WHERE scored_at = '$t'" "SELECT * FROM oracle.health_score('$t')"
done
# health_daily: per tenant and UTC day from its first score to today, the
# latest score before the end of the day (the third score, 23:30 UTC, is
# the next day in Asia/Kolkata).
check_sql Asia/Kolkata "health_daily" "SELECT tenant_id, day, scored_at, score, risk FROM adoption.health_daily" \
	"SELECT h.tenant_id, d::date AS day, s.scored_at, s.score, s.risk
	FROM (SELECT tenant_id, min(scored_at) AS f FROM adoption.health_scores GROUP BY 1) AS h,
		generate_series((h.f AT TIME ZONE 'UTC')::date::timestamp, (now() AT TIME ZONE 'UTC')::date::timestamp, interval '1 day') AS d,
		LATERAL (SELECT x.scored_at, x.score, x.risk FROM adoption.health_scores AS x WHERE x.tenant_id = h.tenant_id
			AND x.scored_at < (d + interval '1 day') AT TIME ZONE 'UTC' ORDER BY x.scored_at DESC LIMIT 1) AS s"
# health_bands_daily: per day and band, the tenants in it, their ARR (whale
# 120000, s01 30000, the others none) and their mean score.
q -d $db -c "UPDATE adoption.tenants SET arr = CASE tenant_id WHEN 'whale' THEN 120000 WHEN 's01' THEN 30000 END" >/dev/null
check_sql UTC "health_bands_daily" "SELECT day, risk, tenants, arr, mean_score FROM adoption.health_bands_daily" \
	"SELECT d::date AS day, s.risk, count(*) AS tenants, sum(t.arr) AS arr, avg(s.score) AS mean_score
	FROM (SELECT tenant_id, min(scored_at) AS f FROM adoption.health_scores GROUP BY 1) AS h
		JOIN adoption.tenants AS t ON t.tenant_id = h.tenant_id,
		generate_series((h.f AT TIME ZONE 'UTC')::date::timestamp, (now() AT TIME ZONE 'UTC')::date::timestamp, interval '1 day') AS d,
		LATERAL (SELECT x.score, x.risk FROM adoption.health_scores AS x WHERE x.tenant_id = h.tenant_id
			AND x.scored_at < (d + interval '1 day') AT TIME ZONE 'UTC' ORDER BY x.scored_at DESC LIMIT 1) AS s
	GROUP BY 1, 2"
for tz in UTC Asia/Kolkata; do
	check_sql $tz "nps (per tenant and month)" "SELECT tenant_id, month AS period_start, responses, promoters, passives, detractors, nps FROM adoption.nps" \
		"SELECT * FROM oracle.nps('month')"
	check_sql $tz "feedback_weekly (NPS per tenant and week)" "SELECT tenant_id, week AS period_start, nps_responses AS responses, promoters, passives, detractors, nps
		FROM adoption.feedback_weekly WHERE nps_responses > 0" "SELECT * FROM oracle.nps('week')"
done
# Worked by hand, as of t1 = 2026-03-20 12:00 UTC: s01's NPS answers in
# (t1 - 90 d, t1] are 10, 9, 8, 7, 6, 3 (0 is on the window's start, the csat
# answer is not NPS): 2 promoters, 2 detractors of 6, NPS 0, feedback 50.
# whale's tickets: high 4 + medium 2 (at t1) + low 1 = 7 (the urgent one is
# on the start). s02's billing: payment_failed 25 (half an hour inside) +
# payment_failed 25 + invoice_overdue 25 + downgrade 30 (at t1) = 105: 0.
got=$(q -d $db -c "SET TimeZone = 'America/Los_Angeles'" -c "SELECT string_agg(format('%s %s %s', tn, x.component, round(x.score::numeric, 6)), ', ' ORDER BY tn)
	FROM (VALUES ('s01', 'feedback'), ('whale', 'support'), ('s02', 'billing')) AS w (tn, c),
	adoption.explain_health(tn, '2026-03-20 12:00+00') AS x WHERE x.component = w.c")
wsup=$(q -d $db -c "SELECT round((100 * exp(-7 / greatest(1, 0.2 * count(DISTINCT user_id))))::numeric, 6) FROM gen.events
	WHERE tenant_id = 'whale' AND usage_timestamp > '2026-02-18 12:00+00' AND usage_timestamp <= '2026-03-20 12:00+00'")
want="s01 feedback 50.000000, s02 billing 0.000000, whale support $wsup"
[ "$got" = "$want" ]
ok $? "by hand: $want"
[ "$got" = "$want" ] || echo "# got: $got"

# As of now: feature_adoption over the tenant's active users, and stickiness
# over a range reaching past today (days after today are left out), with a
# tenant active in the last 40 days.
q -d $db -c "SELECT oracle.load_recent()" >/dev/null
ok $? "recent events loaded"
for tz in UTC Asia/Kolkata; do
	check_sql $tz "feature_adoption" "SELECT tenant_id, feature_id, active_users, active_adopters, adoption_rate, feature_active_users,
		activated_users, adopted_users, habitual_users, last_used_at FROM adoption.feature_adoption" "SELECT * FROM oracle.feature_adoption()"
done
for tz in UTC; do
	for period in day week month; do
		ahead="(now() AT TIME ZONE 'UTC')::date - 45, (now() AT TIME ZONE 'UTC')::date + 20"
		check $tz stickiness "'user', NULL, '$period', $ahead, NULL"
		check $tz pes "'user', NULL, '$period', $ahead, NULL"
		check $tz retention "'user', NULL, '$period', $ahead, NULL, 'on'"
		check $tz lifecycle "'user', NULL, '$period', $ahead, NULL"
		check $tz feature_retention "'user', NULL, '$period', $ahead, NULL, 1"
	done
done
# Seat utilization (expansion_opportunities), as of now: active users /
# seats_licensed >= seat_utilization_threshold (0.9); recent has 12 active
# users of 13 seats (0.923), whale 1 (u1, back two days ago) of 1, s01 none
# of 10; s02 has 0 seats (no ratio: no row, and no error).
q -d $db -c "UPDATE adoption.tenants SET seats_licensed = CASE tenant_id WHEN 'recent' THEN 13 WHEN 'whale' THEN 1 WHEN 's01' THEN 10 ELSE 0 END
	WHERE tenant_id IN ('recent', 'whale', 's01', 's02')" >/dev/null
check_sql UTC "expansion_opportunities (seat_utilization)" \
	"SELECT tenant_id, round(metric::numeric, 6) AS ratio FROM adoption.expansion_opportunities WHERE opportunity = 'seat_utilization'" \
	"SELECT t.tenant_id, round((count(DISTINCT e.user_id)::numeric / t.seats_licensed), 6) AS ratio
	FROM adoption.tenants AS t JOIN gen.events AS e ON e.tenant_id = t.tenant_id, oracle.setting(t.tenant_id) AS w
	WHERE t.seats_licensed > 0 AND e.usage_timestamp > oracle.before(now(), w.active_window) AND e.usage_timestamp <= now()
	GROUP BY t.tenant_id, t.seats_licensed HAVING count(DISTINCT e.user_id) >= 0.9 * t.seats_licensed"
# A range reaching past today: the periods not begun yet are not observed.
# Weeks from the Monday two weeks ago to one ahead: cohorts of two weeks ago,
# last week and this week; retention is observable at period numbers 0..2,
# 0..1 and 0 (6 rows at most), none for next week; next week's lifecycle
# has only zeros (nobody is dormant yet), its PES no growth.
mon="date_trunc('week', now() AT TIME ZONE 'UTC')::date"
got=$(q -d $db -c "SELECT coalesce(max(cohort_start + 7 * period_number), '-infinity') <= $mon, count(*) <= 6
	FROM adoption.retention('user', NULL, 'week', $mon - 14, $mon + 7, 'recent')")
[ "$got" = "t|t" ]
ok $? "retention reaching past today: no period after this week ($got)"
got=$(q -d $db -c "SELECT string_agg(status || ' ' || actors, ', ' ORDER BY status) FROM adoption.lifecycle('user', NULL, 'week', $mon - 14, $mon + 7, 'recent')
	WHERE period_start = $mon + 7")
[ "$got" = "dormant 0, new 0, resurrecting 0, returning 0" ]
ok $? "lifecycle of next week: $got"
got=$(q -d $db -c "SELECT coalesce(growth::text, 'NULL') FROM adoption.pes('user', NULL, 'week', $mon - 14, $mon + 7, 'recent') WHERE period_start = $mon + 7")
[ "$got" = "NULL" ]
ok $? "PES of next week has no growth part: $got"

plan
exit $failed
