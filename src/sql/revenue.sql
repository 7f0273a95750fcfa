/*
 * revenue.sql: revenue and expansion attribution (docs/customer-success.md).
 *
 * An expansion is a billing event of kind 'upgrade' with a positive
 * amount (seat or ARR growth is recorded that way: adoption.tenants keeps
 * only the current seats and ARR).  Each expansion is credited, with the
 * models of adoption.attribution(), twice over:
 *   campaign  the campaign touches of the tenant (campaign_touches of any of
 *             its users or tenant-wide, and events naming a campaign in
 *             campaign_influence) within lookback before it;
 *   feature   the features the tenant adopted (the first adoption by one of
 *             its users) within lookback before it.
 * In each the credits of one expansion sum to 1 and its revenue to the
 * amount.
 */

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
