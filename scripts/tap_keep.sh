#!/usr/bin/env bash
# prove's interpreter for test/tap (scripts/test.sh): runs TAP file $1 with
# bash and keeps a copy of what it prints in $TAP_KEEP_DIR/<file>.tap, so
# that test.sh can show the failed checks with their "#" lines at the end.
set -o pipefail
out=${TAP_KEEP_DIR:?}/$(basename "$1").tap
bash "$@" | tee "$out"
