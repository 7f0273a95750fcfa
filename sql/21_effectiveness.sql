-- Intervention effectiveness (docs/customer-success.md): treated actions
-- against eligible moments without the play, with Wilson intervals, on
-- fixed dates (as_of 2026-08-01, a 7-day window) worked out by hand.
SET TimeZone = 'UTC';
TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state, adoption.tenant_state,
	adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
	adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys,
	adoption.health_scores, adoption.billing_events, adoption.launches, adoption.features, adoption.tenants CASCADE;
DELETE FROM adoption.settings WHERE tenant_id IS NOT NULL;

-- Wilson 95 % interval, z = 1.959964, z^2 = 3.841459:
--   1 of 1: ((1 + 1.920729) -+ 1.959964 sqrt(0 + 0.960365)) / 4.841459 = 0.206549 .. 1;
--   2 of 3: (0.666667 + 0.640243 -+ 1.959964 sqrt(0.074074 + 0.106707)) / 2.280486 = 0.207660 .. 0.938508;
--   1 of 2: (0.5 + 0.960365 -+ 1.959964 sqrt(0.125 + 0.240091)) / 2.920729 = 0.094531 .. 0.905469.
SELECT v.x, v.n, round(w[1]::numeric, 6) AS low, round(w[2]::numeric, 6) AS high
FROM (VALUES (1, 1), (2, 3), (1, 2), (0, 0)) AS v (x, n), LATERAL (SELECT adoption.wilson_interval(v.x, v.n) AS w) AS l;
-- Counts out of range are refused (NULL would read as "no data").
SELECT adoption.wilson_interval(3, 2);
SELECT adoption.wilson_interval(-1, 4);
SELECT adoption.wilson_interval(1, 1, 0);

-- retention_intervention: outcome a healthy score within the window.
--   e1: at_risk 06-01, healthy 06-05; its action created 06-01 01:00, done
--       06-02: treated, healthy within (06-02, 06-09]: success.  Its at_risk
--       moment is no baseline (an action within 7 days of it).
--   e2: at_risk 06-01, healthy 06-20: baseline, failure.
--   e3: at_risk 06-03, healthy 06-06: baseline, success.
--   e4: at_risk 06-10 and 06-12 (the first counts), healthy 06-13: success.
--   e5: at_risk 07-30: its window ends after as_of: not counted.
INSERT INTO adoption.tenants (tenant_id) SELECT 'e' || i FROM generate_series(1, 5) AS i;
INSERT INTO adoption.health_scores (tenant_id, scored_at, score, risk, components, live) VALUES
	('e1', '2026-06-01', 50, 'at_risk', '{}', true), ('e1', '2026-06-05', 80, 'healthy', '{}', true),
	('e2', '2026-06-01', 50, 'at_risk', '{}', true), ('e2', '2026-06-20', 80, 'healthy', '{}', true),
	('e3', '2026-06-03', 50, 'at_risk', '{}', true), ('e3', '2026-06-06', 80, 'healthy', '{}', true),
	('e4', '2026-06-10', 50, 'at_risk', '{}', true), ('e4', '2026-06-12', 45, 'at_risk', '{}', true),
	('e4', '2026-06-13', 75, 'healthy', '{}', true), ('e5', '2026-07-30', 50, 'at_risk', '{}', true);
-- adoption_nudge: outcome the user adopts the feature (3 successes) within
-- the window; eligible at activated_at + nudge_after (7 days): 06-08.
--   x: used g 06-01, nudged (created 06-08, done 06-09), then 06-11 and
--      06-12: adopted 06-12, within (06-09, 06-16]: treated, success.
--   y: used g 06-01 only: baseline, failure.
--   z: used g 06-01, 06-09, 06-10: adopted 06-10, within (06-08, 06-15]:
--      baseline, success.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp) VALUES
	('n1', 'x', 'g', '2026-06-01 09:00+00'), ('n1', 'x', 'g', '2026-06-11 09:00+00'), ('n1', 'x', 'g', '2026-06-12 09:00+00'),
	('n1', 'y', 'g', '2026-06-01 09:00+00'),
	('n1', 'z', 'g', '2026-06-01 09:00+00'), ('n1', 'z', 'g', '2026-06-09 09:00+00'), ('n1', 'z', 'g', '2026-06-10 09:00+00');
INSERT INTO adoption.campaign_action_keys (tenant_id, dedupe_key, action_id) VALUES ('e1', 'r', -1), ('n1', 'nx', -2);
INSERT INTO adoption.campaign_action_archive (action_id, tenant_id, user_id, feature_id, template_key, campaign_id,
	reason, dedupe_key, status, attempts, available_at, created_at, completed_at) VALUES
	(-1, 'e1', NULL, NULL, 'retention_intervention', 'retention_campaign', '{}', 'r', 'done', 1,
		'2026-06-01 01:00+00', '2026-06-01 01:00+00', '2026-06-02 00:00+00'),
	(-2, 'n1', 'x', 'g', 'adoption_nudge', 'encouragement_campaign', '{}', 'nx', 'done', 1,
		'2026-06-08 09:00+00', '2026-06-08 09:00+00', '2026-06-09 00:00+00');

-- June: retention 1 of 1 against 2 of 3 (lift 1.5); nudge 1 of 1 against
-- 1 of 2 (lift 2).
SELECT template_key, month, actions, outcomes, outcome_rate, round(rate_low::numeric, 6) AS rate_low,
	round(rate_high::numeric, 6) AS rate_high, baseline, baseline_outcomes, round(baseline_rate::numeric, 6) AS baseline_rate,
	round(baseline_low::numeric, 6) AS baseline_low, round(baseline_high::numeric, 6) AS baseline_high, lift
FROM adoption.intervention_effectiveness('7 days', '2026-08-01');
-- As of 2026-06-10 (re-evaluating the past): windows ending by then only.
-- Retention: the action (06-02 + 7 = 06-09) and the baseline of e2 (06-08,
-- failure) and e3 (06-10, success): 1 of 1 against 1 of 2, lift 2; no
-- nudge unit has its window ended.
SELECT template_key, month, actions, outcomes, baseline, baseline_outcomes, lift
FROM adoption.intervention_effectiveness('7 days', '2026-06-10');
-- The view is the function at its defaults (30 days, now).
SELECT count(*) = (SELECT count(*) FROM adoption.intervention_effectiveness('30 days', now())) AS same
FROM adoption.intervention_effectiveness;
-- Bad input.
SELECT * FROM adoption.intervention_effectiveness('0 days');
SELECT * FROM adoption.intervention_effectiveness('7 days', 'infinity');

-- Baseline exclusion (audit of the customer-success numbers), July, 7 days:
--   e6: at_risk 07-08 00:00, a retention action (dead) created 07-01 00:00,
--       exactly 7 days before: within the window, so no baseline unit.
--   e9: at_risk 07-20 00:00, healthy 07-22, a retention action created
--       07-12 23:59:59.999999, 7 days and 1 µs before: baseline, success.
--   e7: critical 07-10 00:00, an escalate_to_cs action naming a user (a
--       manual intervention; withdrawn) created 07-10 01:00: the subject is
--       the tenant, so no baseline unit.
--   e8: critical 07-12, healthy 07-14, no action: baseline, success.
-- Want July: retention 1 of 1 baseline, escalate 1 of 1 baseline (before
-- the fix: 1 of 2 each, e6 and e7 counted as untreated).
INSERT INTO adoption.tenants (tenant_id) VALUES ('e6'), ('e7'), ('e8'), ('e9');
INSERT INTO adoption.health_scores (tenant_id, scored_at, score, risk, components, live) VALUES
	('e6', '2026-07-08', 50, 'at_risk', '{}', true), ('e9', '2026-07-20', 50, 'at_risk', '{}', true),
	('e9', '2026-07-22', 80, 'healthy', '{}', true), ('e7', '2026-07-10', 20, 'critical', '{}', true),
	('e8', '2026-07-12', 20, 'critical', '{}', true), ('e8', '2026-07-14', 80, 'healthy', '{}', true);
INSERT INTO adoption.campaign_action_archive (action_id, tenant_id, user_id, template_key, campaign_id, dedupe_key, status,
	available_at, created_at) VALUES
	(-3, 'e6', NULL, 'retention_intervention', 'retention_campaign', 'r6', 'dead', '2026-07-01', '2026-07-01 00:00+00'),
	(-4, 'e9', NULL, 'retention_intervention', 'retention_campaign', 'r9', 'dead', '2026-07-12', '2026-07-12 23:59:59.999999+00'),
	(-5, 'e7', 'u1', 'escalate_to_cs', 'cs_escalation', 'c7', 'withdrawn', '2026-07-10', '2026-07-10 01:00+00');
SELECT template_key, month, actions, baseline, baseline_outcomes
FROM adoption.intervention_effectiveness('7 days', '2026-08-01') WHERE month = '2026-07-01';
