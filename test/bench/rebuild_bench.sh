#!/usr/bin/env bash
# rebuild_bench.sh: what does adoption.rebuild() cost, next to the ingest that
# built the same state, and does it reproduce that state?
#
#   test/bench/rebuild_bench.sh [n_events]        (default 1000000)
#
# Loads n_events events of test/bench/gen_events.sql (1000 tenants, 20000
# users, 50 features, 90 days) into a fresh extension with one timed COPY,
# tracking on, keeps a copy of the state it built, then times
# SELECT adoption.rebuild() ROUNDS times (default 1; a CHECKPOINT before each
# and each in a new session).  After every rebuild the state is compared
# with the copy: every column of every user and tenant row exactly but
# updated_at, velocity within 1e-9 relative (docs/design.md §3); a difference fails the
# benchmark.
#
# Reported: the COPY's seconds, the median rebuild's seconds, events/s, and
# rebuild / COPY time.  scale_bench.sh runs it at two sizes.
#
# Runs its own cluster "bench" on port PGA_BENCH_PORT (default 54322), stops
# it at the end.  Results: a table on stdout and test/bench/out/rebuild_bench.md
# (RESULT= names the file).
source "$(dirname "$0")/bench_lib.sh"
need_root "$@"

bench_usage_text="$0 [n_events]    (a positive integer, default 1000000)"
bench_args "$bench_usage_text" n=1000000 -- "$@"
bench_env rounds ROUNDS 1
result=${RESULT:-rebuild_bench}

bench_start
ensure_csv "$n"
fresh_extension
q -c "CHECKPOINT"

# Prints the milliseconds of the last "Time:" line of psql's output $1.
ms_of() { printf '%s\n' "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1; }

say "COPY of $n events, tracking on"
out=$(q -c '\timing on' -c "COPY adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, feature_name, usage_timestamp, session_duration, success_outcome, integration_context) FROM '$csv' WITH (FORMAT csv)")
copy_s=$(calc "$(ms_of "$out") / 1000")
users=$(q -tA -c "SELECT count(*) FROM adoption.user_feature_state")
tenants=$(q -tA -c "SELECT count(*) FROM adoption.tenant_feature_state")
printf 'COPY %.3f s; %s user x feature and %s tenant x feature states\n' "$copy_s" "$users" "$tenants"
q <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS public.bench_users, public.bench_tenants;
CREATE UNLOGGED TABLE public.bench_users AS TABLE adoption.user_feature_state;
CREATE UNLOGGED TABLE public.bench_tenants AS TABLE adoption.tenant_feature_state;
VACUUM ANALYZE adoption.feature_usage_events;
SQL

# Rows that differ between the state and the copy the COPY left, or are in
# one of them only: every column but updated_at exactly (as jsonb, so a
# column added later is compared too), velocity within 1e-9 relative.
diff_sql="
SELECT (SELECT count(*) FROM adoption.user_feature_state AS s
		FULL JOIN public.bench_users AS b USING (tenant_id, feature_id, user_id)
		WHERE s.tenant_id IS NULL OR b.tenant_id IS NULL
			OR to_jsonb(s) - '{velocity_per_week,updated_at}'::text[] <> to_jsonb(b) - '{velocity_per_week,updated_at}'::text[]
			OR abs(s.velocity_per_week - b.velocity_per_week) > 1e-9 * greatest(abs(b.velocity_per_week), 1e-300))
	+ (SELECT count(*) FROM adoption.tenant_feature_state AS s
		FULL JOIN public.bench_tenants AS b USING (tenant_id, feature_id)
		WHERE s.tenant_id IS NULL OR b.tenant_id IS NULL OR to_jsonb(s) - 'updated_at' <> to_jsonb(b) - 'updated_at')"

declare -a t_rebuild=()
say "timing adoption.rebuild() of $n events: $rounds round(s)"
for ((r = 1; r <= rounds; r++)); do
	q -c "CHECKPOINT"
	out=$(q -c '\timing on' -c "SELECT adoption.rebuild()")
	s=$(calc "$(ms_of "$out") / 1000")
	replayed=$(printf '%s\n' "$out" | sed -n 's/^ *\([0-9][0-9]*\)$/\1/p' | head -n 1)
	[ "$replayed" = "$n" ] || { echo "rebuild replayed '$replayed' events, not $n" >&2; exit 1; }
	differ=$(q -tA -c "$diff_sql")
	printf 'round %d  rebuild %8.3f s  %10.0f events/s  %s rows differ from the ingested state\n' "$r" "$s" "$(calc "$n / $s")" "$differ"
	[ "$differ" = 0 ] || { echo "rebuild() did not reproduce the state the COPY built ($differ rows differ)" >&2; exit 1; }
	t_rebuild+=("$s")
done
q -c "DROP TABLE public.bench_users, public.bench_tenants" -c "DROP EXTENSION pg_adoption CASCADE" >/dev/null

m_rebuild=$(median "${t_rebuild[@]}")
eps=$(calc "$n / $m_rebuild")
vs_copy=$(calc "$m_rebuild / $copy_s")
run_info

table=$(
	printf '| step | s | events/s |\n'
	printf '|---|---:|---:|\n'
	printf '| COPY, tracking on | %.3f | %.0f |\n' "$copy_s" "$(calc "$n / $copy_s")"
	printf '| adoption.rebuild(), median of %d (state equal to the COPY'"'"'s each time) | %.3f | %.0f |\n' "$rounds" "$m_rebuild" "$eps"
)
say "rebuild of $n events ($users user and $tenants tenant states)"
printf '%s\n' "$table"
printf 'rebuild / COPY time = %.2f\n' "$vs_copy"

mkdir -p "$out_dir"
cat >"$out_dir/$result.md" <<MD
## rebuild() of the state from the event log

$when, commit $commit, PostgreSQL $pgver, $cpus CPUs, fsync $fsync.
$n events (1000 tenants, 20000 users, 50 features, 90 days; \`test/bench/gen_events.sql\`)
loaded with one COPY, tracking on, into a fresh extension ($users user x feature and $tenants
tenant x feature states); then \`SELECT adoption.rebuild()\`, each time compared with the state
the COPY built (equal: exact, velocity within 1e-9).

$table

**rebuild median s = $m_rebuild**

**rebuild / COPY time = $(printf '%.2f' "$vs_copy")**

Reproduce: \`ROUNDS=$rounds test/bench/rebuild_bench.sh $n\`.
MD
echo "wrote $out_dir/$result.md"
