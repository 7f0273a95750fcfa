-- test/reference/definitions.sql: the adoption state of 0.3.0 computed in
-- plain SQL from the event log alone (adoption.feature_usage_events) and
-- the settings in force (adoption.effective_settings), exactly as the design
-- (docs/adoption-state.md) defines it, into tables of schema
-- ref named and shaped like the extension's:
--   ref.user_feature_state, ref.tenant_user_state, ref.tenant_state,
--   ref.tenant_feature_counts, ref.tenant_feature_milestones,
--   ref.tenant_feature_state (the view's columns).
-- Columns the design calls internal or bookkeeping (milestone_buffer,
-- activity, evidence, updated_at) are left out.  No function of the
-- extension is called: this is the oracle the engine is tested against
-- (test/pgtap/09_reference.sql checks it on hand-worked events,
-- test/tap/order_freedom.sh compares the engine with it).
--
-- Run with psql (\i or \ir) in a database that has the extension; it drops
-- and recreates schema ref, prints nothing, and may run inside a
-- transaction.  Times are compared in UTC (SET TimeZone), so that
-- timestamptz + active_window counts a day as 24 hours.
--
-- The tenant milestone feature_adopted is a sweep over the tenant's event
-- times T.  Evaluating every (T, feature) by scanning the active users
-- would cost times x features x users; instead every quantity is a step
-- function of T given by +/- deltas, and running sums of the deltas give
-- its value at each T:
--   A user u is active at T iff some event e of u has e <= T < e + W.  The
--   union of [e, e + W) over u's events is a set of disjoint spans [a, b);
--   |A(T)| = spans with a <= T < b: +1 at a, -1 at b.
--   adopters_f(T): u in A(T) with adopted_f(u) <= T (adopted_f(u), the k-th
--   earliest success, is <= T iff u had k successes up to T): for each
--   span of u with b > adopted_f(u), +1 at greatest(a, adopted_f(u)), -1 at b.
--   Uses (and successes) of f by active users up to T: +1 at each event of
--   f; at the end b of a span, minus u's uses of f up to b (u drops out);
--   at the start a of a later span, plus u's uses of f before a (u is back).
-- Rows: (tenant times from the first adoption of f on) x features of the
-- tenant, plus the deltas; one window sort per tenant x feature.

SET TimeZone = 'UTC';
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS ref CASCADE;
CREATE SCHEMA ref;

-- Settings in force per tenant.
CREATE TABLE ref.settings AS
SELECT tenant_id, aha_successes AS k, usage_velocity_threshold AS n,
	feature_adoption_threshold AS theta, success_outcome_rate AS sigma, active_window AS w
FROM adoption.effective_settings;

-- The event log with its tenant's settings.  An event of a tenant without
-- settings (not in adoption.tenants) is an error of the caller.
CREATE TABLE ref.events AS
SELECT e.tenant_id, e.feature_id, e.user_id, e.usage_timestamp AS t, e.success_outcome AS ok,
	e.session_duration, s.k, s.n, s.w
FROM adoption.feature_usage_events AS e
LEFT JOIN ref.settings AS s USING (tenant_id);
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM ref.events WHERE k IS NULL) THEN
		RAISE EXCEPTION 'ref: events of tenants without settings (not in adoption.tenants)';
	END IF;
END
$$;
ANALYZE ref.events;

-- Per user x feature.
--   adopted_at: the k-th smallest time among the successful events (ties
--   count separately): the success ranked k by row_number.
--   habitual_at: times sorted with duplicates, the smallest t_j (j >= n)
--   with t_j - t_(j-n+1) < 7 days; lag(t, n - 1) is t_(j-n+1) (NULL for j < n).
--   velocity_per_week: ln 2 * sum of 2^(-(last_used_at - t) / 7 days).
CREATE TABLE ref.user_feature_state AS
WITH ranked AS (
	SELECT e.*,
		CASE WHEN e.ok THEN row_number() OVER (PARTITION BY e.tenant_id, e.feature_id, e.user_id, e.ok ORDER BY e.t) END
			AS success_rank,
		lag(e.t, e.n - 1) OVER (PARTITION BY e.tenant_id, e.feature_id, e.user_id ORDER BY e.t) AS window_first,
		max(e.t) OVER (PARTITION BY e.tenant_id, e.feature_id, e.user_id) AS last_t
	FROM ref.events AS e
)
SELECT tenant_id, feature_id, user_id,
	min(t) AS first_used_at,
	max(t) AS last_used_at,
	count(*) AS uses,
	count(*) FILTER (WHERE ok) AS successes,
	sum(session_duration)::bigint AS total_duration,
	ln(2::float8) * sum(power(2::float8, -(extract(epoch FROM last_t - t)::float8 / 604800::float8)))
		AS velocity_per_week,
	min(t) AS activated_at,
	min(t) FILTER (WHERE success_rank = k) AS adopted_at,
	min(t) FILTER (WHERE t - window_first < interval '7 days') AS habitual_at
FROM ranked
GROUP BY tenant_id, feature_id, user_id;
ALTER TABLE ref.user_feature_state ADD PRIMARY KEY (tenant_id, feature_id, user_id);

-- Per tenant x user, over all features.
CREATE TABLE ref.tenant_user_state AS
SELECT tenant_id, user_id, min(t) AS first_seen_at, max(t) AS last_seen_at, count(*) AS uses,
	count(*) FILTER (WHERE ok) AS successes,
	-- the UTC day of the latest event, days since 1970-01-01
	(max(t) AT TIME ZONE 'UTC')::date - DATE '1970-01-01' AS last_seen_day
FROM ref.events
GROUP BY tenant_id, user_id;
ALTER TABLE ref.tenant_user_state ADD PRIMARY KEY (tenant_id, user_id);

-- Per tenant: active users are those with last_seen_at in (last_event_at - W, last_event_at].
CREATE TABLE ref.tenant_state AS
SELECT x.tenant_id, x.first_event_at, x.last_event_at, x.users,
	(SELECT count(*) FROM ref.tenant_user_state AS u
		WHERE u.tenant_id = x.tenant_id AND u.last_seen_at > x.last_event_at - s.w) AS active_users,
	x.uses, x.successes
FROM (SELECT tenant_id, min(t) AS first_event_at, max(t) AS last_event_at, count(DISTINCT user_id) AS users,
		count(*) AS uses, count(*) FILTER (WHERE ok) AS successes
	FROM ref.events GROUP BY tenant_id) AS x
JOIN ref.settings AS s USING (tenant_id);
ALTER TABLE ref.tenant_state ADD PRIMARY KEY (tenant_id);

-- Per tenant x feature: users who reached each user milestone.
CREATE TABLE ref.tenant_feature_counts AS
SELECT tenant_id, feature_id, count(activated_at) AS activated_users, count(adopted_at) AS adopted_users,
	count(habitual_at) AS habitual_users
FROM ref.user_feature_state
GROUP BY tenant_id, feature_id;
ALTER TABLE ref.tenant_feature_counts ADD PRIMARY KEY (tenant_id, feature_id);

-- The sweep of feature_adopted.  Activity spans of each user: its distinct
-- event times, a new span where the gap to the previous time is >= W
-- (the previous span [.., prev + W) ended by then).
CREATE TABLE ref.user_spans AS
WITH times AS (
	SELECT DISTINCT tenant_id, user_id, t, w FROM ref.events
), marked AS (
	SELECT tenant_id, user_id, t, w,
		CASE WHEN lag(t) OVER (PARTITION BY tenant_id, user_id ORDER BY t) + w > t THEN 0 ELSE 1 END AS new_span
	FROM times
), numbered AS (
	SELECT tenant_id, user_id, t, w,
		sum(new_span) OVER (PARTITION BY tenant_id, user_id ORDER BY t) AS span
	FROM marked
)
SELECT tenant_id, user_id, span, min(t) AS a, max(t) + w AS b
FROM numbered
GROUP BY tenant_id, user_id, span, w;
ANALYZE ref.user_spans;

-- Per user x feature x span of the user (from the user's first use of the
-- feature on): uses and successes of the feature in the span, and up to
-- its end.
CREATE TABLE ref.feature_spans AS
WITH counted AS (
	SELECT e.tenant_id, e.feature_id, e.user_id, sp.span, count(*) AS uses, count(*) FILTER (WHERE e.ok) AS successes
	FROM ref.events AS e
	JOIN ref.user_spans AS sp ON sp.tenant_id = e.tenant_id AND sp.user_id = e.user_id AND e.t >= sp.a AND e.t < sp.b
	GROUP BY e.tenant_id, e.feature_id, e.user_id, sp.span
), per_span AS (
	SELECT p.tenant_id, p.feature_id, p.user_id, sp.span, sp.a, sp.b,
		coalesce(c.uses, 0) AS uses, coalesce(c.successes, 0) AS successes
	FROM ref.user_feature_state AS p
	JOIN ref.user_spans AS sp ON sp.tenant_id = p.tenant_id AND sp.user_id = p.user_id AND sp.b > p.first_used_at
	LEFT JOIN counted AS c ON c.tenant_id = p.tenant_id AND c.feature_id = p.feature_id AND c.user_id = p.user_id
		AND c.span = sp.span
)
SELECT per_span.*,
	sum(uses) OVER w_pair AS uses_through,
	sum(successes) OVER w_pair AS successes_through
FROM per_span
WINDOW w_pair AS (PARTITION BY tenant_id, feature_id, user_id ORDER BY span);

-- The deltas of each tenant x feature at time x.
CREATE TABLE ref.feature_deltas AS
-- Each event: a use (and a success) of an active user.
SELECT tenant_id, feature_id, t AS x, 0 AS d_adopters, 1 AS d_uses, CASE WHEN ok THEN 1 ELSE 0 END AS d_successes
FROM ref.events
UNION ALL
-- The user leaves A at the end of a span: its uses up to then leave the sums.
SELECT tenant_id, feature_id, b, 0, -uses_through, -successes_through
FROM ref.feature_spans
WHERE uses_through > 0
UNION ALL
-- The user is back at the start of a later span: its earlier uses come back.
SELECT tenant_id, feature_id, a, 0, uses_through - uses, successes_through - successes
FROM ref.feature_spans
WHERE uses_through - uses > 0
UNION ALL
-- An adopter counts while active, from its adoption on.
SELECT p.tenant_id, p.feature_id, greatest(sp.a, p.adopted_at), 1, 0, 0
FROM ref.user_feature_state AS p
JOIN ref.user_spans AS sp ON sp.tenant_id = p.tenant_id AND sp.user_id = p.user_id AND sp.b > p.adopted_at
UNION ALL
SELECT p.tenant_id, p.feature_id, sp.b, -1, 0, 0
FROM ref.user_feature_state AS p
JOIN ref.user_spans AS sp ON sp.tenant_id = p.tenant_id AND sp.user_id = p.user_id AND sp.b > p.adopted_at;

-- |A(T)| at each distinct event time T of the tenant.
CREATE TABLE ref.active_at AS
WITH points AS (
	SELECT tenant_id, a AS x, 1 AS d, false AS is_t FROM ref.user_spans
	UNION ALL
	SELECT tenant_id, b, -1, false FROM ref.user_spans
	UNION ALL
	SELECT DISTINCT tenant_id, t, 0, true FROM ref.events
), summed AS (
	SELECT tenant_id, x, is_t, sum(d) OVER (PARTITION BY tenant_id ORDER BY x) AS active
	FROM points
)
SELECT tenant_id, x AS t, active FROM summed WHERE is_t;
ALTER TABLE ref.active_at ADD PRIMARY KEY (tenant_id, t);

-- Every (T, feature) from the feature's first adoption in the tenant on
-- (before it no user has adopted, rate 0 < theta), with the running sums
-- of the deltas (ORDER BY x: all deltas at times <= T).
CREATE TABLE ref.milestone_points AS
WITH first_adoption AS (
	SELECT tenant_id, feature_id, min(adopted_at) AS since
	FROM ref.user_feature_state
	WHERE adopted_at IS NOT NULL
	GROUP BY tenant_id, feature_id
), points AS (
	SELECT f.tenant_id, f.feature_id, a.t AS x, true AS is_t, 0 AS d_adopters, 0 AS d_uses, 0 AS d_successes
	FROM first_adoption AS f
	JOIN ref.active_at AS a ON a.tenant_id = f.tenant_id AND a.t >= f.since
	UNION ALL
	SELECT d.tenant_id, d.feature_id, d.x, false, d.d_adopters, d.d_uses, d.d_successes
	FROM ref.feature_deltas AS d
	WHERE EXISTS (SELECT 1 FROM first_adoption AS f WHERE f.tenant_id = d.tenant_id AND f.feature_id = d.feature_id)
), summed AS (
	SELECT tenant_id, feature_id, x, is_t,
		sum(d_adopters) OVER w_pair AS adopters,
		sum(d_uses) OVER w_pair AS uses,
		sum(d_successes) OVER w_pair AS successes
	FROM points
	WINDOW w_pair AS (PARTITION BY tenant_id, feature_id ORDER BY x)
)
SELECT s.tenant_id, s.feature_id, s.x AS t, a.active, s.adopters::bigint AS adopters, s.uses::bigint AS uses,
	s.successes::bigint AS successes
FROM summed AS s
JOIN ref.active_at AS a ON a.tenant_id = s.tenant_id AND a.t = s.x
WHERE s.is_t;

-- feature_adopted_at: the smallest T at which rate >= theta and succ >= sigma
-- (float8 comparisons, succ undefined, so false, without uses).
CREATE TABLE ref.tenant_feature_milestones AS
SELECT p.tenant_id, p.feature_id, min(p.t) AS feature_adopted_at
FROM ref.milestone_points AS p
JOIN ref.settings AS s USING (tenant_id)
WHERE p.adopters::float8 / p.active::float8 >= s.theta
	AND p.uses > 0
	AND p.successes::float8 / p.uses::float8 >= s.sigma
GROUP BY p.tenant_id, p.feature_id;
ALTER TABLE ref.tenant_feature_milestones ADD PRIMARY KEY (tenant_id, feature_id);

-- tenant_state's last two columns: the latest milestone time, and the most
-- adopters of a feature without the milestone (0 if none).
ALTER TABLE ref.tenant_state ADD COLUMN open_adopters bigint, ADD COLUMN last_feature_adopted_at timestamptz;
UPDATE ref.tenant_state AS ts SET
	open_adopters = coalesce((SELECT max(c.adopted_users) FROM ref.tenant_feature_counts AS c
		LEFT JOIN ref.tenant_feature_milestones AS m USING (tenant_id, feature_id)
		WHERE c.tenant_id = ts.tenant_id AND m.feature_id IS NULL), 0),
	last_feature_adopted_at = (SELECT max(m.feature_adopted_at) FROM ref.tenant_feature_milestones AS m
		WHERE m.tenant_id = ts.tenant_id);

-- The view: counts, the tenant's active users as of its last event time,
-- the active ones who adopted the feature, and the success rate of the
-- feature over the tenant's active users.
CREATE TABLE ref.tenant_feature_state AS
SELECT c.tenant_id, c.feature_id, c.activated_users, c.adopted_users, c.habitual_users,
	ts.active_users,
	coalesce(x.active_adopters, 0) AS active_adopters,
	CASE WHEN ts.active_users > 0 THEN coalesce(x.active_adopters, 0)::float8 / ts.active_users::float8 END
		AS adoption_rate,
	CASE WHEN x.active_uses > 0 THEN x.active_successes::float8 / x.active_uses::float8 END AS success_rate,
	ts.last_event_at AS evaluated_at,
	m.feature_adopted_at
FROM ref.tenant_feature_counts AS c
JOIN ref.tenant_state AS ts USING (tenant_id)
JOIN ref.settings AS s USING (tenant_id)
LEFT JOIN ref.tenant_feature_milestones AS m USING (tenant_id, feature_id)
LEFT JOIN LATERAL (
	SELECT count(*) FILTER (WHERE p.adopted_at IS NOT NULL) AS active_adopters,
		sum(p.uses) AS active_uses, sum(p.successes) AS active_successes
	FROM ref.user_feature_state AS p
	JOIN ref.tenant_user_state AS u USING (tenant_id, user_id)
	WHERE p.tenant_id = c.tenant_id AND p.feature_id = c.feature_id
		AND u.last_seen_at > ts.last_event_at - s.w
) AS x ON true;
ALTER TABLE ref.tenant_feature_state ADD PRIMARY KEY (tenant_id, feature_id);
