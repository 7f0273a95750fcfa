#!/usr/bin/env bash
# queue_bench.sh: how fast 4 workers drain the campaign action queue, and
# whether claiming stays fast with a long history and with a long
# transaction holding back vacuum.
#
#   test/bench/queue_bench.sh [n_actions]       (default 200000)
#
# Three phases, each draining a fresh batch of n_actions pending actions with
# 4 pgbench clients, each transaction claiming 50 actions and completing them
# (claim_actions + complete_action, as a campaign worker would):
#   fresh     an empty archive;
#   history   after the first phases left their actions in the archive;
#   long-tx   while another session holds a REPEATABLE READ snapshot open, so
#             that vacuum can remove none of the dead queue rows.
# Reported: actions/s of each phase, and duplicates (actions completed twice:
# complete_action refuses an action the worker does not hold, so an attempt
# would fail the transaction; the archive holding exactly n_actions rows per
# phase shows none was lost or doubled).
# Runs its own cluster "qbench" on port 54324; stops it at the end.
source "$(dirname "$0")/bench_lib.sh"
need_root "$@"
bench_args "$0 [n_actions]    (a positive integer, default 200000)" n=200000 -- "$@"
port=${PGA_QBENCH_PORT:-54324}
db=adoption_qbench
out_dir=$REPO/test/bench/out
mkdir -p "$out_dir"

ensure_packages
build_install
cluster_start qbench "$port" postgres
trap 'cluster_stop qbench >/dev/null 2>&1 || true' EXIT

PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
q -c "CREATE EXTENSION pg_adoption"
script=$(mktemp -d)/queue_bench.sql
chmod 755 "$(dirname "$script")"
cat >"$script" <<'SQL'
SELECT count(adoption.complete_action(c.action_id, 'w' || :client_id)) FROM adoption.claim_actions('w' || :client_id, 50) AS c;
SQL

enqueue() {
	q -c "SELECT count(adoption.enqueue_action('t' || (i % 1000), 'win_back', '$1:' || i, '{\"i\": 1}')) FROM generate_series(1, $n) AS i" >/dev/null
	q -c "VACUUM ANALYZE adoption.campaign_action_queue" >/dev/null
}

# Drains the queue; prints actions/s.
drain() {
	local before after start end
	before=$(q -tA -c "SELECT count(*) FROM adoption.campaign_action_archive")
	start=$(date +%s.%N)
	# Enough transactions for the batch, split among 4 clients.
	pgbench -n -c 4 -j 2 -t $(( (n / 50 + 3) / 4 + 1 )) -f "$script" "$db" >/dev/null
	end=$(date +%s.%N)
	after=$(q -tA -c "SELECT count(*) FROM adoption.campaign_action_archive")
	local left
	left=$(q -tA -c "SELECT count(*) FROM adoption.campaign_action_queue")
	if [ "$left" != 0 ] || [ $((after - before)) != "$n" ]; then
		echo "phase $2: $((after - before)) actions done, $left left in the queue (expected $n and 0)" >&2
		exit 1
	fi
	awk -v n="$n" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f\n", n / (b - a) }'
}

say "phase fresh: $n actions"
enqueue fresh
fresh=$(drain fresh fresh)
echo "fresh    $fresh actions/s"

say "phase history: $n more actions, $n already archived"
enqueue history
history=$(drain history history)
echo "history  $history actions/s"

say "phase long-tx: $n more actions while a REPEATABLE READ transaction stays open"
enqueue longtx
# A session that holds its snapshot for the whole phase.
psql -X -q -d "$db" -c "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM adoption.campaign_action_queue; SELECT pg_sleep(3600);" >/dev/null 2>&1 &
holder=$!
sleep 1
longtx=$(drain longtx longtx)
q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3600)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null || true
echo "long-tx  $longtx actions/s"
dups=$(q -tA -c "SELECT count(*) - count(DISTINCT action_id) FROM adoption.campaign_action_archive")
rm -rf "$(dirname "$script")"
[ "$dups" = 0 ] || { echo "$dups actions were completed twice" >&2; exit 1; }

{
	echo "## Queue drain: 4 workers"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown), $n actions per phase, pgbench -c 4 -j 2, each transaction claim_actions(50) + complete_action."
	echo
	echo "| queue drain, 4 workers (claim 50 + complete) | actions/s |"
	echo "|---|---|"
	echo "| fresh queue | $fresh |"
	echo "| with $n finished actions in the archive | $history |"
	echo "| with a long transaction holding back vacuum | $longtx |"
	echo "| duplicates | $dups |"
	echo
	echo "**actions/s, fresh queue = $fresh**"
	echo
	echo "**actions/s, long transaction open = $longtx**"
	echo
	echo "**duplicates = $dups**"
} | tee "$out_dir/queue_bench.md"
