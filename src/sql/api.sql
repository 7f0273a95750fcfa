/*
 * api.sql: the integration API as SQL (docs/customer-success.md).  The
 * product and customer-success documents describe six HTTP endpoints; each
 * is one function returning (or taking) one jsonb document, so that an
 * application, a PostgREST or Supabase RPC, or any driver gets it in one
 * call:
 *
 *   GET  product/analytics/{tenant_id}   api_product_analytics(tenant_id)
 *   POST product/feedback                api_submit_feedback(payload)
 *   POST product/launches                api_coordinate_launch(payload)
 *   GET  success/health/{tenant_id}      api_customer_health(tenant_id)
 *   POST success/interventions           api_trigger_intervention(payload)
 *   GET  success/expansion/{tenant_id}   api_expansion(tenant_id)
 *
 * The documents are built from the views and functions users query
 * anyway, so an API answer and a SQL answer never disagree.  Bad input gets
 * SQLSTATE 22023 with a message naming the value: an unknown tenant, a
 * payload that is not an object, a missing or unknown key.
 */

/* Raises unless tenant_id names a tenant the caller can see. */
CREATE FUNCTION adoption.api_check_tenant(tenant_id text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF tenant_id IS NULL OR NOT EXISTS (SELECT 1 FROM adoption.tenants AS t WHERE t.tenant_id = api_check_tenant.tenant_id) THEN
		RAISE EXCEPTION 'unknown tenant "%"', coalesce(tenant_id, 'NULL') USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Tenants are the rows of adoption.tenants; events register them on first sight.';
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.api_check_tenant(text) IS 'Internal: raises 22023 unless tenant_id is a tenant the caller can see';

/* Raises unless payload is an object with the required keys and no key outside allowed. */
CREATE FUNCTION adoption.api_check_payload(payload jsonb, required text[], allowed text[])
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	missing text[];
	unknown text[];
BEGIN
	IF payload IS NULL OR jsonb_typeof(payload) <> 'object' THEN
		RAISE EXCEPTION 'payload must be a JSON object, not %', coalesce(jsonb_typeof(payload), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
			HINT = format('Send an object with the keys %s.', array_to_string(allowed, ', '));
	END IF;
	SELECT array_agg(r ORDER BY r) INTO missing FROM unnest(required) AS r
	WHERE payload -> r IS NULL OR jsonb_typeof(payload -> r) = 'null';
	IF missing IS NOT NULL THEN
		RAISE EXCEPTION 'payload misses %', array_to_string(missing, ', ') USING ERRCODE = 'invalid_parameter_value',
			HINT = format('Required keys: %s.', array_to_string(required, ', '));
	END IF;
	SELECT array_agg(k ORDER BY k) INTO unknown FROM jsonb_object_keys(payload) AS k WHERE k <> ALL (allowed);
	IF unknown IS NOT NULL THEN
		RAISE EXCEPTION 'payload has unknown key %', array_to_string(unknown, ', ') USING ERRCODE = 'invalid_parameter_value',
			HINT = format('Valid keys: %s.', array_to_string(allowed, ', '));
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.api_check_payload(jsonb, text[], text[]) IS 'Internal: raises 22023 unless payload is a JSON object with every required key and only allowed keys';

/*
 * GET product/analytics/{tenant_id}: feature usage and adoption (the
 * tenant's active users as the denominator, adoption.feature_adoption), the
 * engagement score of the last 30 days, customer success indicators and
 * the expansion opportunities.
 */
CREATE FUNCTION adoption.api_product_analytics(tenant_id text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	t text := api_product_analytics.tenant_id;
BEGIN
	PERFORM adoption.api_check_tenant(t);
	RETURN jsonb_build_object(
		'tenant_id', t,
		'as_of', now(),
		'tenant', (SELECT jsonb_build_object('name', x.name, 'plan', x.plan, 'segment', x.segment,
				'seats_licensed', x.seats_licensed, 'arr', x.arr)
			FROM adoption.tenants AS x WHERE x.tenant_id = t),
		'usage', (SELECT jsonb_build_object('users', s.users, 'events', s.uses,
				'success_rate', round((s.successes::numeric / nullif(s.uses, 0)), 4),
				'first_event_at', s.first_event_at, 'last_event_at', s.last_event_at)
			FROM adoption.tenant_state AS s WHERE s.tenant_id = t),
		'features', coalesce((SELECT jsonb_agg(jsonb_build_object('feature_id', f.feature_id,
				'feature_name', f.feature_name, 'tier', f.tier, 'active_users', f.active_users,
				'active_adopters', f.active_adopters, 'adoption_rate', round(f.adoption_rate::numeric, 4),
				'activated_users', f.activated_users, 'adopted_users', f.adopted_users,
				'habitual_users', f.habitual_users, 'success_rate', round(f.success_rate::numeric, 4),
				'last_used_at', f.last_used_at, 'feature_adopted_at', f.feature_adopted_at)
				ORDER BY f.adoption_rate DESC NULLS LAST, f.feature_id)
			FROM adoption.feature_adoption AS f WHERE f.tenant_id = t), '[]'),
		'engagement', (SELECT jsonb_build_object('period', 'last 30 days, daily',
				'pes', round(avg(p.score)::numeric, 2), 'adoption', round(avg(p.adoption)::numeric, 2),
				'stickiness', round(avg(p.stickiness)::numeric, 2), 'growth', round(avg(p.growth)::numeric, 2))
			FROM adoption.pes('user', NULL, 'day', (now() AT TIME ZONE 'UTC')::date - 29,
				(now() AT TIME ZONE 'UTC')::date, t) AS p),
		'success_indicators', (SELECT jsonb_build_object('score', round(h.score::numeric, 2), 'risk', h.risk,
				'scored_at', h.scored_at, 'account_states', to_jsonb(a.states))
			FROM adoption.account_states(ARRAY[t]) AS a
			LEFT JOIN adoption.tenant_health AS h ON h.tenant_id = a.tenant_id),
		'expansion_opportunities', coalesce((SELECT jsonb_agg(jsonb_build_object('opportunity', e.opportunity,
				'feature_id', e.feature_id, 'metric', e.metric, 'evidence', e.evidence)
				ORDER BY e.opportunity, e.feature_id)
			FROM adoption.expansion_opportunities AS e WHERE e.tenant_id = t), '[]'));
END
$$;
COMMENT ON FUNCTION adoption.api_product_analytics(text) IS 'GET product/analytics/{tenant_id}: the tenant, its usage, adoption by feature (adoption.feature_adoption), PES of the last 30 days, health and account states, expansion opportunities, as one jsonb document';

/*
 * POST product/feedback: stores one feedback row (categorized on insert,
 * with its case_study and pain_point_followup actions) and returns it with
 * its insight and the actions it enqueued.
 */
CREATE FUNCTION adoption.api_submit_feedback(payload jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	f adoption.feedback;
BEGIN
	PERFORM adoption.api_check_payload(payload, ARRAY['tenant_id', 'channel'],
		ARRAY['tenant_id', 'feedback_id', 'user_id', 'feature_id', 'channel', 'score', 'body', 'campaign_id', 'created_at']);
	INSERT INTO adoption.feedback (tenant_id, feedback_id, user_id, feature_id, channel, score, body, campaign_id, created_at)
	VALUES (payload ->> 'tenant_id', coalesce(payload ->> 'feedback_id', gen_random_uuid()::text), payload ->> 'user_id',
		payload ->> 'feature_id', payload ->> 'channel', (payload ->> 'score')::smallint, payload ->> 'body',
		payload ->> 'campaign_id', coalesce((payload ->> 'created_at')::timestamptz, now()))
	RETURNING * INTO f;
	RETURN jsonb_build_object(
		'feedback_id', f.feedback_id, 'tenant_id', f.tenant_id, 'created_at', f.created_at,
		'insight', jsonb_build_object('sentiment', round(f.sentiment::numeric, 4), 'sentiment_label', f.sentiment_label,
			'nps_category', f.nps_category, 'themes', to_jsonb(f.themes), 'pain_points', to_jsonb(f.pain_points),
			'feature_requests', to_jsonb(f.feature_requests), 'value_drivers', to_jsonb(f.value_drivers),
			'success_indicators', to_jsonb(f.success_indicators), 'features', to_jsonb(f.features)),
		'actions', coalesce((SELECT jsonb_agg(jsonb_build_object('action_id', a.action_id,
				'template_key', a.template_key, 'status', a.status) ORDER BY a.action_id)
			FROM adoption.campaign_actions AS a
			WHERE a.tenant_id = f.tenant_id AND a.reason ->> 'feedback_id' = f.feedback_id), '[]'));
END
$$;
COMMENT ON FUNCTION adoption.api_submit_feedback(jsonb) IS 'POST product/feedback: stores {tenant_id, channel, score, body, user_id, feature_id, campaign_id, created_at, feedback_id}; returns the feedback id, its insight and the actions it enqueued';

/*
 * POST product/launches: creates or updates a launch and announces it to
 * the tenants that do not use the feature yet; returns the announcements
 * and the launch's performance so far.
 */
CREATE FUNCTION adoption.api_coordinate_launch(payload jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id text;
	announced integer;
BEGIN
	PERFORM adoption.api_check_payload(payload, ARRAY['launch_id', 'feature_id'],
		ARRAY['launch_id', 'feature_id', 'launched_at', 'campaign_id', 'target_adoption', 'target_days']);
	INSERT INTO adoption.launches AS l (launch_id, feature_id, launched_at, campaign_id, target_adoption, target_days)
	VALUES (payload ->> 'launch_id', payload ->> 'feature_id', coalesce((payload ->> 'launched_at')::timestamptz, now()),
		payload ->> 'campaign_id', coalesce((payload ->> 'target_adoption')::real, 0.30),
		coalesce((payload ->> 'target_days')::integer, 30))
	ON CONFLICT (launch_id) DO UPDATE SET feature_id = excluded.feature_id, launched_at = excluded.launched_at,
		campaign_id = excluded.campaign_id, target_adoption = excluded.target_adoption, target_days = excluded.target_days
	RETURNING l.launch_id INTO id;
	announced := adoption.coordinate_launch(id);
	RETURN jsonb_build_object('launch_id', id, 'announcements_enqueued', announced,
		'performance', (SELECT to_jsonb(p) - 'launch_id' FROM adoption.launch_performance AS p WHERE p.launch_id = id));
END
$$;
COMMENT ON FUNCTION adoption.api_coordinate_launch(jsonb) IS 'POST product/launches: creates or updates the launch {launch_id, feature_id, launched_at, campaign_id, target_adoption, target_days}, enqueues its announcements (coordinate_launch) and returns how many with the launch''s performance';

/*
 * GET success/health/{tenant_id}: the latest score with its components and
 * their explanation, the trend (scores of the last 90 days and the change
 * over 30), risk indicators (the account states, components under 40, the
 * days since the last event) and the milestones (features the tenant
 * adopted, users habitual).
 */
CREATE FUNCTION adoption.api_customer_health(tenant_id text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	t text := api_customer_health.tenant_id;
	h adoption.tenant_health;
BEGIN
	PERFORM adoption.api_check_tenant(t);
	SELECT * INTO h FROM adoption.tenant_health AS x WHERE x.tenant_id = t;
	RETURN jsonb_build_object(
		'tenant_id', t,
		'score', round(h.score::numeric, 2), 'risk', h.risk, 'previous_risk', h.previous_risk,
		'scored_at', h.scored_at, 'components', h.components,
		'trend', jsonb_build_object(
			'change_30_days', (SELECT round((h.score - o.score)::numeric, 2) FROM adoption.health_scores AS o
				WHERE o.tenant_id = t AND o.scored_at <= h.scored_at - interval '30 days'
				ORDER BY o.scored_at DESC LIMIT 1),
			'scores', coalesce((SELECT jsonb_agg(jsonb_build_object('scored_at', s.scored_at,
					'score', round(s.score::numeric, 2), 'risk', s.risk) ORDER BY s.scored_at)
				FROM adoption.health_scores AS s
				WHERE s.tenant_id = t AND s.scored_at > h.scored_at - interval '90 days'), '[]')),
		'risk_indicators', (SELECT jsonb_build_object('account_states', to_jsonb(a.states),
				'days_since_last_event', floor(extract(epoch FROM now() - a.last_event_at) / 86400),
				'cancelled_at', a.cancelled_at,
				'weak_components', coalesce((SELECT jsonb_agg(c.key ORDER BY c.key)
					FROM jsonb_each(h.components) AS c WHERE (c.value)::numeric < 40), '[]'))
			FROM adoption.account_states(ARRAY[t]) AS a),
		'explain', coalesce((SELECT jsonb_agg(jsonb_build_object('component', e.component, 'score', round(e.score::numeric, 2),
				'weight', e.effective_weight, 'contribution', round(e.contribution::numeric, 2), 'inputs', e.inputs))
			FROM adoption.explain_health(t) AS e), '[]'),
		'milestones', jsonb_build_object(
			'features_adopted', coalesce((SELECT jsonb_agg(jsonb_build_object('feature_id', f.feature_id,
					'feature_adopted_at', f.feature_adopted_at) ORDER BY f.feature_adopted_at, f.feature_id)
				FROM adoption.tenant_feature_milestones AS f WHERE f.tenant_id = t AND f.feature_adopted_at IS NOT NULL), '[]'),
			'habitual_users', (SELECT count(DISTINCT u.user_id) FROM adoption.user_feature_state AS u
				WHERE u.tenant_id = t AND u.habitual_at IS NOT NULL),
			'adopted_users', (SELECT count(DISTINCT u.user_id) FROM adoption.user_feature_state AS u
				WHERE u.tenant_id = t AND u.adopted_at IS NOT NULL)));
END
$$;
COMMENT ON FUNCTION adoption.api_customer_health(text) IS 'GET success/health/{tenant_id}: latest health score, components and their explanation, trend, risk indicators (account states, weak components, days since the last event) and milestones, as one jsonb document';

/*
 * POST success/interventions: a manual play, queued and tracked like the
 * automatic ones (adoption.campaign_actions; the same play policy).  The
 * dedupe key defaults to one per tenant, template, user, feature and UTC
 * day, so that a double click queues one action.  Returns status queued
 * with the action, duplicate, or blocked with the policy's reason.
 */
CREATE FUNCTION adoption.api_trigger_intervention(payload jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	t text;
	tpl text;
	key text;
	why text;
	id bigint;
BEGIN
	PERFORM adoption.api_check_payload(payload, ARRAY['tenant_id'],
		ARRAY['tenant_id', 'template_key', 'user_id', 'feature_id', 'reason', 'requested_by', 'dedupe_key']);
	t := payload ->> 'tenant_id';
	tpl := coalesce(payload ->> 'template_key', 'retention_intervention');
	PERFORM adoption.api_check_tenant(t);
	IF NOT EXISTS (SELECT 1 FROM adoption.campaign_templates AS c WHERE c.template_key = tpl) THEN
		RAISE EXCEPTION 'unknown campaign template "%"', tpl USING ERRCODE = 'invalid_parameter_value',
			HINT = 'The templates are the rows of adoption.campaign_templates.';
	END IF;
	key := coalesce(payload ->> 'dedupe_key', jsonb_build_array('manual', tpl, payload ->> 'user_id',
		payload ->> 'feature_id', to_char(now(), 'YYYY-MM-DD'))::text);
	SELECT b.reason INTO why FROM adoption.blocked_plays(ARRAY[t], ARRAY[tpl]) AS b;
	IF why IS NOT NULL THEN
		RETURN jsonb_build_object('status', 'blocked', 'tenant_id', t, 'template_key', tpl, 'reason', why);
	END IF;
	id := adoption.enqueue_action(t, tpl, key,
		jsonb_build_object('manual', true, 'requested_by', payload -> 'requested_by', 'note', payload -> 'reason'),
		payload ->> 'user_id', payload ->> 'feature_id');
	IF id IS NULL THEN
		RETURN jsonb_build_object('status', 'duplicate', 'tenant_id', t, 'template_key', tpl, 'dedupe_key', key,
			'action_id', (SELECT k.action_id FROM adoption.campaign_action_keys AS k
				WHERE k.tenant_id = t AND k.dedupe_key = key));
	END IF;
	RETURN jsonb_build_object('status', 'queued', 'tenant_id', t, 'template_key', tpl, 'dedupe_key', key,
		'action', (SELECT to_jsonb(a) FROM adoption.campaign_actions AS a WHERE a.tenant_id = t AND a.action_id = id));
END
$$;
COMMENT ON FUNCTION adoption.api_trigger_intervention(jsonb) IS 'POST success/interventions: queues a manual play {tenant_id, template_key (default retention_intervention), user_id, feature_id, reason, requested_by, dedupe_key} under the play policy; returns status queued (with the action), duplicate or blocked (with the reason)';

/*
 * GET success/expansion/{tenant_id}: seats and revenue, the expansion
 * opportunities, whether the account's state allows the expansion plays
 * now, the three cross-sell recommendations (recommend.sql), and the
 * expansion plays queued or sent.
 */
CREATE FUNCTION adoption.api_expansion(tenant_id text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	t text := api_expansion.tenant_id;
BEGIN
	PERFORM adoption.api_check_tenant(t);
	RETURN jsonb_build_object(
		'tenant_id', t,
		'plan', (SELECT x.plan FROM adoption.tenants AS x WHERE x.tenant_id = t),
		'arr', (SELECT x.arr FROM adoption.tenants AS x WHERE x.tenant_id = t),
		'seats', (SELECT jsonb_build_object('licensed', x.seats_licensed, 'active_users', s.active_users)
			FROM adoption.tenants AS x
			LEFT JOIN LATERAL (SELECT h.active_users FROM adoption.tenant_health AS h WHERE h.tenant_id = x.tenant_id) AS s ON true
			WHERE x.tenant_id = t),
		'opportunities', coalesce((SELECT jsonb_agg(jsonb_build_object('opportunity', e.opportunity,
				'feature_id', e.feature_id, 'metric', e.metric, 'evidence', e.evidence)
				ORDER BY e.opportunity, e.feature_id)
			FROM adoption.expansion_opportunities AS e WHERE e.tenant_id = t), '[]'),
		'plays_allowed', (SELECT jsonb_object_agg(p.k, NOT EXISTS (
				SELECT 1 FROM adoption.blocked_plays(ARRAY[t], ARRAY[p.k]) AS b))
			FROM unnest(ARRAY['expansion_offer', 'advanced_feature', 'case_study']) AS p(k)),
		'account_states', (SELECT to_jsonb(a.states) FROM adoption.account_states(ARRAY[t]) AS a),
		'recommendations', coalesce((SELECT jsonb_agg(jsonb_build_object('rank', r.rank, 'feature_id', r.feature_id,
				'tier', r.tier, 'score', round(r.score::numeric, 4), 'confidence', round(r.confidence::numeric, 4),
				'support', round(r.support::numeric, 4), 'lift', round(r.lift::numeric, 4), 'because', r.because,
				'upgrade_of', r.upgrade_of) ORDER BY r.rank)
			FROM adoption.feature_recommendations(ARRAY[t], 3) AS r), '[]'),
		'plays', coalesce((SELECT jsonb_agg(jsonb_build_object('action_id', a.action_id, 'template_key', a.template_key,
				'feature_id', a.feature_id, 'status', a.status, 'status_reason', a.status_reason,
				'created_at', a.created_at) ORDER BY a.created_at, a.action_id)
			FROM adoption.campaign_actions AS a
			WHERE a.tenant_id = t AND a.template_key IN ('expansion_offer', 'advanced_feature', 'case_study')), '[]'));
END
$$;
COMMENT ON FUNCTION adoption.api_expansion(text) IS 'GET success/expansion/{tenant_id}: plan, ARR, seats, expansion opportunities, whether the play policy allows expansion_offer, advanced_feature and case_study now, the three cross-sell recommendations, and those plays queued or sent, as one jsonb document';
