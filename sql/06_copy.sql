-- COPY feeds the trigger like INSERT does: 3000 events of 30 tenants, 10
-- features, written to a file and loaded back.
TRUNCATE adoption.feature_usage_events;
COPY (
	SELECT md5('copy' || i)::uuid AS event_id,
		'copy-t' || (i % 30) AS tenant_id,
		'copy-u' || (i % 300) AS user_id,
		'copy-f' || (i % 10) AS feature_id,
		CASE WHEN i <= 10 THEN 'Copy feature ' || i END AS feature_name,
		timestamptz '2026-03-01 00:00+00' + i * interval '1 minute' AS usage_timestamp,
		i % 600 AS session_duration,
		(i % 10 <> 0) AS success_outcome,
		'{"source": "copy"}' AS integration_context
	FROM generate_series(1, 3000) AS i
) TO '/tmp/pg_adoption_regress_copy.csv' WITH (FORMAT csv);
COPY adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, feature_name,
	usage_timestamp, session_duration, success_outcome, integration_context)
FROM '/tmp/pg_adoption_regress_copy.csv' WITH (FORMAT csv);
SELECT count(*) AS events, count(DISTINCT tenant_id) AS tenants, count(DISTINCT user_id) AS users,
	sum(session_duration) AS duration, count(*) FILTER (WHERE NOT success_outcome) AS failures
FROM adoption.feature_usage_events;
SELECT count(*) AS copy_tenants FROM adoption.tenants WHERE tenant_id LIKE 'copy-t%';
SELECT feature_id, feature_name FROM adoption.features WHERE feature_id LIKE 'copy-f%' ORDER BY 1;

-- COPY with one bad line loads nothing.
COPY (SELECT md5('bad' || i)::uuid, 'copy-bad', 'u', 'f', NULL,
		timestamptz '2026-03-01 00:00+00', CASE WHEN i = 500 THEN -1 ELSE 0 END, true, '{}'
	FROM generate_series(1, 1000) AS i) TO '/tmp/pg_adoption_regress_copy.csv' WITH (FORMAT csv);
\set SHOW_CONTEXT never
COPY adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, feature_name,
	usage_timestamp, session_duration, success_outcome, integration_context)
FROM '/tmp/pg_adoption_regress_copy.csv' WITH (FORMAT csv);
SELECT count(*) AS bad_loaded FROM adoption.feature_usage_events WHERE tenant_id = 'copy-bad';
SELECT count(*) AS bad_registered FROM adoption.tenants WHERE tenant_id = 'copy-bad';
