# scripts/lib.sh: shared by run.sh, test.sh and cluster.sh (sourced, not run).
#
# A private cluster lives in $BUILD/<name>/data, owned by the postgres user,
# listens only on a Unix socket in /tmp/pg_adoption-<port> (short: socket
# paths are limited to about 100 bytes) and preloads pg_cron.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=${PG_MAJOR:-15}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/$PG_MAJOR/bin}
export PG_CONFIG=${PG_CONFIG:-$PG_BIN/pg_config}
[ -x "$PG_CONFIG" ] || PG_CONFIG=$(command -v pg_config || echo "$PG_CONFIG")

say() { printf '\n== %s\n' "$*"; }

need_root() {
	if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then
		exec sudo -E bash "$0" "$@"
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "$(basename "$0"): run this as root (or with sudo): it installs packages and runs the server as the postgres user" >&2
		exit 1
	fi
}

# Installs the Debian packages the build and the tests need, if missing.
ensure_packages() {
	local missing=()
	[ -x "$PG_BIN/postgres" ] || missing+=("postgresql-$PG_MAJOR")
	# pgxs.mk alone is no sign: postgresql-client ships it, without the server's headers.
	[ -f "/usr/lib/postgresql/$PG_MAJOR/lib/pgxs/src/makefiles/pgxs.mk" ] &&
		[ -f "/usr/include/postgresql/$PG_MAJOR/server/postgres.h" ] || missing+=("postgresql-server-dev-$PG_MAJOR")
	[ -f "/usr/lib/postgresql/$PG_MAJOR/lib/pg_cron.so" ] || missing+=("postgresql-$PG_MAJOR-cron")
	[ -f "/usr/share/postgresql/$PG_MAJOR/extension/pgtap.control" ] || missing+=("postgresql-$PG_MAJOR-pgtap")
	command -v pg_prove >/dev/null 2>&1 || missing+=(pgtap)
	command -v make >/dev/null 2>&1 || missing+=(make)
	# git archive and unzip: the PGXN zip (make dist) and its test.
	command -v git >/dev/null 2>&1 || missing+=(git)
	command -v unzip >/dev/null 2>&1 || missing+=(unzip)
	command -v gcc >/dev/null 2>&1 || missing+=(gcc)
	# The fuzz driver's generator (test/fuzz/gen.py) and META.json checks.
	[ -x /usr/bin/python3 ] || missing+=(python3)
	# The regression suite under memcheck (test/memcheck/valgrind.sh).
	command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
	# libFuzzer targets of the pure-C parts (test/tap/fuzz_c_short.sh): clang and,
	# only recommended by it, the sanitizer and fuzzer runtimes.
	command -v clang >/dev/null 2>&1 || missing+=(clang)
	compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a" >/dev/null ||
		missing+=(libclang-rt-dev)
	if [ "${#missing[@]}" -gt 0 ]; then
		say "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	export PG_CONFIG=$PG_BIN/pg_config
}

# Builds and installs the extension into the server's directories.
build_install() {
	say "building and installing pg_adoption"
	make -C "$REPO" -s PG_CONFIG="$PG_CONFIG" >/dev/null
	make -C "$REPO" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
}

# The directory under /var/tmp that holds this clone's clusters when the
# postgres user cannot reach the clone (one in a 0700 home directory).
var_tmp_dir() {
	echo "/var/tmp/pg_adoption-$(printf '%s' "$REPO" | md5sum | cut -c1-8)"
}

# Picks the directory that holds cluster $1's data: under the repo's build/
# folder when the postgres user can reach it, else under /var/tmp.
cluster_dir() {
	local name=$1
	local dir="$REPO/build/$name"
	mkdir -p "$dir"
	chown postgres: "$dir"
	if ! as_postgres test -w "$dir"; then
		dir=$(var_tmp_dir)/$name
		mkdir -p "$dir"
		chown -R postgres: "$(dirname "$dir")"
	fi
	echo "$dir"
}

# Prints the server log of cluster $1 where cluster_dir put it, if it exists
# (creates nothing: for tests that search it).
cluster_log() {
	local f
	for f in "$REPO/build/$1/server.log" "$(var_tmp_dir)/$1/server.log"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

# Runs a command as the postgres user from /, so that a working directory it
# may not enter (a clone in a 0700 home directory) draws no "could not change
# directory" warning from PostgreSQL's programs.
as_postgres() { (cd / && runuser -u postgres -- "$@"); }

# Runs PostgreSQL program $1 as the postgres user.
pg() { as_postgres "$PG_BIN/$1" "${@:2}"; }

# Copies the PostgreSQL installation (its bin, lib and share directories)
# under $1, where an extension can be installed with DESTDIR=$1 without
# touching the installation everyone else uses: PostgreSQL finds its lib and
# share directories relative to its own binary.
pg_private_copy() {
	local d
	for d in "$("$PG_CONFIG" --bindir)" "$("$PG_CONFIG" --pkglibdir)" "$("$PG_CONFIG" --sharedir)"; do
		mkdir -p "$1$(dirname "$d")"
		cp -a "$d" "$1$d"
	done
}

# Creates the socket directory of port $1 for the postgres user; prints it.
socket_dir() {
	local sock=/tmp/pg_adoption-$1
	mkdir -p "$sock"
	chown postgres: "$sock"
	chmod 0755 "$sock"
	echo "$sock"
}

# Creates a private cluster in data directory $1 on port $2 (socket in
# /tmp/pg_adoption-$2) whose pg_cron runs in database $3.
cluster_create() {
	pg initdb -D "$1" -A trust -E UTF8 --locale=C.UTF-8 -U postgres >/dev/null
	cat >>"$1/postgresql.conf" <<CONF
# pg_adoption private cluster
port = $2
listen_addresses = ''
unix_socket_permissions = 0700
unix_socket_directories = '/tmp/pg_adoption-$2'
shared_preload_libraries = 'pg_cron'
cron.database_name = '$3'
cron.use_background_workers = on
max_worker_processes = 16
timezone = 'UTC'
log_min_messages = warning
fsync = ${PGA_FSYNC:-on}
CONF
}

# Starts (creating if needed) cluster $1 on port $2; cron runs in database $3.
# Exports PGHOST, PGPORT and PGUSER for the clients that follow.
cluster_start() {
	local name=$1 port=$2 crondb=$3 dir sock
	dir=$(cluster_dir "$name")
	sock=$(socket_dir "$port")
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		say "creating cluster $name in $dir/data"
		cluster_create "$dir/data" "$port" "$crondb"
	fi
	# A cluster made earlier with another port moves to this one (the
	# settings appended last win).
	if [ "$(grep '^port = ' "$dir/data/postgresql.conf" | tail -n 1)" != "port = $port" ]; then
		printf "port = %s\nunix_socket_directories = '%s'\n" "$port" "$sock" >>"$dir/data/postgresql.conf"
	fi
	if pg pg_ctl -D "$dir/data" status >/dev/null 2>&1; then
		pg pg_ctl -D "$dir/data" restart -w -m fast -l "$dir/server.log" >/dev/null
	else
		pg pg_ctl -D "$dir/data" start -w -l "$dir/server.log" >/dev/null
	fi
	# The server log, for the checks that search it (stress_short, fuzz_short).
	export PGHOST=$sock PGPORT=$port PGUSER=postgres PGA_SERVER_LOG=$dir/server.log
}

# Stops cluster $1 if it runs.
cluster_stop() {
	local dir
	dir=$(cluster_dir "$1")
	if [ -f "$dir/data/PG_VERSION" ] && pg pg_ctl -D "$dir/data" status >/dev/null 2>&1; then
		pg pg_ctl -D "$dir/data" stop -w -m fast >/dev/null
		echo "stopped cluster $1"
	fi
}

# Node.js and npm from Debian's packages, for the dashboard (dashboard/).
ensure_node() {
	local missing=()
	command -v node >/dev/null 2>&1 || missing+=(nodejs)
	command -v npm >/dev/null 2>&1 || missing+=(npm)
	if [ "${#missing[@]}" -gt 0 ]; then
		say "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
}

# The dashboard's npm packages, installed as package-lock.json pins them when
# missing or older than the lock.
dashboard_deps() {
	local dir=$REPO/dashboard
	if [ ! -d "$dir/node_modules/@observablehq/framework" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
		say "installing the dashboard's npm packages (package-lock.json)"
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	fi
}

# Installs the dashboard's npm packages (dashboard_deps) and builds
# dashboard/dist from the server the PG* variables choose.  The data
# loaders' cache is cleared first: every build reads the database afresh.
# Telemetry is off.
dashboard_build() {
	local dir=$REPO/dashboard start
	dashboard_deps
	say "building the dashboard from database ${PGDATABASE:-?} on ${PGHOST:-?}:${PGPORT:-?}"
	rm -rf "$dir/src/.observablehq/cache" "$dir/dist"
	start=$(date +%s.%N)
	(cd "$dir" && OBSERVABLE_TELEMETRY_DISABLE=true ./node_modules/.bin/observable build >/dev/null)
	awk -v s="$start" -v e="$(date +%s.%N)" -v d="$dir/dist" 'BEGIN { printf "dashboard built in %.1f s: %s\n", e - s, d }'
}
