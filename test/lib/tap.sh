# test/lib/tap.sh: the TAP helpers of the shell tests (sourced, not run): the
# files in test/tap, the reference comparison (test/reference/compare_lib.sh)
# and the stress and crash drivers (test/reliability/load.sh).
#
#   ok STATUS DESCRIPTION   one TAP line numbered n+1 (STATUS 0 passes); a
#                           failure counts in failed, except one whose
#                           description holds "# TODO" (a known bug), which
#                           counts in todo_failed, unless TAP_STRICT is set:
#                           then the mark becomes "- known" and it fails too
#   skip REASON             one TAP line that says why a check did not run
#   plan                    prints "1..n" (for files that count as they go)
#   q ARGS                  psql, quiet, unaligned, stopping at the first error
#   comment [N]             stdin as "#" lines, the first N (default 10)
#   why [N]                 the same, only when the last check failed (what
#                           was found, under its "not ok" line)

n=0
failed=0
todo_failed=0

ok() {
	local desc=$2
	n=$((n + 1))
	if [ -n "${TAP_STRICT:-}" ]; then desc=${desc/'# TODO'/- known}; fi
	last_status=$1
	if [ "$1" = 0 ]; then
		echo "ok $n - $desc"
		return 0
	fi
	echo "not ok $n - $desc"
	case $desc in
		*'# TODO'*) todo_failed=$((todo_failed + 1)) ;;
		*) failed=$((failed + 1)) ;;
	esac
	return 0
}

skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}

plan() { echo "1..$n"; }

q() { psql -X -q -tA -v ON_ERROR_STOP=1 "$@"; }

comment() { sed 's/^/# /' | head -n "${1:-10}"; }

why() { if [ "${last_status:-0}" = 0 ]; then cat >/dev/null; else comment "$@"; fi; }
