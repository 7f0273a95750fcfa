#!/usr/bin/env bash
# TAP: the customer-success numbers (adoption.recommend_features,
# feature_recommendations, wilson_interval, intervention_effectiveness view
# and function, revenue_attribution, attributed_revenue, health_history)
# against a plain-SQL oracle written from their published definitions
# (test/reference/customer_oracle.sql), on a skewed set nobody tuned them on
# (test/reference/customer_events.sql).  The same set is loaded into one
# database per way of sending it:
#   rows        one event a statement in time order, the late ones last;
#               scores computed week by week in time order;
#   shuffled    one event a statement shuffled (TimeZone America/Los_Angeles),
#               the late ones last; scores computed in shuffled order;
#   copy        COPY (TimeZone Asia/Kolkata), the late events by a second COPY;
#               scores newest first;
#   concurrent  three sessions at once, in statements of 40, the late events
#               by two more; scores by two sessions at once;
#   rescored    statements of 100; every week scored (shuffled) before the
#               late events arrive, then scored again newest first after.
# Campaign actions (done, dead and withdrawn, near eligible moments and on
# the window's bounds to the microsecond) are then written into each, and
# every function is compared row by row with the oracle, in three session
# time zones (spans are added in UTC).  Uses the server PGHOST/PGPORT/PGUSER
# point at.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/test/lib/tap.sh"
export PGOPTIONS="-c client_min_messages=warning"
master=adoption_customer_oracle
variants="rows shuffled copy concurrent rescored"
work=$(mktemp -d)
# CUSTOMER_ORACLE_KEEP=1 keeps the databases (to look into a difference).
cleanup() {
	[ -n "${CUSTOMER_ORACLE_KEEP:-}" ] && return
	for v in $variants; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS ${master}_$v" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

# The weekly scoring times, 2026-01-04 .. 2026-06-07 (Sundays, 12:00 UTC).
weeks="SELECT g FROM generate_series(timestamptz '2026-01-04 12:00+00', '2026-06-07 12:00+00', interval '7 days') AS g"
ins_events="SELECT 'INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome, integration_context) VALUES '
	|| string_agg(format('(%L, %L, %L, %L, %L, %L)', tenant_id, user_id, feature_id,
		to_char(usage_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US+00'), success_outcome,
		CASE WHEN campaign IS NULL THEN '{}' ELSE jsonb_build_object('campaign_influence', campaign)::text END), ', ') || ';'
	FROM (SELECT *, row_number() OVER (ORDER BY ORDER) AS r FROM gen.events WHERE WHERE) AS s GROUP BY (r - 1) / PER ORDER BY (r - 1) / PER"
# events WHERE ORDER PER: the statements sending those events.
events() {
	local s=${ins_events//WHERE WHERE/WHERE $1}
	s=${s//ORDER BY ORDER/ORDER BY $2}
	q -d "$db" -c "${s//PER/$3}"
}
rescore_sql() { q -d "$db" -c "SELECT format('SELECT adoption.rescore(NULL, %L);', g) FROM ($weeks) AS w (g) ORDER BY $1"; }
inputs="INSERT INTO adoption.campaign_touches (tenant_id, user_id, campaign_id, channel, touched_at) SELECT * FROM gen.touches ORDER BY md5(campaign_id || touched_at);
INSERT INTO adoption.billing_events (tenant_id, event_id, occurred_at, kind, amount) SELECT * FROM gen.billing ORDER BY md5(event_id);"

for v in $variants; do
	db=${master}_$v
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
	q -d postgres -c "CREATE DATABASE $db" && q -d "$db" -c 'CREATE EXTENSION pg_adoption' &&
		q -d "$db" -f "$here/test/reference/customer_events.sql" >/dev/null && q -d "$db" <<'SQL'
INSERT INTO adoption.tenants (tenant_id, name, plan, seats_licensed, arr, segment, created_at)
SELECT tenant_id, name, plan, seats_licensed, arr, segment, '2025-12-01' FROM gen.tenants;
INSERT INTO adoption.features (feature_id, feature_name, tier) SELECT feature_id, feature_name, tier FROM gen.features;
UPDATE adoption.features AS f SET upgrade_feature_id = g.upgrade_feature_id FROM gen.features AS g WHERE g.feature_id = f.feature_id;
INSERT INTO adoption.launches (launch_id, feature_id, launched_at, campaign_id, target_adoption, target_days) SELECT * FROM gen.launches;
-- Overrides: mid1 dormant after 10 days, ent1 expansion-eligible from half its seats.
INSERT INTO adoption.settings (tenant_id, dormant_after, seat_utilization_threshold) VALUES ('mid1', '10 days', NULL), ('ent1', NULL, 0.5);
SQL
	status=$?
	case $v in
	rows)
		{ events "NOT late" "usage_timestamp, seq" 1; events "late" "usage_timestamp, seq" 1; echo "$inputs"
			rescore_sql "g"; } >"$work/$v.sql"
		q -d "$db" -f "$work/$v.sql" >/dev/null || status=1 ;;
	shuffled)
		{ events "NOT late" "md5(seq::text)" 1; events "late" "md5(seq::text)" 1; echo "$inputs"
			rescore_sql "md5(g::text)"; } >"$work/$v.sql"
		PGTZ=America/Los_Angeles q -d "$db" -f "$work/$v.sql" >/dev/null || status=1 ;;
	copy)
		for late in false true; do
			q -d "$db" -c "COPY (SELECT tenant_id, user_id, feature_id, usage_timestamp, success_outcome,
				CASE WHEN campaign IS NULL THEN '{}' ELSE jsonb_build_object('campaign_influence', campaign) END
				FROM gen.events WHERE late = $late ORDER BY md5(seq || 'c')) TO STDOUT" >"$work/copy_$late.tsv"
			PGTZ=Asia/Kolkata q -d "$db" -c "COPY adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp,
				success_outcome, integration_context) FROM STDIN" <"$work/copy_$late.tsv" || status=1
		done
		{ echo "$inputs"; rescore_sql "g DESC"; } | PGTZ=Asia/Kolkata q -d "$db" >/dev/null || status=1 ;;
	concurrent)
		pids=()
		for part in 0 1 2; do
			events "NOT late AND seq % 3 = $part" "md5(seq::text)" 40 >"$work/c$part.sql"
			PGTZ=America/Los_Angeles q -d "$db" -f "$work/c$part.sql" >/dev/null 2>"$work/c$part.err" &
			pids+=($!)
		done
		for p in "${pids[@]}"; do wait "$p" || status=1; done
		pids=()
		for part in 0 1; do
			{ events "late AND seq % 2 = $part" "seq DESC" 40; [ $part = 0 ] && echo "$inputs"; } >"$work/l$part.sql"
			q -d "$db" -f "$work/l$part.sql" >/dev/null 2>"$work/l$part.err" &
			pids+=($!)
		done
		for p in "${pids[@]}"; do wait "$p" || status=1; done
		pids=()
		for part in 0 1; do
			# rescore() returns 0 while another run holds its lock: retried.
			q -d "$db" -c "SELECT format('DO \$r\$ BEGIN FOR i IN 1..200 LOOP EXIT WHEN adoption.rescore(NULL, %L) > 0; PERFORM pg_sleep(0.02); END LOOP; END \$r\$;', g)
				FROM ($weeks) AS w (g) WHERE g > '2026-01-05'
				AND extract(week FROM g)::int % 2 = $part ORDER BY md5(g::text)" >"$work/r$part.sql"
			q -d "$db" -f "$work/r$part.sql" >/dev/null 2>"$work/r$part.err" &
			pids+=($!)
		done
		for p in "${pids[@]}"; do wait "$p" || status=1; done
		cat "$work"/[clr]?.err | comment ;;
	rescored)
		{ events "NOT late" "md5(seq::text || 'r')" 100; echo "$inputs"; rescore_sql "md5(g::text || 'r')"
			events "late" "seq" 100; rescore_sql "g DESC"; } >"$work/$v.sql"
		q -d "$db" -f "$work/$v.sql" >/dev/null || status=1 ;;
	esac
	got=$(q -d "$db" -c "SELECT (SELECT count(*) FROM adoption.feature_usage_events) || ' events, '
		|| (SELECT count(*) FROM adoption.health_scores) || ' scores'")
	want=$(q -d "$db" -c "SELECT (SELECT count(*) FROM gen.events) || ' events, '
		|| (SELECT count(*) FROM ($weeks) AS w (g), adoption.tenants AS t
			WHERE EXISTS (SELECT 1 FROM gen.events AS e WHERE e.tenant_id = t.tenant_id AND e.usage_timestamp <= w.g)) || ' scores'")
	[ "$status" = 0 ] && [ "$got" = "$want" ]
	ok $? "$v: loaded and scored: $got (want $want)"
	q -d "$db" -c "CREATE SCHEMA oracle" -f "$here/test/reference/campaign_oracle.sql" -f "$here/test/reference/customer_oracle.sql" \
		-f "$here/test/reference/oracle_diff.sql" >/dev/null
	# Campaign actions: for a third of the eligible moments an action created an
	# hour later (done a day or two later; one in five dead or withdrawn), and
	# two done exactly on the bound of 2026-05-01's 30-day window and 1 µs after.
	q -d "$db" <<'SQL' >/dev/null || status=1
INSERT INTO adoption.campaign_action_archive (tenant_id, user_id, feature_id, template_key, campaign_id, dedupe_key, status,
	created_at, available_at, completed_at)
SELECT e.tenant_id,
	-- advanced_feature names the habitual user (as rescore's do); some tenant
	-- plays name a user (as a manual api_trigger_intervention can).
	CASE WHEN e.template_key = 'advanced_feature' THEN 'u1'
		WHEN e.user_id IS NULL AND abs(hashtext(e::text || 'u')) % 4 = 0 THEN 'u2' ELSE e.user_id END,
	e.feature_id, e.template_key, t.campaign_id, 'oracle:' || md5(e::text),
	CASE abs(hashtext(e::text || 's')) % 10 WHEN 0 THEN 'dead' WHEN 1 THEN 'withdrawn' ELSE 'done' END,
	e.moment + interval '1 hour', e.moment + interval '1 hour', e.moment + (1 + abs(hashtext(e::text || 'd')) % 2) * interval '1 day'
FROM oracle.eligible() AS e JOIN adoption.campaign_templates AS t USING (template_key)
WHERE abs(hashtext(e::text)) % 3 = 0;
-- The first tenant-play moment of each tenant and template in March and
-- April: an action (dead) created exactly 30 days before it (within the
-- view's window: the moment is no baseline) or 1 µs earlier (it is).
INSERT INTO adoption.campaign_action_archive (tenant_id, template_key, dedupe_key, status, created_at, available_at)
SELECT DISTINCT ON (e.tenant_id, e.template_key) e.tenant_id, e.template_key, 'oracle:edge:' || md5(e::text), 'dead',
	oracle.minus(e.moment, '30 days') - CASE WHEN abs(hashtext(e.tenant_id || e.template_key)) % 2 = 0 THEN interval '0' ELSE interval '1 microsecond' END,
	oracle.minus(e.moment, '30 days')
FROM oracle.eligible() AS e
WHERE e.user_id IS NULL AND e.feature_id IS NULL AND e.moment >= '2026-03-01' AND e.moment < '2026-05-01'
ORDER BY e.tenant_id, e.template_key, e.moment;
INSERT INTO adoption.campaign_action_archive (tenant_id, template_key, dedupe_key, status, created_at, available_at, completed_at)
VALUES ('whale', 'expansion_offer', 'oracle:bound1', 'done', '2026-03-31 00:00+00', '2026-03-31 00:00+00', '2026-04-01 00:00+00'),
	('whale', 'expansion_offer', 'oracle:bound2', 'done', '2026-03-31 00:00+00', '2026-03-31 00:00+00', '2026-04-01 00:00:00.000001+00'),
	('mid3', 'win_back', 'oracle:bound3', 'done', '2026-03-31 00:00+00', '2026-03-31 00:00+00', '2026-04-01 00:00+00');
SQL
	ok $? "$v: oracle installed, $(q -d "$db" -c "SELECT count(*) FROM adoption.campaign_actions") campaign actions written"
done

# check_sql DB TZ LABEL QUERY ORACLE: the rows of two queries, in zone TZ.
check_sql() {
	local d rows
	d=$(q -d "$1" -c "SET TimeZone = '$2'" -c "SELECT * FROM oracle.diff(\$q\$$4\$q\$, \$q\$$5\$q\$)" 2>&1)
	rows=$(printf '%s\n' "$d" | tail -n 1)
	d=$(printf '%s\n' "$d" | sed '$d')
	[ -z "$d" ] && [ -n "$rows" ] && [ "$rows" -gt 0 ] 2>/dev/null
	ok $? "$3, TimeZone $2: ${rows:-no} rows equal the oracle"
	printf '%s\n' "$d" | why 8
}

all_tenants="ARRAY(SELECT tenant_id FROM adoption.tenants ORDER BY 1)"
zones=(UTC America/Los_Angeles Asia/Kolkata)
i=0
for v in $variants; do
	db=${master}_$v
	tz=${zones[$((i % 3))]}
	i=$((i + 1))
	check_sql $db $tz "$v: recommend_features(t, 3) of every tenant" \
		"SELECT t.tenant_id, r.* FROM adoption.tenants AS t, adoption.recommend_features(t.tenant_id, 3) AS r" \
		"SELECT * FROM oracle.feature_recommendations($all_tenants, 3, NULL)"
	check_sql $db $tz "$v: feature_recommendations(all, 7)" \
		"SELECT * FROM adoption.feature_recommendations($all_tenants, 7)" \
		"SELECT * FROM oracle.feature_recommendations($all_tenants, 7, NULL)"
	check_sql $db $tz "$v: feature_recommendations(all, 5, as of 2026-02-20)" \
		"SELECT * FROM adoption.feature_recommendations($all_tenants, 5, '2026-02-20 00:00+00')" \
		"SELECT * FROM oracle.feature_recommendations($all_tenants, 5, '2026-02-20 00:00+00')"
	# As of the microsecond ent2 adopted f3 and f6 together: those adoptions are not before it.
	check_sql $db $tz "$v: feature_recommendations(all, 3, as of ent2's adoption instant)" \
		"SELECT * FROM adoption.feature_recommendations($all_tenants, 3, '2026-02-04 10:00:00.000001+00')" \
		"SELECT * FROM oracle.feature_recommendations($all_tenants, 3, '2026-02-04 10:00:00.000001+00')"
	for k in 1 3; do
		check_sql $db $tz "$v: evaluate_recommendations($k)" "SELECT * FROM adoption.evaluate_recommendations($k)" \
			"SELECT * FROM oracle.evaluate_recommendations($k)"
	done
	for model in first_touch last_touch linear time_decay position_based; do
		for lb in "90 days" "1 mon"; do
			check_sql $db $tz "$v: revenue_attribution('$model', '$lb')" \
				"SELECT * FROM adoption.revenue_attribution('$model', '$lb')" \
				"SELECT * FROM oracle.revenue_attribution('$model', '$lb')"
		done
	done
	check_sql $db $tz "$v: attributed_revenue" "SELECT * FROM adoption.attributed_revenue" "SELECT * FROM oracle.attributed_revenue()"
	check_sql $db $tz "$v: intervention_effectiveness (view)" \
		"SELECT * FROM adoption.intervention_effectiveness" "SELECT * FROM oracle.intervention_effectiveness('30 days', now())"
	for args in "'14 days', '2026-04-01 00:00+00'" "'30 days', '2026-05-01 00:00+00'" "'1 mon', '2026-06-30 00:00+00'"; do
		check_sql $db $tz "$v: intervention_effectiveness($args)" \
			"SELECT * FROM adoption.intervention_effectiveness($args)" "SELECT * FROM oracle.intervention_effectiveness($args)"
	done
	launch_cols="launch_id, feature_id, launched_at, target_at, users_activated_7d, users_activated_30d, users_activated_90d,
		tenants_activated_7d, tenants_activated_30d, tenants_activated_90d, tenants_active, tenants_adopted, adoption_rate,
		median_time_to_activation, target_met, users_active, users_adopted, user_adoption_rate"
	check_sql $db $tz "$v: launch_performance" "SELECT $launch_cols FROM adoption.launch_performance" \
		"SELECT * FROM oracle.launch_performance()"
	# users_active_between: an event of any feature in [from, to), the bounds
	# on events' own microseconds (ent2's tie, the launch of l_f5).
	for args in "'2026-02-04 10:00:00.000001+00', '2026-03-08 10:00+00'" "'2026-01-05 00:00+00', '2026-01-12 00:00+00'" \
		"'2026-05-20 00:00+00', '2026-06-01 00:00+00'" "'2026-02-02 10:00:00.000001+00', '2026-02-02 10:00:00.000002+00'"; do
		check_sql $db $tz "$v: users_active_between($args)" "SELECT * FROM adoption.users_active_between($args)" \
			"SELECT DISTINCT e.tenant_id, e.user_id FROM adoption.feature_usage_events AS e
			WHERE e.usage_timestamp >= (ARRAY[$args]::timestamptz[])[1] AND e.usage_timestamp < (ARRAY[$args]::timestamptz[])[2]"
	done
	check_sql $db $tz "$v: tenant_health (latest score, the one before)" \
		"SELECT tenant_id, tenant_name, segment, scored_at, score, risk, previous_risk, delta FROM adoption.tenant_health" \
		"SELECT DISTINCT ON (tenant_id) tenant_id, tenant_name, segment, scored_at, score, risk, previous_risk, delta
		FROM oracle.health_history() ORDER BY tenant_id, scored_at DESC"
	check_sql $db $tz "$v: health_history" \
		"SELECT tenant_id, tenant_name, segment, scored_at, score, risk, previous_risk, delta, risk_changed FROM adoption.health_history" \
		"SELECT * FROM oracle.health_history()"
done

# The stored scores are the same in every database, whatever the order of
# loading and scoring (computed_at and live apart: when they were computed).
scores_sql="COPY (SELECT tenant_id, scored_at, round(score::numeric, 9), risk, components, round(delta::numeric, 9), previous_risk,
	last_event_at, active_users FROM adoption.health_scores ORDER BY 1, 2) TO STDOUT"
q -d ${master}_rows -c "$scores_sql" >"$work/scores_rows.tsv"
for v in $variants; do
	[ $v = rows ] && continue
	q -d ${master}_$v -c "$scores_sql" >"$work/scores_$v.tsv"
	d=$(diff "$work/scores_rows.tsv" "$work/scores_$v.tsv")
	[ -z "$d" ] && [ -s "$work/scores_$v.tsv" ]
	ok $? "$v: health_scores ($(wc -l <"$work/scores_$v.tsv") rows, stored delta and previous_risk included) equal the rows database's"
	printf '%s\n' "$d" | why 6
done

# A tenant's role (row-level security): launch_performance and the tenant
# part of launch_performance_snapshot (tenant_launch_performance) are the
# oracle over the tenant's own rows (the oracle's reads are filtered the same way).
snap_cols="launch_id, feature_id, launched_at, target_at, users_activated_7d, users_activated_30d, users_activated_90d,
	tenants_activated_7d, tenants_activated_30d, tenants_activated_90d, tenants_active, tenants_adopted, adoption_rate,
	median_time_to_activation, target_met, users_active, users_adopted, user_adoption_rate"
for v in rows concurrent; do
	db=${master}_$v
	q -d $db -c "GRANT USAGE ON SCHEMA oracle, gen TO adoption_tenant; GRANT SELECT ON ALL TABLES IN SCHEMA gen TO adoption_tenant;
		GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA oracle TO adoption_tenant" >/dev/null
	for tn in whale tiny noseg1; do
		for fn in "revenue_attribution('time_decay', '90 days')" "intervention_effectiveness('30 days', '2026-06-30 00:00+00')"; do
			d=$(q -d $db -c "SET ROLE adoption_tenant" -c "SET adoption.tenant_id = '$tn'" -c "SELECT * FROM oracle.diff(
				\$q\$SELECT * FROM adoption.$fn\$q\$, \$q\$SELECT * FROM oracle.$fn\$q\$)" 2>&1)
			rows=$(printf '%s\n' "$d" | tail -n 1)
			d=$(printf '%s\n' "$d" | sed '$d')
			[ -z "$d" ] && [ -n "$rows" ] && [ "$rows" -ge 0 ] 2>/dev/null
			ok $? "$v: as adoption_tenant $tn, $fn: $rows rows equal the oracle over its own rows"
			printf '%s\n' "$d" | why 6
		done
		for view in launch_performance launch_performance_snapshot; do
			d=$(q -d $db -c "SET ROLE adoption_tenant" -c "SET adoption.tenant_id = '$tn'" -c "SELECT * FROM oracle.diff(
				\$q\$SELECT $snap_cols FROM adoption.$view\$q\$, \$q\$SELECT * FROM oracle.launch_performance()\$q\$)" 2>&1)
			rows=$(printf '%s\n' "$d" | tail -n 1)
			d=$(printf '%s\n' "$d" | sed '$d')
			[ -z "$d" ] && [ "$rows" = 3 ]
			ok $? "$v: as adoption_tenant $tn, $view: $rows rows equal the oracle over its own rows"
			printf '%s\n' "$d" | why 6
		done
	done
done

# Under row-level security a tenant sees no peer: no recommendation (documented).
got=$(q -d ${master}_rows -c "SET ROLE adoption_tenant" -c "SET adoption.tenant_id = 'ent1'" \
	-c "SELECT (SELECT count(*) FROM adoption.recommend_features('ent1')) || '/' || (adoption.api_expansion('ent1') -> 'recommendations')::text")
full=$(q -d ${master}_rows -c "SELECT count(*) FROM adoption.recommend_features('ent1')")
[ "$got" = "0/[]" ] && [ "$full" -gt 0 ]
ok $? "as adoption_tenant ent1: recommend_features and api_expansion's recommendations empty ($got), $full for the analyst"

# Wilson intervals: every x of n in 0, 1, 2, 5, 10 and three of 1000.
check_sql ${master}_rows UTC "wilson_interval(x, n)" \
	"SELECT x, n, w[1] AS low, w[2] AS high FROM (SELECT x, n, adoption.wilson_interval(x, n) AS w
		FROM generate_series(0, 10) AS n, generate_series(0, n) AS x WHERE n IN (0, 1, 2, 5, 10)
		UNION ALL SELECT x, 1000, adoption.wilson_interval(x, 1000) FROM unnest(ARRAY[0, 1, 500]) AS x) AS s" \
	"SELECT x, n, w[1] AS low, w[2] AS high FROM (SELECT x, n, oracle.wilson(x, n) AS w
		FROM generate_series(0, 10) AS n, generate_series(0, n) AS x WHERE n IN (0, 1, 2, 5, 10)
		UNION ALL SELECT x, 1000, oracle.wilson(x, 1000) FROM unnest(ARRAY[0, 1, 500]) AS x) AS s"
# Hand-worked (z = 1.959964, z² = 3.841459): 1 of 1 is 1 / (1 + z²) = 0.206549 .. 1;
# 0 of 4 is 0 .. z² / (4 + z²) = 0.489891.
got=$(q -d ${master}_rows -c "SELECT round(w[1]::numeric, 6) || '..' || round(w[2]::numeric, 6) FROM adoption.wilson_interval(1, 1) AS w
	UNION ALL SELECT round(w[1]::numeric, 6) || '..' || round(w[2]::numeric, 6) FROM adoption.wilson_interval(0, 4) AS w" | paste -sd' ')
[ "$got" = "0.206549..1.000000 0.000000..0.489891" ]
ok $? "wilson_interval by hand: 1 of 1, 0 of 4 = $got"
for bad in "-1, 4" "5, 4" "1, -2"; do
	got=$(psql -X -q -tA -d ${master}_rows -c "\\set VERBOSITY sqlstate" -c "SELECT adoption.wilson_interval($bad)" 2>&1)
	[ "${got##* }" = 22023 ]
	ok $? "wilson_interval($bad) refused with 22023 (got $got)"
done

# Per expansion and source the credits sum to 1 and the revenue to the amount exactly.
for model in linear time_decay position_based; do
	got=$(q -d ${master}_shuffled -c "SELECT count(*) FROM (SELECT expansion_id, source, max(amount) AS amount, sum(credit) AS c, sum(revenue) AS r
		FROM adoption.revenue_attribution('$model', '90 days') GROUP BY 1, 2) AS x WHERE abs(c - 1) > 1e-12 OR r <> amount")
	[ "$got" = 0 ]
	ok $? "revenue_attribution('$model'): credits sum to 1 and revenue to the amount ($got expansions off)"
done

plan
exit $failed
