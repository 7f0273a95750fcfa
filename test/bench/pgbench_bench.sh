#!/usr/bin/env bash
# pgbench_bench.sh: what does tracking cost on single-row INSERTs from many
# clients?
#
#   test/bench/pgbench_bench.sh
#
# 8 pgbench clients (pgbench -n -c 8 -j 2 -T SECONDS_PER_ROUND -f <script>)
# each insert one event per transaction into adoption.feature_usage_events:
# tenant 't' || random(1, 1000), one of the 20 users of that tenant, feature
# random_exponential(1, 50, 3.0) (skewed towards the first features),
# usage_timestamp now(), success 90% of the time, session_duration
# random(0, 600).  Two variants, alternating, ROUNDS rounds each:
#
#   tracking  the ingest trigger track_events enabled (what users run);
#   none      ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER
#             track_events.
#
# Steady state.  Before timing, WARM_EVENTS (200000) events of the same
# tenants, users and features, spread over the last 14 days, are loaded with
# tracking on (one INSERT ... SELECT), so the rounds measure the ingestion of
# users and features mostly seen before, not the first sight of each;
# adoption.ensure_partitions(3) makes the current month's partition (where
# the rows go), then VACUUM ANALYZE.  The state is kept between rounds; a
# CHECKPOINT runs before each round, the variants alternate and the first of
# a round alternates too.  After each tracking round the script checks that
# sum(adoption.user_feature_state.uses) grew by exactly the transactions
# pgbench committed (and did not move in a none round).
#
# Reported: the median tps of each variant and tracking/none.  Runs the
# private cluster "bench" (port 54322, fsync on), database adoption_bench;
# results on stdout and in test/bench/out/pgbench_bench.md.  Stops the
# cluster at the end.  Environment: ROUNDS (default 3), SECONDS_PER_ROUND
# (default 20), WARM_EVENTS (default 200000), PGA_BENCH_PORT, DATA_SET
# (uniform, the default, or b2b: test/bench/pgbench_insert_b2b.pgbench and
# pgbench_warm_b2b.sql, 300 tenants of 20 users, each user on 7 of the 50
# features; the result file is then pgbench_bench_b2b unless RESULT names
# one).
source "$(dirname "$0")/bench_lib.sh"
need_root "$@"

bench_usage_text="[ROUNDS=3] [SECONDS_PER_ROUND=20] [WARM_EVENTS=200000] $0"
bench_args "$bench_usage_text" -- "$@"
bench_env rounds ROUNDS 3
bench_env secs SECONDS_PER_ROUND 20
bench_env warm WARM_EVENTS 200000 0
clients=8
threads=2
command -v pgbench >/dev/null || { echo "pgbench is missing (it comes with postgresql-client)" >&2; exit 1; }

bench_data_set pgbench_bench
data_text="1000 tenants x 20 users,
50 features drawn with random_exponential(1, 50, 3.0)"
[ "$data_set" = uniform ] || data_text="B2B shape: 300 tenants x 20 users,
each user on 7 of the 50 features, \`test/bench/pgbench_insert_b2b.pgbench\`"

bench_start

script=$REPO/test/bench/pgbench_insert$suffix.pgbench

say "creating the extension and warming the state with $warm events"
q -c "SET client_min_messages = warning" -c "DROP EXTENSION IF EXISTS pg_adoption CASCADE" -c "CREATE EXTENSION pg_adoption"
q -v warm="$warm" -f "$REPO/test/bench/pgbench_warm$suffix.sql"
res=$(q -tA -F ' ' -c "SELECT count(*), coalesce(sum(uses), 0), (SELECT count(*) FROM adoption.tenants) FROM adoption.user_feature_state")
read -r users uses tenants <<<"$res"
echo "warm state: $users user x feature rows, $uses uses, $tenants tenants"
if [ "$warm" -gt 0 ] && [ "$uses" != "$warm" ]; then
	echo "the warm-up loaded $warm events but user_feature_state counts $uses uses: is the trigger working?" >&2
	exit 1
fi

# The SQL baseline (test/bench/sql_trigger.sql) as a third variant: the
# same state maintained by a set-based PL/pgSQL statement trigger.
q -f "$REPO/test/bench/sql_trigger.sql" >/dev/null
q -c "ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events_sql"

# Runs one round of variant $1; prints "tps transactions".
round() {
	local variant=$1 output tps tx before after events_before events_after res
	case "$variant" in
		tracking) q -c "ALTER TABLE adoption.feature_usage_events ENABLE TRIGGER track_events" ;;
		sql) q -c "ALTER TABLE adoption.feature_usage_events ENABLE TRIGGER track_events_sql" ;;
	esac
	res=$(q -tA -F ' ' -c "SELECT coalesce(sum(uses), 0), (SELECT count(*) FROM adoption.feature_usage_events) FROM adoption.user_feature_state")
	read -r before events_before <<<"$res"
	q -c "CHECKPOINT"
	if ! output=$(pgbench -n -c "$clients" -j "$threads" -T "$secs" -f "$script" "$db" 2>&1); then
		printf '%s\n' "$output" >&2
		echo "pgbench failed in a $variant round (see above)" >&2
		exit 1
	fi
	tps=$(printf '%s\n' "$output" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p' | tail -n 1)
	[ -z "$tps" ] || tps=$(printf '%.1f' "$tps")
	tx=$(printf '%s\n' "$output" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
	if [ -z "$tps" ] || [ -z "$tx" ]; then
		printf '%s\n' "$output" >&2
		echo "could not read tps and transactions from pgbench's output" >&2
		exit 1
	fi
	if printf '%s\n' "$output" | grep -q '^number of failed transactions: [1-9]'; then
		printf '%s\n' "$output" >&2
		echo "pgbench reports failed transactions in a $variant round" >&2
		exit 1
	fi
	res=$(q -tA -F ' ' -c "SELECT coalesce(sum(uses), 0), (SELECT count(*) FROM adoption.feature_usage_events) FROM adoption.user_feature_state")
	read -r after events_after <<<"$res"
	if [ $((events_after - events_before)) != "$tx" ]; then
		echo "the $variant round committed $tx transactions but the log grew by $((events_after - events_before)) events" >&2
		exit 1
	fi
	q -c "ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events" \
		-c "ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events_sql"
	if [ "$variant" = tracking ] && [ $((after - before)) != "$tx" ]; then
		echo "the $variant round inserted $tx events but user_feature_state uses grew by $((after - before))" >&2
		exit 1
	fi
	# The SQL baseline is not safe under concurrency (it can lose a use when
	# two sessions first see a key at once): counted, not fatal.
	if [ "$variant" = sql ] && [ $((after - before)) != "$tx" ]; then
		echo "warning: the sql round inserted $tx events but uses grew by $((after - before))" >&2
		echo $((tx - (after - before))) >>"$lost_file"
	fi
	if [ "$variant" = none ] && [ "$after" != "$before" ]; then
		echo "user_feature_state uses changed by $((after - before)) with the trigger disabled" >&2
		exit 1
	fi
	echo "$tps $tx"
}

q -c "ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events"
lost_file=$(mktemp -d)/lost
: >"$lost_file"
declare -a t_tracking=() t_none=() t_sql=()
say "$rounds rounds of ${secs} s per variant, $clients clients, rotating"
for ((r = 1; r <= rounds; r++)); do
	case $((r % 3)) in
		1) order="tracking none sql" ;;
		2) order="none sql tracking" ;;
		0) order="sql tracking none" ;;
	esac
	for v in $order; do
		res=$(round "$v")
		read -r tps tx <<<"$res"
		printf 'round %d  %-8s  %10.1f tps  %8d transactions\n' "$r" "$v" "$tps" "$tx"
		case "$v" in
			tracking) t_tracking+=("$tps") ;;
			none) t_none+=("$tps") ;;
			sql) t_sql+=("$tps") ;;
		esac
	done
done

res=$(q -tA -F ' ' -c "SELECT count(*), sum(uses) FROM adoption.user_feature_state")
read -r users uses <<<"$res"
echo "final state: $users user x feature rows, $uses uses"

m_tracking=$(median "${t_tracking[@]}")
m_none=$(median "${t_none[@]}")
m_sql=$(median "${t_sql[@]}")
ratio=$(calc "$m_tracking / $m_none")
sql_ratio=$(calc "$m_tracking / $m_sql")
sql_lost=$(awk '{ s += $1 } END { print s + 0 }' "$lost_file")
rm -rf "$(dirname "$lost_file")"
run_info
q -c "DROP EXTENSION pg_adoption CASCADE" >/dev/null

say "single-row INSERTs, $clients clients, median of $rounds rounds of $secs s"
printf '%-24s %12s\n' variant "median tps"
printf '%-24s %12.1f\n' "tracking (trigger on)" "$m_tracking"
printf '%-24s %12.1f\n' "none (trigger disabled)" "$m_none"
printf '%-24s %12.1f\n' "sql (PL/pgSQL trigger)" "$m_sql"
printf 'tracking/none tps = %.2f\n' "$ratio"
printf 'C trigger / SQL trigger tps = %.2f\n' "$sql_ratio"

mkdir -p "$out_dir"
cat >"$out_dir/$result.md" <<MD
## Single-row INSERTs (pgbench): tracking vs none

$when, commit $commit, PostgreSQL $pgver, $cpus CPUs, fsync $fsync.
\`pgbench -n -c $clients -j $threads -T $secs\`, one event per transaction ($data_text,
usage_timestamp now()), after warming the
state with $warm events; the state is kept between rounds, CHECKPOINT before each;
median of $rounds rounds, the variants' order rotating.

| variant | median tps | rounds (tps) |
|---|---:|---|
| tracking (trigger on) | $(printf '%.1f' "$m_tracking") | ${t_tracking[*]} |
| none (trigger disabled) | $(printf '%.1f' "$m_none") | ${t_none[*]} |
| sql (the PL/pgSQL baseline, test/bench/sql_trigger.sql) | $(printf '%.1f' "$m_sql") | ${t_sql[*]} |

**tracking/none tps = $(printf '%.2f' "$ratio")**

**C trigger / SQL trigger tps = $(printf '%.2f' "$sql_ratio")**

Uses the SQL baseline lost under concurrency (events inserted minus uses counted): $sql_lost.
MD
echo "wrote $out_dir/$result.md"
