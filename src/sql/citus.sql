/*
 * citus.sql: pg_adoption on a Citus cluster (docs/citus.md).
 *
 * adoption.distribute() distributes the tenant tables by tenant_id,
 * co-located with the event log, and makes the product-wide tables
 * reference tables; it is a function because create_distributed_table()
 * cannot run inside an extension script.  The ingest trigger then runs on
 * the workers, on the co-located shards (src/citus.c); what a worker cannot
 * do itself (write the feature catalog, NOTIFY) it
 * notes in adoption.citus_pending, and adoption.citus_flush() does it on the
 * coordinator in the same transaction.
 */

CREATE TABLE adoption.citus_pending (
	tenant_id text NOT NULL,
	feature_id text,
	feature_name text,
	actions bigint NOT NULL DEFAULT 0,
	noted_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);
COMMENT ON TABLE adoption.citus_pending IS 'Internal to Citus clusters: features to register and enqueued actions to announce that the ingest trigger on a worker noted for adoption.citus_flush() on the coordinator; empty between statements';

/* Returns the tables with how Citus holds them. */
CREATE FUNCTION adoption.distribute(shard_count integer DEFAULT NULL)
RETURNS TABLE (table_name regclass, citus_table_type text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	event_log regclass := 'adoption.feature_usage_events'::regclass;
	t regclass;
	is_tenant boolean;
	is_coordinator boolean;
	fk_rels text[];
	fk_names text[];
	fk_defs text[];
	i integer;
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'Citus is not installed in database %', current_database()
			USING ERRCODE = 'feature_not_supported',
				DETAIL = 'adoption.distribute() distributes pg_adoption''s tables over a Citus cluster.',
				HINT = 'Put citus first in shared_preload_libraries on every node, CREATE EXTENSION citus, add the workers with citus_add_node() on the coordinator, then call adoption.distribute() there.';
	END IF;
	EXECUTE 'SELECT pg_catalog.citus_is_coordinator()' INTO is_coordinator;
	IF NOT is_coordinator THEN
		RAISE EXCEPTION 'adoption.distribute() must run on the Citus coordinator, not on a worker'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = 'Connect to the coordinator (the node that holds the metadata, where citus_add_node() was called) and call it there.';
	END IF;
	IF shard_count IS NOT NULL AND (shard_count < 1 OR shard_count > 64000) THEN
		RAISE EXCEPTION 'shard_count must be between 1 and 64000, not %', shard_count
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Pass NULL to use citus.shard_count.';
	END IF;
	/*
	 * Action ids and arrival numbers are unique across the cluster: each
	 * worker's copies of the sequences (made by CREATE EXTENSION, which
	 * Citus does not adjust) draw from a range of their own, group id << 48,
	 * as Citus does for the sequences it distributes.  Again for a worker
	 * added since: call adoption.distribute() after citus_add_node().
	 */
	PERFORM run_command_on_workers($cmd$
		SELECT pg_catalog.setval(s.seq, (SELECT g.groupid::bigint << 48 FROM pg_catalog.pg_dist_local_group AS g))
		FROM unnest(ARRAY['adoption.campaign_action_id_seq', 'adoption.feature_usage_events_arrival_seq']::pg_catalog.regclass[]) AS s(seq)
		WHERE pg_catalog.pg_sequence_last_value(s.seq) IS NULL
			OR pg_catalog.pg_sequence_last_value(s.seq) < (SELECT g.groupid::bigint << 48 FROM pg_catalog.pg_dist_local_group AS g)
	$cmd$);

	/* The ingest trigger fires on the event log's shards (src/citus.c). */
	PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
	PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);

	/*
	 * Foreign keys between the extension's tables come off while their
	 * tables change hands and go back on after: Citus converts a local table
	 * that references a new reference table into a Citus local table, which
	 * fails because CREATE EXTENSION made the table on the workers already.
	 */
	SELECT array_agg(x.rel ORDER BY x.rel, x.conname), array_agg(x.conname ORDER BY x.rel, x.conname),
		array_agg(x.def ORDER BY x.rel, x.conname)
	INTO fk_rels, fk_names, fk_defs FROM (
		SELECT f.conrelid::regclass::text AS rel, f.conname::text AS conname, pg_get_constraintdef(f.oid) AS def
		FROM pg_constraint AS f
		JOIN pg_depend AS d ON d.classid = 'pg_class'::regclass AND d.objid = f.conrelid AND d.deptype = 'e'
		JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'pg_adoption'
		WHERE f.contype = 'f'
			AND NOT EXISTS (SELECT FROM pg_dist_partition AS p WHERE p.logicalrelid = f.conrelid)) AS x;
	FOR i IN 1 .. coalesce(cardinality(fk_rels), 0) LOOP
		EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk_rels[i], fk_names[i]);
		/* The workers' copies from CREATE EXTENSION have it too (before Citus locks them). */
		PERFORM run_command_on_workers(
			format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', fk_rels[i], fk_names[i]));
	END LOOP;

	/*
	 * Product-wide tables (no tenant_id NOT NULL) become reference tables,
	 * first; then the tenant tables are distributed by tenant_id, the event
	 * log first (its partitions follow it), the others co-located with it.
	 */
	FOR t, is_tenant IN
		SELECT c.oid::regclass, EXISTS (SELECT FROM pg_attribute AS a WHERE a.attrelid = c.oid
				AND a.attname = 'tenant_id' AND a.attnotnull AND NOT a.attisdropped)
		FROM pg_class AS c
		JOIN pg_depend AS d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
		JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'pg_adoption'
		WHERE c.relnamespace = 'adoption'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		ORDER BY 2, c.oid <> event_log, c.relname
	LOOP
		CONTINUE WHEN EXISTS (SELECT FROM pg_dist_partition AS p WHERE p.logicalrelid = t);
		IF NOT is_tenant THEN
			PERFORM create_reference_table(t);
		ELSIF t <> event_log THEN
			PERFORM create_distributed_table(t, 'tenant_id', colocate_with => event_log::text);
		ELSIF shard_count IS NULL THEN
			PERFORM create_distributed_table(event_log, 'tenant_id');
		ELSE
			PERFORM create_distributed_table(event_log, 'tenant_id', shard_count => shard_count);
		END IF;
	END LOOP;

	/*
	 * Not the keys into adoption.features: the coordinator registers the
	 * features the workers saw in the ingest statement's transaction, and
	 * Citus refuses to write a reference table that a foreign key names
	 * after the statement's parallel writes to the shards.
	 */
	/*
	 * The work per shard group: a call of citus_run() on the coordinator
	 * runs on the worker that holds the group of its first argument, in the
	 * caller's transaction (force_delegation).
	 */
	PERFORM create_distributed_function('adoption.citus_run(text, text)',
		'anchor', colocate_with => event_log::text, force_delegation => true);

	FOR i IN 1 .. coalesce(cardinality(fk_rels), 0) LOOP
		CONTINUE WHEN fk_defs[i] LIKE '%REFERENCES adoption.features(%';
		EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk_rels[i], fk_names[i], fk_defs[i]);
	END LOOP;

	RETURN QUERY
		SELECT p.logicalrelid::regclass, CASE p.partmethod WHEN 'n' THEN 'reference' ELSE 'distributed' END
		FROM pg_dist_partition AS p
		JOIN pg_class AS c ON c.oid = p.logicalrelid
		WHERE c.relnamespace = 'adoption'::regnamespace AND NOT c.relispartition
		ORDER BY 2, 1::text;
END
$$;
COMMENT ON FUNCTION adoption.distribute(integer) IS 'On a Citus coordinator: distributes every tenant table by tenant_id, co-located with the event log (shard_count shards, NULL: citus.shard_count), makes the other tables reference tables; safe to call again; returns each table with its Citus table type';

/* True on a Citus coordinator (or a node with metadata) where the event log is distributed, outside a shard scope. */
CREATE FUNCTION adoption.citus_distributed()
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	yes boolean;
BEGIN
	IF to_regclass('pg_catalog.pg_dist_partition') IS NULL OR adoption.citus_on_shard() THEN
		RETURN false;
	END IF;
	EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition AS p
		WHERE p.logicalrelid OPERATOR(pg_catalog.=) ''adoption.feature_usage_events''::pg_catalog.regclass)'
		INTO yes;
	RETURN yes;
END
$$;
COMMENT ON FUNCTION adoption.citus_distributed() IS 'True when the event log is a distributed Citus table here (a coordinator after adoption.distribute()) and this backend is not working on one shard group: the functions that work per tenant then run per shard group (citus_run_at)';

/*
 * One tenant per shard group of the event log that holds a tenant (the
 * least tenant_id of each shard of adoption.tenants), or only_tenant's:
 * what names a shard group to a distributed function.  Read with
 * run_command_on_shards() (its own connections, outside the transaction):
 * a tenant first registered by this transaction waits for the next run.
 */
CREATE FUNCTION adoption.citus_shard_tenants(only_tenant text DEFAULT NULL)
RETURNS TABLE (anchor text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF only_tenant IS NOT NULL THEN
		RETURN QUERY SELECT only_tenant;
		RETURN;
	END IF;
	RETURN QUERY EXECUTE $q$
		SELECT r.result FROM pg_catalog.run_command_on_shards('adoption.tenants',
			'SELECT pg_catalog.min(tenant_id) FROM %s') AS r
		WHERE r.success AND r.result IS NOT NULL AND r.result OPERATOR(pg_catalog.<>) ''
		ORDER BY r.shardid$q$;
END
$$;
COMMENT ON FUNCTION adoption.citus_shard_tenants(text) IS 'Internal, Citus: a tenant of each shard group that holds one (or only_tenant), to name the group to a distributed function';

/*
 * The shard scope (src/citus.c): from citus_enter_tenant() or
 * citus_enter_shard() to citus_leave(), every statement of this backend
 * runs on the tables of one shard group of this node: the distributed
 * tables' co-located shards and this node's shard of each reference table.
 */
CREATE FUNCTION adoption.citus_enter_tenant(tenant_id text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'adoption_citus_enter_tenant'
LANGUAGE C;
COMMENT ON FUNCTION adoption.citus_enter_tenant(text) IS 'Internal, Citus: runs the statements that follow on the shard group that holds tenant_id (on this node) until adoption.citus_leave(); returns the event log''s shard id';

CREATE FUNCTION adoption.citus_enter_shard(rel regclass)
RETURNS boolean
AS 'MODULE_PATHNAME', 'adoption_citus_enter_relid'
LANGUAGE C STRICT;
COMMENT ON FUNCTION adoption.citus_enter_shard(regclass) IS 'Internal, Citus: when rel is a shard (a trigger''s TG_RELID on a worker), runs the statements that follow on its shard group until adoption.citus_leave(); returns whether it is one (else nothing changes)';

CREATE FUNCTION adoption.citus_leave()
RETURNS void
AS 'MODULE_PATHNAME', 'adoption_citus_leave_sql'
LANGUAGE C;
COMMENT ON FUNCTION adoption.citus_leave() IS 'Internal, Citus: ends the scope of the last adoption.citus_enter_tenant() or citus_enter_shard()';

CREATE FUNCTION adoption.notify_actions(tenant_id text, actions bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'adoption_notify_actions_sql'
LANGUAGE C;
COMMENT ON FUNCTION adoption.notify_actions(text, bigint) IS 'Internal: announces enqueued actions (NOTIFY adoption_actions with their number); on a Citus shard notes them for the coordinator''s adoption.citus_flush() under tenant_id';

/*
 * Runs sql (a query) on the shard group that holds tenant anchor and
 * returns its rows as jsonb.  A distributed function, co-located with the
 * event log by anchor and force-delegated (adoption.distribute()): called
 * on the coordinator it runs on the worker that holds the group, inside the
 * coordinator's transaction (Citus's two-phase commit), in the group's
 * shard scope, so the extension's own functions run there unchanged.  The
 * functions that work per tenant (rescore(), snapshot_adoption(),
 * rebuild(), claim_actions()...) call it through citus_run_at().
 */
CREATE FUNCTION adoption.citus_run(anchor text, sql text)
RETURNS SETOF jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM adoption.citus_enter_tenant(anchor);
	RETURN QUERY EXECUTE format('SELECT pg_catalog.to_jsonb(r) FROM (%s) AS r', sql);
	PERFORM adoption.citus_leave();
END
$$;
COMMENT ON FUNCTION adoption.citus_run(text, text) IS 'Internal, Citus: runs a query on the shard group that holds tenant anchor, on the worker that holds it (a force-delegated distributed function), and returns its rows as jsonb';

/*
 * citus_run(anchor, sql) for each anchor, in order, from the coordinator:
 * each call is a statement whose arguments are constants, the form Citus
 * delegates to a worker inside a transaction.
 */
CREATE FUNCTION adoption.citus_run_at(anchors text[], sql text)
RETURNS SETOF jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	anchor text;
BEGIN
	FOREACH anchor IN ARRAY coalesce(anchors, '{}') LOOP
		RETURN QUERY EXECUTE format('SELECT r FROM adoption.citus_run(%L::text, %L::text) AS r', anchor, sql);
	END LOOP;
	/* What the groups enqueued is announced here (a reader's calls enqueue nothing). */
	IF has_function_privilege('adoption.citus_flush()', 'EXECUTE') THEN
		PERFORM adoption.citus_flush();
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.citus_run_at(text[], text) IS 'Internal, Citus: adoption.citus_run(anchor, sql) on the shard group of each anchor in turn, in this transaction, then adoption.citus_flush(); returns all their rows';

/* The sum of column n of sql run on every shard group that holds a tenant (or on only_tenant's). */
CREATE FUNCTION adoption.citus_run_sum(only_tenant text, sql text)
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(sum((r OPERATOR(pg_catalog.->>) 'n')::bigint), 0)::bigint
	FROM adoption.citus_run_at(ARRAY(SELECT x.anchor FROM adoption.citus_shard_tenants(only_tenant) AS x), sql) AS r
$$;
COMMENT ON FUNCTION adoption.citus_run_sum(text, text) IS 'Internal, Citus: runs sql (a query with a column n) on every shard group that holds a tenant, or on only_tenant''s, and returns the sum of n';

/*
 * claim_actions() on a Citus cluster: the due pending actions one node
 * would hand out first (the max with the earliest available_at) are
 * counted per shard group, and each group claims that many, oldest first,
 * on its worker; then, while fewer than max were claimed (expired leases,
 * or actions another worker took meanwhile), each group in turn for the
 * rest.
 */
CREATE FUNCTION adoption.citus_claim_actions(worker text, max integer, lease interval)
RETURNS SETOF adoption.campaign_actions
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	g record;
	got bigint := 0;
	n bigint;
	anchor text;
BEGIN
	FOR g IN
		SELECT min(c.tenant_id) AS anchor, count(*) AS n
		FROM (SELECT q.tenant_id FROM adoption.campaign_action_queue AS q
			WHERE q.status = 'pending' AND q.available_at <= now()
			ORDER BY q.available_at LIMIT max) AS c
		GROUP BY get_shard_id_for_distribution_column('adoption.campaign_action_queue', c.tenant_id)
	LOOP
		RETURN QUERY SELECT (jsonb_populate_record(NULL::adoption.campaign_actions, r)).*
			FROM adoption.citus_run_at(ARRAY[g.anchor],
				format('SELECT * FROM adoption.claim_actions(%L, %s, %L)', worker, g.n, lease)) AS r;
		GET DIAGNOSTICS n = ROW_COUNT;
		got := got + n;
	END LOOP;
	FOR anchor IN SELECT x.anchor FROM adoption.citus_shard_tenants() AS x LOOP
		EXIT WHEN got >= max;
		RETURN QUERY SELECT (jsonb_populate_record(NULL::adoption.campaign_actions, r)).*
			FROM adoption.citus_run_at(ARRAY[anchor],
				format('SELECT * FROM adoption.claim_actions(%L, %s, %L)', worker, max - got, lease)) AS r;
		GET DIAGNOSTICS n = ROW_COUNT;
		got := got + n;
	END LOOP;
END
$$;
COMMENT ON FUNCTION adoption.citus_claim_actions(text, integer, interval) IS 'Internal, Citus: adoption.claim_actions() on a coordinator, per shard group (the earliest due actions first)';

/* The relation to name for table relname of the extension: its shard in a shard scope, else adoption.relname. */
CREATE FUNCTION adoption.citus_table(relname text)
RETURNS text
AS 'MODULE_PATHNAME', 'adoption_citus_table'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION adoption.citus_table(text) IS 'Internal: the relation that names table relname of the extension in this statement (its co-located shard in a Citus shard scope, else adoption.relname), for utility statements, which the planner does not see';

CREATE FUNCTION adoption.citus_on_shard()
RETURNS boolean
AS 'MODULE_PATHNAME', 'adoption_citus_on_shard_sql'
LANGUAGE C STABLE;
COMMENT ON FUNCTION adoption.citus_on_shard() IS 'Internal: true while this backend works on one shard group of a Citus worker (a trigger on a shard, or a shard scope)';

/*
 * Returns the number of actions announced.  Moves what the workers' ingest
 * triggers noted in adoption.citus_pending: registers (or renames) the
 * features and sends one NOTIFY adoption_actions for the actions
 * enqueued (a worker applies the play policy as it enqueues, citus.c;
 * adoption.withdraw_plays() cannot run distributed yet: docs/citus.md).
 * The coordinator runs it after each statement
 * that writes into the event log (src/citus.c), as the role that wrote
 * (adoption_app): SECURITY DEFINER, as it writes the feature catalog that
 * role may write too, and empties a table that role may only insert into.
 * Safe to call any time.
 */
CREATE FUNCTION adoption.citus_flush()
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ids text[];
	names text[];
	n bigint;
BEGIN
	WITH d AS (
		DELETE FROM adoption.citus_pending RETURNING tenant_id, feature_id, feature_name, actions, noted_at
	), f AS (
		SELECT DISTINCT ON (d.feature_id) d.feature_id, d.feature_name
		FROM d WHERE d.feature_id IS NOT NULL
		ORDER BY d.feature_id, d.feature_name IS NULL, d.noted_at DESC
	)
	SELECT (SELECT array_agg(f.feature_id ORDER BY f.feature_id) FROM f),
		(SELECT array_agg(f.feature_name ORDER BY f.feature_id) FROM f),
		(SELECT coalesce(sum(d.actions), 0) FROM d)
	INTO ids, names, n;

	IF ids IS NOT NULL THEN
		-- as src/registry.c: no lock on the rows found, only on the renamed ones
		INSERT INTO adoption.features AS f (feature_id, feature_name)
		SELECT u.i, u.n FROM unnest(ids, names) AS u(i, n)
		ON CONFLICT (feature_id) DO NOTHING;
		UPDATE adoption.features AS f SET feature_name = u.n
		FROM unnest(ids, names) AS u(i, n)
		WHERE f.feature_id = u.i AND u.n IS NOT NULL AND f.feature_name IS DISTINCT FROM u.n;
	END IF;
	IF n > 0 THEN
		PERFORM pg_notify('adoption_actions', n::text);
	END IF;
	RETURN greatest(n, 0);
END
$$;
COMMENT ON FUNCTION adoption.citus_flush() IS 'On a Citus coordinator: registers the features and announces the actions that the workers'' ingest triggers noted in adoption.citus_pending (run after every ingest statement when pg_adoption is preloaded); returns the actions announced';
