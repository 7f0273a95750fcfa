-- The usage_velocity aggregate in a parallel plan: partial states are
-- combined, and the result equals the serial one.
CREATE TABLE vel_uses AS
SELECT 'u' || (i % 50) AS user_id,
	timestamptz '2026-01-01 00:00+00' + (i % 5000) * interval '37 minutes' AS used_at
FROM generate_series(1, 200000) AS i;
ANALYZE vel_uses;
CREATE TEMP TABLE serial_result AS
SELECT user_id, adoption.usage_velocity(used_at, '2026-05-01 00:00+00') AS v
FROM vel_uses GROUP BY user_id;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT adoption.usage_velocity(used_at, '2026-05-01 00:00+00') FROM vel_uses;
-- Every user's velocity equals the serial one to 1e-12 relative.
SELECT count(*) AS users, max(abs(p.v - s.v) / s.v) < 1e-12 AS equal
FROM (SELECT user_id, adoption.usage_velocity(used_at, '2026-05-01 00:00+00') AS v
	FROM vel_uses GROUP BY user_id) AS p
JOIN serial_result AS s USING (user_id);
SELECT abs(adoption.usage_velocity(used_at, '2026-05-01 00:00+00')
	- (SELECT sum(v) FROM serial_result)) < 1e-6 AS total_equal
FROM vel_uses;
RESET ALL;

-- Mixed as_of values in one group are refused (22023); NULLs are skipped.
\set SHOW_CONTEXT never
SELECT adoption.usage_velocity(t, a)
FROM (VALUES (timestamptz '2026-01-01 00:00+00', timestamptz '2026-01-02 00:00+00'),
	('2026-01-01 00:00+00', '2026-01-03 00:00+00')) AS v(t, a);
\echo :LAST_ERROR_SQLSTATE
SELECT adoption.usage_velocity(t, timestamptz '2026-01-08 00:00+00') AS one_use_a_week_ago
FROM (VALUES (timestamptz '2026-01-01 00:00+00'), (NULL)) AS v(t);
SELECT adoption.usage_velocity(t, 'infinity') FROM (VALUES (timestamptz '2026-01-01 00:00+00')) AS v(t);
\echo :LAST_ERROR_SQLSTATE
SELECT adoption.usage_velocity_finalfn('{1,2}');
\echo :LAST_ERROR_SQLSTATE
SELECT adoption.velocity_at(2.0, '2026-01-01 00:00+00', '2026-01-15 00:00+00') AS two_half_lives;
SELECT adoption.velocity_at(2.0, '2026-01-15 00:00+00', '2026-01-01 00:00+00') AS earlier_as_of_unchanged;
DROP TABLE vel_uses;
