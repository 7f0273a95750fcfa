-- test/reference/bi_oracle.sql: adoption.adoption_daily and
-- tenant_activity_daily in plain SQL, from docs/bi.md (not from
-- src/sql/bi.sql): a day D describes the state as of R = D + 1 day, midnight
-- UTC.  Reads gen.events, the milestones of adoption.user_feature_state and
-- tenant_feature_state (checked by test/reference/definitions.sql) and the
-- tenant's active_window (oracle.setting, test/reference/health_oracle.sql).
CREATE FUNCTION oracle.adoption_daily(d0 date, d1 date)
RETURNS TABLE (tenant_id text, feature_id text, day date, active_users bigint, active_adopters bigint,
	adoption_rate float8, active_habitual bigint, habitual_rate float8, activated_users bigint,
	adopted_users bigint, habitual_users bigint, new_adopters bigint, tenant_adopted boolean)
LANGUAGE sql STABLE AS $$
	WITH days AS (SELECT g::date AS d, (g + interval '1 day') AT TIME ZONE 'UTC' AS r
		FROM generate_series(d0::timestamp, d1::timestamp, interval '1 day') AS g),
	-- Rows from the first day a user of the tenant used the feature.
	tf AS (SELECT e.tenant_id, e.feature_id, min(e.usage_timestamp AT TIME ZONE 'UTC')::date AS first_day
		FROM gen.events AS e GROUP BY 1, 2),
	act AS MATERIALIZED (SELECT days.d, days.r, e.tenant_id, e.user_id FROM days, gen.events AS e, oracle.setting(e.tenant_id) AS w
		WHERE e.usage_timestamp >= oracle.before(days.r, w.active_window) AND e.usage_timestamp < days.r
		GROUP BY 1, 2, 3, 4),
	au AS (SELECT act.d, act.tenant_id, count(*) AS n FROM act GROUP BY 1, 2),
	-- Active users who adopted (became habitual on) the feature before R.
	aa AS (SELECT act.d, act.tenant_id, u.feature_id, count(*) FILTER (WHERE u.adopted_at < act.r) AS a,
			count(*) FILTER (WHERE u.habitual_at < act.r) AS h
		FROM act JOIN adoption.user_feature_state AS u ON u.tenant_id = act.tenant_id AND u.user_id = act.user_id
		GROUP BY 1, 2, 3),
	rows AS MATERIALIZED (SELECT tf.tenant_id, tf.feature_id, days.d, days.r FROM tf JOIN days ON days.d >= tf.first_day),
	-- Users (active or not) by milestone before R, adopters of the day.
	ever AS (SELECT rows.tenant_id, rows.feature_id, rows.d,
			count(*) FILTER (WHERE u.activated_at < rows.r) AS act_u, count(*) FILTER (WHERE u.adopted_at < rows.r) AS ad_u,
			count(*) FILTER (WHERE u.habitual_at < rows.r) AS hab_u,
			count(*) FILTER (WHERE (u.adopted_at AT TIME ZONE 'UTC')::date = rows.d) AS new_a
		FROM rows JOIN adoption.user_feature_state AS u ON u.tenant_id = rows.tenant_id AND u.feature_id = rows.feature_id
		GROUP BY 1, 2, 3),
	m AS (SELECT rows.tenant_id, rows.feature_id, rows.d, coalesce(au.n, 0) AS au, coalesce(aa.a, 0) AS aa, coalesce(aa.h, 0) AS ah,
			coalesce(ever.act_u, 0) AS act_u, coalesce(ever.ad_u, 0) AS ad_u, coalesce(ever.hab_u, 0) AS hab_u,
			coalesce(ever.new_a, 0) AS new_a, coalesce(ts.feature_adopted_at < rows.r, false) AS ta
		FROM rows
		LEFT JOIN au ON au.d = rows.d AND au.tenant_id = rows.tenant_id
		LEFT JOIN aa ON aa.d = rows.d AND aa.tenant_id = rows.tenant_id AND aa.feature_id = rows.feature_id
		LEFT JOIN ever ON ever.d = rows.d AND ever.tenant_id = rows.tenant_id AND ever.feature_id = rows.feature_id
		LEFT JOIN adoption.tenant_feature_state AS ts ON ts.tenant_id = rows.tenant_id AND ts.feature_id = rows.feature_id)
	SELECT m.tenant_id, m.feature_id, m.d, m.au, m.aa, m.aa::float8 / nullif(m.au, 0), m.ah, m.ah::float8 / nullif(m.au, 0),
		m.act_u, m.ad_u, m.hab_u, m.new_a, m.ta
	FROM m
$$;

CREATE FUNCTION oracle.tenant_activity_daily(d0 date, d1 date)
RETURNS TABLE (tenant_id text, day date, active_users bigint, users bigint, events bigint) LANGUAGE sql STABLE AS $$
	WITH days AS (SELECT g::date AS d, (g + interval '1 day') AT TIME ZONE 'UTC' AS r
		FROM generate_series(d0::timestamp, d1::timestamp, interval '1 day') AS g),
	tn AS (SELECT e.tenant_id, min(e.usage_timestamp AT TIME ZONE 'UTC')::date AS first_day FROM gen.events AS e GROUP BY 1)
	SELECT tn.tenant_id, days.d,
		(SELECT count(DISTINCT e.user_id) FROM gen.events AS e, oracle.setting(tn.tenant_id) AS w WHERE e.tenant_id = tn.tenant_id
			AND e.usage_timestamp >= oracle.before(days.r, w.active_window) AND e.usage_timestamp < days.r),
		(SELECT count(DISTINCT e.user_id) FROM gen.events AS e WHERE e.tenant_id = tn.tenant_id AND e.usage_timestamp < days.r),
		(SELECT count(*) FROM gen.events AS e WHERE e.tenant_id = tn.tenant_id AND (e.usage_timestamp AT TIME ZONE 'UTC')::date = days.d)
	FROM tn JOIN days ON days.d >= tn.first_day
$$;

-- adoption.feature_adoption (docs/reference.md "Views"), as of now: per
-- tenant and feature it used, the tenant's active users (an event of any
-- feature in (now - active_window, now]), those of them who adopted the
-- feature, the rate over the tenant's active users, the feature's own users
-- in the window, users who ever activated / adopted / became habitual, the
-- last use.
CREATE FUNCTION oracle.feature_adoption()
RETURNS TABLE (tenant_id text, feature_id text, active_users bigint, active_adopters bigint, adoption_rate float8,
	feature_active_users bigint, activated_users bigint, adopted_users bigint, habitual_users bigint, last_used_at timestamptz)
LANGUAGE sql STABLE AS $$
	WITH act AS (SELECT DISTINCT e.tenant_id, e.user_id FROM gen.events AS e, oracle.setting(e.tenant_id) AS w
		WHERE e.usage_timestamp > oracle.before(now(), w.active_window) AND e.usage_timestamp <= now()),
	fact AS (SELECT DISTINCT e.tenant_id, e.feature_id, e.user_id FROM gen.events AS e, oracle.setting(e.tenant_id) AS w
		WHERE e.usage_timestamp > oracle.before(now(), w.active_window) AND e.usage_timestamp <= now()),
	tf AS (SELECT e.tenant_id, e.feature_id, max(e.usage_timestamp) AS last_used FROM gen.events AS e GROUP BY 1, 2)
	SELECT tf.tenant_id, tf.feature_id,
		(SELECT count(*) FROM act WHERE act.tenant_id = tf.tenant_id),
		(SELECT count(*) FROM act JOIN adoption.user_feature_state AS u ON u.tenant_id = act.tenant_id AND u.user_id = act.user_id
			AND u.feature_id = tf.feature_id AND u.adopted_at IS NOT NULL WHERE act.tenant_id = tf.tenant_id),
		(SELECT count(*) FROM act JOIN adoption.user_feature_state AS u ON u.tenant_id = act.tenant_id AND u.user_id = act.user_id
			AND u.feature_id = tf.feature_id AND u.adopted_at IS NOT NULL WHERE act.tenant_id = tf.tenant_id)::float8
			/ nullif((SELECT count(*) FROM act WHERE act.tenant_id = tf.tenant_id), 0),
		(SELECT count(*) FROM fact WHERE fact.tenant_id = tf.tenant_id AND fact.feature_id = tf.feature_id),
		(SELECT count(*) FROM adoption.user_feature_state AS u WHERE u.tenant_id = tf.tenant_id AND u.feature_id = tf.feature_id),
		(SELECT count(*) FROM adoption.user_feature_state AS u WHERE u.tenant_id = tf.tenant_id AND u.feature_id = tf.feature_id
			AND u.adopted_at IS NOT NULL),
		(SELECT count(*) FROM adoption.user_feature_state AS u WHERE u.tenant_id = tf.tenant_id AND u.feature_id = tf.feature_id
			AND u.habitual_at IS NOT NULL),
		tf.last_used
	FROM tf
$$;

-- Tenant "recent": events in the last 40 days before now (the "as of now"
-- views and the days after today), added to gen.events and the event log.
CREATE FUNCTION oracle.load_recent() RETURNS void LANGUAGE sql AS $$
	INSERT INTO gen.events (seq, tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
	SELECT 600000 + i * 100 + j, 'recent', 'u' || i, 'f' || (1 + (i + j) % 3),
		date_trunc('second', now()) - (j * 37 % 40) * interval '1 day' - (i * 7) * interval '1 hour', (i + j) % 4 <> 0
	FROM generate_series(1, 12) AS i, generate_series(1, 1 + i % 5) AS j;
	-- u1 of whale comes back now: active again for the whale.
	INSERT INTO gen.events (seq, tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
	VALUES (601000, 'whale', 'u1', 'f4', date_trunc('second', now()) - interval '2 days', true);
	INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
	SELECT tenant_id, user_id, feature_id, usage_timestamp, success_outcome FROM gen.events WHERE seq >= 600000;
$$;
