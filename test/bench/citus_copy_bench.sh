#!/usr/bin/env bash
# COPY of N events through a Citus coordinator into 2 workers against the
# same COPY into one node, side by side (docs/citus.md).  All three Citus
# nodes and the single node share this machine's cores, so on a small
# machine the ratio shows the overhead of distribution, not its gain.
#
#   sudo test/bench/citus_copy_bench.sh          (BENCH_EVENTS=1000000, BENCH_ROUNDS=2)
#
# The single node is a database on the coordinator's server without Citus
# (same server, same settings); each round loads a fresh database of each
# kind, alternating which goes first.  Ports: PGA_CITUS_BENCH_PORT (54350)
# and the next two.
source "$(dirname "$0")/../../scripts/lib.sh"
need_root "$@"
events=${BENCH_EVENTS:-1000000}
rounds=${BENCH_ROUNDS:-2}
port=${PGA_CITUS_BENCH_PORT:-54350}
export CITUS_PORT=$port CITUS_CLUSTER=citus-bench CITUS_DB=adoption_bench_citus CITUS_SHARDS=${CITUS_SHARDS:-8}
sock=/tmp/pg_adoption-$port
trap 'bash "$REPO/scripts/citus.sh" stop >/dev/null 2>&1 || true' EXIT

bash "$REPO/scripts/citus.sh" start >/dev/null
csv=$(mktemp)
chmod 0644 "$csv"
psql -X -q -h "$sock" -p "$port" -U postgres -d postgres -c "COPY (
	SELECT md5('e' || i)::uuid, 't' || (i * 7919 % 300), 'u' || (i * 104729 % 5000), 'f' || (i * 31 % 25),
		now() - make_interval(mins => ((i::bigint * 2654435761) % 86400)::int), (i % 600)::int, i % 10 <> 0
	FROM generate_series(1::bigint, $events) AS i) TO STDOUT" >"$csv"
cols="(event_id, tenant_id, user_id, feature_id, usage_timestamp, session_duration, success_outcome)"

# Seconds for the COPY into database $1 (created afresh: $2 = citus or single).
copy_secs() {
	local db=$1 kind=$2 t0 t1
	if [ "$kind" = citus ]; then
		bash "$REPO/scripts/citus.sh" start >/dev/null 2>&1
	else
		psql -X -q -h "$sock" -p "$port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
		psql -X -q -h "$sock" -p "$port" -U postgres -d "$db" -c "SET client_min_messages = warning" -c "CREATE EXTENSION pg_adoption"
	fi
	t0=$(date +%s.%N)
	psql -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres -d "$db" -c "\\copy adoption.feature_usage_events $cols FROM '$csv'"
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

echo "COPY of $events events: one node vs coordinator + 2 workers ($CITUS_SHARDS shards per table), $(nproc) cores"
for ((r = 1; r <= rounds; r++)); do
	if [ $((r % 2)) = 1 ]; then
		s=$(copy_secs adoption_bench_single single); c=$(copy_secs "$CITUS_DB" citus)
	else
		c=$(copy_secs "$CITUS_DB" citus); s=$(copy_secs adoption_bench_single single)
	fi
	awk -v r="$r" -v s="$s" -v c="$c" -v n="$events" 'BEGIN {
		printf "round %d: one node %.2f s (%.0f events/s), Citus %.2f s (%.0f events/s), Citus / one node %.2f\n",
			r, s, n / s, c, n / c, c / s }'
done
psql -X -q -h "$sock" -p "$port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS adoption_bench_single"
rm -f "$csv"
