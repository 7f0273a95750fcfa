#!/usr/bin/env bash
# recommend_bench.sh: speed and quality of the cross-sell recommendations
# (adoption.recommend_features, docs/customer-success.md) on the demo.
#
#   sudo scripts/run.sh                       (the demo cluster, once)
#   sudo test/bench/recommend_bench.sh
#
# Against the running demo database (port PGA_DEMO_PORT, default 54320;
# database adoption_demo, scripts/run.sh), ROUNDS rounds (default 5), each
# in new sessions: recommend_features(t) for 20 tenants (every 15th by
# tenant_id), one call per statement, the median call reported; and
# feature_recommendations() of every tenant in one statement.  Then the
# hold-out evaluation evaluate_recommendations(3) once: hit rate at 3
# against recommending the most popular features.  Goals (issue 17): one
# tenant in at most 50 ms, every tenant in at most 10 s.
# Results: stdout and test/bench/out/recommend_bench.md.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/bench_lib.sh"
demo_bench_db
# Prints the milliseconds of each statement of a psql script, one a line.
times() { q -c '\timing on' "$@" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'; }

mapfile -t sample < <(q -tAc "SELECT tenant_id FROM (SELECT tenant_id, row_number() OVER (ORDER BY tenant_id) AS i
	FROM adoption.tenants) AS t WHERE i % 15 = 0 ORDER BY tenant_id")
n_tenants=$(q -tAc "SELECT count(*) FROM adoption.tenants")
declare -a one=() all=()
for ((r = 1; r <= rounds; r++)); do
	script=""
	for t in "${sample[@]}"; do script+="SELECT count(*) FROM adoption.recommend_features('$t');"$'\n'; done
	mapfile -t ms < <(printf '%s' "$script" | times -o /dev/null -f -)
	o=$(median "${ms[@]}")
	a=$(times -o /dev/null -c "SELECT count(*) FROM adoption.feature_recommendations(ARRAY(SELECT tenant_id FROM adoption.tenants), 3)" | tail -n 1)
	printf 'round %d  one tenant (median of %d) %8.1f ms   every tenant (%d) %8.1f ms\n' "$r" "${#sample[@]}" "$o" "$n_tenants" "$a"
	one+=("$o"); all+=("$a")
done
m_one=$(median "${one[@]}"); m_all=$(median "${all[@]}")
eval_rows=$(q -tA -F ' ' -c "SELECT method, tenants, hits, round(hit_rate::numeric, 3) FROM adoption.evaluate_recommendations(3)")
echo "$eval_rows"
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
mkdir -p "$REPO/test/bench/out"
{
	echo "## Cross-sell recommendations on the demo"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)."
	echo
	echo "| measure | median of $rounds rounds | goal | rounds |"
	echo "|---|---:|---:|---|"
	printf '| recommend_features(t), one tenant (median of %d calls) | %.1f ms | 50 ms | %s |\n' "${#sample[@]}" "$m_one" "${one[*]}"
	printf '| feature_recommendations(every tenant, 3), %d tenants | %.1f ms | 10 s | %s |\n' "$n_tenants" "$m_all" "${all[*]}"
	echo
	echo "Hold-out evaluation (hide each tenant's latest adoption, recommend as of its time), hit rate at 3:"
	echo
	echo "| method | tenants | hits | hit rate |"
	echo "|---|---:|---:|---:|"
	printf '%s\n' "$eval_rows" | awk '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }'
	echo
	echo "Reproduce: \`sudo scripts/run.sh && sudo test/bench/recommend_bench.sh\`."
} > "$REPO/test/bench/out/recommend_bench.md"
cat "$REPO/test/bench/out/recommend_bench.md"
