-- test/reference/health_oracle.sql: the five health components and the
-- score in plain SQL, from the definitions of docs/reference.md "Customer
-- health" (not from src/health.c): oracle.health(t) gives one row per scored
-- tenant and component, oracle.health_score(t) the weighted score.  Windows
-- are spans of UTC days ending at t, "(t - 30 d, t]": t - 30 days computed
-- in UTC, so a daylight-saving change in the session's zone does not move
-- them.  Reads gen.events (the event set), adoption.user_feature_state
-- (adopted_at, checked by test/reference/definitions.sql), the catalog, the
-- default settings row and the health inputs (tickets, billing, feedback).
-- t - span, days of 24 hours and months of 30 days ("Months in intervals
-- count 30 days").
CREATE FUNCTION oracle.before(t timestamptz, span interval) RETURNS timestamptz LANGUAGE sql IMMUTABLE
RETURN t - extract(epoch FROM span) * interval '1 second';

-- A tenant's settings: its row, a NULL column inheriting the default row.
CREATE FUNCTION oracle.setting(tenant text)
RETURNS TABLE (active_window interval, feature_adoption_threshold float8, w_usage float8, w_adoption float8,
	w_support float8, w_billing float8, w_feedback float8) LANGUAGE sql STABLE AS $$
	SELECT coalesce(o.active_window, d.active_window), coalesce(o.feature_adoption_threshold, d.feature_adoption_threshold),
		coalesce(o.weight_usage_trend, d.weight_usage_trend), coalesce(o.weight_adoption, d.weight_adoption),
		coalesce(o.weight_support, d.weight_support), coalesce(o.weight_billing, d.weight_billing),
		coalesce(o.weight_feedback, d.weight_feedback)
	FROM adoption.settings AS d LEFT JOIN adoption.settings AS o ON o.tenant_id = tenant WHERE d.tenant_id IS NULL
$$;

CREATE FUNCTION oracle.health(t timestamptz)
RETURNS TABLE (tenant_id text, component text, score float8) LANGUAGE sql STABLE AS $$
	WITH scored AS (SELECT DISTINCT e.tenant_id FROM gen.events AS e WHERE e.usage_timestamp <= t),
	-- Active users at t: an event of any feature in (t - active_window, t].
	active AS (SELECT DISTINCT e.tenant_id, e.user_id FROM gen.events AS e, oracle.setting(e.tenant_id) AS s
		WHERE e.usage_timestamp > oracle.before(t, s.active_window) AND e.usage_timestamp <= t),
	nactive AS (SELECT sc.tenant_id, (SELECT count(*) FROM active WHERE active.tenant_id = sc.tenant_id) AS n FROM scored AS sc),
	core AS (SELECT f.feature_id FROM adoption.features AS f WHERE f.tier = 'core' AND (f.launched_at IS NULL OR f.launched_at <= t)),
	usage AS (SELECT sc.tenant_id,
			(SELECT count(*) FROM gen.events AS e WHERE e.tenant_id = sc.tenant_id
				AND e.usage_timestamp > oracle.before(t, '30 days') AND e.usage_timestamp <= t) AS recent,
			(SELECT count(*) FROM gen.events AS e WHERE e.tenant_id = sc.tenant_id
				AND e.usage_timestamp > oracle.before(t, '60 days') AND e.usage_timestamp <= oracle.before(t, '30 days')) AS previous
		FROM scored AS sc),
	rates AS (SELECT na.tenant_id, core.feature_id,
			(SELECT count(*) FROM active JOIN adoption.user_feature_state AS u ON u.tenant_id = active.tenant_id
				AND u.user_id = active.user_id AND u.feature_id = core.feature_id AND u.adopted_at <= t
			WHERE active.tenant_id = na.tenant_id)::float8 / nullif(na.n, 0) AS rate
		FROM nactive AS na CROSS JOIN core),
	tickets AS (SELECT sc.tenant_id, coalesce((SELECT sum(CASE st.severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 4 ELSE 8 END)
			FROM adoption.support_tickets AS st WHERE st.tenant_id = sc.tenant_id
				AND st.opened_at > oracle.before(t, '30 days') AND st.opened_at <= t), 0) AS w
		FROM scored AS sc),
	billing AS (SELECT sc.tenant_id, coalesce((SELECT sum(CASE b.kind WHEN 'payment_failed' THEN 25 WHEN 'invoice_overdue' THEN 25
				WHEN 'downgrade' THEN 30 WHEN 'refund' THEN 10 WHEN 'cancellation' THEN 100 ELSE 0 END)
			FROM adoption.billing_events AS b WHERE b.tenant_id = sc.tenant_id
				AND b.occurred_at > oracle.before(t, '90 days') AND b.occurred_at <= t), 0) AS p
		FROM scored AS sc),
	nps AS (SELECT fb.tenant_id, count(*) FILTER (WHERE fb.score >= 9) AS promoters, count(*) FILTER (WHERE fb.score <= 6) AS detractors,
			count(*) AS answers
		FROM adoption.feedback AS fb WHERE fb.channel = 'nps' AND fb.score IS NOT NULL
			AND fb.created_at > oracle.before(t, '90 days') AND fb.created_at <= t GROUP BY 1)
	SELECT u.tenant_id, 'usage_trend',
		CASE WHEN u.previous = 0 THEN CASE WHEN u.recent > 0 THEN 100 ELSE 0 END
			ELSE least(100, 100.0 * u.recent / u.previous) END
	FROM usage AS u
	UNION ALL
	SELECT r.tenant_id, 'adoption', 100 * avg(least(1, coalesce(r.rate, 0) / s.feature_adoption_threshold))
	FROM rates AS r, oracle.setting(r.tenant_id) AS s GROUP BY r.tenant_id
	UNION ALL
	SELECT tk.tenant_id, 'support', 100 * exp(-tk.w / greatest(1, 0.2 * na.n))
	FROM tickets AS tk JOIN nactive AS na USING (tenant_id)
	UNION ALL
	SELECT b.tenant_id, 'billing', greatest(0, 100 - b.p) FROM billing AS b
	UNION ALL
	SELECT n.tenant_id, 'feedback', (100.0 * (n.promoters - n.detractors) / n.answers + 100) / 2
	FROM nps AS n JOIN scored USING (tenant_id)
$$;

-- The score: the components' mean weighted by the tenant's weights,
-- renormalized over the components present.
CREATE FUNCTION oracle.health_score(t timestamptz)
RETURNS TABLE (tenant_id text, score float8) LANGUAGE sql STABLE AS $$
	SELECT h.tenant_id, sum(h.score * w.w) / sum(w.w)
	FROM oracle.health(t) AS h, oracle.setting(h.tenant_id) AS s,
		LATERAL (VALUES ('usage_trend', s.w_usage), ('adoption', s.w_adoption), ('support', s.w_support),
			('billing', s.w_billing), ('feedback', s.w_feedback)) AS w (c, w)
	WHERE w.c = h.component
	GROUP BY h.tenant_id
$$;

-- Health inputs around the two scoring times of the test, t1 = 2026-03-20
-- 12:00 UTC and t2 = 2026-04-10 07:30 UTC: rows exactly on a window's start
-- (left out) and end (counted), and rows half an hour inside the start,
-- which a window computed in America/Los_Angeles (DST began 2026-03-08)
-- would leave out.
CREATE FUNCTION oracle.load_health_inputs() RETURNS void LANGUAGE sql AS $$
	INSERT INTO adoption.support_tickets (tenant_id, ticket_id, opened_at, severity) VALUES
		('whale', 'k1', '2026-02-18 12:00+00', 'urgent'),   -- t1 - 30 d exactly: out
		('whale', 'k2', '2026-02-18 12:30+00', 'high'),     -- inside by 30 minutes
		('whale', 'k3', '2026-03-20 12:00+00', 'medium'),   -- t1 exactly: in
		('whale', 'k4', '2026-03-01 00:00+00', 'low'),
		('whale', 'k5', '2026-04-01 09:00+00', 'urgent'),
		('s01', 'k1', '2026-03-19 00:00+00', 'urgent'),
		('s01', 'k2', '2026-03-19 01:00+00', 'urgent'),
		('s03', 'k1', '2026-03-11 07:30+00', 'high'),        -- t2 - 30 d exactly: out for t2
		('s03', 'k2', '2026-03-11 08:00+00', 'medium'),
		('ones', 'k1', '2026-03-10 00:00+00', 'high');
	INSERT INTO adoption.billing_events (tenant_id, event_id, occurred_at, kind) VALUES
		('s02', 'b1', '2025-12-20 12:00+00', 'cancellation'),  -- t1 - 90 d exactly: out
		('s02', 'b2', '2025-12-20 12:30+00', 'payment_failed'),
		('s02', 'b3', '2026-03-01 00:00+00', 'payment_failed'),
		('s02', 'b4', '2026-03-02 00:00+00', 'invoice_overdue'),
		('s02', 'b5', '2026-03-20 12:00+00', 'downgrade'),
		('s02', 'b6', '2026-03-20 12:00:00.000001+00', 'cancellation'), -- after t1
		('s04', 'b1', '2026-02-01 00:00+00', 'refund'),
		('s04', 'b2', '2026-02-02 00:00+00', 'payment_succeeded'),
		('s04', 'b3', '2026-02-03 00:00+00', 'upgrade'),
		('whale', 'b1', '2026-01-15 00:00+00', 'refund');
	INSERT INTO adoption.feedback (tenant_id, feedback_id, user_id, channel, score, created_at) VALUES
		('s01', 'n1', 'u1', 'nps', 10, '2026-03-01 00:00+00'),
		('s01', 'n2', 'u2', 'nps', 9, '2026-03-02 00:00+00'),
		('s01', 'n3', 'u3', 'nps', 8, '2026-03-03 00:00+00'),   -- passive
		('s01', 'n4', 'u4', 'nps', 7, '2026-03-04 00:00+00'),   -- passive
		('s01', 'n5', 'u1', 'nps', 6, '2026-03-05 00:00+00'),   -- detractor
		('s01', 'n6', 'u2', 'nps', 0, '2025-12-20 12:00+00'),   -- t1 - 90 d exactly: out
		('s01', 'n7', 'u3', 'nps', 3, '2026-03-20 12:00+00'),   -- t1 exactly: in
		('s01', 'c1', 'u1', 'csat', 5, '2026-03-05 00:00+00'),  -- not NPS
		('whale', 'n1', 'u1', 'nps', 6, '2026-02-01 00:00+00'),
		('whale', 'n2', 'u2', 'nps', 9, '2026-03-30 00:00+00'),
		('edge', 'n1', 'u1', 'nps', 8, '2026-03-15 00:00+00'),
		('edge', 'n2', 'u2', 'nps', NULL, '2026-03-15 00:00+00'), -- no score
		('edge', 'n3', 'u3', 'nps', 10, '2026-03-01 03:00+05:30'),  -- February and its last week in UTC
		('edge', 'n4', 'u4', 'nps', 2, '2026-03-02 04:00+05:30');   -- Sunday 2026-03-01 in UTC
$$;

-- NPS per tenant and UTC month (adoption.nps) or ISO week (feedback_weekly):
-- the nps answers with a score, promoters 9-10, passives 7-8, detractors
-- 0-6, NPS = % promoters - % detractors.
CREATE FUNCTION oracle.nps(period text)
RETURNS TABLE (tenant_id text, period_start date, responses bigint, promoters bigint, passives bigint, detractors bigint, nps float8)
LANGUAGE sql STABLE AS $$
	SELECT fb.tenant_id, date_trunc(period, fb.created_at AT TIME ZONE 'UTC')::date, count(*),
		count(*) FILTER (WHERE fb.score >= 9), count(*) FILTER (WHERE fb.score BETWEEN 7 AND 8),
		count(*) FILTER (WHERE fb.score <= 6),
		100.0 * (count(*) FILTER (WHERE fb.score >= 9) - count(*) FILTER (WHERE fb.score <= 6)) / count(*)
	FROM adoption.feedback AS fb WHERE fb.channel = 'nps' AND fb.score IS NOT NULL
	GROUP BY 1, 2
$$;
