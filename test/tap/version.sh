#!/usr/bin/env bash
# TAP: the control file, META.json and the built install script agree on the version.
set -u
cd "$(dirname "$0")/../.."
echo "1..3"
control=$(sed -n "s/^default_version = '\(.*\)'/\1/p" pg_adoption.control)
meta=$(python3 -c 'import json; print(json.load(open("META.json"))["version"])' 2>/dev/null \
	|| sed -n 's/^   "version": "\(.*\)",/\1/p' META.json)
provides=$(python3 -c 'import json; print(json.load(open("META.json"))["provides"]["pg_adoption"]["version"])' 2>/dev/null || echo "$meta")
[ "$control" = "$meta" ] && echo "ok 1 - META.json version $meta = control $control" || echo "not ok 1 - META.json version $meta != control $control"
[ "$control" = "$provides" ] && echo "ok 2 - META.json provides version $provides = control" || echo "not ok 2 - META.json provides $provides != control $control"
[ -f "pg_adoption--$control.sql" ] && echo "ok 3 - install script pg_adoption--$control.sql is built" || echo "not ok 3 - pg_adoption--$control.sql missing (run make)"
