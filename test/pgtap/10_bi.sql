-- pgTAP: the daily adoption snapshots (bi.sql, docs/bi.md).
--   1. A case worked out by hand (tenant h, active_window 2 days): every
--      row of adoption_daily, kept incrementally, then a late event of a
--      past day and the incremental run again.
--   2. Random events of three tenants loaded in two batches, the second
--      full of late events, with incremental runs between: the snapshots
--      equal plain SQL written from docs/adoption-state.md over the log
--      (bi_reference below), and so does a backfill of past days.
--   3. The roll-ups and the across-tenant view against sums of the daily
--      rows; bad arguments.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION pg_adoption;
SET client_min_messages = warning;
SET TimeZone = 'UTC';

SELECT plan(19);

-- B = ten days before today (UTC): days B-1 .. B+10 (today, partial).
CREATE TEMP TABLE b AS SELECT (now() AT TIME ZONE 'UTC')::date - 10 AS b;
CREATE FUNCTION pg_temp.at(d integer, hour integer) RETURNS timestamptz LANGUAGE sql
RETURN ((SELECT b FROM b) + d)::timestamp AT TIME ZONE 'UTC' + hour * interval '1 hour';

INSERT INTO adoption.tenants (tenant_id) VALUES ('h');
INSERT INTO adoption.settings (tenant_id, active_window) VALUES ('h', '2 days');
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome) VALUES
	('h', 'u1', 'f', pg_temp.at(0, 12), true), ('h', 'u1', 'f', pg_temp.at(1, 12), true),
	('h', 'u1', 'f', pg_temp.at(2, 12), true), ('h', 'u2', 'g', pg_temp.at(1, 12), true),
	('h', 'u3', 'f', pg_temp.at(3, 10), true), ('h', 'u3', 'f', pg_temp.at(3, 11), true),
	('h', 'u3', 'f', pg_temp.at(3, 12), true), ('h', 'u3', 'f', pg_temp.at(3, 13), true),
	('h', 'u3', 'f', pg_temp.at(3, 14), true);
SELECT ok(adoption.snapshot_adoption() = 11, 'the first incremental run writes tenant h''s days B .. today (11)');

-- By hand, with W = 2 days (active at the end of D: an event on D-1 or D),
-- k = 3, n = 5: u1 adopts f at B+2 12:00, u3 adopts it at B+3 12:00 and is
-- habitual at B+3 14:00; the milestone feature_adopted is reached at
-- B+3 12:00 (u2's event of B+1 12:00 leaves the window then: A = {u1, u3}).
-- Columns: feature, day, active_users, active_adopters, adoption_rate,
-- active_habitual, activated, adopted, habitual, new_adopters, tenant_adopted, partial.
CREATE TEMP TABLE hand (feature_id text, d integer, active_users integer, active_adopters integer,
	adoption_rate float8, active_habitual integer, activated_users integer, adopted_users integer,
	habitual_users integer, new_adopters integer, tenant_adopted boolean);
INSERT INTO hand VALUES
	('f', 0, 1, 0, 0, 0, 1, 0, 0, 0, false),
	('f', 1, 2, 0, 0, 0, 1, 0, 0, 0, false),
	('f', 2, 2, 1, 0.5, 0, 1, 1, 0, 1, false),
	('f', 3, 2, 2, 1, 1, 2, 2, 1, 1, true),
	('f', 4, 1, 1, 1, 1, 2, 2, 1, 0, true),
	('g', 1, 2, 0, 0, 0, 1, 0, 0, 0, false),
	('g', 2, 2, 0, 0, 0, 1, 0, 0, 0, false),
	('g', 3, 2, 0, 0, 0, 1, 0, 0, 0, false),
	('g', 4, 1, 0, 0, 0, 1, 0, 0, 0, false);
-- From B+5 on nobody is active: rate NULL, the cumulative counts stay.
INSERT INTO hand SELECT 'f', d, 0, 0, NULL, 0, 2, 2, 1, 0, true FROM generate_series(5, 10) AS d;
INSERT INTO hand SELECT 'g', d, 0, 0, NULL, 0, 1, 0, 0, 0, false FROM generate_series(5, 10) AS d;

CREATE TEMP VIEW got_h AS
SELECT feature_id, day - (SELECT b FROM b) AS d, active_users, active_adopters, adoption_rate, active_habitual,
	activated_users, adopted_users, habitual_users, new_adopters, tenant_adopted, partial
FROM adoption.adoption_daily WHERE tenant_id = 'h';
SELECT set_eq('SELECT * FROM got_h', 'SELECT *, d = 10 FROM hand',
	'tenant h: every row of adoption_daily is the one worked out by hand (only today partial)');

-- A late event: u4 used f on B-1 (unsuccessfully).  It adds day B-1 and
-- makes u4 active at the end of B-1 and B; nothing after changes.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
VALUES ('h', 'u4', 'f', pg_temp.at(-1, 12), false);
SELECT ok(adoption.snapshot_adoption() = 12, 'the incremental run after the late event rewrites B-1 .. today (12 days)');
UPDATE hand SET active_users = 2, activated_users = 2 WHERE feature_id = 'f' AND d = 0;
UPDATE hand SET activated_users = activated_users + 1 WHERE feature_id = 'f' AND d >= 1;
UPDATE hand SET active_users = 2 WHERE feature_id = 'g' AND d = 0;
INSERT INTO hand VALUES ('f', -1, 1, 0, 0, 0, 1, 0, 0, 0, false);
SELECT set_eq('SELECT * FROM got_h', 'SELECT *, d = 10 FROM hand',
	'tenant h after the late event: the rows worked out by hand');
SELECT is((SELECT array_agg(active_users ORDER BY day) FROM adoption.tenant_activity_daily WHERE tenant_id = 'h'
		AND day <= (SELECT b FROM b) + 5),
	ARRAY[1, 2, 2, 2, 2, 1, 0], 'tenant_activity_daily: active users of h from B-1 to B+5');
SELECT is((SELECT array_agg(events ORDER BY day) FROM adoption.tenant_activity_daily WHERE tenant_id = 'h'
		AND day <= (SELECT b FROM b) + 4),
	ARRAY[1, 1, 2, 1, 5, 0]::bigint[], 'tenant_activity_daily: events of h per day');

-- 2. Random events of three tenants (20 users, 4 features, 40 days), the
-- second batch scattered over the same days (late events).
CREATE TEMP TABLE rnd AS
SELECT i, 't' || (i % 3) AS tenant_id, 'r' || (hashint4(i) & 15 + (i % 3) * 3) % 20 AS user_id,
	'x' || (hashint4(i * 7) & 3) AS feature_id,
	now() - ((hashint4(i * 13) & 1023) * interval '56 minutes') AS usage_timestamp,
	(hashint4(i * 17) & 7) <> 0 AS success_outcome
FROM generate_series(1, 1500) AS i;
INSERT INTO adoption.settings (tenant_id, aha_successes, active_window) VALUES ('t1', 2, '5 days'), ('t2', 4, '3 days 12 hours');
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT tenant_id, user_id, feature_id, usage_timestamp, success_outcome FROM rnd WHERE i % 2 = 0;
SELECT ok(adoption.snapshot_adoption() > 0, 'incremental run after the first batch');
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT tenant_id, user_id, feature_id, usage_timestamp, success_outcome FROM rnd WHERE i % 2 = 1 AND i % 5 <> 0;
SELECT ok(adoption.snapshot_adoption() > 0, 'incremental run after the late events of the second batch');
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT tenant_id, user_id, feature_id, usage_timestamp, success_outcome FROM rnd WHERE i % 2 = 1 AND i % 5 = 0;
SELECT ok(adoption.snapshot_adoption() > 0, 'incremental run after a third batch');

-- The definitions, over the log alone: R = day + 1 (midnight UTC); active =
-- an event in [R - W, R); adopted_at = the k-th earliest success;
-- habitual_at = the earliest use with n uses in less than 7 days up to it.
CREATE TEMP VIEW bi_reference AS
WITH e AS (SELECT * FROM adoption.feature_usage_events),
s AS (SELECT tenant_id, aha_successes AS k, usage_velocity_threshold AS n, active_window AS w
	FROM adoption.effective_settings),
days AS (
	SELECT x.tenant_id, g::date AS day, (g + interval '1 day') AT TIME ZONE 'UTC' AS r
	FROM (SELECT tenant_id, min(usage_timestamp) AS first FROM e GROUP BY 1) AS x,
		generate_series(date_trunc('day', x.first AT TIME ZONE 'UTC'), date_trunc('day', now() AT TIME ZONE 'UTC'), interval '1 day') AS g
),
active AS (
	SELECT DISTINCT d.tenant_id, d.day, e.user_id
	FROM days AS d JOIN s USING (tenant_id)
	JOIN e ON e.tenant_id = d.tenant_id AND e.usage_timestamp >= d.r - s.w AND e.usage_timestamp < d.r
),
adopted AS (
	SELECT x.tenant_id, x.feature_id, x.user_id, x.usage_timestamp AS adopted_at
	FROM (SELECT e.*, row_number() OVER (PARTITION BY tenant_id, feature_id, user_id ORDER BY usage_timestamp) AS j
		FROM e WHERE success_outcome) AS x JOIN s USING (tenant_id)
	WHERE x.j = s.k
),
habitual AS (
	SELECT x.tenant_id, x.feature_id, x.user_id, min(x.t) AS habitual_at
	FROM (SELECT e.tenant_id, e.feature_id, e.user_id, e.usage_timestamp AS t,
			lag(e.usage_timestamp, s.n - 1) OVER (PARTITION BY e.tenant_id, e.feature_id, e.user_id
				ORDER BY e.usage_timestamp) AS before
		FROM e JOIN s USING (tenant_id)) AS x
	WHERE x.t - x.before < interval '7 days'
	GROUP BY 1, 2, 3
),
uf AS (
	SELECT e.tenant_id, e.feature_id, e.user_id, min(e.usage_timestamp) AS activated_at, a.adopted_at, h.habitual_at
	FROM e
	LEFT JOIN adopted AS a USING (tenant_id, feature_id, user_id)
	LEFT JOIN habitual AS h USING (tenant_id, feature_id, user_id)
	GROUP BY 1, 2, 3, a.adopted_at, h.habitual_at
)
SELECT d.tenant_id, f.feature_id, d.day,
	(SELECT count(*) FROM active AS a WHERE a.tenant_id = d.tenant_id AND a.day = d.day)::integer AS active_users,
	(SELECT count(*) FROM active AS a JOIN uf AS u USING (tenant_id, user_id)
		WHERE a.tenant_id = d.tenant_id AND a.day = d.day AND u.feature_id = f.feature_id AND u.adopted_at < d.r)::integer AS active_adopters,
	(SELECT count(*) FROM active AS a JOIN uf AS u USING (tenant_id, user_id)
		WHERE a.tenant_id = d.tenant_id AND a.day = d.day AND u.feature_id = f.feature_id AND u.habitual_at < d.r)::integer AS active_habitual,
	(SELECT count(*) FROM uf AS u WHERE u.tenant_id = d.tenant_id AND u.feature_id = f.feature_id AND u.activated_at < d.r)::integer AS activated_users,
	(SELECT count(*) FROM uf AS u WHERE u.tenant_id = d.tenant_id AND u.feature_id = f.feature_id AND u.adopted_at < d.r)::integer AS adopted_users,
	(SELECT count(*) FROM uf AS u WHERE u.tenant_id = d.tenant_id AND u.feature_id = f.feature_id AND u.habitual_at < d.r)::integer AS habitual_users,
	(SELECT count(*) FROM uf AS u WHERE u.tenant_id = d.tenant_id AND u.feature_id = f.feature_id
		AND u.adopted_at >= d.r - interval '1 day' AND u.adopted_at < d.r)::integer AS new_adopters
FROM days AS d
JOIN (SELECT tenant_id, feature_id, min(activated_at) AS first FROM uf GROUP BY 1, 2) AS f
	ON f.tenant_id = d.tenant_id AND f.first < d.r;

CREATE TEMP VIEW got_all AS
SELECT tenant_id, feature_id, day, active_users, active_adopters, active_habitual, activated_users,
	adopted_users, habitual_users, new_adopters
FROM adoption.adoption_daily;
SELECT ok((SELECT count(*) FROM bi_reference WHERE tenant_id LIKE 't%') > 300, 'the reference has rows for the random tenants');
SELECT set_eq('SELECT * FROM got_all', 'SELECT * FROM bi_reference',
	'incremental snapshots after late events = the definitions over the log (every tenant, feature and day)');
SELECT is((SELECT count(*) FROM adoption.daily_tenant_snapshots AS s
		WHERE s.active_users <> (SELECT count(DISTINCT e.user_id) FROM adoption.feature_usage_events AS e
			JOIN adoption.effective_settings AS x USING (tenant_id)
			WHERE e.tenant_id = s.tenant_id AND e.usage_timestamp < (s.day + 1)::timestamp AT TIME ZONE 'UTC'
				AND e.usage_timestamp >= (s.day + 1)::timestamp AT TIME ZONE 'UTC' - x.active_window)),
	0::bigint, 'tenant_activity_daily: active users of every tenant and day = users with an event in [R - W, R)');

-- A backfill of past days recomputes them: equal to the incremental rows and the reference.
SELECT ok(adoption.snapshot_adoption((now() AT TIME ZONE 'UTC')::date - 20) > 0, 'backfill of the last 20 days');
SELECT set_eq('SELECT * FROM got_all', 'SELECT * FROM bi_reference',
	'after the backfill, the snapshots still equal the definitions');

-- 3. Roll-ups: a week's row is its last day's row; new adopters sum over the week.
SELECT set_eq(
	$$SELECT tenant_id, feature_id, week, active_users, active_adopters, new_adopters FROM adoption.adoption_weekly$$,
	$$SELECT tenant_id, feature_id, date_trunc('week', day)::date AS week, (array_agg(active_users ORDER BY day DESC))[1] AS u,
		(array_agg(active_adopters ORDER BY day DESC))[1] AS a, sum(new_adopters) AS n
	FROM adoption.adoption_daily GROUP BY 1, 2, 3$$,
	'adoption_weekly: end-of-week values and the week''s new adopters');
-- Across tenants: the denominator is every tenant's active users.
SELECT set_eq(
	$$SELECT feature_id, day, active_users, active_adopters FROM adoption.feature_adoption_daily
		WHERE feature_id IN ('f', 'x0')$$,
	$$SELECT f.feature_id, t.day, sum(t.active_users) AS u, coalesce((SELECT sum(a.active_adopters) FROM adoption.adoption_daily AS a
			WHERE a.feature_id = f.feature_id AND a.day = t.day), 0) AS a
	FROM adoption.tenant_activity_daily AS t CROSS JOIN (VALUES ('f'), ('x0')) AS f(feature_id) GROUP BY 1, 2$$,
	'feature_adoption_daily: adopters of all tenants over all tenants'' active users');

-- A reader limited to one tenant (adoption_tenant) gets the across-tenant
-- view summed over its own rows; an analyst the stored totals of all.
SET LOCAL ROLE adoption_analyst;
SELECT set_eq(
	$$SELECT feature_id, day, active_users, active_adopters, tenants FROM adoption.feature_adoption_daily WHERE feature_id = 'f'$$,
	$$SELECT 'f', day, sum(active_users), coalesce(sum(active_adopters) FILTER (WHERE feature_id = 'f'), 0), count(DISTINCT tenant_id)
	FROM (SELECT t.day, t.tenant_id, t.active_users, NULL::text AS feature_id, 0 AS active_adopters FROM adoption.tenant_activity_daily AS t
		UNION ALL SELECT a.day, a.tenant_id, 0, a.feature_id, a.active_adopters FROM adoption.adoption_daily AS a) AS x GROUP BY day$$,
	'as adoption_analyst: feature_adoption_daily of f = sums over every tenant');
RESET ROLE;
SET LOCAL adoption.tenant_id = 'h';
SET LOCAL ROLE adoption_tenant;
SELECT set_eq(
	$$SELECT day, active_users, active_adopters, tenants FROM adoption.feature_adoption_daily WHERE feature_id = 'f'$$,
	$$SELECT day, active_users::numeric, active_adopters::numeric, 1::bigint FROM adoption.adoption_daily WHERE feature_id = 'f'$$,
	'as adoption_tenant of h: feature_adoption_daily of f = tenant h''s own adoption_daily');
RESET ROLE;

SELECT throws_ok($$SELECT adoption.snapshot_adoption(NULL, (now() AT TIME ZONE 'UTC')::date + 1)$$, '22023', NULL,
	'to_day in the future is refused');
SELECT * FROM finish();
ROLLBACK;
