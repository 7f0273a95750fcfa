-- test/reference/analytics_oracle.sql: the product analytics in plain SQL,
-- written from the published definitions as docs/reference.md states them
-- (PostHog's lifecycle and stickiness, Amplitude's N-day and unbounded
-- retention, Pendo's PES), not from the implementation: schema oracle, with
-- the signatures of adoption.retention, lifecycle, stickiness, pes and
-- feature_retention.  Reads the events from gen.events
-- (test/reference/analytics_events.sql), the catalog from adoption.features,
-- adoption times from adoption.user_feature_state / tenant_feature_state
-- (checked by test/reference/definitions.sql) and tenants.created_at.
-- Periods are UTC: a time's day is (t AT TIME ZONE 'UTC')::date, whatever
-- the session's TimeZone.
CREATE SCHEMA oracle;

-- The start of the period holding time t (UTC).
CREATE FUNCTION oracle.pstart(period text, t timestamptz) RETURNS date LANGUAGE sql IMMUTABLE
RETURN date_trunc(period, t AT TIME ZONE 'UTC')::date;

-- The periods of the range widened to whole periods, numbered from 0; with
-- before, the period before the range too (number -1).
CREATE FUNCTION oracle.periods(period text, f date, t date, before boolean DEFAULT false)
RETURNS TABLE (k integer, ps date, pe date) LANGUAGE sql STABLE AS $$
	SELECT (row_number() OVER (ORDER BY g))::integer - 1 - before::integer, g::date, (g + ('1 ' || period)::interval)::date
	FROM generate_series(date_trunc(period, f::timestamp) - CASE WHEN before THEN ('1 ' || period)::interval ELSE interval '0' END,
		date_trunc(period, t::timestamp), ('1 ' || period)::interval) AS g
$$;

-- Every event of the selection as (actor, time).
CREATE FUNCTION oracle.acts(actor text, feature text, tenant text)
RETURNS TABLE (a text, ts timestamptz) LANGUAGE sql STABLE AS $$
	SELECT CASE actor WHEN 'user' THEN e.tenant_id || '/' || e.user_id ELSE e.tenant_id END, e.usage_timestamp
	FROM gen.events AS e
	WHERE (feature IS NULL OR e.feature_id = feature) AND (tenant IS NULL OR e.tenant_id = tenant)
$$;

-- Active (actor, period number) pairs of the range (and the period before).
CREATE FUNCTION oracle.active(actor text, feature text, period text, f date, t date, tenant text, before boolean DEFAULT false)
RETURNS TABLE (a text, k integer) LANGUAGE sql STABLE AS $$
	SELECT DISTINCT x.a, p.k FROM oracle.acts(actor, feature, tenant) AS x
	JOIN oracle.periods(period, f, t, before) AS p ON p.ps = oracle.pstart(period, x.ts)
$$;

-- Retention: cohort = first active period in the range; retained in N when
-- active in cohort + N ('on') or in cohort + N or later ('on_or_after').
CREATE FUNCTION oracle.retention(actor text, feature text, period text, f date, t date, tenant text, mode text)
RETURNS TABLE (cohort_start date, cohort_size bigint, period_number integer, retained bigint, rate float8)
LANGUAGE sql STABLE AS $$
	WITH p AS (SELECT * FROM oracle.periods(period, f, t)),
	act AS MATERIALIZED (SELECT * FROM oracle.active(actor, feature, period, f, t, tenant)),
	coh AS MATERIALIZED (SELECT act.a, min(act.k) AS c, max(act.k) AS m FROM act GROUP BY act.a),
	sizes AS (SELECT coh.c, count(*) AS n FROM coh GROUP BY coh.c),
	grid AS (SELECT s.c, s.n, nn FROM sizes AS s, generate_series(0, (SELECT max(p.k) FROM p) - s.c) AS nn),
	-- 'on': the actor's active periods, N after its cohort; 'on_or_after': every
	-- N up to its last active period.
	hits AS (
		SELECT coh.c, act.k - coh.c AS nn, count(*) AS r FROM coh JOIN act ON act.a = coh.a
		WHERE mode = 'on' GROUP BY 1, 2
		UNION ALL
		SELECT coh.c, g.nn, count(*) FROM coh, generate_series(0, coh.m - coh.c) AS g (nn)
		WHERE mode = 'on_or_after' GROUP BY 1, 2)
	SELECT p.ps, g.n, g.nn, coalesce(h.r, 0), coalesce(h.r, 0)::float8 / g.n
	FROM grid AS g JOIN p ON p.k = g.c LEFT JOIN hits AS h ON h.c = g.c AND h.nn = g.nn
	-- Observable: period cohort + N has begun (UTC today).
	WHERE (SELECT q.ps FROM p AS q WHERE q.k = g.c + g.nn) <= (now() AT TIME ZONE 'UTC')::date
$$;

-- When each actor was first seen: a user's first use (of the feature, or of
-- any feature), a tenant's first use by any user, over all features the
-- earlier of that and tenants.created_at.  All events count, also those
-- outside the range.
CREATE FUNCTION oracle.first_seen(actor text, feature text, tenant text)
RETURNS TABLE (a text, fs timestamptz) LANGUAGE sql STABLE AS $$
	SELECT x.a, CASE WHEN actor = 'tenant' AND feature IS NULL
			THEN least(min(x.ts), (SELECT tn.created_at FROM adoption.tenants AS tn WHERE tn.tenant_id = x.a))
			ELSE min(x.ts) END
	FROM oracle.acts(actor, feature, tenant) AS x GROUP BY x.a
$$;

-- Lifecycle (PostHog): four rows per period, dormant negative.
CREATE FUNCTION oracle.lifecycle(actor text, feature text, period text, f date, t date, tenant text)
RETURNS TABLE (period_start date, status text, actors bigint) LANGUAGE sql STABLE AS $$
	WITH p AS MATERIALIZED (SELECT * FROM oracle.periods(period, f, t)),
	act AS MATERIALIZED (SELECT * FROM oracle.active(actor, feature, period, f, t, tenant, true)),
	fs AS MATERIALIZED (SELECT s.a, oracle.pstart(period, s.fs) AS fsp FROM oracle.first_seen(actor, feature, tenant) AS s),
	-- (actor, period) with activity in the period or the one before.
	pairs AS (SELECT DISTINCT act.a, x.k FROM act, LATERAL (VALUES (act.k), (act.k + 1)) AS x (k)
		WHERE x.k BETWEEN 0 AND (SELECT max(p.k) FROM p)),
	cls AS (
		SELECT p.ps, CASE
				WHEN cur.a IS NOT NULL AND fs.fsp = p.ps THEN 'new'
				WHEN cur.a IS NOT NULL AND prev.a IS NOT NULL THEN 'returning'
				WHEN cur.a IS NOT NULL THEN 'resurrecting'
				ELSE 'dormant' END AS status
		FROM pairs JOIN p ON p.k = pairs.k
		LEFT JOIN act AS cur ON cur.a = pairs.a AND cur.k = pairs.k
		LEFT JOIN act AS prev ON prev.a = pairs.a AND prev.k = pairs.k - 1
		LEFT JOIN fs ON fs.a = pairs.a),
	n AS (SELECT cls.ps, cls.status, count(*) AS c FROM cls GROUP BY 1, 2)
	-- A period that begins after today (UTC) has not happened: zeros.
	SELECT p.ps, s.status, CASE WHEN p.ps <= (now() AT TIME ZONE 'UTC')::date THEN coalesce(n.c, 0) ELSE 0 END
			* CASE s.status WHEN 'dormant' THEN -1 ELSE 1 END
	FROM p CROSS JOIN (VALUES ('new'), ('returning'), ('resurrecting'), ('dormant')) AS s (status)
	LEFT JOIN n ON n.ps = p.ps AND n.status = s.status
$$;

-- Stickiness: per day DAU / MAU (30 days ending that day), per period the
-- mean over its days with MAU > 0 (and not after today, UTC);
-- active_days[k] = actors active on exactly k days of the period.
CREATE FUNCTION oracle.stickiness(actor text, feature text, period text, f date, t date, tenant text)
RETURNS TABLE (period_start date, dau_mau float8, active_actors bigint, active_days bigint[]) LANGUAGE sql STABLE AS $$
	WITH p AS MATERIALIZED (SELECT * FROM oracle.periods(period, f, t)),
	days AS MATERIALIZED (SELECT DISTINCT x.a, (x.ts AT TIME ZONE 'UTC')::date AS d FROM oracle.acts(actor, feature, tenant) AS x),
	cal AS MATERIALIZED (SELECT g::date AS d FROM generate_series((SELECT min(p.ps) FROM p)::timestamp, (SELECT max(p.pe) FROM p) - 1, interval '1 day') AS g),
	dau AS (SELECT days.d, count(*) AS n FROM days GROUP BY 1),
	mau AS (SELECT cal.d, count(DISTINCT days.a) AS n FROM cal JOIN days ON days.d BETWEEN cal.d - 29 AND cal.d GROUP BY 1),
	ratio AS (SELECT mau.d, coalesce(dau.n, 0)::float8 / mau.n AS r FROM mau LEFT JOIN dau ON dau.d = mau.d
		WHERE mau.n > 0 AND mau.d <= (now() AT TIME ZONE 'UTC')::date),
	per AS (SELECT p.ps, days.a, count(*) AS n FROM p JOIN days ON days.d >= p.ps AND days.d < p.pe GROUP BY p.ps, days.a),
	hist AS (SELECT per.ps, per.n, count(*) AS c FROM per GROUP BY 1, 2)
	SELECT p.ps,
		(SELECT avg(ratio.r) FROM ratio WHERE ratio.d >= p.ps AND ratio.d < p.pe),
		coalesce((SELECT sum(hist.c)::bigint FROM hist WHERE hist.ps = p.ps), 0),
		(SELECT array_agg(coalesce(hist.c, 0) ORDER BY kk) FROM generate_series(1, p.pe - p.ps) AS kk
			LEFT JOIN hist ON hist.ps = p.ps AND hist.n = kk)
	FROM p
$$;

-- Adoption times by actor and feature: a user's adopted_at, a tenant's feature_adopted_at.
CREATE FUNCTION oracle.adopted(actor text)
RETURNS TABLE (a text, feature_id text, adopted_at timestamptz) LANGUAGE sql STABLE AS $$
	SELECT s.tenant_id || '/' || s.user_id, s.feature_id, s.adopted_at
	FROM adoption.user_feature_state AS s WHERE actor = 'user' AND s.adopted_at IS NOT NULL
	UNION ALL
	SELECT s.tenant_id, s.feature_id, s.feature_adopted_at
	FROM adoption.tenant_feature_state AS s WHERE actor = 'tenant' AND s.feature_adopted_at IS NOT NULL
$$;

-- PES (Pendo): adoption = mean over the actors active (any feature) of the
-- share of core features (launched by the period's end) adopted by the
-- period's end; with a feature, the share of those actors who adopted it;
-- stickiness = dau_mau x 100; growth = (new + resurrecting) / (new +
-- resurrecting + dormant) x 100; score = mean of the parts present.
CREATE FUNCTION oracle.pes(actor text, feature text, period text, f date, t date, tenant text)
RETURNS TABLE (period_start date, active_actors bigint, adoption float8, stickiness float8, growth float8, score float8)
LANGUAGE sql STABLE AS $$
	WITH p AS (SELECT * FROM oracle.periods(period, f, t)),
	anyact AS MATERIALIZED (SELECT * FROM oracle.active(actor, NULL, period, f, t, tenant)),
	core AS (SELECT p.k, fe.feature_id FROM p JOIN adoption.features AS fe ON fe.tier = 'core'
		AND (fe.launched_at IS NULL OR fe.launched_at < p.pe::timestamp AT TIME ZONE 'UTC')),
	ad AS MATERIALIZED (SELECT * FROM oracle.adopted(actor)),
	-- Per active actor and period: core features adopted by the period's end
	-- (or the given feature), and the core features there are.
	got AS (SELECT aa.k, aa.a, count(*) AS n FROM anyact AS aa JOIN p ON p.k = aa.k
		JOIN ad ON ad.a = aa.a AND ad.adopted_at < p.pe::timestamp AT TIME ZONE 'UTC'
		WHERE CASE WHEN feature IS NULL THEN EXISTS (SELECT 1 FROM core WHERE core.k = aa.k AND core.feature_id = ad.feature_id)
			ELSE ad.feature_id = feature END
		GROUP BY 1, 2),
	ncore AS (SELECT p.k, (SELECT count(*) FROM core WHERE core.k = p.k) AS n FROM p),
	share AS (SELECT aa.k, aa.a, coalesce(got.n, 0)::float8 / CASE WHEN feature IS NULL THEN nullif(ncore.n, 0) ELSE 1 END AS s
		FROM anyact AS aa JOIN ncore ON ncore.k = aa.k LEFT JOIN got ON got.k = aa.k AND got.a = aa.a),
	st AS (SELECT * FROM oracle.stickiness(actor, feature, period, f, t, tenant)),
	lc AS (SELECT l.period_start, sum(abs(l.actors)) FILTER (WHERE l.status IN ('new', 'resurrecting')) AS up,
			sum(abs(l.actors)) FILTER (WHERE l.status = 'dormant') AS down
		FROM oracle.lifecycle(actor, feature, period, f, t, tenant) AS l GROUP BY 1),
	parts AS (
		SELECT p.ps, st.active_actors,
			100 * (SELECT avg(share.s) FROM share WHERE share.k = p.k) AS adoption,
			100 * st.dau_mau AS stickiness,
			100 * lc.up::float8 / nullif(lc.up + lc.down, 0) AS growth
		FROM p JOIN st ON st.period_start = p.ps JOIN lc ON lc.period_start = p.ps)
	SELECT parts.*, (SELECT avg(v) FROM (VALUES (parts.adoption), (parts.stickiness), (parts.growth)) AS x (v))
	FROM parts
$$;

-- Feature retention (Compass): actors active in the range on any feature,
-- cohort = first active period, counted when cohort + n is in the range,
-- retained when active then; adopters of F = counted actors who adopted F
-- by the end of their cohort period.
CREATE FUNCTION oracle.feature_retention(actor text, feature text, period text, f date, t date, tenant text, n integer)
RETURNS TABLE (feature text, adopters bigint, adopters_retained bigint, adopter_rate float8,
	non_adopters bigint, non_adopters_retained bigint, non_adopter_rate float8, lift float8)
LANGUAGE sql STABLE AS $$
	WITH p AS (SELECT * FROM oracle.periods(period, f, t)),
	act AS MATERIALIZED (SELECT * FROM oracle.active(actor, NULL, period, f, t, tenant)),
	coh AS (SELECT act.a, min(act.k) AS c FROM act GROUP BY act.a),
	counted AS MATERIALIZED (SELECT coh.a, coh.c, EXISTS (SELECT 1 FROM act WHERE act.a = coh.a AND act.k = coh.c + n) AS kept,
			(SELECT p.pe FROM p WHERE p.k = coh.c)::timestamp AT TIME ZONE 'UTC' AS cohort_end
		FROM coh WHERE coh.c + n <= (SELECT max(p.k) FROM p)
			AND (SELECT p.ps FROM p WHERE p.k = coh.c + n) <= (now() AT TIME ZONE 'UTC')::date),
	ad AS MATERIALIZED (SELECT * FROM oracle.adopted(actor)),
	fx AS (SELECT fe.feature_id FROM adoption.features AS fe WHERE feature IS NULL OR fe.feature_id = feature),
	g AS (
		SELECT fx.feature_id,
			count(*) FILTER (WHERE ad.a IS NOT NULL) AS a_n, count(*) FILTER (WHERE ad.a IS NOT NULL AND c.kept) AS a_k,
			count(*) FILTER (WHERE ad.a IS NULL) AS o_n, count(*) FILTER (WHERE ad.a IS NULL AND c.kept) AS o_k
		FROM fx CROSS JOIN counted AS c
		LEFT JOIN ad ON ad.a = c.a AND ad.feature_id = fx.feature_id AND ad.adopted_at < c.cohort_end
		GROUP BY fx.feature_id)
	SELECT g.feature_id, g.a_n, g.a_k, g.a_k::float8 / nullif(g.a_n, 0), g.o_n, g.o_k, g.o_k::float8 / nullif(g.o_n, 0),
		(g.a_k::float8 / nullif(g.a_n, 0)) / nullif(g.o_k::float8 / nullif(g.o_n, 0), 0)
	FROM g WHERE g.a_n > 0
$$;
