# test/bench/bench_lib.sh: shared by the benchmark scripts of test/bench
# (sourced, not run).  Sources scripts/lib.sh (set -euo pipefail, the private
# cluster helpers) and adds:
#
#   bench_start          builds and installs the extension, starts the
#                        private cluster "bench" (port PGA_BENCH_PORT, default
#                        54322), stops it again when the script exits, and
#                        creates the database adoption_bench afresh;
#   ensure_csv N [SET]   the CSV of N events of data set SET, cached in the
#                        cluster directory like copy_bench.sh caches it (same
#                        file names, so the scripts share it); sets csv,
#                        range_min, range_max.  SET is uniform (the default:
#                        test/bench/gen_events.sql, 1000 tenants, 20000
#                        users, 50 features, 90 days, rows in no order) or
#                        b2b (test/bench/gen_b2b.sql: tenants of 20 users on
#                        ~7 of 50 features, ~8 events per user x feature, 60
#                        days, rows in time order; 300 tenants per 336k
#                        events);
#   fresh_extension      drops and creates the extension (version
#                        $ext_version if set, else the default one) and makes
#                        empty monthly partitions for range_min..range_max;
#   bench_args USAGE var=default... -- "$@"
#                        the one argument parser of the benchmarks: each
#                        var=default is a positional argument, a positive
#                        integer (a missing one takes its default); too many
#                        or a bad one prints the error and USAGE, exits 2;
#   bench_env var NAME default [min]
#                        sets var from the environment variable NAME (or
#                        default), an integer >= min (default 1), or exits 2;
#   demo_bench_db        for the benchmarks of the running demo database
#                        (scripts/run.sh): PGHOST/PGPORT of port PGA_DEMO_PORT
#                        (default 54320), db adoption_demo, rounds from ROUNDS
#                        (default 5); exits 1 when the demo is not there;
#   copy_backend APP PID OUT
#                        waits for the backend of the psql PID (application
#                        name APP) to show in pg_stat_activity and sets
#                        backend; prints OUT and fails if the psql ends first;
#   status_kb            VmHWM VmRSS RssAnon RssShmem (kB) of $backend, or fails
#                        once it is gone;
#   q, calc, median, run_info (commit, PostgreSQL version, CPUs, fsync, time).
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
shopt -s inherit_errexit	# a failing psql inside $(...) stops the script too

bench_port=${PGA_BENCH_PORT:-54322}
db=adoption_bench
out_dir=$REPO/test/bench/out
gen_version=v1	# as in copy_bench.sh: bump when gen_events.sql changes what it writes
b2b_version=v1	# bump when gen_b2b.sql changes what it writes

# lib.sh's cluster_dir (and so cluster_stop) once read $name as a global;
# setting it keeps older copies of lib.sh working.
name=bench

q() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

bench_usage() {
	[ -n "${2:-}" ] && echo "$(basename "$0"): $2" >&2
	echo "usage: $1" >&2
	exit 2
}

bench_args() {
	local usage=$1 specs=() spec value
	shift
	while [ "$1" != -- ]; do specs+=("$1"); shift; done
	shift
	[ $# -le ${#specs[@]} ] || bench_usage "$usage" "too many arguments: $*"
	for spec in ${specs[@]+"${specs[@]}"}; do
		value=${1:-${spec#*=}}
		[ $# -gt 0 ] && shift
		[[ $value =~ ^[1-9][0-9]*$ ]] || bench_usage "$usage" "${spec%%=*} must be a positive integer, not \"$value\""
		printf -v "${spec%%=*}" '%s' "$value"
	done
}

bench_env() {
	local value=${!2:-$3} min=${4:-1}
	[[ $value =~ ^[0-9]+$ ]] && [ "$value" -ge "$min" ] ||
		bench_usage "${bench_usage_text:-$0}" "$2 must be an integer >= $min, not \"$value\""
	printf -v "$1" '%s' "$value"
}
# The data set of a benchmark whose result file is $1.md: DATA_SET uniform
# (the default) or b2b; sets data_set, suffix ("" or "_b2b") and result
# (RESULT, else $1 with the suffix).
bench_data_set() {
	data_set=${DATA_SET:-uniform}
	case "$data_set" in
		uniform) suffix= ;;
		b2b) suffix=_b2b ;;
		*) bench_usage "${bench_usage_text:-$0}" "DATA_SET must be uniform or b2b, not \"$data_set\"" ;;
	esac
	result=${RESULT:-$1$suffix}
}
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

demo_bench_db() {
	local port=${PGA_DEMO_PORT:-54320}
	bench_env rounds ROUNDS 5
	export PGHOST=/tmp/pg_adoption-$port PGPORT=$port PGUSER=postgres
	db=adoption_demo
	q -tAc "SELECT 1 FROM adoption.tenants LIMIT 1" >/dev/null 2>&1 || {
		echo "no demo database on port $port: run sudo scripts/run.sh first" >&2; exit 1; }
}

copy_backend() {
	local app=$1 psql_pid=$2 out=$3 i
	backend=
	for ((i = 0; i < 300; i++)); do
		backend=$(q -tA -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$app' AND datname = current_database() LIMIT 1")
		[ -z "$backend" ] || break
		kill -0 "$psql_pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$backend" ]; then
		wait "$psql_pid" || true
		cat "$out" >&2
		echo "could not find the COPY's backend in pg_stat_activity" >&2
		return 1
	fi
}

status_kb() { awk '/^(VmHWM|VmRSS|RssAnon|RssShmem):/ { v[$1] = $2 } END { if (!("VmHWM:" in v)) exit 1; print v["VmHWM:"] + 0, v["VmRSS:"] + 0, v["RssAnon:"] + 0, v["RssShmem:"] + 0 }' "/proc/$backend/status" 2>/dev/null; }

bench_stop() { cluster_stop bench >/dev/null 2>&1 || true; }

bench_start() {
	ensure_packages
	build_install
	cluster_start bench "$bench_port" postgres
	trap bench_stop EXIT
	bench_dir=$(cluster_dir bench)
	say "creating database $db"
	PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d postgres \
		-c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
}

# Makes sure the CSV of $1 events of data set $2 (uniform, the default, or
# b2b) exists (regenerated when older than a week: its events are meant to
# be recent); sets csv, range_min and range_max.
ensure_csv() {
	local n=$1 set=${2:-uniform} start gen lines
	case "$set" in
		uniform) csv=$bench_dir/events-$n-$gen_version.csv gen=gen_events.sql ;;
		b2b) csv=$bench_dir/b2b-$n-$b2b_version.csv gen=gen_b2b.sql ;;
		*) echo "ensure_csv: unknown data set $set (uniform or b2b)" >&2; return 1 ;;
	esac
	if [ ! -s "$csv" ] || [ ! -s "$csv.range" ] || [ -n "$(find "$csv" -mtime +6)" ]; then
		say "generating $n events ($set) into $csv"
		rm -f "$csv" "$csv.tmp" "$csv.range"
		start=$(date +%s.%N)
		# The generators set jit = off themselves.
		q -v n_events="$n" -v outfile="$csv.tmp" -f "$REPO/test/bench/$gen"
		if [ "$set" = b2b ]; then
			lines=$(wc -l <"$csv.tmp")
			[ "$lines" = "$n" ] || { echo "ensure_csv: $gen wrote $lines rows, not $n" >&2; return 1; }
		fi
		# The time range of the file, for the partitions (usage_timestamp is column 6, UTC).
		awk -F, 'NR == 1 || $6 < min { min = $6 } NR == 1 || $6 > max { max = $6 } END { print min; print max }' "$csv.tmp" >"$csv.range"
		mv "$csv.tmp" "$csv"
		awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "generated in %.1f s\n", b - a }'
	else
		say "using the cached $csv"
	fi
	range_min=$(sed -n 1p "$csv.range")
	range_max=$(sed -n 2p "$csv.range")
	echo "events from $range_min to $range_max, $(du -h "$csv" | cut -f1) of CSV"
}

# A fresh extension (empty state) with empty partitions for every month of
# range_min..range_max and the months ensure_partitions(3) makes; the
# track_events trigger is left enabled.  Version $ext_version if set.
fresh_extension() {
	q <<SQL
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS pg_adoption CASCADE;
CREATE EXTENSION pg_adoption${ext_version:+ VERSION '$ext_version'};
ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 'probe', 'probe', 'probe', t
FROM generate_series(timestamptz '$range_min', timestamptz '$range_max', interval '1 day') AS t
UNION ALL SELECT 'probe', 'probe', 'probe', timestamptz '$range_max';
SELECT adoption.ensure_partitions(3) \g /dev/null
TRUNCATE adoption.feature_usage_events;
ALTER TABLE adoption.feature_usage_events ENABLE TRIGGER track_events;
SQL
}

# Sets commit, pgver, fsync, when, cpus for the result files.
run_info() {
	commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit+dirty"; fi
	pgver=$(q -tA -c "SHOW server_version")
	fsync=$(q -tA -c "SHOW fsync")
	when=$(date -u '+%Y-%m-%d %H:%M UTC')
	cpus=$(nproc)
}
