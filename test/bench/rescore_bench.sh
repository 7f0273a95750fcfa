#!/usr/bin/env bash
# rescore_bench.sh: what does health rescoring cost, in full and incrementally?
#
#   test/bench/rescore_bench.sh [n_events] [n_tenants]   (default 5000000 10000)
#
# Loads n_events events of test/bench/gen_events.sql (n_tenants tenants,
# 10 users per tenant, 50 features over the last 90 days) through the ingest
# trigger, plus per tenant ~5 tickets, ~5 billing events and ~10 NPS answers
# of the last 120 days, then ANALYZEs.  Then, ROUNDS rounds (default 3) of:
#
#   full         TRUNCATE adoption.health_scores and adoption.rescore_state;
#                SELECT adoption.rescore(): every tenant is due (never
#                scored), which is what a first run or a daily refresh of
#                every tenant costs;
#   dirty 1%     one new event for 1% of the tenants (different ones each
#                round), committed; SELECT adoption.rescore(): the
#                incremental run finds and scores those tenants only.
#
# Reported: median seconds of each, ms per tenant of the full run, the
# number of tenants each run scored, and dirty/full.  Goals (issue 4):
# full <= 1 ms per tenant, dirty 1% <= 5% of full.
#
# Runs its own cluster "bench" on port 54322, database adoption_bench; the
# CSV is cached in the cluster directory (for a week).  Results: stdout and
# test/bench/out/rescore_bench.md.  Environment: ROUNDS, PGA_BENCH_PORT,
# RESULT (the result file's name, default rescore_bench; scale_bench.sh sets it).
source "$(dirname "$0")/bench_lib.sh"
need_root "$@"

bench_args "$0 [n_events] [n_tenants]    (positive integers, default 5000000 10000)" n=5000000 tenants=10000 -- "$@"
bench_env rounds ROUNDS 3
dirty=$(((tenants + 99) / 100))
result=${RESULT:-rescore_bench}

bench_start
csv=$bench_dir/rescore-events-$n-$tenants-$gen_version.csv
if [ ! -s "$csv" ] || [ -n "$(find "$csv" -mtime +6)" ]; then
	say "generating $n events of $tenants tenants into $csv"
	rm -f "$csv" "$csv.tmp"
	q -v n_events="$n" -v n_tenants="$tenants" -v n_users=$((tenants * 10)) -v outfile="$csv.tmp" \
		-f "$REPO/test/bench/gen_events.sql"
	mv "$csv.tmp" "$csv"
fi

say "loading $n events through the ingest trigger, and the other inputs"
start=$(date +%s.%N)
q <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pg_adoption;
ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 'probe', 'probe', 'probe', now() - d * interval '1 day' FROM generate_series(0, 95) AS d;
SELECT adoption.ensure_partitions(3) \g /dev/null
TRUNCATE adoption.feature_usage_events;
ALTER TABLE adoption.feature_usage_events ENABLE TRIGGER track_events;
COPY adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, feature_name, usage_timestamp,
	session_duration, success_outcome, integration_context) FROM '$csv' WITH (FORMAT csv);
UPDATE adoption.tenants SET seats_licensed = 8 + hashtext(tenant_id) % 8;
UPDATE adoption.features SET tier = CASE WHEN feature_id < 'feature-010' THEN 'core'
	WHEN feature_id < 'feature-030' THEN 'advanced' ELSE 'premium' END;
INSERT INTO adoption.support_tickets (tenant_id, ticket_id, opened_at, severity)
SELECT t.tenant_id, 'k' || i, now() - (hashtext(t.tenant_id || i) % 120 + 120) % 120 * interval '1 day',
	(ARRAY['low', 'medium', 'high', 'urgent'])[1 + (hashtext(t.tenant_id || i) % 4 + 4) % 4]
FROM adoption.tenants AS t, generate_series(1, 5) AS i;
INSERT INTO adoption.billing_events (tenant_id, event_id, occurred_at, kind)
SELECT t.tenant_id, 'b' || i, now() - (hashtext(t.tenant_id || i) % 120 + 120) % 120 * interval '1 day',
	(ARRAY['payment_succeeded', 'payment_succeeded', 'payment_failed', 'upgrade', 'refund'])[1 + (hashtext(t.tenant_id || i) % 5 + 5) % 5]
FROM adoption.tenants AS t, generate_series(1, 5) AS i;
INSERT INTO adoption.feedback (tenant_id, channel, score, created_at)
SELECT t.tenant_id, 'nps', (hashtext(t.tenant_id || i) % 11 + 11) % 11,
	now() - (hashtext(t.tenant_id || i) % 120 + 120) % 120 * interval '1 day'
FROM adoption.tenants AS t, generate_series(1, 10) AS i;
VACUUM ANALYZE;
SQL
awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "loaded in %.0f s\n", b - a }'
read -r n_loaded n_tenants < <(q -tA -F ' ' -c "SELECT (SELECT count(*) FROM adoption.feature_usage_events), (SELECT count(*) FROM adoption.tenants)")
echo "$n_loaded events, $n_tenants tenants"

# Times SQL $1 in a new session; prints "seconds result".
timed() {
	local output ms result
	output=$(q -tA -c '\timing on' -c "$1")
	ms=$(printf '%s\n' "$output" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1)
	result=$(printf '%s\n' "$output" | grep -v '^Time:' | grep -v '^$' | tail -n 1)
	echo "$(calc "$ms / 1000") $result"
}

declare -a t_full=() t_dirty=()
say "rescoring: $rounds rounds of a full run and a run after $dirty tenants got new data"
for ((r = 1; r <= rounds; r++)); do
	q -c "TRUNCATE adoption.health_scores, adoption.rescore_state" -c "CHECKPOINT"
	read -r s scored < <(timed "SELECT adoption.rescore()")
	[ "$scored" = "$n_tenants" ] || { echo "the full run scored $scored tenants, not $n_tenants" >&2; exit 1; }
	printf 'round %d  full      %8.3f s  %6d tenants  %.3f ms/tenant\n' "$r" "$s" "$scored" "$(calc "$s * 1000 / $scored")"
	t_full+=("$s")
	q -c "INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id)
		SELECT t.tenant_id, 'bench-user', 'feature-001' FROM adoption.tenants AS t
		ORDER BY hashtext(t.tenant_id || '$r') LIMIT $dirty"
	read -r s scored < <(timed "SELECT adoption.rescore()")
	[ "$scored" = "$dirty" ] || { echo "the incremental run scored $scored tenants, not $dirty" >&2; exit 1; }
	printf 'round %d  dirty 1%%  %8.3f s  %6d tenants\n' "$r" "$s" "$scored"
	t_dirty+=("$s")
done

m_full=$(median "${t_full[@]}")
m_dirty=$(median "${t_dirty[@]}")
per_tenant=$(calc "$m_full * 1000 / $n_tenants")
ratio=$(calc "$m_dirty / $m_full")
run_info

table=$(
	printf '| run | tenants scored | median s | rounds (s) |\n'
	printf '|---|---:|---:|---|\n'
	printf '| full (every tenant due) | %d | %.3f | %s |\n' "$n_tenants" "$m_full" "${t_full[*]}"
	printf '| incremental, 1%% dirty | %d | %.3f | %s |\n' "$dirty" "$m_dirty" "${t_dirty[*]}"
)
say "rescore of $n_tenants tenants with $n_loaded events, median of $rounds rounds"
printf '%s\n' "$table"
printf 'full: %.3f ms per tenant (goal <= 1); dirty 1%%/full = %.3f (goal <= 0.05)\n' "$per_tenant" "$ratio"

mkdir -p "$out_dir"
cat >"$out_dir/$result.md" <<MD
## Health rescoring: full and incremental

$when, commit $commit, PostgreSQL $pgver, $cpus CPUs, fsync $fsync.
$n_loaded events of $n_tenants tenants (10 users each, 50 features, 90 days; \`test/bench/gen_events.sql\`),
5 tickets, 5 billing events and 10 NPS answers per tenant; median of $rounds rounds.

$table

**full rescore ms per tenant = $(printf '%.3f' "$per_tenant")** (goal <= 1 ms)

**incremental after 1% dirty / full = $(printf '%.3f' "$ratio")** (goal <= 0.05)

Reproduce: \`test/bench/rescore_bench.sh $n $tenants\`.
MD
echo "results: $out_dir/$result.md"
