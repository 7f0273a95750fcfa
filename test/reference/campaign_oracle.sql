-- test/reference/campaign_oracle.sql: attribution, campaign_lift and
-- launch_performance in plain SQL, from docs/reference.md "Launches" and
-- "Campaign attribution and lift" (not from src/sql/launches.sql): schema
-- oracle.  Adoptions and activations come from adoption.user_feature_state
-- (checked by test/reference/definitions.sql); touches from
-- adoption.campaign_touches and the events naming a campaign (gen.events).
-- Spans ("lookback", "30 days") are computed in UTC: the answer must not
-- depend on the reader's TimeZone.
CREATE FUNCTION oracle.minus(t timestamptz, span interval) RETURNS timestamptz LANGUAGE sql IMMUTABLE
RETURN (t AT TIME ZONE 'UTC' - span) AT TIME ZONE 'UTC';
CREATE FUNCTION oracle.plus(t timestamptz, span interval) RETURNS timestamptz LANGUAGE sql IMMUTABLE
RETURN (t AT TIME ZONE 'UTC' + span) AT TIME ZONE 'UTC';

-- Every touch of every user (tenant_id, user_id): own touches, tenant-wide
-- touches (of each user of the tenant), events naming a campaign; with the
-- tie-break order (source 0 = campaign_touches, 1 = event; then its id).
CREATE FUNCTION oracle.touches()
RETURNS TABLE (tenant_id text, user_id text, campaign_id text, touched_at timestamptz, src integer, id text)
LANGUAGE sql STABLE AS $$
	WITH users AS (SELECT DISTINCT u.tenant_id, u.user_id FROM adoption.user_feature_state AS u)
	SELECT c.tenant_id, c.user_id, c.campaign_id, c.touched_at, 0, lpad(c.touch_id::text, 20, '0')
	FROM adoption.campaign_touches AS c WHERE c.user_id IS NOT NULL
	UNION ALL
	SELECT u.tenant_id, u.user_id, c.campaign_id, c.touched_at, 0, lpad(c.touch_id::text, 20, '0')
	FROM adoption.campaign_touches AS c JOIN users AS u ON u.tenant_id = c.tenant_id WHERE c.user_id IS NULL
	UNION ALL
	SELECT e.tenant_id, e.user_id, e.integration_context ->> 'campaign_influence', e.usage_timestamp, 1, e.event_id::text
	FROM adoption.feature_usage_events AS e WHERE coalesce(e.integration_context ->> 'campaign_influence', '') <> ''
$$;

CREATE FUNCTION oracle.attribution(model text, lookback interval)
RETURNS TABLE (tenant_id text, user_id text, feature_id text, adopted_at timestamptz, campaign_id text,
	touched_at timestamptz, credit float8) LANGUAGE sql STABLE AS $$
	WITH t AS (
		SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at, x.campaign_id, x.touched_at,
			row_number() OVER w AS i, count(*) OVER (PARTITION BY a.tenant_id, a.user_id, a.feature_id) AS n,
			power(2, -extract(epoch FROM a.adopted_at - x.touched_at) / (7 * 86400)) AS decay
		FROM adoption.user_feature_state AS a
		JOIN oracle.touches() AS x ON x.tenant_id = a.tenant_id AND x.user_id = a.user_id
			AND x.touched_at >= oracle.minus(a.adopted_at, lookback) AND x.touched_at <= a.adopted_at
		WHERE a.adopted_at IS NOT NULL
		WINDOW w AS (PARTITION BY a.tenant_id, a.user_id, a.feature_id
			ORDER BY x.touched_at, x.campaign_id COLLATE "C", x.src, x.id))
	SELECT t.tenant_id, t.user_id, t.feature_id, t.adopted_at, t.campaign_id, t.touched_at,
		CASE model
			WHEN 'first_touch' THEN 1
			WHEN 'last_touch' THEN 1
			WHEN 'linear' THEN 1.0 / t.n
			WHEN 'time_decay' THEN t.decay / sum(t.decay) OVER (PARTITION BY t.tenant_id, t.user_id, t.feature_id)
			WHEN 'position_based' THEN CASE WHEN t.n = 1 THEN 1 WHEN t.n = 2 THEN 0.5
				WHEN t.i = 1 OR t.i = t.n THEN 0.4 ELSE 0.2 / (t.n - 2) END END
	FROM t
	WHERE CASE model WHEN 'first_touch' THEN t.i = 1 WHEN 'last_touch' THEN t.i = t.n ELSE true END
$$;

CREATE FUNCTION oracle.campaign_lift(lookback interval)
RETURNS TABLE (campaign_id text, feature_id text, window_start timestamptz, window_end timestamptz,
	touched_users bigint, touched_adopters bigint, touched_rate float8, untouched_users bigint,
	untouched_adopters bigint, untouched_rate float8, rate_difference float8, lift float8)
LANGUAGE sql STABLE AS $$
	WITH x AS MATERIALIZED (SELECT * FROM oracle.touches()),
	camp AS (
		-- A campaign's own touches (a tenant-wide touch is one touch here).
		SELECT c.campaign_id, min(c.touched_at) AS ws, oracle.plus(max(c.touched_at), lookback) AS we
		FROM (SELECT ct.campaign_id, ct.touched_at FROM adoption.campaign_touches AS ct
			UNION ALL SELECT e.integration_context ->> 'campaign_influence', e.usage_timestamp
			FROM adoption.feature_usage_events AS e WHERE coalesce(e.integration_context ->> 'campaign_influence', '') <> '') AS c
		GROUP BY 1),
	span AS (SELECT u.tenant_id, u.user_id, min(u.first_used_at) AS f, max(u.last_used_at) AS l
		FROM adoption.user_feature_state AS u GROUP BY 1, 2),
	pop AS (
		SELECT camp.campaign_id, camp.ws, camp.we, span.tenant_id, span.user_id,
			(SELECT min(x.touched_at) FROM x WHERE x.campaign_id = camp.campaign_id
				AND x.tenant_id = span.tenant_id AND x.user_id = span.user_id) AS ft
		FROM camp JOIN span ON span.f <= camp.we AND span.l >= camp.ws),
	conv AS (
		SELECT pop.*, coalesce(pop.ft, pop.ws) AS cs,
			CASE WHEN pop.ft IS NULL THEN pop.we ELSE oracle.plus(pop.ft, lookback) END AS ce
		FROM pop),
	feats AS (SELECT DISTINCT conv.campaign_id, u.feature_id FROM conv JOIN adoption.user_feature_state AS u
		ON u.tenant_id = conv.tenant_id AND u.user_id = conv.user_id AND u.adopted_at IS NOT NULL),
	g AS (
		SELECT feats.campaign_id, feats.feature_id, min(conv.ws) AS ws, min(conv.we) AS we,
			count(*) FILTER (WHERE conv.ft IS NOT NULL) AS tu,
			count(*) FILTER (WHERE conv.ft IS NOT NULL AND u.adopted_at BETWEEN conv.cs AND conv.ce) AS ta,
			count(*) FILTER (WHERE conv.ft IS NULL) AS uu,
			count(*) FILTER (WHERE conv.ft IS NULL AND u.adopted_at BETWEEN conv.cs AND conv.ce) AS ua
		FROM feats JOIN conv ON conv.campaign_id = feats.campaign_id
		LEFT JOIN adoption.user_feature_state AS u ON u.tenant_id = conv.tenant_id AND u.user_id = conv.user_id
			AND u.feature_id = feats.feature_id
		WHERE u.adopted_at IS NULL OR u.adopted_at >= conv.cs   -- adopted before its period: left out
		GROUP BY 1, 2)
	SELECT g.campaign_id, g.feature_id, g.ws, g.we, g.tu, g.ta, g.ta::float8 / nullif(g.tu, 0), g.uu, g.ua,
		g.ua::float8 / nullif(g.uu, 0), g.ta::float8 / nullif(g.tu, 0) - g.ua::float8 / nullif(g.uu, 0),
		(g.ta::float8 / nullif(g.tu, 0)) / nullif(g.ua::float8 / nullif(g.uu, 0), 0) - 1
	FROM g
$$;

CREATE FUNCTION oracle.launch_performance()
RETURNS TABLE (launch_id text, feature_id text, launched_at timestamptz, target_at timestamptz,
	users_activated_7d bigint, users_activated_30d bigint, users_activated_90d bigint,
	tenants_activated_7d bigint, tenants_activated_30d bigint, tenants_activated_90d bigint,
	tenants_active bigint, tenants_adopted bigint, adoption_rate float8, median_time_to_activation interval,
	target_met boolean, users_active bigint, users_adopted bigint, user_adoption_rate float8)
LANGUAGE sql STABLE AS $$
	WITH l AS (SELECT la.*, la.launched_at + la.target_days * interval '24 hours' AS ta FROM adoption.launches AS la),
	first_t AS (SELECT u.tenant_id, u.feature_id, min(u.activated_at) AS a FROM adoption.user_feature_state AS u GROUP BY 1, 2),
	ua AS (SELECT l.launch_id, e.tenant_id, e.user_id FROM l JOIN adoption.feature_usage_events AS e
		ON e.usage_timestamp >= l.launched_at AND e.usage_timestamp < l.ta GROUP BY 1, 2, 3),
	ua2 AS (SELECT ua.*, EXISTS (SELECT 1 FROM l JOIN adoption.user_feature_state AS u ON u.feature_id = l.feature_id
			AND u.tenant_id = ua.tenant_id AND u.user_id = ua.user_id AND u.adopted_at < l.ta WHERE l.launch_id = ua.launch_id) AS adopted
		FROM ua),
	-- An active tenant adopted when any of its users (active now or not) did.
	ta AS (SELECT ua.launch_id, ua.tenant_id, EXISTS (SELECT 1 FROM l JOIN adoption.user_feature_state AS u
			ON u.feature_id = l.feature_id AND u.tenant_id = ua.tenant_id AND u.adopted_at < l.ta
			WHERE l.launch_id = ua.launch_id) AS adopted
		FROM ua GROUP BY 1, 2)
	SELECT l.launch_id, l.feature_id, l.launched_at, l.ta,
		(SELECT count(*) FROM adoption.user_feature_state AS u WHERE u.feature_id = l.feature_id
			AND u.activated_at >= l.launched_at AND u.activated_at < l.launched_at + interval '168 hours'),
		(SELECT count(*) FROM adoption.user_feature_state AS u WHERE u.feature_id = l.feature_id
			AND u.activated_at >= l.launched_at AND u.activated_at < l.launched_at + interval '720 hours'),
		(SELECT count(*) FROM adoption.user_feature_state AS u WHERE u.feature_id = l.feature_id
			AND u.activated_at >= l.launched_at AND u.activated_at < l.launched_at + interval '2160 hours'),
		(SELECT count(*) FROM first_t WHERE first_t.feature_id = l.feature_id
			AND first_t.a >= l.launched_at AND first_t.a < l.launched_at + interval '168 hours'),
		(SELECT count(*) FROM first_t WHERE first_t.feature_id = l.feature_id
			AND first_t.a >= l.launched_at AND first_t.a < l.launched_at + interval '720 hours'),
		(SELECT count(*) FROM first_t WHERE first_t.feature_id = l.feature_id
			AND first_t.a >= l.launched_at AND first_t.a < l.launched_at + interval '2160 hours'),
		(SELECT count(*) FROM ta WHERE ta.launch_id = l.launch_id),
		(SELECT count(*) FROM ta WHERE ta.launch_id = l.launch_id AND ta.adopted),
		(SELECT count(*) FILTER (WHERE ta.adopted)::float8 / nullif(count(*), 0) FROM ta WHERE ta.launch_id = l.launch_id),
		(SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY u.activated_at - l.launched_at)
			FROM adoption.user_feature_state AS u WHERE u.feature_id = l.feature_id AND u.activated_at >= l.launched_at),
		CASE WHEN l.ta > now() THEN NULL
			ELSE coalesce((SELECT count(*) FILTER (WHERE ta.adopted) >= l.target_adoption::numeric * count(*) AND count(*) > 0
				FROM ta WHERE ta.launch_id = l.launch_id), false) END,
		(SELECT count(*) FROM ua2 WHERE ua2.launch_id = l.launch_id),
		(SELECT count(*) FROM ua2 WHERE ua2.launch_id = l.launch_id AND ua2.adopted),
		(SELECT count(*) FILTER (WHERE ua2.adopted)::float8 / nullif(count(*), 0) FROM ua2 WHERE ua2.launch_id = l.launch_id)
	FROM l
$$;

-- Touches and launches around the event set: ties at one instant (alpha and
-- zeta), a tenant-wide touch, touches exactly lookback before an adoption
-- (counted), a microsecond earlier (not counted) and at the adoption itself,
-- across the 2026-03-08 daylight-saving change of America/Los_Angeles.
CREATE FUNCTION oracle.load_campaign_inputs() RETURNS void LANGUAGE sql AS $$
	INSERT INTO adoption.campaign_touches (tenant_id, user_id, campaign_id, channel, touched_at)
	SELECT 'whale', 'u' || i, CASE WHEN i % 3 = 0 THEN 'beta' ELSE 'alpha' END, 'email',
		timestamptz '2026-02-20 09:00+00' + (i % 11) * interval '1 day 3 hours'
	FROM generate_series(1, 60) AS i;
	INSERT INTO adoption.campaign_touches (tenant_id, user_id, campaign_id, channel, touched_at) VALUES
		('whale', 'u1', 'alpha', 'in_app', '2026-03-03 10:00+00'),
		('whale', 'u1', 'zeta', 'in_app', '2026-03-03 10:00+00'),
		('s01', NULL, 'alpha', 'email', '2026-03-01 00:00+00'),
		('s05', NULL, 'zeta', 'email', '2026-02-15 00:00+00'),
		('edge', 'u1', 'beta', 'email', '2026-02-25 00:00+00'),
		-- tie/v1 adopts f1 at 2026-03-07 10:00 UTC: gamma exactly 30 days
		-- before (across the daylight-saving change), delta a microsecond
		-- earlier, alpha and zeta at one instant four days before.
		('tie', 'v1', 'zeta', 'email', '2026-03-03 10:00+00'),
		('tie', 'v1', 'alpha', 'email', '2026-03-03 10:00+00'),
		('tie', 'v1', 'gamma', 'email', '2026-02-05 10:00+00'),
		('tie', 'v1', 'delta', 'email', '2026-02-05 09:59:59.999999+00');
	-- On the lookback's bounds of whale adoptions in late March and April.
	INSERT INTO adoption.campaign_touches (tenant_id, user_id, campaign_id, channel, touched_at)
	SELECT u.tenant_id, u.user_id, 'bound', b.tag, b.t
	FROM (SELECT * FROM adoption.user_feature_state WHERE tenant_id = 'whale' AND adopted_at >= '2026-03-20 00:00+00'
		AND adopted_at < '2026-04-20 00:00+00' ORDER BY user_id, feature_id LIMIT 12) AS u,
		LATERAL (VALUES ('exact', oracle.minus(u.adopted_at, '30 days')),
			('early', oracle.minus(u.adopted_at, '30 days') - interval '1 microsecond'),
			('at', u.adopted_at), ('after', u.adopted_at + interval '1 microsecond')) AS b (tag, t);
	INSERT INTO adoption.launches (launch_id, feature_id, launched_at, campaign_id, target_adoption, target_days) VALUES
		('f3-ga', 'f3', '2026-03-15 12:00+00', 'alpha', 0.30, 30),
		('f4-beta', 'f4', '2026-02-10 00:00+00', NULL, 0.5, 7),
		('f2-late', 'f2', '2026-03-08 08:00+00', 'zeta', 0.9, 10),
		('f1-future', 'f1', '2027-01-01 00:00+00', NULL, 0.1, 30);
$$;
