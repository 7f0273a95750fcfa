-- One enqueue path (adoption.queue_actions): enqueue_action(),
-- enqueue_batch() and the engine claim keys in the same key space.
SET TimeZone = 'UTC';
TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state, adoption.tenant_state,
	adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
	adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys,
	adoption.health_scores, adoption.billing_events, adoption.features, adoption.tenants CASCADE;
DELETE FROM adoption.settings WHERE tenant_id IS NOT NULL;
INSERT INTO adoption.tenants (tenant_id) VALUES ('e1');
DELETE FROM adoption.milestone_campaigns;
INSERT INTO adoption.milestone_campaigns (milestone, template_key) VALUES ('habitual', 'adoption_success');

-- k1 by enqueue_action; then a batch with k1 (taken), k2 twice (the first
-- is kept: reason {"n": 1}), k3 of an unknown template (skipped).
SELECT adoption.enqueue_action('e1', 'adoption_nudge', 'k1') IS NOT NULL AS k1_enqueued;
SELECT template_key FROM adoption.enqueue_batch('[
	{"tenant_id": "e1", "template_key": "adoption_nudge", "dedupe_key": "k1"},
	{"tenant_id": "e1", "template_key": "case_study", "dedupe_key": "k2", "reason": {"n": 1}},
	{"tenant_id": "e1", "template_key": "case_study", "dedupe_key": "k2", "reason": {"n": 2}},
	{"tenant_id": "e1", "template_key": "no_such_template", "dedupe_key": "k3"}]');
SELECT dedupe_key, template_key, campaign_id, reason FROM adoption.campaign_actions ORDER BY action_id;
-- The engine's milestone key for (habitual, f, u) is taken by a batch first,
-- so u's habitual milestone enqueues nothing more; v's (same uses) does.
SELECT count(*) AS batch_queued FROM adoption.enqueue_batch(jsonb_build_array(jsonb_build_object(
	'tenant_id', 'e1', 'template_key', 'adoption_success', 'user_id', 'u', 'feature_id', 'f',
	'dedupe_key', jsonb_build_array('habitual', 'f', 'u')::text)));
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 'e1', usr, 'f', timestamptz '2026-03-01 09:00' + i * interval '1 hour'
FROM unnest(ARRAY['u', 'v']) AS usr, generate_series(0, 5) AS i;
SELECT dedupe_key, template_key FROM adoption.campaign_actions WHERE user_id IS NOT NULL ORDER BY action_id;
-- The milestone campaigns as CREATE EXTENSION has them.
INSERT INTO adoption.milestone_campaigns (milestone, template_key) VALUES ('feature_adopted', 'adoption_success');
