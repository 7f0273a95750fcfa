-- Product analytics (docs/design.md §7): retention, lifecycle, stickiness, pes and
-- feature_retention on small data sets whose every figure is worked out by
-- hand in the comments.  Tenants and features are named h13-* so that the
-- data of the other tests in the same database does not count; adoption
-- thresholds are pinned per tenant (aha_successes = 3).
SET client_min_messages = warning;
SELECT adoption.ensure_partitions(3) >= 0 AS partitions;
INSERT INTO adoption.settings (tenant_id, aha_successes)
SELECT t, 3 FROM unnest(ARRAY['h13-ret', 'h13-ret2', 'h13-life', 'h13-early', 'h13-fresh',
	'h13-pes', 'h13-tp', 'h13-fr']) AS t;
-- early was created before it used anything; the others are registered by
-- their first event, so their created_at is now(), after their events.
INSERT INTO adoption.tenants (tenant_id, created_at) VALUES ('h13-early', '2026-09-01 00:00+00');

-- Errors come back as SQLSTATE: message (hint).
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	h text;
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
	RETURN SQLSTATE || ': ' || SQLERRM || coalesce(' (' || nullif(h, '') || ')', '');
END
$$;

------------------------------------------------------------------------------
-- Retention.  The worked example, days 0-6 = 2026-10-05 .. 2026-10-11, in
-- tenant h13-ret on feature h13-reports: a, b and c are first active on
-- day 0; a returns on day 1, b on day 5, c never.  a also uses h13-export on
-- day 2.  h13-ret2 has a user named a too, a different user (ids are unique
-- within a tenant only), first active on day 3.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp) VALUES
	('h13-ret', 'a', 'h13-reports', '2026-10-05 10:00+00'),
	('h13-ret', 'b', 'h13-reports', '2026-10-05 23:59:59+00'),
	('h13-ret', 'c', 'h13-reports', '2026-10-05 00:00+00'),
	('h13-ret', 'a', 'h13-reports', '2026-10-06 01:00+00'),
	('h13-ret', 'a', 'h13-export', '2026-10-07 12:00+00'),
	('h13-ret', 'b', 'h13-reports', '2026-10-10 12:00+00'),
	('h13-ret2', 'a', 'h13-reports', '2026-10-08 09:00+00');

-- "on": day N counts the cohort's users active exactly on day N:
-- day 0 3/3, day 1 a 1/3, days 2-4 0, day 5 b 1/3, day 6 0
-- = 100/33/0/0/0/33/0 %.
SELECT * FROM adoption.retention('user', 'h13-reports', 'day', '2026-10-05', '2026-10-11', 'h13-ret', 'on');
-- "on or after": day N counts those active on day N or later: day 0 3/3,
-- day 1 a (day 1) and b (day 5) 2/3, days 2-5 b 1/3, day 6 0
-- = 100/66/33/33/33/33/0 %.
SELECT * FROM adoption.retention('user', 'h13-reports', 'day', '2026-10-05', '2026-10-11', 'h13-ret', 'on_or_after');
-- The same, checked as exact fractions.
SELECT array_agg(r.rate = x.rate ORDER BY r.period_number) AS exact
FROM adoption.retention('user', 'h13-reports', 'day', '2026-10-05', '2026-10-11', 'h13-ret', 'on_or_after') AS r
	JOIN unnest(ARRAY[1, 2 / 3.0::float8, 1 / 3.0::float8, 1 / 3.0::float8, 1 / 3.0::float8, 1 / 3.0::float8, 0])
		WITH ORDINALITY AS x (rate, i) ON x.i = r.period_number + 1;
-- Over all features a is active on days 0, 1 and 2: "on" 3, 1, 1, 0, 0, 1, 0.
-- Without the tenant: h13-ret2's a is a cohort of its own, 2026-10-08, with
-- periods 0-3 = 1, 0, 0, 0 (the range ends 3 days after it); h13-ret's
-- cohort is unchanged (3).  Nobody else has used h13-reports yet.
SELECT * FROM adoption.retention('user', NULL, 'day', '2026-10-05', '2026-10-11', 'h13-ret');
SELECT * FROM adoption.retention('user', 'h13-reports', 'day', '2026-10-05', '2026-10-11')
WHERE cohort_size > 0 AND cohort_start IN ('2026-10-05', '2026-10-08');
-- Tenants: h13-ret is active on days 0, 1, 2 and 5: one cohort of 1,
-- "on" 1, 1, 1, 0, 0, 1, 0.
SELECT * FROM adoption.retention('tenant', NULL, 'day', '2026-10-05', '2026-10-11', 'h13-ret');
-- Weeks: the range 2026-10-07 .. 2026-10-08 widens to the ISO week of
-- Monday 2026-10-05, one period: the cohort of 3 users.
SELECT * FROM adoption.retention('user', NULL, 'week', '2026-10-07', '2026-10-08', 'h13-ret');
-- Periods are UTC days whatever the session's time zone (c's event at
-- 00:00 UTC is on 2026-10-04 in Los Angeles): the same rows.
SET TimeZone = 'America/Los_Angeles';
SELECT * FROM adoption.retention('user', 'h13-reports', 'day', '2026-10-05', '2026-10-11', 'h13-ret', 'on');
RESET TimeZone;

-- Months are calendar months in UTC: m is active on 2026-01-31 23:59:59
-- and 2026-03-01 00:00 only.  Cohort January, "on" 1, 0, 1; "on or after"
-- 1, 1, 1; lifecycle new (Jan), dormant (Feb), resurrecting (Mar).
INSERT INTO adoption.settings (tenant_id, aha_successes) VALUES ('h13-mon', 3);
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp) VALUES
	('h13-mon', 'm', 'h13-reports', '2026-01-31 23:59:59+00'),
	('h13-mon', 'm', 'h13-reports', '2026-03-01 00:00:00+00');
SELECT o.cohort_start, o.period_number, o.retained AS retained_on, a.retained AS retained_on_or_after
FROM adoption.retention('user', NULL, 'month', '2026-01-15', '2026-03-15', 'h13-mon') AS o
	JOIN adoption.retention('user', NULL, 'month', '2026-01-15', '2026-03-15', 'h13-mon', 'on_or_after') AS a
		USING (cohort_start, period_number)
ORDER BY o.period_number;
SELECT * FROM adoption.lifecycle('user', NULL, 'month', '2026-01-15', '2026-03-15', 'h13-mon')
WHERE actors <> 0;

------------------------------------------------------------------------------
-- Lifecycle, weekly, 2026-09-08 (a Tuesday) .. 2026-10-15 (a Thursday),
-- widened to the weeks of Monday 2026-09-07 (period 0) .. 2026-10-12
-- (period 5); period -1 is the week of 2026-08-31.  Tenant h13-life:
--   x first seen in period 1 (2026-09-15), active in periods 1, 2 and 4
--     (2026-10-06, on h13-export): new(1), returning(2), dormant(3),
--     resurrecting(4), dormant(5);
--   y first seen on 2026-08-10, long before the range, active in period 2:
--     resurrecting(2) (not new), dormant(3);
--   z active in periods -1 (2026-09-01), 0 and 1 (2026-09-14 00:00):
--     returning(0), returning(1), dormant(2).
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp) VALUES
	('h13-life', 'x', 'h13-reports', '2026-09-15 08:00+00'),
	('h13-life', 'x', 'h13-reports', '2026-09-22 08:00+00'),
	('h13-life', 'x', 'h13-export', '2026-10-06 08:00+00'),
	('h13-life', 'y', 'h13-reports', '2026-08-10 08:00+00'),
	('h13-life', 'y', 'h13-reports', '2026-09-23 08:00+00'),
	('h13-life', 'z', 'h13-reports', '2026-09-01 08:00+00'),
	('h13-life', 'z', 'h13-reports', '2026-09-08 08:00+00'),
	('h13-life', 'z', 'h13-reports', '2026-09-14 00:00+00');
-- Per period: 0: returning 1 (z); 1: new 1 (x), returning 1 (z);
-- 2: returning 1 (x), resurrecting 1 (y), dormant -1 (z); 3: dormant -2
-- (x, y); 4: resurrecting 1 (x); 5: dormant -1 (x).
SELECT * FROM adoption.lifecycle('user', NULL, 'week', '2026-09-08', '2026-10-15', 'h13-life');
-- Per feature, first seen is the first use of that feature: on h13-export,
-- x is first seen on 2026-10-06: new(4), dormant(5).
SELECT * FROM adoption.lifecycle('user', 'h13-export', 'week', '2026-09-08', '2026-10-15', 'h13-life')
WHERE actors <> 0;
-- Tenants.  h13-early was created on 2026-09-01 (period -1) and first used
-- something on 2026-09-22 (period 2): resurrecting(2), not new; dormant(3).
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp) VALUES
	('h13-early', 'e', 'h13-reports', '2026-09-22 08:00+00'),
	('h13-fresh', 'f', 'h13-reports', '2026-09-15 08:00+00');
SELECT * FROM adoption.lifecycle('tenant', NULL, 'week', '2026-09-08', '2026-10-15', 'h13-early')
WHERE actors <> 0;
-- h13-fresh was registered by its first event (2026-09-15, period 1):
-- new(1), dormant(2).
SELECT * FROM adoption.lifecycle('tenant', NULL, 'week', '2026-09-08', '2026-10-15', 'h13-fresh')
WHERE actors <> 0;
-- h13-life as one tenant: first seen 2026-08-10; active in periods -1, 0,
-- 1, 2 and 4: returning(0), returning(1), returning(2), dormant(3),
-- resurrecting(4), dormant(5).
SELECT * FROM adoption.lifecycle('tenant', NULL, 'week', '2026-09-08', '2026-10-15', 'h13-life')
WHERE actors <> 0;

------------------------------------------------------------------------------
-- Stickiness.  h13-ret over all features: a active on days 0, 1, 2
-- (2026-10-05 .. 07), b on days 0 and 5, c on day 0; nobody before.
-- DAU/MAU per day: 3/3, 1/3, 1/3, 0/3, 0/3, 1/3, 0/3.
SELECT * FROM adoption.stickiness('user', NULL, 'day', '2026-10-05', '2026-10-11', 'h13-ret');
-- The week: mean (1 + 1/3 + 1/3 + 0 + 0 + 1/3 + 0) / 7 = 2/7 = 0.2857142857...;
-- active days a 3, b 2, c 1: {1,1,1,0,0,0,0}.
SELECT period_start, round(dau_mau::numeric, 12) AS dau_mau, dau_mau = 2 / 7.0::float8 AS exact,
	active_actors, active_days
FROM adoption.stickiness('user', NULL, 'week', '2026-10-05', '2026-10-11', 'h13-ret');
-- October: days 1-4 have MAU 0 and are left out; the 27 days 5 .. 31 have
-- MAU 3 and DAU 3, 1, 1, 0, 0, 1, 0, ...: (1 + 1/3 + 1/3 + 1/3) / 27 = 2/27;
-- 31 slots, actors active on 1, 2 and 3 days: c, b, a.
SELECT period_start, round(dau_mau::numeric, 12) AS dau_mau, dau_mau = 2 / 27.0::float8 AS exact,
	active_actors, active_days
FROM adoption.stickiness('user', NULL, 'month', '2026-10-01', '2026-10-31', 'h13-ret');
-- MAU is the 30 days ending on the day, read from before the range:
-- on 2026-09-08 it reaches back to 2026-08-10, where y was active: DAU 1
-- (z) / MAU 2 (y, z); on 09-09 y's day has left the window: 0 / 1.
SELECT * FROM adoption.stickiness('user', NULL, 'day', '2026-09-08', '2026-09-09', 'h13-life');

-- Days after today are left out of a period's mean: one event now in
-- h13-now makes today's ratio 1 (DAU 1 / MAU 1); the days before it have
-- MAU 0 and the days after it have not happened, so the week's mean is 1.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id) VALUES ('h13-now', 'n', 'h13-reports');
SELECT dau_mau, active_actors
FROM adoption.stickiness('user', NULL, 'week', (now() AT TIME ZONE 'UTC')::date, (now() AT TIME ZONE 'UTC')::date, 'h13-now');

------------------------------------------------------------------------------
-- PES, weekly: 2026-10-05 (period 0) and 2026-10-12 (period 1), tenant
-- h13-pes.  Core features: h13-reports and h13-export (h13-ai is premium;
-- every other feature is made premium for the test, in a transaction).
--   p: h13-reports 2026-10-05, 06, 07 (three successes: adopted 10-07),
--      h13-export 2026-10-13;
--   q: h13-ai 2026-10-12;
--   r: h13-reports 2026-10-01 (period -1) only.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp) VALUES
	('h13-pes', 'p', 'h13-reports', '2026-10-05 09:00+00'),
	('h13-pes', 'p', 'h13-reports', '2026-10-06 09:00+00'),
	('h13-pes', 'p', 'h13-reports', '2026-10-07 09:00+00'),
	('h13-pes', 'p', 'h13-export', '2026-10-13 09:00+00'),
	('h13-pes', 'q', 'h13-ai', '2026-10-12 09:00+00'),
	('h13-pes', 'r', 'h13-reports', '2026-10-01 09:00+00'),
	('h13-tp', 'v', 'h13-reports', '2026-10-05 09:00+00'),
	('h13-tp', 'v', 'h13-reports', '2026-10-06 09:00+00'),
	('h13-tp', 'v', 'h13-reports', '2026-10-07 09:00+00'),
	('h13-tp', 'v', 'h13-export', '2026-10-13 09:00+00');
SELECT user_id, feature_id, adopted_at AT TIME ZONE 'UTC' AS adopted_at_utc FROM adoption.user_feature_state
WHERE tenant_id = 'h13-pes' AND adopted_at IS NOT NULL;
BEGIN;
UPDATE adoption.features SET tier = 'premium' WHERE feature_id NOT IN ('h13-reports', 'h13-export');
-- adoption: period 0, active p, 1 of 2 core features adopted by 10-12: 50;
--   period 1, active p (1/2) and q (0/2): mean 1/4: 25.
-- stickiness: MAU is p, q, r as far as active within 30 days:
--   period 0: 10-05..07 DAU 1 / MAU 2 (p, r), 10-08..11 0/2: (3/2) / 7 = 3/14
--     = 21.428571...;
--   period 1: 10-12 q 1/3, 10-13 p 1/3, then 0/3: (2/3) / 7 = 2/21 = 9.523809...
-- growth: period 0 new 1 (p), dormant 1 (r): 1 / 2 = 50;
--   period 1 new 1 (q), returning 1 (p): 1 / 1 = 100.
-- score: (50 + 300/14 + 50) / 3 = 40.476190476...;
--   (25 + 200/21 + 100) / 3 = 44.841269841...
SELECT period_start, active_actors, round(adoption::numeric, 9) AS adoption,
	round(stickiness::numeric, 9) AS stickiness, round(growth::numeric, 9) AS growth,
	round(score::numeric, 9) AS score
FROM adoption.pes('user', NULL, 'week', '2026-10-05', '2026-10-18', 'h13-pes');
-- With a feature: adoption is the share of the actors active in the period
-- on ANY feature who adopted it (the population Pendo and Amplitude divide
-- by, not the feature's own users); stickiness, growth and active_actors
-- count only its uses.  h13-reports: period 0, active p (r's use is in
-- period -1), adopted: 100; stickiness (DAU 1 / MAU 2 (p, r) on 3 days)
-- 3/14; growth new p, dormant r: 50.  Period 1: nobody uses h13-reports
-- (active_actors 0), but p (h13-export) and q (h13-ai) are active and p
-- adopted it on 10-07: adoption 1/2 = 50; stickiness 0 (MAU 2), growth
-- dormant p: 0; score (50 + 0 + 0) / 3 = 16.666666667.
SELECT period_start, active_actors, round(adoption::numeric, 9) AS adoption,
	round(stickiness::numeric, 9) AS stickiness, round(growth::numeric, 9) AS growth,
	round(score::numeric, 9) AS score
FROM adoption.pes('user', 'h13-reports', 'week', '2026-10-05', '2026-10-18', 'h13-pes');
-- Tenants: h13-tp's only user v used h13-reports on 10-05, 06, 07 (the
-- tenant adopted it with v's adoption on 10-07: 1 of 1 active users) and
-- h13-export once on 10-13.
SELECT feature_id, feature_adopted_at AT TIME ZONE 'UTC' AS feature_adopted_at_utc
FROM adoption.tenant_feature_state WHERE tenant_id = 'h13-tp' ORDER BY feature_id;
-- adoption: 1 of 2 core features in both weeks: 50, 50;
-- stickiness: 3 active days of 7 with MAU 1, then 1 of 7: 300/7, 100/7;
-- growth: first seen 10-05 (its created_at is later, now()), new in period
--   0: 1 / 1 = 100; period 1 only returning: no denominator, NULL;
-- score: (50 + 300/7 + 100) / 3 = 64.285714286; (50 + 100/7) / 2 = 32.142857143.
SELECT period_start, active_actors, round(adoption::numeric, 9) AS adoption,
	round(stickiness::numeric, 9) AS stickiness, round(growth::numeric, 9) AS growth,
	round(score::numeric, 9) AS score
FROM adoption.pes('tenant', NULL, 'week', '2026-10-05', '2026-10-18', 'h13-tp');
-- Daily, 2026-10-05 .. 07, h13-pes (by day pes derives lifecycle's days,
-- the day before the range included, from stickiness's daily activity):
-- active every day: p only.  adoption: p adopted h13-reports on 10-07 at
-- 09:00: 0/2, 0/2, 1/2: 0, 0, 50.  stickiness: DAU 1 (p) / MAU 2 (p, r):
-- 50 each day.  growth: 10-05 p new (first seen that day), r was last
-- active 10-01 (its dormant day is 10-02): 1 / 1 = 100; then p returning
-- only: NULL.  score: (0 + 50 + 100) / 3 = 50, (0 + 50) / 2 = 25, (50 + 50) / 2 = 50.
SELECT period_start, active_actors, round(adoption::numeric, 9) AS adoption,
	round(stickiness::numeric, 9) AS stickiness, round(growth::numeric, 9) AS growth,
	round(score::numeric, 9) AS score
FROM adoption.pes('user', NULL, 'day', '2026-10-05', '2026-10-07', 'h13-pes');
-- 2026-10-02 .. 03: r, active on 10-01 (the day before the range), is
-- dormant on 10-02: growth 0 / 1 = 0, then no denominator; nobody active:
-- adoption NULL; stickiness DAU 0 / MAU 1 (r): 0; score 0, 0.
SELECT period_start, active_actors, adoption, stickiness, growth, score
FROM adoption.pes('user', NULL, 'day', '2026-10-02', '2026-10-03', 'h13-pes');
-- Against the definition in plain SQL, for users and tenants, over all
-- features and one, by day, week and month, in every tenant and in one:
-- adoption = 100 x the mean over the actors with an event (of any feature)
-- in the period of (core features, or feature_id, launched by the period's
-- end that the actor adopted by then) / (those features); stickiness and
-- growth as stickiness() and lifecycle() compute them, each with its own
-- scan of the events.
CREATE FUNCTION pg_temp.pes_reference(actor text, feature_id text, period text, from_date date, to_date date, tenant_id text)
RETURNS TABLE (period_start date, active_actors bigint, adoption double precision,
	stickiness double precision, growth double precision)
LANGUAGE sql AS $$
	WITH per AS (
		SELECT g.ps, (g.ps + CASE period WHEN 'day' THEN interval '1 day' WHEN 'week' THEN interval '7 days'
				ELSE interval '1 month' END)::timestamp AT TIME ZONE 'UTC' AS e
		FROM (SELECT DISTINCT s.period_start AS ps
			FROM adoption.stickiness(actor, feature_id, period, from_date, to_date, tenant_id) AS s) AS g
	), core AS MATERIALIZED (
		SELECT f.feature_id, f.launched_at FROM adoption.features AS f
		WHERE (pes_reference.feature_id IS NULL AND f.tier = 'core') OR f.feature_id = pes_reference.feature_id
	), active AS (
		SELECT DISTINCT per.ps, e.tenant_id AS t, CASE WHEN actor = 'user' THEN e.user_id ELSE '' END AS u
		FROM adoption.feature_usage_events AS e
		JOIN per ON e.usage_timestamp >= per.ps::timestamp AT TIME ZONE 'UTC' AND e.usage_timestamp < per.e
		WHERE pes_reference.tenant_id IS NULL OR e.tenant_id = pes_reference.tenant_id
	), adopted AS MATERIALIZED (
		SELECT s.tenant_id AS t, s.user_id AS u, s.feature_id, s.adopted_at AS at
		FROM adoption.user_feature_state AS s WHERE actor = 'user' AND s.adopted_at IS NOT NULL
		UNION ALL
		SELECT s.tenant_id, '', s.feature_id, s.feature_adopted_at
		FROM adoption.tenant_feature_state AS s WHERE actor = 'tenant' AND s.feature_adopted_at IS NOT NULL
	), shares AS (
		SELECT a.ps, a.t, a.u,
			(SELECT count(*) FROM adopted AS d JOIN core AS c ON c.feature_id = d.feature_id
				WHERE d.t = a.t AND d.u = a.u AND d.at < per.e AND (c.launched_at IS NULL OR c.launched_at < per.e))::double precision
			/ nullif((SELECT count(*) FROM core AS c WHERE c.launched_at IS NULL OR c.launched_at < per.e), 0) AS share
		FROM active AS a JOIN per ON per.ps = a.ps
	), growth AS (
		SELECT l.period_start AS ps, 100 * sum(l.actors) FILTER (WHERE l.status IN ('new', 'resurrecting'))::double precision
				/ nullif(sum(abs(l.actors)) FILTER (WHERE l.status <> 'returning'), 0) AS v
		FROM adoption.lifecycle(actor, feature_id, period, from_date, to_date, tenant_id) AS l
		GROUP BY l.period_start
	)
	SELECT s.period_start, s.active_actors,
		(SELECT 100 * avg(shares.share) FROM shares WHERE shares.ps = s.period_start),
		100 * s.dau_mau, g.v
	FROM adoption.stickiness(actor, feature_id, period, from_date, to_date, tenant_id) AS s
	LEFT JOIN growth AS g ON g.ps = s.period_start
$$;
CREATE TEMP TABLE pes_cases AS
SELECT a.actor, f.feature_id, p.period, t.tenant_id
FROM (VALUES ('user'), ('tenant')) AS a (actor), (VALUES (NULL), ('h13-reports')) AS f (feature_id),
	(VALUES ('day'), ('week'), ('month')) AS p (period), (VALUES (NULL), ('h13-pes')) AS t (tenant_id);
-- (rows with an adoption part are counted in h13-pes alone: over every
-- tenant they depend on what the other tests left.)
SELECT count(DISTINCT c) AS cases, count(*) AS rows, count(j.adoption) FILTER (WHERE c.tenant_id = 'h13-pes') AS h13_pes_rows_with_adoption,
	count(*) FILTER (WHERE j.ps IS NULL OR j.x_ps IS NULL OR j.act IS DISTINCT FROM j.x_act
		OR (j.adoption IS NULL) <> (j.x_adoption IS NULL) OR abs(j.adoption - j.x_adoption) > 1e-9
		OR (j.stickiness IS NULL) <> (j.x_stickiness IS NULL) OR abs(j.stickiness - j.x_stickiness) > 1e-9
		OR (j.growth IS NULL) <> (j.x_growth IS NULL) OR abs(j.growth - j.x_growth) > 1e-9) AS rows_differing
FROM pes_cases AS c
CROSS JOIN LATERAL (SELECT n.period_start AS ps, n.active_actors AS act, n.adoption, n.stickiness, n.growth,
		x.period_start AS x_ps, x.active_actors AS x_act, x.adoption AS x_adoption,
		x.stickiness AS x_stickiness, x.growth AS x_growth
	FROM adoption.pes(c.actor, c.feature_id, c.period, '2026-09-28', '2026-10-18', c.tenant_id) AS n
	FULL JOIN pg_temp.pes_reference(c.actor, c.feature_id, c.period, '2026-09-28', '2026-10-18', c.tenant_id) AS x
		ON x.period_start = n.period_start) AS j;
ROLLBACK;

------------------------------------------------------------------------------
-- Feature retention, days 2026-10-05 .. 08 (periods 0-3), tenant h13-fr,
-- retention on the day after the cohort day (interval_number 1):
--   u1 3 x h13-reports on day 0 (adopted), day 1: adopter, retained;
--   u2 3 x h13-reports on day 0 (adopted): adopter, not retained;
--   u3 3 x h13-export on day 0 (adopted), day 1: adopter, retained;
--   u4 1 x h13-export day 0, day 1: retained;
--   u5 1 x h13-export day 0: not retained;
--   u6 first active on day 3: its day 4 is outside the range, not counted;
--   u7 3 x h13-reports on day 1 (cohort 1, adopted), day 2: adopter, retained;
--   u8 h13-reports on day 0, twice on day 1 (adopted on day 1, after its
--      cohort day): not an adopter, retained.
-- Counted 7 (u1-u5, u7, u8), retained 5 (u1, u3, u4, u7, u8).
-- h13-reports: adopters u1, u2, u7: 2/3; the other 4: u3, u4, u8 3/4;
--   lift (2/3) / (3/4) = 8/9.
-- h13-export: adopter u3: 1/1; the other 6: u1, u4, u7, u8 4/6; lift 3/2.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp) VALUES
	('h13-fr', 'u1', 'h13-reports', '2026-10-05 09:00+00'),
	('h13-fr', 'u1', 'h13-reports', '2026-10-05 10:00+00'),
	('h13-fr', 'u1', 'h13-reports', '2026-10-05 11:00+00'),
	('h13-fr', 'u1', 'h13-reports', '2026-10-06 09:00+00'),
	('h13-fr', 'u2', 'h13-reports', '2026-10-05 09:00+00'),
	('h13-fr', 'u2', 'h13-reports', '2026-10-05 10:00+00'),
	('h13-fr', 'u2', 'h13-reports', '2026-10-05 11:00+00'),
	('h13-fr', 'u3', 'h13-export', '2026-10-05 09:00+00'),
	('h13-fr', 'u3', 'h13-export', '2026-10-05 10:00+00'),
	('h13-fr', 'u3', 'h13-export', '2026-10-05 11:00+00'),
	('h13-fr', 'u3', 'h13-reports', '2026-10-06 09:00+00'),
	('h13-fr', 'u4', 'h13-export', '2026-10-05 09:00+00'),
	('h13-fr', 'u4', 'h13-export', '2026-10-06 09:00+00'),
	('h13-fr', 'u5', 'h13-export', '2026-10-05 09:00+00'),
	('h13-fr', 'u6', 'h13-reports', '2026-10-08 09:00+00'),
	('h13-fr', 'u7', 'h13-reports', '2026-10-06 09:00+00'),
	('h13-fr', 'u7', 'h13-reports', '2026-10-06 10:00+00'),
	('h13-fr', 'u7', 'h13-reports', '2026-10-06 11:00+00'),
	('h13-fr', 'u7', 'h13-reports', '2026-10-07 09:00+00'),
	('h13-fr', 'u8', 'h13-reports', '2026-10-05 09:00+00'),
	('h13-fr', 'u8', 'h13-reports', '2026-10-06 09:00+00'),
	('h13-fr', 'u8', 'h13-reports', '2026-10-06 10:00+00');
SELECT feature, adopters, adopters_retained, round(adopter_rate::numeric, 9) AS adopter_rate,
	non_adopters, non_adopters_retained, round(non_adopter_rate::numeric, 9) AS non_adopter_rate,
	round(lift::numeric, 9) AS lift, lift = (2 / 3.0::float8) / (3 / 4.0::float8) OR lift = 1.5 AS exact
FROM adoption.feature_retention('user', NULL, 'day', '2026-10-05', '2026-10-08', 'h13-fr', 1);
-- One feature only.
SELECT feature, adopters, non_adopters
FROM adoption.feature_retention('user', 'h13-export', 'day', '2026-10-05', '2026-10-08', 'h13-fr', 1);

------------------------------------------------------------------------------
-- Bad input: SQLSTATE 22023 with a hint listing the valid values.
SELECT pg_temp.err($$SELECT * FROM adoption.retention('account')$$);
SELECT pg_temp.err($$SELECT * FROM adoption.lifecycle(NULL)$$);
SELECT pg_temp.err($$SELECT * FROM adoption.stickiness('user', NULL, 'quarter')$$);
SELECT pg_temp.err($$SELECT * FROM adoption.retention(mode => 'after')$$);
SELECT pg_temp.err($$SELECT * FROM adoption.pes('user', NULL, 'day', '2026-10-05', '2026-10-01')$$);
SELECT pg_temp.err($$SELECT * FROM adoption.retention('user', NULL, 'day', NULL, '2026-10-01')$$);
SELECT pg_temp.err($$SELECT * FROM adoption.lifecycle('user', NULL, 'month', '2016-01-01', '2026-01-02')$$);
SELECT pg_temp.err($$SELECT * FROM adoption.feature_retention('user', NULL, 'day', '2026-10-05', '2026-10-08', NULL, 4)$$);
SELECT pg_temp.err($$SELECT * FROM adoption.feature_retention('user', NULL, 'day', '2026-10-05', '2026-10-08', NULL, NULL)$$);
-- Exactly ten years is allowed.
SELECT count(*) > 0 AS ok FROM adoption.lifecycle('user', NULL, 'month', '2016-01-02', '2026-01-02', 'h13-ret');
-- States handed in by hand are checked.
SELECT pg_temp.err($$SELECT adoption.retention_matrix_combinefn('{3,0,1,2,3,4,5,6}', '{2,0,1,2,3}')$$);
SELECT pg_temp.err($$SELECT adoption.retention_matrix_combinefn('{1,7,1}', '{1,7,1}')$$);
SELECT pg_temp.err($$SELECT adoption.lifecycle_counts_combinefn('{2,1,1,1,1,1,1,1,1}', '{2,1,1}')$$);
SELECT pg_temp.err($$SELECT adoption.stickiness_counts_combinefn('{1,2}', '{1,2}')$$);
SELECT pg_temp.err($$SELECT adoption.active_periods_combinefn(B'101', B'10')$$);
-- A stickiness state of 2 days with room for one period, given days that
-- make two periods, is refused (it would be written past its end).
SELECT pg_temp.err($$SELECT adoption.stickiness_counts_transfn(
	array_cat('{2,0,0,1,1}'::bigint[], array_fill(0::bigint, ARRAY[2 * 2 + 32])), B'11', 0, '2000-01-01', 'day')$$);
SELECT pg_temp.err($$SELECT * FROM adoption.retention_rows('{2,0,1,1}')$$);
SELECT pg_temp.err($$SELECT adoption.active_periods(t, '2026-01-01', 'fortnight', 3) FROM (VALUES (now())) AS v (t)$$);
SELECT pg_temp.err($$SELECT adoption.active_periods(t, '2026-01-01', 'day', 0) FROM (VALUES (now())) AS v (t)$$);
-- period_index: ISO weeks start on Monday, months are calendar months.
SELECT adoption.period_index('2026-10-11 23:59+00', '2026-10-05', 'week') AS sunday,
	adoption.period_index('2026-10-12 00:00+00', '2026-10-05', 'week') AS monday,
	adoption.period_index('2026-09-30 23:59+00', '2026-10-01', 'month') AS september,
	adoption.period_index('2027-01-01 00:00+00', '2026-10-01', 'month') AS january;

------------------------------------------------------------------------------
-- Hostile objects planted in public, first on the search_path, are never
-- called: every function pins its search_path (each trap raises if called).
CREATE FUNCTION public.h13_texteq(text, text) RETURNS boolean
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: text = text'; END $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.h13_texteq);
CREATE FUNCTION public.get_bit(varbit, integer) RETURNS integer
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: get_bit'; END $$;
CREATE FUNCTION public.date_trunc(text, timestamp) RETURNS timestamp
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: date_trunc'; END $$;
CREATE FUNCTION public.generate_series(integer, integer) RETURNS SETOF integer
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: generate_series'; END $$;
SET search_path = public, pg_catalog;
-- The traps work: an unqualified reference falls into them.
\set SHOW_CONTEXT never
SELECT 'a'::text = 'b'::text;
SELECT get_bit(B'1'::varbit, 0);
\set SHOW_CONTEXT errors
-- The worked example again (3, 1, 0, 0, 0, 1, 0: 7 rows, 5 retained),
-- x's lifecycle tenant (6 non-zero rows), PES and feature retention.
SELECT pg_catalog.count(*) AS n, pg_catalog.sum(retained) AS retained
FROM adoption.retention('user', 'h13-reports', 'day', '2026-10-05', '2026-10-11', 'h13-ret');
SELECT pg_catalog.count(*) FILTER (WHERE actors OPERATOR(pg_catalog.<>) 0) AS nonzero
FROM adoption.lifecycle('tenant', NULL, 'week', '2026-09-08', '2026-10-15', 'h13-life');
SELECT pg_catalog.count(*) AS periods FROM adoption.pes('user', NULL, 'week', '2026-10-05', '2026-10-18', 'h13-pes');
SELECT pg_catalog.count(*) AS features FROM adoption.feature_retention('user', NULL, 'day', '2026-10-05', '2026-10-08', 'h13-fr', 1);
SELECT pg_catalog.count(*) AS days FROM adoption.stickiness('user', NULL, 'day', '2026-10-05', '2026-10-11', 'h13-ret');
RESET search_path;
DROP FUNCTION public.generate_series(integer, integer);
DROP FUNCTION public.date_trunc(text, timestamp);
DROP FUNCTION public.get_bit(varbit, integer);
DROP OPERATOR public.= (text, text);
DROP FUNCTION public.h13_texteq(text, text);

------------------------------------------------------------------------------
-- Parallel plans: the aggregates have combine functions on SQL-typed
-- states, so partial aggregation in workers gives the same result.
CREATE TABLE h13_par AS
SELECT 'u' || (i % 5000) AS u,
	timestamptz '2026-01-01 00:00+00' + ((i * 7919) % 90) * interval '1 day' AS ts
FROM generate_series(1, 200000) AS i;
ANALYZE h13_par;
CREATE TABLE h13_serial AS
SELECT adoption.retention_matrix(bits, false) AS r_on, adoption.retention_matrix(bits, true) AS r_after,
	adoption.lifecycle_counts(B'0' || bits, NULL) AS life,
	adoption.stickiness_counts(B'0' || bits, 1, '2026-01-01', 'week') AS stick
FROM (SELECT u, adoption.active_periods(ts, '2026-01-01', 'day', 90) AS bits FROM h13_par GROUP BY u) AS a;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT adoption.retention_matrix(bits, false)
FROM (SELECT u, adoption.active_periods(ts, '2026-01-01', 'day', 90) AS bits FROM h13_par GROUP BY u) AS a;
CREATE TABLE h13_bits AS
SELECT u, adoption.active_periods(ts, '2026-01-01', 'day', 90) AS bits FROM h13_par GROUP BY u;
EXPLAIN (COSTS OFF)
SELECT adoption.retention_matrix(bits, false), adoption.lifecycle_counts(B'0' || bits, NULL)
FROM h13_bits;
SELECT adoption.retention_matrix(p.bits, false) = s.r_on AS r_on,
	adoption.retention_matrix(p.bits, true) = s.r_after AS r_after,
	adoption.lifecycle_counts(B'0' || p.bits, NULL) = s.life AS life,
	adoption.stickiness_counts(B'0' || p.bits, 1, '2026-01-01', 'week') = s.stick AS stick
FROM (SELECT u, adoption.active_periods(ts, '2026-01-01', 'day', 90) AS bits FROM h13_par GROUP BY u) AS p,
	h13_serial AS s
GROUP BY s.r_on, s.r_after, s.life, s.stick;
-- User u is active on the 9 days d = -(u + 5000 j) mod 90 (7919 = -1 and
-- 5000 = 50 mod 90, and 50 j mod 90 runs through the multiples of 10), the
-- days d = -u mod 10: cohort 0 is the 500 users with u = 0 mod 10.
SELECT (SELECT count(*) FROM h13_bits) AS actors,
	(SELECT r_on[3] FROM h13_serial) AS cohort_0_size;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
DROP TABLE h13_par, h13_serial, h13_bits;
