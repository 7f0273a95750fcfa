#!/usr/bin/env bash
# sql_baseline_bench.sh: how much faster is the C ingest trigger than the
# same state maintenance written in SQL?
#
#   test/bench/sql_baseline_bench.sh [n_events]      (default 1000000)
#
# Times COPY adoption.feature_usage_events FROM '<csv>' of n_events events
# (the CSV of copy_bench.sh: test/bench/gen_events.sql, 1000 tenants, 20000
# users, 50 features, 90 days; the cached file is used when present) in three
# variants, ROUNDS rounds each, the order rotating from round to round:
#
#   c    the extension's trigger adoption.track_events (C);
#   sql  track_events disabled and test/bench/sql_trigger.sql's set-based
#        PL/pgSQL statement trigger attached instead (AFTER INSERT ...
#        REFERENCING NEW TABLE ... FOR EACH STATEMENT);
#   none no trigger at all (track_events disabled): the bare COPY, so that
#        the cost of each trigger alone can be told apart from the COPY's.
#
# Every timed COPY starts from a freshly created extension (empty state)
# with empty monthly partitions for the file's range, after a CHECKPOINT,
# in a new session; one untimed COPY (trigger disabled) warms the page cache
# first.  Both triggers run with the server's defaults (work_mem, jit).
# After each COPY the script checks that the state has n_events uses, and
# that both variants produced the same number of user_feature_state rows,
# the same sum(uses) and the same sum(successes).  Reported: the medians, the
# C trigger speedup = SQL time / C time (whole COPY, the figure with a goal),
# and the trigger-only speedup = (SQL - none) / (C - none).
#
# Runs the private cluster "bench" (port 54322, fsync on), database
# adoption_bench; results on stdout and in test/bench/out/sql_baseline_bench.md.
# Stops the cluster at the end.  Environment: ROUNDS (default 2), PGA_BENCH_PORT,
# DATA_SET (uniform, the default, or b2b: test/bench/gen_b2b.sql; the result
# file is then sql_baseline_bench_b2b unless RESULT names one).
source "$(dirname "$0")/bench_lib.sh"
need_root "$@"

bench_usage_text="[ROUNDS=2] $0 [n_events]    (a positive integer, default 1000000)"
bench_args "$bench_usage_text" n=1000000 -- "$@"
bench_env rounds ROUNDS 2
sql_trigger=$REPO/test/bench/sql_trigger.sql
[ -r "$sql_trigger" ] || { echo "missing $sql_trigger" >&2; exit 1; }

bench_data_set sql_baseline_bench
data_text="test/bench/gen_events.sql"
[ "$data_set" = uniform ] || data_text="test/bench/gen_b2b.sql, B2B shape"

bench_start
ensure_csv "$n" "$data_set"

# A fresh extension for variant $1 (c, sql or none).
prepare() {
	fresh_extension
	case "$1" in
		sql) q -f "$sql_trigger" ;;
		none) q -c "ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events" ;;
	esac
	local tenants
	tenants=$(q -tA -c "SELECT count(*) FROM adoption.tenants")
	[ "$tenants" = 0 ] || { echo "prepare: adoption.tenants is not empty" >&2; exit 1; }
	q -c "CHECKPOINT"
}

# Runs one timed COPY of variant $1; prints "seconds rows uses successes
# adopted habitual pairs actions".
timed_copy() {
	local variant=$1 output ms loaded in_default state
	prepare "$variant" >&2
	if ! output=$(q -c '\timing on' -c "COPY adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, feature_name, usage_timestamp, session_duration, success_outcome, integration_context) FROM '$csv' WITH (FORMAT csv)" 2>&1); then
		printf '%s\n' "$output" >&2
		echo "the $variant COPY failed (see the error above)" >&2
		exit 1
	fi
	ms=$(printf '%s\n' "$output" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1)
	[ -n "$ms" ] || { echo "could not read the time of the COPY from: $output" >&2; exit 1; }
	loaded=$(q -tA -c "SELECT count(*) FROM adoption.feature_usage_events")
	[ "$loaded" = "$n" ] || { echo "the $variant COPY loaded $loaded rows, not $n" >&2; exit 1; }
	in_default=$(q -tA -c "SELECT count(*) FROM adoption.feature_usage_events_default")
	[ "$in_default" = 0 ] || echo "warning: $in_default rows of the $variant COPY landed in the default partition" >&2
	state=$(q -tA -F ' ' -c "SELECT count(*), coalesce(sum(uses), 0), coalesce(sum(successes), 0), count(adopted_at), count(habitual_at), (SELECT count(*) FROM adoption.tenant_feature_state), (SELECT count(*) FROM adoption.campaign_action_queue) FROM adoption.user_feature_state")
	echo "$(echo "$ms" | awk '{ printf "%.3f", $1 / 1000 }') $state"
}

say "warming up: one untimed COPY without a trigger"
res=$(timed_copy none)
read -r s _ <<<"$res"
printf 'warm-up  %-4s  %8.3f s (not counted)\n' none "$s"

declare -a t_c=() t_sql=() t_none=()
declare -A state_of=() state_info=()
say "timing COPY of $n events: $rounds rounds of c, sql and none, the order rotating"
orders=("c sql none" "sql none c" "none c sql")
for ((r = 1; r <= rounds; r++)); do
	order=${orders[$(((r - 1) % 3))]}
	for v in $order; do
		res=$(timed_copy "$v")
		read -r s rows uses successes adopted habitual pairs actions <<<"$res"
		printf 'round %d  %-4s  %8.3f s  %9.0f rows/s   state: %s user rows, %s uses, %s successes, %s adopted, %s habitual, %s pairs, %s actions\n' \
			"$r" "$v" "$s" "$(calc "$n / $s")" "$rows" "$uses" "$successes" "$adopted" "$habitual" "$pairs" "$actions"
		if [ "$v" = none ]; then
			t_none+=("$s")
			[ "$rows" = 0 ] || { echo "the COPY without a trigger made $rows user rows" >&2; exit 1; }
			continue
		fi
		if [ "$uses" != "$n" ]; then
			echo "the $v trigger counted $uses uses for $n events" >&2
			exit 1
		fi
		if [ "$v" = c ]; then t_c+=("$s"); else t_sql+=("$s"); fi
		state_of[$v]="$rows $uses $successes"
		state_info[$v]="$rows user rows, $uses uses, $successes successes, $adopted adopted, $habitual habitual, $pairs tenant x feature rows, $actions actions"
	done
done
q -c "DROP EXTENSION pg_adoption CASCADE" >/dev/null

if [ "${state_of[c]}" != "${state_of[sql]}" ]; then
	echo "the variants disagree: c has (rows uses successes) ${state_of[c]}, sql has ${state_of[sql]}" >&2
	exit 1
fi
echo "both variants: user_feature_state rows, sum(uses), sum(successes) = ${state_of[c]}"

m_c=$(median "${t_c[@]}")
m_sql=$(median "${t_sql[@]}")
m_none=$(median "${t_none[@]}")
speedup=$(calc "$m_sql / $m_c")
if awk -v c="$m_c" -v z="$m_none" 'BEGIN { exit !(c > z) }'; then
	overhead_speedup=$(printf '%.2f' "$(calc "($m_sql - $m_none) / ($m_c - $m_none)")")
else
	overhead_speedup="n/a (the C COPY was not slower than the bare one)"
fi
run_info

say "COPY of $n events, median of $rounds rounds"
printf '%-28s %10s %12s\n' variant "median s" "rows/s"
printf '%-28s %10.3f %12.0f\n' "c (adoption.track_events)" "$m_c" "$(calc "$n / $m_c")"
printf '%-28s %10.3f %12.0f\n' "sql (PL/pgSQL, set-based)" "$m_sql" "$(calc "$n / $m_sql")"
printf '%-28s %10.3f %12.0f\n' "none (no trigger)" "$m_none" "$(calc "$n / $m_none")"
printf 'C trigger speedup = SQL time / C time = %.2f\n' "$speedup"
printf 'trigger-only speedup = (SQL - none) / (C - none) = %s\n' "$overhead_speedup"

mkdir -p "$out_dir"
cat >"$out_dir/$result.md" <<MD
## C trigger vs the same maintenance in SQL

$when, commit $commit, PostgreSQL $pgver, $cpus CPUs, fsync $fsync.
\`COPY adoption.feature_usage_events FROM\` a CSV of $n events (\`$data_text\`),
median of $rounds rounds (order rotating), each from a freshly created extension after a CHECKPOINT.
sql = \`test/bench/sql_trigger.sql\`, a set-based PL/pgSQL statement trigger (transition table,
window functions, upserts; milestones approximated as its header says).

| variant | median s | rows/s | rounds (s) |
|---|---:|---:|---|
| c (adoption.track_events) | $(printf '%.3f' "$m_c") | $(printf '%.0f' "$(calc "$n / $m_c")") | ${t_c[*]} |
| sql (PL/pgSQL, set-based) | $(printf '%.3f' "$m_sql") | $(printf '%.0f' "$(calc "$n / $m_sql")") | ${t_sql[*]} |
| none (no trigger) | $(printf '%.3f' "$m_none") | $(printf '%.0f' "$(calc "$n / $m_none")") | ${t_none[*]} |

State after the last COPY of each: c: ${state_info[c]}; sql: ${state_info[sql]}.

**C trigger speedup = SQL time / C time = $(printf '%.2f' "$speedup")**

Trigger-only speedup = (SQL - none) / (C - none) = $overhead_speedup
MD
echo "wrote $out_dir/$result.md"
