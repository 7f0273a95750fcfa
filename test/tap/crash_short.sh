#!/usr/bin/env bash
# TAP: the crash driver (test/reliability/crash.sh), short version: CYCLES
# (default 2) immediate stops of the server under the stress load, about 10
# seconds apart, then the invariants a crash allows: acknowledged rows and
# completions survive, nothing stored twice, state equal to the event log,
# one action per milestone.  Runs on the driver's private cluster "crash"
# (port CRASH_PORT, default 54340), never on the shared test cluster; needs
# root, as scripts/test.sh does.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
CYCLES=${CYCLES:-2} CRASH_INTERVAL=${CRASH_INTERVAL:-8} CRASH_DB=adoption_crash_short \
	exec bash "$here/test/reliability/crash.sh"
