/*
 * effectiveness.sql: does an intervention work?  (docs/customer-success.md)
 *
 * For each play that aims at an outcome, a treated unit is a done action
 * (its moment: completed_at); a baseline unit is a moment at which the
 * same subject was eligible for the play, but got no action of that
 * template created within `window` before or after it.  For both, the
 * outcome is looked for in (moment, moment + window]:
 *
 *   template                subject            eligible moment                 outcome
 *   retention_intervention  tenant             a live score in at_risk         a later score healthy
 *   escalate_to_cs          tenant             a live score in critical        a later score at_risk or healthy
 *   win_back                tenant             a live score while dormant      an event
 *   adoption_nudge          user x feature     activated_at + nudge_after,     the user adopts the feature
 *                                              not adopted by then
 *   advanced_feature        tenant x upgrade   a user habitual on a feature    a user of the tenant
 *                           feature            whose upgrade the tenant had    activates the upgrade feature
 *                                              not activated
 *   expansion_offer         tenant             a live score with seat          a billing upgrade event
 *                                              utilization >= threshold
 *
 * A baseline subject counts once per month (its first eligible moment in
 * the month).  Only units whose window ended by as_of count.  Rates come
 * with a 95 % Wilson score interval, so that a handful of actions is not
 * read as success.
 */

/*
 * The 95 % Wilson score interval of x successes in n trials: {low, high};
 * NULL for n = 0.  z is the 97.5 % normal quantile (as R's qnorm(0.975) and
 * statsmodels use; 1.96 rounded would move the 5th decimal).  A count out
 * of range is refused rather than answered with NULL, which would read as
 * "no data".
 */
CREATE FUNCTION adoption.wilson_interval(x bigint, n bigint, z double precision DEFAULT 1.959963984540054)
RETURNS double precision[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p double precision := x::double precision / nullif(n, 0);
BEGIN
	IF n < 0 OR x < 0 OR x > n THEN
		RAISE EXCEPTION 'invalid Wilson interval: % successes of % trials', x, n
			USING ERRCODE = 'invalid_parameter_value', HINT = 'x must be between 0 and n, n at least 0.';
	END IF;
	IF NOT (z > 0 AND z < 'Infinity') THEN
		RAISE EXCEPTION 'invalid Wilson interval: z must be a positive finite number, not %', z
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF n = 0 THEN
		RETURN NULL;
	END IF;
	RETURN ARRAY[(p + z * z / (2 * n) - z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n),
		(p + z * z / (2 * n) + z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)];
END
$$;
COMMENT ON FUNCTION adoption.wilson_interval(bigint, bigint, double precision) IS 'Wilson score interval {low, high} of the rate x / n (z = 1.959964, the 97.5 % normal quantile: 95 %); NULL when n = 0; x outside 0..n refused (22023)';

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
		 * baseline moments, keyed like their subjects: the user for
		 * adoption_nudge ('' for the others, whose subject is the tenant:
		 * an advanced_feature action names its habitual user, a manual
		 * intervention may name one, and both are still about the tenant)
		 * and, for the plays about a feature, the feature.
		 */
		SELECT a.template_key AS tpl, a.tenant_id AS t,
			CASE WHEN a.template_key = 'adoption_nudge' THEN coalesce(a.user_id, '') ELSE '' END AS ku,
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
		/*
		 * Eligible moments without an action of the template for the
		 * subject created within the window before or after (bounds
		 * included); the first per subject and month.
		 */
		SELECT DISTINCT ON (e.tpl, e.t, e.u, e.f, date_trunc('month', e.m)) e.tpl, e.t, e.u, e.f, e.m
		FROM eligible AS e, w
		WHERE e.m + w.len <= w.t
			AND NOT EXISTS (SELECT 1 FROM created AS c
				WHERE c.tpl = e.tpl AND c.t = e.t AND c.ku = coalesce(e.u, '')
					AND c.kf = CASE WHEN e.tpl IN ('adoption_nudge', 'advanced_feature') THEN coalesce(e.f, '') ELSE '' END
					AND c.created_at >= e.m - w.len AND c.created_at <= e.m + w.len)
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
