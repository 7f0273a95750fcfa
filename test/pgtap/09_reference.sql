-- pgTAP: the reference definitions (test/reference/definitions.sql), the
-- oracle test/tap/order_freedom.sh holds the engine to, give on a handful
-- of events the values worked out by hand below from the design's
-- definitions (docs/adoption-state.md).  The ingest trigger is disabled: the
-- reference reads the event log alone, whatever the engine does.
-- Defaults: k = aha_successes 3, n = usage_velocity_threshold 5,
-- theta = feature_adoption_threshold 0.70, sigma = success_outcome_rate
-- 0.80, W = active_window 30 days.  Times UTC, all in 2025.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION pg_adoption;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SELECT plan(17);

ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events;
-- The trigger registers tenants; here they are registered by hand.
INSERT INTO adoption.tenants (tenant_id) VALUES ('a'), ('b'), ('c'), ('d'), ('e'), ('f'), ('h');
-- Tenant f: theta 0.5, k 2, n 2.
INSERT INTO adoption.settings (tenant_id, feature_adoption_threshold, aha_successes, usage_velocity_threshold)
VALUES ('f', 0.5, 2, 2);

CREATE FUNCTION pg_temp.ev(tenant text, usr text, feature text, at text, ok boolean, duration integer DEFAULT 0)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome,
		session_duration)
	VALUES (tenant, usr, feature, (at || '+00')::timestamptz, ok, duration);
$$;

-- Tenant a, user u1, feature f: successes Oct 10, 11, 12, then the late
-- Oct 1.  Successes sorted: Oct 1, 10, 11, 12: the 3rd is Oct 11 12:00
-- (adopted; Oct 12 before the late event); activated Oct 1 12:00.
SELECT pg_temp.ev('a', 'u1', 'f', '2025-10-10 12:00', true, 100);
SELECT pg_temp.ev('a', 'u1', 'f', '2025-10-11 12:00', true, 200);
SELECT pg_temp.ev('a', 'u1', 'f', '2025-10-12 12:00', true, 300);
SELECT pg_temp.ev('a', 'u1', 'f', '2025-10-01 12:00', true, 400);
-- Tenant a, user u2, feature f, out of order (F = failed):
-- sorted t1 Oct 1 S, t2 Oct 3 F, t3 Oct 14 S, t4 Oct 15 S, t5 Oct 16 F,
-- t6 Oct 18 S, t7 Oct 21 S, t8 Oct 21 S (same time), t9 Oct 25 S, all 09:00.
-- habitual (n 5): t5-t1 15 d, t6-t2 15 d, t7-t3 exactly 7 d (not < 7 d),
-- t8-t4 6 d: habitual_at = t8 = Oct 21 09:00 (without counting the
-- duplicate separately there would be none: t8 would be Oct 25, 10 d).
-- adopted: successes Oct 1, 14, 15, ...: the 3rd is Oct 15 09:00.
SELECT pg_temp.ev('a', 'u2', 'f', '2025-10-21 09:00', true, 10);
SELECT pg_temp.ev('a', 'u2', 'f', '2025-10-01 09:00', true, 20);
SELECT pg_temp.ev('a', 'u2', 'f', '2025-10-16 09:00', false, 30);
SELECT pg_temp.ev('a', 'u2', 'f', '2025-10-25 09:00', true, 40);
SELECT pg_temp.ev('a', 'u2', 'f', '2025-10-03 09:00', false, 50);
SELECT pg_temp.ev('a', 'u2', 'f', '2025-10-15 09:00', true, 60);
SELECT pg_temp.ev('a', 'u2', 'f', '2025-10-21 09:00', true, 70);
SELECT pg_temp.ev('a', 'u2', 'f', '2025-10-14 09:00', true, 80);
SELECT pg_temp.ev('a', 'u2', 'f', '2025-10-18 09:00', true, 90);
-- Tenant a, milestone of f: both users active from Oct 1 12:00 to the end.
-- Oct 11 12:00: u1 adopted, u2 not: rate 1/2 < 0.7.  Oct 15 09:00: both
-- adopted, rate 2/2; successes up to then: u1 4/4, u2 Oct 1 S, 3 F, 14 S,
-- 15 S = 3/4; 7/8 = 0.875 >= 0.8: feature_adopted_at = Oct 15 09:00.

-- Tenant b: p's 3rd success of x on Oct 3 10:00, when p is the only
-- active user (rate 1/1, successes 3/3): the milestone holds early, and
-- stays when q arrives (Oct 5, rate 1/2): it is the smallest such time.
SELECT pg_temp.ev('b', 'p', 'x', '2025-10-01 10:00', true);
SELECT pg_temp.ev('b', 'p', 'x', '2025-10-02 10:00', true);
SELECT pg_temp.ev('b', 'p', 'x', '2025-10-03 10:00', true);
SELECT pg_temp.ev('b', 'q', 'y', '2025-10-05 10:00', true);

-- Tenant c: r adopts z on Oct 12 10:00, alone: milestone Oct 12 10:00
-- (until the late event of step 2).
SELECT pg_temp.ev('c', 'r', 'z', '2025-10-10 10:00', true);
SELECT pg_temp.ev('c', 'r', 'z', '2025-10-11 10:00', true);
SELECT pg_temp.ev('c', 'r', 'z', '2025-10-12 10:00', true);

-- Tenant d: as c, with s (a non-adopter) active from Oct 10 10:00: Oct 10,
-- 11, 12 have rate at most 1/2.  On Nov 9 10:00, exactly 30 days after
-- s's only event, (T - W, T] = (Oct 10 10:00, Nov 9 10:00] excludes it:
-- A = {r} (Oct 11, 12, Nov 9), rate 1/1, z successes 3/3: milestone
-- Nov 9 10:00.  tenant_state d: active_users 1 (s's last_seen_at Oct 10
-- 10:00 is not > Nov 9 10:00 - 30 days).
SELECT pg_temp.ev('d', 'r', 'z', '2025-10-10 10:00', true);
SELECT pg_temp.ev('d', 'r', 'z', '2025-10-11 10:00', true);
SELECT pg_temp.ev('d', 'r', 'z', '2025-10-12 10:00', true);
SELECT pg_temp.ev('d', 's', 'w', '2025-10-10 10:00', false);
SELECT pg_temp.ev('d', 'r', 'w', '2025-11-09 10:00', true);

-- Tenant e: old failed z in August (inactive in October: Aug 2 + 30 d =
-- Sep 1).  m: z S Oct 1 10:00, S Oct 2 10:00, F Oct 2 12:00, S Oct 3 10:00,
-- S Oct 4 10:00.  Oct 3 10:00: m adopted, rate 1/1, successes over the
-- active users 3/4 = 0.75 < 0.8; Oct 4 10:00: 4/5 = 0.8 >= 0.8: milestone
-- Oct 4 10:00 (old's failures, if counted, would give 4/7).  m habitual
-- (n 5): t5 - t1 = Oct 4 10:00 - Oct 1 10:00 = 3 d: Oct 4 10:00.
SELECT pg_temp.ev('e', 'old', 'z', '2025-08-01 10:00', false);
SELECT pg_temp.ev('e', 'old', 'z', '2025-08-02 10:00', false);
SELECT pg_temp.ev('e', 'm', 'z', '2025-10-01 10:00', true);
SELECT pg_temp.ev('e', 'm', 'z', '2025-10-02 10:00', true);
SELECT pg_temp.ev('e', 'm', 'z', '2025-10-02 12:00', false);
SELECT pg_temp.ev('e', 'm', 'z', '2025-10-03 10:00', true);
SELECT pg_temp.ev('e', 'm', 'z', '2025-10-04 10:00', true);

-- Tenant f (theta 0.5, k 2, n 2): g adopts z on Oct 2 10:00 (2nd success)
-- and is habitual then (2 uses 1 day apart); h only failed v.  Oct 2
-- 10:00: A = {g, h}, rate 1/2 = 0.5 >= 0.5, z successes 2/2:
-- milestone Oct 2 10:00.
SELECT pg_temp.ev('f', 'g', 'z', '2025-10-01 10:00', true);
SELECT pg_temp.ev('f', 'h', 'v', '2025-10-01 11:00', false);
SELECT pg_temp.ev('f', 'g', 'z', '2025-10-02 10:00', true);

-- Tenant h: habitual needs a span under 7 days, not 7 days.  uh used hx
-- (all failed) Oct 1, 2, 3, 4, 8, 9 09:00 and Oct 9 10:00: t5 - t1 =
-- Oct 8 - Oct 1 = exactly 7 d, t6 - t2 = 7 d: no; t7 - t3 = 6 d 1 h:
-- habitual_at = Oct 9 10:00 (Oct 8 09:00 if 7 days were enough).
SELECT pg_temp.ev('h', 'uh', 'hx', d, false) FROM unnest(ARRAY['2025-10-01 09:00', '2025-10-09 10:00',
	'2025-10-03 09:00', '2025-10-08 09:00', '2025-10-02 09:00', '2025-10-09 09:00', '2025-10-04 09:00']) AS d;

\ir ../reference/definitions.sql

SELECT results_eq(
	$$SELECT tenant_id, feature_id, user_id, first_used_at, last_used_at, uses::int, successes::int,
		total_duration::int, activated_at, adopted_at, habitual_at
	FROM ref.user_feature_state ORDER BY 1, 2, 3$$,
	$$VALUES
	('a', 'f', 'u1', '2025-10-01 12:00+00'::timestamptz, '2025-10-12 12:00+00'::timestamptz, 4, 4, 1000,
		'2025-10-01 12:00+00'::timestamptz, '2025-10-11 12:00+00'::timestamptz, NULL::timestamptz),
	('a', 'f', 'u2', '2025-10-01 09:00+00', '2025-10-25 09:00+00', 9, 7, 450,
		'2025-10-01 09:00+00', '2025-10-15 09:00+00', '2025-10-21 09:00+00'),
	('b', 'x', 'p', '2025-10-01 10:00+00', '2025-10-03 10:00+00', 3, 3, 0,
		'2025-10-01 10:00+00', '2025-10-03 10:00+00', NULL),
	('b', 'y', 'q', '2025-10-05 10:00+00', '2025-10-05 10:00+00', 1, 1, 0, '2025-10-05 10:00+00', NULL, NULL),
	('c', 'z', 'r', '2025-10-10 10:00+00', '2025-10-12 10:00+00', 3, 3, 0,
		'2025-10-10 10:00+00', '2025-10-12 10:00+00', NULL),
	('d', 'w', 'r', '2025-11-09 10:00+00', '2025-11-09 10:00+00', 1, 1, 0, '2025-11-09 10:00+00', NULL, NULL),
	('d', 'w', 's', '2025-10-10 10:00+00', '2025-10-10 10:00+00', 1, 0, 0, '2025-10-10 10:00+00', NULL, NULL),
	('d', 'z', 'r', '2025-10-10 10:00+00', '2025-10-12 10:00+00', 3, 3, 0,
		'2025-10-10 10:00+00', '2025-10-12 10:00+00', NULL),
	('e', 'z', 'm', '2025-10-01 10:00+00', '2025-10-04 10:00+00', 5, 4, 0,
		'2025-10-01 10:00+00', '2025-10-03 10:00+00', '2025-10-04 10:00+00'),
	('e', 'z', 'old', '2025-08-01 10:00+00', '2025-08-02 10:00+00', 2, 0, 0, '2025-08-01 10:00+00', NULL, NULL),
	('f', 'v', 'h', '2025-10-01 11:00+00', '2025-10-01 11:00+00', 1, 0, 0, '2025-10-01 11:00+00', NULL, NULL),
	('f', 'z', 'g', '2025-10-01 10:00+00', '2025-10-02 10:00+00', 2, 2, 0,
		'2025-10-01 10:00+00', '2025-10-02 10:00+00', '2025-10-02 10:00+00'),
	('h', 'hx', 'uh', '2025-10-01 09:00+00', '2025-10-09 10:00+00', 7, 0, 0, '2025-10-01 09:00+00', NULL,
		'2025-10-09 10:00+00')$$,
	'user_feature_state: counts, durations, first and last use, activated, adopted (k-th success, a late success moving it earlier), habitual (n uses within < 7 days, duplicates counted, exactly 7 days not enough)');

-- Velocity: ln 2 * sum of 2^(-age/7) over the ages in days before
-- last_used_at (worked out with a calculator, 16 digits):
--   a/f/u1: ages 0, 1, 2, 11                   -> 2.122786854900779
--   a/f/u2: ages 0, 4, 4, 7, 9, 10, 11, 22, 24 -> 2.890514955685289
--   b/x/p:  ages 0, 1, 2                       -> 1.889560123941228
--   e/z/m:  ages 0, 1, 1 + 22/24, 2, 3         -> 2.977891105880690
--   f/z/g:  ages 0, 1                          -> 1.320946984810895
--   one use: ln 2                              -> 0.6931471805599453
SELECT is((SELECT count(*)::int FROM ref.user_feature_state AS s
	JOIN (VALUES ('a', 'f', 'u1', 2.122786854900779::float8), ('a', 'f', 'u2', 2.890514955685289),
		('b', 'x', 'p', 1.889560123941228), ('e', 'z', 'm', 2.977891105880690), ('f', 'z', 'g', 1.320946984810895),
		('b', 'y', 'q', 0.6931471805599453), ('f', 'v', 'h', 0.6931471805599453)) AS v (tenant_id, feature_id, user_id, want)
		USING (tenant_id, feature_id, user_id)
	WHERE abs(s.velocity_per_week - v.want) <= 1e-12 * v.want), 7,
	'velocity_per_week of 7 keys equals the hand-computed decayed sums');

SELECT results_eq(
	$$SELECT tenant_id, user_id, first_seen_at, last_seen_at, uses::int, successes::int
	FROM ref.tenant_user_state WHERE tenant_id IN ('a', 'd', 'e') ORDER BY 1, 2$$,
	$$VALUES ('a', 'u1', '2025-10-01 12:00+00'::timestamptz, '2025-10-12 12:00+00'::timestamptz, 4, 4),
		('a', 'u2', '2025-10-01 09:00+00', '2025-10-25 09:00+00', 9, 7),
		('d', 'r', '2025-10-10 10:00+00', '2025-11-09 10:00+00', 4, 4),
		('d', 's', '2025-10-10 10:00+00', '2025-10-10 10:00+00', 1, 0),
		('e', 'm', '2025-10-01 10:00+00', '2025-10-04 10:00+00', 5, 4),
		('e', 'old', '2025-08-01 10:00+00', '2025-08-02 10:00+00', 2, 0)$$,
	'tenant_user_state: per user over all features');

-- active_users: users with last_seen_at > last_event_at - 30 days.
-- a: both (u1's Oct 12 > Sep 25); b: both; c: r; d: r only (s's Oct 10
-- 10:00 is not > Oct 10 10:00); e: m only; f: both; h: uh.
SELECT results_eq(
	$$SELECT tenant_id, first_event_at, last_event_at, users::int, active_users::int, uses::int, successes::int
	FROM ref.tenant_state ORDER BY 1$$,
	$$VALUES ('a', '2025-10-01 09:00+00'::timestamptz, '2025-10-25 09:00+00'::timestamptz, 2, 2, 13, 11),
		('b', '2025-10-01 10:00+00', '2025-10-05 10:00+00', 2, 2, 4, 4),
		('c', '2025-10-10 10:00+00', '2025-10-12 10:00+00', 1, 1, 3, 3),
		('d', '2025-10-10 10:00+00', '2025-11-09 10:00+00', 2, 1, 5, 4),
		('e', '2025-08-01 10:00+00', '2025-10-04 10:00+00', 2, 1, 7, 4),
		('f', '2025-10-01 10:00+00', '2025-10-02 10:00+00', 2, 2, 3, 2),
		('h', '2025-10-01 09:00+00', '2025-10-09 10:00+00', 1, 1, 7, 0)$$,
	'tenant_state: first and last event, users, active users at the last event (window open at its start), uses, successes');

SELECT results_eq(
	$$SELECT tenant_id, feature_id, activated_users::int, adopted_users::int, habitual_users::int
	FROM ref.tenant_feature_counts ORDER BY 1, 2$$,
	$$VALUES ('a', 'f', 2, 2, 1), ('b', 'x', 1, 1, 0), ('b', 'y', 1, 0, 0), ('c', 'z', 1, 1, 0),
		('d', 'w', 2, 0, 0), ('d', 'z', 1, 1, 0), ('e', 'z', 2, 1, 1), ('f', 'v', 1, 0, 0), ('f', 'z', 1, 1, 1),
		('h', 'hx', 1, 0, 1)$$,
	'tenant_feature_counts: users with activated_at, adopted_at, habitual_at');

SELECT results_eq(
	$$SELECT tenant_id, feature_id, feature_adopted_at FROM ref.tenant_feature_milestones ORDER BY 1, 2$$,
	$$VALUES ('a', 'f', '2025-10-15 09:00+00'::timestamptz), ('b', 'x', '2025-10-03 10:00+00'),
		('c', 'z', '2025-10-12 10:00+00'), ('d', 'z', '2025-11-09 10:00+00'), ('e', 'z', '2025-10-04 10:00+00'),
		('f', 'z', '2025-10-02 10:00+00')$$,
	'feature_adopted: a when the 2nd user adopts, b early with 1 active user, c alone, d when s leaves the window (exactly W), e when the success rate of active users reaches sigma, f at rate = theta');

-- The view, as of each tenant's last event:
--   a/f: 2 active, 2 adopters, rate 1, successes 11/13.
--   b/x: 2 active (p, q), 1 adopter, rate 0.5, 3/3; b/y: 0 adopters, 1/1.
--   d/z: 1 active (r), r adopted, rate 1, 3/3; d/w: active r's w: 1/1.
--   e/z: 1 active (m), rate 1, m's z 4/5 (old's failures not counted).
--   f/z: 2 active, 1 adopter, 0.5, 2/2; f/v: h's 0/1.
--   h/hx: 1 active, no adopter, rate 0, successes 0/7.
SELECT results_eq(
	$$SELECT tenant_id, feature_id, activated_users::int, adopted_users::int, habitual_users::int, active_users::int,
		active_adopters::int, adoption_rate, success_rate, evaluated_at, feature_adopted_at
	FROM ref.tenant_feature_state ORDER BY 1, 2$$,
	$$VALUES ('a', 'f', 2, 2, 1, 2, 2, 1.0::float8, 11.0::float8 / 13, '2025-10-25 09:00+00'::timestamptz,
			'2025-10-15 09:00+00'::timestamptz),
		('b', 'x', 1, 1, 0, 2, 1, 0.5, 1.0, '2025-10-05 10:00+00', '2025-10-03 10:00+00'),
		('b', 'y', 1, 0, 0, 2, 0, 0.0, 1.0, '2025-10-05 10:00+00', NULL),
		('c', 'z', 1, 1, 0, 1, 1, 1.0, 1.0, '2025-10-12 10:00+00', '2025-10-12 10:00+00'),
		('d', 'w', 2, 0, 0, 1, 0, 0.0, 1.0, '2025-11-09 10:00+00', NULL),
		('d', 'z', 1, 1, 0, 1, 1, 1.0, 1.0, '2025-11-09 10:00+00', '2025-11-09 10:00+00'),
		('e', 'z', 2, 1, 1, 1, 1, 1.0, 0.8, '2025-10-04 10:00+00', '2025-10-04 10:00+00'),
		('f', 'v', 1, 0, 0, 2, 0, 0.0, 0.0, '2025-10-02 10:00+00', NULL),
		('f', 'z', 1, 1, 1, 2, 1, 0.5, 1.0, '2025-10-02 10:00+00', '2025-10-02 10:00+00'),
		('h', 'hx', 1, 0, 1, 1, 0, 0.0, 0.0, '2025-10-09 10:00+00', NULL)$$,
	'tenant_feature_state: active users of the tenant, active adopters, rates over them, evaluated at the last event');

-- Step 2: two late events.
--   c: s (never adopts) used w on Oct 9 10:00, before r's adoption.  At
--   Oct 10, 11, 12 A = {r, s} (s until Nov 8 10:00): rate 1/2 < 0.7, and
--   there is no later event: the milestone of c/z is gone.
--   e: m's success of z at Oct 2 11:00.  m's successes sorted: Oct 1 10:00,
--   Oct 2 10:00, Oct 2 11:00: adopted Oct 2 11:00; then z up to it is 3/3:
--   the milestone moves earlier to Oct 2 11:00.  m habitual: sorted Oct 1
--   10, 2 10, 2 11, 2 12, 3 10: t5 - t1 = 2 d: Oct 3 10:00.
SELECT pg_temp.ev('c', 's', 'w', '2025-10-09 10:00', false);
SELECT pg_temp.ev('e', 'm', 'z', '2025-10-02 11:00', true);

\ir ../reference/definitions.sql

SELECT results_eq(
	$$SELECT tenant_id, feature_id, feature_adopted_at FROM ref.tenant_feature_milestones ORDER BY 1, 2$$,
	$$VALUES ('a', 'f', '2025-10-15 09:00+00'::timestamptz), ('b', 'x', '2025-10-03 10:00+00'),
		('d', 'z', '2025-11-09 10:00+00'), ('e', 'z', '2025-10-02 11:00+00'), ('f', 'z', '2025-10-02 10:00+00')$$,
	'late events: a non-adopter''s event before it removes c/z, a late success moves e/z earlier');

SELECT results_eq(
	$$SELECT adopted_at, habitual_at, uses::int, successes::int FROM ref.user_feature_state
	WHERE (tenant_id, feature_id, user_id) = ('e', 'z', 'm')$$,
	$$VALUES ('2025-10-02 11:00+00'::timestamptz, '2025-10-03 10:00+00'::timestamptz, 6, 5)$$,
	'late success: e/z/m adopted and habitual move earlier');

-- c's view after step 2: 2 active (r Oct 12, s Oct 9 > Sep 12), 1 adopter.
SELECT results_eq(
	$$SELECT tenant_id, feature_id, active_users::int, active_adopters::int, adoption_rate, success_rate,
		evaluated_at, feature_adopted_at
	FROM ref.tenant_feature_state WHERE tenant_id = 'c' ORDER BY 1, 2$$,
	$$VALUES ('c', 'w', 2, 0, 0.0::float8, 0.0::float8, '2025-10-12 10:00+00'::timestamptz, NULL::timestamptz),
		('c', 'z', 2, 1, 0.5, 1.0, '2025-10-12 10:00+00', NULL)$$,
	'late event: c''s view counts s as active and has no milestone');

-- Velocity after step 2, e/z/m: ages 0, 1, 1 + 22/24, 1 + 23/24, 2, 3
-- -> 3.548855118729490.
SELECT ok((SELECT abs(velocity_per_week - 3.548855118729490) <= 1e-12 * 3.548855118729490
	FROM ref.user_feature_state WHERE (tenant_id, feature_id, user_id) = ('e', 'z', 'm')),
	'velocity of e/z/m with the late event');

-- Step 3: a user back after a quiet spell (two activity spans).
--   Tenant k2 (defaults): v: y S Jul 1 10:00, S Jul 2 10:00, F Jul 3
--   10:00 (2 successes: not adopted), then nothing until y S Sep 10 10:00
--   (3rd success: adopted Sep 10 10:00).  v's spans: [Jul 1 10:00, Aug 2
--   10:00) and [Sep 10 10:00, Oct 10 10:00).  At Sep 10 10:00: A = {v},
--   rate 1/1; y uses of v up to then: 4 (the July ones count: u in A(T),
--   all its uses <= T), successes 3: 3/4 = 0.75 < 0.8: no milestone.
--   Tenant k = k2 plus w: x S Sep 9 10:00: A(Sep 10) = {v, w}, rate 1/2:
--   no milestone.
--   Tenant k3 = k2 plus v: y S Sep 11 10:00: 4/5 = 0.8: milestone Sep 11 10:00.
INSERT INTO adoption.tenants (tenant_id) VALUES ('k'), ('k2'), ('k3');
SELECT pg_temp.ev(t, 'v', 'y', '2025-07-01 10:00', true) FROM unnest(ARRAY['k', 'k2', 'k3']) AS t;
SELECT pg_temp.ev(t, 'v', 'y', '2025-07-02 10:00', true) FROM unnest(ARRAY['k', 'k2', 'k3']) AS t;
SELECT pg_temp.ev(t, 'v', 'y', '2025-07-03 10:00', false) FROM unnest(ARRAY['k', 'k2', 'k3']) AS t;
SELECT pg_temp.ev(t, 'v', 'y', '2025-09-10 10:00', true) FROM unnest(ARRAY['k', 'k2', 'k3']) AS t;
SELECT pg_temp.ev('k', 'w', 'x', '2025-09-09 10:00', true);
SELECT pg_temp.ev('k3', 'v', 'y', '2025-09-11 10:00', true);

\ir ../reference/definitions.sql

SELECT results_eq(
	$$SELECT tenant_id, feature_id, feature_adopted_at FROM ref.tenant_feature_milestones
	WHERE tenant_id IN ('k', 'k2', 'k3') ORDER BY 1, 2$$,
	$$VALUES ('k3', 'y', '2025-09-11 10:00+00'::timestamptz)$$,
	'a user back after a quiet spell counts with all its uses: k (rate 1/2), k2 (3/4 < 0.8) none, k3 at 4/5');
SELECT results_eq(
	$$SELECT tenant_id, user_id, span::int, a, b FROM ref.user_spans WHERE tenant_id = 'k2' ORDER BY 1, 2, 3$$,
	$$VALUES ('k2', 'v', 1, '2025-07-01 10:00+00'::timestamptz, '2025-08-02 10:00+00'::timestamptz),
		('k2', 'v', 2, '2025-09-10 10:00+00', '2025-10-10 10:00+00')$$,
	'activity spans: [first, last + 30 d) split by a gap of 30 days or more');

-- Internals of the sweep on the k2 points (rows at the times T from the
-- first adoption on): Sep 10 10:00: active 1, adopters 1, uses 4, successes 3.
SELECT results_eq(
	$$SELECT t, active::int, adopters::int, uses::int, successes::int FROM ref.milestone_points
	WHERE tenant_id = 'k2' AND feature_id = 'y' ORDER BY t$$,
	$$VALUES ('2025-09-10 10:00+00'::timestamptz, 1, 1, 4, 3)$$,
	'sweep point of k2/y at Sep 10: 1 active, 1 adopter, 4 uses, 3 successes');

-- Tenant k4: one user's uses leave the sums when the user leaves: v: y S
-- Jul 1, 2, 3 10:00 (adopted Jul 3, alone: that is a milestone; to see
-- the leaving, look at feature z instead): w: z S Jul 20, 21, 22 10:00
-- and v: z F Jul 5, 6, 7, 8 10:00.  At Jul 22 10:00 A = {v (until Aug 7
-- 10:00), w}: adopters_z {w}: 1/2 < 0.7.  w: z S Aug 10 10:00: A = {w}
-- (v left Aug 7 10:00), rate 1; z over A: w's 4/4 (v's 4 failures left
-- with v): milestone k4/z Aug 10 10:00.
INSERT INTO adoption.tenants (tenant_id) VALUES ('k4');
SELECT pg_temp.ev('k4', 'v', 'z', d, false) FROM unnest(ARRAY['2025-07-05 10:00', '2025-07-06 10:00',
	'2025-07-07 10:00', '2025-07-08 10:00']) AS d;
SELECT pg_temp.ev('k4', 'w', 'z', d, true) FROM unnest(ARRAY['2025-07-20 10:00', '2025-07-21 10:00',
	'2025-07-22 10:00', '2025-08-10 10:00']) AS d;

\ir ../reference/definitions.sql

SELECT results_eq(
	$$SELECT tenant_id, feature_id, feature_adopted_at FROM ref.tenant_feature_milestones
	WHERE tenant_id = 'k4'$$,
	$$VALUES ('k4', 'z', '2025-08-10 10:00+00'::timestamptz)$$,
	'a user who left the window takes its uses out of the success rate: k4/z at Aug 10');
SELECT results_eq(
	$$SELECT t, active::int, adopters::int, uses::int, successes::int FROM ref.milestone_points
	WHERE tenant_id = 'k4' AND feature_id = 'z' ORDER BY t$$,
	$$VALUES ('2025-07-22 10:00+00'::timestamptz, 2, 1, 7, 3), ('2025-08-10 10:00+00', 1, 1, 4, 4)$$,
	'sweep points of k4/z: Jul 22 (2 active, 1 adopter, 7 uses, 3 successes), Aug 10 (1, 1, 4, 4)');

-- The milestones over the whole set, recomputed from scratch by brute
-- force (every T, every user, straight from the definition), equal the
-- sweep's: an independent second reading of the same definition.
SELECT results_eq(
	$$SELECT tenant_id, feature_id, feature_adopted_at FROM ref.tenant_feature_milestones ORDER BY 1, 2$$,
	$$WITH s AS (SELECT tenant_id, aha_successes AS k, feature_adoption_threshold AS theta,
			success_outcome_rate AS sigma, active_window AS w FROM adoption.effective_settings),
		e AS (SELECT * FROM adoption.feature_usage_events),
		tt AS (SELECT DISTINCT tenant_id, usage_timestamp AS t FROM e),
		pairs AS (SELECT DISTINCT tenant_id, feature_id FROM e),
		x AS (
			SELECT p.tenant_id, p.feature_id, tt.t,
				(SELECT count(DISTINCT a.user_id) FROM e AS a WHERE a.tenant_id = p.tenant_id
					AND a.usage_timestamp > tt.t - s.w AND a.usage_timestamp <= tt.t) AS active,
				(SELECT count(DISTINCT a.user_id) FROM e AS a WHERE a.tenant_id = p.tenant_id
					AND a.usage_timestamp > tt.t - s.w AND a.usage_timestamp <= tt.t
					AND (SELECT count(*) FROM e AS b WHERE b.tenant_id = p.tenant_id AND b.user_id = a.user_id
						AND b.feature_id = p.feature_id AND b.success_outcome AND b.usage_timestamp <= tt.t) >= s.k)
					AS adopters,
				(SELECT count(*) FROM e AS b WHERE b.tenant_id = p.tenant_id AND b.feature_id = p.feature_id
					AND b.usage_timestamp <= tt.t AND b.user_id IN (SELECT a.user_id FROM e AS a
						WHERE a.tenant_id = p.tenant_id AND a.usage_timestamp > tt.t - s.w AND a.usage_timestamp <= tt.t))
					AS uses,
				(SELECT count(*) FROM e AS b WHERE b.tenant_id = p.tenant_id AND b.feature_id = p.feature_id
					AND b.usage_timestamp <= tt.t AND b.success_outcome AND b.user_id IN (SELECT a.user_id FROM e AS a
						WHERE a.tenant_id = p.tenant_id AND a.usage_timestamp > tt.t - s.w AND a.usage_timestamp <= tt.t))
					AS successes,
				s.theta, s.sigma
			FROM pairs AS p JOIN tt USING (tenant_id) JOIN s USING (tenant_id)
		)
	SELECT tenant_id, feature_id, min(t) FROM x
	WHERE adopters::float8 / active::float8 >= theta AND uses > 0 AND successes::float8 / uses::float8 >= sigma
	GROUP BY 1, 2 ORDER BY 1, 2$$,
	'the sweep equals a brute-force evaluation of the definition at every event time');

SELECT * FROM finish();
ROLLBACK;
