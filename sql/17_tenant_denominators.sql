-- Tenant-wide denominators: an adoption rate of a feature divides the
-- tenant's active users who adopted it by the TENANT's active users (users
-- with an event of any feature within active_window before the reference
-- time), the population Pendo and Amplitude divide by, not by the feature's
-- own users.  Every figure is worked out by hand in the comments.
SET TimeZone = 'UTC';
SET extra_float_digits = 0;
TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state,
	adoption.tenant_state, adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
	adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys,
	adoption.health_scores, adoption.features, adoption.tenants CASCADE;
DELETE FROM adoption.settings WHERE tenant_id IS NOT NULL;
-- The defaults this test relies on (an earlier test may have changed them).
UPDATE adoption.settings SET aha_successes = 3, usage_velocity_threshold = 5,
	feature_adoption_threshold = 0.70, success_outcome_rate = 0.80, active_window = interval '30 days'
WHERE tenant_id IS NULL;
-- One core feature, core1; f2 and f3 are advanced, so the health adoption
-- component averages over core1 alone.
INSERT INTO adoption.features (feature_id, feature_name, tier) VALUES
	('core1', 'Core one', 'core'), ('f2', 'Feature two', 'advanced'), ('f3', 'Feature three', 'advanced');
INSERT INTO adoption.tenants (tenant_id, seats_licensed) VALUES ('td', 10);

-- 1. The issue's case.  Tenant td, B = now() - 2 days:
--   o1..o4 use f2 once at B + i minutes (i = 1..4), o5..o8 use f3 once at
--   B + i minutes (i = 5..8); o1 uses f2 once more at B + 7 h;
--   c1 uses core1 at B + 1 h, 2 h, 3 h (three successes: adopted B + 3 h),
--   c2 uses core1 at B + 4 h, 5 h, 6 h (adopted B + 6 h);
--   gone used f3 once, 40 days before now (outside active_window).
-- Active users (now, or as of td's last event B + 7 h): o1..o8, c1, c2 = 10
-- (gone is not: 38 days before B + 7 h).  Every use succeeds.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 'td', v.u, v.f, now() - interval '2 days' + v.after
FROM (VALUES ('o1', 'f2', interval '1 minute'), ('o2', 'f2', interval '2 minutes'),
	('o3', 'f2', interval '3 minutes'), ('o4', 'f2', interval '4 minutes'),
	('o5', 'f3', interval '5 minutes'), ('o6', 'f3', interval '6 minutes'),
	('o7', 'f3', interval '7 minutes'), ('o8', 'f3', interval '8 minutes'),
	('c1', 'core1', interval '1 hour'), ('c1', 'core1', interval '2 hours'), ('c1', 'core1', interval '3 hours'),
	('c2', 'core1', interval '4 hours'), ('c2', 'core1', interval '5 hours'), ('c2', 'core1', interval '6 hours'),
	('o1', 'f2', interval '7 hours'), ('gone', 'f3', interval '-38 days')) AS v(u, f, after);

-- tenant_feature_state, as of td's last event (B + 7 h), 10 active users:
--   core1: activated c1, c2 = 2, adopted 2, active adopters 2:
--          adoption_rate 2/10 = 0.2; success_rate 6/6 = 1.
--   f2:    activated o1..o4 = 4, nobody adopted (o1 has 2 successes):
--          0/10 = 0; success_rate 5/5 = 1.
--   f3:    activated o5..o8 and gone = 5, adopted 0: 0/10 = 0; success_rate
--          over the active users o5..o8 4/4 = 1.
-- Milestone feature_adopted of core1: at each event time T of td the
-- then-active users A(T) and core1's adopters among them are
--   T = B + 1..8 min: core1 not used yet (no uses: condition false);
--   T = B + 1 h, 2 h: A = o1..o8, c1 (9), adopters 0;
--   T = B + 3 h: 9, adopters c1: 1/9 = 0.111;
--   T = B + 4 h, 5 h: 10 (c2 too), 1/10; T = B + 6 h, 7 h: 2/10 = 0.2;
--   (T = gone's event: A = gone, core1 unused.)
-- Never >= 0.70: no milestone, feature_adopted_at NULL; none for f2 and f3
-- (rate 0).
SELECT feature_id, activated_users, adopted_users, active_users, active_adopters, adoption_rate,
	success_rate, feature_adopted_at, evaluated_at = (SELECT max(usage_timestamp)
		FROM adoption.feature_usage_events WHERE tenant_id = 'td') AS evaluated_at_last_event
FROM adoption.tenant_feature_state WHERE tenant_id = 'td' ORDER BY feature_id;
SELECT count(*) AS milestones FROM adoption.tenant_feature_milestones WHERE tenant_id = 'td';

-- feature_adoption, as of now (B + 2 days): the same 10 active users.
--   core1: active_users 10, activated 2, adopted 2, active_adopters 2,
--          feature_active_users 2 (c1, c2): adoption_rate 2/10 = 0.2 (the
--          feature's own users would give 2/2 = 1); success_rate 6/6 = 1.
--   f2:    10, activated 4, adopted 0, 0, feature_active_users 4: rate 0,
--          success_rate 5/5 = 1.
--   f3:    10, activated 5 (gone too), adopted 0, 0, feature_active_users 4
--          (gone's use is 40 days old): rate 0; success_rate 4/4 = 1.
SELECT feature_id, tier, active_users, activated_users, adopted_users, active_adopters, feature_active_users,
	adoption_rate, success_rate, feature_adopted_at
FROM adoption.feature_adoption WHERE tenant_id = 'td' ORDER BY feature_id;

-- Health, adoption component as of now: one core feature, core1, rate
-- 2/10 = 0.2: 100 * min(1, 0.2 / 0.7) = 28.571428571 (200/7).
SELECT active_users, core_features, core_feature_ids, core_active, core_adopters
FROM adoption.health_inputs(ARRAY['td']);
SELECT component, inputs, round(score::numeric, 9) AS score
FROM adoption.explain_health('td') WHERE component = 'adoption';
-- As of past times, only events up to as_of count; o1's last event (B + 7 h)
-- is after each of them, so its last event up to as_of comes from the log:
--   B + 2 h 30 min: active o1..o8, c1 (9), c1 has 2 successes: 0 adopters: 0;
--   B + 3 h 30 min: active o1..o8, c1 (9; c2 not seen yet), adopter c1:
--     100 * (1/9) / 0.7 = 15.873015873 (100/6.3);
--   B + 6 h 30 min: 10 active, adopters c1, c2: 28.571428571.
SELECT a.after, i.active_users, i.core_active, i.core_adopters, round(h.adoption::numeric, 9) AS adoption
FROM (VALUES (interval '2 hours 30 minutes'), (interval '3 hours 30 minutes'), (interval '6 hours 30 minutes')) AS a(after),
	LATERAL (SELECT min(usage_timestamp) - interval '1 minute' AS b FROM adoption.feature_usage_events
		WHERE tenant_id = 'td' AND user_id = 'o1') AS b,
	LATERAL adoption.health_inputs(ARRAY['td'], b.b + a.after) AS i,
	LATERAL adoption.health_compute(i.events_recent, i.events_previous, true, i.core_features, i.core_active,
		i.core_adopters, i.adoption_threshold, i.active_users, i.tickets, i.billing, i.nps_promoters,
		i.nps_passives, i.nps_detractors, i.weights) AS h
ORDER BY a.after;

-- Seat utilization: 10 active users of 10 seats = 1 >= 0.9.
SELECT tenant_id, opportunity, metric, evidence FROM adoption.expansion_opportunities WHERE tenant_id = 'td';

-- 2. Events ahead of the clock (within max_future_skew, 1 day).  Tenant
-- td-ahead: a1 uses core1 at now - 1 day + 0, 1, 2 h (adopted); a2 uses f2
-- at now - 2 days and at now + 1 h; a3 uses f2 only at now + 1 h.
-- As of now, active means an event in (now - 30 days, now]: a1 and a2 (by
-- its use 2 days ago), not a3: 2.
--   feature_adoption core1: 2 active, adopters a1: 1/2 = 0.5;
--     feature_active_users 1 (a1); success_rate 3/3 = 1.
--   f2: 2 active, activated a2, a3 = 2, adopted 0: rate 0;
--     feature_active_users 1 (a2 used it 2 days ago; a3 not yet);
--     success_rate over a2's uses 2/2 = 1.
--   health adoption now: 100 * min(1, 0.5 / 0.7) = 71.428571429 (500/7).
-- tenant_feature_state is as of the tenant's last event, now + 1 h, when a3
-- is active too: core1 1/3 (0.333333333333333 printed to 15 digits).
-- Milestone of core1: at a1's 3rd success (now - 1 day + 2 h) A = a2, a1:
-- 1/2 = 0.5; at now + 1 h 1/3: never >= 0.7.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 'td-ahead', v.u, v.f, now() + v.after
FROM (VALUES ('a1', 'core1', interval '-24 hours'), ('a1', 'core1', interval '-23 hours'),
	('a1', 'core1', interval '-22 hours'), ('a2', 'f2', interval '-2 days'),
	('a2', 'f2', interval '1 hour'), ('a3', 'f2', interval '1 hour')) AS v(u, f, after);
SELECT feature_id, active_users, activated_users, adopted_users, active_adopters, feature_active_users,
	adoption_rate, success_rate
FROM adoption.feature_adoption WHERE tenant_id = 'td-ahead' ORDER BY feature_id;
SELECT active_users, core_active, core_adopters FROM adoption.health_inputs(ARRAY['td-ahead']);
SELECT component, inputs, round(score::numeric, 9) AS score
FROM adoption.explain_health('td-ahead') WHERE component = 'adoption';
SELECT feature_id, active_users, active_adopters, adoption_rate, feature_adopted_at
FROM adoption.tenant_feature_state WHERE tenant_id = 'td-ahead' ORDER BY feature_id;
