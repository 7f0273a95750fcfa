#!/usr/bin/env bash
# TAP: the PGXN distribution.  `make dist` (git archive of the tree as
# committed, plus uncommitted changes of tracked files: DIST_REF is `git stash
# create`) writes dist/pg_adoption-<version>.zip; the zip holds one folder
# pg_adoption-<version>/ with LICENSE, README, META.json (its version the
# control file's, PostgreSQL 15 as the floor) and no build output; the
# unpacked tree builds and installs into a private copy of the PostgreSQL
# installation, and a server of that copy (private cluster "dist", port
# DIST_PORT, default 54346) creates the extension and passes two regression
# files run from the unpacked tree.  Needs root (the server runs as postgres).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/test/lib/tap.sh"
source "$here/scripts/lib.sh"
set +e +o pipefail
port=${DIST_PORT:-54346}
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$here/pg_adoption.control")
zip=$here/dist/pg_adoption-$version.zip

if ! git -C "$here" rev-parse --git-dir >/dev/null 2>&1; then
	echo "1..0 # SKIP not a git clone: make dist archives the git tree"
	exit 0
fi
(ensure_packages) >/dev/null 2>&1

rm -f "$zip"
ref=$(git -C "$here" stash create 2>/dev/null)
make -C "$here" -s PG_CONFIG="$PG_CONFIG" dist DIST_REF="${ref:-HEAD}" >/dev/null 2>&1
[ -s "$zip" ]
ok $? "make dist writes dist/pg_adoption-$version.zip"

dir=$(cluster_dir dist)
rm -rf "$dir/src" "$dir/pgroot" "$dir/data"
mkdir -p "$dir/src"
unzip -q "$zip" -d "$dir/src"
top=$(ls "$dir/src")
[ "$top" = "pg_adoption-$version" ]
ok $? "the zip holds one folder, pg_adoption-$version ($top)"
tree=$dir/src/pg_adoption-$version
missing=
for f in LICENSE README.md CHANGELOG.md META.json Makefile pg_adoption.control docs/design.md; do
	[ -f "$tree/$f" ] || missing="$missing $f"
done
[ -z "$missing" ]
ok $? "it has LICENSE, README.md, CHANGELOG.md, META.json, Makefile, the control file, docs/design.md${missing:+ (missing:$missing)}"
junk=$(cd "$tree" && find . \( -name '*.o' -o -name '*.so' -o -name '*.bc' -o -path './build' -o -path './dist' -o -path "./pg_adoption--$version.sql" \) -print | head -n 3)
[ -z "$junk" ]
ok $? "no build output in it${junk:+: $junk}"
meta=$(python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); print(m["version"], m["provides"]["pg_adoption"]["version"], m["prereqs"]["runtime"]["requires"]["PostgreSQL"], m["license"])' "$tree/META.json" 2>&1)
[ "$meta" = "$version $version 15.0.0 postgresql" ]
ok $? "META.json: version $version, PostgreSQL 15.0.0 at least, the PostgreSQL license ($meta)"

# Build and install from the unpacked tree into a private copy of PostgreSQL.
root=$dir/pgroot
pg_private_copy "$root"
out=$(make -C "$tree" -s PG_CONFIG="$PG_CONFIG" 2>&1 && make -C "$tree" -s PG_CONFIG="$PG_CONFIG" DESTDIR="$root" install 2>&1)
ok $? "the unpacked tree builds and installs (DESTDIR)"
printf '%s\n' "$out" | tail -n 5 | why
chown -R postgres: "$dir"
sock=$(socket_dir "$port")
cluster_create "$dir/data" "$port" postgres
bindir=$("$PG_CONFIG" --bindir)
stop() { as_postgres "$root$bindir/pg_ctl" -D "$dir/data" stop -m fast -w >/dev/null 2>&1; }
trap stop EXIT
as_postgres "$root$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" start -w >/dev/null
ok $? "a server of the private installation starts"
export PGHOST=$sock PGPORT=$port PGUSER=postgres
v=$(psql -X -q -tA -d postgres -c "CREATE EXTENSION pg_adoption" -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_adoption'" 2>&1)
[ "$v" = "$version" ]
ok $? "CREATE EXTENSION pg_adoption from the distribution: version $v"
psql -X -q -d postgres -c "DROP EXTENSION pg_adoption" >/dev/null 2>&1
out=$(make -C "$tree" -s PG_CONFIG="$PG_CONFIG" installcheck REGRESS="01_create_extension 02_ingest" ISOLATION= 2>&1)
ok $? "regression files 01_create_extension and 02_ingest pass from the unpacked tree"
printf '%s\n' "$out" | tail -n 8 | why
stop
rm -rf "$dir/src" "$dir/pgroot" "$dir/data"
plan
[ "$failed" = 0 ]
