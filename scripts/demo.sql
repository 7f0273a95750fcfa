/*
 * demo.sql: a deterministic, realistic SaaS demo data set for pg_adoption.
 *
 *   psql -v seed=42 -f scripts/demo.sql          (in a database with the extension)
 *
 * Optional psql variables: seed (default 42), events (default 1000000),
 * tenants (default 300, at most 600 get distinct names).  Everything is
 * generated in SQL from the seed with hash-based pseudo-random numbers
 * (pg_temp.rnd(key, salt)), so the data set does not depend on plan order or
 * parallelism; times are relative to now(), so the same seed gives the same
 * data shifted to the day it is loaded.
 *
 * What it holds (default sizes):
 *   - ~300 tenants: plans starter/growth/enterprise with matching segment,
 *     seats and ARR; each follows a trajectory over the last 90 days:
 *     stable (~60%), growing (~18%), declining (~15%: fewer events in the last
 *     30 days, failed payments, more urgent tickets, low NPS) or dormant (~7%:
 *     no events for the last 32-60 days; two of them cancelled);
 *   - 25 features: 14 core, 7 advanced, 4 premium; upgrade paths from core
 *     features to advanced/premium ones; three launched recently (launches);
 *   - ~5,000 users (5-40 per tenant), some joining during the window, some
 *     stopping; power users and casual users;
 *   - exactly :events (1,000,000) events over the last 90 days, skewed towards popular core
 *     features, in business hours of the tenant's time zone, fewer on
 *     weekends, ~90% successful, some influenced by campaigns;
 *   - ~3,000 feedback rows (NPS, CSAT, surveys, support, reviews, social,
 *     interviews), ~1,500 support tickets, ~2,000 billing events, campaign
 *     touches and 3 launches.
 *
 * Loads into an empty pg_adoption; to load again:
 *   DROP EXTENSION pg_adoption CASCADE; CREATE EXTENSION pg_adoption;
 */
\set ON_ERROR_STOP on
\if :{?seed}
\else
\set seed 42
\endif
\if :{?events}
\else
\set events 1000000
\endif
\if :{?tenants}
\else
\set tenants 300
\endif

SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET max_parallel_workers_per_gather = 0;
SET work_mem = '64MB';
SET jit = off;

DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM adoption.tenants) OR EXISTS (SELECT 1 FROM adoption.feature_usage_events)
		OR EXISTS (SELECT 1 FROM adoption.features) THEN
		RAISE EXCEPTION 'pg_adoption already holds data: the demo loads into an empty extension'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = 'Start over with: DROP EXTENSION pg_adoption CASCADE; CREATE EXTENSION pg_adoption;';
	END IF;
END
$$;

\echo demo: seed :seed, :events events, :tenants tenants
SELECT pg_catalog.set_config('demo.seed', (:seed)::bigint::text, false) \g /dev/null
SELECT pg_catalog.set_config('demo.events', (:events)::bigint::text, false) \g /dev/null

/* A uniform number in [0, 1) from key and salt, fixed by the seed. */
CREATE FUNCTION pg_temp.rnd(k bigint, salt integer) RETURNS double precision
LANGUAGE sql STABLE AS $$
	SELECT ((pg_catalog.hashint8extended(k, pg_catalog.current_setting('demo.seed')::bigint * 1000003 + salt) >> 11)
		& 9007199254740991)::double precision / 9007199254740992.0
$$;
/* A standard normal number (Box-Muller) from key and salts salt, salt + 1. */
CREATE FUNCTION pg_temp.nrm(k bigint, salt integer) RETURNS double precision
LANGUAGE sql STABLE AS $$
	SELECT pg_catalog.sqrt(-2.0 * pg_catalog.ln(1.0 - pg_temp.rnd(k, salt)))
		* pg_catalog.cos(2.0 * pg_catalog.pi() * pg_temp.rnd(k, salt + 1))
$$;
/* Picks an element of arr uniformly by u in [0, 1). */
CREATE FUNCTION pg_temp.pick(arr text[], u double precision) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT arr[1 + pg_catalog.floor(u * pg_catalog.cardinality(arr))::integer]
$$;

BEGIN;

/* ------------------------------------------------------------------ features */
CREATE TEMP TABLE demo_feature (
	fno integer PRIMARY KEY,
	feature_id text NOT NULL,
	feature_name text NOT NULL,
	tier text NOT NULL,
	upgrade_feature_id text,
	pop double precision,		/* share of a tenant's users who use it, once enabled */
	freq double precision,		/* relative number of uses per user */
	en_starter double precision,	/* share of tenants of each plan that enable it */
	en_growth double precision,
	en_enterprise double precision,
	dur_median integer,			/* seconds */
	fail_rate double precision,
	launched_days integer,		/* days ago */
	launch_campaign text
);
INSERT INTO demo_feature VALUES
	( 1, 'dashboards', 'Dashboards', 'core', 'advanced_analytics', 0.92, 3.0, 1.00, 1.00, 1.00, 180, 0.05, 1400, NULL),
	( 2, 'search', 'Global Search', 'core', NULL, 0.85, 3.5, 1.00, 1.00, 1.00, 25, 0.06, 1400, NULL),
	( 3, 'report_builder', 'Report Builder', 'core', 'scheduled_reports', 0.60, 1.8, 0.95, 1.00, 1.00, 420, 0.09, 1300, NULL),
	( 4, 'alerts', 'Alerts', 'core', 'workflow_automation', 0.55, 2.0, 0.90, 1.00, 1.00, 15, 0.04, 1100, NULL),
	( 5, 'comments', 'Comments & Mentions', 'core', NULL, 0.50, 1.6, 1.00, 1.00, 1.00, 40, 0.03, 1000, NULL),
	( 6, 'csv_export', 'CSV Export', 'core', 'data_warehouse_sync', 0.45, 0.8, 1.00, 1.00, 1.00, 12, 0.07, 1400, NULL),
	( 7, 'data_import', 'Data Import', 'core', 'api_access', 0.25, 0.5, 1.00, 1.00, 1.00, 300, 0.16, 1400, NULL),
	( 8, 'templates', 'Templates', 'core', NULL, 0.40, 0.9, 1.00, 1.00, 1.00, 90, 0.04, 900, NULL),
	( 9, 'notifications', 'Notification Center', 'core', NULL, 0.70, 2.2, 1.00, 1.00, 1.00, 10, 0.02, 800, NULL),
	(10, 'mobile_app', 'Mobile App', 'core', NULL, 0.30, 1.5, 0.80, 0.90, 0.90, 60, 0.08, 700, NULL),
	(11, 'integrations_slack', 'Slack Integration', 'core', NULL, 0.35, 1.2, 0.60, 0.80, 0.90, 5, 0.05, 600, NULL),
	(12, 'user_management', 'User Management', 'core', 'sso', 0.12, 0.3, 1.00, 1.00, 1.00, 120, 0.05, 1400, NULL),
	(13, 'calendar_view', 'Calendar View', 'core', NULL, 0.30, 1.0, 1.00, 1.00, 1.00, 70, 0.03, 500, NULL),
	(14, 'file_sharing', 'File Sharing', 'core', NULL, 0.35, 0.8, 1.00, 1.00, 1.00, 45, 0.06, 1000, NULL),
	(15, 'custom_fields', 'Custom Fields', 'advanced', NULL, 0.30, 0.5, 0.30, 0.70, 0.90, 80, 0.10, 600, NULL),
	(16, 'workflow_automation', 'Workflow Automation', 'advanced', NULL, 0.25, 0.7, 0.20, 0.60, 0.85, 240, 0.14, 450, NULL),
	(17, 'scheduled_reports', 'Scheduled Reports', 'advanced', NULL, 0.25, 0.4, 0.25, 0.60, 0.85, 60, 0.10, 400, NULL),
	(18, 'advanced_analytics', 'Advanced Analytics', 'advanced', NULL, 0.20, 0.6, 0.15, 0.50, 0.80, 600, 0.12, 380, NULL),
	(19, 'api_access', 'API Access', 'advanced', NULL, 0.10, 1.5, 0.15, 0.50, 0.90, 2, 0.08, 1200, NULL),
	(20, 'forecasting', 'Forecasting', 'advanced', NULL, 0.15, 0.5, 0.05, 0.35, 0.70, 420, 0.18, 20, 'forecasting_beta_invite'),
	(21, 'ai_assistant', 'AI Assistant', 'advanced', NULL, 0.30, 1.0, 0.30, 0.55, 0.80, 45, 0.15, 40, 'spring_launch'),
	(22, 'sso', 'Single Sign-On (SAML)', 'premium', NULL, 0.90, 0.4, 0.00, 0.15, 0.75, 3, 0.03, 1200, NULL),
	(23, 'audit_log', 'Audit Log', 'premium', NULL, 0.05, 0.3, 0.00, 0.10, 0.60, 150, 0.02, 900, NULL),
	(24, 'sandbox_environments', 'Sandbox Environments', 'premium', NULL, 0.06, 0.4, 0.00, 0.05, 0.40, 900, 0.15, 300, NULL),
	(25, 'data_warehouse_sync', 'Data Warehouse Sync', 'premium', NULL, 0.08, 0.6, 0.00, 0.15, 0.55, 30, 0.12, 60, 'warehouse_sync_launch');

/* Launch times: the start of the launch day, so every event of the feature comes after it. */
ALTER TABLE demo_feature ADD COLUMN launched_at timestamptz;
UPDATE demo_feature SET launched_at = date_trunc('day', now() - make_interval(days => launched_days))
	+ CASE WHEN launched_days <= 90 THEN interval '15 hours' ELSE interval '0' END;

INSERT INTO adoption.features (feature_id, feature_name, tier, upgrade_feature_id, launched_at)
SELECT feature_id, feature_name, tier, upgrade_feature_id, launched_at
FROM demo_feature ORDER BY fno;

/* ------------------------------------------------------------------- tenants */
CREATE TEMP TABLE demo_tenant AS
WITH words AS (
	SELECT ARRAY['Northwind', 'Bluefin', 'Copperleaf', 'Summit', 'Brightline', 'Redwood',
		'Silverlake', 'Granite', 'Harbor', 'Lumen', 'Meridian', 'Nimbus', 'Oakridge',
		'Pinecrest', 'Quantum', 'Riverstone', 'Sagebrush', 'Tidewater', 'Upland', 'Vantage',
		'Westfield', 'Yellowtail', 'Zephyr', 'Aurora', 'Beacon', 'Cascade', 'Driftwood',
		'Evergreen', 'Foxglove', 'Ironclad'] AS adj,
		ARRAY['Analytics', 'Logistics', 'Health', 'Labs', 'Foods', 'Partners', 'Robotics',
		'Media', 'Financial', 'Studios', 'Energy', 'Retail', 'Software', 'Capital',
		'Consulting', 'Education', 'Realty', 'Travel', 'Biotech', 'Manufacturing'] AS noun,
		((:seed % 600) + 600) % 600 AS rot
), base AS (
	SELECT n,
		w.adj[1 + ((n - 1) % 30 + w.rot) % 30] || ' ' || w.noun[1 + (((n - 1) / 30) % 20 + 3 * ((n - 1) % 30) + w.rot) % 20]
			|| CASE WHEN n > 600 THEN ' ' || ((n - 1) / 600 + 1) ELSE '' END AS name,
		CASE WHEN pg_temp.rnd(n, 1) < 0.55 THEN 'starter' WHEN pg_temp.rnd(n, 1) < 0.85 THEN 'growth' ELSE 'enterprise' END AS plan,
		pg_temp.rnd(n, 2) AS u_seg,
		pg_temp.rnd(n, 3) AS u_seats,
		pg_temp.rnd(n, 4) AS u_price,
		pg_temp.rnd(n, 6) AS u_traj,
		pg_temp.rnd(n, 7) AS u_shape
	FROM generate_series(1, :tenants) AS n, words AS w
), sized AS (
	SELECT b.*,
		CASE plan
			WHEN 'starter' THEN CASE WHEN u_seg < 0.90 THEN 'smb' ELSE 'mid_market' END
			WHEN 'growth' THEN CASE WHEN u_seg < 0.20 THEN 'smb' WHEN u_seg < 0.95 THEN 'mid_market' ELSE 'enterprise' END
			ELSE CASE WHEN u_seg < 0.85 THEN 'enterprise' ELSE 'mid_market' END
		END AS segment,
		CASE plan
			WHEN 'starter' THEN 5 + floor(u_seats * 16)::integer
			WHEN 'growth' THEN 15 + floor(u_seats * 46)::integer
			ELSE 40 + floor(u_seats * u_seats * 461)::integer
		END AS seats_licensed,
		CASE WHEN u_traj < 0.60 THEN 'stable' WHEN u_traj < 0.78 THEN 'growing'
			WHEN u_traj < 0.93 THEN 'declining' ELSE 'dormant' END AS trajectory
	FROM base AS b
)
SELECT n,
	lower(regexp_replace(name, '[^A-Za-z0-9]+', '-', 'g')) AS tenant_id,
	name, plan, segment, seats_licensed,
	/* ARR: seats at the plan's yearly seat price (enterprise discounted), plus a platform fee */
	round(CASE plan
		WHEN 'starter' THEN seats_licensed * 180
		WHEN 'growth' THEN 2400 + seats_licensed * 420
		ELSE 12000 + seats_licensed * 780 * (1 - 0.25 * u_price)
	END::numeric, -2) AS arr,
	date_trunc('second', now() - make_interval(days => 365 + floor(pg_temp.rnd(n, 5) * 730)::integer,
		secs => floor(pg_temp.rnd(n, 8) * 86400))) AS created_at,
	trajectory,
	/* shape of the event density over the window: > 0 more in the past, < 0 more recently */
	CASE trajectory
		WHEN 'stable' THEN -0.25 + 0.5 * u_shape
		WHEN 'growing' THEN -0.95 + 0.4 * u_shape
		WHEN 'declining' THEN 0.6 + 0.38 * u_shape
		ELSE 0.5 * u_shape
	END AS slope,
	/* dormant tenants: no events in the last 32-60 days (x is the age as a share of 90 days) */
	CASE trajectory WHEN 'dormant' THEN (32 + 28 * pg_temp.rnd(n, 9)) / 90.0 ELSE 0 END AS x_lo,
	(ARRAY[-8, -7, -6, -5, -5, -5, -4, 0, 1, 1, 2, 5.5, 10])[1 + floor(pg_temp.rnd(n, 10) * 13)::integer]::double precision AS tz_hours,
	0.5 + pg_temp.rnd(n, 11) AS engagement,
	(1.0 + 1.2 * pg_temp.rnd(n, 12)) * CASE trajectory WHEN 'declining' THEN 1.4 ELSE 1 END AS fail_mult,
	least(0.98, greatest(0.05, CASE trajectory WHEN 'stable' THEN 0.70 WHEN 'growing' THEN 0.85
		WHEN 'declining' THEN 0.35 ELSE 0.25 END + 0.15 * pg_temp.nrm(n, 13))) AS health,
	least(40, greatest(5, round(seats_licensed * (0.4 + 0.6 * pg_temp.rnd(n, 15)))))::integer AS n_users
FROM sized;
ALTER TABLE demo_tenant ADD PRIMARY KEY (n);

INSERT INTO adoption.tenants (tenant_id, name, plan, seats_licensed, arr, segment, created_at)
SELECT tenant_id, name, plan, seats_licensed, arr, segment, created_at FROM demo_tenant ORDER BY n;

/* --------------------------------------------------------------------- users */
CREATE TEMP TABLE demo_user AS
SELECT row_number() OVER (ORDER BY t.n, j) AS user_no, t.n AS tenant_no, j
FROM demo_tenant AS t, generate_series(1, t.n_users) AS j;
ALTER TABLE demo_user
	ADD COLUMN user_id text, ADD COLUMN intensity double precision,
	ADD COLUMN start_x double precision, ADD COLUMN lo_x double precision, ADD COLUMN source text;
UPDATE demo_user SET
	user_id = 'usr_' || lpad(user_no::text, 5, '0'),
	/* power users and casual users: exponential, mean 1 */
	intensity = least(5, greatest(0.05, -ln(1 - pg_temp.rnd(user_no, 21)))),
	/* a quarter of the users joined during the window (x = age / 90 days) */
	start_x = CASE WHEN pg_temp.rnd(user_no, 22) < 0.75 THEN 1 ELSE 0.03 + 0.95 * pg_temp.rnd(user_no, 23) END,
	/* some stopped using the product */
	lo_x = CASE WHEN pg_temp.rnd(user_no, 24) < 0.12 THEN 0.05 + 0.6 * pg_temp.rnd(user_no, 25) ELSE 0 END,
	source = CASE WHEN pg_temp.rnd(user_no, 26) < 0.75 THEN 'web' WHEN pg_temp.rnd(user_no, 26) < 0.90 THEN 'mobile' ELSE 'desktop' END;
ALTER TABLE demo_user ADD PRIMARY KEY (user_no);
CREATE INDEX ON demo_user (tenant_no, j);

/* ---------------------------------------------- who uses which feature, how much */
CREATE TEMP TABLE demo_pair AS
WITH cand AS (
	SELECT u.user_no * 100 + f.fno AS pair_id, t.n AS tenant_no, u.user_no, f.fno,
		t.tenant_id, u.user_id, f.feature_id,
		/* the user's range of ages (share of 90 days) with uses of the feature */
		greatest(t.x_lo, CASE WHEN u.lo_x < u.start_x THEN u.lo_x ELSE 0 END) AS x_lo,
		least(u.start_x, (f.launched_days - 1) / 90.0)
			* CASE WHEN pg_temp.rnd(u.user_no * 100 + f.fno, 32) < 0.3 THEN 0.2 + 0.8 * pg_temp.rnd(u.user_no * 100 + f.fno, 33) ELSE 1 END AS x_hi,
		t.engagement * u.intensity * f.freq * (0.6 + 0.8 * pg_temp.rnd(u.user_no * 100 + f.fno, 34)) AS rate
	FROM demo_tenant AS t
	JOIN demo_user AS u ON u.tenant_no = t.n
	CROSS JOIN demo_feature AS f
	WHERE pg_temp.rnd(t.n * 100 + f.fno, 30) < CASE t.plan WHEN 'starter' THEN f.en_starter
			WHEN 'growth' THEN f.en_growth ELSE f.en_enterprise END
		/* the first user of each tenant is its admin */
		AND pg_temp.rnd(u.user_no * 100 + f.fno, 31) < CASE WHEN u.j = 1 AND f.feature_id IN ('user_management', 'audit_log', 'sso', 'sandbox_environments')
			THEN 0.9 ELSE f.pop END
), weighted AS (
	SELECT c.*, rate * (x_hi - x_lo) AS lambda
	FROM cand AS c
	WHERE x_hi - x_lo >= 0.01
)
/*
 * Exactly demo.events events in all: pair i gets floor(N * C_i + u) -
 * floor(N * C_(i-1) + u) of them, C_i the running share of lambda in pair_id
 * order (numeric, so that the last one is exactly 1) and u one random offset:
 * the floor or the ceiling of its share, with the expected value of it.
 */
SELECT w.pair_id, w.tenant_no, w.user_no, w.fno, w.tenant_id, w.user_id, w.feature_id,
	w.x_lo, w.x_hi, w.rate, w.lambda,
	(floor(n * w.c_hi + u) - floor(n * w.c_lo + u))::integer AS n_events
FROM (
	SELECT w.*,
		current_setting('demo.events')::numeric AS n,
		pg_temp.rnd(0, 35)::numeric AS u,
		sum(lambda::numeric) OVER (ORDER BY pair_id) / sum(lambda::numeric) OVER () AS c_hi,
		coalesce(sum(lambda::numeric) OVER (ORDER BY pair_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
			/ sum(lambda::numeric) OVER () AS c_lo
	FROM weighted AS w
) AS w;
DELETE FROM demo_pair WHERE n_events = 0;

/* -------------------------------------------------------------------- events */
\echo demo: generating events
CREATE TEMP TABLE demo_event AS
SELECT md5(current_setting('demo.seed') || '/' || e.key)::uuid AS event_id,
	e.tenant_id, e.user_id, e.feature_id,
	CASE WHEN pg_temp.rnd(e.key, 51) < 0.01 THEN f.feature_name END AS feature_name,
	CASE WHEN ts.t > now() THEN ts.t - interval '1 day' * ceil(extract(epoch FROM ts.t - now()) / 86400.0) ELSE ts.t END AS usage_timestamp,
	CASE WHEN ok.success
		THEN least(14400, round(f.dur_median * exp(0.8 * pg_temp.nrm(e.key, 52))))
		ELSE round(0.3 * f.dur_median * exp(0.8 * pg_temp.nrm(e.key, 52)))
	END::integer AS session_duration,
	ok.success AS success_outcome,
	jsonb_strip_nulls(jsonb_build_object(
		'source', CASE e.feature_id WHEN 'api_access' THEN 'api' WHEN 'data_warehouse_sync' THEN 'api'
			WHEN 'mobile_app' THEN 'mobile' WHEN 'integrations_slack' THEN 'slack'
			ELSE CASE WHEN pg_temp.rnd(e.key, 53) < 0.85 THEN u.source ELSE 'web' END END,
		'campaign_influence', camp.c,
		'marketing_attribution', CASE WHEN camp.c IS NOT NULL AND pg_temp.rnd(e.key, 56) < 0.5
			THEN CASE WHEN pg_temp.rnd(e.key, 57) < 0.6 THEN 'email' ELSE 'in_app' END END)) AS integration_context
FROM (
	SELECT p.*, p.pair_id::bigint * 1000000 + k AS key
	FROM demo_pair AS p, generate_series(1, p.n_events) AS k
) AS e
JOIN demo_tenant AS t ON t.n = e.tenant_no
JOIN demo_user AS u ON u.user_no = e.user_no
JOIN demo_feature AS f ON f.fno = e.fno
/* the age: linear density 1 + slope * (2x - 1) on [0, 1] (inverse CDF), mapped onto [x_lo, x_hi] */
CROSS JOIN LATERAL (
	SELECT 90 * (e.x_lo + (e.x_hi - e.x_lo) * CASE WHEN abs(t.slope) < 1e-6 THEN pg_temp.rnd(e.key, 41)
		ELSE (-(1 - t.slope) + sqrt((1 - t.slope) ^ 2 + 4 * t.slope * pg_temp.rnd(e.key, 41))) / (2 * t.slope) END) AS days
) AS age
/* business hours of the tenant's time zone, less on weekends */
CROSS JOIN LATERAL (
	SELECT date_trunc('day', now() - age.days * interval '1 day' + t.tz_hours * interval '1 hour') AS day
) AS local
CROSS JOIN LATERAL (
	SELECT local.day
		+ CASE WHEN pg_temp.rnd(e.key, 44) < 0.07 THEN 19 + 4 * pg_temp.rnd(e.key, 45)
			ELSE 7.5 + 5.5 * (pg_temp.rnd(e.key, 42) + pg_temp.rnd(e.key, 43)) END * interval '1 hour'
		- t.tz_hours * interval '1 hour'
		/* three weekend uses in four move to a weekday of that week (of the next one, near the window's start) */
		- CASE WHEN extract(isodow FROM local.day) >= 6 AND pg_temp.rnd(e.key, 46) < 0.75
			THEN (extract(isodow FROM local.day) - 1 - floor(5 * pg_temp.rnd(e.key, 48))
				- CASE WHEN age.days > 80 THEN 7 ELSE 0 END) * interval '1 day'
			ELSE interval '0' END AS t0
) AS ts0
CROSS JOIN LATERAL (
	SELECT CASE WHEN ts0.t0 < f.launched_at THEN ts0.t0 + interval '2 days' ELSE ts0.t0 END AS t
) AS ts
CROSS JOIN LATERAL (
	SELECT pg_temp.rnd(e.key, 47) >= least(0.6, f.fail_rate * t.fail_mult) AS success
) AS ok
CROSS JOIN LATERAL (
	SELECT CASE
		WHEN f.launch_campaign IS NOT NULL AND f.launched_days - age.days < 21 AND pg_temp.rnd(e.key, 54) < 0.35
			THEN f.launch_campaign
		WHEN u.start_x < 1 AND (u.start_x * 90 - age.days) < 10 AND pg_temp.rnd(e.key, 55) < 0.15
			THEN 'onboarding_series'
		WHEN pg_temp.rnd(e.key, 58) < 0.004 THEN 'feature_tips_newsletter'
	END AS c
) AS camp;

/*
 * Two INSERT ... SELECT statements in time order: first the oldest event of
 * each month, so that ensure_partitions() creates the monthly partitions while
 * they are nearly empty, then all the others, which route straight to them.
 */
\echo demo: loading events
CREATE TEMP TABLE demo_first AS
SELECT DISTINCT ON (date_trunc('month', usage_timestamp)) event_id, tenant_id, usage_timestamp
FROM demo_event ORDER BY date_trunc('month', usage_timestamp), usage_timestamp, event_id;

INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, feature_name,
	usage_timestamp, session_duration, success_outcome, integration_context)
SELECT e.event_id, e.tenant_id, e.user_id, e.feature_id, e.feature_name,
	e.usage_timestamp, e.session_duration, e.success_outcome, e.integration_context
FROM demo_event AS e JOIN demo_first USING (event_id, tenant_id, usage_timestamp)
ORDER BY e.usage_timestamp, e.event_id;
\if :{?events_only}
\else
SELECT adoption.ensure_partitions(3) \g /dev/null
\endif

INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, feature_name,
	usage_timestamp, session_duration, success_outcome, integration_context)
SELECT e.event_id, e.tenant_id, e.user_id, e.feature_id, e.feature_name,
	e.usage_timestamp, e.session_duration, e.success_outcome, e.integration_context
FROM demo_event AS e
WHERE NOT EXISTS (SELECT FROM demo_first AS d
	WHERE d.event_id = e.event_id AND d.tenant_id = e.tenant_id AND d.usage_timestamp = e.usage_timestamp)
ORDER BY e.usage_timestamp, e.event_id;

/* Monthly partitions for whatever waits in the default partition, and months ahead. */
\if :{?events_only}
\else
SELECT adoption.ensure_partitions(3) \g /dev/null
\endif

/* ------------------------------------------------------------------ launches */
INSERT INTO adoption.launches (launch_id, feature_id, launched_at, campaign_id, target_adoption, target_days)
SELECT v.launch_id, f.feature_id, f.launched_at, f.launch_campaign, v.target_adoption, v.target_days
FROM (VALUES ('ai_assistant_ga', 'ai_assistant', 0.25::real, 30),
		('forecasting_beta', 'forecasting', 0.15::real, 30),
		('warehouse_sync_launch', 'data_warehouse_sync', 0.10::real, 45)) AS v(launch_id, feature_id, target_adoption, target_days)
JOIN demo_feature AS f USING (feature_id)
ORDER BY f.launched_at;

/*
 * With the psql variable events_only, only the events, tenants, features
 * and launches are loaded (the Citus demo did so before the other inputs
 * and the scoring ran distributed, docs/citus.md).
 */
\if :{?events_only}
\echo demo: events only (Citus)
\else
/* ---------------------------------------------------------- campaign touches */
\echo demo: loading campaign touches, feedback, tickets and billing
INSERT INTO adoption.campaign_touches (tenant_id, user_id, campaign_id, channel, touched_at)
SELECT tenant_id, user_id, campaign_id, channel, touched_at FROM (
	/* onboarding emails to users who joined during the window: day 0, 3 and 7 */
	SELECT t.tenant_id, u.user_id, 'onboarding_series' AS campaign_id, 'email' AS channel,
		now() - u.start_x * interval '90 days' + s.d * interval '1 day' - interval '2 hours' AS touched_at
	FROM demo_user AS u JOIN demo_tenant AS t ON t.n = u.tenant_no, (VALUES (0), (3), (7)) AS s(d)
	WHERE u.start_x < 1
	UNION ALL
	/* the AI assistant launch: an email to growth and enterprise users the day before, in-app on launch day */
	SELECT t.tenant_id, u.user_id, 'spring_launch', c.channel,
		f.launched_at + c.offs + pg_temp.rnd(u.user_no, 61) * interval '8 hours'
	FROM demo_user AS u JOIN demo_tenant AS t ON t.n = u.tenant_no
	JOIN demo_feature AS f ON f.feature_id = 'ai_assistant',
		(VALUES ('email', interval '-1 day'), ('in_app', interval '0')) AS c(channel, offs)
	WHERE (t.plan <> 'starter' OR pg_temp.rnd(u.user_no, 62) < 0.3) AND u.start_x * 90 > f.launched_days
	UNION ALL
	/* the forecasting beta: invitations to enterprise users two days before */
	SELECT t.tenant_id, u.user_id, 'forecasting_beta_invite', 'email',
		f.launched_at - interval '2 days' + pg_temp.rnd(u.user_no, 63) * interval '4 hours'
	FROM demo_user AS u JOIN demo_tenant AS t ON t.n = u.tenant_no
	JOIN demo_feature AS f ON f.feature_id = 'forecasting'
	WHERE t.plan = 'enterprise' AND u.start_x * 90 > f.launched_days
	UNION ALL
	/* the warehouse sync launch: an account-level touch (no user) of growth and enterprise tenants */
	SELECT t.tenant_id, NULL, 'warehouse_sync_launch', 'account_manager',
		f.launched_at + pg_temp.rnd(t.n, 64) * interval '5 days'
	FROM demo_tenant AS t JOIN demo_feature AS f ON f.feature_id = 'data_warehouse_sync'
	WHERE t.plan <> 'starter'
	UNION ALL
	/* the monthly tips newsletter to about half of the users */
	SELECT t.tenant_id, u.user_id, 'feature_tips_newsletter', 'email',
		date_trunc('day', now()) - s.d * interval '1 day' + interval '14 hours'
	FROM demo_user AS u JOIN demo_tenant AS t ON t.n = u.tenant_no, (VALUES (75), (45), (15)) AS s(d)
	WHERE pg_temp.rnd(u.user_no * 100 + s.d, 65) < 0.5
		AND u.start_x * 90 > s.d
) AS touches
WHERE touched_at <= now()
ORDER BY touched_at, tenant_id, user_id;

/* ------------------------------------------------------------------ feedback */
CREATE TEMP TABLE demo_text AS
SELECT ARRAY[
		'Love the %s, it saves our team hours every week.',
		'The %s is fantastic and really easy to use!',
		'Great product overall. The %s works exactly the way we need.',
		'Support was quick and helpful, and the onboarding was smooth.',
		'We rolled it out to the whole company and everyone uses the %s daily.',
		'Easy to use, reliable, and the %s replaced three spreadsheets for us.',
		'Excellent value for money. Our managers finally have the numbers they need.',
		'Very intuitive. New hires are productive on day one.',
		'The %s is a game changer for our weekly reviews.',
		'Solid and fast. We doubled our reporting output since switching.',
		'Really happy with the product and the team behind it.',
		'Setup took ten minutes and the %s just works.'] AS positive,
	ARRAY[
		'It does the job, but the %s could be more flexible.',
		'Good overall, although the %s is slow with large accounts.',
		'Decent tool. The learning curve was steeper than expected.',
		'Works fine for basic use, but we miss a few things in the %s.',
		'The %s is okay, not great. Pricing is a bit high for small teams.',
		'Mostly good. Occasional glitches in the %s but support fixed them.',
		'Useful, but the mobile experience is not as good as the web app.',
		'We use it every day, though the %s feels a bit dated.',
		'Fine for now. We are still evaluating whether it fits our workflow.',
		'The product is solid but documentation could be clearer.'] AS neutral,
	ARRAY[
		'Reports load so slowly that the team stopped using them.',
		'The %s keeps crashing and we lose work.',
		'Too expensive for what we get, we are considering cancelling.',
		'Hard to set up and the documentation is confusing.',
		'The %s is not intuitive at all, people keep asking me how it works.',
		'We were charged twice this month and nobody answered our emails.',
		'Data import failed three times this week with no useful error message.',
		'Support takes days to respond, which is frustrating when we are blocked.',
		'The %s is buggy and very slow since the last update.',
		'Login issues every morning, really annoying.',
		'Not worth the price. Half of my team never logs in.',
		'The sync with our CRM breaks constantly.',
		'Search results are often wrong and it is impossible to find old files.',
		'We lost a dashboard after the update, this is unacceptable.'] AS negative,
	ARRAY[
		'Would love to see an integration with Salesforce.',
		'Please add dark mode.',
		'It would be great if we could schedule reports by email.',
		'We need SSO and an audit log before we can roll this out further.',
		'Please add an API endpoint for bulk exports.',
		'I wish the %s had more templates.',
		'Can you add role-based permissions for the %s?',
		'It would be nice to have a forecasting view.',
		'Please support Microsoft Teams as well as Slack.',
		'We need custom fields on every record.'] AS request,
	/* What each segment talks about (half of its texts come from its own pool). */
	ARRAY[
		'Cheap enough for a team of five and it just works.',
		'Set it up on a Sunday evening and the whole team was using the %s by Monday.',
		'Cut our invoicing time from two days to half a day.',
		'Simple, quick, no training needed.',
		'Great value for the money, the %s alone is worth it.',
		'Saves me about three hours every week on admin.'] AS positive_smb,
	ARRAY[
		'The price went up again and we are a team of six.',
		'Too pricey for a small shop, we may downgrade.',
		'The mobile app logs me out every day.',
		'Charged twice this month, still waiting on a refund.',
		'Waited four days for an answer to a billing question.'] AS negative_smb,
	ARRAY[
		'The Salesforce sync finally keeps our whole pipeline in one place.',
		'Our weekly reporting went from a full day to an hour.',
		'Renewals rose from 82%% to 90%% since we rolled out the %s.',
		'The %s plugs into everything we use.',
		'The dashboards show us where deals stall, we finally know what to fix.'] AS positive_mid,
	ARRAY[
		'The HubSpot sync duplicates contacts every week.',
		'Reports take over ten minutes to load with our data.',
		'The %s keeps dropping changes when two people edit at once.',
		'Our Zapier trigger stopped firing after the update.'] AS negative_mid,
	ARRAY[
		'Security review was painless, SSO and the audit log were exactly what IT needed.',
		'Our account team is proactive and knows our setup inside out.',
		'Adoption went from 40%% to 85%% of our seats in one quarter.',
		'Support walked our admins through the %s rollout, above and beyond.',
		'Dependable at our scale, it has not gone down once this year.'] AS positive_ent,
	ARRAY[
		'Permissions are all or nothing, which our auditors flagged.',
		'Rollout stalled for six weeks waiting on the implementation partner.',
		'Support tickets sit for days even on the enterprise plan.',
		'Former employees could still access the %s after offboarding.',
		'We were billed for 400 seats but only 310 people use it.'] AS negative_ent,
	/* A regression in the last month: slowness, mostly in the big accounts. */
	ARRAY[
		'Since the last release the %s takes 30 seconds to load.',
		'Everything is slow this month, the %s times out constantly.',
		'The %s has been lagging badly since the update.',
		'Dashboards freeze every afternoon now.'] AS negative_recent;

CREATE TEMP TABLE demo_fb AS
SELECT row_number() OVER (ORDER BY t.n, i) AS fb_no, t.n AS tenant_no, t.tenant_id, t.health, t.n_users, t.segment, i
FROM demo_tenant AS t,
	generate_series(1, floor(t.n_users * 0.6 + pg_temp.rnd(t.n, 70))::integer) AS i;

INSERT INTO adoption.feedback (tenant_id, feedback_id, user_id, feature_id, channel, score, body, campaign_id, created_at)
SELECT s.tenant_id, 'fb_' || lpad(s.fb_no::text, 6, '0'), s.user_id, s.feature_id, s.channel, s.score,
	CASE WHEN s.channel IN ('nps', 'csat') AND pg_temp.rnd(s.fb_no, 80) < 0.35 THEN NULL
	ELSE format(CASE
			WHEN s.mood = 'negative' AND s.created_at > now() - interval '30 days'
				AND pg_temp.rnd(s.fb_no, 84) < CASE s.segment WHEN 'enterprise' THEN 0.6 ELSE 0.3 END
				THEN pg_temp.pick(x.negative_recent, pg_temp.rnd(s.fb_no, 81))
			WHEN s.mood <> 'neutral' AND pg_temp.rnd(s.fb_no, 85) < 0.5 THEN pg_temp.pick(CASE s.mood
				WHEN 'positive' THEN CASE s.segment WHEN 'smb' THEN x.positive_smb
					WHEN 'mid_market' THEN x.positive_mid ELSE x.positive_ent END
				ELSE CASE s.segment WHEN 'smb' THEN x.negative_smb
					WHEN 'mid_market' THEN x.negative_mid ELSE x.negative_ent END END,
				pg_temp.rnd(s.fb_no, 81))
			WHEN s.mood = 'positive' THEN pg_temp.pick(x.positive, pg_temp.rnd(s.fb_no, 81))
			WHEN s.mood = 'neutral' THEN pg_temp.pick(x.neutral, pg_temp.rnd(s.fb_no, 81))
			ELSE pg_temp.pick(x.negative, pg_temp.rnd(s.fb_no, 81)) END, s.feature_words)
		|| CASE WHEN pg_temp.rnd(s.fb_no, 82) < CASE s.mood WHEN 'positive' THEN 0.1 ELSE 0.3 END
			THEN ' ' || format(pg_temp.pick(x.request, pg_temp.rnd(s.fb_no, 83)), s.feature_words) ELSE '' END
	END,
	s.campaign_id, s.created_at
FROM (
	SELECT c.*,
		CASE
			WHEN c.channel = 'nps' THEN CASE WHEN c.score >= 9 THEN 'positive' WHEN c.score >= 7 THEN 'neutral' ELSE 'negative' END
			WHEN c.channel IN ('csat', 'review') THEN CASE WHEN c.score >= 4 THEN 'positive' WHEN c.score = 3 THEN 'neutral' ELSE 'negative' END
			WHEN c.channel = 'support' THEN CASE WHEN c.mood_p > 0.85 THEN 'positive' ELSE 'negative' END
			ELSE CASE WHEN c.mood_p > 0.65 THEN 'positive' WHEN c.mood_p > 0.4 THEN 'neutral' ELSE 'negative' END
		END AS mood
	FROM (
		SELECT b.*,
			CASE b.channel
				WHEN 'nps' THEN least(10, greatest(0, round(3 + 8 * b.health + 1.8 * pg_temp.nrm(b.fb_no, 73))))
				WHEN 'csat' THEN least(5, greatest(1, round(1 + 4 * b.health + 0.8 * pg_temp.nrm(b.fb_no, 73))))
				WHEN 'review' THEN least(5, greatest(1, round(1 + 4 * b.health + 0.8 * pg_temp.nrm(b.fb_no, 73))))
				WHEN 'survey' THEN CASE WHEN pg_temp.rnd(b.fb_no, 75) < 0.5
					THEN least(10, greatest(0, round(2 + 8 * b.health + 2 * pg_temp.nrm(b.fb_no, 73)))) END
			END::smallint AS score,
			b.health + 0.2 * pg_temp.nrm(b.fb_no, 76) AS mood_p,
			CASE WHEN b.channel = 'nps' AND b.wave = 2 THEN 'nps_survey_current'
				WHEN b.channel = 'nps' THEN 'nps_survey_previous'
				WHEN b.channel = 'csat' THEN 'csat_after_ticket' END AS campaign_id,
			CASE WHEN b.channel = 'nps'
				THEN date_trunc('day', now()) - CASE WHEN b.wave = 2 THEN 14 ELSE 84 END * interval '1 day'
					+ pg_temp.rnd(b.fb_no, 77) * interval '6 days'
				ELSE now() - pg_temp.rnd(b.fb_no, 77) * interval '90 days'
			END AS created_at
		FROM (
			SELECT d.fb_no, d.tenant_id, d.health, d.segment,
				CASE WHEN pg_temp.rnd(d.fb_no, 71) < 0.45 THEN 'nps'
					WHEN pg_temp.rnd(d.fb_no, 71) < 0.70 THEN 'csat'
					WHEN pg_temp.rnd(d.fb_no, 71) < 0.80 THEN 'survey'
					WHEN pg_temp.rnd(d.fb_no, 71) < 0.88 THEN 'support'
					WHEN pg_temp.rnd(d.fb_no, 71) < 0.93 THEN 'review'
					WHEN pg_temp.rnd(d.fb_no, 71) < 0.97 THEN 'social'
					ELSE 'interview' END AS channel,
				CASE WHEN pg_temp.rnd(d.fb_no, 78) < 0.5 THEN 2 ELSE 1 END AS wave,
				u.user_id,
				CASE WHEN pg_temp.rnd(d.fb_no, 79) < 0.6 THEN f.feature_id END AS feature_id,
				lower(f.feature_name) AS feature_words
			FROM demo_fb AS d
			JOIN demo_user AS u ON u.tenant_no = d.tenant_no
				AND u.j = 1 + floor(pg_temp.rnd(d.fb_no, 72) * d.n_users)::integer
			/* the feature talked about: one of the popular ones mostly */
			JOIN demo_feature AS f ON f.fno = (ARRAY[1, 1, 1, 2, 2, 3, 3, 3, 4, 5, 6, 7, 7, 9, 10, 11, 15, 16, 17, 18, 19, 21, 21, 25])
				[1 + floor(pg_temp.rnd(d.fb_no, 74) * 24)::integer]
		) AS b
	) AS c
) AS s, demo_text AS x
WHERE s.created_at <= now()
ORDER BY s.created_at, s.fb_no;

/* ----------------------------------------------------------- support tickets */
INSERT INTO adoption.support_tickets (tenant_id, ticket_id, opened_at, severity, status, closed_at)
SELECT tenant_id, ticket_id, opened_at, severity,
	CASE WHEN closed_at IS NULL THEN status ELSE 'closed' END, closed_at
FROM (
	SELECT s.*,
		CASE WHEN s.u_close < 0.75 AND s.opened_at + s.hours_to_close * interval '1 hour' <= now()
			THEN s.opened_at + s.hours_to_close * interval '1 hour' END AS closed_at
	FROM (
		SELECT t.tenant_id,
			'TCK-' || (10000 + row_number() OVER (ORDER BY t.n, i)) AS ticket_id,
			date_trunc('second', now() - pg_temp.rnd(t.n * 1000 + i, 91) * interval '120 days') AS opened_at,
			CASE WHEN pg_temp.rnd(t.n * 1000 + i, 92) < CASE t.trajectory WHEN 'declining' THEN 0.25 ELSE 0.40 END THEN 'low'
				WHEN pg_temp.rnd(t.n * 1000 + i, 92) < CASE t.trajectory WHEN 'declining' THEN 0.55 ELSE 0.75 END THEN 'medium'
				WHEN pg_temp.rnd(t.n * 1000 + i, 92) < CASE t.trajectory WHEN 'declining' THEN 0.82 ELSE 0.93 END THEN 'high'
				ELSE 'urgent' END AS severity,
			CASE WHEN pg_temp.rnd(t.n * 1000 + i, 93) < 0.6 THEN 'open' ELSE 'pending' END AS status,
			pg_temp.rnd(t.n * 1000 + i, 94) AS u_close,
			/* hours to close: log-normal, median about a day */
			exp(ln(24) + 1.2 * pg_temp.nrm(t.n * 1000 + i, 95)) AS hours_to_close
		FROM demo_tenant AS t,
			generate_series(1, floor(t.n_users * 0.2 * CASE t.trajectory WHEN 'declining' THEN 2.5
				WHEN 'dormant' THEN 1.5 WHEN 'growing' THEN 0.8 ELSE 1 END + pg_temp.rnd(t.n, 90))::integer) AS i
	) AS s
) AS tickets
ORDER BY opened_at, ticket_id;

/* ------------------------------------------------------------ billing events */
CREATE TEMP TABLE demo_billing AS
WITH tenant AS (
	SELECT t.*,
		/* billing day of the month, from the signup date */
		least(28, extract(day FROM t.created_at)::integer) AS bill_day,
		round(t.arr / 12, 2) AS mrr,
		/* two of the dormant tenants cancelled */
		t.trajectory = 'dormant' AND row_number() OVER (PARTITION BY t.trajectory ORDER BY pg_temp.rnd(t.n, 100)) <= 2 AS cancelled,
		date_trunc('day', now()) - (20 + floor(pg_temp.rnd(t.n, 111) * 10)) * interval '1 day' + interval '9 hours' AS cancel_at
	FROM demo_tenant AS t
), invoice AS (
	SELECT t.*, m,
		date_trunc('month', now()) - m * interval '1 month' + (t.bill_day - 1) * interval '1 day'
			+ interval '6 hours' + pg_temp.rnd(t.n * 100 + m, 101) * interval '2 hours' AS due,
		pg_temp.rnd(t.n * 100 + m, 102) < CASE t.trajectory WHEN 'declining' THEN 0.20 ELSE 0.02 END AS failed
	FROM tenant AS t, generate_series(0, 6) AS m
)
SELECT tenant_id, 'inv_' || to_char(due, 'YYYYMM') || '_paid' AS event_id,
	due + CASE WHEN failed THEN interval '3 days' ELSE interval '0' END AS occurred_at,
	'payment_succeeded' AS kind, mrr AS amount
FROM invoice WHERE due > created_at AND NOT (cancelled AND due >= cancel_at)
UNION ALL
SELECT tenant_id, 'inv_' || to_char(due, 'YYYYMM') || '_failed', due, 'payment_failed', mrr
FROM invoice WHERE due > created_at AND failed AND NOT (cancelled AND due >= cancel_at)
UNION ALL
/* overdue invoices, downgrades and refunds: mostly declining tenants */
SELECT tenant_id, 'inv_' || to_char(now() - interval '25 days', 'YYYYMM') || '_overdue',
	date_trunc('day', now()) - (10 + floor(pg_temp.rnd(n, 103) * 40)) * interval '1 day', 'invoice_overdue', mrr
FROM tenant WHERE pg_temp.rnd(n, 104) < CASE trajectory WHEN 'declining' THEN 0.30 WHEN 'dormant' THEN 0.30 ELSE 0.01 END
UNION ALL
SELECT tenant_id, 'sub_downgrade_1', date_trunc('day', now()) - (5 + floor(pg_temp.rnd(n, 105) * 60)) * interval '1 day' + interval '11 hours',
	'downgrade', -round(mrr * 0.3, 2)
FROM tenant WHERE pg_temp.rnd(n, 106) < CASE trajectory WHEN 'declining' THEN 0.25 ELSE 0.01 END AND plan <> 'starter'
UNION ALL
SELECT tenant_id, 'sub_upgrade_1', date_trunc('day', now()) - (5 + floor(pg_temp.rnd(n, 107) * 80)) * interval '1 day' + interval '15 hours',
	'upgrade', round(mrr * 0.4, 2)
FROM tenant WHERE pg_temp.rnd(n, 108) < CASE trajectory WHEN 'growing' THEN 0.35 ELSE 0.02 END
UNION ALL
SELECT tenant_id, 'refund_1', date_trunc('day', now()) - (3 + floor(pg_temp.rnd(n, 109) * 80)) * interval '1 day' + interval '10 hours',
	'refund', -mrr
FROM tenant WHERE pg_temp.rnd(n, 110) < 0.03
UNION ALL
SELECT tenant_id, 'sub_cancel', cancel_at, 'cancellation', 0
FROM tenant WHERE cancelled;

INSERT INTO adoption.billing_events (tenant_id, event_id, occurred_at, kind, amount)
SELECT tenant_id, event_id, occurred_at, kind, amount
FROM demo_billing WHERE occurred_at <= now()
ORDER BY occurred_at, tenant_id, event_id;
\endif

COMMIT;

/* ------------------------------------------------------------------ finish */
\echo demo: analyzing
ANALYZE adoption.tenants, adoption.features, adoption.launches, adoption.feature_usage_events,
	adoption.feedback, adoption.support_tickets, adoption.billing_events, adoption.campaign_touches;

\if :{?events_only}
\else
\echo demo: announcing the launches to the tenants that do not use the feature yet
SELECT l.launch_id, adoption.coordinate_launch(l.launch_id) AS announcements
FROM adoption.launches AS l ORDER BY l.launch_id;

\echo demo: announcing fixes: pain points a launch or an upgrade feature answers
SELECT adoption.enqueue_fix_announcements() AS fix_announcements;

\echo demo: scoring health weekly over the last four weeks (history), then now
SELECT adoption.rescore(NULL, now() - w * interval '7 days') AS tenants_scored
FROM generate_series(4, 1, -1) AS w \g /dev/null
SELECT adoption.rescore() AS tenants_scored_now;

\echo demo: daily adoption snapshots of the whole period (adoption.snapshot_adoption(), what upkeep() keeps)
SELECT adoption.snapshot_adoption() AS snapshot_days \g /dev/null
\endif

SELECT (SELECT count(*) FROM adoption.tenants) AS tenants,
	(SELECT count(*) FROM adoption.features) AS features,
	(SELECT count(DISTINCT user_id) FROM adoption.feature_usage_events) AS users,
	(SELECT count(*) FROM adoption.feature_usage_events) AS events,
	(SELECT count(*) FROM adoption.feedback) AS feedback,
	(SELECT count(*) FROM adoption.support_tickets) AS tickets,
	(SELECT count(*) FROM adoption.billing_events) AS billing_events,
	(SELECT count(*) FROM adoption.campaign_touches) AS touches,
	(SELECT count(*) FROM adoption.launches) AS launches;
