/*
 * launches.sql: launches, campaign attribution and lift, and the queue
 * dashboard (docs/design.md §7 and §8).
 *
 *   coordinate_launch()   enqueues launch_announcement for the active
 *                         tenants that do not use the launched feature yet;
 *   launch_performance    per launch: activations at 7/30/90 days, adoption
 *                         rate at target_days of the active tenants and of
 *                         the active users (any feature), median time to
 *                         activation;
 *   attribution()         credits each user adoption to the campaign touches
 *                         before it, under five models;
 *   campaign_attribution  attribution() under last_touch and 30 days;
 *   campaign_lift()       adoption rate of touched vs untouched users, per
 *                         campaign and feature;
 *   action_queue          the queue by template and status: counts, due,
 *                         ages.
 *
 * A touch is a row of adoption.campaign_touches (user_id NULL: every user of
 * the tenant is touched) or an event whose integration_context names a
 * campaign_influence (a touch of that campaign, for that user, at the
 * event's time).  Everything here is plain SQL over the state and the log:
 * each query is one pass with window functions, no per-row loop, so no C.
 *
 * Spans of days are 24-hour spans (and the functions run with TimeZone UTC),
 * so a figure does not depend on the reader's time zone.
 */

/*
 * Enqueues launch_announcement (one per tenant and launch, dedupe key
 * ["launch_announcement", launch_id]) for the tenants that are active
 * around the launch (a use of any feature less than their active_window
 * before launched_at, or since) and that have no user of the launched
 * feature yet.  Tenants never seen or dormant since before the window are
 * left to win_back.  An announcement of a launch still ahead waits in the
 * queue until launched_at.  Returns how many it enqueued.
 */
CREATE FUNCTION adoption.coordinate_launch(launch_id text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	l adoption.launches;
	batch jsonb;
	ids bigint[];
BEGIN
	IF launch_id IS NULL OR btrim(launch_id) = '' THEN
		RAISE EXCEPTION 'launch_id must not be empty' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Pass the launch_id of a row of adoption.launches.';
	END IF;
	SELECT x.* INTO l FROM adoption.launches AS x WHERE x.launch_id = coordinate_launch.launch_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'launch "%" does not exist', launch_id USING ERRCODE = 'no_data_found',
			HINT = 'Insert the launch into adoption.launches (launch_id, feature_id, launched_at) first.';
	END IF;
	/* On a Citus coordinator: on each shard group, on its worker (citus.sql). */
	IF adoption.citus_distributed() THEN
		RETURN adoption.citus_run_sum(NULL, format('SELECT adoption.coordinate_launch(%L) AS n', launch_id));
	END IF;

	SELECT jsonb_agg(jsonb_build_object('tenant_id', e.tenant_id, 'template_key', 'launch_announcement',
			'feature_id', l.feature_id,
			'dedupe_key', jsonb_build_array('launch_announcement', l.launch_id)::text,
			'reason', jsonb_build_object('launch_id', l.launch_id, 'feature_id', l.feature_id,
				'launched_at', l.launched_at, 'campaign_id', l.campaign_id,
				'active_window', e.active_window::text))
		ORDER BY e.tenant_id)
	INTO batch
	FROM adoption.effective_settings AS e
	WHERE EXISTS (SELECT 1 FROM adoption.user_feature_state AS s
			WHERE s.tenant_id = e.tenant_id AND s.last_used_at > l.launched_at - e.active_window)
		AND NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS u
			WHERE u.tenant_id = e.tenant_id AND u.feature_id = l.feature_id);
	IF batch IS NULL THEN
		RETURN 0;
	END IF;

	SELECT array_agg(b.action_id) INTO ids FROM adoption.enqueue_batch(batch) AS b;
	IF ids IS NULL THEN
		RETURN 0;
	END IF;
	IF l.launched_at > now() THEN
		UPDATE adoption.campaign_action_queue AS q SET available_at = l.launched_at
		WHERE q.action_id = ANY (ids) AND q.template_key = 'launch_announcement';
	END IF;
	RETURN cardinality(ids);
END
$$;
COMMENT ON FUNCTION adoption.coordinate_launch(text) IS 'Enqueues launch_announcement, once per tenant and launch, for the tenants active within their active_window before launched_at (or since) that have no user of the launched feature; returns how many it enqueued';

/*
 * The users (of every tenant) with an event of any feature in [from_time,
 * to_time), read from the state where it decides, from the log where it
 * does not: a user whose first and last events (tenant_user_state) are
 * both outside on the same side is not; one with either inside is; one
 * whose events span the interval is when one of its per-feature times that
 * are event times (first and last use, adoption, habit) lies inside, and
 * otherwise when the log holds one of its events inside (a probe of the
 * tenant's events of the interval along the primary key that stops at the
 * first one: a scalar subquery with LIMIT 1 is planned as plain index
 * scans, where EXISTS built a bitmap of all of them first; on the demo
 * about 340 of 15,000 user x launch pairs need it).  The same set as
 * the DISTINCT (tenant_id, user_id) of the events in the interval, without
 * reading them all.  Inlined into launch_performance (no SET clause; the
 * body is parsed when it is created).
 */
CREATE FUNCTION adoption.users_active_between(from_time timestamptz, to_time timestamptz)
RETURNS TABLE (tenant_id text, user_id text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT u.tenant_id, u.user_id
	FROM adoption.tenant_user_state AS u
	WHERE u.first_seen_at < to_time AND u.last_seen_at >= from_time
		AND (u.first_seen_at >= from_time OR u.last_seen_at < to_time
			OR EXISTS (SELECT 1 FROM adoption.user_feature_state AS s
				WHERE s.tenant_id = u.tenant_id AND s.user_id = u.user_id
					AND ((s.first_used_at >= from_time AND s.first_used_at < to_time)
						OR (s.last_used_at >= from_time AND s.last_used_at < to_time)
						OR (s.adopted_at >= from_time AND s.adopted_at < to_time)
						OR (s.habitual_at >= from_time AND s.habitual_at < to_time)))
			OR (SELECT 1 FROM adoption.feature_usage_events AS e
				WHERE e.tenant_id = u.tenant_id AND e.usage_timestamp >= from_time
					AND e.usage_timestamp < to_time AND e.user_id = u.user_id
				LIMIT 1) IS NOT NULL);
END;
COMMENT ON FUNCTION adoption.users_active_between(timestamptz, timestamptz) IS 'Internal to launch_performance: the users (tenant_id, user_id) with an event of any feature in [from_time, to_time)';

/*
 * The launched features' users are read once for all launches (the state
 * has no index on feature_id); per launch, the users active in the target
 * window come from users_active_between() and whether they adopted from a
 * hash of the launch's adopters.
 */
CREATE VIEW adoption.launch_performance WITH (security_invoker = true) AS
WITH launch_users AS MATERIALIZED (
	SELECT l.launch_id, s.tenant_id, s.user_id, s.activated_at,
		s.adopted_at < l.launched_at + l.target_days * interval '24 hours' AS adopted_by_target
	FROM adoption.launches AS l
	JOIN adoption.user_feature_state AS s ON s.feature_id OPERATOR(pg_catalog.=) l.feature_id
)
SELECT l.launch_id, l.feature_id, f.feature_name, l.campaign_id, l.launched_at,
	l.target_adoption, l.target_days,
	l.launched_at + l.target_days * interval '24 hours' AS target_at,
	u.users_activated_7d, u.users_activated_30d, u.users_activated_90d,
	tn.tenants_activated_7d, tn.tenants_activated_30d, tn.tenants_activated_90d,
	a.tenants_active, a.tenants_adopted,
	a.tenants_adopted::double precision / NULLIF(a.tenants_active, 0) AS adoption_rate,
	u.median_time_to_activation,
	CASE WHEN pg_catalog.now() < l.launched_at + l.target_days * interval '24 hours' THEN NULL
		ELSE a.tenants_active > 0
			AND a.tenants_adopted::numeric >= l.target_adoption::numeric * a.tenants_active
	END AS target_met,
	a.users_active, a.users_adopted,
	a.users_adopted::double precision / NULLIF(a.users_active, 0) AS user_adoption_rate,
	pg_catalog.date_part('epoch', u.median_time_to_activation) OPERATOR(pg_catalog./) 86400 AS median_days_to_activation
FROM adoption.launches AS l
LEFT JOIN adoption.features AS f ON f.feature_id OPERATOR(pg_catalog.=) l.feature_id
CROSS JOIN LATERAL (
	SELECT count(*) FILTER (WHERE s.activated_at >= l.launched_at
			AND s.activated_at < l.launched_at + interval '168 hours') AS users_activated_7d,
		count(*) FILTER (WHERE s.activated_at >= l.launched_at
			AND s.activated_at < l.launched_at + interval '720 hours') AS users_activated_30d,
		count(*) FILTER (WHERE s.activated_at >= l.launched_at
			AND s.activated_at < l.launched_at + interval '2160 hours') AS users_activated_90d,
		pg_catalog.percentile_cont(0.5) WITHIN GROUP (ORDER BY s.activated_at - l.launched_at)
			FILTER (WHERE s.activated_at >= l.launched_at) AS median_time_to_activation
	FROM launch_users AS s
	WHERE s.launch_id OPERATOR(pg_catalog.=) l.launch_id
) AS u
CROSS JOIN LATERAL (
	SELECT count(*) FILTER (WHERE t.first_activated_at >= l.launched_at
			AND t.first_activated_at < l.launched_at + interval '168 hours') AS tenants_activated_7d,
		count(*) FILTER (WHERE t.first_activated_at >= l.launched_at
			AND t.first_activated_at < l.launched_at + interval '720 hours') AS tenants_activated_30d,
		count(*) FILTER (WHERE t.first_activated_at >= l.launched_at
			AND t.first_activated_at < l.launched_at + interval '2160 hours') AS tenants_activated_90d
	FROM (SELECT s.tenant_id, min(s.activated_at) AS first_activated_at
		FROM launch_users AS s
		WHERE s.launch_id OPERATOR(pg_catalog.=) l.launch_id
		GROUP BY s.tenant_id) AS t
) AS tn
CROSS JOIN LATERAL (
	/* The users active in the target window (any feature), per tenant, and which of them adopted. */
	SELECT count(*) AS tenants_active,
		count(*) FILTER (WHERE EXISTS (SELECT 1 FROM adoption.user_feature_state AS s
			WHERE s.tenant_id OPERATOR(pg_catalog.=) w.tenant_id
				AND s.feature_id OPERATOR(pg_catalog.=) l.feature_id
				AND s.adopted_at < l.launched_at + l.target_days * interval '24 hours')) AS tenants_adopted,
		coalesce(sum(w.users), 0)::bigint AS users_active,
		coalesce(sum(w.adopters), 0)::bigint AS users_adopted
	FROM (SELECT x.tenant_id, count(*) AS users,
			count(*) FILTER (WHERE (x.tenant_id, x.user_id) IN (SELECT s.tenant_id, s.user_id FROM launch_users AS s
				WHERE s.launch_id OPERATOR(pg_catalog.=) l.launch_id AND s.adopted_by_target)) AS adopters
		FROM adoption.users_active_between(l.launched_at,
			l.launched_at + l.target_days * interval '24 hours') AS x
		GROUP BY x.tenant_id) AS w
) AS a;
COMMENT ON VIEW adoption.launch_performance IS 'Per launch: users and tenants that first used the feature within 7, 30 and 90 days of launched_at, the adoption rate at target_days of the tenants (against target_adoption) and of the users active in the target window (any feature), and the median time to activation';
COMMENT ON COLUMN adoption.launch_performance.launch_id IS 'Launch';
COMMENT ON COLUMN adoption.launch_performance.feature_id IS 'Launched feature';
COMMENT ON COLUMN adoption.launch_performance.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.launch_performance.campaign_id IS 'Campaign of the launch';
COMMENT ON COLUMN adoption.launch_performance.launched_at IS 'Launch time';
COMMENT ON COLUMN adoption.launch_performance.target_adoption IS 'Target share of active tenants that adopted the feature by target_at';
COMMENT ON COLUMN adoption.launch_performance.target_days IS 'Days after launched_at by which the target should be met';
COMMENT ON COLUMN adoption.launch_performance.target_at IS 'launched_at + target_days x 24 hours: the end of the target window';
COMMENT ON COLUMN adoption.launch_performance.users_activated_7d IS 'Users whose first use of the feature (activated_at) is in [launched_at, launched_at + 7 days); earlier (beta) users are not counted; so far while the span runs';
COMMENT ON COLUMN adoption.launch_performance.users_activated_30d IS 'Users whose first use of the feature is in [launched_at, launched_at + 30 days)';
COMMENT ON COLUMN adoption.launch_performance.users_activated_90d IS 'Users whose first use of the feature is in [launched_at, launched_at + 90 days)';
COMMENT ON COLUMN adoption.launch_performance.tenants_activated_7d IS 'Tenants whose first user of the feature activated in [launched_at, launched_at + 7 days); tenants that used it before the launch are not counted';
COMMENT ON COLUMN adoption.launch_performance.tenants_activated_30d IS 'Tenants whose first user of the feature activated in [launched_at, launched_at + 30 days)';
COMMENT ON COLUMN adoption.launch_performance.tenants_activated_90d IS 'Tenants whose first user of the feature activated in [launched_at, launched_at + 90 days)';
COMMENT ON COLUMN adoption.launch_performance.tenants_active IS 'Tenants with an event (any feature) in [launched_at, target_at): the denominator of adoption_rate';
COMMENT ON COLUMN adoption.launch_performance.tenants_adopted IS 'Of tenants_active, those with a user who adopted the feature (adopted_at, aha_successes successful uses) before target_at, before the launch included';
COMMENT ON COLUMN adoption.launch_performance.adoption_rate IS 'tenants_adopted / tenants_active (NULL without active tenants); so far while target_at is ahead';
COMMENT ON COLUMN adoption.launch_performance.median_time_to_activation IS 'Median of activated_at - launched_at over the users activated at or after launched_at';
COMMENT ON COLUMN adoption.launch_performance.median_days_to_activation IS 'median_time_to_activation as a number of days (for BI tools that cannot chart an interval)';
COMMENT ON COLUMN adoption.launch_performance.target_met IS 'adoption_rate >= target_adoption (false without active tenants); NULL until target_at has passed';
COMMENT ON COLUMN adoption.launch_performance.users_active IS 'Users (of every tenant) with an event of any feature in [launched_at, target_at): the denominator of user_adoption_rate, not only the feature''s users';
COMMENT ON COLUMN adoption.launch_performance.users_adopted IS 'Of users_active, those who adopted the feature (adopted_at) before target_at, before the launch included (not the adopters of campaign_lift or feature_retention: see docs/design.md, section 7)';
COMMENT ON COLUMN adoption.launch_performance.user_adoption_rate IS 'users_adopted / users_active (NULL without active users); so far while target_at is ahead';

/*
 * The credit of the pos-th of n touches (in time order) under model; w is
 * its time_decay weight and w_sum the sum of the weights of the n touches.
 * Shared by attribution() and revenue_attribution().  No SET search_path,
 * unlike the other functions: a SET clause keeps the planner from inlining
 * it, and called once per candidate touch it tripled attribution()'s time;
 * its body (RETURN) is parsed when it is created, so the caller's
 * search_path cannot change what it calls.
 */
CREATE FUNCTION adoption.touch_credit(model text, pos bigint, n bigint, w double precision, w_sum double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
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

/*
 * The candidate touches of each user adoption (user_feature_state.
 * adopted_at): the campaign_touches rows of its user or of its tenant
 * (user_id NULL) and its user's events naming a campaign_influence, at or
 * before adopted_at and no earlier than adopted_at - lookback; src 0 for a
 * campaign_touches row (touch_id), 1 for an event (event_id).  An inlined
 * SQL function (no SET clause; the body is parsed when it is created) so
 * that attribution() plans it with its own query.  The user's touches and
 * the tenant-wide ones are two hash joins (one join with an OR of both
 * became 32,000 index scans); the events naming a campaign come from the
 * partial index of every partition on integration_context ?
 * 'campaign_influence' (about 1 % of the demo's events) instead of a scan of
 * the log.
 */
CREATE FUNCTION adoption.attribution_touches(lookback interval)
RETURNS TABLE (tenant_id text, user_id text, feature_id text, adopted_at timestamptz,
	campaign_id text, touched_at timestamptz, src integer, touch_id bigint, event_id uuid)
LANGUAGE sql STABLE
BEGIN ATOMIC
	WITH a AS MATERIALIZED (
		SELECT s.tenant_id, s.user_id, s.feature_id, s.adopted_at
		FROM adoption.user_feature_state AS s
		WHERE s.adopted_at IS NOT NULL
	)
	SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at, c.campaign_id, c.touched_at,
		0, c.touch_id, NULL::uuid
	FROM a
	JOIN adoption.campaign_touches AS c ON c.tenant_id = a.tenant_id AND c.user_id = a.user_id
	WHERE c.touched_at <= a.adopted_at AND c.touched_at >= a.adopted_at - lookback
	UNION ALL
	SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at, c.campaign_id, c.touched_at,
		0, c.touch_id, NULL::uuid
	FROM a
	JOIN adoption.campaign_touches AS c ON c.tenant_id = a.tenant_id AND c.user_id IS NULL
	WHERE c.touched_at <= a.adopted_at AND c.touched_at >= a.adopted_at - lookback
	UNION ALL
	SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at,
		e.integration_context ->> 'campaign_influence', e.usage_timestamp, 1, NULL::bigint, e.event_id
	FROM a
	JOIN adoption.feature_usage_events AS e ON e.tenant_id = a.tenant_id AND e.user_id = a.user_id
	WHERE e.usage_timestamp <= a.adopted_at AND e.usage_timestamp >= a.adopted_at - lookback
		AND e.integration_context ? 'campaign_influence'
		AND (e.integration_context ->> 'campaign_influence') <> '';
END;
COMMENT ON FUNCTION adoption.attribution_touches(interval) IS 'Internal to attribution(): each user adoption with the campaign touches of its user or tenant (campaign_touches rows, events naming a campaign_influence) within lookback before adopted_at';

/*
 * Credits each user adoption (user_feature_state.adopted_at) to the touches
 * of its user, or of its tenant, at or before adopted_at and no earlier
 * than adopted_at - lookback.  Touches are ordered by touched_at, then
 * campaign_id (C collation), then campaign_touches rows before events,
 * then touch_id or event_id: first_touch credits the first, last_touch the
 * last of that order.  Returns one row per credited touch; the credits of
 * one adoption sum to 1.
 */
CREATE FUNCTION adoption.attribution(model text DEFAULT 'last_touch', lookback interval DEFAULT '30 days')
RETURNS TABLE (tenant_id text, user_id text, feature_id text, adopted_at timestamptz,
	campaign_id text, touched_at timestamptz, credit double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
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
	/*
	 * last_touch (campaign_attribution's model) is the last candidate of
	 * each adoption in the order below: one sort, no window functions.
	 */
	IF model = 'last_touch' THEN
		RETURN QUERY
		SELECT DISTINCT ON (t.tenant_id COLLATE "C", t.user_id COLLATE "C", t.feature_id COLLATE "C")
			t.tenant_id, t.user_id, t.feature_id, t.adopted_at, t.campaign_id, t.touched_at, 1.0::double precision
		FROM adoption.attribution_touches(lookback) AS t
		ORDER BY t.tenant_id COLLATE "C", t.user_id COLLATE "C", t.feature_id COLLATE "C",
			t.touched_at DESC, t.campaign_id COLLATE "C" DESC, t.src DESC, t.touch_id DESC, t.event_id DESC;
		RETURN;
	END IF;
	RETURN QUERY
	WITH t AS (
		SELECT * FROM adoption.attribution_touches(lookback)
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

CREATE VIEW adoption.campaign_attribution WITH (security_invoker = true) AS
SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at, a.campaign_id, a.touched_at, a.credit
FROM adoption.attribution('last_touch', interval '30 days') AS a;
COMMENT ON VIEW adoption.campaign_attribution IS 'Each user adoption credited to the last campaign touch of the user or its tenant within 30 days before it (adoption.attribution(''last_touch'', ''30 days'')); adoptions without a touch are absent';
COMMENT ON COLUMN adoption.campaign_attribution.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.campaign_attribution.user_id IS 'User who adopted';
COMMENT ON COLUMN adoption.campaign_attribution.feature_id IS 'Feature adopted';
COMMENT ON COLUMN adoption.campaign_attribution.adopted_at IS 'Adoption time (aha_successes-th successful use)';
COMMENT ON COLUMN adoption.campaign_attribution.campaign_id IS 'Campaign credited';
COMMENT ON COLUMN adoption.campaign_attribution.touched_at IS 'Time of the credited touch (a campaign_touches row, or an event naming the campaign in campaign_influence)';
COMMENT ON COLUMN adoption.campaign_attribution.credit IS 'Share of the adoption credited to the touch: 1 under last_touch';

/*
 * Adoption rate of touched vs untouched users, per campaign and feature.
 *
 * A campaign's window runs from its first touch to its last touch plus
 * lookback.  Its population: the users (of any tenant) whose usage span,
 * first to last use of any feature, overlaps the window.  A user of the
 * population is touched by its first touch of the campaign (own touch, a
 * tenant-wide touch of its tenant, or an event naming the campaign).
 * Users who had adopted the feature before (before their first touch,
 * or before the window for the untouched) cannot convert and are left out.
 * A touched user converts by adopting within lookback after its first
 * touch; an untouched one by adopting within the window.  One row per
 * campaign and feature adopted by someone of the population.
 */
CREATE FUNCTION adoption.campaign_lift(lookback interval DEFAULT '30 days')
RETURNS TABLE (campaign_id text, feature_id text, window_start timestamptz, window_end timestamptz,
	touched_users bigint, touched_adopters bigint, touched_rate double precision,
	untouched_users bigint, untouched_adopters bigint, untouched_rate double precision,
	rate_difference double precision, lift double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
BEGIN
	IF lookback IS NULL OR lookback < interval '0' THEN
		RAISE EXCEPTION 'lookback must be a non-negative interval, not %', coalesce(lookback::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Pass how long after a touch an adoption counts, e.g. ''30 days''.';
	END IF;
	/*
	 * A user's usage span is tenant_user_state's first_seen_at ..
	 * last_seen_at (the same events as the min and max over its features);
	 * events naming a campaign come from the partial index on
	 * integration_context ? 'campaign_influence'; own touches and
	 * tenant-wide touches are joined apart (hash joins, not one join on an
	 * OR).
	 */
	RETURN QUERY
	WITH pop AS MATERIALIZED (
		SELECT u.tenant_id, u.user_id, u.first_seen_at AS first_seen, u.last_seen_at AS last_seen
		FROM adoption.tenant_user_state AS u
	),
	raw AS MATERIALIZED (
		SELECT c.tenant_id, c.user_id, c.campaign_id, c.touched_at
		FROM adoption.campaign_touches AS c
		UNION ALL
		SELECT e.tenant_id, e.user_id, e.integration_context ->> 'campaign_influence', e.usage_timestamp
		FROM adoption.feature_usage_events AS e
		WHERE e.integration_context ? 'campaign_influence'
			AND (e.integration_context ->> 'campaign_influence') <> ''
	),
	camp AS (
		SELECT raw.campaign_id, min(raw.touched_at) AS w_start, max(raw.touched_at) + lookback AS w_end
		FROM raw
		GROUP BY raw.campaign_id
	),
	reach AS (
		SELECT x.tenant_id, x.user_id, x.campaign_id, min(x.touched_at) AS first_touch
		FROM (SELECT raw.tenant_id, raw.user_id, raw.campaign_id, raw.touched_at
			FROM raw
			WHERE raw.user_id IS NOT NULL
			UNION ALL
			SELECT p.tenant_id, p.user_id, raw.campaign_id, raw.touched_at
			FROM raw
			JOIN pop AS p ON p.tenant_id = raw.tenant_id
			WHERE raw.user_id IS NULL) AS x
		GROUP BY x.tenant_id, x.user_id, x.campaign_id
	),
	cp AS MATERIALIZED (
		SELECT camp.campaign_id, camp.w_start, camp.w_end, p.tenant_id, p.user_id, reach.first_touch
		FROM camp
		JOIN pop AS p ON p.first_seen <= camp.w_end AND p.last_seen >= camp.w_start
		LEFT JOIN reach ON reach.campaign_id = camp.campaign_id AND reach.tenant_id = p.tenant_id
			AND reach.user_id = p.user_id
	),
	sizes AS (
		SELECT cp.campaign_id, min(cp.w_start) AS w_start, min(cp.w_end) AS w_end,
			count(*) FILTER (WHERE cp.first_touch IS NOT NULL) AS touched,
			count(*) FILTER (WHERE cp.first_touch IS NULL) AS untouched
		FROM cp
		GROUP BY cp.campaign_id
	),
	ad AS (
		SELECT cp.campaign_id, s.feature_id,
			count(*) FILTER (WHERE cp.first_touch IS NOT NULL AND s.adopted_at < cp.first_touch) AS touched_before,
			count(*) FILTER (WHERE cp.first_touch IS NOT NULL AND s.adopted_at >= cp.first_touch
				AND s.adopted_at <= cp.first_touch + lookback) AS touched_conv,
			count(*) FILTER (WHERE cp.first_touch IS NULL AND s.adopted_at < cp.w_start) AS untouched_before,
			count(*) FILTER (WHERE cp.first_touch IS NULL AND s.adopted_at >= cp.w_start
				AND s.adopted_at <= cp.w_end) AS untouched_conv
		FROM cp
		JOIN adoption.user_feature_state AS s ON s.tenant_id = cp.tenant_id AND s.user_id = cp.user_id
		WHERE s.adopted_at IS NOT NULL
		GROUP BY cp.campaign_id, s.feature_id
	),
	f AS (
		SELECT ad.campaign_id, ad.feature_id, sizes.w_start, sizes.w_end,
			sizes.touched - ad.touched_before AS tu, ad.touched_conv AS ta,
			sizes.untouched - ad.untouched_before AS uu, ad.untouched_conv AS ua
		FROM ad
		JOIN sizes ON sizes.campaign_id = ad.campaign_id
	),
	g AS (
		SELECT f.*, f.ta::double precision / NULLIF(f.tu, 0) AS tr, f.ua::double precision / NULLIF(f.uu, 0) AS ur
		FROM f
	)
	SELECT g.campaign_id, g.feature_id, g.w_start, g.w_end, g.tu, g.ta, g.tr, g.uu, g.ua, g.ur,
		g.tr - g.ur, g.tr / NULLIF(g.ur, 0) - 1
	FROM g
	ORDER BY g.campaign_id COLLATE "C", g.feature_id COLLATE "C";
END
$$;
COMMENT ON FUNCTION adoption.campaign_lift(interval) IS 'Per campaign and feature: adoption rate of the users the campaign touched (adopted within lookback after their first touch) vs the users it did not touch (adopted within the campaign window: first touch to last touch + lookback), among the users active across the window who had not adopted before (not the adopters of launch_performance or feature_retention: see docs/design.md, section 7); rate_difference and relative lift';

CREATE VIEW adoption.action_queue WITH (security_invoker = true) AS
SELECT a.template_key, t.campaign_id, t.channel, a.status,
	count(*) AS actions,
	count(*) FILTER (WHERE a.status OPERATOR(pg_catalog.=) 'pending' AND a.available_at <= pg_catalog.now()) AS due_now,
	count(*) FILTER (WHERE a.status OPERATOR(pg_catalog.=) 'claimed' AND a.lease_until < pg_catalog.now()) AS lease_expired,
	count(*) FILTER (WHERE a.created_at > pg_catalog.now() - interval '1 hour') AS age_under_1h,
	count(*) FILTER (WHERE a.created_at <= pg_catalog.now() - interval '1 hour'
		AND a.created_at > pg_catalog.now() - interval '24 hours') AS age_1h_to_1d,
	count(*) FILTER (WHERE a.created_at <= pg_catalog.now() - interval '24 hours'
		AND a.created_at > pg_catalog.now() - interval '168 hours') AS age_1d_to_7d,
	count(*) FILTER (WHERE a.created_at <= pg_catalog.now() - interval '168 hours') AS age_over_7d,
	min(a.created_at) AS oldest_created_at,
	pg_catalog.now() - min(a.created_at) AS oldest_age,
	max(a.created_at) AS newest_created_at,
	max(a.attempts) AS most_attempts,
	max(a.completed_at) AS last_completed_at,
	pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) min(a.created_at)) AS oldest_age_seconds
FROM adoption.campaign_actions AS a
LEFT JOIN adoption.campaign_templates AS t ON t.template_key OPERATOR(pg_catalog.=) a.template_key
GROUP BY a.template_key, t.campaign_id, t.channel, a.status;
COMMENT ON VIEW adoption.action_queue IS 'The campaign action queue at a glance: per template and status (pending, claimed, done, dead, withdrawn), how many actions, how many are due, and how old they are';
COMMENT ON COLUMN adoption.action_queue.template_key IS 'Campaign template';
COMMENT ON COLUMN adoption.action_queue.campaign_id IS 'Campaign of the template now';
COMMENT ON COLUMN adoption.action_queue.channel IS 'Channel of the template now';
COMMENT ON COLUMN adoption.action_queue.status IS 'pending, claimed, done, dead or withdrawn (a template and status without actions has no row)';
COMMENT ON COLUMN adoption.action_queue.actions IS 'Actions of the template in the status';
COMMENT ON COLUMN adoption.action_queue.due_now IS 'Pending actions a worker may claim now (available_at reached)';
COMMENT ON COLUMN adoption.action_queue.lease_expired IS 'Claimed actions whose lease ran out: claim_actions() hands them out again';
COMMENT ON COLUMN adoption.action_queue.age_under_1h IS 'Actions created less than an hour ago';
COMMENT ON COLUMN adoption.action_queue.age_1h_to_1d IS 'Actions created between an hour and a day ago';
COMMENT ON COLUMN adoption.action_queue.age_1d_to_7d IS 'Actions created between a day and 7 days ago';
COMMENT ON COLUMN adoption.action_queue.age_over_7d IS 'Actions created 7 days ago or earlier';
COMMENT ON COLUMN adoption.action_queue.oldest_created_at IS 'Creation time of the oldest action';
COMMENT ON COLUMN adoption.action_queue.oldest_age IS 'Age of the oldest action (now - oldest_created_at)';
COMMENT ON COLUMN adoption.action_queue.newest_created_at IS 'Creation time of the newest action';
COMMENT ON COLUMN adoption.action_queue.most_attempts IS 'Most delivery attempts of one action';
COMMENT ON COLUMN adoption.action_queue.last_completed_at IS 'Latest time an action became done, dead or withdrawn (NULL for pending and claimed)';
COMMENT ON COLUMN adoption.action_queue.oldest_age_seconds IS 'oldest_age as a number of seconds (for BI tools that cannot chart an interval)';
