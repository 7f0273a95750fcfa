-- The integration API (docs/customer-success.md): one jsonb document per
-- seed endpoint, on a hand-made tenant whose figures are worked out in the
-- comments.
SET TimeZone = 'UTC';
TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state, adoption.tenant_state,
	adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
	adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys,
	adoption.support_tickets, adoption.billing_events, adoption.feedback, adoption.campaign_followups,
	adoption.health_scores, adoption.rescore_state, adoption.launches, adoption.features, adoption.tenants,
	adoption.tenant_play_policy CASCADE;
DELETE FROM adoption.settings WHERE tenant_id IS NOT NULL;
-- Two core features (rep, whose upgrade is ai, and exp) and a premium one.
INSERT INTO adoption.features (feature_id, feature_name, tier, upgrade_feature_id) VALUES
	('ai', 'AI', 'premium', NULL), ('rep', 'Reports', 'core', 'ai'), ('exp', 'Export', 'core', NULL);
INSERT INTO adoption.tenants (tenant_id, name, plan, segment, seats_licensed, arr) VALUES
	('api1', 'API One', 'growth', 'mid_market', 2, 1200), ('api2', 'API Two', 'starter', 'smb', 10, 300);
-- api1: a uses rep 5 times, an hour apart, from 2 days ago (adopted at the
-- 3rd, habitual at the 5th); b uses exp once, a day ago.  api2: u once,
-- and a cancellation.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 'api1', 'a', 'rep', now() - interval '2 days' + i * interval '1 hour' FROM generate_series(0, 4) AS i
UNION ALL SELECT 'api1', 'b', 'exp', now() - interval '1 day'
UNION ALL SELECT 'api2', 'u', 'rep', now() - interval '1 day';
INSERT INTO adoption.billing_events (tenant_id, event_id, occurred_at, kind, amount) VALUES
	('api2', 'c', now() - interval '1 hour', 'cancellation', 0);
SELECT adoption.rescore('api1') + adoption.rescore('api2') AS scored;

-- GET product/analytics/api1.  usage: 2 users, 6 events, all successful.
-- rep: 2 active users, 1 adopter (a): rate 0.5; exp: 0 of 2.  Health (as
-- below) 78.57, healthy.  Opportunities: seats 2 of 2 (utilization 1 >=
-- 0.9) and the upgrade path rep -> ai (a is habitual on rep, nobody used ai).
SELECT d -> 'tenant' AS tenant, (d -> 'usage') - 'first_event_at'::text - 'last_event_at'::text AS usage
FROM adoption.api_product_analytics('api1') AS d;
SELECT f ->> 'feature_id' AS feature, f -> 'active_users' AS active, f -> 'active_adopters' AS adopters,
	f -> 'adoption_rate' AS rate, f -> 'habitual_users' AS habitual
FROM adoption.api_product_analytics('api1') AS d, jsonb_array_elements(d -> 'features') AS f;
SELECT d -> 'success_indicators' ->> 'score' AS score, d -> 'success_indicators' ->> 'risk' AS risk,
	d -> 'success_indicators' -> 'account_states' AS states,
	jsonb_path_query_array(d, '$.expansion_opportunities[*].opportunity') AS opportunities
FROM adoption.api_product_analytics('api1') AS d;
-- The engagement part is the mean of pes() by day over the last 30 days.
SELECT (d -> 'engagement' ->> 'pes')::numeric = (SELECT round(avg(p.score)::numeric, 2)
		FROM adoption.pes('user', NULL, 'day', (now() AT TIME ZONE 'UTC')::date - 29, (now() AT TIME ZONE 'UTC')::date, 'api1') AS p)
	AS engagement_is_pes
FROM adoption.api_product_analytics('api1') AS d;

-- GET success/health/api1.  usage_trend 6 events / 0 before: 100;
-- adoption mean(min(1, 0.5 / 0.7), 0) = 0.357142857: 35.71; support and
-- billing 100; no NPS.  Score (30 + 10.714285714 + 15 + 15) / 0.9 =
-- 78.571428571: healthy.  Weak (under 40): adoption.  Milestones: a
-- adopted rep and became habitual; the tenant adopted rep at a's third
-- success, when a was its one active user (1/1 >= 0.7; b came a day
-- later), though its rate now is 0.5.
SELECT d ->> 'score' AS score, d ->> 'risk' AS risk, d -> 'components' AS components,
	jsonb_array_length(d -> 'trend' -> 'scores') AS scores, (d -> 'risk_indicators') - 'cancelled_at'::text AS risk_indicators,
	(d -> 'milestones') - 'features_adopted'::text AS milestones,
	jsonb_path_query_array(d, '$.milestones.features_adopted[*].feature_id') AS features_adopted
FROM adoption.api_customer_health('api1') AS d;
SELECT sum((e ->> 'contribution')::numeric) AS contributions FROM adoption.api_customer_health('api1') AS d,
	jsonb_array_elements(d -> 'explain') AS e;
-- api2: one event a day ago (usage_trend 100), nobody adopted rep
-- (adoption 0), support 100, billing 0 (the cancellation): (30 + 0 + 15 + 0)
-- / 0.9 = 50: at_risk, and cancelled.
SELECT d ->> 'risk' AS risk, d -> 'risk_indicators' -> 'account_states' AS states,
	d -> 'risk_indicators' -> 'weak_components' AS weak
FROM adoption.api_customer_health('api2') AS d;

-- POST success/interventions: queued, then the same click again is a
-- duplicate of the same action; a cancelled account gets no escalation.
SELECT d ->> 'status' AS status, d -> 'action' ->> 'template_key' AS template, d -> 'action' ->> 'status' AS action_status,
	d -> 'action' -> 'reason' AS reason
FROM adoption.api_trigger_intervention('{"tenant_id": "api1", "requested_by": "csm@example.com", "reason": "QBR"}') AS d;
SELECT d ->> 'status' AS status, (d ->> 'action_id')::bigint = (SELECT action_id FROM adoption.campaign_actions
		WHERE tenant_id = 'api1' AND template_key = 'retention_intervention') AS same_action
FROM adoption.api_trigger_intervention('{"tenant_id": "api1", "requested_by": "csm@example.com"}') AS d;
SELECT d FROM adoption.api_trigger_intervention('{"tenant_id": "api2", "template_key": "escalate_to_cs"}') AS d;
SELECT d ->> 'status' AS status FROM adoption.api_trigger_intervention('{"tenant_id": "api2", "template_key": "win_back", "dedupe_key": "wb-1"}') AS d;

-- GET success/expansion/api1 (healthy: the expansion plays are allowed;
-- rescoring queued advanced_feature for ai and expansion_offer for the
-- seats; no recommendations: its one peer, api2, adopted nothing) and
-- api2 (cancelled: none allowed).
SELECT d -> 'seats' AS seats, d -> 'arr' AS arr, d -> 'plays_allowed' AS allowed,
	jsonb_path_query_array(d, '$.opportunities[*].opportunity') AS opportunities,
	jsonb_path_query_array(d, '$.plays[*].template_key') AS plays, d -> 'recommendations' AS recommendations
FROM adoption.api_expansion('api1') AS d;
SELECT d -> 'plays_allowed' AS allowed, d -> 'account_states' AS states FROM adoption.api_expansion('api2') AS d;

-- POST product/feedback: a promoter's praise is categorized and enqueues
-- case_study for the healthy tenant.
SELECT d ->> 'feedback_id' AS id, d -> 'insight' ->> 'sentiment_label' AS sentiment,
	d -> 'insight' ->> 'nps_category' AS nps, jsonb_path_query_array(d, '$.actions[*].template_key') AS actions
FROM adoption.api_submit_feedback('{"tenant_id": "api1", "feedback_id": "fb1", "user_id": "a", "channel": "nps",
	"score": 10, "body": "Love it, amazing support!"}') AS d;

-- POST product/launches: ai launched now; announced to api1 (active, no
-- user of ai) but not to api2 (cancelled: the play policy forbids it).
SELECT d ->> 'launch_id' AS launch, d -> 'announcements_enqueued' AS announced,
	d -> 'performance' ->> 'feature_id' AS feature, d -> 'performance' -> 'target_days' AS target_days
FROM adoption.api_coordinate_launch('{"launch_id": "L1", "feature_id": "ai", "campaign_id": "ai_launch", "target_days": 14}') AS d;
SELECT tenant_id, template_key FROM adoption.campaign_actions WHERE template_key = 'launch_announcement';

-- Bad input: SQLSTATE 22023 naming the value (a bad column value: the
-- input check's error).
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
SELECT pg_temp.err(q) FROM unnest(ARRAY[
	$q$SELECT adoption.api_product_analytics('nobody')$q$,
	$q$SELECT adoption.api_customer_health(NULL)$q$,
	$q$SELECT adoption.api_expansion('')$q$,
	$q$SELECT adoption.api_submit_feedback('[1, 2]')$q$,
	$q$SELECT adoption.api_submit_feedback(NULL)$q$,
	$q$SELECT adoption.api_submit_feedback('{"tenant_id": "api1"}')$q$,
	$q$SELECT adoption.api_submit_feedback('{"tenant_id": "api1", "channel": "nps", "scor": 3}')$q$,
	$q$SELECT adoption.api_submit_feedback('{"tenant_id": "api1", "channel": "fax"}')$q$,
	$q$SELECT adoption.api_submit_feedback('{"tenant_id": "api1", "channel": "nps", "score": 11}')$q$,
	$q$SELECT adoption.api_trigger_intervention('{"tenant_id": "api1", "template_key": "party"}')$q$,
	$q$SELECT adoption.api_trigger_intervention('{"tenant_id": "ghost"}')$q$,
	$q$SELECT adoption.api_coordinate_launch('{"feature_id": "ai"}')$q$]) AS q;
-- A failed call leaves nothing behind.
SELECT count(*) AS feedback_rows FROM adoption.feedback;
