#!/usr/bin/env bash
# TAP: the feedback insights of issue 18 (persona profiles, messaging
# opportunities, feedback by feature and by campaign, feature requests)
# against a plain-SQL oracle written from the published definitions
# (test/reference/persona_oracle.sql), on a feedback set with cases nobody
# tuned the views on (test/reference/feedback_events.sql).  The same set is
# loaded into one database per way of sending it:
#   rows        one row a statement in time order, the late rows last, then
#               one update or delete a statement;
#   shuffled    one row a statement in shuffled order (TimeZone
#               America/Los_Angeles), the mutations in reverse order;
#   batch       statements of 25 rows, newest first, the mutations as set
#               statements in one transaction;
#   copy        COPY (TimeZone Asia/Kolkata), the late rows by a second COPY;
#   concurrent  two sessions inserting at once, then one updating while the
#               other deletes and sends the late rows;
#   upsert      statements of 40 rows, then the changes and the late rows
#               by INSERT ... ON CONFLICT DO UPDATE in statements of 30 that
#               mix updates and inserts of the same tenant-months (the
#               tenant moves, hand corrections and deletes apart);
#   merge       statements of 40 rows, then one MERGE that updates, deletes
#               and inserts the late rows;
#   final       the end state sent directly (no update, no delete).
# In each, every view is compared row by row with the oracle (and in two
# more session time zones), adoption.feedback_profile with its oracle, with
# adoption.rebuild_feedback_profiles() and with the other databases;
# adoption.enqueue_fix_announcements() enqueues once per tenant, fixing
# feature and theme; a tenant's role sees its own rows of the views.
# Uses the server PGHOST/PGPORT/PGUSER point at.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/test/reference/compare_lib.sh"
# One "now" for the data of every database (gen.now, feedback_events.sql).
export PGOPTIONS="-c client_min_messages=warning -c gen.now=$(date -u +%Y-%m-%dT%H:%M:%S+00)"
master=adoption_persona_oracle
variants="rows shuffled batch copy concurrent upsert merge final"
work=$(mktemp -d)
# PERSONA_ORACLE_KEEP=1 keeps the databases (to look into a difference).
cleanup() {
	[ -n "${PERSONA_ORACLE_KEEP:-}" ] && return
	for d in $master $(for v in $variants; do echo "${master}_$v"; done); do
		psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

for d in $master $(for v in $variants; do echo "${master}_$v"; done); do
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" 2>/dev/null
done
q -d postgres -c "CREATE DATABASE $master"
snap_setup
tables=feedback_profile

# Statements that send the rows of gen.fb matching WHERE, ordered by ORDER,
# PER rows a statement (original values; final: the end state).
inserts() {
	local where=$1 order=$2 per=$3 pfx=
	[ "${4:-}" = final ] && pfx=f_
	q -d "$db" -c "SELECT 'INSERT INTO adoption.feedback (tenant_id, feedback_id, user_id, feature_id, channel, score, body, campaign_id, created_at) VALUES '
		|| string_agg(format('(%L, %L, %L, %L, %L, %s, %L, %L, %L)', ${pfx}tenant_id, feedback_id, user_id, ${pfx}feature_id, channel,
			coalesce(${pfx}score::text, 'NULL'), ${pfx}body, ${pfx}campaign_id,
			to_char(${pfx}created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US+00')), ', ' ORDER BY r) || ';'
		FROM (SELECT *, row_number() OVER (ORDER BY $order) AS r FROM gen.fb WHERE $where) AS s
		GROUP BY (r - 1) / $per ORDER BY (r - 1) / $per"
}

# The updates and deletes, one statement per row, in ORDER (of the rows
# matching WHERE, default all).
mutations() {
	q -d "$db" -c "SELECT CASE WHEN f_deleted THEN format('DELETE FROM adoption.feedback WHERE tenant_id = %L AND feedback_id = %L;', tenant_id, feedback_id)
		WHEN f_extra_pain IS NOT NULL THEN format('UPDATE adoption.feedback SET pain_points = pain_points || %L::text, themes = themes || %L::text WHERE tenant_id = %L AND feedback_id = %L;',
			f_extra_pain, f_extra_pain, tenant_id, feedback_id)
		ELSE format('UPDATE adoption.feedback SET %s WHERE tenant_id = %L AND feedback_id = %L;', concat_ws(', ',
			CASE WHEN f_tenant_id <> tenant_id THEN format('tenant_id = %L', f_tenant_id) END,
			CASE WHEN f_feature_id IS DISTINCT FROM feature_id THEN format('feature_id = %L', f_feature_id) END,
			CASE WHEN f_score IS DISTINCT FROM score THEN format('score = %s', f_score) END,
			CASE WHEN f_body IS DISTINCT FROM body THEN format('body = %L', f_body) END,
			CASE WHEN f_campaign_id IS DISTINCT FROM campaign_id THEN format('campaign_id = %L', f_campaign_id) END,
			CASE WHEN f_created_at <> created_at THEN format('created_at = %L', to_char(f_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US+00')) END),
			tenant_id, feedback_id) END
	FROM gen.fb WHERE mutation IS NOT NULL AND (${2:-true}) ORDER BY $1"
}

# The same mutations as set statements.
set_mutations() {
	cat <<'SQL'
BEGIN;
UPDATE adoption.feedback AS f SET tenant_id = g.f_tenant_id, feature_id = g.f_feature_id, score = g.f_score, body = g.f_body,
	campaign_id = g.f_campaign_id, created_at = g.f_created_at
FROM gen.fb AS g WHERE g.mutation IS NOT NULL AND NOT g.f_deleted AND g.f_extra_pain IS NULL
	AND f.tenant_id = g.tenant_id AND f.feedback_id = g.feedback_id;
UPDATE adoption.feedback AS f SET pain_points = pain_points || g.f_extra_pain, themes = themes || g.f_extra_pain
FROM gen.fb AS g WHERE g.f_extra_pain IS NOT NULL AND f.tenant_id = g.tenant_id AND f.feedback_id = g.feedback_id;
DELETE FROM adoption.feedback AS f USING gen.fb AS g WHERE g.f_deleted AND f.tenant_id = g.tenant_id AND f.feedback_id = g.feedback_id;
COMMIT;
SQL
}

final_segments="UPDATE adoption.tenants AS t SET segment = g.segment FROM gen.tenants AS g WHERE g.tenant_id = t.tenant_id AND t.segment IS DISTINCT FROM g.segment;"

for v in $variants; do
	db=${master}_$v
	q -d postgres -c "CREATE DATABASE $db" && q -d "$db" -c 'CREATE EXTENSION pg_adoption' &&
		q -d "$db" -f "$here/test/reference/feedback_events.sql" >/dev/null
	status=$?
	[ $v = final ] && { q -d "$db" -c "$final_segments" >/dev/null || status=1; }
	case $v in
	rows)
		{ inserts "NOT late" "created_at, feedback_id" 1; inserts "late" "created_at, feedback_id" 1
			mutations "feedback_id"; echo "$final_segments"; } >"$work/$v.sql"
		q -d "$db" -f "$work/$v.sql" >/dev/null || status=1 ;;
	shuffled)
		{ inserts "NOT late" "md5(feedback_id)" 1; inserts "late" "md5(feedback_id)" 1
			echo "$final_segments"; mutations "feedback_id DESC"; } >"$work/$v.sql"
		PGTZ=America/Los_Angeles q -d "$db" -f "$work/$v.sql" >/dev/null || status=1 ;;
	batch)
		{ inserts "NOT late" "created_at DESC, feedback_id" 25; inserts "late" "created_at DESC, feedback_id" 25
			set_mutations; echo "$final_segments"; } >"$work/$v.sql"
		q -d "$db" -f "$work/$v.sql" >/dev/null || status=1 ;;
	copy)
		for late in false true; do
			q -d "$db" -c "COPY (SELECT tenant_id, feedback_id, user_id, feature_id, channel, score, body, campaign_id, created_at
				FROM gen.fb WHERE late = $late ORDER BY md5(feedback_id || 'c')) TO STDOUT" >"$work/copy_$late.tsv"
			PGTZ=Asia/Kolkata q -d "$db" -c "COPY adoption.feedback (tenant_id, feedback_id, user_id, feature_id, channel, score, body, campaign_id, created_at) FROM STDIN" \
				<"$work/copy_$late.tsv" || status=1
		done
		{ set_mutations; echo "$final_segments"; } | PGTZ=Asia/Kolkata q -d "$db" >/dev/null || status=1 ;;
	concurrent)
		for part in 0 1; do
			inserts "(NOT late OR mutation IS NOT NULL) AND abs(hashtext(feedback_id)) % 2 = $part" "md5(feedback_id)" 3 >"$work/c$part.sql"
		done
		PGTZ=America/Los_Angeles q -d "$db" -f "$work/c0.sql" >/dev/null 2>"$work/c0.err" &
		p0=$!
		PGTZ=Asia/Kolkata q -d "$db" -f "$work/c1.sql" >/dev/null 2>"$work/c1.err" &
		p1=$!
		wait $p0 || status=1
		wait $p1 || status=1
		# One session updates while the other deletes and sends the late rows.
		mutations "feedback_id" | grep -v '^DELETE' >"$work/c2.sql"
		{ mutations "feedback_id DESC" | grep '^DELETE'; inserts "late AND mutation IS NULL" "md5(feedback_id)" 2; } >"$work/c3.sql"
		q -d "$db" -f "$work/c2.sql" >/dev/null 2>"$work/c2.err" &
		p0=$!
		PGTZ=Asia/Kolkata q -d "$db" -f "$work/c3.sql" >/dev/null 2>"$work/c3.err" &
		p1=$!
		wait $p0 || status=1
		wait $p1 || status=1
		q -d "$db" -c "$final_segments" >/dev/null || status=1
		cat "$work"/c?.err | comment ;;
	upsert)
		{ inserts "NOT late" "md5(feedback_id)" 40
			q -d "$db" -c "SELECT 'INSERT INTO adoption.feedback (tenant_id, feedback_id, user_id, feature_id, channel, score, body, campaign_id, created_at) VALUES '
				|| string_agg(format('(%L, %L, %L, %L, %L, %s, %L, %L, %L)', tenant_id, feedback_id, user_id, f_feature_id, channel,
					coalesce(f_score::text, 'NULL'), f_body, f_campaign_id,
					to_char(f_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US+00')), ', ' ORDER BY r)
				|| ' ON CONFLICT (tenant_id, feedback_id) DO UPDATE SET feature_id = excluded.feature_id, score = excluded.score,'
				|| ' body = excluded.body, campaign_id = excluded.campaign_id, created_at = excluded.created_at;'
				FROM (SELECT *, row_number() OVER (ORDER BY md5(feedback_id || 'u')) AS r FROM gen.fb
					WHERE (late OR mutation IS NOT NULL) AND NOT f_deleted AND f_extra_pain IS NULL AND f_tenant_id = tenant_id) AS x
				GROUP BY (r - 1) / 30 ORDER BY (r - 1) / 30"
			mutations "feedback_id" "f_deleted OR f_extra_pain IS NOT NULL OR f_tenant_id <> tenant_id"
			echo "$final_segments"; } >"$work/$v.sql"
		q -d "$db" -f "$work/$v.sql" >/dev/null || status=1 ;;
	merge)
		{ inserts "NOT late" "feedback_id" 40
			cat <<'SQL'
MERGE INTO adoption.feedback AS f USING gen.fb AS g ON f.feedback_id = g.feedback_id
WHEN MATCHED AND g.f_deleted THEN DELETE
WHEN MATCHED AND g.mutation IS NOT NULL AND g.f_extra_pain IS NULL THEN UPDATE SET tenant_id = g.f_tenant_id,
	feature_id = g.f_feature_id, score = g.f_score, body = g.f_body, campaign_id = g.f_campaign_id, created_at = g.f_created_at
WHEN NOT MATCHED AND NOT g.f_deleted THEN INSERT (tenant_id, feedback_id, user_id, feature_id, channel, score, body, campaign_id, created_at)
	VALUES (g.f_tenant_id, g.feedback_id, g.user_id, g.f_feature_id, g.channel, g.f_score, g.f_body, g.f_campaign_id, g.f_created_at);
UPDATE adoption.feedback AS f SET pain_points = pain_points || g.f_extra_pain, themes = themes || g.f_extra_pain
FROM gen.fb AS g WHERE g.f_extra_pain IS NOT NULL AND f.tenant_id = g.tenant_id AND f.feedback_id = g.feedback_id;
SQL
			echo "$final_segments"; } >"$work/$v.sql"
		q -d "$db" -f "$work/$v.sql" >/dev/null || status=1 ;;
	final)
		inserts "NOT f_deleted AND f_extra_pain IS NULL" "md5(feedback_id)" 10 final >"$work/$v.sql"
		q -d "$db" -f "$work/$v.sql" >/dev/null || status=1
		# The row whose categories were corrected by hand arrives with them,
		# as pg_restore sends a row (its insight is kept).
		q -d "$db" -c "INSERT INTO adoption.feedback (tenant_id, feedback_id, user_id, feature_id, channel, score, body, campaign_id, created_at,
				sentiment, sentiment_label, nps_category, themes, pain_points, feature_requests, value_drivers, success_indicators, features)
			SELECT g.f_tenant_id, g.feedback_id, g.user_id, g.f_feature_id, g.channel, g.f_score, g.f_body, g.f_campaign_id, g.f_created_at,
				c.sentiment, c.sentiment_label, c.nps_category, c.themes || g.f_extra_pain, c.pain_points || g.f_extra_pain,
				c.feature_requests, c.value_drivers, c.success_indicators, c.features
			FROM gen.fb AS g, adoption.categorize_feedback(g.f_body, g.f_score, g.f_tenant_id) AS c WHERE g.f_extra_pain IS NOT NULL" >/dev/null || status=1 ;;
	esac
	got=$(q -d "$db" -c "SELECT count(*) FROM adoption.feedback")
	want=$(q -d "$db" -c "SELECT count(*) FROM gen.fb WHERE NOT f_deleted")
	# The stored rows are the end state of gen.fb.
	extra=$(q -d "$db" -c "SELECT count(*) FROM (SELECT tenant_id, feedback_id, feature_id, score, body, campaign_id, created_at FROM adoption.feedback
		EXCEPT SELECT f_tenant_id, feedback_id, f_feature_id, f_score, f_body, f_campaign_id, f_created_at FROM gen.fb WHERE NOT f_deleted) AS x")
	[ "$status" = 0 ] && [ "$got" = "$want" ] && [ "$extra" = 0 ]
	ok $? "$v: loaded, $got feedback rows (want $want), $extra differing from the end state"
done

# The oracle in every database.
for v in $variants; do
	q -d ${master}_$v -f "$here/test/reference/persona_oracle.sql" >/dev/null || echo "# oracle not installed in $v"
done

# check_sql DB TZ LABEL KEYS QUERY ORACLE: the rows of two queries, matched on KEYS.
check_sql() {
	local d rows
	d=$(q -d "$1" -c "SET TimeZone = '$2'" -c "SELECT * FROM oracle.diff(\$q\$$5\$q\$, \$q\$$6\$q\$, '$4')")
	rows=$(printf '%s\n' "$d" | tail -n 1)
	d=$(printf '%s\n' "$d" | sed '$d')
	[ -z "$d" ] && [ -n "$rows" ] && [ "$rows" != 0 ]
	ok $? "$3, TimeZone $2: $rows rows equal the oracle"
	printf '%s\n' "$d" | why 8
}

# check_views DB TZ LABEL: every view against the oracle.
check_views() {
	local db=$1 tz=$2 l=$3
	check_sql $db $tz "$l: feedback_profile" "{tenant_id,category,item,month}" \
		"SELECT * FROM adoption.feedback_profile" "SELECT * FROM oracle.feedback_profile()"
	check_sql $db $tz "$l: persona_themes" "{tenant_id,category,theme}" \
		"SELECT * FROM adoption.persona_themes" \
		"SELECT actor AS tenant_id, segment, category, theme, mentions, share, mean_sentiment, nps_responses, nps, last_seen_at,
			recent_mentions, previous_mentions, trend FROM oracle.themes(false)"
	check_sql $db $tz "$l: segment_persona_themes" "{segment,category,theme}" \
		"SELECT * FROM adoption.segment_persona_themes" \
		"SELECT segment, category, theme, tenants, mentions, share, mean_sentiment, nps_responses, nps, last_seen_at,
			recent_mentions, previous_mentions, trend FROM oracle.themes(true)"
	check_sql $db $tz "$l: persona_profiles" "{tenant_id}" \
		"SELECT * FROM adoption.persona_profiles" \
		"SELECT actor AS tenant_id, segment, name, arr, feedback, last_feedback_at, mean_sentiment, recent_sentiment, previous_sentiment,
			sentiment_trend, nps_responses, nps, recent_nps, previous_nps, nps_trend, value_drivers, pain_points, feature_requests,
			success_indicators, features_named, campaigns_answered FROM oracle.profiles(false)"
	check_sql $db $tz "$l: segment_personas" "{segment}" \
		"SELECT * FROM adoption.segment_personas" \
		"SELECT segment, tenants, arr, feedback, last_feedback_at, mean_sentiment, recent_sentiment, previous_sentiment,
			sentiment_trend, nps_responses, nps, recent_nps, previous_nps, nps_trend, value_drivers, pain_points, feature_requests,
			success_indicators, features_named, campaigns_answered FROM oracle.profiles(true)"
	check_sql $db $tz "$l: feedback_by_feature" "{feature_id,month}" \
		"SELECT * FROM adoption.feedback_by_feature" \
		"SELECT key AS feature_id, name AS feature_name, month, feedback, mean_sentiment, nps_responses, nps, pain_points,
			value_drivers, feature_requests, success_indicators FROM oracle.feedback_by('feature')"
	check_sql $db $tz "$l: feedback_by_campaign" "{campaign_id,month}" \
		"SELECT * FROM adoption.feedback_by_campaign" \
		"SELECT key AS campaign_id, month, feedback, mean_sentiment, nps_responses, nps, pain_points,
			value_drivers, feature_requests, success_indicators FROM oracle.feedback_by('campaign')"
	check_sql $db $tz "$l: feature_requests" "{request}" \
		"SELECT request, feature_name, tier, tenants, requests, requesting_arr, last_requested_at, latest_text FROM adoption.feature_requests" \
		"SELECT * FROM oracle.feature_requests()"
	check_sql $db $tz "$l: fix_candidates" "{tenant_id,feedback_id,theme,fix_feature_id}" \
		"SELECT * FROM adoption.fix_candidates" "SELECT * FROM oracle.fix_candidates()"
	check_sql $db $tz "$l: messaging_opportunities" "{segment,kind,theme,per_feature,feature_id,fix_feature_id}" \
		"SELECT * FROM adoption.messaging_opportunities" "SELECT * FROM oracle.messaging_opportunities()"
}

zones=(UTC America/Los_Angeles Asia/Kolkata)
i=0
for v in $variants; do
	check_views ${master}_$v ${zones[$((i % 3))]} $v
	i=$((i + 1))
done

# feature_requests: rank 1 = the most ARR, ties by requests; the latest
# text is a text of the latest request.
db=${master}_rows
got=$(q -d $db -c "SELECT count(*) FROM (SELECT rank, rank() OVER (ORDER BY requesting_arr DESC, requests DESC) AS want FROM adoption.feature_requests) AS x WHERE rank <> want")
[ "$got" = 0 ]
ok $? "feature_requests: rank follows requesting_arr, then requests ($got rows out of order)"

# One request, one row (issue 18 part 4): no text reports both a generic
# topic and the catalog feature it names (customization / custom_fields,
# mobile_app / mobile, data_import / import), and the requests of
# feature_requests sum to the (row, request) pairs.
got=$(q -d $db -c "SELECT (SELECT count(*) FROM adoption.feedback WHERE feature_requests @> '{customization,custom_fields}'
		OR feature_requests @> '{mobile_app,mobile}' OR feature_requests @> '{data_import,import}')
	|| '/' || (SELECT sum(requests) FROM adoption.feature_requests)
	|| '/' || (SELECT count(*) FROM adoption.feedback, unnest(feature_requests))")
[ "${got%%/*}" = 0 ] && [ "$(echo "$got" | cut -d/ -f2)" = "$(echo "$got" | cut -d/ -f3)" ]
ok $? "one request, one row: texts with a topic and its feature / requests summed / pairs = $got"

# Every state the same in every database; rebuild equals incremental.
for v in $variants; do
	snapshot ${master}_$v adoption $v
done
for v in $variants; do
	[ $v = rows ] || compare $v rows "the rows database"
done
for v in rows concurrent; do
	q -d ${master}_$v -c "SELECT adoption.rebuild_feedback_profiles()" >/dev/null
	snapshot ${master}_$v adoption "$v-rebuilt"
	compare "$v-rebuilt" $v "the incremental state of $v"
	q -d ${master}_$v -c "SELECT adoption.rebuild_feedback_profiles('smb-a')" >/dev/null
	snapshot ${master}_$v adoption "$v-rebuilt-one"
	compare "$v-rebuilt-one" $v "the incremental state of $v (rebuild of smb-a)"
done

# enqueue_fix_announcements: once per tenant, fixing feature and theme.
for v in rows final; do
	db=${master}_$v
	want=$(q -d $db -c "SELECT count(DISTINCT (tenant_id, fix_feature_id, theme)) FROM oracle.fix_candidates()")
	got=$(q -d $db -c "SELECT adoption.enqueue_fix_announcements()")
	again=$(q -d $db -c "SELECT adoption.enqueue_fix_announcements()")
	[ "$got" = "$want" ] && [ "$again" = 0 ] && [ "$want" -gt 0 ]
	ok $? "$v: enqueue_fix_announcements() enqueued $got (want $want), then $again"
done

# A tenant's role: its own profile, and its own share of its segment.
for v in rows concurrent; do
	db=${master}_$v
	q -d $db -c "GRANT USAGE ON SCHEMA oracle, gen TO adoption_tenant; GRANT SELECT ON ALL TABLES IN SCHEMA oracle, gen TO adoption_tenant;
		GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA oracle TO adoption_tenant" >/dev/null
	for tn in smb-a ünï; do
		d=$(q -d $db -c "SET ROLE adoption_tenant" -c "SET adoption.tenant_id = '$tn'" -c "SELECT * FROM oracle.diff(
			\$q\$SELECT * FROM adoption.segment_personas\$q\$,
			\$q\$SELECT segment, tenants, arr, feedback, last_feedback_at, mean_sentiment, recent_sentiment, previous_sentiment,
				sentiment_trend, nps_responses, nps, recent_nps, previous_nps, nps_trend, value_drivers, pain_points, feature_requests,
				success_indicators, features_named, campaigns_answered FROM oracle.profiles(true)\$q\$, '{segment}')
			UNION ALL SELECT * FROM oracle.diff(\$q\$SELECT * FROM adoption.persona_themes\$q\$,
			\$q\$SELECT actor AS tenant_id, segment, category, theme, mentions, share, mean_sentiment, nps_responses, nps, last_seen_at,
			recent_mentions, previous_mentions, trend FROM oracle.themes(false)\$q\$, '{tenant_id,category,theme}')" 2>&1)
		rows=$(printf '%s\n' "$d" | grep -c '^[0-9]*$')
		bad=$(printf '%s\n' "$d" | grep -v '^[0-9]*$')
		n1=$(q -d $db -c "SET ROLE adoption_tenant" -c "SET adoption.tenant_id = '$tn'" -c "SELECT count(*) || '/' || count(*) FILTER (WHERE tenant_id = '$tn') FROM adoption.persona_profiles")
		[ -z "$bad" ] && [ "$rows" = 2 ] && [ "$n1" = "1/1" ]
		ok $? "$v: as adoption_tenant $tn, persona_profiles has its row only ($n1), segment_personas and persona_themes equal the oracle over its rows"
		printf '%s\n' "$bad" | why 6
	done
done

# Truncate empties the profile; the rows sent back as pg_restore sends
# them (their insight kept) give the same profile again.
db=${master}_final
got=$(q -d $db -c "CREATE TABLE gen.saved AS SELECT * FROM adoption.feedback" -c "TRUNCATE adoption.feedback" \
	-c "SELECT count(*) FROM adoption.feedback_profile")
q -d $db -c "INSERT INTO adoption.feedback SELECT * FROM gen.saved" >/dev/null
snapshot $db adoption final-restored
[ "$got" = 0 ]
ok $? "final: truncate leaves $got profile rows"
compare final-restored final "the profile before the truncate"

plan
exit $failed
