-- test/reference/order_events.sql: the data set of test/tap/order_freedom.sh,
-- deterministic (every draw is an md5 of a fixed seed), into schema gen:
--   gen.tenants   12 tenants: weight (share of events), users, success
--                 probability and per-tenant settings overrides;
--   gen.events    the events with seq, their arrival order.
-- :events events (psql variable; 21000 in the test) over 90 days from
-- base = the current day minus 100 days, so that every event is in the
-- past (max_future_skew) but the set is the same whatever the day, up to
-- that shift.  Skewed: three big tenants hold 58 % of the events; users'
-- activity follows a power law and starts at staggered days, some churn;
-- features f01 and f02 are used by most users (so tenants reach
-- feature_adopted), 18 more in a long tail.  About 85 % succeed.
-- Times are on the minute, and 3 % of events repeat the time, user and
-- feature of the event before them: duplicate times within a key.
-- Arrival order: by usage_timestamp plus a delay, a few hours for most
-- events, 2 to 28 days for 12 % of them (late events).
SET client_min_messages = warning;
SET TimeZone = 'UTC';
DROP SCHEMA IF EXISTS gen CASCADE;
CREATE SCHEMA gen;

-- Uniform draw in [0, 1) from a salt and a number.
CREATE FUNCTION gen.r(salt text, i bigint) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
	SELECT ('x' || substr(md5('order-freedom:' || salt || ':' || i), 1, 13))::bit(52)::bigint::float8 / 4503599627370496::float8
$$;

CREATE TABLE gen.tenants AS
SELECT i, 't' || lpad(i::text, 2, '0') AS tenant_id,
	CASE i WHEN 1 THEN 0.28 WHEN 2 THEN 0.18 WHEN 3 THEN 0.12 ELSE 0.42 / 9 END AS weight,
	CASE i WHEN 1 THEN 160 WHEN 2 THEN 110 WHEN 3 THEN 70 ELSE 10 + (i * 7) % 19 END AS users,
	-- Success probability: t03 and t07 at or under sigma (0.80).
	CASE i WHEN 3 THEN 0.80 WHEN 7 THEN 0.78 ELSE 0.84 + 0.01 * (i % 6) END AS p_success
FROM generate_series(1, 12) AS i;
ALTER TABLE gen.tenants ADD COLUMN lo float8, ADD COLUMN hi float8;
UPDATE gen.tenants AS t SET lo = c.hi - t.weight, hi = c.hi
FROM (SELECT i, sum(weight) OVER (ORDER BY i) AS hi FROM gen.tenants) AS c WHERE c.i = t.i;
UPDATE gen.tenants SET hi = 1.0 WHERE i = 12;

-- Settings overrides (the rest inherit k 3, n 5, theta 0.70, sigma 0.80, W 30 days).
CREATE TABLE gen.settings (tenant_id text, aha_successes integer, usage_velocity_threshold integer,
	feature_adoption_threshold float8, success_outcome_rate float8, active_window interval);
INSERT INTO gen.settings VALUES
	('t02', 2, 4, NULL, NULL, '14 days'),
	('t05', NULL, NULL, 0.5, 0.75, NULL),
	('t09', 5, NULL, NULL, NULL, '7 days'),
	('t11', NULL, 3, 0.4, NULL, NULL);

-- Users: weight 1/(j+1)^0.8, start day 70 * r^2 (most start early), 20 %
-- stop before day 90.
CREATE TABLE gen.users AS
SELECT t.tenant_id, j, 'u' || lpad(j::text, 3, '0') AS user_id,
	1.0 / power(j + 1, 0.8) AS weight,
	70 * power(gen.r('start:' || t.tenant_id, j), 2) AS start_day,
	gen.r('churn:' || t.tenant_id, j) AS churn,
	0.9 + 0.2 * gen.r('skill:' || t.tenant_id, j) AS skill
FROM gen.tenants AS t, generate_series(1, t.users) AS j;
ALTER TABLE gen.users ADD COLUMN end_day float8, ADD COLUMN lo float8, ADD COLUMN hi float8;
UPDATE gen.users SET end_day = CASE WHEN churn < 0.2 THEN start_day + (90 - start_day) * (0.3 + 3 * churn) ELSE 90 END;
UPDATE gen.users AS u SET lo = (c.cum - u.weight) / c.total, hi = c.cum / c.total
FROM (SELECT tenant_id, j, sum(weight) OVER (PARTITION BY tenant_id ORDER BY j) AS cum,
		sum(weight) OVER (PARTITION BY tenant_id) AS total FROM gen.users) AS c
WHERE c.tenant_id = u.tenant_id AND c.j = u.j;

-- Features: f01 35 %, f02 15 %, f03..f20 share 50 % as 1/r^1.1.
CREATE TABLE gen.features AS
SELECT r, 'f' || lpad(r::text, 2, '0') AS feature_id,
	CASE r WHEN 1 THEN 0.35 WHEN 2 THEN 0.15
		ELSE 0.50 * (1.0 / power(r - 1, 1.1)) / (SELECT sum(1.0 / power(q - 1, 1.1)) FROM generate_series(3, 20) AS q) END
		AS weight
FROM generate_series(1, 20) AS r;
ALTER TABLE gen.features ADD COLUMN lo float8, ADD COLUMN hi float8;
UPDATE gen.features AS f SET lo = c.cum - f.weight, hi = c.cum
FROM (SELECT r, sum(weight) OVER (ORDER BY r) AS cum FROM gen.features) AS c WHERE c.r = f.r;
UPDATE gen.features SET hi = 1.0 WHERE r = 20;

CREATE TABLE gen.draws AS
WITH r AS MATERIALIZED (
	SELECT i, gen.r('tenant', i) AS r_tenant, gen.r('user', i) AS r_user, gen.r('feature', i) AS r_feature,
		gen.r('time', i) AS r_time, gen.r('ok', i) AS r_ok, gen.r('duration', i) AS r_duration,
		gen.r('dup', i) AS r_dup, gen.r('late', i) AS r_late, gen.r('delay', i) AS r_delay
	FROM generate_series(1, :events) AS i
)
SELECT r.i, t.tenant_id, u.user_id, f.feature_id,
	date_trunc('day', now()) - interval '100 days'
		+ date_trunc('minute', (u.start_day + r.r_time * (u.end_day - u.start_day)) * interval '1 day')
		AS usage_timestamp,
	r.r_ok < least(0.99, t.p_success * u.skill) AS success_outcome,
	floor(600 * r.r_duration)::integer AS session_duration,
	r.r_dup < 0.03 AS dup,
	CASE WHEN r.r_late < 0.12 THEN interval '2 days' + r.r_delay * interval '26 days'
		ELSE r.r_delay * interval '6 hours' END AS delay
FROM r
JOIN gen.tenants AS t ON r.r_tenant >= t.lo AND r.r_tenant < t.hi
JOIN LATERAL (SELECT * FROM gen.users AS u WHERE u.tenant_id = t.tenant_id
	AND r.r_user >= u.lo ORDER BY u.lo DESC LIMIT 1) AS u ON true
JOIN gen.features AS f ON r.r_feature >= f.lo AND r.r_feature < f.hi;

-- A duplicate repeats the tenant, user, feature and time of the event before.
CREATE TABLE gen.events AS
WITH d AS (
	SELECT i,
		CASE WHEN dup THEN lag(tenant_id) OVER w ELSE tenant_id END AS tenant_id,
		CASE WHEN dup THEN lag(user_id) OVER w ELSE user_id END AS user_id,
		CASE WHEN dup THEN lag(feature_id) OVER w ELSE feature_id END AS feature_id,
		CASE WHEN dup THEN lag(usage_timestamp) OVER w ELSE usage_timestamp END AS usage_timestamp,
		session_duration, success_outcome, delay
	FROM gen.draws
	WINDOW w AS (ORDER BY i)
)
SELECT row_number() OVER (ORDER BY usage_timestamp + delay, i) AS seq,
	md5('order-freedom-event:' || i)::uuid AS event_id,
	tenant_id, user_id, feature_id, usage_timestamp, session_duration, success_outcome
FROM d
WHERE tenant_id IS NOT NULL;
ALTER TABLE gen.events ADD PRIMARY KEY (seq);
ANALYZE gen.events;
