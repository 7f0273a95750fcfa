#!/usr/bin/env bash
# analytics_bench.sh: retention and lifecycle in C against the SQL a user
# would write (window functions, generate_series), on the same events.
#
#   test/bench/analytics_bench.sh [n_events]    (default 5000000)
#   test/bench/analytics_bench.sh quick         (500000 events)
#
# Loads n_events events of test/bench/gen_events.sql (20,000 users in 1,000
# tenants, 50 features, over the 90 days before the file was written; the
# CSV is bench_lib.sh's ensure_csv, shared with copy_bench.sh) through the
# ingest trigger, so that adoption.user_feature_state
# holds every user's first use, and ANALYZEs.  The range is the events' first
# to last UTC day.  Then ROUNDS rounds (default 5), the order of C and SQL
# alternating from round to round, each run in a new session storing its
# result in a table:
#
#   retention  adoption.retention('user', NULL, 'day', from, to) (mode on)
#              against: distinct (tenant, user, day), the cohort as
#              min(day) OVER (PARTITION BY tenant, user), counts per cohort
#              and day number, generate_series for the empty cells;
#   lifecycle  adoption.lifecycle('user', NULL, 'day', from, to) against:
#              distinct (tenant, user, day) from the day before the range,
#              lag() and lead() over each user's days, first seen from
#              user_feature_state, generate_series of days x statuses.
#
# After every round the two results must be identical (EXCEPT both ways,
# and the same row count).  Reported: median seconds of each and the
# speedups SQL / C.  In the same rounds, pes and stickiness at their
# defaults over the range (period day): pes reads the events once, as
# stickiness does, and its goal is at most 1 s on the demo's 1,000,000
# events (issue 17); reported: medians and pes / stickiness.  Runs its own cluster "bench" on port 54322 (database
# adoption_bench).
# Results: stdout and test/bench/out/analytics_bench.md.  Environment:
# ROUNDS, PGA_BENCH_PORT.
source "$(dirname "$0")/bench_lib.sh"
need_root "$@"

[ "${1:-}" = quick ] && set -- 500000
bench_args "$0 [n_events | quick]    (a positive integer, default 5000000; quick = 500000)" n=5000000 -- "$@"
bench_env rounds ROUNDS 5

bench_start
ensure_csv "$n"
fresh_extension
say "loading $n events through the ingest trigger"
start=$(date +%s.%N)
q -c "COPY adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, feature_name, usage_timestamp,
	session_duration, success_outcome, integration_context) FROM '$csv' WITH (FORMAT csv)" -c "VACUUM ANALYZE"
awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "loaded in %.0f s\n", b - a }'
read -r n_loaded n_actors n_tenants from_date to_date < <(q -tA -F ' ' -c "
	SELECT count(*), count(DISTINCT (tenant_id, user_id)), count(DISTINCT tenant_id),
		min(usage_timestamp AT TIME ZONE 'UTC')::date, max(usage_timestamp AT TIME ZONE 'UTC')::date
	FROM adoption.feature_usage_events")
echo "$n_loaded events, $n_actors users, days $from_date .. $to_date"

c_retention="SELECT * FROM adoption.retention('user', NULL, 'day', '$from_date', '$to_date')"
sql_retention="
WITH activity AS (
	SELECT DISTINCT e.tenant_id, e.user_id, (e.usage_timestamp AT TIME ZONE 'UTC')::date AS day
	FROM adoption.feature_usage_events AS e
	WHERE e.usage_timestamp >= timestamp '$from_date' AT TIME ZONE 'UTC'
		AND e.usage_timestamp < (date '$to_date' + 1)::timestamp AT TIME ZONE 'UTC'
), cohorts AS (
	SELECT a.day, min(a.day) OVER (PARTITION BY a.tenant_id, a.user_id) AS cohort
	FROM activity AS a
), cells AS (
	SELECT c.cohort, c.day - c.cohort AS k, count(*) AS retained
	FROM cohorts AS c
	GROUP BY c.cohort, c.day - c.cohort
)
SELECT s.cohort AS cohort_start, s.retained AS cohort_size, g.k AS period_number,
	coalesce(c.retained, 0) AS retained, coalesce(c.retained, 0)::double precision / s.retained AS rate
FROM cells AS s
	CROSS JOIN LATERAL generate_series(0, date '$to_date' - s.cohort) AS g (k)
	LEFT JOIN cells AS c ON c.cohort = s.cohort AND c.k = g.k
WHERE s.k = 0"
c_lifecycle="SELECT * FROM adoption.lifecycle('user', NULL, 'day', '$from_date', '$to_date')"
c_pes="SELECT * FROM adoption.pes('user', NULL, 'day', '$from_date', '$to_date')"
c_stickiness="SELECT * FROM adoption.stickiness('user', NULL, 'day', '$from_date', '$to_date')"
sql_lifecycle="
WITH activity AS (
	SELECT DISTINCT e.tenant_id, e.user_id, (e.usage_timestamp AT TIME ZONE 'UTC')::date AS day
	FROM adoption.feature_usage_events AS e
	WHERE e.usage_timestamp >= (date '$from_date' - 1)::timestamp AT TIME ZONE 'UTC'
		AND e.usage_timestamp < (date '$to_date' + 1)::timestamp AT TIME ZONE 'UTC'
), seen AS (
	SELECT s.tenant_id, s.user_id, (min(s.first_used_at) AT TIME ZONE 'UTC')::date AS first_day
	FROM adoption.user_feature_state AS s
	GROUP BY s.tenant_id, s.user_id
), marked AS (
	SELECT a.day, lag(a.day) OVER w AS prev_day, lead(a.day) OVER w AS next_day,
		least(s.first_day, min(a.day) OVER (PARTITION BY a.tenant_id, a.user_id)) AS first_day
	FROM activity AS a LEFT JOIN seen AS s USING (tenant_id, user_id)
	WINDOW w AS (PARTITION BY a.tenant_id, a.user_id ORDER BY a.day)
), statuses AS (
	SELECT m.day, CASE WHEN m.day = m.first_day THEN 'new'
		WHEN m.prev_day = m.day - 1 THEN 'returning' ELSE 'resurrecting' END AS status
	FROM marked AS m
	UNION ALL
	SELECT m.day + 1, 'dormant' FROM marked AS m WHERE m.next_day IS NULL OR m.next_day > m.day + 1
), counted AS (
	SELECT x.day, x.status, count(*) AS n FROM statuses AS x GROUP BY x.day, x.status
)
SELECT d::date AS period_start, st.status,
	CASE WHEN st.status = 'dormant' THEN -1 ELSE 1 END * coalesce(c.n, 0) AS actors
FROM generate_series(timestamp '$from_date', timestamp '$to_date', interval '1 day') AS d
	CROSS JOIN (VALUES ('new'), ('returning'), ('resurrecting'), ('dormant')) AS st (status)
	LEFT JOIN counted AS c ON c.day = d::date AND c.status = st.status"

# Runs "CREATE TABLE $1 AS $2" in a new session; prints its seconds.
timed() {
	local output ms
	output=$(q -tA -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS $1" -c '\timing on' -c "CREATE TABLE $1 AS $2")
	ms=$(printf '%s\n' "$output" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1)
	calc "$ms / 1000"
}

# Fails unless tables $1 and $2 hold the same rows; prints the row count.
same() {
	local diff rows
	diff=$(q -tA -c "SELECT (SELECT count(*) FROM (TABLE $1 EXCEPT ALL TABLE $2) AS x)
		+ (SELECT count(*) FROM (TABLE $2 EXCEPT ALL TABLE $1) AS y)")
	rows=$(q -tA -c "SELECT (SELECT count(*) FROM $1) || ' ' || (SELECT count(*) FROM $2)")
	if [ "$diff" != 0 ] || [ "${rows% *}" != "${rows#* }" ]; then
		echo "$1 and $2 differ: $diff rows not in both, row counts $rows" >&2
		exit 1
	fi
	echo "${rows% *}"
}

declare -a t_cr=() t_sr=() t_cl=() t_sl=() t_pes=() t_st=()
say "$rounds rounds of retention and lifecycle, C and SQL alternating"
for ((r = 1; r <= rounds; r++)); do
	if ((r % 2)); then
		cr=$(timed c_retention "$c_retention"); sr=$(timed sql_retention "$sql_retention")
		cl=$(timed c_lifecycle "$c_lifecycle"); sl=$(timed sql_lifecycle "$sql_lifecycle")
	else
		sr=$(timed sql_retention "$sql_retention"); cr=$(timed c_retention "$c_retention")
		sl=$(timed sql_lifecycle "$sql_lifecycle"); cl=$(timed c_lifecycle "$c_lifecycle")
	fi
	if ((r % 2)); then
		pe=$(timed c_pes "$c_pes"); st=$(timed c_stickiness "$c_stickiness")
	else
		st=$(timed c_stickiness "$c_stickiness"); pe=$(timed c_pes "$c_pes")
	fi
	printf 'round %d  pes %7.3f s  stickiness %7.3f s\n' "$r" "$pe" "$st"
	t_pes+=("$pe"); t_st+=("$st")
	rows_r=$(same c_retention sql_retention)
	rows_l=$(same c_lifecycle sql_lifecycle)
	printf 'round %d  retention C %7.3f s  SQL %7.3f s (%d rows, same)   lifecycle C %7.3f s  SQL %7.3f s (%d rows, same)\n' \
		"$r" "$cr" "$sr" "$rows_r" "$cl" "$sl" "$rows_l"
	t_cr+=("$cr"); t_sr+=("$sr"); t_cl+=("$cl"); t_sl+=("$sl")
done
cohorts=$(q -tA -c "SELECT count(DISTINCT cohort_start) || ' cohorts, ' || sum(cohort_size) FILTER (WHERE period_number = 0) || ' users' FROM c_retention")

m_cr=$(median "${t_cr[@]}"); m_sr=$(median "${t_sr[@]}")
m_cl=$(median "${t_cl[@]}"); m_sl=$(median "${t_sl[@]}")
s_r=$(calc "$m_sr / $m_cr")
s_l=$(calc "$m_sl / $m_cl")
m_pes=$(median "${t_pes[@]}"); m_st=$(median "${t_st[@]}")
r_pes=$(calc "$m_pes / $m_st")
run_info

table=$(
	printf '| function | C median s | SQL median s | rows | C rounds (s) | SQL rounds (s) |\n'
	printf '|---|---:|---:|---:|---|---|\n'
	printf '| retention (day, on) | %.3f | %.3f | %d | %s | %s |\n' "$m_cr" "$m_sr" "$rows_r" "${t_cr[*]}" "${t_sr[*]}"
	printf '| lifecycle (day) | %.3f | %.3f | %d | %s | %s |\n' "$m_cl" "$m_sl" "$rows_l" "${t_cl[*]}" "${t_sl[*]}"
)
say "retention and lifecycle over $n_loaded events of $n_actors users, $from_date .. $to_date, median of $rounds rounds"
printf '%s\n' "$table"
printf 'retention speedup C / SQL = %.1f, lifecycle speedup C / SQL = %.1f (retention: %s)\n' "$s_r" "$s_l" "$cohorts"
printf 'pes (day, defaults over the range) median %.3f s, stickiness %.3f s: pes / stickiness = %.2f (goal: pes <= 1 s at 1,000,000 events)\n' \
	"$m_pes" "$m_st" "$r_pes"

mkdir -p "$out_dir"
cat >"$out_dir/analytics_bench.md" <<MD
## Product analytics: retention and lifecycle, C against plain SQL

$when, commit $commit, PostgreSQL $pgver, $cpus CPUs, fsync $fsync.
$n_loaded events of $n_actors users in $n_tenants tenants (50 features, 90 days; \`test/bench/gen_events.sql\`),
loaded through the ingest trigger; daily periods $from_date .. $to_date ($cohorts); median of $rounds rounds,
C and SQL alternating, each result stored with CREATE TABLE AS and checked identical (EXCEPT ALL both ways).
The SQL is what a user would write: window functions over distinct (tenant, user, day) and generate_series.

$table

**retention speedup C / SQL = $(printf '%.1f' "$s_r")**

**lifecycle speedup C / SQL = $(printf '%.1f' "$s_l")**

pes at its defaults (period day, over the same range) against stickiness, in the same rounds:
median $(printf '%.3f' "$m_pes") s against $(printf '%.3f' "$m_st") s, **pes / stickiness =
$(printf '%.2f' "$r_pes")** (rounds: pes ${t_pes[*]}; stickiness ${t_st[*]}). pes reads the events once,
as stickiness does; its goal is at most 1 s on 1,000,000 events (\`sudo test/bench/analytics_bench.sh 1000000\`).

Reproduce: \`sudo test/bench/analytics_bench.sh $n\` (\`quick\` for 500,000 events).
MD
echo "results: $out_dir/analytics_bench.md"
