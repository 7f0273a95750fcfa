-- The adoption engine: milestones, tenant adoption, velocity and actions on
-- small hand-made scenarios.  The expected values are worked out in the
-- comments.
SET TimeZone = 'UTC';
TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state, adoption.tenant_state,
	adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
	adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys;
-- Enqueue actions for every milestone in this test.
INSERT INTO adoption.milestone_campaigns (milestone, template_key) VALUES
	('activated', 'adoption_nudge'), ('adopted', 'adoption_success');
CREATE VIEW eng_state AS
SELECT tenant_id, feature_id, user_id, uses, successes, first_used_at, last_used_at,
	activated_at, adopted_at, habitual_at
FROM adoption.user_feature_state;

-- 1. success_outcome false does not count towards adopted (aha_successes 3).
--    Uses on Jan 1..5 succeed, fail, succeed, fail, succeed: the third
--    success is on Jan 5, so adopted_at = Jan 5.  The five uses span 4 days,
--    so ann is habitual on Jan 5 too.  The tenant's only user adopted (rate
--    1/1), but its success rate is 3/5 = 0.6 < 0.80: no feature_adopted.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT 'e1', 'ann', 'reports', timestamptz '2026-01-01 12:00+00' + (d - 1) * interval '1 day', d % 2 = 1
FROM generate_series(1, 5) AS d;
SELECT * FROM eng_state WHERE tenant_id = 'e1';

-- 2. Habitual: 5 uses spanning less than 7 days.
--    bea: Jan 1, 2, 3, 4 at 00:00 and Jan 7 23:59 -> span 6 d 23 h 59 min: habitual at Jan 7 23:59.
--    cal: Jan 1, 3, 5, 7, 9 -> any 5 uses span 8 days: not habitual.
--    dan: Jan 1, 2, 3, 4 and Jan 8 00:00 -> span exactly 7 days: not habitual (less than 7 days needed).
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('e2', 'bea', 'alerts', '2026-01-01 00:00+00'), ('e2', 'bea', 'alerts', '2026-01-02 00:00+00'),
	('e2', 'bea', 'alerts', '2026-01-03 00:00+00'), ('e2', 'bea', 'alerts', '2026-01-04 00:00+00'),
	('e2', 'bea', 'alerts', '2026-01-07 23:59+00'),
	('e2', 'cal', 'alerts', '2026-01-01 00:00+00'), ('e2', 'cal', 'alerts', '2026-01-03 00:00+00'),
	('e2', 'cal', 'alerts', '2026-01-05 00:00+00'), ('e2', 'cal', 'alerts', '2026-01-07 00:00+00'),
	('e2', 'cal', 'alerts', '2026-01-09 00:00+00'),
	('e2', 'dan', 'alerts', '2026-01-01 00:00+00'), ('e2', 'dan', 'alerts', '2026-01-02 00:00+00'),
	('e2', 'dan', 'alerts', '2026-01-03 00:00+00'), ('e2', 'dan', 'alerts', '2026-01-04 00:00+00'),
	('e2', 'dan', 'alerts', '2026-01-08 00:00+00');
SELECT user_id, uses, habitual_at FROM eng_state WHERE tenant_id = 'e2' ORDER BY user_id;
-- cal's sixth use on Jan 10: the latest five, Jan 3, 5, 7, 9, 10, span
-- exactly 7 days: still not; a seventh on Jan 11 makes Jan 5, 7, 9, 10, 11
-- (span 6 days): habitual at Jan 11.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('e2', 'cal', 'alerts', '2026-01-10 00:00+00');
SELECT user_id, uses, habitual_at FROM eng_state WHERE tenant_id = 'e2' AND user_id = 'cal';
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('e2', 'cal', 'alerts', '2026-01-11 00:00+00');
SELECT user_id, uses, habitual_at FROM eng_state WHERE tenant_id = 'e2' AND user_id = 'cal';

-- 3. Tenant milestone feature_adopted: 10 users use 'sso' once on Feb 1
--    (all active, none adopted); then users 1..k succeed twice more on Feb 2,
--    user i at 10:00 + i minutes.  All uses succeed, so success rate is 1.
--    e3at: k = 7 -> after user 7 adopts, 7/10 = 0.70 >= 0.70: feature_adopted
--          at Feb 2 10:07 (user 7's second use that day).
--    e3below: k = 6 -> 6/10 = 0.60: no milestone.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT t, 'u' || i, 'sso', '2026-02-01 09:00+00'
FROM unnest(ARRAY['e3at', 'e3below']) AS t, generate_series(1, 10) AS i;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT t, 'u' || i, 'sso', timestamptz '2026-02-02 10:00+00' + i * interval '1 minute' - interval '30 seconds' * (2 - r)
FROM (VALUES ('e3at', 7), ('e3below', 6)) AS v(t, k), generate_series(1, k) AS i, generate_series(1, 2) AS r
ORDER BY t, i, r;
SELECT tenant_id, feature_id, activated_users, adopted_users, active_users, active_adopters,
	adoption_rate, success_rate, evaluated_at, feature_adopted_at
FROM adoption.tenant_feature_state WHERE tenant_id LIKE 'e3%' ORDER BY 1;
-- In e3below users 7..10 then use 'sso' three times each on Feb 3 (success,
-- failure, success; user i at 10:00 + i min + 1, 2, 3 s): each adopts at
-- the third use.  When user 7 adopts (10:07:03) 7 of 10 active users have
-- adopted, and the success rate is (users 1..6: 18 of 18; user 7: 3 of 4;
-- users 8..10: 1 of 1 each) 24/25 = 0.96: feature_adopted at 10:07:03.
-- In the end all 10 adopted, success rate 30/34 = 0.8824.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT 'e3below', 'u' || i, 'sso', timestamptz '2026-02-03 10:00+00' + i * interval '1 minute' + r * interval '1 second', r <> 2
FROM generate_series(7, 10) AS i, generate_series(1, 3) AS r
ORDER BY i, r;
SELECT tenant_id, adopted_users, active_users, active_adopters, adoption_rate, round(success_rate::numeric, 4) AS success_rate, feature_adopted_at
FROM adoption.tenant_feature_state WHERE tenant_id = 'e3below';

-- 4. Per-tenant overrides: e4 adopts after 1 success and is habitual after 2
--    uses within 7 days; e4b keeps the defaults.
INSERT INTO adoption.settings (tenant_id, aha_successes, usage_velocity_threshold) VALUES ('e4', 1, 2);
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT t, 'eve', 'exports', ts
FROM unnest(ARRAY['e4', 'e4b']) AS t, unnest(ARRAY[timestamptz '2026-03-01 00:00+00', '2026-03-03 00:00+00']) AS ts
ORDER BY t, ts;
SELECT tenant_id, uses, adopted_at, habitual_at FROM eng_state WHERE tenant_id IN ('e4', 'e4b') ORDER BY 1;

-- 5. Late events.  fay uses 'api' on Apr 10, 11, 12 (successes), then a
--    success of Apr 1 arrives late: first_used_at and activated_at (the
--    earliest use) move to Apr 1, adopted_at (the third earliest success:
--    Apr 1, 10, 11) to Apr 11.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('e5', 'fay', 'api', '2026-04-10 00:00+00'), ('e5', 'fay', 'api', '2026-04-11 00:00+00'),
	('e5', 'fay', 'api', '2026-04-12 00:00+00');
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('e5', 'fay', 'api', '2026-04-01 00:00+00');
SELECT user_id, uses, first_used_at, last_used_at, activated_at, adopted_at, habitual_at FROM eng_state WHERE user_id = 'fay';
-- gus succeeds on Apr 10 and 12, then a late success of Apr 5 arrives: the
-- third success; adopted_at is the third earliest success time, Apr 12.
-- Then two late successes of Apr 6 and Apr 7 arrive: the three earliest are
-- now Apr 5, 6, 7, so adopted_at moves to Apr 7 (its one action stays, with
-- the time it was first reached).  Apr 5, 6, 7, 10, 12 are 5 uses spanning
-- 7 days exactly: not habitual; a late Apr 8 makes Apr 5, 6, 7, 8, 10 (span
-- 5 days): habitual_at Apr 10, the use that completes the first such window.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('e5', 'gus', 'api', '2026-04-10 00:00+00'), ('e5', 'gus', 'api', '2026-04-12 00:00+00');
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('e5', 'gus', 'api', '2026-04-05 00:00+00');
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('e5', 'gus', 'api', '2026-04-06 00:00+00'), ('e5', 'gus', 'api', '2026-04-07 00:00+00');
SELECT user_id, uses, adopted_at, habitual_at FROM eng_state WHERE user_id = 'gus';
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('e5', 'gus', 'api', '2026-04-08 00:00+00');
SELECT user_id, uses, adopted_at, habitual_at FROM eng_state WHERE user_id = 'gus';

-- 6. Velocity: uses 14 days, 7 days and 0 days before Apr 30 (arriving
--    Apr 30 first, then the two older ones) give
--    (1/4 + 1/2 + 1) ln 2 = 1.75 x 0.6931471805599453 = 1.2130075659799043
--    as of Apr 30, both as state and from the aggregate; late arrival does
--    not change it.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('e6', 'hal', 'api', '2026-04-30 00:00+00'), ('e6', 'hal', 'api', '2026-04-16 00:00+00'),
	('e6', 'hal', 'api', '2026-04-23 00:00+00');
SELECT round(velocity_per_week::numeric, 12) AS state_velocity, last_used_at
FROM adoption.user_feature_state WHERE user_id = 'hal';
SELECT round(adoption.usage_velocity(usage_timestamp, '2026-04-30 00:00+00')::numeric, 12) AS aggregate_velocity
FROM adoption.feature_usage_events WHERE user_id = 'hal';
-- As of May 7 each weight halves: 0.6065037829899522.
SELECT round(adoption.usage_velocity(usage_timestamp, '2026-05-07 00:00+00')::numeric, 12) AS a_week_later,
	round(adoption.velocity_at(velocity_per_week, last_used_at, '2026-05-07 00:00+00')::numeric, 12) AS decayed_state
FROM adoption.feature_usage_events JOIN adoption.user_feature_state USING (tenant_id, user_id, feature_id)
WHERE user_id = 'hal' GROUP BY velocity_per_week, last_used_at;
-- Uses after as_of do not count yet.
SELECT round(adoption.usage_velocity(usage_timestamp, '2026-04-20 00:00+00')::numeric, 12) AS before_last_two
FROM adoption.feature_usage_events WHERE user_id = 'hal';

-- 7. The actions of all of the above: one per milestone and subject, with
--    the evidence.
SELECT tenant_id, user_id, feature_id, template_key, reason->>'milestone' AS milestone,
	reason->>'reached_at' AS reached_at, dedupe_key, status
FROM adoption.campaign_actions ORDER BY action_id;
SELECT reason FROM adoption.campaign_actions WHERE tenant_id = 'e3at' AND user_id IS NULL;

-- Resending every event changes nothing and enqueues nothing.
CREATE TEMP TABLE before_resend AS SELECT * FROM adoption.user_feature_state;
INSERT INTO adoption.feature_usage_events SELECT * FROM adoption.feature_usage_events ON CONFLICT DO NOTHING;
SELECT count(*) AS changed_rows FROM (
	SELECT * FROM adoption.user_feature_state EXCEPT SELECT * FROM before_resend) AS d;
SELECT count(*) AS actions FROM adoption.campaign_actions;

-- 8. A rolled-back insert leaves no state and no action.
BEGIN;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 'e8', 'ivy', 'api', timestamptz '2026-05-01 00:00+00' + i * interval '1 hour' FROM generate_series(1, 5) AS i;
SELECT count(*) AS actions_inside FROM adoption.campaign_actions WHERE tenant_id = 'e8';
ROLLBACK;
SELECT count(*) AS state_after FROM adoption.user_feature_state WHERE tenant_id = 'e8';
SELECT count(*) AS tenant_state_after FROM adoption.tenant_feature_state WHERE tenant_id = 'e8';
SELECT count(*) AS actions_after FROM adoption.campaign_actions WHERE tenant_id = 'e8';
SELECT count(*) AS keys_after FROM adoption.campaign_action_keys WHERE tenant_id = 'e8';

-- 9. rebuild() reproduces the state, for one tenant and for all (velocity
--    within 1e-9 relative: the incremental path stores it between
--    statements, rebuild keeps it in memory, so the last bits may differ).
CREATE TEMP TABLE user_before AS SELECT * FROM adoption.user_feature_state;
CREATE TEMP TABLE tenant_before AS SELECT * FROM adoption.tenant_feature_state;
SELECT adoption.rebuild('e5') AS replayed_e5;
SELECT adoption.rebuild() AS replayed_all;
SELECT count(*) AS user_rows_differing FROM (
	(SELECT tenant_id, feature_id, user_id, first_used_at, last_used_at, uses, successes, total_duration,
		activated_at, adopted_at, habitual_at, milestone_buffer FROM adoption.user_feature_state
	 EXCEPT SELECT tenant_id, feature_id, user_id, first_used_at, last_used_at, uses, successes, total_duration,
		activated_at, adopted_at, habitual_at, milestone_buffer FROM user_before)
	UNION ALL
	(SELECT tenant_id, feature_id, user_id, first_used_at, last_used_at, uses, successes, total_duration,
		activated_at, adopted_at, habitual_at, milestone_buffer FROM user_before
	 EXCEPT SELECT tenant_id, feature_id, user_id, first_used_at, last_used_at, uses, successes, total_duration,
		activated_at, adopted_at, habitual_at, milestone_buffer FROM adoption.user_feature_state)) AS d;
SELECT max(abs(a.velocity_per_week - b.velocity_per_week) / b.velocity_per_week) < 1e-9 AS velocities_within_1e9
FROM adoption.user_feature_state AS a JOIN user_before AS b USING (tenant_id, feature_id, user_id);
SELECT count(*) AS tenant_rows_differing FROM (
	(SELECT tenant_id, feature_id, activated_users, adopted_users, habitual_users, active_users, active_adopters,
		adoption_rate, success_rate, evaluated_at, feature_adopted_at FROM adoption.tenant_feature_state
	 EXCEPT SELECT tenant_id, feature_id, activated_users, adopted_users, habitual_users, active_users, active_adopters,
		adoption_rate, success_rate, evaluated_at, feature_adopted_at FROM tenant_before)
	UNION ALL
	(SELECT tenant_id, feature_id, activated_users, adopted_users, habitual_users, active_users, active_adopters,
		adoption_rate, success_rate, evaluated_at, feature_adopted_at FROM tenant_before
	 EXCEPT SELECT tenant_id, feature_id, activated_users, adopted_users, habitual_users, active_users, active_adopters,
		adoption_rate, success_rate, evaluated_at, feature_adopted_at FROM adoption.tenant_feature_state)) AS d;
SELECT count(*) AS actions_after_rebuild FROM adoption.campaign_actions;
\set SHOW_CONTEXT never
SELECT adoption.rebuild('');

-- 10. A user back after more than active_window is active again and the
--     tenant is recounted: jon used 'api' on Jan 1, kim on Mar 1; as of
--     Mar 1 only kim is active (1 of 2).  jon returns on Mar 2: both active.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('e10', 'jon', 'api', '2026-01-01 00:00+00'), ('e10', 'kim', 'api', '2026-03-01 00:00+00');
SELECT activated_users, active_users, evaluated_at FROM adoption.tenant_feature_state WHERE tenant_id = 'e10';
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('e10', 'jon', 'api', '2026-03-02 00:00+00');
SELECT activated_users, active_users, evaluated_at FROM adoption.tenant_feature_state WHERE tenant_id = 'e10';

-- The view, with a frozen clock: usage of e3at as of Feb 3.
BEGIN;
SELECT tenant_id, feature_id, activated_users, adopted_users, habitual_users, feature_adopted_at
FROM adoption.feature_adoption WHERE tenant_id IN ('e1', 'e2', 'e3at') ORDER BY 1, 2;
COMMIT;

-- The internal milestone_buffer changed by hand is refused with a hint
-- (XX001), and rebuild() repairs the state.
UPDATE adoption.user_feature_state SET milestone_buffer = '\x0102' WHERE tenant_id = 'e2' AND user_id = 'dan';
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('e2', 'dan', 'alerts', '2026-01-09 00:00+00');
\echo :LAST_ERROR_SQLSTATE
SELECT adoption.rebuild('e2') AS replayed_e2;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('e2', 'dan', 'alerts', '2026-01-09 00:00+00');
SELECT user_id, uses, habitual_at FROM eng_state WHERE tenant_id = 'e2' AND user_id = 'dan';

DELETE FROM adoption.milestone_campaigns WHERE milestone IN ('activated', 'adopted');
DROP VIEW eng_state;
