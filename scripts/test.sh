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

# Each file's output is kept (scripts/tap_keep.sh): prove shows only the
# numbers of failed checks, so their lines and the "#" lines under them
# (what was found) are printed last, where a CI log's tail shows them.
tap_keep=$(mktemp -d)
trap 'cluster_stop test >/dev/null || true; rm -rf "$tap_keep"' EXIT
shell_tap() {
	TAP_KEEP_DIR=$tap_keep prove --exec "bash $REPO/scripts/tap_keep.sh" "$REPO"/test/tap/*.sh
}

# The failed checks of the shell TAP files (not the TODO ones), each with up
# to 8 of the "#" lines under it; a check with none under it gets the last 8
# "#" lines before it (a file that prints what it found first, then its
# checks, as valgrind_short does).
failed_checks() {
	awk 'function flush() { if (want && shown == 0) for (i = nb - 8; i < nb; i++) if (i >= 0) print "    " buf[i]; want = 0 }
		FNR == 1 { flush(); show = 0; nb = 0 }
		/^(not )?ok / { flush() }
		/^not ok / && !/# TODO/ { print FILENAME ": " $0; show = 8; shown = 0; want = 1; next }
		/^#/ && show > 0 { print "    " $0; show--; shown++; next }
		/^#/ { buf[nb++] = $0; next }
		/^ok / { nb = 0 }
		{ show = 0 }
		END { flush() }' "$tap_keep"/*.tap 2>/dev/null | sed "s|$tap_keep/||" | head -n 60
}

step "pg_regress and isolation specs (make installcheck)" regress
step "pgTAP suites (pg_prove test/pgtap)" pgtap
step "shell TAP tests (prove test/tap)" shell_tap

checks=$(failed_checks)
if [ -n "$checks" ]; then
	say "failed shell TAP checks"
	printf '%s\n' "$checks"
fi
echo
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
