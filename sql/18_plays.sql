-- Plays that agree: the play policy, cell by cell, on every route into the
-- queue, and the withdrawal of queued plays (docs/customer-success.md).
SET TimeZone = 'UTC';
TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state, adoption.tenant_state,
	adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
	adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys,
	adoption.support_tickets, adoption.billing_events, adoption.feedback, adoption.health_scores,
	adoption.rescore_state, adoption.launches, adoption.features, adoption.tenants, adoption.tenant_play_policy CASCADE;
DELETE FROM adoption.settings WHERE tenant_id IS NOT NULL;
CREATE FUNCTION pg_temp.use(t text, u text, f text, ago interval, n integer DEFAULT 1)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
	SELECT t, u, f, now() - ago + (i - 1) * interval '1 hour' FROM generate_series(1, n) AS i
$$;
CREATE FUNCTION pg_temp.score(t text, risk text, ago interval DEFAULT '1 hour')
RETURNS void LANGUAGE sql AS $$
	INSERT INTO adoption.health_scores (tenant_id, scored_at, score, risk, components, live)
	VALUES (t, now() - ago, CASE risk WHEN 'healthy' THEN 80 WHEN 'at_risk' THEN 50 ELSE 20 END, risk, '{}', true)
$$;

-- The default policy as documented: one row per template, one column per state.
SELECT p.template_key,
	bool_and(p.allowed) FILTER (WHERE p.account_state = 'at_risk') AS at_risk,
	bool_and(p.allowed) FILTER (WHERE p.account_state = 'critical') AS critical,
	bool_and(p.allowed) FILTER (WHERE p.account_state = 'dormant') AS dormant,
	bool_and(p.allowed) FILTER (WHERE p.account_state = 'cancelled') AS cancelled
FROM adoption.play_policy AS p GROUP BY p.template_key ORDER BY p.template_key;

-- One tenant per state, each with a use an hour ago unless dormant:
-- healthy, at_risk and critical by their latest score; dormant by its only
-- use 40 days ago (dormant_after 30 days); cancelled by a cancellation a
-- day ago (and a healthy score); unscored has no score at all.
SELECT pg_temp.use(t, 'u1', 'reports', '1 hour') FROM unnest(ARRAY['s_healthy', 's_at_risk', 's_critical', 's_cancelled', 's_unscored']) AS t;
SELECT pg_temp.use('s_dormant', 'u1', 'reports', '40 days');
SELECT pg_temp.score('s_healthy', 'healthy'), pg_temp.score('s_at_risk', 'at_risk'),
	pg_temp.score('s_critical', 'critical'), pg_temp.score('s_cancelled', 'healthy');
-- An older critical score of s_healthy does not count: the latest one does.
SELECT pg_temp.score('s_healthy', 'critical', '2 days');
INSERT INTO adoption.billing_events (tenant_id, event_id, occurred_at, kind, amount) VALUES
	('s_cancelled', 'c1', now() - interval '1 day', 'cancellation', 0);
SELECT tenant_id, risk, dormant, cancelled_at IS NOT NULL AS cancelled, states
FROM adoption.account_states(ARRAY['s_healthy', 's_at_risk', 's_critical', 's_dormant', 's_cancelled', 's_unscored', 'nobody'])
ORDER BY tenant_id;
-- A tenant's own dormant_after counts: s_quiet, last used 10 days ago, is
-- active under the default (30 days) and dormant under its override (7 days).
SELECT pg_temp.use('s_quiet', 'u1', 'reports', '10 days');
SELECT dormant, states FROM adoption.account_states(ARRAY['s_quiet']);
INSERT INTO adoption.settings (tenant_id, dormant_after) VALUES ('s_quiet', '7 days');
SELECT dormant, states FROM adoption.account_states(ARRAY['s_quiet']);

-- Every cell through enqueue_action() (key 'a') and enqueue_batch() (key
-- 'b'): which of the 60 (tenant, template) plays got queued.  The expected
-- matrix is written out by hand from the policy in the documentation.
CREATE TEMP TABLE expected (template_key text, healthy boolean, at_risk boolean, critical boolean,
	dormant boolean, cancelled boolean, unscored boolean);
INSERT INTO expected VALUES
	('adoption_nudge',         true, true,  true,  true,  false, true),
	('adoption_success',       true, true,  true,  true,  false, true),
	('advanced_feature',       true, true,  false, false, false, true),
	('case_study',             true, false, false, false, false, true),
	('escalate_to_cs',         true, true,  true,  true,  false, true),
	('expansion_offer',        true, false, false, false, false, true),
	('fix_announcement',       true, true,  true,  true,  true,  true),
	('launch_announcement',    true, true,  true,  true,  false, true),
	('pain_point_followup',    true, true,  true,  true,  true,  true),
	('retention_intervention', true, true,  true,  true,  false, true),
	('win_back',               true, true,  true,  true,  true,  true);
SET client_min_messages = warning;
SELECT count(adoption.enqueue_action(t.tenant_id, c.template_key, 'a-' || c.template_key)) AS queued_by_enqueue_action
FROM unnest(ARRAY['s_healthy', 's_at_risk', 's_critical', 's_dormant', 's_cancelled', 's_unscored']) AS t(tenant_id)
CROSS JOIN adoption.campaign_templates AS c;
SELECT count(*) AS queued_by_enqueue_batch FROM adoption.enqueue_batch((
	SELECT jsonb_agg(jsonb_build_object('tenant_id', t.tenant_id, 'template_key', c.template_key, 'dedupe_key', 'b-' || c.template_key))
	FROM unnest(ARRAY['s_healthy', 's_at_risk', 's_critical', 's_dormant', 's_cancelled', 's_unscored']) AS t(tenant_id)
	CROSS JOIN adoption.campaign_templates AS c));
CREATE TEMP VIEW got AS
SELECT c.template_key, k.key,
	bool_or(a.tenant_id = 's_healthy') IS TRUE AS healthy, bool_or(a.tenant_id = 's_at_risk') IS TRUE AS at_risk,
	bool_or(a.tenant_id = 's_critical') IS TRUE AS critical, bool_or(a.tenant_id = 's_dormant') IS TRUE AS dormant,
	bool_or(a.tenant_id = 's_cancelled') IS TRUE AS cancelled, bool_or(a.tenant_id = 's_unscored') IS TRUE AS unscored
FROM adoption.campaign_templates AS c CROSS JOIN (VALUES ('a'), ('b')) AS k(key)
LEFT JOIN adoption.campaign_actions AS a ON a.template_key = c.template_key AND a.dedupe_key = k.key || '-' || c.template_key
GROUP BY c.template_key, k.key;
SELECT * FROM got WHERE key = 'a' ORDER BY template_key;
-- Cells where a route differs from the hand-written matrix: none.
SELECT g.key, g.template_key FROM got AS g JOIN expected AS e USING (template_key)
WHERE (g.healthy, g.at_risk, g.critical, g.dormant, g.cancelled, g.unscored)
	IS DISTINCT FROM (e.healthy, e.at_risk, e.critical, e.dormant, e.cancelled, e.unscored);
-- enqueue_action says why it queued nothing; the key stays free.
RESET client_min_messages;
SELECT adoption.enqueue_action('s_critical', 'expansion_offer', 'why') IS NULL AS not_queued;
SELECT count(*) AS keys_used FROM adoption.campaign_action_keys WHERE dedupe_key = 'why';

-- The ingest engine's milestone actions follow the same rule: u2 of the
-- cancelled tenant and u2 of the critical one become habitual (5 uses in
-- 5 hours); adoption_success is queued for the critical tenant only.
SELECT pg_temp.use(t, 'u2', 'dashboards', '6 hours', 5) FROM unnest(ARRAY['s_cancelled', 's_critical']) AS t;
SELECT tenant_id, user_id, feature_id FROM adoption.campaign_actions
WHERE template_key = 'adoption_success' AND user_id = 'u2' ORDER BY 1;

-- A tenant override: s_critical may get expansion_offer after all; the
-- effective policy shows where each cell comes from.
INSERT INTO adoption.tenant_play_policy VALUES ('s_critical', 'critical', 'expansion_offer', true);
SELECT adoption.enqueue_action('s_critical', 'expansion_offer', 'override') IS NOT NULL AS queued;
SELECT account_state, allowed, source FROM adoption.account_play_policy
WHERE tenant_id IN ('s_critical', 's_at_risk') AND template_key = 'expansion_offer' AND account_state IN ('critical', 'at_risk')
ORDER BY tenant_id, account_state;
SELECT adoption.play_allowed('s_critical', 'critical', 'expansion_offer') AS overridden,
	adoption.play_allowed('s_at_risk', 'critical', 'expansion_offer') AS default_cell,
	adoption.play_allowed('s_at_risk', 'critical', 'no_such_template') AS unlisted;

-- Withdrawal.  w is healthy with five plays queued: expansion_offer and
-- case_study pending, advanced_feature claimed with a live lease,
-- adoption_nudge pending, and launch_announcement claimed with a lease that
-- expired.  w enters critical: withdraw_plays() withdraws expansion_offer
-- and case_study (critical forbids them), leaves advanced_feature with its
-- worker and the allowed plays queued.
SELECT pg_temp.use('w', 'u1', 'reports', '1 hour');
SELECT pg_temp.score('w', 'healthy', '2 hours');
SELECT count(adoption.enqueue_action('w', k, k)) FROM unnest(ARRAY['expansion_offer', 'case_study', 'advanced_feature',
	'adoption_nudge', 'launch_announcement']) AS k;
UPDATE adoption.campaign_action_queue SET status = 'claimed', claimed_by = 'worker', attempts = 1,
	lease_until = CASE template_key WHEN 'advanced_feature' THEN now() + interval '5 minutes' ELSE now() - interval '1 minute' END
WHERE tenant_id = 'w' AND template_key IN ('advanced_feature', 'launch_announcement');
SELECT pg_temp.score('w', 'critical');
SELECT adoption.withdraw_plays(ARRAY['w']) AS withdrawn;
SELECT template_key, status, status_reason, completed_at IS NOT NULL AS completed
FROM adoption.campaign_actions WHERE tenant_id = 'w' ORDER BY template_key;
-- Nothing more to withdraw; a worker finishing a withdrawn action is told.
SELECT adoption.withdraw_plays(ARRAY['w']) AS withdrawn_again;
DO $$
BEGIN
	PERFORM adoption.complete_action((SELECT action_id FROM adoption.campaign_actions WHERE tenant_id = 'w' AND template_key = 'case_study'));
EXCEPTION WHEN object_not_in_prerequisite_state THEN
	RAISE NOTICE 'refused: %', regexp_replace(SQLERRM, '[0-9]+', 'N');
END
$$;
-- The withdrawn plays' keys are free: blocked while w is critical, queued
-- again (a new action; the withdrawn one stays) once w is healthy.
SELECT adoption.enqueue_action('w', 'case_study', 'case_study') IS NULL AS blocked_while_critical;
SELECT pg_temp.score('w', 'healthy', '1 minute');
SELECT adoption.enqueue_action('w', 'case_study', 'case_study') IS NOT NULL AS queued_when_healthy;
SELECT status, count(*) FROM adoption.campaign_actions WHERE tenant_id = 'w' AND template_key = 'case_study' GROUP BY 1 ORDER BY 1;

-- A cancellation withdraws at once (the billing trigger): x has
-- adoption_nudge, win_back and pain_point_followup queued; only win_back
-- and pain_point_followup are allowed for a cancelled account.
SELECT pg_temp.use('x', 'u1', 'reports', '1 hour');
SELECT count(adoption.enqueue_action('x', k, k)) FROM unnest(ARRAY['adoption_nudge', 'win_back', 'pain_point_followup']) AS k;
INSERT INTO adoption.billing_events (tenant_id, event_id, occurred_at, kind, amount) VALUES
	('x', 'c1', now() - interval '2 hours', 'cancellation', 0), ('x', 'p0', now() - interval '3 hours', 'payment_succeeded', 10);
SELECT template_key, status, status_reason FROM adoption.campaign_actions WHERE tenant_id = 'x' ORDER BY template_key;
-- A payment after the cancellation reactivates the account.
INSERT INTO adoption.billing_events (tenant_id, event_id, occurred_at, kind, amount) VALUES
	('x', 'p1', now() - interval '1 hour', 'payment_succeeded', 10);
SELECT states FROM adoption.account_states(ARRAY['x']);
SELECT states FROM adoption.account_states(ARRAY['x'], now() - interval '90 minutes') AS before_the_payment;

-- rescore() withdraws too: d's only uses were 40 days ago (dormant); an
-- expansion_offer queued back when it was active (inserted here as it
-- was) is withdrawn by the rescoring that finds it dormant, which queues
-- win_back.
SELECT pg_temp.use('d', 'u1', 'reports', '40 days', 3);
SELECT adoption.enqueue_action('d', 'expansion_offer', 'now') IS NULL AS blocked_now;
INSERT INTO adoption.campaign_action_keys (tenant_id, dedupe_key, action_id) VALUES ('d', 'then', -1);
INSERT INTO adoption.campaign_action_queue (action_id, tenant_id, template_key, dedupe_key, created_at)
VALUES (-1, 'd', 'expansion_offer', 'then', now() - interval '35 days');
SELECT adoption.rescore('d');
SELECT template_key, status, status_reason FROM adoption.campaign_actions WHERE tenant_id = 'd' ORDER BY template_key;
SELECT count(*) AS keys_of_d FROM adoption.campaign_action_keys WHERE tenant_id = 'd';

-- Bad policy rows are refused.
INSERT INTO adoption.tenant_play_policy VALUES ('w', 'churning', 'win_back', false);
INSERT INTO adoption.tenant_play_policy VALUES ('w', 'critical', 'no_such_template', false);
INSERT INTO adoption.tenant_play_policy VALUES (' ', 'critical', 'win_back', false);
-- Re-inserting a default cell (a restore) updates it.
INSERT INTO adoption.play_policy VALUES ('at_risk', 'advanced_feature', false);
SELECT allowed FROM adoption.play_policy WHERE account_state = 'at_risk' AND template_key = 'advanced_feature';
INSERT INTO adoption.play_policy VALUES ('at_risk', 'advanced_feature', true);
SELECT count(*) AS default_cells FROM adoption.play_policy;
