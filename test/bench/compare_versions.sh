#!/usr/bin/env bash
# compare_versions.sh: the released 0.2.0 engine and the current tree, side
# by side in one run, one cluster.
#
#   test/bench/compare_versions.sh           (full sizes: 30-60 minutes)
#   QUICK=1 test/bench/compare_versions.sh   (smoke run: a few minutes)
#   PARTS="copy_b2b" COPY_EVENTS=300000 test/bench/compare_versions.sh
#
# Two engines installed at once:
#
#   0.2.0    the tree of commit OLD_COMMIT (default f1e3ef4, the last 0.2.0
#            commit), taken with git archive into build/old-<commit>/src and
#            built there (once; cached) as a separate module,
#            MODULE_big=pg_adoption_020; installed are only its library (and
#            JIT bitcode) and its install script as extension version
#            '<version>bench' (pg_adoption--0.2.0bench.sql in the server's
#            extension directory, MODULE_PATHNAME replaced by
#            '$libdir/pg_adoption_020').  It shares pg_adoption.control
#            with the current tree but no file, so installing it clobbers
#            nothing;
#   current  this tree, built and installed as usual (make install: version
#            from pg_adoption.control).
#
# One private cluster "compare" (port COMPARE_PORT, default 54421, fsync
# on; stopped at the end) with two databases: adoption_v020, where the
# extension is created as VERSION '0.2.0bench', and adoption_current.  The
# figures, the versions alternating round by round (round 1: 0.2.0 then
# current, round 2 the reverse order, ...; a version's two variants run
# back to back, their order alternating too):
#
#   copy_uniform  COPY of COPY_EVENTS events of test/bench/gen_events.sql
#                 (the set of copy_bench.sh: 1000 tenants, 20000 users, rows
#                 in no order), tracking (track_events on) / none (trigger
#                 disabled), as copy_bench.sh times it: a fresh extension
#                 with empty partitions, CHECKPOINT, a new session, one
#                 untimed COPY per version first;
#   copy_b2b      the same with test/bench/gen_b2b.sql (tenants of 20 users
#                 on ~7 of 50 features, ~8 events per user x feature, two
#                 months, rows in time order);
#   pgbench       8 clients of single-row INSERTs (the script of
#                 pgbench_bench.sh), tracking / none, SECONDS_PER_ROUND s per
#                 round, after WARM_EVENTS events of warm-up in each database;
#   pgbench_b2b   the same on the B2B shape: 300 tenants of 20 users, each
#                 user on 7 of the 50 features, warm-up over 60 days;
#   rss           peak memory of the backend during a COPY of RSS_EVENTS
#                 events (gen_events.sql) with tracking, as rss_bench.sh
#                 samples it (/proc/<pid>/status every SAMPLE_INTERVAL s),
#                 one run per version.
#
# Every COPY is checked: all rows loaded, and with tracking the state counts
# each event once (sum(user_feature_state.uses) = events); each pgbench round
# likewise.  A version that fails (CREATE EXTENSION, a COPY, a check) is
# reported as FAILED with the first error in the table, its other rounds of
# that figure are skipped, the other figures still run, and the script
# exits 1 after writing the report.
#
# Reported: per version the tracking/none ratio of medians (throughput, tps;
# also in the backends' CPU time, /proc/<pid>/stat around each COPY and over
# each pgbench round, which a machine shared with other work stretches far
# less)
# and the peak memory; the change of current against 0.2.0 in %.  Goals: no
# ratio drops more than 10 % against 0.2.0; the current version's peak
# backend memory (VmHWM and RssAnon) <= 512 MB.  Table on stdout and in
# test/bench/out/compare_versions.md.
#
# Environment (full / QUICK=1 defaults):
#   COPY_EVENTS        events per COPY (1000000 / 50000)
#   ROUNDS             rounds of the COPY and pgbench figures (3 / 1)
#   SECONDS_PER_ROUND  pgbench (20 / 5)
#   WARM_EVENTS        pgbench warm-up (200000 / 20000)
#   RSS_EVENTS         events of the memory COPY (10000000 / 500000)
#   PARTS              figures to run (default "copy_uniform copy_b2b
#                      pgbench pgbench_b2b rss")
#   OLD_COMMIT, COMPARE_PORT, SAMPLE_INTERVAL (0.5).
# The CSVs are cached where copy_bench.sh and rss_bench.sh cache theirs (the
# directory of the cluster "bench"), so the scripts share them.  Rerunnable:
# the databases are made afresh, the 0.2.0bench files overwritten.
source "$(dirname "$0")/bench_lib.sh"
need_root "$@"

bench_usage_text="[QUICK=1] [PARTS=\"copy_uniform copy_b2b pgbench pgbench_b2b rss\"] [COPY_EVENTS=N] [ROUNDS=N]
            [SECONDS_PER_ROUND=N] [WARM_EVENTS=N] [RSS_EVENTS=N] [OLD_COMMIT=rev] $0"
usage() { bench_usage "$bench_usage_text" "$@"; }
bench_args "$bench_usage_text" -- "$@"
quick=${QUICK:-0}
if [ "$quick" = 1 ]; then
	bench_env copy_n COPY_EVENTS 50000; bench_env rounds ROUNDS 1; bench_env secs SECONDS_PER_ROUND 5 5
	bench_env warm WARM_EVENTS 20000 0; bench_env rss_n RSS_EVENTS 500000
else
	bench_env copy_n COPY_EVENTS 1000000; bench_env rounds ROUNDS 3; bench_env secs SECONDS_PER_ROUND 20 5
	bench_env warm WARM_EVENTS 200000 0; bench_env rss_n RSS_EVENTS 10000000
fi
all_parts="copy_uniform copy_b2b pgbench pgbench_b2b rss"
parts=${PARTS:-$all_parts}
for p in $parts; do
	[[ " $all_parts " == *" $p "* ]] || usage "PARTS: unknown figure $p (of: $all_parts)"
done
has_part() { [[ " $parts " == *" $1 "* ]]; }
old_rev=${OLD_COMMIT:-f1e3ef4}
port=${COMPARE_PORT:-54421}
interval=${SAMPLE_INTERVAL:-0.5}
[[ $interval =~ ^[0-9]*\.?[0-9]+$ ]] || usage "SAMPLE_INTERVAL must be a number of seconds"
clients=8
threads=2
old_module=pg_adoption_020
db_old=adoption_v020
db_cur=adoption_current
versions="old cur"

ensure_packages
command -v pgbench >/dev/null || { echo "pgbench is missing (it comes with postgresql-client)" >&2; exit 1; }
pkglibdir=$("$PG_CONFIG" --pkglibdir)
extdir=$("$PG_CONFIG" --sharedir)/extension
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The 0.2.0 engine: built once per commit in build/old-<commit> (a separate
# module), then its library, bitcode and install script installed under
# names of their own.
old_full=$(git -C "$REPO" rev-parse --verify -q "$old_rev^{commit}") ||
	{ echo "compare_versions: no commit $old_rev in $REPO" >&2; exit 1; }
old_short=$(git -C "$REPO" rev-parse --short "$old_full")
old_dir=$REPO/build/old-$old_short
# (staged under the server's library directory: built again for another server)
if [ ! -f "$old_dir/built" ] || [ ! -f "$old_dir/stage$pkglibdir/$old_module.so" ]; then
	say "building the engine of $old_short as $old_module in $old_dir"
	rm -rf "$old_dir"
	mkdir -p "$old_dir/src"
	git -C "$REPO" archive "$old_full" | tar -x -C "$old_dir/src"
	make -C "$old_dir/src" -s PG_CONFIG="$PG_CONFIG" MODULE_big="$old_module" >/dev/null
	# Staged: only the library and its bitcode are taken from here.
	make -C "$old_dir/src" -s PG_CONFIG="$PG_CONFIG" MODULE_big="$old_module" DESTDIR="$old_dir/stage" install >/dev/null
	touch "$old_dir/built"
fi
old_base=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$old_dir/src/pg_adoption.control")
old_version=${old_base}bench
old_script=$old_dir/src/pg_adoption--$old_base.sql
[ -s "$old_script" ] || { echo "compare_versions: $old_script is missing" >&2; exit 1; }
say "installing $old_module and pg_adoption--$old_version.sql"
install -m 755 "$old_dir/stage$pkglibdir/$old_module.so" "$pkglibdir/$old_module.so.tmp"
mv "$pkglibdir/$old_module.so.tmp" "$pkglibdir/$old_module.so"
if [ -d "$old_dir/stage$pkglibdir/bitcode/$old_module" ]; then
	rm -rf "$pkglibdir/bitcode/$old_module"
	cp -r "$old_dir/stage$pkglibdir/bitcode/$old_module" "$pkglibdir/bitcode/"
	install -m 644 "$old_dir/stage$pkglibdir/bitcode/$old_module.index.bc" "$pkglibdir/bitcode/"
fi
sed "s|MODULE_PATHNAME|\$libdir/$old_module|g" "$old_script" >"$extdir/pg_adoption--$old_version.sql.tmp"
if grep -q "'\$libdir/pg_adoption'" "$extdir/pg_adoption--$old_version.sql.tmp"; then
	echo "compare_versions: the $old_base script names \$libdir/pg_adoption itself: it would load the current library" >&2
	exit 1
fi
chmod 644 "$extdir/pg_adoption--$old_version.sql.tmp"
mv "$extdir/pg_adoption--$old_version.sql.tmp" "$extdir/pg_adoption--$old_version.sql"

# The current tree, installed as usual.
build_install
cur_version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$REPO/pg_adoption.control")
cur_commit=$(git -C "$REPO" rev-parse --short HEAD)
if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no)" ]; then cur_commit="$cur_commit+dirty"; fi
# Other sessions may install their tree over it while this runs: checked
# after each figure, and reported.
installed_sum() { cat "$pkglibdir/pg_adoption.so" "$extdir/pg_adoption--$cur_version.sql" "$extdir/pg_adoption.control" 2>/dev/null | md5sum | cut -c1-32; }
cur_sum=$(installed_sum)
installed_changed=
check_installed() {
	if [ -z "$installed_changed" ] && [ "$(installed_sum)" != "$cur_sum" ]; then
		installed_changed=$1
		echo "WARNING: pg_adoption.so, pg_adoption--$cur_version.sql or pg_adoption.control changed in $pkglibdir / $extdir by $1 (another session installed its tree?): the current version's figures may not be this tree's" >&2
	fi
}

cluster_start compare "$port" postgres
trap 'cluster_stop compare >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
# The CSVs are shared with copy_bench.sh and rss_bench.sh.
bench_dir=$(cluster_dir bench)
say "creating databases $db_old and $db_cur"
PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d postgres \
	-c "DROP DATABASE IF EXISTS $db_old WITH (FORCE)" -c "CREATE DATABASE $db_old" \
	-c "DROP DATABASE IF EXISTS $db_cur WITH (FORCE)" -c "CREATE DATABASE $db_cur"
db=$db_cur

label() { if [ "$1" = old ]; then echo "$old_base ($old_version, $old_short)"; else echo "current ($cur_version, $cur_commit)"; fi; }
# Sets db, ext_version and lib (the library its functions must name) for
# version $1; callers declare them local.
use_version() {
	if [ "$1" = old ]; then
		db=$db_old ext_version=$old_version lib="\$libdir/$old_module"
	else
		db=$db_cur ext_version=$cur_version lib="\$libdir/pg_adoption"
	fi
}

# Runs "$@" in a subshell with errexit on, its output in $work/out and its
# messages in $work/err (copied to stderr); sets attempt_rc.  Called as a
# plain command, never in a condition (where bash would ignore errexit).
attempt_rc=0
attempt() {
	set +e
	(
		set -e
		"$@"
	) >"$work/out" 2>"$work/err"
	attempt_rc=$?
	set -e
	cat "$work/err" >&2
}
# The first error of the last attempt, one line, for the table.
attempt_error() {
	local line
	line=$(grep -m 1 -E 'ERROR:|FATAL:|PANIC:|server closed' "$work/err" || true)
	[ -n "$line" ] || line=$(grep -v '^[[:space:]]*$' "$work/err" | tail -n 1 || true)
	[ -n "$line" ] || line="exit status $attempt_rc"
	printf '%s' "$line" | sed -e 's/^psql:[^ ]* //' -e 's/|/\\|/g' | cut -c1-200
}

declare -A failed=() vals=() runs=() foreign=()
# attempt "$@", a step of version $2 in figure $1; for the current version
# counts the steps that began or ended with other files installed than this
# tree's (another session's make install: the step may have run its engine).
measure() {
	local fig=$1 ver=$2 before=
	shift 2
	if [ "$ver" = cur ]; then before=$(installed_sum); fi
	attempt "$@"
	if [ "$ver" = cur ]; then
		runs[$fig]=$((${runs[$fig]:-0} + 1))
		if [ "$before" != "$cur_sum" ] || [ "$(installed_sum)" != "$cur_sum" ]; then
			foreign[$fig]=$((${foreign[$fig]:-0} + 1))
		fi
	fi
}
# Records the failure of version $1 in figure $2, at step $3 (the first
# error of the last attempt).
fail() {
	failed[$1:$2]="$3: $(attempt_error)"
	echo "$(label "$1") FAILED in $2: ${failed[$1:$2]}" >&2
}
# True if figure $2 of version $1 was measured (no failure recorded).
measured() { [ -z "${failed[$1:$2]:-}" ]; }

# Drops the extension of version $1 (frees the disk its log took).
drop_extension() {
	local db ext_version lib
	use_version "$1"
	q -c "SET client_min_messages = warning" -c "DROP EXTENSION IF EXISTS pg_adoption CASCADE"
}

# Checks that the extension of the version use_version set calls the library
# it should.
check_library() {
	local probin
	probin=$(q -tA -c "SELECT string_agg(DISTINCT p.probin, ', ') FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace WHERE n.nspname = 'adoption' AND p.probin IS NOT NULL")
	if [ "$probin" != "$lib" ]; then
		echo "the extension's C functions call $probin, not $lib" >&2
		return 1
	fi
}

say "creating the extension in each database"
ext_check() {
	local db ext_version lib
	use_version "$1"
	q -c "SET client_min_messages = warning" -c "DROP EXTENSION IF EXISTS pg_adoption CASCADE" \
		-c "CREATE EXTENSION pg_adoption VERSION '$ext_version'"
	check_library
	q -tA -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_adoption'"
	q -c "DROP EXTENSION pg_adoption CASCADE"
}
for ver in $versions; do
	attempt ext_check "$ver"
	if [ "$attempt_rc" = 0 ]; then
		echo "$(label "$ver"): CREATE EXTENSION pg_adoption VERSION '$(cat "$work/out")' in $(use_version "$ver"; echo "$db") works"
	else
		for p in $all_parts; do fail "$ver" "$p" "CREATE EXTENSION" 2>/dev/null; done
		echo "$(label "$ver"): CREATE EXTENSION failed: $(attempt_error)" >&2
	fi
done

# The order of the (version, variant) runs in round $1: 0.2.0 first in odd
# rounds, current first in even ones, each version's two variants back to
# back (the whole sequence reversed in even rounds).
round_order() {
	if (($1 % 2)); then echo "old:tracking old:none cur:tracking cur:none"; else echo "cur:none cur:tracking old:none old:tracking"; fi
}

# ---------------------------------------------------------------- COPY
# One timed COPY of $n events from $csv by version $1, variant $2 (tracking
# or none), as copy_bench.sh times it; prints the seconds.
timed_copy() {
	local ver=$1 variant=$2 db ext_version lib output ms c0 c1 loaded in_default tenants uses
	use_version "$ver"
	fresh_extension >/dev/null
	check_library
	if [ "$variant" = none ]; then
		q -c "ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events"
	fi
	tenants=$(q -tA -c "SELECT count(*) FROM adoption.tenants")
	[ "$tenants" = 0 ] || { echo "adoption.tenants is not empty after CREATE EXTENSION" >&2; return 1; }
	q -c "CHECKPOINT"
	# The backend's user + system CPU time around the COPY (/proc/<pid>/stat,
	# fields 14 and 15, in clock ticks), read from the same session.
	if ! output=$(q -f - 2>&1 <<SQL
SELECT pg_backend_pid() AS pid \\gset
\\setenv COPY_PID :pid
\\! awk '{ print "cpu_ticks_before", \$14 + \$15 }' /proc/\$COPY_PID/stat
\\timing on
COPY adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, feature_name, usage_timestamp, session_duration, success_outcome, integration_context) FROM '$csv' WITH (FORMAT csv);
\\timing off
\\! awk '{ print "cpu_ticks_after", \$14 + \$15 }' /proc/\$COPY_PID/stat
SQL
	); then
		printf '%s\n' "$output" >&2
		echo "the $variant COPY failed" >&2
		return 1
	fi
	ms=$(printf '%s\n' "$output" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1)
	[ -n "$ms" ] || { echo "could not read the time of the COPY from: $output" >&2; return 1; }
	read -r loaded in_default tenants uses < <(q -tA -F ' ' -c "SELECT (SELECT count(*) FROM adoption.feature_usage_events), (SELECT count(*) FROM adoption.feature_usage_events_default), (SELECT count(*) FROM adoption.tenants), (SELECT coalesce(sum(uses), 0) FROM adoption.user_feature_state)")
	[ "$loaded" = "$n" ] || { echo "the $variant COPY loaded $loaded rows, not $n" >&2; return 1; }
	[ "$in_default" = 0 ] || echo "warning: $in_default rows of the $variant COPY landed in the default partition" >&2
	if [ "$variant" = tracking ]; then
		[ "$tenants" != 0 ] || { echo "the tracking COPY registered no tenant: is the trigger working?" >&2; return 1; }
		[ "$uses" = "$n" ] || { echo "the tracking COPY of $n events left sum(user_feature_state.uses) = $uses" >&2; return 1; }
	else
		if [ "$tenants" != 0 ] || [ "$uses" != 0 ]; then
			echo "the COPY without tracking registered $tenants tenants, $uses uses: was the trigger disabled?" >&2
			return 1
		fi
	fi
	c0=$(printf '%s\n' "$output" | sed -n 's/^cpu_ticks_before \([0-9]*\)$/\1/p')
	c1=$(printf '%s\n' "$output" | sed -n 's/^cpu_ticks_after \([0-9]*\)$/\1/p')
	[ -n "$c0" ] && [ -n "$c1" ] || { echo "could not read the backend's CPU time from: $output" >&2; return 1; }
	awk -v ms="$ms" -v c="$((c1 - c0))" -v tick="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f %.3f\n", ms / 1000, c / tick }'
}

# Figure copy_$1 (uniform or b2b).
copy_figure() {
	local set=$1 fig=copy_$1 r item ver variant s c
	say "COPY of $copy_n events ($set set): $rounds rounds of tracking and none per version"
	ensure_csv "$copy_n" "$set"
	n=$copy_n
	for ver in $versions; do
		measured "$ver" "$fig" || continue
		measure "$fig" "$ver" timed_copy "$ver" none
		if [ "$attempt_rc" = 0 ]; then
			read -r s c <"$work/out"
			printf 'warm-up  %-34s none      %8.3f s (not counted)\n' "$(label "$ver")" "$s"
		else
			fail "$ver" "$fig" "untimed COPY without tracking"
		fi
	done
	for ((r = 1; r <= rounds; r++)); do
		for item in $(round_order "$r"); do
			ver=${item%%:*} variant=${item#*:}
			measured "$ver" "$fig" || continue
			measure "$fig" "$ver" timed_copy "$ver" "$variant"
			if [ "$attempt_rc" != 0 ]; then
				fail "$ver" "$fig" "$variant COPY, round $r"
				continue
			fi
			read -r s c <"$work/out"
			printf 'round %d  %-34s %-8s  %8.3f s  %10.0f rows/s  %8.3f s of backend CPU\n' "$r" "$(label "$ver")" "$variant" "$s" "$(calc "$n / $s")" "$c"
			vals[$ver:$fig:$variant]="${vals[$ver:$fig:$variant]:-} $s"
			vals[$ver:${fig}_cpu:$variant]="${vals[$ver:${fig}_cpu:$variant]:-} $c"
		done
	done
	for ver in $versions; do attempt drop_extension "$ver"; done	# frees the disk
}

# ---------------------------------------------------------------- pgbench
pgbench_script=$REPO/test/bench/pgbench_insert.pgbench
pgbench_script_b2b=$REPO/test/bench/pgbench_insert_b2b.pgbench

# The extension of version $1 with the warm-up of figure $2 (as
# pgbench_bench.sh's).
pgbench_setup() {
	local db ext_version lib uses
	use_version "$1"
	q -c "SET client_min_messages = warning" -c "DROP EXTENSION IF EXISTS pg_adoption CASCADE" \
		-c "CREATE EXTENSION pg_adoption VERSION '$ext_version'"
	q -v warm="$warm" -f "$REPO/test/bench/$([ "$2" = pgbench_b2b ] && echo pgbench_warm_b2b.sql || echo pgbench_warm.sql)"
	check_library
	uses=$(q -tA -c "SELECT coalesce(sum(uses), 0) FROM adoption.user_feature_state")
	[ "$uses" = "$warm" ] || { echo "the warm-up inserted $warm events but user_feature_state counts $uses uses" >&2; return 1; }
	q -c "ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events"
}

# One pgbench round of version $1, variant $2, with script $3; prints the tps.
pgbench_round() {
	local ver=$1 variant=$2 script=$3 db ext_version lib output tps tx before after events_before events_after
	local bench rc pids c0 c1 e0 e1 started launched
	use_version "$ver"
	[ "$variant" = none ] || q -c "ALTER TABLE adoption.feature_usage_events ENABLE TRIGGER track_events"
	read -r before events_before < <(q -tA -F ' ' -c "SELECT coalesce(sum(uses), 0), (SELECT count(*) FROM adoption.feature_usage_events) FROM adoption.user_feature_state")
	q -c "CHECKPOINT"
	# The events per second of the backends' CPU time (user + system of the
	# pgbench backends, /proc/<pid>/stat) from the 2nd second to 2 s before
	# the end.
	started=$(q -tA -c "SELECT clock_timestamp()")
	pgbench -n -c "$clients" -j "$threads" -T "$secs" -f "$script" "$db" >"$work/pgbench.out" 2>&1 &
	bench=$!
	launched=$(date +%s)
	sleep 2
	# this round's client backends (the last round's may still be leaving;
	# a parallel worker of a statement shows the application name too)
	pids=$(q -tA -c "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE application_name = 'pgbench' AND backend_type = 'client backend' AND datname = current_database() AND backend_start >= '$started'")
	[ "$(wc -w <<<"$pids")" = "$clients" ] || { wait "$bench"; echo "found the backends $pids of pgbench, not $clients" >&2; return 1; }
	c0=$(backends_cpu $pids)
	e0=$(q -tA -c "SELECT last_value FROM adoption.feature_usage_events_arrival_seq")
	# until 2 s before the end (a loaded machine makes each psql slow)
	sleep "$(awk -v t="$((launched + secs - 2))" -v now="$(date +%s.%N)" 'BEGIN { d = t - now; print (d > 0 ? d : 0) }')"
	c1=$(backends_cpu $pids)
	e1=$(q -tA -c "SELECT last_value FROM adoption.feature_usage_events_arrival_seq")
	wait "$bench" && rc=0 || rc=$?
	output=$(cat "$work/pgbench.out")
	if [ "$rc" != 0 ]; then
		printf '%s\n' "$output" >&2
		echo "pgbench failed in a $variant round" >&2
		return 1
	fi
	q -c "ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events"
	tps=$(printf '%s\n' "$output" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p' | tail -n 1)
	tx=$(printf '%s\n' "$output" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
	if [ -z "$tps" ] || [ -z "$tx" ]; then
		printf '%s\n' "$output" >&2
		echo "could not read tps and transactions from pgbench's output" >&2
		return 1
	fi
	if printf '%s\n' "$output" | grep -q '^number of failed transactions: [1-9]'; then
		printf '%s\n' "$output" | grep -E 'ERROR|failed' >&2
		echo "pgbench reports failed transactions in a $variant round" >&2
		return 1
	fi
	read -r after events_after < <(q -tA -F ' ' -c "SELECT coalesce(sum(uses), 0), (SELECT count(*) FROM adoption.feature_usage_events) FROM adoption.user_feature_state")
	[ $((events_after - events_before)) = "$tx" ] || { echo "the $variant round committed $tx transactions but the log grew by $((events_after - events_before))" >&2; return 1; }
	if [ "$variant" = tracking ] && [ $((after - before)) != "$tx" ]; then
		echo "the tracking round inserted $tx events but user_feature_state uses grew by $((after - before))" >&2
		return 1
	fi
	if [ "$variant" = none ] && [ "$after" != "$before" ]; then
		echo "user_feature_state uses changed by $((after - before)) with the trigger disabled" >&2
		return 1
	fi
	[ "$c1" -gt "$c0" ] || { echo "the pgbench backends used no CPU time while measured" >&2; return 1; }
	awk -v tps="$tps" -v e=$((e1 - e0)) -v c=$((c1 - c0)) -v tick="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f %.1f\n", tps, e / (c / tick) }'
}

# The sum of the CPU time (user + system, clock ticks) of processes $@.
backends_cpu() {
	local p
	for p in "$@"; do
		awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || { echo "the pgbench backend $p ended before its CPU time was read" >&2; return 1; }
	done | awk '{ s += $1 } END { print s + 0 }'
}

# Figure $1: pgbench (the script of pgbench_bench.sh) or pgbench_b2b.
pgbench_figure() {
	local fig=$1 r item ver variant tps c script=$pgbench_script
	[ "$fig" = pgbench ] || script=$pgbench_script_b2b
	say "$fig: $clients clients, $rounds rounds of $secs s of tracking and none per version"
	for ver in $versions; do
		measured "$ver" "$fig" || continue
		echo "$(label "$ver"): warming the state with $warm events"
		measure "$fig" "$ver" pgbench_setup "$ver" "$fig"
		[ "$attempt_rc" = 0 ] || fail "$ver" "$fig" "warm-up"
	done
	for ((r = 1; r <= rounds; r++)); do
		for item in $(round_order "$r"); do
			ver=${item%%:*} variant=${item#*:}
			measured "$ver" "$fig" || continue
			measure "$fig" "$ver" pgbench_round "$ver" "$variant" "$script"
			if [ "$attempt_rc" != 0 ]; then
				fail "$ver" "$fig" "$variant round $r"
				continue
			fi
			read -r tps c <"$work/out"
			printf 'round %d  %-34s %-8s  %10.1f tps  %10.1f events per backend CPU second\n' "$r" "$(label "$ver")" "$variant" "$tps" "$c"
			vals[$ver:$fig:$variant]="${vals[$ver:$fig:$variant]:-} $tps"
			vals[$ver:${fig}_cpu:$variant]="${vals[$ver:${fig}_cpu:$variant]:-} $c"
		done
	done
	for ver in $versions; do attempt drop_extension "$ver"; done
}

# ---------------------------------------------------------------- RSS
# A COPY of $n events from $csv with tracking by version $1, its backend's
# /proc/<pid>/status sampled; prints "VmHWM VmRSS RssAnon RssShmem" (kB) and
# the seconds.
rss_run() {
	local ver=$1 db ext_version lib app backend copy_out psql_pid i line h r a s hwm=0 rss=0 anon=0 shmem=0 ms loaded uses
	use_version "$ver"
	fresh_extension >/dev/null
	check_library
	q -c "CHECKPOINT"
	app=compare_rss_$ver
	copy_out=$work/rss_copy.out
	PGAPPNAME=$app psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c '\timing on' \
		-c "COPY adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, feature_name, usage_timestamp, session_duration, success_outcome, integration_context) FROM '$csv' WITH (FORMAT csv)" \
		-c "SELECT pg_sleep(1)" >"$copy_out" 2>&1 &
	psql_pid=$!
	copy_backend "$app" "$psql_pid" "$copy_out" || return 1
	echo "backend pid $backend" >&2
	while line=$(status_kb); do
		read -r h r a s <<<"$line"
		if ((h > hwm)); then hwm=$h; fi
		if ((r > rss)); then rss=$r; fi
		if ((a > anon)); then anon=$a; fi
		if ((s > shmem)); then shmem=$s; fi
		sleep "$interval"
	done
	if ! wait "$psql_pid"; then
		cat "$copy_out" >&2
		echo "the COPY failed" >&2
		return 1
	fi
	ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$copy_out" | head -n 1)
	[ -n "$ms" ] || { cat "$copy_out" >&2; echo "could not read the time of the COPY" >&2; return 1; }
	read -r loaded uses < <(q -tA -F ' ' -c "SELECT (SELECT count(*) FROM adoption.feature_usage_events), (SELECT coalesce(sum(uses), 0) FROM adoption.user_feature_state)")
	[ "$loaded" = "$n" ] || { echo "the COPY loaded $loaded rows, not $n" >&2; return 1; }
	[ "$uses" = "$n" ] || { echo "the COPY of $n events left sum(user_feature_state.uses) = $uses" >&2; return 1; }
	q -c "DROP EXTENSION pg_adoption CASCADE"	# frees the disk the log took
	echo "$hwm $rss $anon $shmem $(echo "$ms" | awk '{ printf "%.3f", $1 / 1000 }')"
}

rss_figure() {
	local fig=rss ver need_mb free_mb cached_mb=0 hwm rss anon shmem s
	say "peak backend memory during a COPY of $rss_n events with tracking, per version"
	need_mb=$(awk -v n="$rss_n" 'BEGIN { m = 6 * 1024 * n / 10000000; if (m < 1024) m = 1024; printf "%d", m }')
	free_mb=$(df -Pm "$bench_dir" | awk 'NR == 2 { print $4 }')
	if [ -s "$bench_dir/events-$rss_n-$gen_version.csv" ]; then
		cached_mb=$(du -m "$bench_dir/events-$rss_n-$gen_version.csv" | cut -f1)
	fi
	if [ "$free_mb" -lt $((need_mb - cached_mb)) ]; then
		echo "not enough free disk in $bench_dir: $free_mb MB free, $((need_mb - cached_mb)) MB needed for $rss_n events" >"$work/err"
		attempt_rc=1
		for ver in $versions; do
			if measured "$ver" "$fig"; then fail "$ver" "$fig" "disk"; fi
		done
		return 0
	fi
	ensure_csv "$rss_n" uniform
	n=$rss_n
	for ver in $versions; do
		measured "$ver" "$fig" || continue
		measure "$fig" "$ver" rss_run "$ver"
		if [ "$attempt_rc" != 0 ]; then
			fail "$ver" "$fig" "COPY with tracking"
			attempt drop_extension "$ver"
			continue
		fi
		read -r hwm rss anon shmem s <"$work/out"
		printf '%-34s  VmHWM %6.0f MB  VmRSS %6.0f MB  RssAnon %6.0f MB  COPY %8.3f s\n' "$(label "$ver")" \
			"$(calc "$hwm / 1024")" "$(calc "$rss / 1024")" "$(calc "$anon / 1024")" "$s"
		vals[$ver:rss:hwm]=$(calc "$hwm / 1024")
		vals[$ver:rss:anon]=$(calc "$anon / 1024")
		vals[$ver:rss:shmem]=$(calc "$shmem / 1024")
		vals[$ver:rss:secs]=$s
	done
}

run_info
shared_buffers=$(q -tA -c "SHOW shared_buffers")
# (Called as plain commands: in a condition bash would ignore errexit in them.)
check_installed "the start of the figures"
for p in $all_parts; do
	has_part "$p" || continue
	case "$p" in
		copy_uniform) copy_figure uniform ;;
		copy_b2b) copy_figure b2b ;;
		pgbench | pgbench_b2b) pgbench_figure "$p" ;;
		rss) rss_figure ;;
	esac
	check_installed "the end of figure $p"
done


# ---------------------------------------------------------------- report
# The median of the values of version $1, figure $2, variant $3 (empty if none).
med() {
	local v=${vals[$1:$2:$3]:-}
	[ -n "${v// /}" ] || return 0
	# shellcheck disable=SC2086
	median $v
}
trim() { printf '%s' "$1" | sed -e 's/^ *//' -e 's/ *$//'; }
fmt() { if [ -n "$1" ]; then printf "%.${2:-2}f" "$1"; else printf -- '-'; fi; }
change() { if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f", (b / a - 1) * 100 }'; fi; }

# "; N of M steps ..." when steps of the current version in figure $1 may
# have run another tree's engine.
foreign_note() {
	if [ "${foreign[$1]:-0}" -gt 0 ]; then
		printf '; **%s of %s steps of current ran while another tree was installed**' "${foreign[$1]}" "${runs[$1]}"
	fi
}
declare -A ratio=() tput=() n_of=([copy_uniform]=$copy_n [copy_b2b]=$copy_n [copy_uniform_cpu]=$copy_n [copy_b2b_cpu]=$copy_n)
rows=()
worst_drop=
any_failed=0
# A row of the ratio of figure $1 (text $2) and, for information, one of its
# tracking throughput (rows/s, or tps) and one of its none throughput.
ratio_row() {
	local fig=$1 text=$2 ver mt mn cell=() tcell=() ncell=() tch nch ch verdict unit=rows/s
	[[ $fig != pgbench* ]] || unit=tps
	for ver in $versions; do
		mt=$(med "$ver" "$fig" tracking)
		mn=$(med "$ver" "$fig" none)
		if [ -n "$mt" ] && [[ $fig != pgbench* ]]; then mt=$(calc "${n_of[$fig]} / $mt"); fi
		if [ -n "$mn" ] && [[ $fig != pgbench* ]]; then mn=$(calc "${n_of[$fig]} / $mn"); fi
		tput[$ver:t]=$mt tput[$ver:n]=$mn
		tcell+=("$(fmt "$mt" 0)") ncell+=("$(fmt "$mn" 0)")
		if ! measured "$ver" "$fig"; then
			cell+=("FAILED: ${failed[$ver:$fig]}")
			any_failed=1
		elif [ -n "$mt" ] && [ -n "$mn" ]; then
			ratio[$ver:$fig]=$(calc "$mt / $mn")
			cell+=("$(fmt "${ratio[$ver:$fig]}")")
		else
			cell+=("-")
		fi
	done
	tch=$(change "${tput[old:t]}" "${tput[cur:t]}")
	nch=$(change "${tput[old:n]}" "${tput[cur:n]}")
	ch=$(change "${ratio[old:$fig]:-}" "${ratio[cur:$fig]:-}")
	if [ -z "$ch" ]; then
		verdict="-"
		measured cur "$fig" || verdict="FAILED"
	elif awk -v c="$ch" 'BEGIN { exit !(c >= -10) }'; then
		verdict="met"
	else
		verdict="MISSED"
	fi
	if [ -n "$ch" ]; then
		local drop
		drop=$(awk -v c="$ch" 'BEGIN { printf "%.1f", c < 0 ? -c : 0 }')
		if [ -z "$worst_drop" ] || awk -v a="$drop" -v b="$worst_drop" 'BEGIN { exit !(a > b) }'; then worst_drop=$drop; fi
		ch="$ch %"
	else
		ch="-"
	fi
	rows+=("| $text | ${cell[0]} | ${cell[1]} | $ch | $verdict (no drop > 10 %)$(foreign_note "$fig") |")
	rows+=("| &nbsp;&nbsp;tracking $unit | ${tcell[0]} | ${tcell[1]} | ${tch:--}${tch:+ %} | (information) |")
	rows+=("| &nbsp;&nbsp;none $unit | ${ncell[0]} | ${ncell[1]} | ${nch:--}${nch:+ %} | (information) |")
}
mem_row() {	# key (hwm, anon), label
	local key=$1 text=$2 ver cell=() ch verdict
	for ver in $versions; do
		if ! measured "$ver" rss; then
			cell+=("FAILED: ${failed[$ver:rss]}")
			any_failed=1
		else
			cell+=("$(fmt "${vals[$ver:rss:$key]:-}" 0)")
		fi
	done
	ch=$(change "${vals[old:rss:$key]:-}" "${vals[cur:rss:$key]:-}")
	if [ -n "${vals[cur:rss:$key]:-}" ]; then
		if awk -v m="${vals[cur:rss:$key]}" 'BEGIN { exit !(m <= 512) }'; then verdict="met"; else verdict="MISSED"; fi
	else
		verdict="-"
		measured cur rss || verdict="FAILED"
	fi
	[ -z "$ch" ] && ch="-" || ch="$ch %"
	rows+=("| $text | ${cell[0]} | ${cell[1]} | $ch | $verdict (current <= 512 MB)$(foreign_note rss) |")
}
num() { printf "%'d" "$1" 2>/dev/null || echo "$1"; }
if has_part copy_uniform; then ratio_row copy_uniform "COPY of $(num "$copy_n") events, gen_events set: tracking/none throughput"; fi
if has_part copy_b2b; then ratio_row copy_b2b "COPY of $(num "$copy_n") events, B2B set: tracking/none throughput"; fi
if has_part copy_uniform; then ratio_row copy_uniform_cpu "the same, gen_events set, in backend CPU time (rows per CPU second; what a loaded machine stretches least)"; fi
if has_part copy_b2b; then ratio_row copy_b2b_cpu "the same, B2B set, in backend CPU time"; fi
if has_part pgbench; then ratio_row pgbench "pgbench, $clients clients x single-row INSERT: tracking/none tps"; fi
if has_part pgbench_b2b; then ratio_row pgbench_b2b "pgbench, B2B shape (300 tenants x 20 users on 7 of 50 features): tracking/none tps"; fi
if has_part pgbench; then ratio_row pgbench_cpu "the same, gen_events shape, in events per second of the backends' CPU time"; fi
if has_part pgbench_b2b; then ratio_row pgbench_b2b_cpu "the same, B2B shape, in events per second of the backends' CPU time"; fi
if has_part rss; then
	mem_row hwm "peak backend VmHWM (MB), COPY of $(num "$rss_n") events with tracking"
	mem_row anon "peak backend RssAnon (MB), same COPY"
fi

table=$(
	printf '| figure | %s | %s | change | verdict |\n' "$(label old)" "$(label cur)"
	printf '|---|---:|---:|---:|---|\n'
	printf '%s\n' "${rows[@]}"
)

# Details: medians and rounds of each variant.
details=$(
	for fig in copy_uniform copy_uniform_cpu copy_b2b copy_b2b_cpu pgbench pgbench_cpu pgbench_b2b pgbench_b2b_cpu; do
		has_part "${fig%_cpu}" || continue
		if [[ $fig = pgbench*_cpu ]]; then unit="events/CPU s" digits=1; elif [[ $fig = pgbench* ]]; then unit="tps" digits=1; elif [[ $fig = *_cpu ]]; then unit="CPU s" digits=3; else unit="s" digits=3; fi
		printf '\n| %s | variant | median %s | rounds (%s) |\n|---|---|---:|---|\n' "$fig" "$unit" "$unit"
		for ver in $versions; do
			for variant in tracking none; do
				printf '| %s | %s | %s | %s |\n' "$(label "$ver")" "$variant" "$(fmt "$(med "$ver" "$fig" "$variant")" "$digits")" "$(trim "${vals[$ver:$fig:$variant]:-}")"
			done
		done
	done
	if has_part rss; then
		printf '\n| rss | VmHWM MB | RssAnon MB | RssShmem MB | COPY s |\n|---|---:|---:|---:|---:|\n'
		for ver in $versions; do
			printf '| %s | %s | %s | %s | %s |\n' "$(label "$ver")" "$(fmt "${vals[$ver:rss:hwm]:-}" 0)" "$(fmt "${vals[$ver:rss:anon]:-}" 0)" "$(fmt "${vals[$ver:rss:shmem]:-}" 0)" "$(fmt "${vals[$ver:rss:secs]:-}" 3)"
		done
	fi
)

say "0.2.0 against current (ratios of medians, $rounds round(s); memory in MB)"
printf '%s\n%s\n' "$table" "$details"
[ -z "$installed_changed" ] || echo "WARNING: the installed current engine had changed by $installed_changed (see above)"

sizes="COPY of $copy_n events, $rounds round(s), pgbench $secs s per round after $warm events, memory during a COPY of $rss_n events"
if [ "$quick" = 1 ]; then sizes="QUICK=1 smoke run: $sizes"; fi
mkdir -p "$out_dir"
{
	cat <<MD
## 0.2.0 against the current tree, side by side

$when, commit $commit, PostgreSQL $pgver, $cpus CPUs, fsync $fsync, shared_buffers $shared_buffers; $sizes.
One cluster, two databases: \`CREATE EXTENSION pg_adoption VERSION '$old_version'\` (the engine of
$old_short built as module $old_module) and the current tree's version $cur_version (commit $cur_commit).
COPY: a fresh extension with empty partitions, CHECKPOINT and a new session per COPY, median of
$rounds round(s) per variant; gen_events set = \`test/bench/gen_events.sql\` (1000 tenants, 20000 users,
50 features, 90 days, no order), B2B set = \`test/bench/gen_b2b.sql\` (tenants of 20 users on ~7 of 50
features, ~8 events per user x feature, 60 days, time order).  pgbench: \`-c $clients -j $threads -T $secs\`
after $warm warm-up events, the state kept between rounds.  The versions alternate round by round.
Ratios are of medians (COPY: none time / tracking time; pgbench: tracking tps / none tps); change =
current / 0.2.0 - 1.

$table
$details
MD
	if [ -n "$installed_changed" ]; then
		printf '\n**WARNING**: the installed current engine (pg_adoption.so, its install script or the control file)\n'
		printf 'had changed by %s: another session installed its tree; the current figures may not be this tree'"'"'s.\n' "$installed_changed"
	fi
	printf '\n'
	[ -z "$worst_drop" ] || printf '**largest drop of a tracking/none ratio against 0.2.0 = %s %%**\n\n' "$worst_drop"
	[ -z "${vals[cur:rss:hwm]:-}" ] || printf '**current peak VmHWM = %.0f MB**\n\n**current peak RssAnon = %.0f MB**\n\n' "${vals[cur:rss:hwm]}" "${vals[cur:rss:anon]}"
	printf 'Reproduce: `env%s%s ROUNDS=%s COPY_EVENTS=%s SECONDS_PER_ROUND=%s WARM_EVENTS=%s RSS_EVENTS=%s test/bench/compare_versions.sh`.\n' \
		"$([ "$quick" = 1 ] && echo " QUICK=1")" "$([ "$parts" = "$all_parts" ] || echo " PARTS=\"$parts\"")" "$rounds" "$copy_n" "$secs" "$warm" "$rss_n"
} >"$out_dir/compare_versions.md"
echo "wrote $out_dir/compare_versions.md"
if [ "$any_failed" = 1 ]; then
	echo "compare_versions: a version FAILED (see the table)" >&2
	exit 1
fi
