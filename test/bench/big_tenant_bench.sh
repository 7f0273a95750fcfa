#!/usr/bin/env bash
# big_tenant_bench.sh: what a single-row INSERT costs in a tenant with many
# users, with and without the index on tenant_user_state (tenant_id,
# last_seen_day) through which the trigger counts the users leaving the
# active window (without it, every user of the tenant is read at each
# event), and what that index costs in the small tenants of the B2B shape.
#
#   test/bench/big_tenant_bench.sh [users] [rounds] [seconds]
#                                  (defaults 10000, 3, 10)
#
# One private cluster "bench" (PGA_BENCH_PORT, default 54322), two
# databases:
#   big  one tenant of `users` users on 5 features, 10 events each over the
#        last 30 days (in time order), then one-client pgbench of single-row
#        INSERTs by random users of that tenant at now() (in time order);
#   b2b  the B2B warm-up of compare_versions.sh (200,000 events: 300 tenants
#        of 20 users on 7 of 50 features, 60 days), then the same with
#        test/bench/pgbench_insert_b2b.pgbench.
# Each round measures both databases with the index and without it (the
# order alternating), as backend CPU microseconds per event
# (cpu_per_insert.sh: user + system time of the pgbench backend over the
# run, divided by the events that arrived: a figure a loaded machine
# stretches far less than throughput).  Reported: the median per database
# and variant, on stdout and in test/bench/out/big_tenant_bench.md.
source "$(dirname "$0")/bench_lib.sh"
need_root "$@"
bench_args "$0 [users] [rounds] [seconds]    (positive integers; seconds >= 5)" \
	users=10000 rounds=3 secs=10 -- "$@"
[ "$secs" -ge 5 ] || bench_usage "$0 [users] [rounds] [seconds]" "seconds must be at least 5"
bench_start
here=$REPO/test/bench
script=$(mktemp -d)/big.pgbench
chmod 755 "$(dirname "$script")"
cat >"$script" <<SQL
\set u random(1, $users)
\set f random(1, 5)
\set ok random(0, 9)
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome) VALUES ('big', 'user-' || :u, 'feature-' || :f, clock_timestamp(), :ok < 9);
SQL
chmod 644 "$script"

for d in big b2b; do
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS adoption_$d WITH (FORCE)" -c "CREATE DATABASE adoption_$d"
	psql -X -q -v ON_ERROR_STOP=1 -d "adoption_$d" -c "CREATE EXTENSION pg_adoption" \
		-c "SELECT adoption.ensure_partitions(3)" >/dev/null
done
echo "== loading: one tenant of $users users; the B2B warm-up"
psql -X -q -v ON_ERROR_STOP=1 -d adoption_big <<SQL
SET client_min_messages = warning;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT 'big', 'user-' || u, 'feature-' || (1 + (u + k) % 5),
	now() - interval '30 days' + (k * interval '3 days') + u * interval '1 second', random() < 0.9
FROM generate_series(1, $users) AS u, generate_series(0, 9) AS k
ORDER BY 4;
VACUUM ANALYZE;
SQL
psql -X -q -v ON_ERROR_STOP=1 -d adoption_b2b -v warm=200000 -f "$here/pgbench_warm_b2b.sql"

index() {
	if [ "$2" = with ]; then
		psql -X -q -d "adoption_$1" -c "CREATE INDEX IF NOT EXISTS tenant_user_state_last_seen_day ON adoption.tenant_user_state (tenant_id, last_seen_day)"
	else
		psql -X -q -d "adoption_$1" -c "DROP INDEX IF EXISTS adoption.tenant_user_state_last_seen_day"
	fi
	psql -X -q -d "adoption_$1" -c "VACUUM ANALYZE adoption.tenant_user_state"
}
declare -A runs
for r in $(seq 1 "$rounds"); do
	order="with without"
	[ $((r % 2)) = 0 ] && order="without with"
	for d in big b2b; do
		s=$script
		[ $d = b2b ] && s=$here/pgbench_insert_b2b.pgbench
		for v in $order; do
			index $d $v
			us=$(bash "$here/cpu_per_insert.sh" "adoption_$d" "$s" "$secs" | awk '{print $1}')
			echo "round $r  $d  $v index  $us us/event"
			runs[$d,$v]="${runs[$d,$v]:-} $us"
		done
	done
done

report=$(
	echo "| database | with the index, us/event | without, us/event | with / without |"
	echo "|---|---:|---:|---:|"
	for d in big b2b; do
		w=$(median ${runs[$d,with]})
		o=$(median ${runs[$d,without]})
		echo "| $d | $w | $o | $(calc "$w / $o") |"
	done
)
echo
echo "$report"
mkdir -p "$out_dir"
run_info
{ echo "commit $commit, PostgreSQL $pgver, $cpus CPUs, fsync $fsync, $when"; echo; echo "users in the big tenant: $users; rounds: $rounds of $secs s"; echo; echo "$report"; } \
	>"$out_dir/big_tenant_bench.md"
