/*
 * pg_adoption upgrade 0.3.0 -> 0.4.0.  Each change of 0.4.0 appends its
 * part below, with a comment saying what it adds or changes.
 */
\echo Use "ALTER EXTENSION pg_adoption UPDATE TO '0.4.0'" to load this file. \quit

/*
 * Issue 17, plays that agree: the play policy (adoption.play_policy,
 * adoption.tenant_play_policy, account_states(), play_allowed(),
 * blocked_plays(), withdraw_plays(), the account_play_policy view and the
 * billing trigger that withdraws on a cancellation), the status 'withdrawn'
 * with status_reason on campaign actions, and the enqueue routes and
 * rescore() applying the policy.
 */
ALTER TABLE adoption.campaign_action_queue ADD COLUMN status_reason text;
ALTER TABLE adoption.campaign_action_archive ADD COLUMN status_reason text;
ALTER TABLE adoption.campaign_action_archive DROP CONSTRAINT campaign_action_archive_status_check;
ALTER TABLE adoption.campaign_action_archive ADD CONSTRAINT campaign_action_archive_status_check
	CHECK (status IN ('done', 'dead', 'withdrawn'));
COMMENT ON TABLE adoption.campaign_action_archive IS 'Finished campaign actions (done, dead, withdrawn); read adoption.campaign_actions';
CREATE OR REPLACE VIEW adoption.campaign_actions WITH (security_invoker = true) AS
SELECT action_id, tenant_id, user_id, feature_id, template_key, campaign_id, reason, dedupe_key,
	status, attempts, available_at, claimed_by, lease_until, last_error, created_at, completed_at, status_reason
FROM adoption.campaign_action_queue
UNION ALL
SELECT action_id, tenant_id, user_id, feature_id, template_key, campaign_id, reason, dedupe_key,
	status, attempts, available_at, claimed_by, lease_until, last_error, created_at, completed_at, status_reason
FROM adoption.campaign_action_archive;
COMMENT ON VIEW adoption.campaign_actions IS 'Every campaign action: pending and claimed ones in the queue, done, dead and withdrawn ones in the archive';
COMMENT ON COLUMN adoption.campaign_actions.action_id IS 'Id to pass to complete_action() and fail_action()';
COMMENT ON COLUMN adoption.campaign_actions.tenant_id IS 'Tenant the action is for';
COMMENT ON COLUMN adoption.campaign_actions.user_id IS 'User the action is for; NULL for tenant-level actions';
COMMENT ON COLUMN adoption.campaign_actions.feature_id IS 'Feature the action is about, if any';
COMMENT ON COLUMN adoption.campaign_actions.template_key IS 'Campaign template (adoption.campaign_templates)';
COMMENT ON COLUMN adoption.campaign_actions.campaign_id IS 'Campaign of the template when the action was enqueued';
COMMENT ON COLUMN adoption.campaign_actions.reason IS 'The evidence: milestone, counts, thresholds, times';
COMMENT ON COLUMN adoption.campaign_actions.dedupe_key IS 'Unique per tenant among the actions not withdrawn: the same key is never enqueued twice, unless its action was withdrawn';
COMMENT ON COLUMN adoption.campaign_actions.status IS 'pending, claimed, done, dead, or withdrawn (the play policy forbade it after it was queued; see status_reason)';
COMMENT ON COLUMN adoption.campaign_actions.attempts IS 'Times the action was claimed';
COMMENT ON COLUMN adoption.campaign_actions.available_at IS 'When a worker may claim it (later after a failure: exponential backoff)';
COMMENT ON COLUMN adoption.campaign_actions.claimed_by IS 'Worker holding or last holding it';
COMMENT ON COLUMN adoption.campaign_actions.lease_until IS 'End of the claim; after it another worker may take the action';
COMMENT ON COLUMN adoption.campaign_actions.last_error IS 'Error given to the last fail_action()';
COMMENT ON COLUMN adoption.campaign_actions.created_at IS 'When it was enqueued';
COMMENT ON COLUMN adoption.campaign_actions.completed_at IS 'When it became done, dead or withdrawn';
COMMENT ON COLUMN adoption.campaign_actions.status_reason IS 'Why a withdrawn action was withdrawn (the play policy and the account''s states); NULL otherwise';

CREATE OR REPLACE FUNCTION adoption.enqueue_action(tenant_id text, template_key text, dedupe_key text,
	reason jsonb DEFAULT '{}', user_id text DEFAULT NULL, feature_id text DEFAULT NULL,
	available_at timestamptz DEFAULT pg_catalog.now())
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	campaign text;
	id bigint;
	blocked text;
BEGIN
	IF tenant_id IS NULL OR btrim(tenant_id) = '' THEN
		RAISE EXCEPTION 'tenant_id must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF dedupe_key IS NULL OR dedupe_key = '' THEN
		RAISE EXCEPTION 'dedupe_key must not be empty' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'The key names what the action is about, e.g. the milestone and the user; an action with the same key is enqueued once.';
	END IF;
	SELECT t.campaign_id INTO campaign FROM adoption.campaign_templates AS t WHERE t.template_key = enqueue_action.template_key;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'unknown campaign template "%"', template_key USING ERRCODE = 'undefined_object',
			HINT = 'The templates are the rows of adoption.campaign_templates.';
	END IF;
	SELECT b.reason INTO blocked
	FROM adoption.blocked_plays(ARRAY[enqueue_action.tenant_id], ARRAY[enqueue_action.template_key]) AS b;
	IF blocked IS NOT NULL THEN
		RAISE NOTICE '% not enqueued for tenant "%"', template_key, tenant_id USING DETAIL = blocked || '.',
			HINT = 'The play policy is adoption.play_policy, per tenant adoption.tenant_play_policy.';
		RETURN NULL;
	END IF;
	id := nextval('adoption.campaign_action_id_seq');
	INSERT INTO adoption.campaign_action_keys AS k (tenant_id, dedupe_key, action_id)
	VALUES (enqueue_action.tenant_id, enqueue_action.dedupe_key, id)
	ON CONFLICT DO NOTHING;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	INSERT INTO adoption.campaign_action_queue (action_id, tenant_id, user_id, feature_id, template_key,
		campaign_id, reason, dedupe_key, available_at)
	VALUES (id, enqueue_action.tenant_id, enqueue_action.user_id, enqueue_action.feature_id,
		enqueue_action.template_key, campaign, coalesce(enqueue_action.reason, '{}'), enqueue_action.dedupe_key,
		coalesce(enqueue_action.available_at, now()));
	PERFORM pg_notify('adoption_actions', '1');
	RETURN id;
END
$$;
COMMENT ON FUNCTION adoption.enqueue_action(text, text, text, jsonb, text, text, timestamptz) IS 'Enqueues a campaign action unless one with the same (tenant_id, dedupe_key) was enqueued (and not withdrawn) or the play policy forbids it for the account''s state; returns its id or NULL';

CREATE OR REPLACE FUNCTION adoption.claim_actions(worker text, max integer DEFAULT 100, lease interval DEFAULT '5 minutes')
RETURNS SETOF adoption.campaign_actions
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	max_attempts integer;
	claimed bigint;
BEGIN
	IF worker IS NULL OR btrim(worker) = '' THEN
		RAISE EXCEPTION 'worker must not be empty' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Name the worker, e.g. its host and process id; complete_action() can check it.';
	END IF;
	IF max IS NULL OR max < 0 THEN
		RAISE EXCEPTION 'max must not be negative, not %', coalesce(max::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF lease IS NULL OR lease <= interval '0' THEN
		RAISE EXCEPTION 'lease must be positive, not %', coalesce(lease::text, 'NULL') USING ERRCODE = 'invalid_parameter_value',
			HINT = 'The lease is how long the worker holds the actions, e.g. ''5 minutes''.';
	END IF;
	SELECT s.max_attempts INTO max_attempts FROM adoption.settings AS s WHERE s.tenant_id IS NULL;

	/* Expired leases of actions out of attempts (the tenant's max_attempts): dead, not handed out again. */
	WITH expired AS (
		DELETE FROM adoption.campaign_action_queue AS q
		WHERE q.status = 'claimed' AND q.lease_until < now()
			AND q.attempts >= coalesce((SELECT o.max_attempts FROM adoption.settings AS o
				WHERE o.tenant_id OPERATOR(pg_catalog.=) q.tenant_id), max_attempts)
			AND q.action_id IN (SELECT e.action_id FROM adoption.campaign_action_queue AS e
				WHERE e.status = 'claimed' AND e.lease_until < now()
				FOR UPDATE SKIP LOCKED)
		RETURNING q.*
	)
	INSERT INTO adoption.campaign_action_archive
	SELECT e.action_id, e.tenant_id, e.user_id, e.feature_id, e.template_key, e.campaign_id, e.reason,
		e.dedupe_key, 'dead', e.attempts, e.available_at, e.claimed_by, e.lease_until,
		coalesce(e.last_error, 'lease expired'), e.created_at, now()
	FROM expired AS e;

	/* Due pending actions first, then actions whose lease expired. */
	RETURN QUERY
	WITH locked AS (
		SELECT p.tenant_id, p.action_id FROM adoption.campaign_action_queue AS p
		WHERE p.status = 'pending' AND p.available_at <= now()
		ORDER BY p.available_at
		LIMIT max
		FOR UPDATE SKIP LOCKED
	)
	UPDATE adoption.campaign_action_queue AS q
	SET status = 'claimed', claimed_by = worker, lease_until = now() + lease, attempts = q.attempts + 1
	FROM locked AS l
	WHERE q.tenant_id = l.tenant_id AND q.action_id = l.action_id
	RETURNING q.action_id, q.tenant_id, q.user_id, q.feature_id, q.template_key, q.campaign_id, q.reason,
		q.dedupe_key, q.status, q.attempts, q.available_at, q.claimed_by, q.lease_until, q.last_error,
		q.created_at, q.completed_at, q.status_reason;
	GET DIAGNOSTICS claimed = ROW_COUNT;
	IF claimed < max THEN
		RETURN QUERY
		WITH locked AS (
			SELECT x.tenant_id, x.action_id FROM adoption.campaign_action_queue AS x
			WHERE x.status = 'claimed' AND x.lease_until < now()
			ORDER BY x.lease_until
			LIMIT max - claimed
			FOR UPDATE SKIP LOCKED
		)
		UPDATE adoption.campaign_action_queue AS q
		SET claimed_by = worker, lease_until = now() + lease, attempts = q.attempts + 1
		FROM locked AS l
		WHERE q.tenant_id = l.tenant_id AND q.action_id = l.action_id
		RETURNING q.action_id, q.tenant_id, q.user_id, q.feature_id, q.template_key, q.campaign_id, q.reason,
			q.dedupe_key, q.status, q.attempts, q.available_at, q.claimed_by, q.lease_until, q.last_error,
			q.created_at, q.completed_at, q.status_reason;
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.claim_actions(text, integer, interval) IS 'Claims up to max due actions for worker for the lease; never hands one action to two workers at once';

CREATE OR REPLACE FUNCTION adoption.enqueue_batch(actions jsonb)
RETURNS TABLE (tenant_id text, template_key text, action_id bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY
	WITH a AS MATERIALIZED (
		SELECT * FROM jsonb_to_recordset(coalesce(actions, '[]')) AS a(tenant_id text, user_id text,
			feature_id text, template_key text, reason jsonb, dedupe_key text)
	),
	blocked AS (
		SELECT b.tenant_id, b.template_key
		FROM adoption.blocked_plays(ARRAY(SELECT a.tenant_id FROM a), ARRAY(SELECT a.template_key FROM a)) AS b
	),
	c AS (
		SELECT DISTINCT ON (a.tenant_id, a.dedupe_key) a.tenant_id, a.user_id, a.feature_id,
			a.template_key, t.campaign_id, coalesce(a.reason, '{}') AS reason, a.dedupe_key
		FROM a
		JOIN adoption.campaign_templates AS t ON t.template_key = a.template_key
		WHERE NOT EXISTS (SELECT 1 FROM blocked
			WHERE blocked.tenant_id = a.tenant_id AND blocked.template_key = a.template_key)
		ORDER BY a.tenant_id, a.dedupe_key
	),
	k AS (
		INSERT INTO adoption.campaign_action_keys AS k (tenant_id, dedupe_key, action_id)
		SELECT c.tenant_id, c.dedupe_key, nextval('adoption.campaign_action_id_seq') FROM c
		ON CONFLICT DO NOTHING
		RETURNING k.tenant_id, k.dedupe_key, k.action_id
	),
	q AS (
		INSERT INTO adoption.campaign_action_queue AS q (action_id, tenant_id, user_id, feature_id,
			template_key, campaign_id, reason, dedupe_key)
		SELECT k.action_id, c.tenant_id, c.user_id, c.feature_id, c.template_key, c.campaign_id,
			c.reason, c.dedupe_key
		FROM k JOIN c ON c.tenant_id = k.tenant_id AND c.dedupe_key = k.dedupe_key
		RETURNING q.tenant_id, q.template_key, q.action_id
	)
	SELECT q.tenant_id, q.template_key, q.action_id FROM q;
	IF FOUND THEN
		PERFORM pg_notify('adoption_actions', '1');
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.enqueue_batch(jsonb) IS 'Enqueues a JSON array of actions {tenant_id, template_key, dedupe_key, reason, user_id, feature_id} set-based, skipping keys already enqueued and plays the play policy forbids; returns what it enqueued';

CREATE OR REPLACE FUNCTION adoption.rescore(tenant_id text DEFAULT NULL, as_of timestamptz DEFAULT pg_catalog.now())
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	incremental boolean;
	old_watermark timestamptz;
	new_watermark timestamptz;
	targets text[];
	scored integer;
	batch jsonb;
BEGIN
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'as_of must be a finite time, not %', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF as_of > clock_timestamp() THEN
		RAISE EXCEPTION 'as_of % is in the future', as_of USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Health is scored as of now or a past time; leave as_of out for now.';
	END IF;
	IF rescore.tenant_id IS NOT NULL AND NOT EXISTS (
		SELECT 1 FROM adoption.tenants AS t WHERE t.tenant_id = rescore.tenant_id) THEN
		RAISE EXCEPTION 'unknown tenant "%"', rescore.tenant_id USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Tenants are the rows of adoption.tenants; events register them on first sight.';
	END IF;

	/* One run at a time: a second one returns at once. */
	IF NOT pg_try_advisory_xact_lock(('adoption.health_scores'::regclass)::oid::bigint) THEN
		RAISE NOTICE 'adoption.rescore() is already running in another session; skipped';
		RETURN 0;
	END IF;

	incremental := rescore.tenant_id IS NULL AND as_of >= now();
	IF rescore.tenant_id IS NOT NULL THEN
		targets := ARRAY[rescore.tenant_id];
	ELSIF NOT incremental THEN
		SELECT array_agg(t.tenant_id ORDER BY t.tenant_id) INTO targets FROM adoption.tenants AS t;
	ELSE
		SELECT r.watermark INTO old_watermark FROM adoption.rescore_state AS r;
		/*
		 * ingested_at defaults to now(), the start of the inserting
		 * transaction: rows that transactions still running will commit
		 * carry at least the oldest start among them.  Sessions of other
		 * roles hide their start unless the caller has pg_read_all_stats;
		 * then fall back to a day, which the daily rescoring covers anyway.
		 */
		SELECT least(now(), min(a.xact_start)) INTO new_watermark
		FROM pg_stat_activity AS a
		WHERE a.datname = current_database() AND a.backend_type <> 'autovacuum worker';
		IF EXISTS (SELECT 1 FROM pg_stat_activity AS a
			WHERE a.datname = current_database() AND a.query = '<insufficient privilege>') THEN
			new_watermark := least(new_watermark, now() - interval '1 day');
		END IF;

		SELECT array_agg(d.tenant_id ORDER BY d.tenant_id) INTO targets FROM (
			SELECT e.tenant_id FROM adoption.feature_usage_events AS e
			WHERE old_watermark IS NOT NULL AND e.ingested_at >= old_watermark
			UNION
			SELECT f.tenant_id FROM adoption.feedback AS f
			WHERE old_watermark IS NOT NULL AND f.ingested_at >= old_watermark
			UNION
			SELECT k.tenant_id FROM adoption.support_tickets AS k
			WHERE old_watermark IS NOT NULL AND k.ingested_at >= old_watermark
			UNION
			SELECT b.tenant_id FROM adoption.billing_events AS b
			WHERE old_watermark IS NOT NULL AND b.ingested_at >= old_watermark
			UNION
			SELECT t.tenant_id FROM adoption.tenants AS t
			WHERE NOT EXISTS (SELECT 1 FROM adoption.health_scores AS h
				WHERE h.tenant_id = t.tenant_id AND h.scored_at > as_of - interval '1 day')
		) AS d
		WHERE EXISTS (SELECT 1 FROM adoption.tenants AS t WHERE t.tenant_id = d.tenant_id);
	END IF;

	/* Score: one row per tenant, with the band it leaves and the change. */
	WITH i AS (
		SELECT * FROM adoption.health_inputs(coalesce(targets, '{}'), as_of) AS i
		WHERE i.last_event_at IS NOT NULL
	),
	c AS (
		SELECT i.tenant_id, i.last_event_at, i.active_users, h.*,
			adoption.risk_band(h.score, i.healthy_min, i.at_risk_min) AS risk
		FROM i, LATERAL adoption.health_compute(i.events_recent, i.events_previous, true,
			i.core_features, i.core_active, i.core_adopters, i.adoption_threshold, i.active_users,
			i.tickets, i.billing, i.nps_promoters, i.nps_passives, i.nps_detractors, i.weights) AS h
	)
	INSERT INTO adoption.health_scores AS hs (tenant_id, scored_at, score, risk, components, delta,
		previous_risk, last_event_at, active_users, live)
	SELECT c.tenant_id, as_of, c.score, c.risk,
		jsonb_strip_nulls(jsonb_build_object('usage_trend', c.usage_trend, 'adoption', c.adoption,
			'support', c.support, 'billing', c.billing, 'feedback', c.feedback)),
		c.score - p.score, p.risk, c.last_event_at, c.active_users, as_of >= now() - interval '1 day'
	FROM c
	LEFT JOIN LATERAL (SELECT h.score, h.risk FROM adoption.health_scores AS h
		WHERE h.tenant_id = c.tenant_id AND h.scored_at < as_of
		ORDER BY h.scored_at DESC LIMIT 1) AS p ON true
	ON CONFLICT ON CONSTRAINT health_scores_pkey DO UPDATE SET
		score = excluded.score, risk = excluded.risk, components = excluded.components,
		delta = excluded.delta, previous_risk = excluded.previous_risk,
		last_event_at = excluded.last_event_at, active_users = excluded.active_users,
		live = hs.live OR excluded.live, computed_at = now();
	GET DIAGNOSTICS scored = ROW_COUNT;

	IF scored > 0 AND as_of >= now() - interval '1 day' THEN
		/* Plays queued before a tenant entered a state that forbids them are withdrawn (plays.sql). */
		PERFORM adoption.withdraw_plays(targets);
		/*
		 * The scores of this run that are their tenant's newest, with the
		 * band of the previous live score (a backfilled history does not
		 * hide the entry into a band from the first live score).
		 */
		WITH cur AS (
			SELECT h.tenant_id, h.scored_at, h.score, h.risk, h.components, h.last_event_at,
				h.active_users, pl.risk AS previous_risk, e.dormant_after, e.nudge_after, e.active_window, e.action_cooldown,
				e.seat_utilization_threshold, t.seats_licensed
			FROM adoption.health_scores AS h
			JOIN adoption.effective_settings AS e ON e.tenant_id = h.tenant_id
			JOIN adoption.tenants AS t ON t.tenant_id = h.tenant_id
			LEFT JOIN LATERAL (SELECT p.risk FROM adoption.health_scores AS p
				WHERE p.tenant_id = h.tenant_id AND p.scored_at < as_of AND p.live
				ORDER BY p.scored_at DESC LIMIT 1) AS pl ON true
			WHERE h.tenant_id = ANY (targets) AND h.scored_at = as_of
				AND NOT EXISTS (SELECT 1 FROM adoption.health_scores AS n
					WHERE n.tenant_id = h.tenant_id AND n.scored_at > as_of)
		),
		cand AS (
			/* Entering at_risk or critical (a first score enters its band). */
			SELECT cur.tenant_id, NULL::text AS user_id, NULL::text AS feature_id,
				CASE cur.risk WHEN 'at_risk' THEN 'retention_intervention' ELSE 'escalate_to_cs' END AS template_key,
				jsonb_build_object('score', round(cur.score::numeric, 2), 'risk', cur.risk,
					'previous_risk', cur.previous_risk, 'scored_at', cur.scored_at,
					'components', cur.components) AS reason,
				jsonb_build_array(CASE cur.risk WHEN 'at_risk' THEN 'retention_intervention' ELSE 'escalate_to_cs' END,
					to_char(cur.scored_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text AS dedupe_key,
				cur.action_cooldown
			FROM cur
			WHERE cur.risk IN ('at_risk', 'critical') AND cur.risk IS DISTINCT FROM cur.previous_risk
			UNION ALL
			/* Dormant: one win_back per quiet spell (keyed by the last event). */
			SELECT cur.tenant_id, NULL, NULL, 'win_back',
				jsonb_build_object('last_event_at', cur.last_event_at, 'dormant_after', cur.dormant_after::text),
				jsonb_build_array('win_back', to_char(cur.last_event_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text,
				interval '0'
			FROM cur
			WHERE cur.last_event_at <= as_of - cur.dormant_after
			UNION ALL
			/* Seats nearly all in use. */
			SELECT cur.tenant_id, NULL, NULL, 'expansion_offer',
				jsonb_build_object('opportunity', 'seat_utilization', 'active_users', cur.active_users,
					'seats_licensed', cur.seats_licensed,
					'utilization', round(cur.active_users::numeric / cur.seats_licensed, 3)),
				jsonb_build_array('expansion_offer', 'seat_utilization',
					to_char(cur.scored_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text,
				cur.action_cooldown
			FROM cur
			WHERE cur.seats_licensed > 0
				AND cur.active_users >= cur.seat_utilization_threshold * cur.seats_licensed
			UNION ALL
			/* Habitual use of a feature whose upgrade the tenant has not activated: once per upgrade. */
			SELECT DISTINCT ON (cur.tenant_id, f.upgrade_feature_id) cur.tenant_id, s.user_id,
				f.upgrade_feature_id, 'advanced_feature',
				jsonb_build_object('feature_id', f.feature_id, 'upgrade_feature_id', f.upgrade_feature_id,
					'habitual_at', s.habitual_at),
				jsonb_build_array('advanced_feature', f.upgrade_feature_id)::text,
				interval '0'
			FROM cur
			JOIN adoption.user_feature_state AS s ON s.tenant_id = cur.tenant_id AND s.habitual_at <= as_of
			JOIN adoption.features AS f ON f.feature_id = s.feature_id AND f.upgrade_feature_id IS NOT NULL
			WHERE NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS g
				WHERE g.tenant_id = cur.tenant_id AND g.feature_id = f.upgrade_feature_id
					AND g.activated_at <= as_of)
			UNION ALL
			/* Feedback of the last 90 days asks for an advanced or premium feature the tenant never used: once per feature. */
			SELECT DISTINCT ON (cur.tenant_id, c.feature_id) cur.tenant_id, b.user_id, c.feature_id, 'expansion_offer',
				jsonb_build_object('opportunity', 'feature_request', 'feature_id', c.feature_id, 'tier', c.tier,
					'feedback_id', b.feedback_id),
				jsonb_build_array('expansion_offer', 'feature_request', c.feature_id)::text,
				interval '0'
			FROM cur
			JOIN adoption.feedback AS b ON b.tenant_id = cur.tenant_id
				AND b.created_at > as_of - interval '90 days' AND b.created_at <= as_of
			CROSS JOIN LATERAL unnest(b.feature_requests) AS q(request)
			JOIN adoption.features AS c ON c.feature_id = q.request AND c.tier <> 'core'
			WHERE NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS g
				WHERE g.tenant_id = cur.tenant_id AND g.feature_id = c.feature_id AND g.activated_at <= as_of)
			UNION ALL
			/*
			 * Activated but not adopted after nudge_after: once per user and
			 * feature, while the activation is recent enough (within
			 * active_window past the deadline) for a nudge to make sense.
			 */
			SELECT cur.tenant_id, s.user_id, s.feature_id, 'adoption_nudge',
				jsonb_build_object('activated_at', s.activated_at, 'nudge_after', cur.nudge_after::text,
					'successes', s.successes),
				jsonb_build_array('adoption_nudge', s.feature_id, s.user_id)::text,
				interval '0'
			FROM cur
			JOIN adoption.user_feature_state AS s ON s.tenant_id = cur.tenant_id
			WHERE s.activated_at <= as_of - cur.nudge_after
				AND s.activated_at > as_of - cur.nudge_after - cur.active_window
				AND (s.adopted_at IS NULL OR s.adopted_at > as_of)
		)
		SELECT jsonb_agg(jsonb_build_object('tenant_id', cand.tenant_id, 'user_id', cand.user_id,
			'feature_id', cand.feature_id, 'template_key', cand.template_key, 'reason', cand.reason,
			'dedupe_key', cand.dedupe_key))
		INTO batch
		FROM cand
		/* Cooldown: no second tenant-level action of a template within action_cooldown. */
		WHERE cand.action_cooldown = interval '0' OR NOT EXISTS (
			SELECT 1 FROM adoption.health_scores AS h
			WHERE h.tenant_id = cand.tenant_id AND h.scored_at < as_of
				AND h.scored_at >= as_of - cand.action_cooldown
				AND cand.template_key = ANY (h.actions));

		IF batch IS NOT NULL THEN
			WITH done AS (
				SELECT e.tenant_id, array_agg(DISTINCT e.template_key ORDER BY e.template_key) AS templates
				FROM adoption.enqueue_batch(batch) AS e
				WHERE e.template_key IN ('retention_intervention', 'escalate_to_cs', 'win_back', 'expansion_offer')
				GROUP BY e.tenant_id
			)
			UPDATE adoption.health_scores AS h
			SET actions = ARRAY(SELECT DISTINCT x FROM unnest(h.actions || done.templates) AS x ORDER BY x)
			FROM done
			WHERE h.tenant_id = done.tenant_id AND h.scored_at = as_of;
		END IF;
	END IF;

	IF incremental THEN
		INSERT INTO adoption.rescore_state AS r (singleton, watermark, last_started_at, last_finished_at, last_tenants)
		VALUES (true, new_watermark, now(), clock_timestamp(), scored)
		ON CONFLICT (singleton) DO UPDATE SET watermark = excluded.watermark,
			last_started_at = excluded.last_started_at, last_finished_at = excluded.last_finished_at,
			last_tenants = excluded.last_tenants;
	END IF;
	RETURN scored;
END
$$;
COMMENT ON FUNCTION adoption.rescore(text, timestamptz) IS 'Scores the health of one tenant, or of the tenants that need it (new data since the last run, or a score older than a day), as of as_of; stores adoption.health_scores, enqueues band, win-back, nudge and expansion actions; returns the number of tenants scored';

CREATE OR REPLACE FUNCTION adoption.forget_tenant(tenant_id text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t text := forget_tenant.tenant_id;
	counts jsonb := '{}';
	n bigint;
	tbl text;
BEGIN
	PERFORM adoption.check_known_tenant(t, 'Pass the tenant_id of the tenant to forget.');
	/* Every table that holds rows of a tenant; the tenant's own row last. */
	FOREACH tbl IN ARRAY ARRAY['feature_usage_events', 'user_feature_state', 'tenant_user_state',
		'tenant_feature_counts', 'tenant_feature_milestones', 'tenant_state',
		'feedback', 'support_tickets', 'billing_events', 'campaign_touches',
		'campaign_action_queue', 'campaign_action_archive', 'campaign_action_keys',
		'campaign_followups', 'health_scores', 'tenant_play_policy', 'lexicon', 'settings', 'tenants'] LOOP
		EXECUTE pg_catalog.format('DELETE FROM adoption.%I AS x WHERE x.tenant_id OPERATOR(pg_catalog.=) $1', tbl)
			USING t;
		GET DIAGNOSTICS n = ROW_COUNT;
		counts := counts OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(tbl, n);
	END LOOP;
	RETURN counts;
END
$$;
COMMENT ON FUNCTION adoption.forget_tenant(text) IS 'Erases a tenant: every row of it in every table of the extension (events, state, feedback, tickets, billing events, touches, actions and keys, follow-ups, health scores, play policy overrides, lexicon, settings override, the tenant itself); returns the rows deleted per table as jsonb';

CREATE TABLE adoption.play_policy (
	account_state text NOT NULL CHECK (account_state IN ('at_risk', 'critical', 'dormant', 'cancelled')),
	template_key text NOT NULL REFERENCES adoption.campaign_templates (template_key) ON DELETE CASCADE,
	allowed boolean NOT NULL,
	PRIMARY KEY (account_state, template_key)
);
COMMENT ON TABLE adoption.play_policy IS 'Product-wide play policy: whether an account in a state (at_risk, critical, dormant, cancelled) may get a campaign play; a template without a row for a state is allowed in it';

INSERT INTO adoption.play_policy (account_state, template_key, allowed)
SELECT s.account_state, t.template_key, NOT (
	/* Upsell and advocacy need a healthy account. */
	(t.template_key IN ('expansion_offer', 'case_study') AND s.account_state IN ('at_risk', 'critical', 'dormant', 'cancelled'))
	OR (t.template_key = 'advanced_feature' AND s.account_state IN ('critical', 'dormant', 'cancelled'))
	/* A cancelled account gets win_back and a follow-up of its complaints, nothing else. */
	OR (s.account_state = 'cancelled' AND t.template_key NOT IN ('win_back', 'pain_point_followup')))
FROM (VALUES ('at_risk'), ('critical'), ('dormant'), ('cancelled')) AS s (account_state)
CROSS JOIN (VALUES ('adoption_success'), ('adoption_nudge'), ('advanced_feature'), ('retention_intervention'),
	('escalate_to_cs'), ('win_back'), ('case_study'), ('pain_point_followup'), ('expansion_offer'),
	('launch_announcement')) AS t (template_key);

CREATE TABLE adoption.tenant_play_policy (
	tenant_id text NOT NULL CHECK (pg_catalog.btrim(tenant_id) <> ''),
	account_state text NOT NULL CHECK (account_state IN ('at_risk', 'critical', 'dormant', 'cancelled')),
	template_key text NOT NULL REFERENCES adoption.campaign_templates (template_key) ON DELETE CASCADE,
	allowed boolean NOT NULL,
	PRIMARY KEY (tenant_id, account_state, template_key)
);
COMMENT ON TABLE adoption.tenant_play_policy IS 'Per-tenant overrides of adoption.play_policy: a row here decides the cell for its tenant';
SELECT pg_catalog.pg_extension_config_dump('adoption.tenant_play_policy', '');

/* The seeded defaults may be edited; a restore (or a user) inserting an existing cell updates it. */
CREATE FUNCTION adoption.merge_play_policy()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	UPDATE adoption.play_policy AS p SET allowed = NEW.allowed
	WHERE p.account_state = NEW.account_state AND p.template_key = NEW.template_key;
	IF FOUND THEN
		RETURN NULL;
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER play_policy_merge BEFORE INSERT ON adoption.play_policy
	FOR EACH ROW EXECUTE FUNCTION adoption.merge_play_policy();
SELECT pg_catalog.pg_extension_config_dump('adoption.play_policy', '');

/*
 * The states of each tenant of tenant_ids as of as_of (NULL ids skipped).
 * risk: the latest health score scored at or before as_of.  last_event_at:
 * tenant_state's when it is not after as_of (exact), else the log's latest
 * event up to as_of.  cancelled_at: the latest cancellation up to as_of with
 * no payment_succeeded or upgrade after it (up to as_of).
 */
CREATE FUNCTION adoption.account_states(tenant_ids text[], as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (tenant_id text, risk text, scored_at timestamptz, last_event_at timestamptz,
	dormant boolean, cancelled_at timestamptz, states text[])
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT x.tenant_id, x.risk, x.scored_at, x.last_event_at, x.dormant, x.cancelled_at,
		array_remove(ARRAY[CASE WHEN x.risk IN ('at_risk', 'critical') THEN x.risk END,
			CASE WHEN x.dormant THEN 'dormant' END,
			CASE WHEN x.cancelled_at IS NOT NULL THEN 'cancelled' END], NULL)
	FROM (
		SELECT i.tenant_id, h.risk, h.scored_at, le.last_event_at,
			coalesce(le.last_event_at <= as_of - coalesce(o.dormant_after, d.dormant_after), false) AS dormant,
			c.occurred_at AS cancelled_at
		FROM (SELECT DISTINCT u.tenant_id FROM unnest(tenant_ids) AS u(tenant_id) WHERE u.tenant_id IS NOT NULL) AS i
		CROSS JOIN adoption.settings AS d
		LEFT JOIN adoption.settings AS o ON o.tenant_id = i.tenant_id
		LEFT JOIN LATERAL (SELECT s.risk, s.scored_at FROM adoption.health_scores AS s
			WHERE s.tenant_id = i.tenant_id AND s.scored_at <= as_of
			ORDER BY s.scored_at DESC LIMIT 1) AS h ON true
		LEFT JOIN LATERAL (SELECT CASE WHEN t.last_event_at <= as_of THEN t.last_event_at
				ELSE (SELECT max(v.usage_timestamp) FROM adoption.feature_usage_events AS v
					WHERE v.tenant_id = i.tenant_id AND v.usage_timestamp <= as_of) END AS last_event_at
			FROM adoption.tenant_state AS t WHERE t.tenant_id = i.tenant_id) AS le ON true
		LEFT JOIN LATERAL (SELECT b.occurred_at FROM adoption.billing_events AS b
			WHERE b.tenant_id = i.tenant_id AND b.kind = 'cancellation' AND b.occurred_at <= as_of
				AND NOT EXISTS (SELECT 1 FROM adoption.billing_events AS r
					WHERE r.tenant_id = b.tenant_id AND r.kind IN ('payment_succeeded', 'upgrade')
						AND r.occurred_at > b.occurred_at AND r.occurred_at <= as_of)
			ORDER BY b.occurred_at DESC LIMIT 1) AS c ON true
		WHERE d.tenant_id IS NULL
	) AS x
$$;
COMMENT ON FUNCTION adoption.account_states(text[], timestamptz) IS 'Per tenant as of a time: the risk band of its latest score, its last event and whether it is dormant, its standing cancellation, and the states the play policy knows (at_risk, critical, dormant, cancelled)';

/* The effective policy cell: the tenant's override, else the product-wide rule, else allowed. */
CREATE FUNCTION adoption.play_allowed(tenant_id text, account_state text, template_key text)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(
		(SELECT o.allowed FROM adoption.tenant_play_policy AS o
			WHERE o.tenant_id = play_allowed.tenant_id AND o.account_state = play_allowed.account_state
				AND o.template_key = play_allowed.template_key),
		(SELECT p.allowed FROM adoption.play_policy AS p
			WHERE p.account_state = play_allowed.account_state AND p.template_key = play_allowed.template_key),
		true)
$$;
COMMENT ON FUNCTION adoption.play_allowed(text, text, text) IS 'Whether the play policy lets a tenant in account_state get template_key (tenant override, else adoption.play_policy, else true)';

/*
 * Of the (tenant, template) pairs given as parallel arrays, those the
 * tenants' states forbid as of as_of, with the forbidding states and the
 * reason written into a withdrawn action.  Set-based: one call per batch.
 */
CREATE FUNCTION adoption.blocked_plays(tenant_ids text[], template_keys text[], as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (tenant_id text, template_key text, states text[], reason text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH pairs AS (
		SELECT DISTINCT p.tenant_id, p.template_key
		FROM unnest(tenant_ids, template_keys) AS p(tenant_id, template_key)
		WHERE p.tenant_id IS NOT NULL AND p.template_key IS NOT NULL
	), st AS (
		SELECT a.tenant_id, a.states
		FROM adoption.account_states(ARRAY(SELECT DISTINCT pairs.tenant_id FROM pairs), as_of) AS a
		WHERE cardinality(a.states) > 0
	)
	SELECT pairs.tenant_id, pairs.template_key, b.states,
		format('play policy: %s is not allowed for an account that is %s', pairs.template_key,
			array_to_string(b.states, ' and '))
	FROM pairs
	JOIN st ON st.tenant_id = pairs.tenant_id
	CROSS JOIN LATERAL (SELECT array_agg(s.state ORDER BY s.ord) AS states
		FROM unnest(st.states) WITH ORDINALITY AS s(state, ord)
		LEFT JOIN adoption.play_policy AS p ON p.account_state = s.state AND p.template_key = pairs.template_key
		LEFT JOIN adoption.tenant_play_policy AS o ON o.tenant_id = pairs.tenant_id
			AND o.account_state = s.state AND o.template_key = pairs.template_key
		WHERE NOT coalesce(o.allowed, p.allowed, true)) AS b
	WHERE b.states IS NOT NULL
$$;
COMMENT ON FUNCTION adoption.blocked_plays(text[], text[], timestamptz) IS 'Of the (tenant_id, template_key) pairs of two parallel arrays, those the play policy forbids given the tenants'' states as of as_of, with the forbidding states and a reason';

/*
 * Withdraws the queued plays (pending, or claimed with an expired lease) of
 * the given tenants (NULL: all) that the policy forbids now: each moves to
 * the archive with status 'withdrawn', status_reason saying why, and
 * completed_at the time of withdrawal; its dedupe key is freed so that the
 * play can come again once the account leaves the state.  A play a worker
 * holds under a live lease is left to it.  Returns how many were withdrawn.
 */
CREATE FUNCTION adoption.withdraw_plays(tenant_ids text[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
BEGIN
	WITH live AS (
		SELECT q.tenant_id, q.action_id, q.template_key
		FROM adoption.campaign_action_queue AS q
		WHERE (withdraw_plays.tenant_ids IS NULL OR q.tenant_id = ANY (withdraw_plays.tenant_ids))
			AND (q.status = 'pending' OR q.lease_until < now())
		FOR UPDATE SKIP LOCKED
	), b AS (
		SELECT * FROM adoption.blocked_plays(
			ARRAY(SELECT live.tenant_id FROM live), ARRAY(SELECT live.template_key FROM live))
	), gone AS (
		DELETE FROM adoption.campaign_action_queue AS q
		USING live, b
		WHERE q.tenant_id = live.tenant_id AND q.action_id = live.action_id
			AND b.tenant_id = live.tenant_id AND b.template_key = live.template_key
		RETURNING q.*, b.reason AS why
	), archived AS (
		INSERT INTO adoption.campaign_action_archive (action_id, tenant_id, user_id, feature_id,
			template_key, campaign_id, reason, dedupe_key, status, attempts, available_at, claimed_by,
			lease_until, last_error, created_at, completed_at, status_reason)
		SELECT g.action_id, g.tenant_id, g.user_id, g.feature_id, g.template_key, g.campaign_id, g.reason,
			g.dedupe_key, 'withdrawn', g.attempts, g.available_at, g.claimed_by, g.lease_until, g.last_error,
			g.created_at, now(), g.why
		FROM gone AS g
		RETURNING tenant_id, dedupe_key, action_id
	)
	DELETE FROM adoption.campaign_action_keys AS k
	USING archived AS a
	WHERE k.tenant_id = a.tenant_id AND k.dedupe_key = a.dedupe_key AND k.action_id = a.action_id;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION adoption.withdraw_plays(text[]) IS 'Withdraws the queued plays of the tenants (NULL: all) that the play policy now forbids: status withdrawn with a status_reason, kept in the archive, dedupe key freed; returns how many';

/* AFTER INSERT statement trigger of billing_events: a cancellation withdraws the plays it forbids at once. */
CREATE FUNCTION adoption.billing_withdraw_plays()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ids text[];
BEGIN
	SELECT array_agg(DISTINCT n.tenant_id) INTO ids FROM new_rows AS n WHERE n.kind = 'cancellation';
	IF ids IS NOT NULL THEN
		PERFORM adoption.withdraw_plays(ids);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER billing_events_withdraw_plays
	AFTER INSERT ON adoption.billing_events
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.billing_withdraw_plays();
COMMENT ON FUNCTION adoption.billing_withdraw_plays() IS 'AFTER INSERT statement trigger of adoption.billing_events: withdraws the queued plays a new cancellation forbids';

CREATE VIEW adoption.account_play_policy WITH (security_invoker = true) AS
SELECT t.tenant_id, s.account_state, c.template_key,
	coalesce(o.allowed, p.allowed, true) AS allowed,
	CASE WHEN o.allowed IS NOT NULL THEN 'tenant' WHEN p.allowed IS NOT NULL THEN 'default' ELSE 'unlisted' END AS source
FROM adoption.tenants AS t
CROSS JOIN (VALUES ('at_risk'), ('critical'), ('dormant'), ('cancelled')) AS s (account_state)
CROSS JOIN adoption.campaign_templates AS c
LEFT JOIN adoption.play_policy AS p ON p.account_state OPERATOR(pg_catalog.=) s.account_state
	AND p.template_key OPERATOR(pg_catalog.=) c.template_key
LEFT JOIN adoption.tenant_play_policy AS o ON o.tenant_id OPERATOR(pg_catalog.=) t.tenant_id
	AND o.account_state OPERATOR(pg_catalog.=) s.account_state AND o.template_key OPERATOR(pg_catalog.=) c.template_key;
COMMENT ON VIEW adoption.account_play_policy IS 'The effective play policy of every tenant: per account state and campaign template, whether the play is allowed and where the rule comes from';
COMMENT ON COLUMN adoption.account_play_policy.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.account_play_policy.account_state IS 'at_risk, critical, dormant or cancelled';
COMMENT ON COLUMN adoption.account_play_policy.template_key IS 'Campaign template (the play)';
COMMENT ON COLUMN adoption.account_play_policy.allowed IS 'Whether an account in the state may get the play';
COMMENT ON COLUMN adoption.account_play_policy.source IS 'tenant (adoption.tenant_play_policy), default (adoption.play_policy) or unlisted (no rule: allowed)';

/* Privileges and row-level security of the play policy (security.sql). */
ALTER FUNCTION adoption.enqueue_action(text, text, text, jsonb, text, text, timestamptz) SECURITY DEFINER;
ALTER FUNCTION adoption.claim_actions(text, integer, interval) SECURITY DEFINER;
ALTER FUNCTION adoption.billing_withdraw_plays() SECURITY DEFINER;
REVOKE ALL ON adoption.play_policy, adoption.tenant_play_policy, adoption.account_play_policy FROM PUBLIC;
REVOKE ALL ON FUNCTION adoption.merge_play_policy(), adoption.account_states(text[], timestamptz),
	adoption.play_allowed(text, text, text), adoption.blocked_plays(text[], text[], timestamptz),
	adoption.withdraw_plays(text[]), adoption.billing_withdraw_plays() FROM PUBLIC;
GRANT SELECT ON adoption.play_policy, adoption.tenant_play_policy, adoption.account_play_policy
	TO adoption_analyst, adoption_tenant;
GRANT EXECUTE ON FUNCTION adoption.account_states(text[], timestamptz),
	adoption.play_allowed(text, text, text), adoption.blocked_plays(text[], text[], timestamptz)
	TO adoption_analyst, adoption_tenant;
ALTER TABLE adoption.tenant_play_policy ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON adoption.tenant_play_policy TO adoption_app, adoption_analyst USING (true) WITH CHECK (true);
CREATE POLICY own_tenant ON adoption.tenant_play_policy FOR SELECT TO adoption_tenant
	USING (tenant_id OPERATOR(pg_catalog.=) NULLIF(pg_catalog.current_setting('adoption.tenant_id', true), ''));
COMMENT ON POLICY all_rows ON adoption.tenant_play_policy IS 'adoption_app and adoption_analyst see and write every row (their table privileges limit what they may do)';
COMMENT ON POLICY own_tenant ON adoption.tenant_play_policy IS 'adoption_tenant reads only the rows of the tenant named by the setting adoption.tenant_id (none when adoption.tenant_id is unset or empty)';
/* The queue dashboard counts withdrawn plays too. */
COMMENT ON VIEW adoption.action_queue IS 'The campaign action queue at a glance: per template and status (pending, claimed, done, dead, withdrawn), how many actions, how many are due, and how old they are';
COMMENT ON COLUMN adoption.action_queue.status IS 'pending, claimed, done, dead or withdrawn (a template and status without actions has no row)';
COMMENT ON COLUMN adoption.action_queue.last_completed_at IS 'Latest time an action became done, dead or withdrawn (NULL for pending and claimed)';

/*
 * Issue 17, pes() at its defaults: the aggregate adoption.period_counts()
 * (actors per period), actor_first_seen(), lifecycle_rows() and
 * stickiness_rows() shared by lifecycle(), stickiness() and pes(), and
 * pes() reading the events once by day and counting its adoption part per
 * period (75 s on the demo's 1,000,000 events before, about as long as
 * stickiness() now).
 */
CREATE FUNCTION adoption.period_counts_transfn(bigint[], varbit, integer)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'adoption_period_counts_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION adoption.period_counts_combinefn(bigint[], bigint[])
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'adoption_period_counts_combinefn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE adoption.period_counts(bits varbit, from_period integer) (
	SFUNC = adoption.period_counts_transfn,
	STYPE = bigint[],
	COMBINEFUNC = adoption.period_counts_combinefn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE adoption.period_counts(varbit, integer) IS 'Per period, the active_periods bitmaps with its bit set, bits before from_period (NULL: 0) not counted: {n, counts[n]}';
CREATE OR REPLACE FUNCTION adoption.actor_first_seen(actor text, feature_id text, tenant_id text)
RETURNS TABLE (actor_tenant text, actor_user text, first_seen_at timestamptz)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
	IF actor_first_seen.feature_id IS NULL THEN
		/* Over all features the per-user and per-tenant state has it, one row each. */
		IF actor_first_seen.actor = 'user' THEN
			RETURN QUERY
			SELECT v.tenant_id, v.user_id, v.first_seen_at
			FROM adoption.tenant_user_state AS v
			WHERE actor_first_seen.tenant_id IS NULL OR v.tenant_id = actor_first_seen.tenant_id;
		ELSE
			RETURN QUERY
			SELECT v.tenant_id, '', least(v.first_event_at, t.created_at)
			FROM adoption.tenant_state AS v
			LEFT JOIN adoption.tenants AS t ON t.tenant_id = v.tenant_id
			WHERE actor_first_seen.tenant_id IS NULL OR v.tenant_id = actor_first_seen.tenant_id;
		END IF;
		RETURN;
	END IF;
	RETURN QUERY
	SELECT s.tenant_id, CASE WHEN actor_first_seen.actor = 'user' THEN s.user_id ELSE '' END, min(s.first_used_at)
	FROM adoption.user_feature_state AS s
	WHERE s.feature_id = actor_first_seen.feature_id
		AND (actor_first_seen.tenant_id IS NULL OR s.tenant_id = actor_first_seen.tenant_id)
	GROUP BY 1, 2;
END
$$;
COMMENT ON FUNCTION adoption.actor_first_seen(text, text, text) IS 'When each user or tenant was first seen on the feature (any feature when NULL); a tenant over all features no later than its created_at';

CREATE OR REPLACE FUNCTION adoption.lifecycle_rows(counts bigint[], origin date, period text, n integer)
RETURNS TABLE (period_start date, status text, actors bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT adoption.period_start(origin, period, p), st.status,
		st.sign * coalesce(counts[2 + st.i * n + p], 0)
	FROM generate_series(0, n - 1) AS p,
		(VALUES (0, 'new', 1), (1, 'returning', 1), (2, 'resurrecting', 1), (3, 'dormant', -1))
			AS st (i, status, sign)
	ORDER BY p, st.i
$$;
COMMENT ON FUNCTION adoption.lifecycle_rows(bigint[], date, text, integer) IS 'The lifecycle_counts of n periods from origin as rows: new, returning, resurrecting and dormant (negative) per period';

CREATE OR REPLACE FUNCTION adoption.lifecycle(
	actor text DEFAULT 'user',
	feature_id text DEFAULT NULL,
	period text DEFAULT 'day',
	from_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date - 89),
	to_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date),
	tenant_id text DEFAULT NULL)
RETURNS TABLE (period_start date, status text, actors bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
	r record;
	counts bigint[];
BEGIN
	r := adoption.analytics_periods(actor, period, from_date, to_date);
	SELECT adoption.lifecycle_counts(a.bits, adoption.period_index(s.first_seen_at, r.origin, lifecycle.period))
	INTO counts
	FROM adoption.actor_activity(lifecycle.actor, lifecycle.feature_id, lifecycle.tenant_id,
			adoption.period_start(r.origin, lifecycle.period, -1), lifecycle.period, r.n + 1) AS a
		LEFT JOIN adoption.actor_first_seen(lifecycle.actor, lifecycle.feature_id, lifecycle.tenant_id) AS s
			ON s.actor_tenant = a.actor_tenant AND s.actor_user = a.actor_user;
	RETURN QUERY
	SELECT * FROM adoption.lifecycle_rows(counts, r.origin, lifecycle.period, r.n);
END
$$;
COMMENT ON FUNCTION adoption.lifecycle(text, text, text, date, date, text) IS 'Per period: new, returning, resurrecting and dormant (negative) users or tenants';

CREATE OR REPLACE FUNCTION adoption.stickiness_rows(counts bigint[], origin date, period text, n_days integer)
RETURNS TABLE (period_start date, dau_mau double precision, active_actors bigint, active_days bigint[])
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
WITH days AS (
	SELECT adoption.period_index(((origin + d)::timestamp AT TIME ZONE 'UTC'), origin,
			period) AS p,
		coalesce(counts[6 + d], 0) AS dau,
		coalesce(counts[6 + n_days + d], 0) AS mau,
		origin + d <= (pg_catalog.now() AT TIME ZONE 'UTC')::date AS past
	FROM generate_series(0, n_days - 1) AS d
), per AS (
	SELECT days.p, count(*)::integer AS len,
		avg(days.dau::double precision / nullif(days.mau, 0)) FILTER (WHERE days.past) AS ratio
	FROM days
	GROUP BY days.p
)
SELECT adoption.period_start(origin, period, per.p), per.ratio,
	(SELECT coalesce(sum(counts[6 + 2 * n_days + 32 * per.p + k]), 0)::bigint
		FROM generate_series(1, per.len) AS k),
	ARRAY(SELECT coalesce(counts[6 + 2 * n_days + 32 * per.p + k], 0)
		FROM generate_series(1, per.len) AS k ORDER BY k)
FROM per
ORDER BY per.p
$$;
COMMENT ON FUNCTION adoption.stickiness_rows(bigint[], date, text, integer) IS 'The stickiness_counts of n_days days from origin as stickiness() rows: per period the mean daily DAU/MAU, the actors active and how many were active on exactly k days';

CREATE OR REPLACE FUNCTION adoption.stickiness(
	actor text DEFAULT 'user',
	feature_id text DEFAULT NULL,
	period text DEFAULT 'day',
	from_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date - 89),
	to_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date),
	tenant_id text DEFAULT NULL)
RETURNS TABLE (period_start date, dau_mau double precision, active_actors bigint, active_days bigint[])
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
	r record;
	n_days integer;
	counts bigint[];
BEGIN
	r := adoption.analytics_periods(actor, period, from_date, to_date);
	n_days := adoption.period_start(r.origin, period, r.n) - r.origin;
	SELECT adoption.stickiness_counts(a.bits, 29, r.origin, stickiness.period) INTO counts
	FROM adoption.actor_activity(stickiness.actor, stickiness.feature_id, stickiness.tenant_id,
		r.origin - 29, 'day', n_days + 29) AS a;
	RETURN QUERY
	SELECT * FROM adoption.stickiness_rows(counts, r.origin, stickiness.period, n_days);
END
$$;
COMMENT ON FUNCTION adoption.stickiness(text, text, text, date, date, text) IS 'Per period: mean daily DAU/MAU (30-day MAU), actors active, and active_days[k] = actors active on exactly k days';

CREATE OR REPLACE FUNCTION adoption.pes(
	actor text DEFAULT 'user',
	feature_id text DEFAULT NULL,
	period text DEFAULT 'day',
	from_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date - 89),
	to_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date),
	tenant_id text DEFAULT NULL)
RETURNS TABLE (period_start date, active_actors bigint, adoption double precision,
	stickiness double precision, growth double precision, score double precision)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET plan_cache_mode = force_custom_plan
SET jit = off
AS $$
DECLARE
	r record;
	n_days integer;
BEGIN
	r := adoption.analytics_periods(actor, period, from_date, to_date);
	n_days := adoption.period_start(r.origin, period, r.n) - r.origin;
	/*
	 * The scans a branch does not need are behind one-time filters on the
	 * arguments (a custom plan per call folds them), so they never run.
	 */
	RETURN QUERY
	WITH daily AS MATERIALIZED (
		/* Daily, on the feature, from 29 days before the range: stickiness. */
		SELECT a.actor_tenant AS t, a.actor_user AS u, a.bits
		FROM adoption.actor_activity(pes.actor, pes.feature_id, pes.tenant_id, r.origin - 29, 'day', n_days + 29) AS a
	), periods AS MATERIALIZED (
		/* By period, on the feature, from the period before the range: lifecycle. */
		SELECT d.t, d.u, substring(d.bits FROM 29) AS bits FROM daily AS d WHERE pes.period = 'day'
		UNION ALL
		SELECT a.actor_tenant, a.actor_user, a.bits
		FROM adoption.actor_activity(pes.actor, pes.feature_id, pes.tenant_id,
			adoption.period_start(r.origin, pes.period, -1), pes.period, r.n + 1) AS a
		WHERE pes.period <> 'day'
	), any_feature AS MATERIALIZED (
		/* By period, on any feature, over the range: the actors the adoption part divides by. */
		SELECT p.t, p.u, substring(p.bits FROM 2) AS bits FROM periods AS p WHERE pes.feature_id IS NULL
		UNION ALL
		SELECT a.actor_tenant, a.actor_user, a.bits
		FROM adoption.actor_activity(pes.actor, NULL, pes.tenant_id, r.origin, pes.period, r.n) AS a
		WHERE pes.feature_id IS NOT NULL
	), core AS (
		SELECT f.feature_id, adoption.period_index(f.launched_at, r.origin, pes.period) AS launched_p
		FROM adoption.features AS f
		WHERE (pes.feature_id IS NULL AND f.tier = 'core') OR f.feature_id = pes.feature_id
	), adopted AS (
		/* Each adoption of a core feature (or of feature_id) counts from period k on. */
		SELECT s.actor_tenant AS t, s.actor_user AS u,
			greatest(0, adoption.period_index(s.adopted_at, r.origin, pes.period), coalesce(c.launched_p, 0)) AS k
		FROM adoption.actor_adoptions(pes.actor, pes.feature_id, pes.tenant_id) AS s
			JOIN core AS c ON c.feature_id = s.adopted_feature_id
	), counts AS (
		SELECT
			(SELECT adoption.stickiness_counts(d.bits, 29, r.origin, pes.period) FROM daily AS d) AS st,
			(SELECT adoption.lifecycle_counts(p.bits, adoption.period_index(f.first_seen_at, r.origin, pes.period))
				FROM periods AS p
				LEFT JOIN adoption.actor_first_seen(pes.actor, pes.feature_id, pes.tenant_id) AS f
					ON f.actor_tenant = p.t AND f.actor_user = p.u) AS lc,
			(SELECT adoption.period_counts(q.bits, 0) FROM any_feature AS q) AS act,
			(SELECT adoption.period_counts(q.bits, d.k)
				FROM adopted AS d JOIN any_feature AS q ON q.t = d.t AND q.u = d.u
				WHERE d.k < r.n) AS ad
	), adoption_part AS (
		/* period_counts is {n, counts[n]}. */
		SELECT p,
			100 * coalesce(c.ad[2 + p], 0)::double precision
			/ nullif(c.act[2 + p] * (SELECT count(*) FROM core WHERE core.launched_p IS NULL OR core.launched_p <= p), 0) AS v
		FROM counts AS c, generate_series(0, r.n - 1) AS p
	), growth_part AS (
		SELECT l.period_start AS ps,
			100 * sum(l.actors) FILTER (WHERE l.status IN ('new', 'resurrecting'))::double precision
				/ nullif(sum(abs(l.actors)) FILTER (WHERE l.status <> 'returning'), 0) AS v
		FROM counts AS c, adoption.lifecycle_rows(c.lc, r.origin, pes.period, r.n) AS l
		GROUP BY l.period_start
	), parts AS (
		SELECT s.period_start AS ps, s.active_actors AS act, ap.v AS a, 100 * s.dau_mau AS st, g.v AS g
		FROM counts AS c
			CROSS JOIN adoption.stickiness_rows(c.st, r.origin, pes.period, n_days) AS s
			LEFT JOIN adoption_part AS ap ON adoption.period_start(r.origin, pes.period, ap.p) = s.period_start
			LEFT JOIN growth_part AS g ON g.ps = s.period_start
	)
	SELECT parts.ps, parts.act, parts.a, parts.st, parts.g,
		(coalesce(parts.a, 0) + coalesce(parts.st, 0) + coalesce(parts.g, 0))
			/ nullif((parts.a IS NOT NULL)::integer + (parts.st IS NOT NULL)::integer + (parts.g IS NOT NULL)::integer, 0)
	FROM parts
	ORDER BY parts.ps;
END
$$;
COMMENT ON FUNCTION adoption.pes(text, text, text, date, date, text) IS 'Product engagement score per period: mean of adoption (share of core features, or of feature_id, adopted, averaged over the actors active in the period on any feature), stickiness (DAU/MAU) and growth ((new + resurrecting) / (new + resurrecting + dormant)), each 0-100';
REVOKE ALL ON FUNCTION adoption.period_counts_transfn(bigint[], varbit, integer),
	adoption.period_counts_combinefn(bigint[], bigint[]), adoption.period_counts(varbit, integer),
	adoption.actor_first_seen(text, text, text), adoption.lifecycle_rows(bigint[], date, text, integer),
	adoption.stickiness_rows(bigint[], date, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.period_counts_transfn(bigint[], varbit, integer),
	adoption.period_counts_combinefn(bigint[], bigint[]), adoption.period_counts(varbit, integer),
	adoption.actor_first_seen(text, text, text), adoption.lifecycle_rows(bigint[], date, text, integer),
	adoption.stickiness_rows(bigint[], date, text, integer)
	TO adoption_analyst, adoption_tenant;

/*
 * Issue 17, the integration API: one jsonb function per seed endpoint
 * (api_product_analytics, api_submit_feedback, api_coordinate_launch,
 * api_customer_health, api_trigger_intervention, api_expansion) and their
 * input checks.
 */
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
 * now, and the expansion plays queued or sent.
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
		'plays', coalesce((SELECT jsonb_agg(jsonb_build_object('action_id', a.action_id, 'template_key', a.template_key,
				'feature_id', a.feature_id, 'status', a.status, 'status_reason', a.status_reason,
				'created_at', a.created_at) ORDER BY a.created_at, a.action_id)
			FROM adoption.campaign_actions AS a
			WHERE a.tenant_id = t AND a.template_key IN ('expansion_offer', 'advanced_feature', 'case_study')), '[]'));
END
$$;
COMMENT ON FUNCTION adoption.api_expansion(text) IS 'GET success/expansion/{tenant_id}: plan, ARR, seats, expansion opportunities, whether the play policy allows expansion_offer, advanced_feature and case_study now, and those plays queued or sent, as one jsonb document';
ALTER FUNCTION adoption.api_submit_feedback(jsonb) SECURITY DEFINER;
ALTER FUNCTION adoption.api_coordinate_launch(jsonb) SECURITY DEFINER;
ALTER FUNCTION adoption.api_trigger_intervention(jsonb) SECURITY DEFINER;
REVOKE ALL ON FUNCTION adoption.api_check_tenant(text), adoption.api_check_payload(jsonb, text[], text[]),
	adoption.api_product_analytics(text), adoption.api_submit_feedback(jsonb), adoption.api_coordinate_launch(jsonb),
	adoption.api_customer_health(text), adoption.api_trigger_intervention(jsonb), adoption.api_expansion(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.api_submit_feedback(jsonb), adoption.api_coordinate_launch(jsonb),
	adoption.api_trigger_intervention(jsonb) TO adoption_app;
GRANT EXECUTE ON FUNCTION adoption.api_check_tenant(text), adoption.api_product_analytics(text),
	adoption.api_customer_health(text), adoption.api_expansion(text) TO adoption_analyst, adoption_tenant;

/*
 * Issue 17, cross-sell recommendations: feature_recommendations(),
 * recommend_features() and the hold-out evaluate_recommendations().
 */
CREATE FUNCTION adoption.feature_recommendations(tenant_ids text[], n integer DEFAULT 3, as_of timestamptz DEFAULT NULL)
RETURNS TABLE (tenant_id text, rank integer, feature_id text, feature_name text, tier text,
	score double precision, confidence double precision, support double precision, lift double precision, because text,
	upgrade_of text, peers integer, peer_group text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
	RETURN QUERY
	WITH ta AS MATERIALIZED (
		/*
		 * Tenant x feature adoptions: now, the pairs with an adopted user
		 * (tenant_feature_counts, one small row each); as of a time, from
		 * the users' adoption times.
		 */
		SELECT c.tenant_id AS t, c.feature_id AS f
		FROM adoption.tenant_feature_counts AS c
		WHERE feature_recommendations.as_of IS NULL AND c.adopted_users > 0
		UNION ALL
		SELECT s.tenant_id, s.feature_id
		FROM adoption.user_feature_state AS s
		WHERE feature_recommendations.as_of IS NOT NULL AND s.adopted_at < feature_recommendations.as_of
		GROUP BY s.tenant_id, s.feature_id
	), tg AS MATERIALIZED (
		/* The groups every tenant belongs to: its segment and plan, its segment, all. */
		SELECT t.tenant_id AS t, g.gk
		FROM adoption.tenants AS t,
			LATERAL (VALUES ('sp:' || quote_nullable(t.segment) || '|' || quote_nullable(t.plan)),
				('s:' || quote_nullable(t.segment)), ('all')) AS g (gk)
	), gn AS (
		SELECT tg.gk, count(*)::integer AS members FROM tg GROUP BY tg.gk
	), x AS MATERIALIZED (
		/* Each target's peer group: the first with at least 5 other tenants. */
		SELECT t.tenant_id AS x,
			CASE WHEN sp.members - 1 >= 5 THEN sp.gk WHEN sg.members - 1 >= 5 THEN sg.gk ELSE 'all' END AS gk
		FROM adoption.tenants AS t
		JOIN gn AS sp ON sp.gk = 'sp:' || quote_nullable(t.segment) || '|' || quote_nullable(t.plan)
		JOIN gn AS sg ON sg.gk = 's:' || quote_nullable(t.segment)
		WHERE t.tenant_id = ANY (feature_recommendations.tenant_ids)
	), members AS MATERIALIZED (
		SELECT tg.gk, tg.t FROM tg WHERE tg.gk IN (SELECT x.gk FROM x)
	), fc AS (
		/* Members of each group that adopted each feature. */
		SELECT m.gk, ta.f, count(*) AS k FROM members AS m JOIN ta ON ta.t = m.t GROUP BY m.gk, ta.f
	), cooc AS (
		/* Members of each group that adopted both a and c. */
		SELECT m.gk, a.f AS a, c.f AS c, count(*) AS k
		FROM members AS m
		JOIN ta AS a ON a.t = m.t
		JOIN ta AS c ON c.t = m.t AND c.f <> a.f
		GROUP BY m.gk, a.f, c.f
	), mine AS MATERIALIZED (
		/* The targets' own adoptions. */
		SELECT ta.t, ta.f FROM ta WHERE ta.t = ANY (feature_recommendations.tenant_ids)
	), up AS (
		/* Upgrade paths: c is the upgrade_feature_id of a feature the target adopted. */
		SELECT mine.t, u.upgrade_feature_id AS c, min(u.feature_id) AS upgrade_of
		FROM mine JOIN adoption.features AS u ON u.feature_id = mine.f
		WHERE u.upgrade_feature_id IS NOT NULL
		GROUP BY mine.t, u.upgrade_feature_id
	), rules AS (
		/*
		 * A target is a member of its group: a pair (a, c) with c not
		 * adopted by it never counts it, a feature a it adopted does once.
		 */
		SELECT x.x, ma.f AS a, co.c, gn.members - 1 AS peers,
			CASE WHEN x.gk LIKE 'sp:%' THEN 'segment and plan' WHEN x.gk LIKE 's:%' THEN 'segment' ELSE 'all' END AS grp,
			co.k::double precision / (gn.members - 1) AS support,
			co.k::double precision / (fa.k - 1) AS confidence,
			(co.k::double precision / (fa.k - 1)) / (fc.k::double precision / (gn.members - 1)) AS lift,
			up.upgrade_of IS NOT NULL AS upgrade, up.upgrade_of, nm.n_mine
		FROM x
		JOIN (SELECT mine.t, count(*) AS n_mine FROM mine GROUP BY mine.t) AS nm ON nm.t = x.x
		JOIN mine AS ma ON ma.t = x.x
		JOIN cooc AS co ON co.gk = x.gk AND co.a = ma.f
		LEFT JOIN mine AS mc ON mc.t = x.x AND mc.f = co.c
		JOIN gn ON gn.gk = x.gk
		JOIN fc AS fa ON fa.gk = x.gk AND fa.f = ma.f
		JOIN fc ON fc.gk = x.gk AND fc.f = co.c
		LEFT JOIN up ON up.t = x.x AND up.c = co.c
		WHERE mc.f IS NULL
	), best AS (
		SELECT DISTINCT ON (rules.x, rules.c) rules.*,
			sum(rules.confidence) OVER (PARTITION BY rules.x, rules.c) / rules.n_mine AS score
		FROM rules
		ORDER BY rules.x, rules.c, rules.confidence DESC, rules.lift DESC, rules.support DESC, rules.a
	), ranked AS (
		SELECT best.*, row_number() OVER (PARTITION BY best.x
			ORDER BY best.score DESC, best.upgrade DESC, best.lift DESC, best.support DESC, best.c)::integer AS r
		FROM best
	)
	SELECT ranked.x, ranked.r, ranked.c, f.feature_name, f.tier, ranked.score, ranked.confidence, ranked.support, ranked.lift,
		ranked.a, ranked.upgrade_of, ranked.peers, ranked.grp
	FROM ranked
	LEFT JOIN adoption.features AS f ON f.feature_id = ranked.c
	WHERE ranked.r <= feature_recommendations.n
	ORDER BY ranked.x, ranked.r;
END
$$;
COMMENT ON FUNCTION adoption.feature_recommendations(text[], integer, timestamptz) IS 'Cross-sell recommendations of several tenants as of a time (NULL: all data): per tenant the n best features it has not adopted, from the association rules of its peers (segment and plan), with support, confidence, lift, the antecedent feature and the upgrade path';

CREATE FUNCTION adoption.recommend_features(tenant_id text, n integer DEFAULT 3)
RETURNS TABLE (rank integer, feature_id text, feature_name text, tier text,
	score double precision, confidence double precision, support double precision, lift double precision, because text,
	upgrade_of text, peers integer, peer_group text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM adoption.tenants AS t WHERE t.tenant_id = recommend_features.tenant_id) THEN
		RAISE EXCEPTION 'unknown tenant "%"', coalesce(recommend_features.tenant_id, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Tenants are the rows of adoption.tenants; events register them on first sight.';
	END IF;
	IF n IS NULL OR n < 1 OR n > 100 THEN
		RAISE EXCEPTION 'n must be between 1 and 100, not %', coalesce(n::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY
	SELECT r.rank, r.feature_id, r.feature_name, r.tier, r.score, r.confidence, r.support, r.lift, r.because,
		r.upgrade_of, r.peers, r.peer_group
	FROM adoption.feature_recommendations(ARRAY[recommend_features.tenant_id], n) AS r
	ORDER BY r.rank;
END
$$;
COMMENT ON FUNCTION adoption.recommend_features(text, integer) IS 'Cross-sell: the n features the tenant has not adopted that its peers (same segment and plan) who adopted what it adopted adopted most often; confidence, support and lift of the best rule, its antecedent (because), the upgrade path (upgrade_of) and the peer group';

/*
 * The honest hold-out evaluation: for each tenant with at least two
 * adoptions, its most recent adoption (the latest first adoption time of
 * a feature by one of its users) is hidden, and recommendations are made
 * as of that time from everything adopted before it, by every tenant; a
 * hit is the hidden feature among the first k.  The baseline recommends
 * the k features adopted by the most tenants as of that time that the
 * tenant has not adopted.  One row per method.
 */
CREATE FUNCTION adoption.evaluate_recommendations(k integer DEFAULT 3)
RETURNS TABLE (method text, tenants integer, hits integer, hit_rate double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c record;
	n_tenants integer := 0;
	rec_hits integer := 0;
	pop_hits integer := 0;
BEGIN
	IF k IS NULL OR k < 1 OR k > 100 THEN
		RAISE EXCEPTION 'k must be between 1 and 100, not %', coalesce(k::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	FOR c IN
		SELECT DISTINCT ON (a.tenant_id) a.tenant_id, a.feature_id, a.adopted_at
		FROM (SELECT s.tenant_id, s.feature_id, min(s.adopted_at) AS adopted_at
			FROM adoption.user_feature_state AS s WHERE s.adopted_at IS NOT NULL
			GROUP BY s.tenant_id, s.feature_id) AS a
		WHERE (SELECT count(DISTINCT u.feature_id) FROM adoption.user_feature_state AS u
			WHERE u.tenant_id = a.tenant_id AND u.adopted_at < a.adopted_at) >= 1
		ORDER BY a.tenant_id, a.adopted_at DESC, a.feature_id
	LOOP
		n_tenants := n_tenants + 1;
		IF EXISTS (SELECT 1 FROM adoption.feature_recommendations(ARRAY[c.tenant_id], k, c.adopted_at) AS r
			WHERE r.feature_id = c.feature_id) THEN
			rec_hits := rec_hits + 1;
		END IF;
		IF c.feature_id IN (
			SELECT s.feature_id FROM adoption.user_feature_state AS s
			WHERE s.adopted_at < c.adopted_at
				AND s.feature_id NOT IN (SELECT m.feature_id FROM adoption.user_feature_state AS m
					WHERE m.tenant_id = c.tenant_id AND m.adopted_at < c.adopted_at)
			GROUP BY s.feature_id
			ORDER BY count(DISTINCT s.tenant_id) DESC, s.feature_id
			LIMIT k) THEN
			pop_hits := pop_hits + 1;
		END IF;
	END LOOP;
	RETURN QUERY VALUES
		('recommend_features', n_tenants, rec_hits, rec_hits::double precision / nullif(n_tenants, 0)),
		('most_popular', n_tenants, pop_hits, pop_hits::double precision / nullif(n_tenants, 0));
END
$$;
COMMENT ON FUNCTION adoption.evaluate_recommendations(integer) IS 'Hold-out evaluation of recommend_features: hides each tenant''s most recent adoption, recommends as of its time, and reports the hit rate at k against recommending the k most adopted features';
REVOKE ALL ON FUNCTION adoption.feature_recommendations(text[], integer, timestamptz),
	adoption.recommend_features(text, integer), adoption.evaluate_recommendations(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.feature_recommendations(text[], integer, timestamptz),
	adoption.recommend_features(text, integer), adoption.evaluate_recommendations(integer)
	TO adoption_analyst, adoption_tenant;

/* Issue 17: the expansion document carries the cross-sell recommendations. */
CREATE OR REPLACE FUNCTION adoption.api_expansion(tenant_id text)
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

/*
 * Issue 17, intervention effectiveness: wilson_interval(), the function
 * intervention_effectiveness(window_length, as_of) and the view of the
 * same name at its defaults.
 */
CREATE FUNCTION adoption.wilson_interval(x bigint, n bigint, z double precision DEFAULT 1.959963984540054)
RETURNS double precision[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN CASE WHEN n > 0 AND x >= 0 AND x <= n THEN ARRAY[
	(x::double precision / n + z * z / (2 * n) - z * sqrt(x::double precision / n * (1 - x::double precision / n) / n + z * z / (4 * n * n))) / (1 + z * z / n),
	(x::double precision / n + z * z / (2 * n) + z * sqrt(x::double precision / n * (1 - x::double precision / n) / n + z * z / (4 * n * n))) / (1 + z * z / n)] END;
COMMENT ON FUNCTION adoption.wilson_interval(bigint, bigint, double precision) IS 'Wilson score interval {low, high} of the rate x / n (z = 1.96: 95 %); NULL when n = 0';

CREATE FUNCTION adoption.intervention_effectiveness(window_length interval DEFAULT '30 days',
	as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (template_key text, month date, actions bigint, outcomes bigint, outcome_rate double precision,
	rate_low double precision, rate_high double precision, baseline bigint, baseline_outcomes bigint,
	baseline_rate double precision, baseline_low double precision, baseline_high double precision,
	lift double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
	IF window_length IS NULL OR window_length <= interval '0' THEN
		RAISE EXCEPTION 'window_length must be positive, not %', coalesce(window_length::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass how long after the moment the outcome may come, e.g. ''30 days''.';
	END IF;
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'as_of must be a finite time, not %', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY
	WITH w AS (SELECT window_length AS len, intervention_effectiveness.as_of AS t),
	acts AS (
		/* Done actions of the six templates whose window ended by as_of. */
		SELECT a.template_key AS tpl, a.tenant_id AS t, a.user_id AS u, a.feature_id AS f, a.completed_at AS m
		FROM adoption.campaign_actions AS a, w
		WHERE a.status = 'done' AND a.completed_at + w.len <= w.t
			AND a.template_key IN ('retention_intervention', 'escalate_to_cs', 'win_back', 'adoption_nudge',
				'advanced_feature', 'expansion_offer')
	),
	created AS MATERIALIZED (
		/*
		 * Every action of those templates (any status), for excluding
		 * baseline moments, keyed like them: the user ('' for tenant
		 * plays) and, for the plays about a feature, the feature.
		 */
		SELECT a.template_key AS tpl, a.tenant_id AS t, coalesce(a.user_id, '') AS ku,
			CASE WHEN a.template_key IN ('adoption_nudge', 'advanced_feature') THEN coalesce(a.feature_id, '') ELSE '' END AS kf,
			a.created_at
		FROM adoption.campaign_actions AS a
		WHERE a.template_key IN ('retention_intervention', 'escalate_to_cs', 'win_back', 'adoption_nudge',
			'advanced_feature', 'expansion_offer')
	),
	scores AS (
		SELECT h.tenant_id AS t, h.scored_at AS m, h.risk, h.last_event_at, h.active_users, e.dormant_after,
			e.seat_utilization_threshold, n.seats_licensed
		FROM adoption.health_scores AS h
		JOIN adoption.effective_settings AS e ON e.tenant_id = h.tenant_id
		JOIN adoption.tenants AS n ON n.tenant_id = h.tenant_id
	),
	eligible AS (
		SELECT 'retention_intervention'::text AS tpl, s.t, NULL::text AS u, NULL::text AS f, s.m FROM scores AS s WHERE s.risk = 'at_risk'
		UNION ALL
		SELECT 'escalate_to_cs', s.t, NULL, NULL, s.m FROM scores AS s WHERE s.risk = 'critical'
		UNION ALL
		SELECT 'win_back', s.t, NULL, NULL, s.m FROM scores AS s WHERE s.last_event_at <= s.m - s.dormant_after
		UNION ALL
		SELECT 'expansion_offer', s.t, NULL, NULL, s.m FROM scores AS s
		WHERE s.seats_licensed > 0 AND s.active_users >= s.seat_utilization_threshold * s.seats_licensed
		UNION ALL
		SELECT 'adoption_nudge', u.tenant_id, u.user_id, u.feature_id, u.activated_at + e.nudge_after
		FROM adoption.user_feature_state AS u
		JOIN adoption.effective_settings AS e ON e.tenant_id = u.tenant_id
		WHERE u.adopted_at IS NULL OR u.adopted_at > u.activated_at + e.nudge_after
		UNION ALL
		SELECT 'advanced_feature', u.tenant_id, NULL, f.upgrade_feature_id, min(u.habitual_at)
		FROM adoption.user_feature_state AS u
		JOIN adoption.features AS f ON f.feature_id = u.feature_id AND f.upgrade_feature_id IS NOT NULL
		WHERE u.habitual_at IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS g WHERE g.tenant_id = u.tenant_id
				AND g.feature_id = f.upgrade_feature_id AND g.activated_at <= u.habitual_at)
		GROUP BY u.tenant_id, f.upgrade_feature_id
	),
	base AS (
		/* Eligible moments without an action of the template for the subject within the window; the first per subject and month. */
		SELECT DISTINCT ON (e.tpl, e.t, e.u, e.f, date_trunc('month', e.m)) e.tpl, e.t, e.u, e.f, e.m
		FROM eligible AS e, w
		WHERE e.m + w.len <= w.t
			AND NOT EXISTS (SELECT 1 FROM created AS c
				WHERE c.tpl = e.tpl AND c.t = e.t AND c.ku = coalesce(e.u, '')
					AND c.kf = CASE WHEN e.tpl IN ('adoption_nudge', 'advanced_feature') THEN coalesce(e.f, '') ELSE '' END
					AND c.created_at > e.m - w.len AND c.created_at <= e.m + w.len)
		ORDER BY e.tpl, e.t, e.u, e.f, date_trunc('month', e.m), e.m
	),
	units AS (
		SELECT true AS treated, acts.* FROM acts
		UNION ALL
		SELECT false, base.* FROM base
	),
	judged AS (
		SELECT x.treated, x.tpl, date_trunc('month', x.m)::date AS month, CASE x.tpl
			WHEN 'retention_intervention' THEN EXISTS (SELECT 1 FROM adoption.health_scores AS h
				WHERE h.tenant_id = x.t AND h.scored_at > x.m AND h.scored_at <= x.m + w.len AND h.risk = 'healthy')
			WHEN 'escalate_to_cs' THEN EXISTS (SELECT 1 FROM adoption.health_scores AS h
				WHERE h.tenant_id = x.t AND h.scored_at > x.m AND h.scored_at <= x.m + w.len AND h.risk <> 'critical')
			WHEN 'win_back' THEN EXISTS (SELECT 1 FROM adoption.feature_usage_events AS v
				WHERE v.tenant_id = x.t AND v.usage_timestamp > x.m AND v.usage_timestamp <= x.m + w.len)
			WHEN 'expansion_offer' THEN EXISTS (SELECT 1 FROM adoption.billing_events AS b
				WHERE b.tenant_id = x.t AND b.kind = 'upgrade' AND b.occurred_at > x.m AND b.occurred_at <= x.m + w.len)
			WHEN 'adoption_nudge' THEN EXISTS (SELECT 1 FROM adoption.user_feature_state AS u
				WHERE u.tenant_id = x.t AND u.user_id = x.u AND u.feature_id = x.f
					AND u.adopted_at > x.m AND u.adopted_at <= x.m + w.len)
			WHEN 'advanced_feature' THEN EXISTS (SELECT 1 FROM adoption.user_feature_state AS u
				WHERE u.tenant_id = x.t AND u.feature_id = x.f
					AND u.activated_at > x.m AND u.activated_at <= x.m + w.len)
			END AS success
		FROM units AS x, w
	),
	agg AS (
		SELECT j.tpl, j.month,
			count(*) FILTER (WHERE j.treated) AS n, count(*) FILTER (WHERE j.treated AND j.success) AS k,
			count(*) FILTER (WHERE NOT j.treated) AS bn, count(*) FILTER (WHERE NOT j.treated AND j.success) AS bk
		FROM judged AS j
		GROUP BY j.tpl, j.month
	)
	SELECT agg.tpl, agg.month, agg.n, agg.k, agg.k::double precision / nullif(agg.n, 0),
		(adoption.wilson_interval(agg.k, agg.n))[1], (adoption.wilson_interval(agg.k, agg.n))[2],
		agg.bn, agg.bk, agg.bk::double precision / nullif(agg.bn, 0),
		(adoption.wilson_interval(agg.bk, agg.bn))[1], (adoption.wilson_interval(agg.bk, agg.bn))[2],
		(agg.k::double precision / nullif(agg.n, 0)) / nullif(agg.bk::double precision / nullif(agg.bn, 0), 0)
	FROM agg
	ORDER BY agg.tpl, agg.month;
END
$$;
COMMENT ON FUNCTION adoption.intervention_effectiveness(interval, timestamptz) IS 'Per play and month: done actions and how many were followed by their outcome within window_length, against a baseline of eligible moments without the play, with 95 % Wilson intervals and the lift; only units whose window ended by as_of';

CREATE VIEW adoption.intervention_effectiveness WITH (security_invoker = true) AS
SELECT e.template_key, e.month, e.actions, e.outcomes, e.outcome_rate, e.rate_low, e.rate_high,
	e.baseline, e.baseline_outcomes, e.baseline_rate, e.baseline_low, e.baseline_high, e.lift
FROM adoption.intervention_effectiveness() AS e;
COMMENT ON VIEW adoption.intervention_effectiveness IS 'Does a play work? Per template and month: done actions followed by their outcome within 30 days, against eligible moments without the play (adoption.intervention_effectiveness(window_length, as_of) for other windows and past dates)';
COMMENT ON COLUMN adoption.intervention_effectiveness.template_key IS 'The play: retention_intervention, escalate_to_cs, win_back, adoption_nudge, advanced_feature or expansion_offer';
COMMENT ON COLUMN adoption.intervention_effectiveness.month IS 'Month of the moment (completed_at of an action, the eligible moment of a baseline unit), UTC';
COMMENT ON COLUMN adoption.intervention_effectiveness.actions IS 'Done actions whose 30-day window has ended';
COMMENT ON COLUMN adoption.intervention_effectiveness.outcomes IS 'Of those, followed by the outcome the play aims at within 30 days';
COMMENT ON COLUMN adoption.intervention_effectiveness.outcome_rate IS 'outcomes / actions';
COMMENT ON COLUMN adoption.intervention_effectiveness.rate_low IS 'Lower end of the 95 % Wilson interval of outcome_rate';
COMMENT ON COLUMN adoption.intervention_effectiveness.rate_high IS 'Upper end of the 95 % Wilson interval of outcome_rate';
COMMENT ON COLUMN adoption.intervention_effectiveness.baseline IS 'Eligible subjects (first eligible moment in the month) with no action of the template within 30 days of it';
COMMENT ON COLUMN adoption.intervention_effectiveness.baseline_outcomes IS 'Of those, followed by the outcome within 30 days';
COMMENT ON COLUMN adoption.intervention_effectiveness.baseline_rate IS 'baseline_outcomes / baseline';
COMMENT ON COLUMN adoption.intervention_effectiveness.baseline_low IS 'Lower end of the 95 % Wilson interval of baseline_rate';
COMMENT ON COLUMN adoption.intervention_effectiveness.baseline_high IS 'Upper end of the 95 % Wilson interval of baseline_rate';
COMMENT ON COLUMN adoption.intervention_effectiveness.lift IS 'outcome_rate / baseline_rate (NULL without a baseline or when it is 0): read it with the intervals, which overlap when the difference may be noise';
REVOKE ALL ON FUNCTION adoption.wilson_interval(bigint, bigint, double precision),
	adoption.intervention_effectiveness(interval, timestamptz) FROM PUBLIC;
REVOKE ALL ON adoption.intervention_effectiveness FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.wilson_interval(bigint, bigint, double precision),
	adoption.intervention_effectiveness(interval, timestamptz) TO adoption_analyst, adoption_tenant;
GRANT SELECT ON adoption.intervention_effectiveness TO adoption_analyst, adoption_tenant;

/*
 * Issue 17, revenue attribution: touch_credit() (the models' credit, now
 * shared with attribution()), revenue_attribution() and the view
 * attributed_revenue.
 */
CREATE FUNCTION adoption.touch_credit(model text, pos bigint, n bigint, w double precision, w_sum double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN CASE model
	WHEN 'first_touch' THEN CASE WHEN pos = 1 THEN 1.0::double precision ELSE 0.0 END
	WHEN 'last_touch' THEN CASE WHEN pos = n THEN 1.0::double precision ELSE 0.0 END
	WHEN 'linear' THEN 1.0::double precision / n
	WHEN 'time_decay' THEN w / w_sum
	WHEN 'position_based' THEN CASE WHEN n = 1 THEN 1.0::double precision
		WHEN n = 2 THEN 0.5
		WHEN pos = 1 OR pos = n THEN 0.4
		ELSE 0.2::double precision / (n - 2) END
	END;
COMMENT ON FUNCTION adoption.touch_credit(text, bigint, bigint, double precision, double precision) IS 'Credit of the pos-th of n touches under an attribution model: first_touch, last_touch, linear, time_decay (w / w_sum) or position_based (40/20/40)';

CREATE OR REPLACE FUNCTION adoption.attribution(model text DEFAULT 'last_touch', lookback interval DEFAULT '30 days')
RETURNS TABLE (tenant_id text, user_id text, feature_id text, adopted_at timestamptz,
	campaign_id text, touched_at timestamptz, credit double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
	IF model IS NULL THEN
		RAISE EXCEPTION 'attribution model must not be NULL'
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'The models are first_touch, last_touch, linear, time_decay (7-day half-life) and position_based (40/20/40).';
	END IF;
	IF model NOT IN ('first_touch', 'last_touch', 'linear', 'time_decay', 'position_based') THEN
		RAISE EXCEPTION 'unknown attribution model "%"', model
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'The models are first_touch, last_touch, linear, time_decay (7-day half-life) and position_based (40/20/40).';
	END IF;
	IF lookback IS NULL OR lookback < interval '0' THEN
		RAISE EXCEPTION 'lookback must be a non-negative interval, not %', coalesce(lookback::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Pass how long before an adoption a touch counts, e.g. ''30 days''.';
	END IF;
	RETURN QUERY
	WITH a AS (
		SELECT s.tenant_id, s.user_id, s.feature_id, s.adopted_at
		FROM adoption.user_feature_state AS s
		WHERE s.adopted_at IS NOT NULL
	),
	t AS (
		SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at, c.campaign_id, c.touched_at,
			0 AS src, c.touch_id, NULL::uuid AS event_id
		FROM a
		JOIN adoption.campaign_touches AS c ON c.tenant_id = a.tenant_id
			AND (c.user_id = a.user_id OR c.user_id IS NULL)
		WHERE c.touched_at <= a.adopted_at AND c.touched_at >= a.adopted_at - lookback
		UNION ALL
		SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at,
			e.integration_context ->> 'campaign_influence', e.usage_timestamp, 1, NULL::bigint, e.event_id
		FROM a
		JOIN adoption.feature_usage_events AS e ON e.tenant_id = a.tenant_id AND e.user_id = a.user_id
		WHERE e.usage_timestamp <= a.adopted_at AND e.usage_timestamp >= a.adopted_at - lookback
			AND (e.integration_context ->> 'campaign_influence') <> ''
	),
	r AS (
		/*
		 * time_decay weighs 2^(-age / 7 days); the weights are taken
		 * relative to the latest touch (which weighs 1), the same after
		 * normalization and never all zero however long the lookback.
		 */
		SELECT t.tenant_id, t.user_id, t.feature_id, t.adopted_at, t.campaign_id, t.touched_at,
			row_number() OVER o AS pos,
			count(*) OVER p AS n,
			power(2.0::double precision,
				-(extract(epoch FROM max(t.touched_at) OVER p - t.touched_at))::double precision / 604800.0) AS w,
			t.src, t.touch_id, t.event_id
		FROM t
		WINDOW p AS (PARTITION BY t.tenant_id, t.user_id, t.feature_id),
			o AS (p ORDER BY t.touched_at, t.campaign_id COLLATE "C", t.src, t.touch_id, t.event_id)
	),
	c AS (
		SELECT r.*, adoption.touch_credit(attribution.model, r.pos, r.n, r.w,
			sum(r.w) OVER (PARTITION BY r.tenant_id, r.user_id, r.feature_id)) AS credit
		FROM r
	)
	SELECT c.tenant_id, c.user_id, c.feature_id, c.adopted_at, c.campaign_id, c.touched_at, c.credit
	FROM c
	WHERE c.credit > 0
	ORDER BY c.tenant_id COLLATE "C", c.user_id COLLATE "C", c.feature_id COLLATE "C", c.pos;
END
$$;
COMMENT ON FUNCTION adoption.attribution(text, interval) IS 'Credits each user adoption to the campaign touches of the user or its tenant (campaign_touches, events with campaign_influence) within lookback before adopted_at; models first_touch, last_touch, linear, time_decay (7-day half-life), position_based (40/20/40); one row per credited touch, credits of an adoption sum to 1';
CREATE FUNCTION adoption.revenue_attribution(model text DEFAULT 'linear', lookback interval DEFAULT '90 days')
RETURNS TABLE (tenant_id text, expansion_id text, expanded_at timestamptz, amount numeric, source text,
	credited_id text, touched_at timestamptz, credit double precision, revenue numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
	IF model IS NULL OR model NOT IN ('first_touch', 'last_touch', 'linear', 'time_decay', 'position_based') THEN
		RAISE EXCEPTION 'unknown attribution model "%"', coalesce(model, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'The models are first_touch, last_touch, linear, time_decay (7-day half-life) and position_based (40/20/40).';
	END IF;
	IF lookback IS NULL OR lookback < interval '0' THEN
		RAISE EXCEPTION 'lookback must be a non-negative interval, not %', coalesce(lookback::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Pass how long before an expansion a touch or an adoption counts, e.g. ''90 days''.';
	END IF;
	RETURN QUERY
	WITH x AS (
		SELECT b.tenant_id, b.event_id, b.occurred_at, b.amount
		FROM adoption.billing_events AS b
		WHERE b.kind = 'upgrade' AND b.amount > 0
	),
	t AS (
		SELECT x.tenant_id, x.event_id, x.occurred_at, x.amount, 'campaign'::text AS src, c.campaign_id AS id,
			c.touched_at AS at, c.touch_id::text AS tie
		FROM x
		JOIN adoption.campaign_touches AS c ON c.tenant_id = x.tenant_id
		WHERE c.touched_at <= x.occurred_at AND c.touched_at >= x.occurred_at - lookback
		UNION ALL
		SELECT x.tenant_id, x.event_id, x.occurred_at, x.amount, 'campaign', e.integration_context ->> 'campaign_influence',
			e.usage_timestamp, e.event_id::text
		FROM x
		JOIN adoption.feature_usage_events AS e ON e.tenant_id = x.tenant_id
		WHERE e.usage_timestamp <= x.occurred_at AND e.usage_timestamp >= x.occurred_at - lookback
			AND (e.integration_context ->> 'campaign_influence') <> ''
		UNION ALL
		SELECT x.tenant_id, x.event_id, x.occurred_at, x.amount, 'feature', f.feature_id, f.adopted_at, ''
		FROM x
		JOIN (SELECT s.tenant_id, s.feature_id, min(s.adopted_at) AS adopted_at
			FROM adoption.user_feature_state AS s WHERE s.adopted_at IS NOT NULL
			GROUP BY s.tenant_id, s.feature_id) AS f ON f.tenant_id = x.tenant_id
		WHERE f.adopted_at <= x.occurred_at AND f.adopted_at >= x.occurred_at - lookback
	),
	r AS (
		SELECT t.*,
			row_number() OVER o AS pos,
			count(*) OVER p AS n,
			power(2.0::double precision,
				-(extract(epoch FROM max(t.at) OVER p - t.at))::double precision / 604800.0) AS w
		FROM t
		WINDOW p AS (PARTITION BY t.tenant_id, t.event_id, t.src),
			o AS (p ORDER BY t.at, t.id COLLATE "C", t.tie COLLATE "C")
	),
	c AS (
		SELECT r.*, adoption.touch_credit(revenue_attribution.model, r.pos, r.n, r.w,
			sum(r.w) OVER (PARTITION BY r.tenant_id, r.event_id, r.src)) AS cr
		FROM r
	),
	cum AS (
		/*
		 * Revenue in numeric, to the millionth, telescoping: the k-th touch
		 * gets round(amount x credits up to k) - round(amount x credits
		 * before k), the credits up to the last being 1, so that the
		 * revenue of an expansion adds up to its amount exactly.
		 */
		SELECT c.*,
			round(c.amount * CASE WHEN c.pos = c.n THEN 1::numeric
				ELSE (sum(c.cr) OVER (PARTITION BY c.tenant_id, c.event_id, c.src ORDER BY c.pos))::numeric END, 6) AS upto
		FROM c
	)
	SELECT z.tenant_id, z.event_id, z.occurred_at, z.amount, z.src, z.id, z.at, z.cr, z.rev
	FROM (SELECT c.*, c.upto - coalesce(lag(c.upto) OVER (PARTITION BY c.tenant_id, c.event_id, c.src ORDER BY c.pos), 0) AS rev
		FROM cum AS c) AS z
	WHERE z.cr > 0
	ORDER BY z.tenant_id COLLATE "C", z.occurred_at, z.event_id COLLATE "C", z.src, z.pos;
END
$$;
COMMENT ON FUNCTION adoption.revenue_attribution(text, interval) IS 'Credits each expansion (billing upgrade, amount > 0) to the campaign touches of its tenant and, separately, to the features the tenant adopted within lookback before it, with the models of attribution(); per expansion and source the credits sum to 1 and the revenue to the amount';

CREATE VIEW adoption.attributed_revenue WITH (security_invoker = true) AS
SELECT date_trunc('month', r.expanded_at AT TIME ZONE 'UTC')::date AS month, r.source, r.credited_id,
	count(DISTINCT (r.tenant_id, r.expansion_id)) AS expansions, sum(r.revenue) AS revenue
FROM adoption.revenue_attribution('linear', interval '90 days') AS r
GROUP BY 1, 2, 3;
COMMENT ON VIEW adoption.attributed_revenue IS 'Expansion revenue credited to each campaign and each feature per month (adoption.revenue_attribution(''linear'', ''90 days''); other models and lookbacks: call the function)';
COMMENT ON COLUMN adoption.attributed_revenue.month IS 'Month of the expansions, UTC';
COMMENT ON COLUMN adoption.attributed_revenue.source IS 'campaign or feature';
COMMENT ON COLUMN adoption.attributed_revenue.credited_id IS 'The campaign_id or the feature_id credited';
COMMENT ON COLUMN adoption.attributed_revenue.expansions IS 'Expansions it shares the credit of';
COMMENT ON COLUMN adoption.attributed_revenue.revenue IS 'Revenue credited to it: per expansion and source the credits add up to the amount';
REVOKE ALL ON FUNCTION adoption.touch_credit(text, bigint, bigint, double precision, double precision),
	adoption.revenue_attribution(text, interval) FROM PUBLIC;
REVOKE ALL ON adoption.attributed_revenue FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.touch_credit(text, bigint, bigint, double precision, double precision),
	adoption.revenue_attribution(text, interval) TO adoption_analyst, adoption_tenant;
GRANT SELECT ON adoption.attributed_revenue TO adoption_analyst, adoption_tenant;
