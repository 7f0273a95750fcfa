-- Partitions: months without a partition land in the default partition;
-- ensure_partitions() creates months ahead and moves waiting rows out.
SET TimeZone = 'UTC';
TRUNCATE adoption.feature_usage_events;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('p', 'u', 'f', '2025-11-30 23:59:59.999999+00'),
	('p', 'u', 'f', '2025-12-01 00:00:00+00'),
	('p', 'u', 'f', '2025-12-31 23:00:00-05'),	-- 2026-01-01 04:00 UTC
	('p', 'u', 'f', '2000-01-01 00:00:00+00');	-- older than 120 months: stays
SELECT tableoid::regclass AS partition, usage_timestamp FROM adoption.feature_usage_events ORDER BY usage_timestamp;

-- Creates the partitions of the three months found in the default partition
-- (and of the current month and the next one).
SELECT adoption.ensure_partitions(1) >= 3 AS created_at_least_three;
SELECT tableoid::regclass AS partition, usage_timestamp FROM adoption.feature_usage_events ORDER BY usage_timestamp;

-- Partition bounds are UTC months.
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bounds
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'adoption.feature_usage_events'::regclass
	AND c.relname IN ('feature_usage_events_p202511', 'feature_usage_events_p202512', 'feature_usage_events_p202601', 'feature_usage_events_default')
ORDER BY 1;

-- The current month and the next one exist now; running again creates none.
SELECT count(*) AS current_and_next FROM pg_class
WHERE relname IN ('feature_usage_events_p' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMM'),
	'feature_usage_events_p' || to_char((now() AT TIME ZONE 'UTC') + interval '1 month', 'YYYYMM'));
SELECT adoption.ensure_partitions(1) AS created_again;

-- New rows of those months route to their partitions; dedupe works across
-- partitions because the key holds usage_timestamp.
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'p', 'u', 'f', '2025-12-15 00:00+00');
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'p', 'u', 'f', '2025-12-15 00:00+00')
ON CONFLICT DO NOTHING;
SELECT tableoid::regclass AS partition, count(*) FROM adoption.feature_usage_events
WHERE usage_timestamp >= '2025-12-01' AND usage_timestamp < '2026-01-01 00:00+00' GROUP BY 1;

-- Partitions created later are not part of the extension (pg_dump dumps
-- them with their rows); the default partition is.
SELECT c.relname, d.deptype IS NOT NULL AS extension_member
FROM pg_class c
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
WHERE c.relname IN ('feature_usage_events_p202512', 'feature_usage_events_default')
ORDER BY 1;

-- Bad arguments (22023).
\set SHOW_CONTEXT never
SELECT adoption.ensure_partitions(-1);
SELECT adoption.ensure_partitions(121);
SELECT adoption.ensure_partitions(NULL);
