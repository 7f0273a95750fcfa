#!/usr/bin/env bash
# scale_bench.sh: does the cost of ingest and of rescoring grow linearly with
# the work?
#
#   test/bench/scale_bench.sh [n_events] [n_tenants]   (default 1000000 2000)
#
# Runs the ingest and rescore benchmarks at two sizes, the second four times
# the first:
#
#   copy_bench.sh n_events and 4 x n_events (1000 tenants, 20000 users, 50
#       features): COPY with tracking and without, ROUNDS rounds (default 1);
#   rescore_bench.sh n_events n_tenants and 4 x both (500 events and 10 users
#       per tenant at both sizes): a full rescore of every tenant, ROUNDS
#       rounds;
#   rebuild_bench.sh n_events and 4 x n_events: adoption.rebuild() of the
#       state a COPY built (checked equal to it), ROUNDS rounds.
#
# Reported, for each, the cost per unit of work at the large size divided by
# the cost per unit at the small size: 1.00 is exactly linear, above 1 the
# cost grows faster than the work.  For ingest: seconds per event with
# tracking, and the trigger's own share, (tracking - none) per event; for
# rescoring: ms per tenant; for rebuild: seconds per event.  The goal
# written into the summary is <= 1.25 (within 25% of linear on this shared,
# noisy machine).
#
# Results: test/bench/out/scale_bench.md (and the six runs' own files,
# scale_copy_small.md, scale_copy_large.md, scale_rescore_small.md,
# scale_rescore_large.md, scale_rebuild_small.md, scale_rebuild_large.md).
# Environment: ROUNDS, PGA_BENCH_PORT.
source "$(dirname "$0")/bench_lib.sh"
need_root "$@"

bench_args "$0 [n_events] [n_tenants]    (positive integers, default 1000000 2000)" n=1000000 tenants=2000 -- "$@"
bench_env rounds ROUNDS 1
bench=$REPO/test/bench

# Reads the figure after "<label> = " on a bold line of out/$1.md.
figure() { sed -n "s/^\*\*$2 = \([0-9.]*\).*/\1/p" "$out_dir/$1.md" | head -n 1; }

say "ingest: COPY of $n and $((4 * n)) events"
ROUNDS=$rounds RESULT=scale_copy_small bash "$bench/copy_bench.sh" "$n"
ROUNDS=$rounds RESULT=scale_copy_large bash "$bench/copy_bench.sh" "$((4 * n))"
say "rescoring: $tenants and $((4 * tenants)) tenants"
ROUNDS=$rounds RESULT=scale_rescore_small bash "$bench/rescore_bench.sh" "$n" "$tenants"
ROUNDS=$rounds RESULT=scale_rescore_large bash "$bench/rescore_bench.sh" "$((4 * n))" "$((4 * tenants))"
say "rebuild: $n and $((4 * n)) events"
ROUNDS=$rounds RESULT=scale_rebuild_small bash "$bench/rebuild_bench.sh" "$n"
ROUNDS=$rounds RESULT=scale_rebuild_large bash "$bench/rebuild_bench.sh" "$((4 * n))"

tr_s=$(figure scale_copy_small 'tracking median s')
no_s=$(figure scale_copy_small 'none median s')
tr_l=$(figure scale_copy_large 'tracking median s')
no_l=$(figure scale_copy_large 'none median s')
rs_s=$(figure scale_rescore_small 'full rescore ms per tenant')
rs_l=$(figure scale_rescore_large 'full rescore ms per tenant')
rb_s=$(figure scale_rebuild_small 'rebuild median s')
rb_l=$(figure scale_rebuild_large 'rebuild median s')
for v in "$tr_s" "$no_s" "$tr_l" "$no_l" "$rs_s" "$rs_l" "$rb_s" "$rb_l"; do
	[ -n "$v" ] || { echo "scale_bench: a run left no figure (see its output above)" >&2; exit 1; }
done
# Microseconds per event; growth = per-unit cost at 4x / at 1x.
us() { calc "$1 * 1000000 / $2"; }
tr_us_s=$(us "$tr_s" "$n")
tr_us_l=$(us "$tr_l" "$((4 * n))")
no_us_s=$(us "$no_s" "$n")
no_us_l=$(us "$no_l" "$((4 * n))")
trig_us_s=$(calc "$tr_us_s - $no_us_s")
trig_us_l=$(calc "$tr_us_l - $no_us_l")
g_ingest=$(calc "$tr_us_l / $tr_us_s")
g_trigger=$(calc "$trig_us_l / $trig_us_s")
g_none=$(calc "$no_us_l / $no_us_s")
g_rescore=$(calc "$rs_l / $rs_s")
rb_us_s=$(us "$rb_s" "$n")
rb_us_l=$(us "$rb_l" "$((4 * n))")
g_rebuild=$(calc "$rb_us_l / $rb_us_s")
# The runs stopped the cluster; run_info asks the server its version.
cluster_start bench "$bench_port" postgres >/dev/null
trap bench_stop EXIT
run_info

table=$(
	printf '| cost | at %s | at %s | 4x / 1x per unit |\n' "$n events, $tenants tenants" "$((4 * n)) events, $((4 * tenants)) tenants"
	printf '|---|---:|---:|---:|\n'
	printf '| COPY with tracking, us per event | %.2f | %.2f | %.2f |\n' "$tr_us_s" "$tr_us_l" "$g_ingest"
	printf '| COPY without tracking, us per event | %.2f | %.2f | %.2f |\n' "$no_us_s" "$no_us_l" "$g_none"
	printf '| the trigger alone (tracking - none), us per event | %.2f | %.2f | %.2f |\n' "$trig_us_s" "$trig_us_l" "$g_trigger"
	printf '| full rescore, ms per tenant | %.3f | %.3f | %.2f |\n' "$rs_s" "$rs_l" "$g_rescore"
	printf '| adoption.rebuild(), us per event | %.2f | %.2f | %.2f |\n' "$rb_us_s" "$rb_us_l" "$g_rebuild"
)
say "growth of cost with the work (1.00 = linear)"
printf '%s\n' "$table"

mkdir -p "$out_dir"
cat >"$out_dir/scale_bench.md" <<MD
## Growth of ingest, rescore and rebuild cost with the work

$when, commit $commit, PostgreSQL $pgver, $cpus CPUs, fsync $fsync.
COPY of $n and $((4 * n)) events (1000 tenants, 20000 users, 50 features; tracking and none,
median of $rounds round(s) each, from a fresh extension); full rescore of $tenants and
$((4 * tenants)) tenants with 500 events each ($n and $((4 * n)) events); \`adoption.rebuild()\` of the
state each COPY size built (checked equal to it). The last column is the
cost per event (or per tenant) at the large size over the small size: 1.00 is linear.

$table

**ingest cost per event, 4x / 1x = $(printf '%.2f' "$g_ingest")**

**trigger cost per event, 4x / 1x = $(printf '%.2f' "$g_trigger")**

**rescore cost per tenant, 4x / 1x = $(printf '%.2f' "$g_rescore")**

**rebuild cost per event, 4x / 1x = $(printf '%.2f' "$g_rebuild")**

Reproduce: \`ROUNDS=$rounds test/bench/scale_bench.sh $n $tenants\`.
MD
echo "wrote $out_dir/scale_bench.md"
