/*
 * health.sql: customer health (docs/design.md §5), the actions it enqueues,
 * expansion opportunities, and the scheduled job that rescores and keeps
 * the event log in shape.
 *
 *   health_inputs()   gathers, set-based, the counts each component needs,
 *                     as of a time (only data with time <= as_of counts);
 *   health_compute()  turns one row of counts into components and score (C);
 *   rescore()         scores the tenants that need it, stores the history,
 *                     enqueues the actions of band changes, dormancy, nudges
 *                     and expansion;
 *   explain_health()  the same computation, one row per component;
 *   upkeep()          what the pg_cron job runs: partitions ahead,
 *                     retention, rescore, trimming of its own run records.
 *
 * Every function runs with TimeZone UTC so that "30 days" means the same
 * span whatever the caller's zone, and without JIT: the queries are short,
 * their cost estimates are not, and compiling them took longer than running
 * them (0.6 s of a 0.8 s incremental run).
 */

CREATE TYPE adoption.health_result AS (
	score double precision,
	usage_trend double precision,
	adoption double precision,
	support double precision,
	billing double precision,
	feedback double precision,
	weights double precision[]
);
COMMENT ON TYPE adoption.health_result IS 'Health score, its five components (NULL when absent) and the effective weights (renormalized over the present components)';

CREATE FUNCTION adoption.health_compute(events_recent bigint, events_previous bigint, has_events boolean,
	core_features integer, core_active bigint[], core_adopters bigint[], adoption_threshold double precision,
	active_users bigint, tickets bigint[], billing bigint[],
	nps_promoters bigint, nps_passives bigint, nps_detractors bigint, weights double precision[])
RETURNS adoption.health_result
AS 'MODULE_PATHNAME', 'adoption_health_compute'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION adoption.health_compute(bigint, bigint, boolean, integer, bigint[], bigint[], double precision, bigint, bigint[], bigint[], bigint, bigint, bigint, double precision[]) IS 'Health components and score from counts: tickets are {low, medium, high, urgent}, billing {payment_failed, invoice_overdue, downgrade, refund, cancellation}, weights {usage_trend, adoption, support, billing, feedback}';

/*
 * One row per tenant of tenant_ids with the counts of docs/design.md §5 as of
 * as_of.  Event counts come from the partitions' keys (tenant_id,
 * usage_timestamp, ...) alone.  The tenant's active users at as_of are its
 * users with an event of any feature in (as_of - active_window, as_of]:
 * tenant_user_state's last_seen_at is a user's last event up to as_of
 * whenever it is not later than as_of; only tenants with a user seen after
 * as_of (a backfill, or events ahead of now) read their events, over the
 * longest window needed (60 days or active_window), for those users' last
 * event up to as_of.  Reading a tenant's events costs one random heap page
 * per event (events of a tenant are spread over the log), which is what
 * made an incremental run slow.  The adopters of a core feature are the
 * active users whose adopted_at (user_feature_state) is <= as_of: the rate
 * of a core feature is adopters / the tenant's active users, so
 * core_active holds active_users for every core feature (the denominator
 * health_compute() divides by) and core_adopters the adopters, 0 for a core
 * feature nobody active adopted.  Dynamic SQL so that every call is planned
 * for its own tenant list (a handful of dirty tenants, or all).
 */
CREATE FUNCTION adoption.health_inputs(tenant_ids text[], as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (tenant_id text, events_recent bigint, events_previous bigint, last_event_at timestamptz,
	core_features integer, core_feature_ids text[], core_active bigint[], core_adopters bigint[],
	adoption_threshold double precision, active_users bigint, seats_licensed integer,
	tickets bigint[], billing bigint[], nps_promoters bigint, nps_passives bigint, nps_detractors bigint,
	weights double precision[], healthy_min double precision, at_risk_min double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
BEGIN
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'as_of must be a finite time, not %', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY EXECUTE $q$
	WITH s AS (
		SELECT e.tenant_id, e.active_window, e.feature_adoption_threshold,
			ARRAY[e.weight_usage_trend, e.weight_adoption, e.weight_support, e.weight_billing,
				e.weight_feedback] AS weights,
			e.health_healthy_min, e.health_at_risk_min, t.seats_licensed
		FROM adoption.effective_settings AS e
		JOIN adoption.tenants AS t ON t.tenant_id = e.tenant_id
		WHERE e.tenant_id = ANY ($1)
	),
	w AS (
		SELECT $2 - greatest(interval '60 days', max(s.active_window)) AS since FROM s
	),
	uc AS (
		/* Event counts only: an index-only scan of the partitions' keys. */
		SELECT x.tenant_id,
			count(*) FILTER (WHERE x.usage_timestamp > $2 - interval '30 days') AS recent,
			count(*) FILTER (WHERE x.usage_timestamp <= $2 - interval '30 days') AS previous
		FROM adoption.feature_usage_events AS x
		WHERE x.tenant_id = ANY ($1)
			AND x.usage_timestamp > $2 - interval '60 days' AND x.usage_timestamp <= $2
		GROUP BY x.tenant_id
	),
	st AS (
		/* The tenants' users seen by as_of, one row each. */
		SELECT v.tenant_id, v.user_id, v.last_seen_at
		FROM adoption.tenant_user_state AS v
		WHERE v.tenant_id = ANY ($1) AND v.first_seen_at <= $2
	),
	late AS (
		/* Tenants with a user seen after as_of (a backfill, or events ahead of now). */
		SELECT DISTINCT st.tenant_id FROM st WHERE st.last_seen_at > $2
	),
	lg AS (
		/* For those, each user's last event up to as_of within the window comes from the log. */
		SELECT x.tenant_id, x.user_id, max(x.usage_timestamp) AS last_seen_at
		FROM adoption.feature_usage_events AS x
		WHERE x.tenant_id IN (SELECT late.tenant_id FROM late)
			AND x.usage_timestamp > (SELECT w.since FROM w) AND x.usage_timestamp <= $2
		GROUP BY x.tenant_id, x.user_id
	),
	u AS (
		/*
		 * Last event up to as_of of each user: the state's last_seen_at
		 * when it is not after as_of (exact, however old), else the log's
		 * (NULL when older than the window: not active either way).
		 */
		SELECT st.tenant_id, st.user_id,
			CASE WHEN st.last_seen_at <= $2 THEN st.last_seen_at ELSE lg.last_seen_at END AS last_seen_at
		FROM st
		LEFT JOIN lg ON lg.tenant_id = st.tenant_id AND lg.user_id = st.user_id
	),
	act AS (
		/* The tenant's active users at as_of: an event of any feature in (as_of - active_window, as_of]. */
		SELECT u.tenant_id, u.user_id
		FROM u JOIN s ON s.tenant_id = u.tenant_id
		WHERE u.last_seen_at > $2 - s.active_window
	),
	ut AS (
		SELECT u.tenant_id, max(u.last_seen_at) AS last_event_at, bool_or(u.last_seen_at IS NULL) AS unsure
		FROM u
		GROUP BY u.tenant_id
	),
	au AS (
		SELECT act.tenant_id, count(*) AS active_users FROM act GROUP BY act.tenant_id
	),
	core AS (
		SELECT f.feature_id FROM adoption.features AS f
		WHERE f.tier = 'core' AND (f.launched_at IS NULL OR f.launched_at <= $2)
	),
	cf AS (
		/* Per tenant and core feature: its active users who adopted the feature by as_of. */
		SELECT act.tenant_id, f.feature_id, count(*) AS adopters
		FROM act
		JOIN adoption.user_feature_state AS f ON f.tenant_id = act.tenant_id AND f.user_id = act.user_id
		JOIN core ON core.feature_id = f.feature_id
		WHERE f.adopted_at <= $2
		GROUP BY act.tenant_id, f.feature_id
	),
	cfa AS (
		/* Every core feature, in feature_id order: the tenant's active users and the feature's adopters among them. */
		SELECT s.tenant_id, array_agg(core.feature_id ORDER BY core.feature_id) AS ids,
			array_agg(coalesce(au.active_users, 0) ORDER BY core.feature_id) AS active,
			array_agg(coalesce(cf.adopters, 0) ORDER BY core.feature_id) AS adopters
		FROM s
		CROSS JOIN core
		LEFT JOIN au ON au.tenant_id = s.tenant_id
		LEFT JOIN cf ON cf.tenant_id = s.tenant_id AND cf.feature_id = core.feature_id
		GROUP BY s.tenant_id
	),
	tk AS (
		SELECT k.tenant_id, ARRAY[count(*) FILTER (WHERE k.severity = 'low'),
			count(*) FILTER (WHERE k.severity = 'medium'),
			count(*) FILTER (WHERE k.severity = 'high'),
			count(*) FILTER (WHERE k.severity = 'urgent')] AS tickets
		FROM adoption.support_tickets AS k
		WHERE k.tenant_id = ANY ($1)
			AND k.opened_at > $2 - interval '30 days' AND k.opened_at <= $2
		GROUP BY k.tenant_id
	),
	bl AS (
		SELECT b.tenant_id, ARRAY[count(*) FILTER (WHERE b.kind = 'payment_failed'),
			count(*) FILTER (WHERE b.kind = 'invoice_overdue'),
			count(*) FILTER (WHERE b.kind = 'downgrade'),
			count(*) FILTER (WHERE b.kind = 'refund'),
			count(*) FILTER (WHERE b.kind = 'cancellation')] AS billing
		FROM adoption.billing_events AS b
		WHERE b.tenant_id = ANY ($1)
			AND b.occurred_at > $2 - interval '90 days' AND b.occurred_at <= $2
		GROUP BY b.tenant_id
	),
	np AS (
		SELECT fb.tenant_id, count(*) FILTER (WHERE fb.score >= 9) AS promoters,
			count(*) FILTER (WHERE fb.score BETWEEN 7 AND 8) AS passives,
			count(*) FILTER (WHERE fb.score <= 6) AS detractors
		FROM adoption.feedback AS fb
		WHERE fb.tenant_id = ANY ($1) AND fb.channel = 'nps' AND fb.score IS NOT NULL
			AND fb.created_at > $2 - interval '90 days' AND fb.created_at <= $2
		GROUP BY fb.tenant_id
	)
	SELECT s.tenant_id, coalesce(uc.recent, 0), coalesce(uc.previous, 0),
		CASE WHEN ut.unsure THEN (SELECT max(x.usage_timestamp) FROM adoption.feature_usage_events AS x
			WHERE x.tenant_id = s.tenant_id AND x.usage_timestamp <= $2) ELSE ut.last_event_at END,
		(SELECT count(*) FROM core)::integer,
		coalesce(cfa.ids, '{}'), coalesce(cfa.active, '{}'), coalesce(cfa.adopters, '{}'),
		s.feature_adoption_threshold, coalesce(au.active_users, 0), s.seats_licensed,
		coalesce(tk.tickets, '{0,0,0,0}'), coalesce(bl.billing, '{0,0,0,0,0}'),
		coalesce(np.promoters, 0), coalesce(np.passives, 0), coalesce(np.detractors, 0),
		s.weights, s.health_healthy_min, s.health_at_risk_min
	FROM s
	LEFT JOIN uc ON uc.tenant_id = s.tenant_id
	LEFT JOIN ut ON ut.tenant_id = s.tenant_id
	LEFT JOIN au ON au.tenant_id = s.tenant_id
	LEFT JOIN cfa ON cfa.tenant_id = s.tenant_id
	LEFT JOIN tk ON tk.tenant_id = s.tenant_id
	LEFT JOIN bl ON bl.tenant_id = s.tenant_id
	LEFT JOIN np ON np.tenant_id = s.tenant_id
	$q$ USING tenant_ids, as_of;
END
$$;
COMMENT ON FUNCTION adoption.health_inputs(text[], timestamptz) IS 'The counts behind each health component, per tenant, as of a time: events in the last 30 days and the 30 before, the tenant''s active users (an event of any feature within active_window), per core feature the active users who adopted it (core_adopters) over the tenant''s active users (core_active), tickets of the last 30 days by severity, billing events of the last 90 days by kind, NPS answers of the last 90 days, and the tenant''s settings';

/* Risk band of a score under the tenant's thresholds. */
CREATE FUNCTION adoption.risk_band(score double precision, healthy_min double precision DEFAULT 70,
	at_risk_min double precision DEFAULT 40)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN CASE WHEN score >= healthy_min THEN 'healthy' WHEN score >= at_risk_min THEN 'at_risk' ELSE 'critical' END;
COMMENT ON FUNCTION adoption.risk_band(double precision, double precision, double precision) IS 'healthy when score >= healthy_min, at_risk when >= at_risk_min, else critical';

CREATE TABLE adoption.health_scores (
	tenant_id text NOT NULL,
	scored_at timestamptz NOT NULL,
	score double precision NOT NULL CHECK (score BETWEEN 0 AND 100),
	risk text NOT NULL CHECK (risk IN ('healthy', 'at_risk', 'critical')),
	components jsonb NOT NULL,
	delta double precision,
	previous_risk text CHECK (previous_risk IN ('healthy', 'at_risk', 'critical')),
	last_event_at timestamptz,
	active_users integer NOT NULL DEFAULT 0,
	actions text[] NOT NULL DEFAULT '{}',
	live boolean NOT NULL DEFAULT false,
	computed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, scored_at)
);
COMMENT ON TABLE adoption.health_scores IS 'Health score history: one row per tenant and time it was scored as of (adoption.rescore())';
COMMENT ON COLUMN adoption.health_scores.scored_at IS 'The as_of of the scoring: only data with time <= scored_at counted';
COMMENT ON COLUMN adoption.health_scores.components IS 'Each component present, name -> 0-100 score';
COMMENT ON COLUMN adoption.health_scores.delta IS 'score minus the previous score of the tenant (NULL for its first)';
COMMENT ON COLUMN adoption.health_scores.previous_risk IS 'Risk band of the previous score (NULL for the first)';
COMMENT ON COLUMN adoption.health_scores.actions IS 'Tenant-level campaign templates this score enqueued (the evidence for the cooldown)';
COMMENT ON COLUMN adoption.health_scores.live IS 'Computed within a day of scored_at: only live scores act, and a band is entered relative to the previous live score (a backfill writes history, not campaigns)';
COMMENT ON COLUMN adoption.health_scores.computed_at IS 'When the score was computed';
SELECT pg_catalog.pg_extension_config_dump('adoption.health_scores', '');

/* The incremental rescoring's memory: data ingested at or after watermark is new to the next run. */
CREATE TABLE adoption.rescore_state (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	watermark timestamptz,
	last_started_at timestamptz,
	last_finished_at timestamptz,
	last_tenants integer
);
COMMENT ON TABLE adoption.rescore_state IS 'Bookkeeping of adoption.rescore(): rows ingested at or after watermark make their tenant due';
SELECT pg_catalog.pg_extension_config_dump('adoption.rescore_state', '');

/*
 * The scoring of adoption.rescore() (which validates its arguments and
 * takes the lock): scores the tenants rescore() describes (tenant_id, or
 * the incremental choice since old_watermark, or every tenant) as of
 * as_of, stores the scores and enqueues the actions.  It reads and writes
 * only the rows of the tenants it scores, so on a Citus cluster it runs
 * per shard group (adoption.citus_run()).  Returns the tenants scored.
 */
CREATE FUNCTION adoption.rescore_tenants(tenant_id text, as_of timestamptz, incremental boolean,
	old_watermark timestamptz)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	targets text[];
	scored integer;
	batch jsonb;
BEGIN
	IF rescore_tenants.tenant_id IS NOT NULL THEN
		targets := ARRAY[rescore_tenants.tenant_id];
	ELSIF NOT incremental THEN
		SELECT array_agg(t.tenant_id ORDER BY t.tenant_id) INTO targets FROM adoption.tenants AS t;
	ELSE
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
	/*
	 * A tenant's next score, when it was stored before this one (scores
	 * computed newest first, a backfill after live scores), now follows
	 * this one: its delta and previous_risk are made relative to it, so
	 * that they depend on the set of scores, not on the order they were
	 * computed in.  (Two sessions scoring neighbouring times of one tenant
	 * at once can still miss each other here; the views health_history and
	 * tenant_health derive both columns from the scores themselves.)
	 */
	UPDATE adoption.health_scores AS n SET delta = n.score - c.score, previous_risk = c.risk
	FROM adoption.health_scores AS c
	WHERE c.tenant_id = ANY (coalesce(targets, '{}')) AND c.scored_at = as_of
		AND n.tenant_id = c.tenant_id
		AND n.scored_at = (SELECT min(x.scored_at) FROM adoption.health_scores AS x
			WHERE x.tenant_id = c.tenant_id AND x.scored_at > as_of)
		AND (n.delta IS DISTINCT FROM n.score - c.score OR n.previous_risk IS DISTINCT FROM c.risk);

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
			/*
			 * Habitual use of a feature whose upgrade the tenant has not
			 * activated: once per upgrade, for its first habitual user.
			 */
			(SELECT DISTINCT ON (cur.tenant_id, f.upgrade_feature_id) cur.tenant_id, s.user_id,
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
			ORDER BY cur.tenant_id, f.upgrade_feature_id, s.habitual_at, s.user_id, f.feature_id)
			UNION ALL
			/*
			 * Feedback of the last 90 days asks for an advanced or premium
			 * feature the tenant never used: once per feature, for the
			 * first request.
			 */
			(SELECT DISTINCT ON (cur.tenant_id, c.feature_id) cur.tenant_id, b.user_id, c.feature_id, 'expansion_offer',
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
			ORDER BY cur.tenant_id, c.feature_id, b.created_at, b.feedback_id)
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

	RETURN scored;
END
$$;
COMMENT ON FUNCTION adoption.rescore_tenants(text, timestamptz, boolean, timestamptz) IS 'Internal to adoption.rescore(): scores the tenants it chose (tenant_id; else incremental since old_watermark, or all) as of as_of, stores the scores and enqueues their actions; returns the tenants scored';

/*
 * Scores tenants as of as_of and acts on what changed.
 *
 * Which tenants: the given one; else, when as_of is the current time, the
 * tenants with rows ingested since the previous run plus those whose
 * latest score is more than a day older than as_of (incremental); else
 * (as_of in the past: a backfill) every tenant.  A tenant without a single
 * event up to as_of has no health yet and is skipped.
 *
 * Actions come only from a score that is the tenant's newest and live (at
 * most a day old when computed): a backfill writes history, not campaigns;
 * a band is entered relative to the previous live score, so the first live
 * score after a backfill acts on the band it finds.
 *
 * This function takes the lock, the watermark and the bookkeeping; the
 * scoring is adoption.rescore_tenants(), which reads and writes only the
 * tenants' own rows.  On a Citus cluster it runs once per shard group, on
 * the worker that holds it (adoption.citus_run(), docs/citus.md), in
 * this transaction.
 */
CREATE FUNCTION adoption.rescore(tenant_id text DEFAULT NULL, as_of timestamptz DEFAULT pg_catalog.now())
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
	scored integer := 0;
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
	IF incremental THEN
		SELECT r.watermark INTO old_watermark FROM adoption.rescore_state AS r;
		/*
		 * ingested_at defaults to now(), the start of the inserting
		 * transaction: rows that transactions still running will commit
		 * carry at least the oldest start among them (bi.sql).
		 */
		new_watermark := adoption.ingest_watermark();
	END IF;

	IF NOT adoption.citus_distributed() THEN
		scored := adoption.rescore_tenants(rescore.tenant_id, as_of, incremental, old_watermark);
	ELSE
		/* On each shard group's worker, in this transaction (citus.sql). */
		scored := adoption.citus_run_sum(rescore.tenant_id, format('SELECT adoption.rescore_tenants(%L, %L, %L, %L) AS n',
			rescore.tenant_id, as_of, incremental, old_watermark));
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

/* The score of one tenant, one row per component; the contributions sum to the score. */
CREATE FUNCTION adoption.explain_health(tenant_id text, as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (component text, inputs jsonb, score double precision, weight double precision,
	effective_weight double precision, contribution double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM adoption.tenants AS t WHERE t.tenant_id = explain_health.tenant_id) THEN
		RAISE EXCEPTION 'unknown tenant "%"', coalesce(explain_health.tenant_id, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Tenants are the rows of adoption.tenants; events register them on first sight.';
	END IF;
	/* On a Citus coordinator: on the tenant's shard group, on its worker (citus.sql). */
	IF adoption.citus_distributed() THEN
		RETURN QUERY
		SELECT r OPERATOR(pg_catalog.->>) 'component', r OPERATOR(pg_catalog.->) 'inputs',
			(r OPERATOR(pg_catalog.->>) 'score')::double precision, (r OPERATOR(pg_catalog.->>) 'weight')::double precision,
			(r OPERATOR(pg_catalog.->>) 'effective_weight')::double precision,
			(r OPERATOR(pg_catalog.->>) 'contribution')::double precision
		FROM adoption.citus_run_at(ARRAY[explain_health.tenant_id],
			format('SELECT * FROM adoption.explain_health(%L, %L)', explain_health.tenant_id, as_of)) AS r;
		RETURN;
	END IF;
	RETURN QUERY
	SELECT v.component, v.inputs, v.score, v.weight, h.weights[v.ord],
		coalesce(v.score * h.weights[v.ord], 0)
	FROM adoption.health_inputs(ARRAY[explain_health.tenant_id], as_of) AS i,
	LATERAL adoption.health_compute(i.events_recent, i.events_previous, i.last_event_at IS NOT NULL,
		i.core_features, i.core_active, i.core_adopters, i.adoption_threshold, i.active_users,
		i.tickets, i.billing, i.nps_promoters, i.nps_passives, i.nps_detractors, i.weights) AS h,
	LATERAL (VALUES
		(1, 'usage_trend', jsonb_build_object('events_last_30_days', i.events_recent,
			'events_previous_30_days', i.events_previous, 'last_event_at', i.last_event_at),
			h.usage_trend, i.weights[1]),
		(2, 'adoption', jsonb_build_object('core_features', i.core_features,
			'adoption_threshold', i.adoption_threshold, 'active_users', i.active_users,
			'adopters', coalesce((SELECT jsonb_object_agg(z.feature_id, z.adopters)
				FROM unnest(i.core_feature_ids, i.core_adopters) AS z(feature_id, adopters)), '{}')),
			h.adoption, i.weights[2]),
		(3, 'support', jsonb_build_object('tickets_last_30_days', jsonb_build_object('low', i.tickets[1],
			'medium', i.tickets[2], 'high', i.tickets[3], 'urgent', i.tickets[4]),
			'weighted_tickets', i.tickets[1] + 2 * i.tickets[2] + 4 * i.tickets[3] + 8 * i.tickets[4],
			'active_users', i.active_users, 'scale', greatest(1, 0.2 * i.active_users)),
			h.support, i.weights[3]),
		(4, 'billing', jsonb_build_object('last_90_days', jsonb_build_object('payment_failed', i.billing[1],
			'invoice_overdue', i.billing[2], 'downgrade', i.billing[3], 'refund', i.billing[4],
			'cancellation', i.billing[5]),
			'penalty', 25 * i.billing[1] + 25 * i.billing[2] + 30 * i.billing[3] + 10 * i.billing[4] + 100 * i.billing[5]),
			h.billing, i.weights[4]),
		(5, 'feedback', jsonb_build_object('nps_last_90_days', jsonb_build_object('promoters', i.nps_promoters,
			'passives', i.nps_passives, 'detractors', i.nps_detractors),
			'nps', CASE WHEN i.nps_promoters + i.nps_passives + i.nps_detractors > 0 THEN
				round(100.0 * (i.nps_promoters - i.nps_detractors) / (i.nps_promoters + i.nps_passives + i.nps_detractors), 2) END),
			h.feedback, i.weights[5])
	) AS v(ord, component, inputs, score, weight)
	ORDER BY v.ord;
END
$$;
COMMENT ON FUNCTION adoption.explain_health(text, timestamptz) IS 'One row per health component of a tenant as of a time: its inputs (for adoption: the tenant''s active users and, per core feature, how many of them adopted it), 0-100 score (NULL when absent), configured and effective weight, and contribution; the contributions sum to the score';

CREATE VIEW adoption.tenant_health WITH (security_invoker = true) AS
SELECT t.tenant_id, t.name AS tenant_name, t.segment, t.plan, t.arr,
	h.scored_at, h.score, h.risk, p.risk AS previous_risk, h.score OPERATOR(pg_catalog.-) p.score AS delta,
	(h.components OPERATOR(pg_catalog.->>) 'usage_trend')::double precision AS usage_trend,
	(h.components OPERATOR(pg_catalog.->>) 'adoption')::double precision AS adoption,
	(h.components OPERATOR(pg_catalog.->>) 'support')::double precision AS support,
	(h.components OPERATOR(pg_catalog.->>) 'billing')::double precision AS billing,
	(h.components OPERATOR(pg_catalog.->>) 'feedback')::double precision AS feedback,
	h.components, h.last_event_at, h.active_users
FROM adoption.tenants AS t
JOIN LATERAL (SELECT s.* FROM adoption.health_scores AS s
	WHERE s.tenant_id OPERATOR(pg_catalog.=) t.tenant_id
	ORDER BY s.scored_at DESC LIMIT 1) AS h ON true
LEFT JOIN LATERAL (SELECT s.score, s.risk FROM adoption.health_scores AS s
	WHERE s.tenant_id OPERATOR(pg_catalog.=) t.tenant_id AND s.scored_at OPERATOR(pg_catalog.<) h.scored_at
	ORDER BY s.scored_at DESC LIMIT 1) AS p ON true;
COMMENT ON VIEW adoption.tenant_health IS 'The latest health score of each scored tenant';
COMMENT ON COLUMN adoption.tenant_health.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.tenant_health.tenant_name IS 'Tenant name (adoption.tenants.name)';
COMMENT ON COLUMN adoption.tenant_health.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.tenant_health.plan IS 'Tenant plan';
COMMENT ON COLUMN adoption.tenant_health.arr IS 'Annual recurring revenue of the tenant';
COMMENT ON COLUMN adoption.tenant_health.scored_at IS 'Time the score is as of';
COMMENT ON COLUMN adoption.tenant_health.score IS 'Health score 0-100: weighted mean of the present components';
COMMENT ON COLUMN adoption.tenant_health.risk IS 'healthy (score >= health_healthy_min), at_risk (>= health_at_risk_min) or critical';
COMMENT ON COLUMN adoption.tenant_health.previous_risk IS 'Risk band of the score before (the latest earlier scored_at; NULL for the first), whatever order the scores were computed in';
COMMENT ON COLUMN adoption.tenant_health.delta IS 'Change since the score before (the latest earlier scored_at)';
COMMENT ON COLUMN adoption.tenant_health.usage_trend IS 'Events of the last 30 days as a share of the 30 before, capped at 100';
COMMENT ON COLUMN adoption.tenant_health.adoption IS '100 x mean over the core features of min(1, rate / feature_adoption_threshold), rate = active users who adopted the feature / the tenant''s active users (an event of any feature within active_window before scored_at); a core feature no active user adopted counts 0';
COMMENT ON COLUMN adoption.tenant_health.support IS '100 exp(-w/s): w = tickets of 30 days weighted low 1, medium 2, high 4, urgent 8; s = max(1, 0.2 active users)';
COMMENT ON COLUMN adoption.tenant_health.billing IS '100 minus billing penalties of 90 days, floor 0';
COMMENT ON COLUMN adoption.tenant_health.feedback IS '(NPS of 90 days + 100) / 2; NULL without NPS answers';
COMMENT ON COLUMN adoption.tenant_health.components IS 'The present components as JSON, name -> score';
COMMENT ON COLUMN adoption.tenant_health.last_event_at IS 'Latest event time up to scored_at';
COMMENT ON COLUMN adoption.tenant_health.active_users IS 'Users with an event within active_window before scored_at';

CREATE VIEW adoption.health_history WITH (security_invoker = true) AS
SELECT h.tenant_id, t.name AS tenant_name, t.segment, h.scored_at, h.score, h.risk,
	pg_catalog.lag(h.risk) OVER w AS previous_risk,
	h.score OPERATOR(pg_catalog.-) pg_catalog.lag(h.score) OVER w AS delta,
	h.risk IS DISTINCT FROM pg_catalog.lag(h.risk) OVER w AS risk_changed, h.components, h.actions, h.live
FROM adoption.health_scores AS h
LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) h.tenant_id
WINDOW w AS (PARTITION BY h.tenant_id ORDER BY h.scored_at);
COMMENT ON VIEW adoption.health_history IS 'Every health score of every tenant, for trends and band changes';
COMMENT ON COLUMN adoption.health_history.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.health_history.tenant_name IS 'Tenant name';
COMMENT ON COLUMN adoption.health_history.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.health_history.scored_at IS 'Time the score is as of';
COMMENT ON COLUMN adoption.health_history.score IS 'Health score 0-100';
COMMENT ON COLUMN adoption.health_history.risk IS 'healthy, at_risk or critical';
COMMENT ON COLUMN adoption.health_history.previous_risk IS 'Risk band of the score before (the latest earlier scored_at; NULL for the first), whatever order the scores were computed in';
COMMENT ON COLUMN adoption.health_history.delta IS 'Change since the score before (the latest earlier scored_at)';
COMMENT ON COLUMN adoption.health_history.risk_changed IS 'True when this score entered a band (a first score enters its band)';
COMMENT ON COLUMN adoption.health_history.components IS 'The present components as JSON, name -> score';
COMMENT ON COLUMN adoption.health_history.actions IS 'Tenant-level campaign templates this score enqueued';
COMMENT ON COLUMN adoption.health_history.live IS 'Computed within a day of scored_at; only live scores enqueue actions (a backfill does not)';

/*
 * Seat utilization divides the tenant's active users as of now()
 * (adoption.active_users, as adoption.feature_adoption) by its seats.
 */
CREATE VIEW adoption.expansion_opportunities WITH (security_invoker = true) AS
WITH active AS (
	SELECT a.tenant_id, count(*) AS active_users FROM adoption.active_users AS a GROUP BY a.tenant_id
)
SELECT t.tenant_id, 'seat_utilization'::text AS opportunity, NULL::text AS feature_id,
	a.active_users::double precision / t.seats_licensed AS metric,
	jsonb_build_object('active_users', a.active_users, 'seats_licensed', t.seats_licensed,
		'threshold', e.seat_utilization_threshold) AS evidence,
	t.arr, t.segment
FROM adoption.tenants AS t
JOIN active AS a ON a.tenant_id OPERATOR(pg_catalog.=) t.tenant_id
JOIN adoption.effective_settings AS e ON e.tenant_id OPERATOR(pg_catalog.=) t.tenant_id
WHERE t.seats_licensed > 0 AND a.active_users >= e.seat_utilization_threshold * t.seats_licensed
UNION ALL
SELECT t.tenant_id, 'upgrade_path', f.upgrade_feature_id, count(*)::double precision,
	jsonb_build_object('feature_id', f.feature_id, 'habitual_users', count(*),
		'upgrade_tier', g.tier, 'upgrade_feature_name', g.feature_name),
	t.arr, t.segment
FROM adoption.user_feature_state AS s
JOIN adoption.features AS f ON f.feature_id OPERATOR(pg_catalog.=) s.feature_id
JOIN adoption.features AS g ON g.feature_id OPERATOR(pg_catalog.=) f.upgrade_feature_id
JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) s.tenant_id
WHERE s.habitual_at IS NOT NULL
	AND NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS u
		WHERE u.tenant_id OPERATOR(pg_catalog.=) s.tenant_id
			AND u.feature_id OPERATOR(pg_catalog.=) f.upgrade_feature_id
			AND u.activated_at IS NOT NULL)
GROUP BY t.tenant_id, f.feature_id, f.upgrade_feature_id, g.tier, g.feature_name, t.arr, t.segment
UNION ALL
SELECT t.tenant_id, 'feature_request', c.feature_id, count(*)::double precision,
	jsonb_build_object('requests', count(*), 'tier', c.tier, 'feature_name', c.feature_name,
		'last_requested_at', max(b.created_at)),
	t.arr, t.segment
FROM adoption.feedback AS b
CROSS JOIN LATERAL pg_catalog.unnest(b.feature_requests) AS q(request)
JOIN adoption.features AS c ON c.feature_id OPERATOR(pg_catalog.=) q.request AND c.tier <> 'core'
JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) b.tenant_id
WHERE b.created_at > pg_catalog.now() - interval '90 days'
	AND NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS u
		WHERE u.tenant_id OPERATOR(pg_catalog.=) b.tenant_id
			AND u.feature_id OPERATOR(pg_catalog.=) c.feature_id)
GROUP BY t.tenant_id, c.feature_id, c.tier, c.feature_name, t.arr, t.segment;
COMMENT ON VIEW adoption.expansion_opportunities IS 'Tenants with room to expand: seats nearly all in use, habitual use of a feature whose upgrade they have not activated, or feedback asking for an advanced or premium feature they do not use';
COMMENT ON COLUMN adoption.expansion_opportunities.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.expansion_opportunities.opportunity IS 'seat_utilization (active users / seats_licensed >= seat_utilization_threshold), upgrade_path (habitual use of a feature whose upgrade_feature_id the tenant has not activated) or feature_request (feedback of the last 90 days asks for an advanced or premium feature the tenant does not use)';
COMMENT ON COLUMN adoption.expansion_opportunities.feature_id IS 'The feature to offer (upgrade_path, feature_request); NULL for seats';
COMMENT ON COLUMN adoption.expansion_opportunities.metric IS 'Seat utilization (the tenant''s active users, with an event of any feature within active_window before now, / seats), the number of habitual users of the feature below the upgrade, or the number of requests';
COMMENT ON COLUMN adoption.expansion_opportunities.evidence IS 'The numbers behind the opportunity, as JSON';
COMMENT ON COLUMN adoption.expansion_opportunities.arr IS 'Annual recurring revenue of the tenant';
COMMENT ON COLUMN adoption.expansion_opportunities.segment IS 'Tenant segment';

/*
 * Retention: drops the monthly partitions whose whole month is older than
 * event_retention (the longest of the defaults row and the per-tenant
 * overrides: a partition holds every tenant's events), and deletes such
 * rows waiting in the default partition.  Adoption state and milestones are
 * kept; rebuild() afterwards replays only the events that are left.
 */
CREATE FUNCTION adoption.apply_retention()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	keep interval;
	cutoff timestamptz;
	part record;
	dropped integer := 0;
BEGIN
	SELECT CASE WHEN bool_and(s.event_retention IS NOT NULL) FILTER (WHERE s.tenant_id IS NULL)
		THEN max(s.event_retention) END
	INTO keep FROM adoption.settings AS s
	WHERE s.tenant_id IS NULL OR s.event_retention IS NOT NULL;
	IF keep IS NULL THEN
		RETURN 0;
	END IF;
	cutoff := now() - keep;
	PERFORM pg_advisory_xact_lock('adoption.feature_usage_events'::regclass::oid::bigint);
	FOR part IN
		SELECT c.relname, to_timestamp(substr(c.relname, 23), 'YYYYMM') AS month
		FROM pg_inherits AS i
		JOIN pg_class AS c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'adoption.feature_usage_events'::regclass
			AND c.relname ~ '^feature_usage_events_p[0-9]{6}$'
		ORDER BY 1
	LOOP
		CONTINUE WHEN part.month + interval '1 month' > cutoff;
		EXECUTE format('DROP TABLE adoption.%I', part.relname);
		dropped := dropped + 1;
	END LOOP;
	DELETE FROM adoption.feature_usage_events_default AS d WHERE d.usage_timestamp < cutoff;
	RETURN dropped;
END
$$;
COMMENT ON FUNCTION adoption.apply_retention() IS 'Drops event-log partitions entirely older than event_retention (the longest configured; NULL in the defaults row keeps everything); returns how many it dropped';

/* Name of this database's pg_cron job. */
CREATE FUNCTION adoption.rescoring_job_name()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN 'pg_adoption_rescore_' || current_database();
COMMENT ON FUNCTION adoption.rescoring_job_name() IS 'Name of the pg_cron job that adoption.schedule_rescoring() manages in this database';

/*
 * What the pg_cron job runs: partitions ahead, retention, rescoring, the
 * daily adoption snapshots (bi.sql), the truncation of the action queue's
 * drained slots (actions.sql: in the job's own transaction), and
 * trimming of its own pg_cron run records older than a week (pg_cron keeps
 * them forever) when pg_cron lives in this database and allows it.
 */
CREATE FUNCTION adoption.upkeep()
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	created integer;
	dropped integer;
	scored integer;
	snapshot_days integer;
	trimmed bigint := 0;
	slots_truncated integer;
BEGIN
	created := adoption.ensure_partitions(3);
	dropped := adoption.apply_retention();
	scored := adoption.rescore();
	snapshot_days := adoption.snapshot_adoption();
	slots_truncated := adoption.truncate_drained_actions();
	IF to_regclass('cron.job_run_details') IS NOT NULL AND to_regclass('cron.job') IS NOT NULL THEN
		BEGIN
			EXECUTE 'DELETE FROM cron.job_run_details AS d USING cron.job AS j
				WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid AND j.jobname OPERATOR(pg_catalog.=) $1
					AND j.database OPERATOR(pg_catalog.=) $2 AND d.end_time OPERATOR(pg_catalog.<) $3'
				USING adoption.rescoring_job_name(), current_database(), now() - interval '7 days';
			GET DIAGNOSTICS trimmed = ROW_COUNT;
		EXCEPTION WHEN insufficient_privilege THEN
			trimmed := 0;
		END;
	END IF;
	RETURN jsonb_build_object('partitions_created', created, 'partitions_dropped', dropped,
		'tenants_rescored', scored, 'snapshot_days', snapshot_days, 'cron_runs_trimmed', trimmed,
		'queue_slots_truncated', slots_truncated);
END
$$;
COMMENT ON FUNCTION adoption.upkeep() IS 'The scheduled job: ensure_partitions(3), apply_retention(), rescore(), snapshot_adoption() (daily adoption snapshots), truncate_drained_actions() (the action queue''s drained slots), and trimming of its pg_cron run records older than 7 days; returns what it did as JSON';

/* Raises the error that explains how to get pg_cron, or returns when it is usable here. */
CREATE FUNCTION adoption.require_pg_cron(call text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cron_db text := current_setting('cron.database_name', true);
BEGIN
	IF EXISTS (SELECT 1 FROM pg_extension AS x WHERE x.extname = 'pg_cron') THEN
		RETURN;
	END IF;
	IF cron_db IS NULL OR cron_db = '' THEN
		RAISE EXCEPTION 'pg_cron is not loaded' USING ERRCODE = 'object_not_in_prerequisite_state',
			HINT = format('Add pg_cron to shared_preload_libraries, set cron.database_name = %L, restart the server and run CREATE EXTENSION pg_cron there; or run SELECT adoption.upkeep() from another scheduler.',
				current_database());
	ELSIF cron_db <> current_database() THEN
		RAISE EXCEPTION 'pg_cron runs in database "%", not in "%"', cron_db, current_database()
			USING ERRCODE = 'object_not_in_prerequisite_state',
			HINT = format('Connect to database %s (CREATE EXTENSION pg_cron there if needed) and run: %s', cron_db, call);
	ELSE
		RAISE EXCEPTION 'extension pg_cron is not installed in database "%"', cron_db
			USING ERRCODE = 'object_not_in_prerequisite_state',
			HINT = 'Run CREATE EXTENSION pg_cron; and call this function again.';
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.require_pg_cron(text) IS 'Internal: errors out with a hint (call: the statement to run in pg_cron''s database) unless pg_cron is installed in this database';

CREATE FUNCTION adoption.schedule_rescoring(schedule text DEFAULT '*/15 * * * *')
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	job_name text := adoption.rescoring_job_name();
	command text := 'SELECT adoption.upkeep()';
	job bigint;
BEGIN
	IF schedule IS NULL OR btrim(schedule) = '' THEN
		RAISE EXCEPTION 'schedule must not be empty' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Pass a cron schedule in GMT, e.g. ''*/15 * * * *'' (every 15 minutes).';
	END IF;
	PERFORM adoption.require_pg_cron(format('SELECT cron.schedule_in_database(%L, %L, %L, %L);',
		job_name, schedule, command, current_database()));
	IF EXISTS (SELECT 1 FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
		WHERE n.nspname = 'cron' AND p.proname = 'schedule_in_database') THEN
		EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, $4)' INTO job
			USING job_name, schedule, command, current_database();
	ELSE
		EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job USING job_name, schedule, command;
	END IF;
	RETURN job;
END
$$;
COMMENT ON FUNCTION adoption.schedule_rescoring(text) IS 'Creates or replaces the pg_cron job (schedule in GMT) that runs adoption.upkeep() in this database; returns its job id';

CREATE FUNCTION adoption.unschedule_rescoring()
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	job bigint;
BEGIN
	PERFORM adoption.require_pg_cron(format('SELECT cron.unschedule(%L);', adoption.rescoring_job_name()));
	EXECUTE 'SELECT j.jobid FROM cron.job AS j WHERE j.jobname OPERATOR(pg_catalog.=) $1
		AND j.username OPERATOR(pg_catalog.=) current_user'
		INTO job USING adoption.rescoring_job_name();
	IF job IS NULL THEN
		RETURN false;
	END IF;
	EXECUTE 'SELECT cron.unschedule($1)' USING job;
	RETURN true;
END
$$;
COMMENT ON FUNCTION adoption.unschedule_rescoring() IS 'Removes the pg_cron job of adoption.schedule_rescoring(); returns false if there was none';
