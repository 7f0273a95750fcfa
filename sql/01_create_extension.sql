-- Creating, dropping and re-creating the extension; the shape of its tables.
CREATE EXTENSION pg_adoption;
SELECT extname, extversion, extrelocatable FROM pg_extension WHERE extname = 'pg_adoption';

-- The tables of docs/design.md §2 and their kinds (r = table, p = partitioned table).
SELECT c.relname, c.relkind
FROM pg_class c
WHERE c.relnamespace = 'adoption'::regnamespace AND c.relkind IN ('r', 'p')
ORDER BY c.relname;

-- Every primary or unique key of a tenant table starts with tenant_id
-- (Citus distributes them by it); catalog tables have their own keys.
SELECT con.conrelid::regclass AS table_name, con.contype,
	(SELECT string_agg(a.attname, ', ' ORDER BY k.ord)
	 FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
	 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS key_columns
FROM pg_constraint con
WHERE con.connamespace = 'adoption'::regnamespace AND con.contype IN ('p', 'u')
	AND con.conrelid IN (SELECT oid FROM pg_class
		WHERE relispartition = false OR relname = 'feature_usage_events_default')
ORDER BY con.conrelid::regclass::text, con.contype;

-- Tables registered for pg_dump.
SELECT dumped FROM (SELECT unnest(extconfig)::regclass AS dumped FROM pg_extension WHERE extname = 'pg_adoption') AS d
ORDER BY dumped::text;

-- The defaults of docs/design.md §3.
SELECT tenant_id, aha_successes, usage_velocity_threshold, feature_adoption_threshold,
	success_outcome_rate, active_window, nudge_after, dormant_after, max_future_skew,
	max_attempts, event_retention, weight_usage_trend, weight_adoption, weight_support,
	weight_billing, weight_feedback
FROM adoption.settings;

-- Drop and create again: nothing is left behind.
DROP EXTENSION pg_adoption;
SELECT count(*) AS leftover_objects FROM pg_class WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'adoption');
SELECT count(*) AS leftover_schema FROM pg_namespace WHERE nspname = 'adoption';
CREATE EXTENSION pg_adoption;
SELECT count(*) AS defaults_rows FROM adoption.settings WHERE tenant_id IS NULL;
