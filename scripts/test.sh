#!/usr/bin/env bash
# Every test suite in one command: installs what is missing, builds and
# installs pg_adoption, starts the private test cluster (pg_cron preloaded),
# runs pg_regress and the isolation specs (make installcheck), the pgTAP
# suites (pg_prove) and the shell-driven TAP tests (prove), then stops the
# cluster.  Exit status 0 only if every suite passed.
source "$(dirname "$0")/lib.sh"
need_root "$@"
port=${PGA_TEST_PORT:-54321}

ensure_packages
build_install
cluster_start test "$port" postgres
trap 'cluster_stop test >/dev/null || true' EXIT

passed=0
failed=0
step() {
	local name=$1
	shift
	say "$name"
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAILED: $name"
	fi
}

regress() {
	rm -rf "$REPO/results" "$REPO/output_iso" "$REPO/regression.diffs"
	if ! make -C "$REPO" -s PG_CONFIG="$PG_CONFIG" installcheck; then
		for f in "$REPO/regression.diffs" "$REPO/output_iso/regression.diffs"; do
			[ -f "$f" ] && head -n 200 "$f"
		done
		return 1
	fi
}

pgtap() {
	psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS adoption_tap' -c 'CREATE DATABASE adoption_tap'
	PGA_REPO="$REPO" pg_prove -d adoption_tap --ext .sql -r "$REPO/test/pgtap"
}

shell_tap() {
	prove --exec bash "$REPO"/test/tap/*.sh
}

step "pg_regress and isolation specs (make installcheck)" regress
step "pgTAP suites (pg_prove test/pgtap)" pgtap
step "shell TAP tests (prove test/tap)" shell_tap

echo
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
