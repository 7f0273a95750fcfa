#!/usr/bin/env bash
# pg_adoption on a Citus cluster on this machine: a coordinator and two
# workers, each a private PostgreSQL cluster run by the postgres user.
#
#   scripts/citus.sh start    builds Citus if missing, starts the 3 nodes,
#                             creates database $CITUS_DB with citus, pg_cron and
#                             pg_adoption, adds the workers, runs adoption.distribute()
#   scripts/citus.sh demo     start, then loads the demo data set through the
#                             coordinator (as the single-node demo: events,
#                             feedback, tickets, billing, launches, health
#                             history, snapshots) and prints its views
#   scripts/citus.sh stop     stops the 3 nodes
#   scripts/citus.sh psql     psql on the coordinator
#
# Environment: CITUS_PORT (54330: the coordinator; the workers use the next
# two ports), CITUS_DB (adoption_demo), CITUS_EVENTS (100000: the demo's
# events; the single-node demo loads 1M), PGA_DEMO_SEED (42), CITUS_SHARDS
# (8: shards per distributed table), CITUS_BUILD_SH (../shared/citus/build.sh
# beside the clone: builds and installs Citus into the PostgreSQL that
# PG_CONFIG names, when it is not installed yet), CITUS_CLUSTER (citus: the
# prefix of the data directories; tests use another).
# Nodes listen on 127.0.0.1 (they connect to each other over TCP, trust
# authentication: a development set-up, not a production one) and on a
# socket in /tmp/pg_adoption-<port>.
source "$(dirname "$0")/lib.sh"
need_root "$@"

base=${CITUS_PORT:-54330}
db=${CITUS_DB:-adoption_demo}
prefix=${CITUS_CLUSTER:-citus}
ports=("$base" "$((base + 1))" "$((base + 2))")
names=("$prefix-coordinator" "$prefix-worker1" "$prefix-worker2")

# True if Citus is installed into the PostgreSQL that PG_CONFIG names.
citus_installed() {
	[ -f "$("$PG_CONFIG" --pkglibdir)/citus.so" ] &&
		[ -f "$("$PG_CONFIG" --sharedir)/extension/citus.control" ]
}

# Where build.sh is: $CITUS_BUILD_SH, else ../shared/citus/build.sh beside the clone.
citus_build_sh() {
	echo "${CITUS_BUILD_SH:-$(dirname "$REPO")/shared/citus/build.sh}"
}

# Installs Citus with build.sh when missing; fails saying why when it cannot.
ensure_citus() {
	local sh
	citus_installed && return 0
	sh=$(citus_build_sh)
	if [ ! -f "$sh" ]; then
		echo "citus.sh: Citus is not installed into $("$PG_CONFIG" --pkglibdir) and $sh does not exist (set CITUS_BUILD_SH to Citus's build script)" >&2
		return 1
	fi
	say "building Citus with $sh (about 5 minutes)"
	PG_CONFIG=$PG_CONFIG bash "$sh"
}

# psql on node $1 (0 = coordinator) in database $db.
node_psql() {
	local i=$1
	shift
	psql -X -q -v ON_ERROR_STOP=1 -h "/tmp/pg_adoption-${ports[$i]}" -p "${ports[$i]}" -U postgres "$@"
}

# Creates (if needed) and starts node $1.
node_start() {
	local i=$1 dir sock conf
	dir=$(cluster_dir "${names[$i]}")
	sock=$(socket_dir "${ports[$i]}")
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		say "creating node ${names[$i]} in $dir/data (port ${ports[$i]})"
		cluster_create "$dir/data" "${ports[$i]}" "$db"
		conf=$dir/data/postgresql.conf
		# The coordinator also preloads pg_adoption: its statement hook registers
		# the features the workers saw and sends NOTIFY adoption_actions.
		cat >>"$conf" <<CONF
# Citus node of pg_adoption's scale-out set-up (scripts/citus.sh)
listen_addresses = '127.0.0.1'
shared_preload_libraries = 'citus,pg_cron$([ "$i" = 0 ] && echo ,pg_adoption)'
max_prepared_transactions = 100
max_connections = 200
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
citus.node_conninfo = 'sslmode=prefer'
citus.enable_unsafe_triggers = on
CONF
		echo "host all all 127.0.0.1/32 trust" >>"$dir/data/pg_hba.conf"
	fi
	if ! pg pg_ctl -D "$dir/data" status >/dev/null 2>&1; then
		pg pg_ctl -D "$dir/data" start -w -l "$dir/server.log" >/dev/null
	fi
}

start() {
	local i
	ensure_packages
	ensure_citus
	build_install
	for i in 0 1 2; do node_start "$i"; done
	# A distributed pg_adoption cannot be dropped and created again in place
	# (its tables belong to Citus now): each run starts from a new database.
	say "creating database $db with citus on every node (dropping the previous one)"
	for i in 0 1 2; do
		node_psql "$i" -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
		node_psql "$i" -d "$db" -c "SET client_min_messages = warning" -c "CREATE EXTENSION citus"
	done
	node_psql 0 -d "$db" -o /dev/null <<SQL
SET client_min_messages = warning;
SELECT citus_set_coordinator_host('127.0.0.1', ${ports[0]});
SELECT citus_add_node('127.0.0.1', ${ports[1]});
SELECT citus_add_node('127.0.0.1', ${ports[2]});
CREATE EXTENSION IF NOT EXISTS pg_cron;
SQL
	say "creating pg_adoption and distributing it (${CITUS_SHARDS:-8} shards per table)"
	node_psql 0 -d "$db" -o /dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pg_adoption;
SET citus.shard_count = ${CITUS_SHARDS:-8};
SELECT adoption.distribute();
SQL
	echo "Citus cluster runs: coordinator ${ports[0]}, workers ${ports[1]} and ${ports[2]}; psql -h /tmp/pg_adoption-${ports[0]} -p ${ports[0]} -U postgres $db"
}

demo() {
	start
	say "loading the demo data set through the coordinator (seed ${PGA_DEMO_SEED:-42}, ${CITUS_EVENTS:-100000} events)"
	node_psql 0 -v seed="${PGA_DEMO_SEED:-42}" -v events="${CITUS_EVENTS:-100000}" -d "$db" -f "$REPO/scripts/demo.sql"
	say "scheduling health rescoring and upkeep with pg_cron on the coordinator"
	node_psql 0 -d "$db" -tAc "SELECT 'pg_cron job ' || adoption.schedule_rescoring()"
	# adoption.feedback_themes and messaging_opportunities fail on Citus (a
	# table function, a reference table under UNION): the others still print.
	say "what the demo holds (read through the coordinator)"
	node_psql 0 -v ON_ERROR_STOP=0 -v keep_going=1 -d "$db" -f "$REPO/scripts/demo_show.sql"
	for i in 1 2; do
		node_psql 0 -d "$db" -tAc "SELECT 'worker ${ports[$i]} holds ' || pg_catalog.count(*) || ' shard placements' FROM pg_dist_placement AS p JOIN pg_dist_node AS n ON n.groupid = p.groupid WHERE n.nodeport = ${ports[$i]}"
	done
}

stop() {
	local i
	for i in 2 1 0; do cluster_stop "${names[$i]}"; done
}

case "${1:-}" in
	start) start ;;
	demo) demo ;;
	stop) stop ;;
	psql) shift; export PGHOST=/tmp/pg_adoption-${ports[0]} PGPORT=${ports[0]} PGUSER=postgres; exec psql "$db" "$@" ;;
	installed) ensure_citus ;;
	*) echo "usage: $0 {start|demo|stop|psql}" >&2; exit 2 ;;
esac
