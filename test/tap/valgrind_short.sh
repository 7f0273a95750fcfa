#!/usr/bin/env bash
# TAP: the regression suite under valgrind memcheck, short version: the files
# that exercise ingest, the adoption engine, health and feedback
# (test/memcheck/valgrind.sh on its own private installation and cluster,
# port VALGRIND_PORT, default 54347); no error record may have a frame in the
# extension.  Also checks that the log reader fails on an error in the
# extension's frames and passes one only in PostgreSQL's.  Installs valgrind
# if missing; runs as root (the test suite does).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/test/lib/tap.sh"
(source "$here/scripts/lib.sh" && ensure_packages) >/dev/null 2>&1

out=$(VALGRIND_TESTS=${VALGRIND_TESTS:-"01_create_extension 02_ingest 07_engine 11_health 12_feedback"} \
	VALGRIND_CLUSTER=valgrind_short VALGRIND_PORT=${VALGRIND_PORT:-54347} \
	bash "$here/test/memcheck/valgrind.sh" 2>&1)
rc=$?
ran=$(printf '%s\n' "$out" | grep -c '^test .* ok ' || true)
[ "$ran" -ge 5 ] && ! printf '%s\n' "$out" | grep -q 'FAILED'
ok $? "$ran regression files passed under valgrind"
# What valgrind.sh said last (why the server did not start, the failed files), under the check.
printf '%s\n' "$out" | grep -v '^$' | tail -n 12 | why 12
printf '%s\n' "$out" | grep -q '^error records with a frame in the extension: 0$' && [ "$rc" = 0 ]
ok $? "no error record with a frame in pg_adoption.so (valgrind.sh exit $rc)"
printf '%s\n' "$out" | grep -v '^$' | tail -n 12 | why 12
printf '%s\n' "$out" | comment 400

# A canned log: one error under an extension source file, one only in PostgreSQL.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
cat >"$logs/101.log" <<'LOG'
==101== Memcheck, a memory error detector
==101== 
==101== Invalid read of size 8
==101==    at 0x1234: apply_event (/build/src/state.c:960)
==101==    by 0x2345: ExecCallTriggerFunc (in /usr/lib/postgresql/15/bin/postgres)
==101==  Address 0x99 is 0 bytes after a block of size 16 alloc'd
==101==    at 0x3456: malloc (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so)
==101== 
==101== ERROR SUMMARY: 1 errors from 1 contexts (suppressed: 0 from 0)
LOG
sed -e 's/101/102/g' -e 's|apply_event (/build/src/state.c:960)|XLogWrite (in /usr/lib/postgresql/15/bin/postgres)|' \
	"$logs/101.log" >"$logs/102.log"
mkdir "$logs/ext" "$logs/pg"
mv "$logs/101.log" "$logs/ext/"
mv "$logs/102.log" "$logs/pg/"
python3 "$here/test/memcheck/vgreport.py" "$logs/ext" /build/src >/dev/null
[ $? = 1 ]
ok $? "the log reader fails on an error in the extension's frames"
python3 "$here/test/memcheck/vgreport.py" "$logs/pg" /build/src >/dev/null
ok $? "an error only in PostgreSQL's frames is reported, not gated"
plan
[ "$failed" = 0 ]
