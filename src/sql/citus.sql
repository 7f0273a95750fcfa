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
		INSERT INTO adoption.features AS f (feature_id, feature_name)
		SELECT u.i, u.n FROM unnest(ids, names) AS u(i, n)
		ON CONFLICT (feature_id) DO UPDATE SET feature_name = excluded.feature_name
		WHERE excluded.feature_name IS NOT NULL
			AND (f.feature_name IS NULL OR f.feature_name <> excluded.feature_name);
	END IF;
	IF n > 0 THEN
		PERFORM pg_notify('adoption_actions', n::text);
	END IF;
	RETURN greatest(n, 0);
END
$$;
COMMENT ON FUNCTION adoption.citus_flush() IS 'On a Citus coordinator: registers the features and announces the actions that the workers'' ingest triggers noted in adoption.citus_pending (run after every ingest statement when pg_adoption is preloaded); returns the actions announced';
