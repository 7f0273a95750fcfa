#!/usr/bin/env bash
# TAP: the control file, META.json and the built install script agree on the version;
# META.json states the real PostgreSQL floor (15) and the license LICENSE holds; the
# first release keeps its frozen install script and every frozen version has an
# upgrade script to the next; the C sources carry no version guard below the floor.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
control=$(sed -n "s/^default_version = '\(.*\)'/\1/p" pg_adoption.control)
meta() { python3 -c 'import json, sys; m = json.load(open("META.json")); print(eval(sys.argv[1], {"m": m}))' "$1" 2>&1; }
v=$(meta 'm["version"]')
[ "$control" = "$v" ]
ok $? "META.json version $v = control $control"
v=$(meta 'm["provides"]["pg_adoption"]["version"]')
[ "$control" = "$v" ]
ok $? "META.json provides version $v = control $control"
v=$(meta 'm["prereqs"]["runtime"]["requires"]["PostgreSQL"]')
[ "$v" = 15.0.0 ]
ok $? "META.json requires PostgreSQL 15.0.0, the floor the code needs ($v)"
v=$(meta 'm["license"]')
[ "$v" = postgresql ] && grep -q '^PostgreSQL License$' LICENSE
ok $? "META.json license $v, and LICENSE holds the PostgreSQL License"
guards=$(grep -n 'PG_VERSION_NUM *< *150000\|PG_VERSION_NUM *>= *1[34]0000' src/*.c src/*.h)
[ -z "$guards" ]
ok $? "no version guard for a release below 15 in src/"
printf '%s\n' "$guards" | why
[ -f "pg_adoption--$control.sql" ]
ok $? "install script pg_adoption--$control.sql is built"
[ -f src/upgrade/pg_adoption--0.1.0.sql ]
ok $? "the first release 0.1.0 keeps its frozen install script"
missing=""
for f in src/upgrade/pg_adoption--*.sql; do
	v=${f#src/upgrade/pg_adoption--}
	v=${v%.sql}
	case $v in *--*) continue ;; esac
	ls src/upgrade/pg_adoption--"$v"--*.sql >/dev/null 2>&1 || missing="$missing $v"
done
[ -z "$missing" ]
ok $? "every frozen version has an upgrade script${missing:+ (none from:$missing)}"
plan
[ "$failed" = 0 ]
