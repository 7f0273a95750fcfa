#!/usr/bin/env bash
# The regression suite with the server under valgrind memcheck (make valgrind).
#
# Builds pg_adoption with -O0 -g from a copy of this tree and installs it
# into a private copy of the PostgreSQL installation (bin, lib and share
# dirs under $dir/pgroot: PostgreSQL finds its libdir relative to its own
# binary), so the extension installed for everyone else is never touched.
# Then creates a fresh private cluster (pg_cron preloaded, as the test
# cluster), starts postgres under valgrind (every backend is a forked child,
# one log per process), runs pg_regress and the isolation specs (make
# installcheck), stops the server and reads the logs with vgreport.py.
# Fails if an error record has a frame in pg_adoption.so or if a test failed;
# errors only in PostgreSQL's frames are counted and listed, not gated.
# No --error-exitcode: valgrind would make a process with errors exit with
# that code, and the postmaster takes any exit but 0 (or 1 from a backend) as
# a crash and restarts, or gives up when it is the startup process.
#
# Environment: VALGRIND_TESTS (regression files to run, default all, then
# the isolation specs too), VALGRIND_ISOLATION (1/0: run the specs),
# VALGRIND_CLUSTER (name, default valgrind), VALGRIND_PORT (default 54345).
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/lib.sh"
need_root "$@"

name=${VALGRIND_CLUSTER:-valgrind}
port=${VALGRIND_PORT:-54345}
tests=${VALGRIND_TESTS:-}
isolation=${VALGRIND_ISOLATION:-$([ -z "$tests" ] && echo 1 || echo 0)}

ensure_packages
dir=$(cluster_dir "$name")
root=$dir/pgroot
bld=$dir/build
logs=$dir/valgrind
data=$dir/data
sock=$(socket_dir "$port")
bindir=$("$PG_CONFIG" --bindir)
started=$(date +%s)

# Stops the server of this run (a no-op when it is not running).
stop_server() {
	if [ -f "$data/postmaster.pid" ]; then
		pg pg_ctl -D "$data" stop -w -t 600 -m fast >/dev/null 2>&1 || true
	fi
}
stop_server
trap stop_server EXIT

say "building pg_adoption with -O0 -g in $bld"
rm -rf "$bld" "$root" "$logs" "$data"
mkdir -p "$bld/test" "$logs"
cp -r "$REPO/Makefile" "$REPO/pg_adoption.control" "$REPO/src" "$REPO/sql" "$REPO/expected" "$bld/"
cp -r "$REPO/test/isolation" "$bld/test/"
make -C "$bld" -s PG_CONFIG="$PG_CONFIG" COPT='-O0 -g' >/dev/null
pg_private_copy "$root"
make -C "$bld" -s PG_CONFIG="$PG_CONFIG" DESTDIR="$root" install >/dev/null
# valgrind runs as postgres, which may not read this tree (a clone in a 0700
# home directory): it reads the suppressions from a copy beside the cluster.
cp "$here/postgres.supp" "$dir/postgres.supp"
chown postgres: "$logs" "$dir/postgres.supp"

say "creating cluster $name in $data"
cluster_create "$data" "$port" postgres
# Nothing here must survive a crash; the pid in each line names its valgrind log.
cat >>"$data/postgresql.conf" <<CONF
fsync = off
log_line_prefix = '%m [%p] '
CONF

say "starting postgres under valgrind (logs in $logs)"
as_postgres valgrind --trace-children=yes --leak-check=no \
	--num-callers=40 --track-origins=yes --fullpath-after= \
	--suppressions="$dir/postgres.supp" --gen-suppressions=all \
	--log-file="$logs/%p.log" \
	"$root$bindir/postgres" -D "$data" >"$dir/server.log" 2>&1 &
vg=$!
for _ in $(seq 600); do
	"$bindir/pg_isready" -q -h "$sock" -p "$port" && break
	kill -0 "$vg" 2>/dev/null || break
	sleep 1
done
if ! "$bindir/pg_isready" -q -h "$sock" -p "$port"; then
	# valgrind reports its own failures (a suppressions file it cannot read)
	# in its logs, not in the server's.
	echo "valgrind.sh: the server did not start under valgrind; its last words:" >&2
	for f in "$dir/server.log" "$logs"/*.log; do
		[ -s "$f" ] && sed "s|^|$(basename "$f"): |" "$f" | tail -n 10 >&2
	done
	exit 1
fi

say "running the regression suite${tests:+ ($tests)}"
args=()
[ -n "$tests" ] && args+=("REGRESS=$tests")
[ "$isolation" = 1 ] || args+=("ISOLATION=")
out=$dir/installcheck.out
# isolationtester gives up on a step after 300 s; under valgrind allow an hour.
export PGHOST=$sock PGPORT=$port PGUSER=postgres PGISOLATIONTIMEOUT=3600
if make -C "$bld" -s PG_CONFIG="$PG_CONFIG" installcheck "${args[@]}" >"$out" 2>&1; then
	regress=0
else
	regress=1
fi
grep -E '^(test |ok |not ok )|tests (passed|failed)|failed \(' "$out" || true
stop_server
wait "$vg" || true

say "valgrind report"
ran=$(grep -cE '^(test |ok |not ok )' "$out" || true)
echo "tests run: $ran; regression suite $([ "$regress" = 0 ] && echo passed || echo FAILED)"
for f in "$bld/regression.diffs" "$bld/output_iso/regression.diffs"; do
	[ -s "$f" ] && head -n 100 "$f"
done
if python3 "$here/vgreport.py" "$logs" "$bld/src"; then report=0; else report=1; fi
echo "time: $(($(date +%s) - started)) s"
[ "$regress" = 0 ] && [ "$report" = 0 ]
