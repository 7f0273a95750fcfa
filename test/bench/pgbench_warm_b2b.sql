/*
 * pgbench_warm_b2b.sql: the warm-up of compare_versions.sh's pgbench_b2b
 * figure, in a database with the extension:
 *
 *   psql -v warm=200000 -f test/bench/pgbench_warm_b2b.sql
 *
 * :warm events of the B2B shape of pgbench_insert_b2b.pgbench: 300 tenants
 * of 20 users, each user on 7 of the 50 features (feature k of user u of
 * tenant t: 1 + ((t * 31 + u * 17) % 50 + 7k) % 50), over the last 60 days,
 * in time order.
 */
SET client_min_messages = warning;
SET jit = off;
SELECT adoption.ensure_partitions(3) \g /dev/null
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome, session_duration)
SELECT 'org-' || lpad(t::text, 5, '0'), 'org-' || lpad(t::text, 5, '0') || '-user-' || lpad(u::text, 2, '0'),
	'feature-' || lpad((1 + ((t * 31 + u * 17) % 50 + k * 7) % 50)::text, 3, '0'), ts, random() < 0.9,
	floor(random() * 601)::integer
FROM (
	SELECT 1 + floor(random() * 300)::integer AS t, 1 + floor(random() * 20)::integer AS u,
		floor(random() * 7)::integer AS k, now() - random() * interval '60 days' AS ts
	FROM generate_series(1, :warm)
) AS s
ORDER BY ts;
/* Rows of an earlier month waited in the default partition: move them out. */
SELECT adoption.ensure_partitions(3) \g /dev/null
VACUUM ANALYZE;
