/*
 * analytics.sql: product analytics (docs/design.md §7) for users or tenants,
 * per feature or over all features, by UTC day, ISO week or calendar month.
 *
 *   retention()          cohort retention, "on" and "on or after";
 *   lifecycle()          new, returning, resurrecting and dormant actors;
 *   stickiness()         DAU/MAU and actors by number of active days;
 *   pes()                product engagement score: adoption, stickiness, growth;
 *   feature_retention()  retention of a feature's adopters against the rest.
 *
 * The definitions are those Amplitude, Mixpanel and PostHog publish (each
 * function's comment says which).  Common arguments: actor 'user' (a
 * (tenant_id, user_id) pair: user ids are unique only within a tenant) or
 * 'tenant' (active when any of its users is); feature_id NULL for any
 * feature; period 'day', 'week' (ISO, from Monday) or 'month', all in UTC;
 * from_date and to_date, both included and widened to whole periods (a
 * weekly range starts on the Monday of from_date's week and ends on the
 * Sunday of to_date's); tenant_id restricts to one tenant.
 *
 * The hot loops are C aggregates (src/analytics.c): active_periods() folds
 * an actor's events into a bitmap of its active periods, and
 * retention_matrix(), lifecycle_counts() and stickiness_counts() fold the
 * bitmaps of all actors into counts.  Their states are SQL types (bit
 * varying, bigint[]), so they run in parallel plans without serial
 * functions.  Every function runs with TimeZone UTC and a custom plan per
 * call (so that the actor and feature tests fold away and the partitions
 * outside the range are pruned at plan time).
 */

/* Returns the index of ts's period counted from origin's period (negative before it). */
CREATE FUNCTION adoption.period_index(ts timestamptz, origin date, period text)
RETURNS integer
AS 'MODULE_PATHNAME', 'adoption_period_index'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION adoption.period_index(timestamptz, date, text) IS 'Index of the UTC day, ISO week or month of ts, counted from the period of origin (0)';

/* Returns the first day of period k counted from origin (a period start). */
CREATE FUNCTION adoption.period_start(origin date, period text, k integer)
RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE period
		WHEN 'day' THEN origin + k
		WHEN 'week' THEN origin + 7 * k
		WHEN 'month' THEN (origin::timestamp + pg_catalog.make_interval(months => k))::date
	END
$$;
COMMENT ON FUNCTION adoption.period_start(date, text, integer) IS 'First day of the k-th day, week or month after origin (origin must start a period)';

CREATE FUNCTION adoption.active_periods_transfn(varbit, timestamptz, date, text, integer)
RETURNS varbit
AS 'MODULE_PATHNAME', 'adoption_active_periods_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION adoption.active_periods_combinefn(varbit, varbit)
RETURNS varbit
AS 'MODULE_PATHNAME', 'adoption_active_periods_combinefn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE adoption.active_periods(ts timestamptz, origin date, period text, n integer) (
	SFUNC = adoption.active_periods_transfn,
	STYPE = varbit,
	SSPACE = 64,	-- a few dozen bytes: lets the planner hash the actors
	COMBINEFUNC = adoption.active_periods_combinefn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE adoption.active_periods(timestamptz, date, text, integer) IS 'Bitmap of n bits: bit i is set when some ts falls in the i-th period (day, week, month, UTC) from origin';

CREATE FUNCTION adoption.retention_matrix_transfn(bigint[], varbit, boolean)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'adoption_retention_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION adoption.retention_matrix_combinefn(bigint[], bigint[])
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'adoption_retention_combinefn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE adoption.retention_matrix(bits varbit, on_or_after boolean) (
	SFUNC = adoption.retention_matrix_transfn,
	STYPE = bigint[],
	COMBINEFUNC = adoption.retention_matrix_combinefn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE adoption.retention_matrix(varbit, boolean) IS 'Cohort matrix of active_periods bitmaps: {n, on_or_after, then per cohort c the actors active in period c + k (or later), k = 0..n-1-c}';

CREATE FUNCTION adoption.retention_rows(matrix bigint[],
	OUT cohort integer, OUT cohort_size bigint, OUT period_number integer, OUT retained bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'adoption_retention_rows'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION adoption.retention_rows(bigint[]) IS 'The cells of a retention_matrix, one row per non-empty cohort and period number';

CREATE FUNCTION adoption.lifecycle_counts_transfn(bigint[], varbit, integer)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'adoption_lifecycle_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION adoption.lifecycle_counts_combinefn(bigint[], bigint[])
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'adoption_lifecycle_combinefn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE adoption.lifecycle_counts(bits varbit, first_seen integer) (
	SFUNC = adoption.lifecycle_counts_transfn,
	STYPE = bigint[],
	COMBINEFUNC = adoption.lifecycle_counts_combinefn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE adoption.lifecycle_counts(varbit, integer) IS 'Lifecycle counts of n + 1 bit active_periods bitmaps (bit 0 = the period before the range) and first-seen period indexes: {n, new[n], returning[n], resurrecting[n], dormant[n]}';

CREATE FUNCTION adoption.stickiness_counts_transfn(bigint[], varbit, integer, date, text)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'adoption_stickiness_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION adoption.stickiness_counts_combinefn(bigint[], bigint[])
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'adoption_stickiness_combinefn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE adoption.stickiness_counts(bits varbit, lead integer, origin date, period text) (
	SFUNC = adoption.stickiness_counts_transfn,
	STYPE = bigint[],
	COMBINEFUNC = adoption.stickiness_counts_combinefn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE adoption.stickiness_counts(varbit, integer, date, text) IS 'Daily DAU and 30-day MAU and, per period, actors by active days, from daily active_periods bitmaps with lead days before origin: {n_days, lead, origin, period, n_periods, dau[n_days], mau[n_days], dist[n_periods][32]}';

CREATE FUNCTION adoption.period_counts_transfn(bigint[], varbit, integer)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'adoption_period_counts_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION adoption.period_counts_combinefn(bigint[], bigint[])
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'adoption_period_counts_combinefn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE adoption.period_counts(bits varbit, from_period integer) (
	SFUNC = adoption.period_counts_transfn,
	STYPE = bigint[],
	COMBINEFUNC = adoption.period_counts_combinefn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE adoption.period_counts(varbit, integer) IS 'Per period, the active_periods bitmaps with its bit set, bits before from_period (NULL: 0) not counted: {n, counts[n]}';

/* Checks the common arguments; returns the first period's start and the number of periods. */
CREATE FUNCTION adoption.analytics_periods(actor text, period text, from_date date, to_date date,
	OUT origin date, OUT n integer)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
	IF actor IS NULL OR actor NOT IN ('user', 'tenant') THEN
		RAISE EXCEPTION 'unknown actor "%"', coalesce(actor, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Valid actors are user and tenant.';
	END IF;
	IF period IS NULL OR period NOT IN ('day', 'week', 'month') THEN
		RAISE EXCEPTION 'unknown period "%"', coalesce(period, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Valid periods are day, week and month.';
	END IF;
	IF from_date IS NULL OR to_date IS NULL OR NOT isfinite(from_date) OR NOT isfinite(to_date) THEN
		RAISE EXCEPTION 'from_date and to_date must be finite dates, not % and %',
				coalesce(from_date::text, 'NULL'), coalesce(to_date::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Pass the first and the last day of the range, e.g. from_date => ''2026-01-01'', to_date => ''2026-03-31''.';
	END IF;
	IF from_date > to_date THEN
		RAISE EXCEPTION 'from_date % is after to_date %', from_date, to_date
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Valid ranges have from_date <= to_date (both days are included).';
	END IF;
	IF to_date > from_date + interval '10 years' THEN
		RAISE EXCEPTION 'range from % to % is longer than 10 years', from_date, to_date
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Valid ranges span at most 10 years; split longer ones.';
	END IF;
	origin := date_trunc(period, from_date::timestamp)::date;
	n := adoption.period_index(to_date::timestamp AT TIME ZONE 'UTC', origin, period) + 1;
END
$$;
COMMENT ON FUNCTION adoption.analytics_periods(text, text, date, date) IS 'Checks the arguments shared by the analytics functions; returns the start of the first period and the number of periods';

/*
 * Returns one row per actor active in the n periods from origin (a period
 * start), with its bitmap of active periods; actor_user is '' for tenants.
 * The events are grouped by hashing: the planner expects far more
 * (tenant_id, user_id) groups than there are (the columns are correlated)
 * and would rather sort every event of the range, two to three times
 * slower.  Without JIT: the query is one scan and one aggregate, and
 * compiling it costs more than it saves.
 */
CREATE FUNCTION adoption.actor_activity(actor text, feature_id text, tenant_id text,
	origin date, period text, n integer)
RETURNS TABLE (actor_tenant text, actor_user text, bits varbit)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET plan_cache_mode = force_custom_plan
SET enable_sort = off
SET jit = off
AS $$
DECLARE
	lo timestamptz;
	hi timestamptz;
BEGIN
	IF actor IS NULL OR actor NOT IN ('user', 'tenant') THEN
		RAISE EXCEPTION 'unknown actor "%"', coalesce(actor, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Valid actors are user and tenant.';
	END IF;
	lo := origin::timestamp AT TIME ZONE 'UTC';
	hi := adoption.period_start(origin, period, n)::timestamp AT TIME ZONE 'UTC';
	RETURN QUERY
	SELECT e.tenant_id,
		CASE WHEN actor_activity.actor = 'user' THEN e.user_id ELSE '' END,
		adoption.active_periods(e.usage_timestamp, actor_activity.origin, actor_activity.period, actor_activity.n)
	FROM adoption.feature_usage_events AS e
	WHERE e.usage_timestamp >= lo AND e.usage_timestamp < hi
		AND (actor_activity.feature_id IS NULL OR e.feature_id = actor_activity.feature_id)
		AND (actor_activity.tenant_id IS NULL OR e.tenant_id = actor_activity.tenant_id)
	GROUP BY 1, 2;
END
$$;
COMMENT ON FUNCTION adoption.actor_activity(text, text, text, date, text, integer) IS 'Per user or tenant active in the n periods from origin: its bitmap of active periods (adoption.active_periods)';

/*
 * Returns the adoptions of users (user_feature_state.adopted_at) or of
 * tenants (tenant_feature_state.feature_adopted_at; actor_user is ''), of
 * one feature or all, in one tenant or all.
 */
CREATE FUNCTION adoption.actor_adoptions(actor text, feature_id text, tenant_id text)
RETURNS TABLE (actor_tenant text, actor_user text, adopted_feature_id text, adopted_at timestamptz)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
	IF actor = 'user' THEN
		RETURN QUERY
		SELECT s.tenant_id, s.user_id, s.feature_id, s.adopted_at
		FROM adoption.user_feature_state AS s
		WHERE s.adopted_at IS NOT NULL
			AND (actor_adoptions.feature_id IS NULL OR s.feature_id = actor_adoptions.feature_id)
			AND (actor_adoptions.tenant_id IS NULL OR s.tenant_id = actor_adoptions.tenant_id);
	ELSE
		RETURN QUERY
		SELECT s.tenant_id, '', s.feature_id, s.feature_adopted_at
		FROM adoption.tenant_feature_state AS s
		WHERE s.feature_adopted_at IS NOT NULL
			AND (actor_adoptions.feature_id IS NULL OR s.feature_id = actor_adoptions.feature_id)
			AND (actor_adoptions.tenant_id IS NULL OR s.tenant_id = actor_adoptions.tenant_id);
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.actor_adoptions(text, text, text) IS 'Adoption times of users (adopted_at) or tenants (feature_adopted_at), per feature';

/*
 * When each user or tenant (actor_user '') was first seen: a user's first
 * use of the feature (of any feature when feature_id is NULL), a tenant's
 * first use of it by any of its users, or, over all features, the earlier
 * of that and adoption.tenants.created_at.  From the state
 * (user_feature_state; over all features tenant_user_state.first_seen_at
 * and tenant_state.first_event_at, the same minimums kept per user and per
 * tenant), so uses before any range count.
 */
CREATE FUNCTION adoption.actor_first_seen(actor text, feature_id text, tenant_id text)
RETURNS TABLE (actor_tenant text, actor_user text, first_seen_at timestamptz)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
	IF actor_first_seen.feature_id IS NULL THEN
		/* Over all features the per-user and per-tenant state has it, one row each. */
		IF actor_first_seen.actor = 'user' THEN
			RETURN QUERY
			SELECT v.tenant_id, v.user_id, v.first_seen_at
			FROM adoption.tenant_user_state AS v
			WHERE actor_first_seen.tenant_id IS NULL OR v.tenant_id = actor_first_seen.tenant_id;
		ELSE
			RETURN QUERY
			SELECT v.tenant_id, '', least(v.first_event_at, t.created_at)
			FROM adoption.tenant_state AS v
			LEFT JOIN adoption.tenants AS t ON t.tenant_id = v.tenant_id
			WHERE actor_first_seen.tenant_id IS NULL OR v.tenant_id = actor_first_seen.tenant_id;
		END IF;
		RETURN;
	END IF;
	RETURN QUERY
	SELECT s.tenant_id, CASE WHEN actor_first_seen.actor = 'user' THEN s.user_id ELSE '' END, min(s.first_used_at)
	FROM adoption.user_feature_state AS s
	WHERE s.feature_id = actor_first_seen.feature_id
		AND (actor_first_seen.tenant_id IS NULL OR s.tenant_id = actor_first_seen.tenant_id)
	GROUP BY 1, 2;
END
$$;
COMMENT ON FUNCTION adoption.actor_first_seen(text, text, text) IS 'When each user or tenant was first seen on the feature (any feature when NULL); a tenant over all features no later than its created_at';

/* The rows of lifecycle(): four per period of n from origin, dormant negative, zeros included. */
CREATE FUNCTION adoption.lifecycle_rows(counts bigint[], origin date, period text, n integer)
RETURNS TABLE (period_start date, status text, actors bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT adoption.period_start(origin, period, p), st.status,
		st.sign * coalesce(counts[2 + st.i * n + p], 0)
	FROM generate_series(0, n - 1) AS p,
		(VALUES (0, 'new', 1), (1, 'returning', 1), (2, 'resurrecting', 1), (3, 'dormant', -1))
			AS st (i, status, sign)
	ORDER BY p, st.i
$$;
COMMENT ON FUNCTION adoption.lifecycle_rows(bigint[], date, text, integer) IS 'The lifecycle_counts of n periods from origin as rows: new, returning, resurrecting and dormant (negative) per period';

/*
 * The rows of stickiness() from stickiness_counts over n_days days from
 * origin (counts: a header of 5, dau from 6, mau from 6 + n_days, dist from
 * 6 + 2 * n_days): per period the mean daily DAU/MAU over its days up to
 * today (UTC) with MAU > 0, the actors active and their active days.
 */
CREATE FUNCTION adoption.stickiness_rows(counts bigint[], origin date, period text, n_days integer)
RETURNS TABLE (period_start date, dau_mau double precision, active_actors bigint, active_days bigint[])
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
WITH days AS (
	SELECT adoption.period_index(((origin + d)::timestamp AT TIME ZONE 'UTC'), origin,
			period) AS p,
		coalesce(counts[6 + d], 0) AS dau,
		coalesce(counts[6 + n_days + d], 0) AS mau,
		origin + d <= (pg_catalog.now() AT TIME ZONE 'UTC')::date AS past
	FROM generate_series(0, n_days - 1) AS d
), per AS (
	SELECT days.p, count(*)::integer AS len,
		avg(days.dau::double precision / nullif(days.mau, 0)) FILTER (WHERE days.past) AS ratio
	FROM days
	GROUP BY days.p
)
SELECT adoption.period_start(origin, period, per.p), per.ratio,
	(SELECT coalesce(sum(counts[6 + 2 * n_days + 32 * per.p + k]), 0)::bigint
		FROM generate_series(1, per.len) AS k),
	ARRAY(SELECT coalesce(counts[6 + 2 * n_days + 32 * per.p + k], 0)
		FROM generate_series(1, per.len) AS k ORDER BY k)
FROM per
ORDER BY per.p
$$;
COMMENT ON FUNCTION adoption.stickiness_rows(bigint[], date, text, integer) IS 'The stickiness_counts of n_days days from origin as stickiness() rows: per period the mean daily DAU/MAU, the actors active and how many were active on exactly k days';

/*
 * The analytics functions.  They share one parameter list, the common
 * arguments above with their defaults, written once here (parameters)
 * and put into each definition where it says @parameters@, with the
 * function's default period (a week for feature_retention(), a day for the
 * others); retention() and feature_retention() add a parameter of their
 * own after it.  SQL has no shared parameter list, so the definitions are
 * run by EXECUTE, as adoption.settings_derive() writes settings_in_force()
 * from the settings' columns: the functions created are those the text
 * shows, with the parameter list in place.
 */
DO $family$
DECLARE
	/* The common arguments; %L is the default period. */
	parameters CONSTANT text := $p$
	actor text DEFAULT 'user',
	feature_id text DEFAULT NULL,
	period text DEFAULT %L,
	from_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date - 89),
	to_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date),
	tenant_id text DEFAULT NULL$p$;
BEGIN
	EXECUTE pg_catalog.replace($def$
/*
 * Cohort retention (Amplitude's N-day retention, Mixpanel's retention
 * report, PostHog's retention insight with "first time" cohorts).  An
 * actor's cohort is the period of its first activity in the range (on the
 * feature, when feature_id is given).  mode 'on': retained in period N =
 * active in the N-th period after its cohort's ("returned on day N");
 * mode 'on_or_after': active in that period or any later one of the range
 * (Amplitude's "unbounded" retention).  Period 0 is always the whole
 * cohort.  Only the period numbers the range can observe are returned
 * (cohort + N <= the last period, and period cohort + N has begun by today,
 * UTC: a period still ahead has no row rather than a retention of 0).
 */
CREATE FUNCTION adoption.retention(@parameters@,
	mode text DEFAULT 'on')
RETURNS TABLE (cohort_start date, cohort_size bigint, period_number integer, retained bigint,
	rate double precision)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
	r record;
	matrix bigint[];
BEGIN
	r := adoption.analytics_periods(actor, period, from_date, to_date);
	IF mode IS NULL OR mode NOT IN ('on', 'on_or_after') THEN
		RAISE EXCEPTION 'unknown retention mode "%"', coalesce(mode, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Valid modes are on (active exactly in period N) and on_or_after (in period N or later).';
	END IF;
	SELECT adoption.retention_matrix(a.bits, retention.mode = 'on_or_after') INTO matrix
	FROM adoption.actor_activity(retention.actor, retention.feature_id, retention.tenant_id,
		r.origin, retention.period, r.n) AS a;
	/* A period that begins after today (UTC) cannot be observed yet: no row, not a rate of 0. */
	RETURN QUERY
	SELECT adoption.period_start(r.origin, retention.period, m.cohort), m.cohort_size, m.period_number,
		m.retained, m.retained::double precision / m.cohort_size
	FROM adoption.retention_rows(matrix) AS m
	WHERE adoption.period_start(r.origin, retention.period, m.cohort + m.period_number)
		<= (pg_catalog.now() AT TIME ZONE 'UTC')::date
	ORDER BY m.cohort, m.period_number;
END
$$;
COMMENT ON FUNCTION adoption.retention(text, text, text, date, date, text, text) IS 'Cohort retention by first active period: per cohort and period number N, the actors active in period N (mode on) or in N or later (on_or_after), and the rate';
$def$, '@parameters@', pg_catalog.format(parameters, 'day'));

	EXECUTE pg_catalog.replace($def$
/*
 * Lifecycle (PostHog's lifecycle insight, Mixpanel's and Amplitude's
 * new/current/resurrected/dormant split).  Per period and actor:
 *   new          active, and this is the period the actor was first seen;
 *   returning    active, and active in the period before;
 *   resurrecting active otherwise (an actor first seen before its first
 *                active period is resurrecting then, not new);
 *   dormant      not active, but active in the period before: counted once,
 *                in the period after the last of a run of active periods,
 *                and shown negative.
 * First seen: a user's first use of the feature (or of any feature), from
 * adoption.user_feature_state, so uses before the range count; a tenant's
 * first use of the feature by any of its users, or, over all features, the
 * earlier of its first use and adoption.tenants.created_at.  The period
 * before the range is read too, so the first period is classified like the
 * others.  Four rows per period, zeros included; a period that begins
 * after today (UTC) has only zeros (the actors of today are not dormant in
 * a week that has not come).
 */
CREATE FUNCTION adoption.lifecycle(@parameters@)
RETURNS TABLE (period_start date, status text, actors bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
	r record;
	counts bigint[];
BEGIN
	r := adoption.analytics_periods(actor, period, from_date, to_date);
	SELECT adoption.lifecycle_counts(a.bits, adoption.period_index(s.first_seen_at, r.origin, lifecycle.period))
	INTO counts
	FROM adoption.actor_activity(lifecycle.actor, lifecycle.feature_id, lifecycle.tenant_id,
			adoption.period_start(r.origin, lifecycle.period, -1), lifecycle.period, r.n + 1) AS a
		LEFT JOIN adoption.actor_first_seen(lifecycle.actor, lifecycle.feature_id, lifecycle.tenant_id) AS s
			ON s.actor_tenant = a.actor_tenant AND s.actor_user = a.actor_user;
	/* Nobody is dormant (or anything else) yet in a period that begins after today (UTC). */
	RETURN QUERY
	SELECT l.period_start, l.status,
		CASE WHEN l.period_start <= (pg_catalog.now() AT TIME ZONE 'UTC')::date THEN l.actors ELSE 0 END
	FROM adoption.lifecycle_rows(counts, r.origin, lifecycle.period, r.n) AS l;
END
$$;
COMMENT ON FUNCTION adoption.lifecycle(text, text, text, date, date, text) IS 'Per period: new, returning, resurrecting and dormant (negative) users or tenants';
$def$, '@parameters@', pg_catalog.format(parameters, 'day'));

	EXECUTE pg_catalog.replace($def$
/*
 * Stickiness (Amplitude's and Mixpanel's stickiness and DAU/MAU, PostHog's
 * stickiness insight).  dau_mau: for a day, the actors active that day over
 * those active in the 30 days ending that day (MAU); for a week or a month,
 * the mean of the daily ratios over its days (days with MAU 0 and days
 * after today, UTC, left out; NULL when all are).  active_days[k]: the actors active on exactly k days
 * of the period (k = 1 .. days in the period); active_actors is their sum.
 */
CREATE FUNCTION adoption.stickiness(@parameters@)
RETURNS TABLE (period_start date, dau_mau double precision, active_actors bigint, active_days bigint[])
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
	r record;
	n_days integer;
	counts bigint[];
BEGIN
	r := adoption.analytics_periods(actor, period, from_date, to_date);
	n_days := adoption.period_start(r.origin, period, r.n) - r.origin;
	SELECT adoption.stickiness_counts(a.bits, 29, r.origin, stickiness.period) INTO counts
	FROM adoption.actor_activity(stickiness.actor, stickiness.feature_id, stickiness.tenant_id,
		r.origin - 29, 'day', n_days + 29) AS a;
	RETURN QUERY
	SELECT * FROM adoption.stickiness_rows(counts, r.origin, stickiness.period, n_days);
END
$$;
COMMENT ON FUNCTION adoption.stickiness(text, text, text, date, date, text) IS 'Per period: mean daily DAU/MAU (30-day MAU), actors active, and active_days[k] = actors active on exactly k days';
$def$, '@parameters@', pg_catalog.format(parameters, 'day'));

	EXECUTE pg_catalog.replace($def$
/*
 * Product engagement score (Pendo's PES, as Amplitude and PostHog describe
 * it): per period, the mean of three percentages
 *   adoption   mean over the actors active in the period on any feature
 *              (with feature_id too: Pendo and Amplitude divide by the
 *              active population, not by the feature's own users) of the
 *              share of core features (tier 'core', launched by the
 *              period's end) the actor had adopted by the period's end: a
 *              user when its user_feature_state.adopted_at is, a tenant
 *              when its tenant_feature_state.feature_adopted_at is; with
 *              feature_id, the share of those actors who adopted that
 *              feature;
 *   stickiness the period's dau_mau of adoption.stickiness (30-day MAU),
 *              of the feature's uses when feature_id is given;
 *   growth     (new + resurrecting) / (new + resurrecting + dormant) of the
 *              period, from adoption.lifecycle (also per feature).
 * active_actors is stickiness's (on the feature, when given).  A part
 * without a denominator is NULL and the score is the mean of the others
 * (NULL when all three are).
 *
 * One scan of the events where one does: the daily bitmaps stickiness needs
 * (29 days of lead) hold, by period 'day', lifecycle's bitmaps (from the
 * day before the range) and, over all features, the activity the adoption
 * part divides by.  The adoption part is counted per period, not per actor
 * and period: an adoption counts in period p when the actor is active in p
 * and p is not before k = max(0, the period of adopted_at, the period of
 * the feature's launched_at), so the numerator of period p is the number of
 * adoptions whose actor is active in p, counted from k on
 * (adoption.period_counts(bits, k)), and the mean of the shares is that
 * numerator / (active actors x core features launched by the period's end).
 */
CREATE FUNCTION adoption.pes(@parameters@)
RETURNS TABLE (period_start date, active_actors bigint, adoption double precision,
	stickiness double precision, growth double precision, score double precision)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET plan_cache_mode = force_custom_plan
SET jit = off
AS $$
DECLARE
	r record;
	n_days integer;
BEGIN
	r := adoption.analytics_periods(actor, period, from_date, to_date);
	n_days := adoption.period_start(r.origin, period, r.n) - r.origin;
	/*
	 * The scans a branch does not need are behind one-time filters on the
	 * arguments (a custom plan per call folds them), so they never run.
	 */
	RETURN QUERY
	WITH daily AS MATERIALIZED (
		/* Daily, on the feature, from 29 days before the range: stickiness. */
		SELECT a.actor_tenant AS t, a.actor_user AS u, a.bits
		FROM adoption.actor_activity(pes.actor, pes.feature_id, pes.tenant_id, r.origin - 29, 'day', n_days + 29) AS a
	), periods AS MATERIALIZED (
		/* By period, on the feature, from the period before the range: lifecycle. */
		SELECT d.t, d.u, substring(d.bits FROM 29) AS bits FROM daily AS d WHERE pes.period = 'day'
		UNION ALL
		SELECT a.actor_tenant, a.actor_user, a.bits
		FROM adoption.actor_activity(pes.actor, pes.feature_id, pes.tenant_id,
			adoption.period_start(r.origin, pes.period, -1), pes.period, r.n + 1) AS a
		WHERE pes.period <> 'day'
	), any_feature AS MATERIALIZED (
		/* By period, on any feature, over the range: the actors the adoption part divides by. */
		SELECT p.t, p.u, substring(p.bits FROM 2) AS bits FROM periods AS p WHERE pes.feature_id IS NULL
		UNION ALL
		SELECT a.actor_tenant, a.actor_user, a.bits
		FROM adoption.actor_activity(pes.actor, NULL, pes.tenant_id, r.origin, pes.period, r.n) AS a
		WHERE pes.feature_id IS NOT NULL
	), core AS (
		SELECT f.feature_id, adoption.period_index(f.launched_at, r.origin, pes.period) AS launched_p
		FROM adoption.features AS f
		WHERE (pes.feature_id IS NULL AND f.tier = 'core') OR f.feature_id = pes.feature_id
	), adopted AS (
		/* Each adoption of a core feature (or of feature_id) counts from period k on. */
		SELECT s.actor_tenant AS t, s.actor_user AS u,
			greatest(0, adoption.period_index(s.adopted_at, r.origin, pes.period), coalesce(c.launched_p, 0)) AS k
		FROM adoption.actor_adoptions(pes.actor, pes.feature_id, pes.tenant_id) AS s
			JOIN core AS c ON c.feature_id = s.adopted_feature_id
	), counts AS (
		SELECT
			(SELECT adoption.stickiness_counts(d.bits, 29, r.origin, pes.period) FROM daily AS d) AS st,
			(SELECT adoption.lifecycle_counts(p.bits, adoption.period_index(f.first_seen_at, r.origin, pes.period))
				FROM periods AS p
				LEFT JOIN adoption.actor_first_seen(pes.actor, pes.feature_id, pes.tenant_id) AS f
					ON f.actor_tenant = p.t AND f.actor_user = p.u) AS lc,
			(SELECT adoption.period_counts(q.bits, 0) FROM any_feature AS q) AS act,
			(SELECT adoption.period_counts(q.bits, d.k)
				FROM adopted AS d JOIN any_feature AS q ON q.t = d.t AND q.u = d.u
				WHERE d.k < r.n) AS ad
	), adoption_part AS (
		/* period_counts is {n, counts[n]}. */
		SELECT p,
			100 * coalesce(c.ad[2 + p], 0)::double precision
			/ nullif(c.act[2 + p] * (SELECT count(*) FROM core WHERE core.launched_p IS NULL OR core.launched_p <= p), 0) AS v
		FROM counts AS c, generate_series(0, r.n - 1) AS p
	), growth_part AS (
		SELECT l.period_start AS ps,
			100 * sum(l.actors) FILTER (WHERE l.status IN ('new', 'resurrecting'))::double precision
				/ nullif(sum(abs(l.actors)) FILTER (WHERE l.status <> 'returning'), 0) AS v
		FROM counts AS c, adoption.lifecycle_rows(c.lc, r.origin, pes.period, r.n) AS l
		WHERE l.period_start <= (pg_catalog.now() AT TIME ZONE 'UTC')::date  /* as lifecycle(): nothing after today */
		GROUP BY l.period_start
	), parts AS (
		SELECT s.period_start AS ps, s.active_actors AS act, ap.v AS a, 100 * s.dau_mau AS st, g.v AS g
		FROM counts AS c
			CROSS JOIN adoption.stickiness_rows(c.st, r.origin, pes.period, n_days) AS s
			LEFT JOIN adoption_part AS ap ON adoption.period_start(r.origin, pes.period, ap.p) = s.period_start
			LEFT JOIN growth_part AS g ON g.ps = s.period_start
	)
	SELECT parts.ps, parts.act, parts.a, parts.st, parts.g,
		(coalesce(parts.a, 0) + coalesce(parts.st, 0) + coalesce(parts.g, 0))
			/ nullif((parts.a IS NOT NULL)::integer + (parts.st IS NOT NULL)::integer + (parts.g IS NOT NULL)::integer, 0)
	FROM parts
	ORDER BY parts.ps;
END
$$;
COMMENT ON FUNCTION adoption.pes(text, text, text, date, date, text) IS 'Product engagement score per period: mean of adoption (share of core features, or of feature_id, adopted, averaged over the actors active in the period on any feature), stickiness (DAU/MAU) and growth ((new + resurrecting) / (new + resurrecting + dormant)), each 0-100';
$def$, '@parameters@', pg_catalog.format(parameters, 'day'));

	EXECUTE pg_catalog.replace($def$
/*
 * Which features drive retention (Amplitude's Compass, Mixpanel's and
 * PostHog's "correlation" of an event with retention).  Over all features,
 * each actor active in the range has a cohort, the period of its first
 * activity in the range, and is counted when period cohort + interval_number
 * lies in the range and has begun by today (UTC); it is retained when
 * active (on any feature) in that period.  Per feature, the adopters are those counted actors who had
 * adopted the feature by the end of their cohort period (so adoption comes
 * before the return it is compared with; a user by user_feature_state.
 * adopted_at, a tenant by tenant_feature_state.feature_adopted_at), the
 * non-adopters the other counted actors.  lift = adopter_rate /
 * non_adopter_rate.  One row per feature with at least one adopter (only
 * feature_id's when given), highest lift first; the column is named feature
 * because feature_id is the argument.
 */
CREATE FUNCTION adoption.feature_retention(@parameters@,
	interval_number integer DEFAULT 1)
RETURNS TABLE (feature text, adopters bigint, adopters_retained bigint, adopter_rate double precision,
	non_adopters bigint, non_adopters_retained bigint, non_adopter_rate double precision,
	lift double precision)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
	r record;
BEGIN
	r := adoption.analytics_periods(actor, period, from_date, to_date);
	IF interval_number IS NULL OR interval_number < 1 OR interval_number >= r.n THEN
		RAISE EXCEPTION 'interval_number % is out of range for % periods', coalesce(interval_number::text, 'NULL'), r.n
			USING ERRCODE = 'invalid_parameter_value',
				HINT = format('Valid interval numbers are 1 to %s: the range must hold the cohort period and the period of return.', r.n - 1);
	END IF;
	RETURN QUERY
	WITH acts AS (
		SELECT a.actor_tenant AS t, a.actor_user AS u, c.cohort,
			get_bit(a.bits, c.cohort + feature_retention.interval_number) = 1 AS kept
		FROM adoption.actor_activity(feature_retention.actor, NULL, feature_retention.tenant_id,
				r.origin, feature_retention.period, r.n) AS a,
			LATERAL (SELECT position(B'1' IN a.bits) - 1 AS cohort) AS c
		WHERE c.cohort + feature_retention.interval_number < r.n
			/* The period of return has begun (UTC): one still ahead would count everyone as lost. */
			AND adoption.period_start(r.origin, feature_retention.period, c.cohort + feature_retention.interval_number)
				<= (pg_catalog.now() AT TIME ZONE 'UTC')::date
	), adopted AS (
		SELECT s.actor_tenant AS t, s.actor_user AS u, s.adopted_feature_id AS f, s.adopted_at AS at
		FROM adoption.actor_adoptions(feature_retention.actor, feature_retention.feature_id,
			feature_retention.tenant_id) AS s
	), totals AS (
		SELECT count(*) AS n_all, count(*) FILTER (WHERE acts.kept) AS kept_all FROM acts
	), per AS (
		SELECT d.f, count(*) AS n_ad, count(*) FILTER (WHERE acts.kept) AS kept_ad
		FROM acts JOIN adopted AS d ON d.t = acts.t AND d.u = acts.u
			AND d.at < adoption.period_start(r.origin, feature_retention.period, acts.cohort + 1)::timestamp AT TIME ZONE 'UTC'
		GROUP BY d.f
	)
	SELECT per.f, per.n_ad, per.kept_ad, per.kept_ad::double precision / per.n_ad,
		totals.n_all - per.n_ad, totals.kept_all - per.kept_ad,
		(totals.kept_all - per.kept_ad)::double precision / nullif(totals.n_all - per.n_ad, 0),
		(per.kept_ad::double precision / per.n_ad)
			/ nullif((totals.kept_all - per.kept_ad)::double precision / nullif(totals.n_all - per.n_ad, 0), 0)
	FROM per, totals
	ORDER BY 8 DESC NULLS LAST, 1;
END
$$;
COMMENT ON FUNCTION adoption.feature_retention(text, text, text, date, date, text, integer) IS 'Per feature: retention in period interval_number after the first active period of the actors who had adopted it by then against the others, and the lift';
$def$, '@parameters@', pg_catalog.format(parameters, 'week'));
END
$family$;
