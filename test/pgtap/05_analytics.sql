-- pgTAP: the analytics functions on a generated data set against the plain
-- SQL a user would write (window functions over distinct actor days), and
-- the identities that tie retention, lifecycle and stickiness together.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION pg_adoption;
SET client_min_messages = warning;
SELECT plan(14);

-- 30 tenants, 300 users (user ids repeat across tenants: u7 of t1 and of
-- t2 are two users), 5 features, events over 2026-06-01 .. 2026-09-30
-- (hours spread by a hash), some users seen long before the range.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 't' || (i % 30), 'u' || (i % 300 / 30), 'f' || (i * 7 % 5),
	timestamptz '2026-06-01 00:00+00' + ((hashint4(i) & 2147483647) % (122 * 24)) * interval '1 hour'
FROM generate_series(1, 6000) AS i;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 't' || (i % 30), 'u' || (i % 300 / 30), 'f0', timestamptz '2026-01-15 12:00+00'
FROM generate_series(0, 299, 7) AS i;

-- The SQL baselines, as functions of the range (days).
CREATE FUNCTION pg_temp.sql_retention(from_date date, to_date date, after boolean)
RETURNS TABLE (cohort_start date, cohort_size bigint, period_number integer, retained bigint, rate float8)
LANGUAGE sql AS $$
	WITH activity AS (
		SELECT DISTINCT e.tenant_id, e.user_id, (e.usage_timestamp AT TIME ZONE 'UTC')::date AS day
		FROM adoption.feature_usage_events AS e
		WHERE e.usage_timestamp >= from_date::timestamp AT TIME ZONE 'UTC'
			AND e.usage_timestamp < (to_date + 1)::timestamp AT TIME ZONE 'UTC'
	), spans AS (
		SELECT a.tenant_id, a.user_id, a.day,
			min(a.day) OVER (PARTITION BY a.tenant_id, a.user_id) AS cohort,
			max(a.day) OVER (PARTITION BY a.tenant_id, a.user_id) AS last_day
		FROM activity AS a
	), users AS (
		SELECT DISTINCT s.tenant_id, s.user_id, s.cohort, s.last_day FROM spans AS s
	)
	SELECT c.cohort, c.size, g.k,
		CASE WHEN after
			THEN (SELECT count(*) FROM users AS u WHERE u.cohort = c.cohort AND u.last_day >= c.cohort + g.k)
			ELSE (SELECT count(*) FROM spans AS s WHERE s.cohort = c.cohort AND s.day = c.cohort + g.k) END,
		0::float8
	FROM (SELECT u.cohort, count(*) AS size FROM users AS u GROUP BY u.cohort) AS c,
		generate_series(0, to_date - c.cohort) AS g (k)
$$;

SELECT results_eq(
	$$SELECT cohort_start, cohort_size, period_number, retained FROM adoption.retention('user', NULL, 'day', '2026-06-01', '2026-09-30') ORDER BY 1, 3$$,
	$$SELECT cohort_start, cohort_size, period_number, retained FROM pg_temp.sql_retention('2026-06-01', '2026-09-30', false) ORDER BY 1, 3$$,
	'retention "on" equals the window-function SQL');
SELECT results_eq(
	$$SELECT cohort_start, cohort_size, period_number, retained FROM adoption.retention('user', NULL, 'day', '2026-06-01', '2026-09-30', mode => 'on_or_after') ORDER BY 1, 3$$,
	$$SELECT cohort_start, cohort_size, period_number, retained FROM pg_temp.sql_retention('2026-06-01', '2026-09-30', true) ORDER BY 1, 3$$,
	'retention "on or after" equals the window-function SQL');
SELECT is(
	(SELECT sum(cohort_size) FROM adoption.retention('user', NULL, 'week', '2026-06-01', '2026-09-30') WHERE period_number = 0),
	(SELECT count(DISTINCT (tenant_id, user_id)) FROM adoption.feature_usage_events
	 WHERE usage_timestamp >= '2026-06-01 00:00+00' AND usage_timestamp < '2026-10-05 00:00+00')::numeric,
	'the weekly cohorts hold every user active in the widened range once');
SELECT is(
	(SELECT count(*) FROM adoption.retention('user', NULL, 'week', '2026-06-01', '2026-09-30') AS o
	 JOIN adoption.retention('user', NULL, 'week', '2026-06-01', '2026-09-30', mode => 'on_or_after') AS a
		USING (cohort_start, period_number)
	 WHERE o.retained > a.retained),
	0::bigint, 'retained "on" never exceeds "on or after"');
SELECT is(
	(SELECT count(*) FROM (
		SELECT retained < lead(retained) OVER (PARTITION BY cohort_start ORDER BY period_number) AS up
		FROM adoption.retention('tenant', NULL, 'day', '2026-06-01', '2026-09-30', mode => 'on_or_after')) AS x
	 WHERE x.up),
	0::bigint, '"on or after" never rises with the period number');

-- Lifecycle: active(p) = new + returning + resurrecting, and
-- active(p) - active(p - 1) = new + resurrecting + dormant (dormant < 0).
CREATE TEMP TABLE life AS
SELECT l.period_start, l.status, l.actors, s.active_actors
FROM adoption.lifecycle('user', NULL, 'week', '2026-06-01', '2026-09-30') AS l
	JOIN adoption.stickiness('user', NULL, 'week', '2026-06-01', '2026-09-30') AS s USING (period_start);
SELECT is(
	(SELECT count(*) FROM (SELECT period_start FROM life GROUP BY period_start, active_actors
		HAVING sum(actors) FILTER (WHERE status <> 'dormant') <> active_actors) AS x),
	0::bigint, 'every active user of a week is new, returning or resurrecting');
SELECT is(
	(SELECT count(*) FROM (
		SELECT period_start, active_actors - lag(active_actors) OVER (ORDER BY period_start) AS delta,
			sum(actors) FILTER (WHERE status IN ('new', 'resurrecting', 'dormant')) AS change
		FROM life GROUP BY period_start, active_actors) AS x
	 WHERE x.delta IS NOT NULL AND x.delta <> x.change),
	0::bigint, 'the change in active users is new + resurrecting - dormant');
SELECT is(
	(SELECT sum(actors) FROM life WHERE status = 'new'),
	(SELECT count(*) FROM (SELECT tenant_id, user_id FROM adoption.user_feature_state GROUP BY 1, 2
		HAVING min(first_used_at) >= '2026-06-01 00:00+00') AS x)::numeric,
	'every user first seen in the range is new exactly once; those seen in January never are');

-- Lifecycle against its definition, user by user and day by day.
SELECT results_eq(
	$$SELECT period_start, status, actors FROM adoption.lifecycle('user', NULL, 'day', '2026-06-01', '2026-09-30')
	  WHERE actors <> 0 ORDER BY 1, 2$$,
	$$WITH active AS (
		SELECT DISTINCT e.tenant_id, e.user_id, (e.usage_timestamp AT TIME ZONE 'UTC')::date AS day
		FROM adoption.feature_usage_events AS e
	), grid AS (
		SELECT d::date AS day, u.first_day,
			EXISTS (SELECT FROM active AS a WHERE (a.tenant_id, a.user_id, a.day) = (u.tenant_id, u.user_id, d::date)) AS now,
			EXISTS (SELECT FROM active AS a WHERE (a.tenant_id, a.user_id, a.day) = (u.tenant_id, u.user_id, d::date - 1)) AS before
		FROM (SELECT s.tenant_id, s.user_id, (min(s.first_used_at) AT TIME ZONE 'UTC')::date AS first_day
			FROM adoption.user_feature_state AS s GROUP BY 1, 2) AS u,
			generate_series(timestamp '2026-06-01', timestamp '2026-09-30', interval '1 day') AS d
	)
	SELECT g.day, x.status, CASE WHEN x.status = 'dormant' THEN -count(*) ELSE count(*) END
	FROM grid AS g, LATERAL (SELECT CASE WHEN g.now AND g.day = g.first_day THEN 'new'
		WHEN g.now AND g.before THEN 'returning' WHEN g.now THEN 'resurrecting'
		WHEN g.before THEN 'dormant' END AS status) AS x
	WHERE x.status IS NOT NULL
	GROUP BY 1, 2 ORDER BY 1, 2$$,
	'daily lifecycle equals its definition applied to every user and day');

-- Stickiness: the distribution adds up to the actors active in the period.
SELECT is(
	(SELECT count(*) FROM adoption.stickiness('tenant', NULL, 'month', '2026-06-01', '2026-09-30') AS s
	 WHERE s.active_actors <> (SELECT count(DISTINCT e.tenant_id) FROM adoption.feature_usage_events AS e
		WHERE e.usage_timestamp >= s.period_start::timestamp AT TIME ZONE 'UTC'
			AND e.usage_timestamp < (s.period_start + interval '1 month') AT TIME ZONE 'UTC')),
	0::bigint, 'active tenants per month match a count of distinct tenants');
SELECT is(
	(SELECT count(*) FROM adoption.stickiness('user', 'f1', 'week', '2026-06-01', '2026-09-30')
	 WHERE dau_mau < 0 OR dau_mau > 1 OR cardinality(active_days) <> 7),
	0::bigint, 'weekly DAU/MAU lies in [0, 1] and has 7 active-day slots');

-- PES adoption with a feature: the users active in the week on ANY feature
-- (not only f1's users) who had adopted f1 (3rd success, from the log)
-- before the week's end, as a share of them.
SELECT is(
	(SELECT count(*) FROM adoption.pes('user', 'f1', 'week', '2026-06-01', '2026-09-30') AS p
	 FULL JOIN (
		SELECT a.ws, 100 * avg(CASE WHEN d.at < (a.ws + 7)::timestamp AT TIME ZONE 'UTC' THEN 1 ELSE 0 END) AS v
		FROM (SELECT DISTINCT date_trunc('week', e.usage_timestamp AT TIME ZONE 'UTC')::date AS ws, e.tenant_id, e.user_id
			FROM adoption.feature_usage_events AS e
			WHERE e.usage_timestamp >= '2026-06-01 00:00+00' AND e.usage_timestamp < '2026-10-05 00:00+00') AS a
		LEFT JOIN (SELECT k.tenant_id, k.user_id, k.usage_timestamp AS at
			FROM (SELECT e.tenant_id, e.user_id, e.usage_timestamp,
					row_number() OVER (PARTITION BY e.tenant_id, e.user_id ORDER BY e.usage_timestamp) AS n
				FROM adoption.feature_usage_events AS e WHERE e.feature_id = 'f1' AND e.success_outcome) AS k
			WHERE k.n = 3) AS d ON d.tenant_id = a.tenant_id AND d.user_id = a.user_id
		GROUP BY a.ws) AS b ON b.ws = p.period_start
	 WHERE p.adoption IS NULL OR b.v IS NULL OR abs(p.adoption - b.v::float8) > 1e-9),
	0::bigint, 'pes adoption of a feature is the share of the users active on any feature who adopted it');

SELECT throws_ok($$SELECT * FROM adoption.pes('account')$$, '22023', 'unknown actor "account"',
	'an unknown actor is refused with 22023');

-- The common arguments, with their defaults, of the five (one list in analytics.sql):
-- 90 days up to today (UTC), by day, but by week for feature_retention.
SELECT results_eq($$SELECT p.oid::regprocedure::text, pg_get_function_arguments(p.oid) FROM pg_proc AS p
	WHERE p.pronamespace = 'adoption'::regnamespace
		AND p.proname IN ('retention', 'lifecycle', 'stickiness', 'pes', 'feature_retention') ORDER BY 1$$,
	$$SELECT f, 'actor text DEFAULT ''user''::text, feature_id text DEFAULT NULL::text, period text DEFAULT '''
		|| period || '''::text, from_date date DEFAULT (((now() AT TIME ZONE ''UTC''::text))::date - 89), '
		|| 'to_date date DEFAULT ((now() AT TIME ZONE ''UTC''::text))::date, tenant_id text DEFAULT NULL::text' || extra
	FROM (VALUES
		('adoption.feature_retention(text,text,text,date,date,text,integer)', 'week', ', interval_number integer DEFAULT 1'),
		('adoption.lifecycle(text,text,text,date,date,text)', 'day', ''),
		('adoption.pes(text,text,text,date,date,text)', 'day', ''),
		('adoption.retention(text,text,text,date,date,text,text)', 'day', ', mode text DEFAULT ''on''::text'),
		('adoption.stickiness(text,text,text,date,date,text)', 'day', '')) AS x (f, period, extra)
	ORDER BY 1$$,
	'retention, lifecycle, stickiness, pes and feature_retention take the common arguments and defaults');

SELECT * FROM finish();
ROLLBACK;
