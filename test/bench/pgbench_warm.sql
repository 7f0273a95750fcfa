/*
 * pgbench_warm.sql: the warm-up of the pgbench benchmarks (pgbench_bench.sh,
 * compare_versions.sh), in a database with the extension:
 *
 *   psql -v warm=200000 -f test/bench/pgbench_warm.sql
 *
 * :warm events of the same tenants, users and features as the pgbench script
 * (pgbench_insert.pgbench), the feature drawn like pgbench's
 * random_exponential(1, 50, 3.0), over the last 14 days, in time order.
 */
SET client_min_messages = warning;
SET jit = off;
SELECT adoption.ensure_partitions(3) \g /dev/null
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome, session_duration)
SELECT 't' || t, 'u' || t || '-' || u, 'f' || f, ts, random() < 0.9, floor(random() * 601)::integer
FROM (
	SELECT 1 + floor(random() * 1000)::integer AS t,
		1 + floor(random() * 20)::integer AS u,
		1 + floor(50 * -ln(exp(-3.0) + (1 - exp(-3.0)) * (1 - random())) / 3.0)::integer AS f,
		now() - random() * interval '14 days' AS ts
	FROM generate_series(1, :warm)
) AS s
ORDER BY ts;
/* Rows of an earlier month waited in the default partition: move them out. */
SELECT adoption.ensure_partitions(3) \g /dev/null
VACUUM ANALYZE;
