-- Customer health: components, score, bands, history and explain on
-- hand-made tenants; the arithmetic is in the comments.
SET TimeZone = 'UTC';
TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state, adoption.tenant_state,
	adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
	adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys,
	adoption.support_tickets, adoption.billing_events, adoption.feedback, adoption.health_scores,
	adoption.rescore_state, adoption.launches, adoption.features, adoption.tenants CASCADE;
DELETE FROM adoption.settings WHERE tenant_id IS NOT NULL;
-- Two core features (reports, whose upgrade is api, and dashboards) and one advanced one.
INSERT INTO adoption.features (feature_id, feature_name, tier, upgrade_feature_id) VALUES
	('api', 'API', 'advanced', NULL), ('reports', 'Reports', 'core', 'api'),
	('dashboards', 'Dashboards', 'core', NULL);

-- 1. The components of health_compute() one by one.
-- usage_trend = 100 min(1, recent / previous): 10/20 -> 50; 30/20 -> 100 (capped);
-- previous 0: 100 if recent > 0, else 0; absent (NULL) without any event.
SELECT r.usage_trend FROM (VALUES (10, 20, true), (30, 20, true), (5, 0, true), (0, 0, true), (0, 0, false)) AS v(a, b, e),
	LATERAL adoption.health_compute(v.a, v.b, v.e, 0, '{}', '{}', 0.7, 0, '{0,0,0,0}', '{0,0,0,0,0}', 0, 0, 0,
		'{0.3,0.3,0.15,0.15,0.1}') AS r;
-- adoption = 100 mean over core features of min(1, (adopters/active) / threshold):
-- 3 core features, rates 2/4 and 1/1 (the third has no active user: 0):
-- (0.5/0.7 + min(1, 1/0.7) + 0) / 3 * 100 = (0.714285714 + 1) / 3 * 100 = 57.142857143.
-- No core feature: absent.
SELECT round(r.adoption::numeric, 9) FROM adoption.health_compute(1, 1, true, 3, '{4,1}', '{2,1}', 0.7, 5,
	'{0,0,0,0}', '{0,0,0,0,0}', 0, 0, 0, '{0.3,0.3,0.15,0.15,0.1}') AS r;
SELECT r.adoption FROM adoption.health_compute(1, 1, true, 0, '{}', '{}', 0.7, 5,
	'{0,0,0,0}', '{0,0,0,0,0}', 0, 0, 0, '{0.3,0.3,0.15,0.15,0.1}') AS r;
-- support = 100 exp(-w/s): 1 high ticket (w 4) with 10 active users (s 2): 100 e^-2 = 13.533528324;
-- 1 low + 1 medium (w 3) with 3 active users (s = max(1, 0.6) = 1): 100 e^-3 = 4.978706837;
-- 1 of each (w 15) with 100 active users (s 20): 100 e^-0.75 = 47.236655274; none: 100.
SELECT round(r.support::numeric, 9) FROM (VALUES ('{0,0,1,0}'::bigint[], 10), ('{1,1,0,0}', 3), ('{1,1,1,1}', 100), ('{0,0,0,0}', 0)) AS v(t, u),
	LATERAL adoption.health_compute(1, 1, true, 0, '{}', '{}', 0.7, v.u, v.t, '{0,0,0,0,0}', 0, 0, 0,
		'{0.3,0.3,0.15,0.15,0.1}') AS r;
-- billing = max(0, 100 - 25 failed - 25 overdue - 30 downgrade - 10 refund - 100 cancellation):
-- one failed + one refund: 65; one downgrade + one overdue: 45; two cancellations: 0.
SELECT r.billing FROM (VALUES ('{1,0,0,1,0}'::bigint[]), ('{0,1,1,0,0}'), ('{0,0,0,0,2}')) AS v(b),
	LATERAL adoption.health_compute(1, 1, true, 0, '{}', '{}', 0.7, 1, '{0,0,0,0}', v.b, 0, 0, 0,
		'{0.3,0.3,0.15,0.15,0.1}') AS r;
-- feedback = (NPS + 100) / 2: 2 promoters, 1 passive, 1 detractor: NPS 25 -> 62.5;
-- 0 promoters, 0 passives, 3 detractors: NPS -100 -> 0; no answer: absent.
SELECT r.feedback FROM (VALUES (2, 1, 1), (0, 0, 3), (0, 0, 0)) AS v(p, a, d),
	LATERAL adoption.health_compute(1, 1, true, 0, '{}', '{}', 0.7, 1, '{0,0,0,0}', '{0,0,0,0,0}', v.p, v.a, v.d,
		'{0.3,0.3,0.15,0.15,0.1}') AS r;
-- The score renormalizes over the present components: usage 100, adoption absent,
-- support 100, billing 65, feedback absent: (0.3*100 + 0.15*100 + 0.15*65) / 0.6 = 91.25;
-- effective weights 0.5, 0, 0.25, 0.25, 0.
SELECT r.score, r.weights FROM adoption.health_compute(1, 1, true, 0, '{}', '{}', 0.7, 1, '{0,0,0,0}',
	'{1,0,0,1,0}', 0, 0, 0, '{0.3,0.3,0.15,0.15,0.1}') AS r;
-- All present weights zero: the present components count equally: (100 + 100 + 65) / 3 = 88.333333333.
SELECT round(r.score::numeric, 9), r.weights FROM adoption.health_compute(1, 1, true, 0, '{}', '{}', 0.7, 1,
	'{0,0,0,0}', '{1,0,0,1,0}', 0, 0, 0, '{0,0.5,0,0,0.5}') AS r;

-- Extreme counts and weights (cases test/fuzz/c/health_fuzz.c found).  2^63 - 1
-- promoters and 243 passives: NPS 100, feedback 100 (the answers' int64 sum wrapped
-- and feedback came out absent); present support, billing and feedback: weights
-- 0.15, 0.15, 0.1 renormalized to 0.375, 0.375, 0.25, score 100.
SELECT round(r.score::numeric, 9) AS score, r.feedback,
	(SELECT array_agg(round(w::numeric, 9)) FROM unnest(r.weights) AS w) AS weights
FROM adoption.health_compute(0, 0, false, 0, '{}', '{}', 0.7, 0,
	'{0,0,0,0}', '{0,0,0,0,0}', 9223372036854775807, 243, 0, '{0.3,0.3,0.15,0.15,0.1}') AS r;
-- 78 passives and 6701360214082211406 detractors: NPS -100 + 1.2e-15, feedback 0
-- (it was -7.1e-15: 100 * (promoters - detractors) is rounded before the division).
SELECT r.feedback FROM adoption.health_compute(0, 0, false, 0, '{}', '{}', 0.7, 0,
	'{0,0,0,0}', '{0,0,0,0,0}', 0, 78, 6701360214082211406, '{0.3,0.3,0.15,0.15,0.1}') AS r;
-- Weights of 1e308: their sum is infinite (it made every effective weight 0 and the
-- score 0); support and billing, both 100, count half each: score 100.
SELECT r.score, r.weights FROM adoption.health_compute(0, 0, false, 0, '{}', '{}', 0.7, 0,
	'{0,0,0,0}', '{0,0,0,0,0}', 0, 0, 0, '{1e308,1e308,1e308,1e308,1e308}') AS r;

-- Bad inputs: clear errors.
SELECT adoption.health_compute(NULL, 1, true, 0, '{}', '{}', 0.7, 1, '{0,0,0,0}', '{0,0,0,0,0}', 0, 0, 0, '{0.3,0.3,0.15,0.15,0.1}');
SELECT adoption.health_compute(-1, 1, true, 0, '{}', '{}', 0.7, 1, '{0,0,0,0}', '{0,0,0,0,0}', 0, 0, 0, '{0.3,0.3,0.15,0.15,0.1}');
SELECT adoption.health_compute(1, 1, true, 1, '{1}', '{2}', 0.7, 1, '{0,0,0,0}', '{0,0,0,0,0}', 0, 0, 0, '{0.3,0.3,0.15,0.15,0.1}');
SELECT adoption.health_compute(1, 1, true, 1, '{1,2}', '{1}', 0.7, 1, '{0,0,0,0}', '{0,0,0,0,0}', 0, 0, 0, '{0.3,0.3,0.15,0.15,0.1}');
SELECT adoption.health_compute(1, 1, true, 1, '{1,2}', '{1,1}', 0.7, 1, '{0,0,0,0}', '{0,0,0,0,0}', 0, 0, 0, '{0.3,0.3,0.15,0.15,0.1}');
SELECT adoption.health_compute(1, 1, true, 0, '{}', '{}', 0, 1, '{0,0,0,0}', '{0,0,0,0,0}', 0, 0, 0, '{0.3,0.3,0.15,0.15,0.1}');
SELECT adoption.health_compute(1, 1, true, 0, '{}', '{}', 0.7, 1, '{0,0,0}', '{0,0,0,0,0}', 0, 0, 0, '{0.3,0.3,0.15,0.15,0.1}');
SELECT adoption.health_compute(1, 1, true, 0, '{}', '{}', 0.7, 1, '{0,0,0,0}', '{0,0,NULL,0,0}', 0, 0, 0, '{0.3,0.3,0.15,0.15,0.1}');
SELECT adoption.health_compute(1, 1, true, 0, '{}', '{}', 0.7, 1, '{0,0,0,0}', '{0,0,0,0,0}', 0, 0, 0, '{0.3,0.3,0.15,0.15,NaN}');
SELECT adoption.health_compute(1, 1, true, 0, '{}', '{}', 0.7, 1, '{0,0,0,0}', '{0,0,0,0,0}', 0, 0, 0, '{0.3,-0.3,0.15,0.15,0.1}');

-- 2. Risk bands: >= 70 healthy, >= 40 at_risk, else critical.
SELECT s, adoption.risk_band(s) FROM unnest(ARRAY[100, 70, 69.999, 40, 39.999, 0]::float8[]) AS s;

-- 3. Tenant acme as of A = 2026-06-30 00:00 UTC.
-- Events in (A-30d, A]: reports by u1 (A-10d, -9d, -8d: adopted A-8d), u2 (A-12d,
-- -11d, -3d: adopted A-3d), u3 (A-5d, failed), u4 (A-1d); dashboards by u1
-- (A-7d, -6d, -5d: adopted A-5d): 11 events.  In (A-60d, A-30d]: 22 uses of api
-- by u5 (A-40d + 0..21 h).  Active users (an event of any feature in
-- (A-30d, A]): u1..u4 = 4 (u5 last seen A-39d).
--   usage_trend = 100 * 11/22 = 50
--   adoption: a core feature's rate divides its adopters among the tenant's
--             active users by all 4 of them, not by the feature's own users:
--             reports u1, u2 / 4 = 0.5 -> 0.5/0.7 = 0.714285714;
--             dashboards u1 / 4 = 0.25 -> 0.25/0.7 = 0.357142857 (over its
--             own single user it would be 1); api is advanced, not core;
--             100 * (0.714285714 + 0.357142857) / 2 = 53.571428571 (375/7)
--   support: one low ticket at A-2d (the urgent one at A-31d is outside): w 1,
--            s = max(1, 0.2*4) = 1: 100 e^-1 = 36.787944117
--   billing: refund A-20d (10) + invoice_overdue A-80d (25) = 35 -> 65 (the
--            payment_failed at A-91d is outside, payment_succeeded costs nothing)
--   feedback: NPS 10 (A-1d), 9 (A-30d), 7 (A-60d), 3 (A-89d) -> 2 promoters,
--            1 passive, 1 detractor: NPS 25 -> 62.5 (the 0 at A-91d and the
--            CSAT answer do not count)
--   score = 0.3*50 + 0.3*53.571428571 + 0.15*36.787944117 + 0.15*65 + 0.1*62.5
--         = 15 + 16.071428571 + 5.518191618 + 9.75 + 6.25 = 52.589620189: at_risk
-- health_inputs: core_active holds the denominator of each core feature's
-- rate, the 4 active users, for dashboards and reports alike.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT 'acme', v.u, v.f, timestamptz '2026-06-30 00:00+00' - v.d * interval '1 day', v.ok
FROM (VALUES ('u1', 'reports', 10, true), ('u1', 'reports', 9, true), ('u1', 'reports', 8, true),
	('u2', 'reports', 12, true), ('u2', 'reports', 11, true), ('u2', 'reports', 3, true),
	('u3', 'reports', 5, false), ('u4', 'reports', 1, true),
	('u1', 'dashboards', 7, true), ('u1', 'dashboards', 6, true), ('u1', 'dashboards', 5, true)) AS v(u, f, d, ok);
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 'acme', 'u5', 'api', timestamptz '2026-06-30 00:00+00' - interval '40 days' + h * interval '1 hour'
FROM generate_series(0, 21) AS h;
INSERT INTO adoption.support_tickets (tenant_id, ticket_id, opened_at, severity) VALUES
	('acme', 'k1', timestamptz '2026-06-30 00:00+00' - interval '2 days', 'low'),
	('acme', 'k2', timestamptz '2026-06-30 00:00+00' - interval '31 days', 'urgent');
INSERT INTO adoption.billing_events (tenant_id, event_id, occurred_at, kind) VALUES
	('acme', 'b1', timestamptz '2026-06-30 00:00+00' - interval '20 days', 'refund'),
	('acme', 'b2', timestamptz '2026-06-30 00:00+00' - interval '80 days', 'invoice_overdue'),
	('acme', 'b3', timestamptz '2026-06-30 00:00+00' - interval '91 days', 'payment_failed'),
	('acme', 'b4', timestamptz '2026-06-30 00:00+00' - interval '5 days', 'payment_succeeded');
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, score, created_at) VALUES
	('acme', 'n1', 'nps', 10, timestamptz '2026-06-30 00:00+00' - interval '1 day'),
	('acme', 'n2', 'nps', 9, timestamptz '2026-06-30 00:00+00' - interval '30 days'),
	('acme', 'n3', 'nps', 7, timestamptz '2026-06-30 00:00+00' - interval '60 days'),
	('acme', 'n4', 'nps', 3, timestamptz '2026-06-30 00:00+00' - interval '89 days'),
	('acme', 'n5', 'nps', 0, timestamptz '2026-06-30 00:00+00' - interval '91 days'),
	('acme', 'c1', 'csat', 1, timestamptz '2026-06-30 00:00+00' - interval '1 day');

SELECT tenant_id, events_recent, events_previous, last_event_at, core_features, core_feature_ids,
	core_active, core_adopters, active_users, tickets, billing, nps_promoters, nps_passives, nps_detractors
FROM adoption.health_inputs(ARRAY['acme'], '2026-06-30 00:00+00');
SELECT adoption.rescore('acme', '2026-06-30 00:00+00');
SELECT tenant_id, scored_at, round(score::numeric, 9) AS score, risk, previous_risk, delta,
	round(usage_trend::numeric, 9) AS usage_trend, round(adoption::numeric, 9) AS adoption,
	round(support::numeric, 9) AS support, billing, feedback, active_users, last_event_at
FROM adoption.tenant_health WHERE tenant_id = 'acme';
-- explain_health: one row per component; the contributions sum to the score.
SELECT component, inputs, round(score::numeric, 9) AS score, weight, effective_weight,
	round(contribution::numeric, 9) AS contribution
FROM adoption.explain_health('acme', '2026-06-30 00:00+00');
SELECT round(sum(contribution)::numeric, 9) AS total FROM adoption.explain_health('acme', '2026-06-30 00:00+00');

-- 4. As of a past time only data with time <= as_of counts: data of later
-- times (an urgent ticket, a detractor, more uses that make u4 adopt, a
-- cancellation) leaves the score as of A unchanged; as of A + 3 days it moves.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 'acme', 'u4', 'reports', timestamptz '2026-06-30 00:00+00' + h * interval '1 hour'
FROM generate_series(1, 5) AS h;
INSERT INTO adoption.support_tickets (tenant_id, ticket_id, opened_at, severity) VALUES
	('acme', 'k3', '2026-06-30 01:00+00', 'urgent');
INSERT INTO adoption.billing_events (tenant_id, event_id, occurred_at, kind) VALUES
	('acme', 'b5', '2026-07-01 00:00+00', 'cancellation');
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, score, created_at) VALUES
	('acme', 'n6', 'nps', 0, '2026-07-02 00:00+00');
SELECT adoption.rescore('acme', '2026-06-30 00:00+00');
SELECT round(score::numeric, 9) AS score, risk FROM adoption.health_scores
WHERE tenant_id = 'acme' AND scored_at = '2026-06-30 00:00+00';
-- As of A + 3 days (2026-07-03): events (A-27d, A+3d]: reports u1 3, u2 3, u3 1,
-- u4 1 + 5 = 13 and dashboards 3: 16; previous (A-57d, A-27d]: 22 -> 100 * 16/22 = 72.727272727.
-- adoption: 4 active users (u1..u4, all within 30 days of A+3d);
-- reports u1, u2, u4 adopted: 3/4 = 0.75, 0.75/0.7 -> 1; dashboards u1:
-- 1/4 -> 0.357142857: 100 * (1 + 0.357142857) / 2 = 67.857142857 (475/7).
-- support: low at A-2d, urgent at A+1h: w 9, s 1 -> 100 e^-9 = 0.012340980.
-- billing: 35 + cancellation 100 -> 0.
-- feedback: 10, 9, 7, 0 (the 3 at A-89d is now outside): 2 promoters, 1
-- passive, 1 detractor: 62.5.
-- score = 0.3*72.727272727 + 0.3*67.857142857 + 0.15*0.012340980 + 0 + 0.1*62.5
-- = 21.818181818 + 20.357142857 + 0.001851147 + 6.25 = 48.427175822;
-- delta = 48.427175822 - 52.589620189 = -4.162444367.
SELECT adoption.rescore('acme', '2026-07-03 00:00+00');
SELECT scored_at, round(score::numeric, 9) AS score, risk, previous_risk, round(delta::numeric, 9) AS delta,
	risk_changed, components ->> 'billing' AS billing
FROM adoption.health_history WHERE tenant_id = 'acme' ORDER BY scored_at;

-- 5. Missing components and per-tenant weights.  solo: u9 uses reports at
-- A-3d, -2d, -1d (adopted).  usage 100 (nothing before), adoption: reports 1,
-- dashboards 0 -> 50, support 100, billing 100, no NPS -> feedback absent:
-- (0.3*100 + 0.3*50 + 0.15*100 + 0.15*100) / 0.9 = 83.333333333, healthy.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 'solo', 'u9', 'reports', timestamptz '2026-06-30 00:00+00' - d * interval '1 day'
FROM generate_series(1, 3) AS d;
SELECT adoption.rescore('solo', '2026-06-30 00:00+00');
SELECT round(score::numeric, 9) AS score, risk, components FROM adoption.tenant_health WHERE tenant_id = 'solo';
-- Weight of adoption 0 for solo only: (30 + 15 + 15) / 0.6 = 100.
INSERT INTO adoption.settings (tenant_id, weight_adoption) VALUES ('solo', 0);
SELECT adoption.rescore('solo', '2026-06-30 00:00+00');
SELECT score, risk FROM adoption.tenant_health WHERE tenant_id = 'solo';
SELECT component, score, weight, effective_weight, contribution FROM adoption.explain_health('solo', '2026-06-30 00:00+00');
-- acme still uses the defaults.
SELECT round(score::numeric, 9) AS score FROM adoption.health_scores WHERE tenant_id = 'acme' AND scored_at = '2026-06-30 00:00+00';
-- Per-tenant bands: with healthy and at_risk both from 100, solo's 100 is
-- healthy; back to the default weights (83.333333333) it is critical.
UPDATE adoption.settings SET health_healthy_min = 100, health_at_risk_min = 100 WHERE tenant_id = 'solo';
SELECT adoption.rescore('solo', '2026-06-30 00:00+00');
SELECT score, risk FROM adoption.tenant_health WHERE tenant_id = 'solo';
UPDATE adoption.settings SET weight_adoption = NULL WHERE tenant_id = 'solo';
SELECT adoption.rescore('solo', '2026-06-30 00:00+00');
SELECT round(score::numeric, 9) AS score, risk FROM adoption.tenant_health WHERE tenant_id = 'solo';
DELETE FROM adoption.settings WHERE tenant_id = 'solo';

-- 6. Errors.
SELECT adoption.rescore('nobody');
SELECT adoption.rescore(NULL, NULL);
SELECT adoption.rescore('acme', '2999-01-01 00:00+00');
SELECT adoption.rescore('acme', 'infinity');
SELECT * FROM adoption.explain_health('nobody');
\set VERBOSITY terse
INSERT INTO adoption.settings (tenant_id, health_healthy_min) VALUES ('acme', 101);
INSERT INTO adoption.settings (tenant_id, health_healthy_min, health_at_risk_min) VALUES ('acme', 50, 60);
INSERT INTO adoption.settings (tenant_id, action_cooldown) VALUES ('acme', '-1 day');
\set VERBOSITY default

-- 7. Actions, on data relative to the current time (only a score at most a
-- day old acts).  Every tenant here has reports used by a user in the last
-- days, so adoption = 50 (reports 1, dashboards 0) unless said otherwise.
CREATE FUNCTION pg_temp.use(t text, u text, f text, ago interval, n integer DEFAULT 1, ok boolean DEFAULT true)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
	SELECT t, u, f, now() - ago + (i - 1) * interval '1 hour', ok FROM generate_series(1, n) AS i
$$;
CREATE VIEW pg_temp.acts AS
SELECT tenant_id, template_key, user_id, feature_id, reason ->> 'risk' AS risk
FROM adoption.campaign_actions WHERE template_key <> 'adoption_success';

-- osc and down get their low scores from a cancellation; the default play
-- policy gives a cancelled account no retention_intervention nor
-- escalate_to_cs, so their tenant policies allow them here (the band
-- mechanics are what this part tests; the policy is tested in 18_plays).
INSERT INTO adoption.tenant_play_policy (tenant_id, account_state, template_key, allowed) VALUES
	('osc', 'cancelled', 'retention_intervention', true), ('down', 'cancelled', 'escalate_to_cs', true);
-- osc: u1 adopted reports 3 days ago; a cancellation 6 hours ago.  usage 100,
-- adoption 50, support 100, billing 0, no NPS: (30 + 15 + 15 + 0) / 0.9 = 66.666666667.
SELECT pg_temp.use('osc', 'u1', 'reports', '3 days', 3);
INSERT INTO adoption.billing_events (tenant_id, event_id, occurred_at, kind) VALUES ('osc', 'c', now() - interval '6 hours', 'cancellation');
-- 5 h ago: the first score enters at_risk: retention_intervention.
SELECT adoption.rescore('osc', now() - interval '5 hours');
-- The band boundary moves around the score (as a score moving around a
-- boundary would): 4 h ago healthy, 3 h ago at_risk again, within the
-- cooldown (30 days by default): no second action.
INSERT INTO adoption.settings (tenant_id, health_healthy_min) VALUES ('osc', 60);
SELECT adoption.rescore('osc', now() - interval '4 hours');
UPDATE adoption.settings SET health_healthy_min = 70 WHERE tenant_id = 'osc';
SELECT adoption.rescore('osc', now() - interval '3 hours');
-- With a 90-minute cooldown: healthy 2 h ago, at_risk 1 h ago: 4 h after the
-- first action, so a second one.
UPDATE adoption.settings SET health_healthy_min = 60, action_cooldown = '90 minutes' WHERE tenant_id = 'osc';
SELECT adoption.rescore('osc', now() - interval '2 hours');
UPDATE adoption.settings SET health_healthy_min = NULL WHERE tenant_id = 'osc';
SELECT adoption.rescore('osc', now() - interval '1 hour');
SELECT round(score::numeric, 6) AS score, risk, previous_risk, risk_changed, actions
FROM adoption.health_history WHERE tenant_id = 'osc' ORDER BY scored_at;
SELECT * FROM pg_temp.acts WHERE tenant_id = 'osc';
-- Rescoring twice in a row adds nothing: no band is entered.
SELECT adoption.rescore('osc');
SELECT adoption.rescore('osc');
SELECT count(*) FROM pg_temp.acts WHERE tenant_id = 'osc';
-- An older score rescored again is not the newest: it acts no more.
SELECT adoption.rescore('osc', now() - interval '5 hours');
SELECT count(*) FROM pg_temp.acts WHERE tenant_id = 'osc';

-- down: one failed use yesterday (adoption 0), two urgent tickets (w 16,
-- s 1: support 100 e^-16), a cancellation: (30 + 0 + 0.000017 + 0) / 0.9 = 33.33:
-- critical: escalate_to_cs.
SELECT pg_temp.use('down', 'u1', 'reports', '1 day', 1, false);
INSERT INTO adoption.support_tickets (tenant_id, ticket_id, opened_at, severity) VALUES
	('down', 'k1', now() - interval '2 days', 'urgent'), ('down', 'k2', now() - interval '3 days', 'urgent');
INSERT INTO adoption.billing_events (tenant_id, event_id, occurred_at, kind) VALUES ('down', 'c', now() - interval '1 day', 'cancellation');
SELECT adoption.rescore('down');
SELECT round(score::numeric, 6), risk FROM adoption.tenant_health WHERE tenant_id = 'down';

-- quiet: last used 40 days ago (dormant_after 30 days): win_back.  usage 0
-- (3 events before, none since), adoption 0 (nobody active), support 100,
-- billing 100: 30 / 0.9 = 33.33, critical too.  Rescored: nothing new (one
-- win_back per quiet spell, the band is not entered again).
SELECT pg_temp.use('quiet', 'u1', 'reports', '40 days', 3);
SELECT adoption.rescore('quiet');
SELECT adoption.rescore('quiet');

-- nud: n1 activated 10 days ago and did not adopt (nudge_after 7 days):
-- adoption_nudge; n2 activated 2 days ago: too early; n3 60 days ago: too
-- late (beyond nudge_after + active_window); n4 adopted: no nudge.
SELECT pg_temp.use('nud', 'n1', 'dashboards', '10 days');
SELECT pg_temp.use('nud', 'n2', 'dashboards', '2 days');
SELECT pg_temp.use('nud', 'n3', 'dashboards', '60 days');
SELECT pg_temp.use('nud', 'n4', 'dashboards', '10 days', 3);
SELECT adoption.rescore('nud');

-- adv: h1 is habitual on reports (5 uses in 5 hours) and the tenant never
-- used api, reports' upgrade: advanced_feature for api.  adv2 uses api: none.
SELECT pg_temp.use('adv', 'h1', 'reports', '2 days', 5);
SELECT pg_temp.use('adv2', 'h1', 'reports', '2 days', 5);
SELECT pg_temp.use('adv2', 'h2', 'api', '2 days');
SELECT adoption.rescore('adv');
SELECT adoption.rescore('adv2');

-- seat: 2 active users of 2 seats (>= 0.9): expansion_offer; seat2: 2 of 10: none.
INSERT INTO adoption.tenants (tenant_id, seats_licensed) VALUES ('seat', 2), ('seat2', 10);
SELECT pg_temp.use('seat', 'a', 'reports', '1 day', 3);
SELECT pg_temp.use('seat', 'b', 'reports', '1 day', 3);
SELECT pg_temp.use('seat2', 'a', 'reports', '1 day', 3);
SELECT pg_temp.use('seat2', 'b', 'reports', '1 day', 3);
SELECT adoption.rescore('seat');
SELECT adoption.rescore('seat2');
SELECT tenant_id, opportunity, feature_id, metric, evidence FROM adoption.expansion_opportunities
WHERE tenant_id IN ('seat', 'seat2', 'adv', 'adv2') ORDER BY tenant_id, opportunity;

-- old: scored as of 3 days ago (a backfill): history, no action.
SELECT pg_temp.use('old', 'u1', 'reports', '50 days', 1, false);
SELECT adoption.rescore('old', now() - interval '3 days');
SELECT risk FROM adoption.tenant_health WHERE tenant_id = 'old';

SELECT * FROM pg_temp.acts ORDER BY tenant_id, template_key, user_id;
-- Every action is in the queue once, with one key.
SELECT count(*) = count(DISTINCT (tenant_id, dedupe_key)) AS unique_keys FROM adoption.campaign_actions;

-- 8. Incremental rescoring: the first run scores the tenants without a score
-- of the last day (acme and solo, scored as of June; old, scored 3 days
-- ago); a second run finds nothing; new data makes its tenant due again.
SELECT adoption.rescore();
-- old's first live score acts on the band it finds (the backfilled score
-- did not act): escalate_to_cs, and win_back (no use for 50 days).
SELECT template_key FROM pg_temp.acts WHERE tenant_id = 'old' ORDER BY 1;
SELECT adoption.rescore();
INSERT INTO adoption.support_tickets (tenant_id, ticket_id, severity) VALUES ('seat2', 'k1', 'low');
SELECT pg_temp.use('adv', 'h1', 'dashboards', '1 hour');
SELECT adoption.rescore();
SELECT tenant_id, count(*) FROM adoption.health_scores WHERE tenant_id IN ('seat2', 'adv') GROUP BY 1 ORDER BY 1;

-- 9. Scheduling: pg_cron lives in database postgres on the test cluster, so
-- from here the error says where to run what.
SELECT adoption.schedule_rescoring();
SELECT adoption.schedule_rescoring(NULL);
SELECT adoption.unschedule_rescoring();
-- upkeep() runs without pg_cron here: partitions, retention (none), rescore,
-- daily snapshots (as many days as lie between the data and today; a second
-- run has none left to write).
SELECT adoption.upkeep() - 'partitions_created' - 'snapshot_days';
SELECT adoption.upkeep() -> 'snapshot_days' AS snapshot_days_again,
	(SELECT count(*) > 0 FROM adoption.daily_tenant_snapshots) AS snapshots_kept;

-- 10. Scores computed in any order (audit of the customer-success numbers):
-- the score before is the one with the latest earlier scored_at, whatever
-- was stored first.  Three scores written newest first, as a backfill after
-- a live score leaves them (delta and previous_risk of none set): 30
-- critical on 03-01, 50 at_risk on 03-02, 80 healthy on 03-03.
INSERT INTO adoption.tenants (tenant_id, name) VALUES ('hist', 'History');
INSERT INTO adoption.health_scores (tenant_id, scored_at, score, risk, components) VALUES ('hist', '2026-03-03', 80, 'healthy', '{}');
INSERT INTO adoption.health_scores (tenant_id, scored_at, score, risk, components) VALUES ('hist', '2026-03-02', 50, 'at_risk', '{}');
INSERT INTO adoption.health_scores (tenant_id, scored_at, score, risk, components) VALUES ('hist', '2026-03-01', 30, 'critical', '{}');
-- Want: 03-01 NULL, NULL, entered; 03-02 critical, +20, entered; 03-03 at_risk, +30, entered.
SELECT scored_at::date, risk, previous_risk, delta, risk_changed FROM adoption.health_history WHERE tenant_id = 'hist' ORDER BY scored_at;
SELECT risk, previous_risk, delta FROM adoption.tenant_health WHERE tenant_id = 'hist';
-- rescore() newest first: each score it adds makes the next one follow it,
-- so the stored columns equal the view's.
SELECT pg_temp.use('hist2', 'h1', 'dashboards', '40 days', 4), pg_temp.use('hist2', 'h2', 'reports', '12 days', 3);
SELECT adoption.rescore('hist2', now() - interval '2 days'), adoption.rescore('hist2', now() - interval '20 days'),
	adoption.rescore('hist2', now() - interval '10 days');
-- Want 3 scores, 2 with a score before, all 3 stored as the view has them.
SELECT count(*) AS scores, count(v.previous_risk) AS with_one_before, count(*) FILTER (WHERE h.delta IS NOT DISTINCT FROM v.delta
		AND h.previous_risk IS NOT DISTINCT FROM v.previous_risk) AS stored_as_the_view
FROM adoption.health_scores AS h JOIN adoption.health_history AS v USING (tenant_id, scored_at) WHERE h.tenant_id = 'hist2';
