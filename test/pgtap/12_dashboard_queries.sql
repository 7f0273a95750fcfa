-- pgTAP: the dashboard's campaign and launch queries, rewritten for speed
-- (issue 21), give what their definitions say.  attribution() under every
-- model, campaign_lift() and launch_performance are compared with the
-- definitions of 0.4.0 before the rewrite, written here as plain SQL over
-- the event log alone (adoption and first use worked out from the events,
-- not read from the state), on random events of seven tenants loaded in two
-- batches, the second full of late events (times before events already
-- stored), with touches of users and of whole tenants, ties, events naming
-- a campaign (and empty names), and launches whose target windows need each
-- way users_active_between() decides who was active.  The snapshots the
-- dashboard reads (campaign_attribution_snapshot, campaign_lift_snapshot,
-- launch_performance_snapshot, kept by snapshot_campaigns()) are compared
-- with the same definitions after each run; between runs they keep the
-- previous run's answers; a reader limited to its tenant gets the live
-- figures of its own rows; forget_user() leaves no row of the user.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION pg_adoption;
SET client_min_messages = warning;
SET TimeZone = 'UTC';

SELECT plan(43);

UPDATE adoption.settings SET aha_successes = 3 WHERE tenant_id IS NULL;
-- B = 80 days before today, midnight UTC.
CREATE TEMP TABLE b AS SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '80 days' AS b;
CREATE FUNCTION pg_temp.at(d double precision) RETURNS timestamptz LANGUAGE sql
RETURN (SELECT b FROM b) + d * interval '1 day';

INSERT INTO adoption.features (feature_id, tier)
SELECT 'f' || i, CASE WHEN i <= 3 THEN 'core' ELSE 'advanced' END FROM generate_series(1, 6) AS i;
INSERT INTO adoption.features (feature_id) VALUES ('f_unused');
INSERT INTO adoption.tenants (tenant_id) SELECT 't' || i FROM generate_series(1, 7) AS i;

-- Random events: tenants t1..t6, 8 users each, each user on a few features,
-- times over 80 days; 10 % name a campaign (one in ten of them with an empty
-- name, which is no touch).  batch 2 holds a third of them, mostly early.
SELECT setseed(0.21);
CREATE TEMP TABLE ev AS
SELECT 't' || t AS tenant_id, 'u' || u AS user_id, 'f' || f AS feature_id,
	pg_temp.at(floor(random() * 80 * 24) / 24) AS ts,
	random() < 0.85 AS ok,
	CASE WHEN random() < 0.10 THEN jsonb_build_object('campaign_influence',
		(ARRAY['c_alpha', 'c_beta', 'c_gamma', 'c_alpha', 'c_beta', 'c_gamma', 'c_alpha', 'c_beta', 'c_gamma', ''])[1 + floor(random() * 10)::integer])
		ELSE '{}'::jsonb END AS ctx,
	random() < 0.33 AS late
FROM generate_series(1, 6) AS t, generate_series(1, 8) AS u, generate_series(1, 6) AS f,
	generate_series(1, 12) AS k
WHERE random() < 0.45;
-- Late events: batch 2's times are moved into the first 40 days.
UPDATE ev SET ts = pg_temp.at(floor(random() * 40 * 24) / 24) WHERE late;

-- Tenant t7: users whose activity spans the window [B+20, B+40) of launch
-- l_mid with no first, last, adoption or habit time inside it.  mid uses f1
-- on days 0, 30 and 60 (the use of day 30 failed, so never adopted): active
-- in the window, which only the log can tell; gap uses f1 on days 0 and 60:
-- not active; edge uses f1 on days 0 and 20 and f2 on days 5 and 60: active
-- (f1's last use is at the window's start).
INSERT INTO ev (tenant_id, user_id, feature_id, ts, ok, ctx, late) VALUES
	('t7', 'mid', 'f1', pg_temp.at(0), true, '{}', false), ('t7', 'mid', 'f1', pg_temp.at(30), false, '{}', true),
	('t7', 'mid', 'f1', pg_temp.at(60), true, '{}', false),
	('t7', 'gap', 'f1', pg_temp.at(0), true, '{}', false), ('t7', 'gap', 'f1', pg_temp.at(60), true, '{}', false),
	('t7', 'edge', 'f1', pg_temp.at(0), true, '{}', false), ('t7', 'edge', 'f1', pg_temp.at(20), true, '{}', true),
	('t7', 'edge', 'f2', pg_temp.at(5), true, '{}', false), ('t7', 'edge', 'f2', pg_temp.at(60), true, '{}', false);

-- Touches: own touches of random users, tenant-wide ones (user_id NULL),
-- and two campaigns touching the same user at the same instant (a tie that
-- the order by campaign_id breaks).
INSERT INTO adoption.campaign_touches (tenant_id, user_id, campaign_id, channel, touched_at)
SELECT 't' || t, CASE WHEN random() < 0.15 THEN NULL ELSE 'u' || (1 + floor(random() * 8)::integer) END,
	(ARRAY['c_alpha', 'c_beta', 'c_delta'])[1 + floor(random() * 3)::integer], 'email',
	pg_temp.at(floor(random() * 80 * 24) / 24)
FROM generate_series(1, 6) AS t, generate_series(1, 25) AS k;
INSERT INTO adoption.campaign_touches (tenant_id, user_id, campaign_id, channel, touched_at)
SELECT 't1', 'u' || u, c, 'in_app', pg_temp.at(38)
FROM generate_series(1, 8) AS u, unnest(ARRAY['c_zeta', 'c_beta']) AS c;

-- Launches: past, still running (target_at ahead: target_met NULL), l_mid,
-- and one of a feature nobody uses.
INSERT INTO adoption.launches (launch_id, feature_id, launched_at, target_adoption, target_days, campaign_id) VALUES
	('l_early', 'f2', pg_temp.at(10.5), 0.3, 30, 'c_alpha'),
	('l_late', 'f5', pg_temp.at(55.25), 0.2, 45, 'c_beta'),
	('l_mid', 'f1', pg_temp.at(20), 0.5, 20, NULL),
	('l_short', 'f4', pg_temp.at(33.75), 0.1, 1, NULL),
	('l_none', 'f_unused', pg_temp.at(70), 0.1, 5, NULL);

-- The definitions as plain SQL over the log (0.4.0 before the rewrite, with
-- user_feature_state's times worked out from the events).
CREATE TEMP VIEW ref_state AS
SELECT e.tenant_id, e.user_id, e.feature_id, min(e.usage_timestamp) AS activated_at,
	max(e.usage_timestamp) AS last_used_at,
	(SELECT x.usage_timestamp FROM adoption.feature_usage_events AS x
		WHERE x.tenant_id = e.tenant_id AND x.user_id = e.user_id AND x.feature_id = e.feature_id AND x.success_outcome
		ORDER BY x.usage_timestamp OFFSET 2 LIMIT 1) AS adopted_at
FROM adoption.feature_usage_events AS e
GROUP BY 1, 2, 3;

CREATE FUNCTION pg_temp.ref_attribution(model text, lookback interval)
RETURNS TABLE (tenant_id text, user_id text, feature_id text, adopted_at timestamptz,
	campaign_id text, touched_at timestamptz, credit numeric)
LANGUAGE sql STABLE AS $$
	WITH a AS (SELECT s.tenant_id, s.user_id, s.feature_id, s.adopted_at FROM ref_state AS s WHERE s.adopted_at IS NOT NULL),
	t AS (
		SELECT a.*, c.campaign_id, c.touched_at, 0 AS src, c.touch_id, NULL::uuid AS event_id
		FROM a JOIN adoption.campaign_touches AS c ON c.tenant_id = a.tenant_id
			AND (c.user_id = a.user_id OR c.user_id IS NULL)
		WHERE c.touched_at <= a.adopted_at AND c.touched_at >= a.adopted_at - lookback
		UNION ALL
		SELECT a.*, e.integration_context ->> 'campaign_influence', e.usage_timestamp, 1, NULL::bigint, e.event_id
		FROM a JOIN adoption.feature_usage_events AS e ON e.tenant_id = a.tenant_id AND e.user_id = a.user_id
		WHERE e.usage_timestamp <= a.adopted_at AND e.usage_timestamp >= a.adopted_at - lookback
			AND (e.integration_context ->> 'campaign_influence') <> ''),
	r AS (
		SELECT t.*, row_number() OVER o AS pos, count(*) OVER p AS n,
			power(2.0::double precision, -(extract(epoch FROM max(t.touched_at) OVER p - t.touched_at))::double precision / 604800.0) AS w
		FROM t
		WINDOW p AS (PARTITION BY t.tenant_id, t.user_id, t.feature_id),
			o AS (p ORDER BY t.touched_at, t.campaign_id COLLATE "C", t.src, t.touch_id, t.event_id)),
	c AS (
		SELECT r.*, CASE model
			WHEN 'first_touch' THEN CASE WHEN r.pos = 1 THEN 1.0::double precision ELSE 0.0 END
			WHEN 'last_touch' THEN CASE WHEN r.pos = r.n THEN 1.0::double precision ELSE 0.0 END
			WHEN 'linear' THEN 1.0::double precision / r.n
			WHEN 'time_decay' THEN r.w / sum(r.w) OVER (PARTITION BY r.tenant_id, r.user_id, r.feature_id)
			WHEN 'position_based' THEN CASE WHEN r.n = 1 THEN 1.0::double precision WHEN r.n = 2 THEN 0.5
				WHEN r.pos = 1 OR r.pos = r.n THEN 0.4 ELSE 0.2::double precision / (r.n - 2) END
			END AS credit
		FROM r)
	SELECT c.tenant_id, c.user_id, c.feature_id, c.adopted_at, c.campaign_id, c.touched_at, round(c.credit::numeric, 12)
	FROM c WHERE c.credit > 0
$$;

CREATE FUNCTION pg_temp.ref_lift(lookback interval)
RETURNS TABLE (campaign_id text, feature_id text, window_start timestamptz, window_end timestamptz,
	touched_users bigint, touched_adopters bigint, touched_rate numeric,
	untouched_users bigint, untouched_adopters bigint, untouched_rate numeric, rate_difference numeric, lift numeric)
LANGUAGE sql STABLE AS $$
	WITH pop AS (
		SELECT e.tenant_id, e.user_id, min(e.usage_timestamp) AS first_seen, max(e.usage_timestamp) AS last_seen
		FROM adoption.feature_usage_events AS e GROUP BY 1, 2),
	raw AS (
		SELECT c.tenant_id, c.user_id, c.campaign_id, c.touched_at FROM adoption.campaign_touches AS c
		UNION ALL
		SELECT e.tenant_id, e.user_id, e.integration_context ->> 'campaign_influence', e.usage_timestamp
		FROM adoption.feature_usage_events AS e WHERE (e.integration_context ->> 'campaign_influence') <> ''),
	camp AS (SELECT raw.campaign_id, min(raw.touched_at) AS w_start, max(raw.touched_at) + lookback AS w_end FROM raw GROUP BY 1),
	reach AS (
		SELECT p.tenant_id, p.user_id, raw.campaign_id, min(raw.touched_at) AS first_touch
		FROM raw JOIN pop AS p ON p.tenant_id = raw.tenant_id AND (raw.user_id IS NULL OR raw.user_id = p.user_id)
		GROUP BY 1, 2, 3),
	cp AS (
		SELECT camp.campaign_id, camp.w_start, camp.w_end, p.tenant_id, p.user_id, reach.first_touch
		FROM camp JOIN pop AS p ON p.first_seen <= camp.w_end AND p.last_seen >= camp.w_start
		LEFT JOIN reach ON reach.campaign_id = camp.campaign_id AND reach.tenant_id = p.tenant_id AND reach.user_id = p.user_id),
	sizes AS (
		SELECT cp.campaign_id, min(cp.w_start) AS w_start, min(cp.w_end) AS w_end,
			count(*) FILTER (WHERE cp.first_touch IS NOT NULL) AS touched, count(*) FILTER (WHERE cp.first_touch IS NULL) AS untouched
		FROM cp GROUP BY 1),
	ad AS (
		SELECT cp.campaign_id, s.feature_id,
			count(*) FILTER (WHERE cp.first_touch IS NOT NULL AND s.adopted_at < cp.first_touch) AS tb,
			count(*) FILTER (WHERE cp.first_touch IS NOT NULL AND s.adopted_at >= cp.first_touch AND s.adopted_at <= cp.first_touch + lookback) AS tc,
			count(*) FILTER (WHERE cp.first_touch IS NULL AND s.adopted_at < cp.w_start) AS ub,
			count(*) FILTER (WHERE cp.first_touch IS NULL AND s.adopted_at >= cp.w_start AND s.adopted_at <= cp.w_end) AS uc
		FROM cp JOIN ref_state AS s ON s.tenant_id = cp.tenant_id AND s.user_id = cp.user_id
		WHERE s.adopted_at IS NOT NULL GROUP BY 1, 2),
	g AS (
		SELECT ad.campaign_id, ad.feature_id, sizes.w_start, sizes.w_end, sizes.touched - ad.tb AS tu, ad.tc AS ta,
			sizes.untouched - ad.ub AS uu, ad.uc AS ua,
			ad.tc::double precision / NULLIF(sizes.touched - ad.tb, 0) AS tr, ad.uc::double precision / NULLIF(sizes.untouched - ad.ub, 0) AS ur
		FROM ad JOIN sizes ON sizes.campaign_id = ad.campaign_id)
	SELECT g.campaign_id, g.feature_id, g.w_start, g.w_end, g.tu, g.ta, round(g.tr::numeric, 12), g.uu, g.ua, round(g.ur::numeric, 12),
		round((g.tr - g.ur)::numeric, 12), round((g.tr / NULLIF(g.ur, 0) - 1)::numeric, 12)
	FROM g
$$;

CREATE TEMP VIEW ref_launch AS
SELECT l.launch_id, l.feature_id, l.launched_at, l.launched_at + l.target_days * interval '24 hours' AS target_at,
	u.users_activated_7d, u.users_activated_30d, u.users_activated_90d,
	tn.tenants_activated_7d, tn.tenants_activated_30d, tn.tenants_activated_90d,
	a.tenants_active, a.tenants_adopted, round((a.tenants_adopted::double precision / NULLIF(a.tenants_active, 0))::numeric, 12) AS adoption_rate,
	u.median_time_to_activation,
	CASE WHEN now() < l.launched_at + l.target_days * interval '24 hours' THEN NULL
		ELSE a.tenants_active > 0 AND a.tenants_adopted::numeric >= l.target_adoption::numeric * a.tenants_active END AS target_met,
	a.users_active, a.users_adopted, round((a.users_adopted::double precision / NULLIF(a.users_active, 0))::numeric, 12) AS user_adoption_rate
FROM adoption.launches AS l
CROSS JOIN LATERAL (
	SELECT count(*) FILTER (WHERE s.activated_at >= l.launched_at AND s.activated_at < l.launched_at + interval '168 hours') AS users_activated_7d,
		count(*) FILTER (WHERE s.activated_at >= l.launched_at AND s.activated_at < l.launched_at + interval '720 hours') AS users_activated_30d,
		count(*) FILTER (WHERE s.activated_at >= l.launched_at AND s.activated_at < l.launched_at + interval '2160 hours') AS users_activated_90d,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY s.activated_at - l.launched_at) FILTER (WHERE s.activated_at >= l.launched_at) AS median_time_to_activation
	FROM ref_state AS s WHERE s.feature_id = l.feature_id) AS u
CROSS JOIN LATERAL (
	SELECT count(*) FILTER (WHERE t.fa >= l.launched_at AND t.fa < l.launched_at + interval '168 hours') AS tenants_activated_7d,
		count(*) FILTER (WHERE t.fa >= l.launched_at AND t.fa < l.launched_at + interval '720 hours') AS tenants_activated_30d,
		count(*) FILTER (WHERE t.fa >= l.launched_at AND t.fa < l.launched_at + interval '2160 hours') AS tenants_activated_90d
	FROM (SELECT s.tenant_id, min(s.activated_at) AS fa FROM ref_state AS s WHERE s.feature_id = l.feature_id GROUP BY 1) AS t) AS tn
CROSS JOIN LATERAL (
	SELECT count(*) AS tenants_active,
		count(*) FILTER (WHERE EXISTS (SELECT 1 FROM ref_state AS s WHERE s.tenant_id = w.tenant_id AND s.feature_id = l.feature_id
			AND s.adopted_at < l.launched_at + l.target_days * interval '24 hours')) AS tenants_adopted,
		coalesce(sum(w.users), 0)::bigint AS users_active, coalesce(sum(w.adopters), 0)::bigint AS users_adopted
	FROM (SELECT x.tenant_id, count(*) AS users,
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM ref_state AS s WHERE s.tenant_id = x.tenant_id AND s.feature_id = l.feature_id
				AND s.user_id = x.user_id AND s.adopted_at < l.launched_at + l.target_days * interval '24 hours')) AS adopters
		FROM (SELECT DISTINCT e.tenant_id, e.user_id FROM adoption.feature_usage_events AS e
			WHERE e.usage_timestamp >= l.launched_at AND e.usage_timestamp < l.launched_at + l.target_days * interval '24 hours') AS x
		GROUP BY 1) AS w) AS a;

CREATE TEMP VIEW got_launch AS
SELECT p.launch_id, p.feature_id, p.launched_at, p.target_at, p.users_activated_7d, p.users_activated_30d, p.users_activated_90d,
	p.tenants_activated_7d, p.tenants_activated_30d, p.tenants_activated_90d, p.tenants_active, p.tenants_adopted,
	round(p.adoption_rate::numeric, 12) AS adoption_rate, p.median_time_to_activation, p.target_met,
	p.users_active, p.users_adopted, round(p.user_adoption_rate::numeric, 12) AS user_adoption_rate
FROM adoption.launch_performance AS p;

CREATE FUNCTION pg_temp.got_lift(lookback interval) RETURNS SETOF record LANGUAGE sql STABLE AS $$
	SELECT l.campaign_id, l.feature_id, l.window_start, l.window_end, l.touched_users, l.touched_adopters,
		round(l.touched_rate::numeric, 12), l.untouched_users, l.untouched_adopters, round(l.untouched_rate::numeric, 12),
		round(l.rate_difference::numeric, 12), round(l.lift::numeric, 12)
	FROM adoption.campaign_lift(lookback) AS l
$$;

-- The snapshot views, rounded like the references.
CREATE TEMP VIEW snap_attribution AS
SELECT s.tenant_id, s.user_id, s.feature_id, s.adopted_at, s.campaign_id, s.touched_at, s.credit FROM adoption.campaign_attribution_snapshot AS s;
CREATE TEMP VIEW snap_lift AS
SELECT l.campaign_id, l.feature_id, l.window_start, l.window_end, l.touched_users, l.touched_adopters,
	round(l.touched_rate::numeric, 12) AS touched_rate, l.untouched_users, l.untouched_adopters, round(l.untouched_rate::numeric, 12) AS untouched_rate,
	round(l.rate_difference::numeric, 12) AS rate_difference, round(l.lift::numeric, 12) AS lift
FROM adoption.campaign_lift_snapshot AS l;
CREATE TEMP VIEW snap_launch AS
SELECT p.launch_id, p.feature_id, p.launched_at, p.target_at, p.users_activated_7d, p.users_activated_30d, p.users_activated_90d,
	p.tenants_activated_7d, p.tenants_activated_30d, p.tenants_activated_90d, p.tenants_active, p.tenants_adopted,
	round(p.adoption_rate::numeric, 12) AS adoption_rate, p.median_time_to_activation, p.target_met,
	p.users_active, p.users_adopted, round(p.user_adoption_rate::numeric, 12) AS user_adoption_rate
FROM adoption.launch_performance_snapshot AS p;

-- The snapshots against the definitions, and their computed_at and partial.
CREATE FUNCTION pg_temp.snapshot_checks(phase text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
	RETURN NEXT bag_eq('SELECT * FROM snap_attribution',
		'SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at, a.campaign_id, a.touched_at, a.credit::double precision
		FROM pg_temp.ref_attribution(''last_touch'', ''30 days'') AS a',
		phase || ': campaign_attribution_snapshot as defined');
	RETURN NEXT bag_eq('SELECT * FROM snap_lift', 'SELECT * FROM pg_temp.ref_lift(''30 days'')',
		phase || ': campaign_lift_snapshot as defined');
	RETURN NEXT bag_eq('SELECT * FROM snap_launch', 'SELECT * FROM ref_launch', phase || ': launch_performance_snapshot as defined');
	RETURN NEXT ok((SELECT bool_and(l.computed_at = now() AND l.partial = (l.window_end > now())) FROM adoption.campaign_lift_snapshot AS l)
			AND (SELECT bool_and(p.computed_at = now() AND p.partial = (p.target_at > now()) AND (p.partial = (p.target_met IS NULL)))
				FROM adoption.launch_performance_snapshot AS p)
			AND (SELECT bool_and(a.computed_at = now()) FROM adoption.campaign_attribution_snapshot AS a),
		phase || ': computed_at is the run''s time; partial while the window or target date is ahead');
END
$$;

SELECT is((SELECT count(*) FROM adoption.campaign_attribution_snapshot) + (SELECT count(*) FROM adoption.campaign_lift_snapshot)
		+ (SELECT count(*) FROM adoption.launch_performance_snapshot), 0::bigint,
	'the snapshot views are empty before the first snapshot_campaigns() run');

-- Batch 1, then the same checks after batch 2 (late events).
CREATE FUNCTION pg_temp.checks(phase text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	m text;
BEGIN
	FOREACH m IN ARRAY ARRAY['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based'] LOOP
		RETURN NEXT bag_eq(format('SELECT tenant_id, user_id, feature_id, adopted_at, campaign_id, touched_at, round(credit::numeric, 12)
				FROM adoption.attribution(%L, %L)', m, CASE WHEN m = 'linear' THEN '10 days' ELSE '30 days' END),
			format('SELECT * FROM pg_temp.ref_attribution(%L, %L)', m, CASE WHEN m = 'linear' THEN '10 days' ELSE '30 days' END),
			phase || ': attribution(''' || m || ''') as defined');
	END LOOP;
	RETURN NEXT bag_eq('SELECT * FROM adoption.campaign_attribution',
		'SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at, a.campaign_id, a.touched_at, a.credit::double precision
		FROM pg_temp.ref_attribution(''last_touch'', ''30 days'') AS a',
		phase || ': campaign_attribution as defined');
	RETURN NEXT bag_eq('SELECT * FROM pg_temp.got_lift(''30 days'') AS (a text, b text, c timestamptz, d timestamptz, e bigint, f bigint, g numeric, h bigint, i bigint, j numeric, k numeric, l numeric)',
		'SELECT * FROM pg_temp.ref_lift(''30 days'')', phase || ': campaign_lift() as defined');
	RETURN NEXT bag_eq('SELECT * FROM pg_temp.got_lift(''7 days'') AS (a text, b text, c timestamptz, d timestamptz, e bigint, f bigint, g numeric, h bigint, i bigint, j numeric, k numeric, l numeric)',
		'SELECT * FROM pg_temp.ref_lift(''7 days'')', phase || ': campaign_lift(''7 days'') as defined');
	RETURN NEXT bag_eq('SELECT * FROM got_launch', 'SELECT * FROM ref_launch', phase || ': launch_performance as defined');
	PERFORM adoption.snapshot_campaigns();
	RETURN QUERY SELECT * FROM pg_temp.snapshot_checks(phase || ', snapshot');
END
$$;

INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome, integration_context)
SELECT tenant_id, user_id, feature_id, ts, ok, ctx FROM ev WHERE NOT late ORDER BY ts;
SELECT * FROM pg_temp.checks('batch 1');
CREATE TEMP TABLE kept_attribution AS SELECT * FROM snap_attribution;
CREATE TEMP TABLE kept_lift AS SELECT * FROM snap_lift;
CREATE TEMP TABLE kept_launch AS SELECT * FROM snap_launch;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome, integration_context)
SELECT tenant_id, user_id, feature_id, ts, ok, ctx FROM ev WHERE late ORDER BY ts;
-- Until the next run the snapshots keep batch 1's answers, which the late events changed.
SELECT bag_eq('SELECT * FROM snap_attribution', 'SELECT * FROM kept_attribution', 'between runs: campaign_attribution_snapshot as of the last run');
SELECT bag_eq('SELECT * FROM snap_lift', 'SELECT * FROM kept_lift', 'between runs: campaign_lift_snapshot as of the last run');
SELECT bag_eq('SELECT * FROM snap_launch', 'SELECT * FROM kept_launch', 'between runs: launch_performance_snapshot as of the last run');
SELECT ok(EXISTS (SELECT * FROM kept_attribution EXCEPT SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at, a.campaign_id, a.touched_at,
			a.credit::double precision FROM pg_temp.ref_attribution('last_touch', '30 days') AS a)
		AND EXISTS (SELECT * FROM kept_lift EXCEPT SELECT * FROM pg_temp.ref_lift('30 days'))
		AND EXISTS (SELECT * FROM kept_launch EXCEPT SELECT * FROM ref_launch),
	'the late events change all three (so the checks after the next run can fail)');
SELECT * FROM pg_temp.checks('batch 2 (late events)');

-- The data exercise what the rewrite relies on.
SELECT ok((SELECT count(*) FROM adoption.attribution('last_touch')) > 50
		AND (SELECT count(DISTINCT campaign_id) FROM adoption.attribution('linear', '10 days')) >= 4
		AND (SELECT count(*) FROM adoption.campaign_lift()) > 10,
	'attribution and lift have rows for several campaigns');
SELECT is(ARRAY(SELECT x.user_id FROM adoption.users_active_between(pg_temp.at(20), pg_temp.at(40)) AS x
		WHERE x.tenant_id = 't7' ORDER BY 1), '{edge,mid}',
	'users_active_between: mid (only the log tells) and edge (a last use at the start) are active, gap is not');
SELECT ok((SELECT count(*) FROM adoption.launches AS l
		CROSS JOIN LATERAL adoption.users_active_between(l.launched_at, l.launched_at + l.target_days * interval '1 day') AS x) > 100,
	'the launches have active users to count');
SELECT is((SELECT count(*) FROM pg_inherits AS i
		WHERE i.inhparent = 'adoption.feature_usage_events'::regclass
			AND NOT EXISTS (SELECT 1 FROM pg_index AS x JOIN pg_class AS c ON c.oid = x.indexrelid
				WHERE x.indrelid = i.inhrelid AND c.relname LIKE '%\_campaign\_influence')), 0::bigint,
	'every partition of the event log has the campaign_influence index');

-- A reader limited to tenant t1: its own attribution rows from the snapshot,
-- lift and launch figures of its own rows computed live.
SELECT set_config('adoption.tenant_id', 't1', true);
CREATE TEMP TABLE t1_live_attribution AS SELECT * FROM adoption.campaign_attribution WHERE false;
CREATE TEMP TABLE t1_live_lift AS SELECT * FROM adoption.campaign_lift() WHERE false;
CREATE TEMP TABLE t1_live_launch AS SELECT * FROM adoption.launch_performance WHERE false;
GRANT ALL ON t1_live_attribution, t1_live_lift, t1_live_launch TO adoption_tenant;
SET LOCAL ROLE adoption_tenant;
INSERT INTO t1_live_attribution SELECT * FROM adoption.campaign_attribution;
INSERT INTO t1_live_lift SELECT * FROM adoption.campaign_lift();
INSERT INTO t1_live_launch SELECT * FROM adoption.launch_performance;
CREATE TEMP TABLE t1_snap_attribution AS SELECT * FROM adoption.campaign_attribution_snapshot;
CREATE TEMP TABLE t1_snap_lift AS SELECT * FROM adoption.campaign_lift_snapshot;
CREATE TEMP TABLE t1_snap_launch AS SELECT * FROM adoption.launch_performance_snapshot;
RESET ROLE;
SELECT ok((SELECT count(*) FROM t1_live_attribution) > 5 AND (SELECT count(*) FROM t1_live_lift) > 2
		AND (SELECT bool_and(tenant_id = 't1') FROM t1_snap_attribution)
		AND (SELECT sum(users_active) FROM t1_live_launch) < (SELECT sum(users_active) FROM adoption.launch_performance),
	'as adoption_tenant for t1: its own rows only, and some');
SELECT bag_eq('SELECT tenant_id, user_id, feature_id, adopted_at, campaign_id, touched_at, credit FROM t1_snap_attribution',
	'SELECT * FROM t1_live_attribution', 'as adoption_tenant: campaign_attribution_snapshot holds the tenant''s rows of campaign_attribution');
SELECT bag_eq('SELECT campaign_id, feature_id, window_start, window_end, touched_users, touched_adopters, touched_rate, untouched_users,
		untouched_adopters, untouched_rate, rate_difference, lift FROM t1_snap_lift', 'SELECT * FROM t1_live_lift',
	'as adoption_tenant: campaign_lift_snapshot is campaign_lift() of the tenant''s rows');
SELECT bag_eq('SELECT launch_id, feature_id, feature_name, campaign_id, launched_at, target_adoption, target_days, target_at,
		users_activated_7d, users_activated_30d, users_activated_90d, tenants_activated_7d, tenants_activated_30d, tenants_activated_90d,
		tenants_active, tenants_adopted, adoption_rate, median_time_to_activation, target_met, users_active, users_adopted,
		user_adoption_rate, median_days_to_activation FROM t1_snap_launch', 'SELECT * FROM t1_live_launch',
	'as adoption_tenant: launch_performance_snapshot is launch_performance of the tenant''s rows');

-- A role limited to a tenant may not write the snapshots, even if granted the function.
GRANT EXECUTE ON FUNCTION adoption.snapshot_campaigns() TO adoption_tenant;
SET LOCAL ROLE adoption_tenant;
SELECT throws_ok('SELECT adoption.snapshot_campaigns()', '42501',
	'adoption.snapshot_campaigns() must see every tenant''s rows, and role adoption_tenant sees only some',
	'snapshot_campaigns() refuses a reader limited to a tenant');
RESET ROLE;

-- forget_user() recomputes the snapshots: none of the user's rows is left.
SELECT ok((SELECT count(*) FROM adoption.campaign_attribution_snapshot WHERE tenant_id = 't1' AND user_id = 'u1') > 0,
	'u1 of t1 has attribution snapshot rows before forget_user()');
SELECT ok(adoption.forget_user('t1', 'u1') IS NOT NULL, 'forget_user(''t1'', ''u1'')');
SELECT bag_eq('SELECT * FROM snap_attribution',
	'SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at, a.campaign_id, a.touched_at, a.credit::double precision
	FROM pg_temp.ref_attribution(''last_touch'', ''30 days'') AS a',
	'after forget_user(): campaign_attribution_snapshot as defined, without the user');

SELECT * FROM finish();
ROLLBACK;
