#!/usr/bin/env bash
# TAP: the control file, META.json and the built install script agree on the version;
# the first release keeps its frozen install script and every frozen version has an
# upgrade script to the next.
set -u
cd "$(dirname "$0")/../.."
echo "1..5"
control=$(sed -n "s/^default_version = '\(.*\)'/\1/p" pg_adoption.control)
meta=$(python3 -c 'import json; print(json.load(open("META.json"))["version"])' 2>/dev/null \
	|| sed -n 's/^   "version": "\(.*\)",/\1/p' META.json)
provides=$(python3 -c 'import json; print(json.load(open("META.json"))["provides"]["pg_adoption"]["version"])' 2>/dev/null || echo "$meta")
[ "$control" = "$meta" ] && echo "ok 1 - META.json version $meta = control $control" || echo "not ok 1 - META.json version $meta != control $control"
[ "$control" = "$provides" ] && echo "ok 2 - META.json provides version $provides = control" || echo "not ok 2 - META.json provides $provides != control $control"
[ -f "pg_adoption--$control.sql" ] && echo "ok 3 - install script pg_adoption--$control.sql is built" || echo "not ok 3 - pg_adoption--$control.sql missing (run make)"
[ -f src/upgrade/pg_adoption--0.1.0.sql ] && echo "ok 4 - the first release 0.1.0 keeps its frozen install script" || echo "not ok 4 - src/upgrade/pg_adoption--0.1.0.sql missing"
missing=""
for f in src/upgrade/pg_adoption--*.sql; do
	v=${f#src/upgrade/pg_adoption--}
	v=${v%.sql}
	case $v in *--*) continue ;; esac
	ls src/upgrade/pg_adoption--"$v"--*.sql >/dev/null 2>&1 || missing="$missing $v"
done
[ -z "$missing" ] && echo "ok 5 - every frozen version has an upgrade script" || echo "not ok 5 - no upgrade script from:$missing"
