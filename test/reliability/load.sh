# test/reliability/load.sh: the load and the invariant checks shared by
# stress.sh and crash.sh (sourced, not run).  Clients are psql processes
# against the server PGHOST/PGPORT/PGUSER point at, database $db:
#
#   load_setup           creates $db afresh with pg_adoption, every milestone
#                        mapped to a campaign, a tenant with overrides;
#   load_start           starts WRITERS writers, WORKERS queue workers and a
#                        rescoring loop in the background;
#   load_stop            tells them to stop, waits until they have;
#   load_check           prints the invariants as TAP lines (check.sql plus
#                        the errors of the clients by SQLSTATE);
#   load_figures         prints the figures of the run as TAP comments;
#   load_cleanup         drops $db and the client logs unless something
#                        failed or RELIABILITY_KEEP is set;
#   ok (test/lib/tap.sh) prints one TAP line and counts failures in failed
#                        (and known engine bugs, "# TODO", in todo_failed;
#                        RELIABILITY_STRICT=1 makes those fail too).
#
# Every writer session is one psql reading SQL from a generator (gen): one
# transaction per statement (single-row INSERT, multi-row INSERT, COPY, a
# resend of earlier events with ON CONFLICT DO NOTHING, feedback, a support
# ticket, a billing event; one in 400 a multi-row INSERT with a bad row).
# The generator logs each row's key in sent.<writer> before psql can run it,
# and psql echoes "ack writer session batch" only after COMMIT returned
# without an error, so ack lines are exactly the acknowledged commits.  A
# psql that loses its server exits; the writer starts a new session.  Queue
# workers claim, complete (9 in 10) or fail actions and log "done" only
# after complete_action() returned.
#
# Variables: WRITERS (8), WORKERS (3), TENANTS (4 large tenants, plus one
# small one), USERS (2000 per large tenant), LEASE ('60 seconds').

writers=${WRITERS:-8}
workers=${WORKERS:-3}
tenants=${TENANTS:-4}
users=${USERS:-2000}
lease=${LEASE:-60 seconds}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
pids=()
source "$here/../lib/tap.sh"
TAP_STRICT=${RELIABILITY_STRICT:-}
export PGDATABASE=$db PGOPTIONS='-c client_min_messages=warning' TZ=UTC

# q (test/lib/tap.sh) is psql for the driver itself: stops at the first error.
# psql for the clients: errors with their SQLSTATE on stderr, results dropped.
client() { psql -X -q -v VERBOSITY=verbose -v SHOW_CONTEXT=never "$@"; }

load_setup() {
	q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" || return 1
	q <<'SQL'
CREATE EXTENSION pg_adoption;
-- Every milestone enqueues an action, so that each can be counted.
INSERT INTO adoption.milestone_campaigns (milestone, template_key) VALUES
	('activated', 'adoption_nudge'), ('adopted', 'adoption_success');
-- Two tenants known beforehand, the others registered by their first event;
-- the small one reaches the tenant milestone, with settings of its own.
INSERT INTO adoption.tenants (tenant_id, name, seats_licensed) VALUES ('t1', 'One', 500), ('tsmall', 'Small', 8);
INSERT INTO adoption.settings (tenant_id, aha_successes, usage_velocity_threshold, active_window)
VALUES ('tsmall', 2, 4, '10 days');
INSERT INTO adoption.features (feature_id, feature_name, tier) VALUES ('adv', 'Advanced', 'advanced');
INSERT INTO adoption.features (feature_id, feature_name, tier, upgrade_feature_id) VALUES ('f1', 'Feature 1', 'core', 'adv');
SELECT adoption.ensure_partitions(1);
SQL
}

# Sets ev to a new event of writer w, session s (TSV: event_id, tenant_id,
# user_id, feature_id, usage_timestamp, session_duration, success_outcome,
# integration_context) and keeps it in ring for resends.  Users are skewed
# (the product of two uniform numbers) so that a few are hot and new ones
# keep arriving; one event in 20 is up to 60 days old, the rest up to 10;
# one in 7 failed.
new_event() {
	local t u f age
	n=$((n + 1))
	if ((RANDOM % 10 == 0)); then
		t=tsmall
		u=$((RANDOM % 8))
	else
		t=t$((RANDOM % tenants + 1))
		u=$((RANDOM * RANDOM * users >> 30))
	fi
	if ((RANDOM % 50 == 0)); then f=adv; else f=f$(((RANDOM * RANDOM >> 24) % 6 + 1)); fi
	if ((RANDOM % 20 == 0)); then age=$((RANDOM * RANDOM % 5184000)); else age=$((RANDOM * RANDOM % 864000)); fi
	printf -v ev '%08x-%04x-4000-8000-%012x\t%s\tu%d\t%s\t%(%Y-%m-%d %H:%M:%S)T.%06d+00\t%d\t%s\t{"source": "stress", "writer": %d}' \
		"$w" "$s" "$n" "$t" "$u" "$f" $((EPOCHSECONDS - age)) $((RANDOM * 30)) $((RANDOM % 600)) "${success[RANDOM % 7]}" "$w"
	ring[n % 64]=$ev
}

# Appends event $1 (TSV) to the statement being built: its key to sent, the
# row to sql (a VALUES row) or copy (COPY text format).
add_row() {
	sent+="e${tab}$w${tab}$s${tab}$b${tab}${1%%$tab*}$nl"
	if [ "$mode" = copy ]; then
		copy+=$1$nl
	else
		sql+="${sql:+,$nl}('${1//$tab/$sep}')"
	fi
}

# Logs key $2 of table $1 (f feedback, k ticket, b billing) and sets sql to
# INSERT INTO table $3 the row $4.
add_other() {
	mode=other
	sent+="$1${tab}$w${tab}$s${tab}$b${tab}$2$nl"
	sql="INSERT INTO adoption.$3 VALUES $4"
}

# Writes writer w's session s to stdout until $work/stop exists.
gen() {
	local w=$1 s=$2 b=0 n=0 r k rows mode ev sql copy sent tail ring=()
	local tab=$'\t' nl=$'\n' sep="','" success=(f t t t t t t) t
	local severities=(low medium high urgent) kinds=(payment_succeeded payment_succeeded payment_succeeded upgrade payment_failed)
	local cols='(event_id, tenant_id, user_id, feature_id, usage_timestamp, session_duration, success_outcome, integration_context)'
	local bodies=('Love the dashboards, they save us hours every week'
		'Reports load so slowly that the team gave up'
		'Please add single sign-on, we need it for the audit'
		'It works, nothing special')
	exec 3>>"$work/sent.$w"
	while [ ! -e "$work/stop" ]; do
		b=$((b + 1))
		r=$((RANDOM % 400))
		sql=
		copy=
		sent=
		mode=insert
		tail=
		t=t$((RANDOM % tenants + 1))
		if ((r < 160)); then
			new_event
			add_row "$ev"
		elif ((r < 320)); then
			rows=$((RANDOM % 40 + 2))
			for ((k = 0; k < rows; k++)); do
				new_event
				add_row "$ev"
			done
			# One multi-row INSERT in four resends an earlier event, half
			# of those also one of its own rows twice.
			if ((RANDOM % 4 == 0)) && [ -n "${ring[(n - rows - 1) % 64]:-}" ]; then
				add_row "${ring[(n - rows - 1) % 64]}"
				tail=' ON CONFLICT DO NOTHING'
				((RANDOM % 2)) && add_row "$ev"
			fi
		elif ((r < 350)); then
			mode=copy
			rows=$((RANDOM % 200 + 50))
			for ((k = 0; k < rows; k++)); do
				new_event
				add_row "$ev"
			done
		elif ((r < 370)); then
			# A resend of up to 8 earlier events of this session.
			tail=' ON CONFLICT DO NOTHING'
			for ((k = RANDOM % 8; k >= 0; k--)); do
				[ -n "${ring[(n + 64 - k * 7) % 64]:-}" ] && add_row "${ring[(n + 64 - k * 7) % 64]}"

			done
			if [ -z "$sql" ]; then
				new_event
				add_row "$ev"
			fi
		elif ((r < 385)); then
			add_other f "fb-$w-$s-$b" "feedback (tenant_id, feedback_id, user_id, feature_id, channel, score, body)" \
				"('$t', 'fb-$w-$s-$b', 'u$((RANDOM % 50))', 'f$((RANDOM % 6 + 1))', 'nps', $((RANDOM % 11)), '${bodies[RANDOM % 4]}')"
		elif ((r < 393)); then
			add_other k "tk-$w-$s-$b" "support_tickets (tenant_id, ticket_id, severity, status)" \
				"('$t', 'tk-$w-$s-$b', '${severities[RANDOM % 4]}', 'open')"
		elif ((r < 399)); then
			add_other b "bl-$w-$s-$b" "billing_events (tenant_id, event_id, kind, amount)" \
				"('$t', 'bl-$w-$s-$b', '${kinds[RANDOM % 5]}', 99.50)"
		else
			# A bad row (negative duration, its id never logged): the whole
			# statement is rejected with 23514 and none of it is stored.
			for ((k = 0; k < 5; k++)); do
				new_event
				add_row "$ev"
			done
			printf -v ev '%08x-%04x-4000-9000-%012x' "$w" "$s" "$b"
			sql+=",$nl('$ev', 't1', 'u1', 'f1', now(), -1, true, '{}')"
		fi
		printf '%s' "$sent" >&3
		case $mode in
			# psql leaves ERROR false after a failed COPY FROM STDIN: a
			# query after it fails (25P02) if the transaction is aborted.
			copy) printf '\\set ok 1\nBEGIN;\nCOPY adoption.feature_usage_events %s FROM STDIN;\n%s\\.\nSELECT 1 AS copied \\gset\n' "$cols" "$copy" ;;
			insert) printf '\\set ok 1\nBEGIN;\nINSERT INTO adoption.feature_usage_events %s VALUES\n%s%s;\n' "$cols" "$sql" "$tail" ;;
			other) printf '\\set ok 1\nBEGIN;\n%s;\n' "$sql" ;;
		esac
		printf '\\if :ERROR \\set ok 0 \\endif\nCOMMIT;\n\\if :ERROR \\set ok 0 \\endif\n\\if :ok \\echo ack %d %d %d \\else \\echo err %d %d %d :LAST_ERROR_SQLSTATE \\endif\n' \
			"$w" "$s" "$b" "$w" "$s" "$b"
	done
}

# Writer w: sessions until $work/stop exists; "end w s status" after each.
writer() {
	local w=$1 s=0 rc
	while [ ! -e "$work/stop" ]; do
		s=$((s + 1))
		gen "$w" "$s" | client -o /dev/null >>"$work/w$w.out" 2>>"$work/w$w.err"
		rc=${PIPESTATUS[1]}
		echo "end $w $s $rc" >>"$work/w$w.out"
		[ "$rc" = 0 ] || sleep 0.2
	done
}

# Queue worker k: claims up to 100 actions, completes 9 in 10 and fails the
# rest, one statement each; logs claims (with the attempt) and outcomes.
worker() {
	local k=$1 name=worker$1 claimed script id att
	while [ ! -e "$work/stop" ]; do
		claimed=$(client -tA -F ' ' -c "SELECT action_id, attempts FROM adoption.claim_actions('$name', 100, '$lease')" 2>>"$work/q$k.err")
		if [ -z "$claimed" ]; then
			sleep 0.2
			continue
		fi
		script=
		while read -r id att; do
			echo "claim $k $id $att" >>"$work/q$k.out"
			if ((RANDOM % 10 == 0)); then
				script+="SELECT adoption.fail_action($id, 'stress: delivery failed', '$name') AS st \\gset
\\if :ERROR \\echo nack $k $id :LAST_ERROR_SQLSTATE \\else \\echo fail $k $id :st \\endif
"
			else
				script+="SELECT adoption.complete_action($id, '$name');
\\if :ERROR \\echo nack $k $id :LAST_ERROR_SQLSTATE \\else \\echo done $k $id \\endif
"
			fi
		done <<<"$claimed"
		printf '%s' "$script" | client -o /dev/null >>"$work/q$k.out" 2>>"$work/q$k.err"
	done
}

# adoption.rescore() in a loop, a second apart; logs how many it scored.
rescorer() {
	local n
	while [ ! -e "$work/stop" ]; do
		n=$(client -tA -c "SELECT adoption.rescore()" 2>>"$work/r.err") && echo "rescore $n" >>"$work/r.out"
		sleep 1
	done
}

load_start() {
	local i
	rm -f "$work/stop"
	load_started=$EPOCHREALTIME
	for ((i = 1; i <= writers; i++)); do
		writer "$i" &
		pids+=($!)
	done
	for ((i = 1; i <= workers; i++)); do
		worker "$i" &
		pids+=($!)
	done
	rescorer &
	pids+=($!)
}

load_stop() {
	touch "$work/stop"
	wait "${pids[@]}"
	load_seconds=$(awk -v a="$load_started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	pids=()
}

# Loads the client logs into schema stress, runs check.sql (crash mode when
# $1 is crash) and the error count; prints TAP lines.
load_check() {
	local mode=${1:-stress} line unexpected states rc
	cat "$work"/sent.* >"$work/sent.tsv" 2>/dev/null
	cat "$work"/w*.out 2>/dev/null | awk -v OFS='\t' -v outcome="$work/outcome.tsv" -v ends="$work/end.tsv" '
		$1 == "ack" { print $2, $3, $4, "t", "" > outcome }
		$1 == "err" { print $2, $3, $4, "f", $5 > outcome }
		$1 == "end" { print $2, $3, $4 > ends }'
	cat "$work"/q*.out 2>/dev/null | awk -v OFS='\t' '{ print $1, $2, $3, $4 }' >"$work/queue.tsv"
	touch "$work/outcome.tsv" "$work/end.tsv"
	q <<SQL || return 1
DROP SCHEMA IF EXISTS stress CASCADE;
CREATE SCHEMA stress;
CREATE TABLE stress.sent (tbl text, w int, s int, b int, key text);
CREATE TABLE stress.outcome (w int, s int, b int, ok boolean, sqlstate text);
CREATE TABLE stress.session_end (w int, s int, rc int);
CREATE TABLE stress.queue_log (kind text, worker int, action_id bigint, info text);
\copy stress.sent FROM '$work/sent.tsv'
\copy stress.outcome FROM '$work/outcome.tsv'
\copy stress.session_end FROM '$work/end.tsv'
\copy stress.queue_log FROM '$work/queue.tsv'
ANALYZE stress.sent, stress.outcome;
SQL
	# check.sql prints "true|description" or "false|description" and
	# "# ..." lines; anything else (an error of check.sql) is a comment.
	q -v mode="$mode" -f "$here/check.sql" >"$work/check.out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
			true\|*) ok 0 "${line#true|}" ;;
			false\|*) ok 1 "${line#false|}" ;;
			\#*) echo "$line" ;;
			*) echo "# $line" ;;
		esac
	done <"$work/check.out"
	ok "$rc" "check.sql ran to its end"

	# Errors the clients saw, by SQLSTATE.  Expected: the bad rows sent on
	# purpose (23514), 25P02 after a failed COPY (the writer's probe),
	# deadlocks (a check of their own) and, when the driver stops the
	# server, what a stop does to its clients, whatever the wording: 57P01
	# (admin shutdown: the immediate stop, or a backend that saw the
	# postmaster go), 57P03 (cannot connect now: shutting down, starting up,
	# in recovery), and libpq's lost and refused connections.  A message
	# that reaches psql while it is still connecting (a backend that had
	# just started when the server stopped) is printed without its SQLSTATE,
	# so those are also known by their PostgreSQL 15 texts.  Not 57P02
	# (crash of another server process): an immediate stop never sends it,
	# so it means a backend died, which the server log check names.
	cat "$work"/*.err >"$work/stderr" 2>/dev/null
	states=$(grep -oE '(ERROR|FATAL|PANIC|WARNING):  [0-9A-Z]{5}' "$work/stderr" | awk '{ print $2 }' | sort | uniq -c | awk '{ printf "%s %s, ", $2, $1 }')
	echo "# client errors by SQLSTATE: ${states%, }"
	expected='ERROR:  23514: session_duration must not be negative|ERROR:  40P01: deadlock detected|ERROR:  25P02: current transaction is aborted'
	[ "$mode" = crash ] && expected+='|(FATAL|WARNING):  (57P0[13]: |terminating connection due to (immediate shutdown command|unexpected postmaster exit)$|the database system is (starting up|shutting down|in recovery mode|not (yet )?accepting connections)$)|server closed the connection unexpectedly|connection to server .*(was lost|failed)|no connection to the server'
	unexpected=$(grep -E '(ERROR|FATAL|PANIC|WARNING):|psql: error|server closed|connection to server|no connection' "$work/stderr" | grep -vE "$expected")
	[ -z "$unexpected" ]
	ok $? "the clients saw no error but bad rows sent on purpose (23514) and deadlocks (checked next)$([ "$mode" = crash ] && echo ', lost and refused connections')"
	# The unexpected lines, numbers of 3 digits or more (pids, ids, ports)
	# shown as N so that alike lines count once; a SQLSTATE (after "ERROR:  "
	# and the like) stays readable, all-digit ones such as 23514 included.
	[ -n "$unexpected" ] && printf '%s\n' "$unexpected" | perl -pe 's/(?<!:  )(?<![0-9A-Za-z])[0-9]{3,}/N/g' | sort | uniq -c | sort -rn | head -n 20 | sed 's/^/#   /'
	! grep -qE '40001' "$work/stderr"
	ok $? "no serialization failure (40001)"
	! grep -qE '40P01' "$work/stderr"
	ok $? "no deadlock (40P01) reached a client: $(grep -c 40P01 "$work/stderr") (a statement chosen as a deadlock's victim gives its state locks up and tracks its rows again)"
}

# Figures of the run as TAP comments.
load_figures() {
	local row
	row=$(q -F ' ' <<'SQL'
SELECT (SELECT count(*) FROM adoption.feature_usage_events),
	(SELECT count(DISTINCT (w, s, b)) FROM stress.outcome WHERE ok),
	(SELECT count(*) FROM adoption.campaign_actions),
	(SELECT count(*) FROM adoption.campaign_actions WHERE status = 'done'),
	(SELECT count(*) FROM adoption.campaign_actions WHERE status = 'dead'),
	(SELECT count(*) FROM adoption.campaign_actions WHERE status IN ('pending', 'claimed')),
	(SELECT count(*) FROM adoption.feedback) + (SELECT count(*) FROM adoption.support_tickets) + (SELECT count(*) FROM adoption.billing_events),
	(SELECT count(*) FROM adoption.user_feature_state)
SQL
)
	set -- $row
	echo "# events committed: $1 in ${load_seconds}s ($(awk -v a="$1" -v b="$load_seconds" 'BEGIN { printf "%.0f", a / b }') events/s), $2 transactions acknowledged"
	echo "# other rows committed (feedback, tickets, billing): $7; user x feature states: $8"
	echo "# actions enqueued: $3 (done $4, dead $5, still queued $6); rescores: $(cat "$work/r.out" 2>/dev/null | wc -l)"
	echo "# invariants failed: $failed; checks of known engine bugs (TODO) failed: $todo_failed"
}

load_cleanup() {
	if [ "$failed" = 0 ] && [ -z "${RELIABILITY_KEEP:-}" ]; then
		rm -rf "$work"
		q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
	else
		echo "# client logs kept in $work, database $db kept"
	fi
}
