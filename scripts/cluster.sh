#!/usr/bin/env bash
# Manages the private clusters: cluster.sh {start|stop|status|psql} [demo|test]
source "$(dirname "$0")/lib.sh"
need_root "$@"
action=${1:-status}
name=${2:-demo}
case "$name" in
	demo) port=${PGA_DEMO_PORT:-54320} db=adoption_demo ;;
	test) port=${PGA_TEST_PORT:-54321} db=postgres ;;
	*) echo "unknown cluster $name (demo or test)" >&2; exit 2 ;;
esac
case "$action" in
	start) cluster_start "$name" "$port" "$db"
		echo "cluster $name runs (data and server.log in $(cluster_dir "$name")): psql -h $PGHOST -p $PGPORT -U postgres $db" ;;
	stop) cluster_stop "$name" ;;
	status) pg pg_ctl -D "$(cluster_dir "$name")/data" status || true ;;
	psql) export PGHOST=/tmp/pg_adoption-$port PGPORT=$port PGUSER=postgres; exec psql "$db" "${@:3}" ;;
	*) echo "usage: $0 {start|stop|status|psql} [demo|test]" >&2; exit 2 ;;
esac
