/*
 * pg_adoption upgrade 0.2.0 -> 0.3.0: adoption state that is a function of
 * the set of events (README, "Adoption state").
 *
 *   - the event log's key becomes (tenant_id, usage_timestamp, event_id) on
 *     every partition (the same rows are unique; a tenant's events are read
 *     in time order through it);
 *   - new state tables tenant_user_state, tenant_state,
 *     tenant_feature_counts and tenant_feature_milestones;
 *     tenant_feature_state becomes a view over the tenant's active users;
 *   - the views and functions that read them;
 *   - the state is recomputed from the event log (adoption.rebuild()): the
 *     internal milestone buffers of 0.2.0 do not hold what 0.3.0 keeps.
 *     Campaign actions, queued or done, and their dedupe keys are kept, so
 *     no milestone reached before enqueues again.
 * Frozen: later changes go into a script of their own.
 */
\echo Use "ALTER EXTENSION pg_adoption UPDATE TO '0.3.0'" to load this file. \quit

/* The event log's key, on the default partition and every monthly one. */
DO $$
DECLARE
	r record;
BEGIN
	FOR r IN
		SELECT c.oid::pg_catalog.regclass AS part, con.conname
		FROM pg_catalog.pg_inherits AS i
		JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) i.inhrelid
		JOIN pg_catalog.pg_constraint AS con ON con.conrelid OPERATOR(pg_catalog.=) c.oid AND con.contype OPERATOR(pg_catalog.=) 'p'
		WHERE i.inhparent OPERATOR(pg_catalog.=) 'adoption.feature_usage_events'::pg_catalog.regclass
	LOOP
		EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I, ADD CONSTRAINT %I PRIMARY KEY (tenant_id, usage_timestamp, event_id)',
			r.part, r.conname, r.conname);
	END LOOP;
END
$$;

/* Returns the number of partitions created. */
CREATE OR REPLACE FUNCTION adoption.ensure_partitions(months_ahead integer DEFAULT 3)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'	-- month arithmetic and bounds in UTC whatever the session's zone
AS $$
DECLARE
	this_month timestamptz := date_trunc('month', now());
	oldest_month timestamptz := this_month - interval '120 months';
	months timestamptz[];
	m timestamptz;
	part text;
	created integer := 0;
BEGIN
	IF months_ahead IS NULL OR months_ahead < 0 OR months_ahead > 120 THEN
		RAISE EXCEPTION 'months_ahead must be between 0 and 120, not %', coalesce(months_ahead::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Pass how many months after the current one should have a partition, e.g. 3.';
	END IF;

	/* Only one session at a time reorganizes the partitions. */
	PERFORM pg_advisory_xact_lock('adoption.feature_usage_events'::regclass::oid::bigint);

	SELECT array_agg(DISTINCT mo ORDER BY mo) INTO months FROM (
		SELECT this_month + make_interval(months => i) AS mo
		FROM generate_series(0, months_ahead) AS i
		UNION
		SELECT date_trunc('month', d.usage_timestamp)
		FROM adoption.feature_usage_events_default AS d
		WHERE d.usage_timestamp >= oldest_month
	) AS s;

	FOREACH m IN ARRAY months LOOP
		part := 'feature_usage_events_p' || to_char(m, 'YYYYMM');
		CONTINUE WHEN to_regclass(format('adoption.%I', part)) IS NOT NULL;

		EXECUTE format('CREATE TABLE adoption.%I (LIKE adoption.feature_usage_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
		EXECUTE format('ALTER TABLE adoption.%I ADD PRIMARY KEY (tenant_id, usage_timestamp, event_id)', part);
		/* adoption.rescore() finds the tenants with events ingested since its last run. */
		EXECUTE format('CREATE INDEX %I ON adoption.%I USING brin (ingested_at)', part || '_ingested_at', part);
		/* Rows of this month waiting in the default partition move first. */
		EXECUTE format('WITH moved AS (DELETE FROM adoption.feature_usage_events_default WHERE usage_timestamp >= %L AND usage_timestamp < %L RETURNING *) INSERT INTO adoption.%I SELECT * FROM moved',
			m, m + interval '1 month', part);
		EXECUTE format('ALTER TABLE adoption.feature_usage_events ATTACH PARTITION adoption.%I FOR VALUES FROM (%L) TO (%L)',
			part, m, m + interval '1 month');
		created := created + 1;
	END LOOP;
	RETURN created;
END
$$;
COMMENT ON FUNCTION adoption.ensure_partitions(integer) IS 'Creates monthly partitions of the event log from the current month to months_ahead months ahead, and for months whose events wait in the default partition; returns how many it created';

/* The old tenant x feature table and the view that read it. */
DROP VIEW adoption.feature_adoption;
ALTER EXTENSION pg_adoption DROP TABLE adoption.tenant_feature_state;
DROP TABLE adoption.tenant_feature_state;

COMMENT ON TABLE adoption.user_feature_state IS 'Adoption state of one user and one feature, a function of the set of their events (any arrival order), maintained by the ingest trigger';
COMMENT ON COLUMN adoption.user_feature_state.first_used_at IS 'Earliest usage_timestamp';
COMMENT ON COLUMN adoption.user_feature_state.last_used_at IS 'Latest usage_timestamp';
COMMENT ON COLUMN adoption.user_feature_state.uses IS 'Events counted';
COMMENT ON COLUMN adoption.user_feature_state.successes IS 'Events with success_outcome true';
COMMENT ON COLUMN adoption.user_feature_state.total_duration IS 'Sum of session_duration, seconds';
COMMENT ON COLUMN adoption.user_feature_state.velocity_per_week IS 'Uses per week, exponentially decayed with a 7-day half-life, as of last_used_at; adoption.velocity_at() decays it to another time';
COMMENT ON COLUMN adoption.user_feature_state.activated_at IS 'Milestone activated: time of the earliest use (equals first_used_at)';
COMMENT ON COLUMN adoption.user_feature_state.adopted_at IS 'Milestone adopted: time of the aha_successes-th earliest successful use; NULL with fewer successes';
COMMENT ON COLUMN adoption.user_feature_state.habitual_at IS 'Milestone habitual: time of the earliest use that completes usage_velocity_threshold uses spanning less than 7 days; NULL if no such use';
COMMENT ON COLUMN adoption.user_feature_state.milestone_buffer IS 'Internal: the aha_successes earliest success times and the use times before habitual_at, with which a late event moves a milestone exactly';

/*
 * Per tenant x user: the facts lifecycle and stickiness questions start
 * from, and who is active when.  activity holds the user's activity spans:
 * the union of [e, e + active_window) over the user's event times e, as
 * sorted disjoint intervals (events closer than active_window apart share
 * one), so whether the user was active at any past time is known exactly
 * without the log.
 */
CREATE TABLE adoption.tenant_user_state (
	tenant_id text NOT NULL,
	user_id text NOT NULL,
	first_seen_at timestamptz NOT NULL,
	last_seen_at timestamptz NOT NULL,
	uses bigint NOT NULL DEFAULT 0,
	successes bigint NOT NULL DEFAULT 0,
	activity bytea NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, user_id)
) WITH (fillfactor = 50);
COMMENT ON TABLE adoption.tenant_user_state IS 'One user of one tenant over all features, a function of the set of their events, maintained by the ingest trigger';
COMMENT ON COLUMN adoption.tenant_user_state.first_seen_at IS 'Earliest usage_timestamp of any feature';
COMMENT ON COLUMN adoption.tenant_user_state.last_seen_at IS 'Latest usage_timestamp of any feature';
COMMENT ON COLUMN adoption.tenant_user_state.uses IS 'Events of any feature';
COMMENT ON COLUMN adoption.tenant_user_state.successes IS 'Events with success_outcome true';
COMMENT ON COLUMN adoption.tenant_user_state.activity IS 'Internal: the spans of time in which the user was active (an event within active_window before), for the feature_adopted milestone';
SELECT pg_catalog.pg_extension_config_dump('adoption.tenant_user_state', '');

/*
 * Per tenant: its reference time (last_event_at, the latest event time) and
 * its active users as of then.  The ingest trigger locks a tenant's row to
 * evaluate its feature_adopted milestones, so that evaluation sees every
 * committed event of the tenant.
 */
CREATE TABLE adoption.tenant_state (
	tenant_id text PRIMARY KEY,
	first_event_at timestamptz NOT NULL,
	last_event_at timestamptz NOT NULL,
	users integer NOT NULL DEFAULT 0,
	active_users integer NOT NULL DEFAULT 0,
	uses bigint NOT NULL DEFAULT 0,
	successes bigint NOT NULL DEFAULT 0,
	updated_at timestamptz NOT NULL DEFAULT pg_catalog.now()
) WITH (fillfactor = 50);
COMMENT ON TABLE adoption.tenant_state IS 'One tenant over all users and features, a function of the set of its events, maintained by the ingest trigger';
COMMENT ON COLUMN adoption.tenant_state.first_event_at IS 'Earliest usage_timestamp of the tenant';
COMMENT ON COLUMN adoption.tenant_state.last_event_at IS 'Latest usage_timestamp of the tenant: the reference time of active_users and of adoption.tenant_feature_state';
COMMENT ON COLUMN adoption.tenant_state.users IS 'Users with at least one event';
COMMENT ON COLUMN adoption.tenant_state.active_users IS 'Users with an event in (last_event_at - active_window, last_event_at]';
COMMENT ON COLUMN adoption.tenant_state.uses IS 'Events';
COMMENT ON COLUMN adoption.tenant_state.successes IS 'Events with success_outcome true';
SELECT pg_catalog.pg_extension_config_dump('adoption.tenant_state', '');

/*
 * Per tenant x feature: the counts of users who reached each user
 * milestone (kept by the trigger when a user reaches one; the row's lock
 * also guards the first sight of a user x feature), and the tenant
 * milestone feature_adopted, written only under the tenant's lock
 * (adoption.tenant_state).
 */
CREATE TABLE adoption.tenant_feature_counts (
	tenant_id text NOT NULL,
	feature_id text NOT NULL,
	activated_users integer NOT NULL DEFAULT 0,
	adopted_users integer NOT NULL DEFAULT 0,
	habitual_users integer NOT NULL DEFAULT 0,
	updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, feature_id)
) WITH (fillfactor = 50);
COMMENT ON TABLE adoption.tenant_feature_counts IS 'Users of one tenant who reached each milestone of one feature; read adoption.tenant_feature_state';
COMMENT ON COLUMN adoption.tenant_feature_counts.activated_users IS 'Users who used the feature';
COMMENT ON COLUMN adoption.tenant_feature_counts.adopted_users IS 'Users who adopted it';
COMMENT ON COLUMN adoption.tenant_feature_counts.habitual_users IS 'Users who became habitual';
SELECT pg_catalog.pg_extension_config_dump('adoption.tenant_feature_counts', '');

CREATE TABLE adoption.tenant_feature_milestones (
	tenant_id text NOT NULL,
	feature_id text NOT NULL,
	feature_adopted_at timestamptz NOT NULL,
	evidence jsonb NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, feature_id)
);
COMMENT ON TABLE adoption.tenant_feature_milestones IS 'Tenant milestone feature_adopted of the pairs that have reached it; read adoption.tenant_feature_state';
COMMENT ON COLUMN adoption.tenant_feature_milestones.feature_adopted_at IS 'The earliest event time of the tenant at which, over its events up to then, adoption rate >= feature_adoption_threshold and success rate >= success_outcome_rate';
COMMENT ON COLUMN adoption.tenant_feature_milestones.evidence IS 'The counts at feature_adopted_at: active_users, active_adopters, adoption_rate, active_uses, active_successes, success_rate';
SELECT pg_catalog.pg_extension_config_dump('adoption.tenant_feature_milestones', '');

/* Internal: activity spans of adoption.tenant_user_state (src/tenant.c). */
CREATE FUNCTION adoption.merge_activity(a bytea, b bytea)
RETURNS bytea
AS 'MODULE_PATHNAME', 'adoption_merge_activity'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION adoption.merge_activity(bytea, bytea) IS 'Internal to the ingest trigger: the union of two values of adoption.tenant_user_state.activity';

/*
 * The state of a tenant x feature as of the tenant's latest event time
 * (tenant_state.last_event_at): active users are the tenant's users with an
 * event of any feature within active_window before it, whatever feature.
 */
CREATE VIEW adoption.tenant_feature_state WITH (security_invoker = true) AS
SELECT c.tenant_id, c.feature_id, c.activated_users, c.adopted_users, c.habitual_users,
	ts.active_users,
	coalesce(a.active_adopters, 0)::integer AS active_adopters,
	CASE WHEN ts.active_users > 0
		THEN coalesce(a.active_adopters, 0)::double precision / ts.active_users END AS adoption_rate,
	CASE WHEN a.active_uses > 0
		THEN a.active_successes::double precision / a.active_uses END AS success_rate,
	ts.last_event_at AS evaluated_at,
	m.feature_adopted_at,
	greatest(c.updated_at, m.updated_at) AS updated_at
FROM adoption.tenant_feature_counts AS c
JOIN adoption.tenant_state AS ts ON ts.tenant_id OPERATOR(pg_catalog.=) c.tenant_id
JOIN adoption.effective_settings AS e ON e.tenant_id OPERATOR(pg_catalog.=) c.tenant_id
LEFT JOIN adoption.tenant_feature_milestones AS m
	ON m.tenant_id OPERATOR(pg_catalog.=) c.tenant_id AND m.feature_id OPERATOR(pg_catalog.=) c.feature_id
LEFT JOIN LATERAL (
	SELECT count(*) FILTER (WHERE s.adopted_at IS NOT NULL) AS active_adopters,
		sum(s.uses) AS active_uses, sum(s.successes) AS active_successes
	FROM adoption.user_feature_state AS s
	JOIN adoption.tenant_user_state AS u
		ON u.tenant_id OPERATOR(pg_catalog.=) s.tenant_id AND u.user_id OPERATOR(pg_catalog.=) s.user_id
	WHERE s.tenant_id OPERATOR(pg_catalog.=) c.tenant_id AND s.feature_id OPERATOR(pg_catalog.=) c.feature_id
		AND u.last_seen_at OPERATOR(pg_catalog.>) (ts.last_event_at OPERATOR(pg_catalog.-) e.active_window)
) AS a ON true;
COMMENT ON VIEW adoption.tenant_feature_state IS 'Adoption of one feature by one tenant as of the tenant''s latest event time, over the tenant''s active users';
COMMENT ON COLUMN adoption.tenant_feature_state.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.tenant_feature_state.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.tenant_feature_state.activated_users IS 'Users who used the feature';
COMMENT ON COLUMN adoption.tenant_feature_state.adopted_users IS 'Users who adopted it (any time)';
COMMENT ON COLUMN adoption.tenant_feature_state.habitual_users IS 'Users who became habitual (any time)';
COMMENT ON COLUMN adoption.tenant_feature_state.active_users IS 'The tenant''s active users: users with an event of any feature in (evaluated_at - active_window, evaluated_at]';
COMMENT ON COLUMN adoption.tenant_feature_state.active_adopters IS 'Active users who adopted the feature';
COMMENT ON COLUMN adoption.tenant_feature_state.adoption_rate IS 'active_adopters / active_users (the tenant''s, not the feature''s own users)';
COMMENT ON COLUMN adoption.tenant_feature_state.success_rate IS 'Successful uses / uses of the feature by active users (NULL without such uses)';
COMMENT ON COLUMN adoption.tenant_feature_state.evaluated_at IS 'Reference time: the tenant''s latest event time (tenant_state.last_event_at)';
COMMENT ON COLUMN adoption.tenant_feature_state.feature_adopted_at IS 'Milestone feature_adopted: the earliest event time of the tenant at which, over its events up to then, adoption_rate >= feature_adoption_threshold and success_rate >= success_outcome_rate; NULL if none';
COMMENT ON COLUMN adoption.tenant_feature_state.updated_at IS 'When the counts or the milestone were last written';

/*
 * Adoption of each feature by each tenant as of now(), over the tenant's
 * active users (SPEC 4, the population Pendo and Amplitude divide by):
 * users with an event of any feature in (now() - active_window, now()].
 * tenant_user_state's last_seen_at decides, except for a user seen after
 * now() (an event ahead of the clock, within max_future_skew): for those
 * the log says whether an event falls in the window; likewise a feature's
 * own active users (feature_active_users, mean_velocity) by last_used_at.
 */
CREATE VIEW adoption.feature_adoption WITH (security_invoker = true) AS
WITH active AS (
	SELECT v.tenant_id, v.user_id
	FROM adoption.tenant_user_state AS v
	JOIN adoption.effective_settings AS e ON e.tenant_id OPERATOR(pg_catalog.=) v.tenant_id
	WHERE v.last_seen_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) e.active_window)
		AND (v.last_seen_at OPERATOR(pg_catalog.<=) pg_catalog.now() OR EXISTS (
			SELECT 1 FROM adoption.feature_usage_events AS x
			WHERE x.tenant_id OPERATOR(pg_catalog.=) v.tenant_id AND x.user_id OPERATOR(pg_catalog.=) v.user_id
				AND x.usage_timestamp OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) e.active_window)
				AND x.usage_timestamp OPERATOR(pg_catalog.<=) pg_catalog.now()))
),
tenant_active AS (
	SELECT active.tenant_id, count(*) AS active_users FROM active GROUP BY active.tenant_id
),
pair AS (
	SELECT s.tenant_id, s.feature_id, s.user_id, s.uses, s.successes, s.adopted_at, s.habitual_at,
		s.last_used_at, s.velocity_per_week, a.user_id IS NOT NULL AS tenant_active,
		s.last_used_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) e.active_window)
			AND (s.last_used_at OPERATOR(pg_catalog.<=) pg_catalog.now() OR EXISTS (
				SELECT 1 FROM adoption.feature_usage_events AS x
				WHERE x.tenant_id OPERATOR(pg_catalog.=) s.tenant_id AND x.user_id OPERATOR(pg_catalog.=) s.user_id
					AND x.feature_id OPERATOR(pg_catalog.=) s.feature_id
					AND x.usage_timestamp OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) e.active_window)
					AND x.usage_timestamp OPERATOR(pg_catalog.<=) pg_catalog.now())) AS feature_active
	FROM adoption.user_feature_state AS s
	JOIN adoption.effective_settings AS e ON e.tenant_id OPERATOR(pg_catalog.=) s.tenant_id
	LEFT JOIN active AS a
		ON a.tenant_id OPERATOR(pg_catalog.=) s.tenant_id AND a.user_id OPERATOR(pg_catalog.=) s.user_id
	WHERE s.uses OPERATOR(pg_catalog.>) 0
)
SELECT p.tenant_id, p.feature_id, f.feature_name, f.tier,
	coalesce(t.active_users, 0) AS active_users,
	count(*) AS activated_users,
	count(*) FILTER (WHERE p.adopted_at IS NOT NULL) AS adopted_users,
	count(*) FILTER (WHERE p.habitual_at IS NOT NULL) AS habitual_users,
	(count(*) FILTER (WHERE p.tenant_active AND p.adopted_at OPERATOR(pg_catalog.<=) pg_catalog.now()))::double precision
		OPERATOR(pg_catalog./) NULLIF(t.active_users, 0) AS adoption_rate,
	(sum(p.successes) FILTER (WHERE p.tenant_active))::double precision
		OPERATOR(pg_catalog./) NULLIF(sum(p.uses) FILTER (WHERE p.tenant_active), 0) AS success_rate,
	avg(adoption.velocity_at(p.velocity_per_week, p.last_used_at, pg_catalog.now()))
		FILTER (WHERE p.feature_active) AS mean_velocity,
	max(p.last_used_at) AS last_used_at,
	m.feature_adopted_at,
	count(*) FILTER (WHERE p.tenant_active AND p.adopted_at OPERATOR(pg_catalog.<=) pg_catalog.now()) AS active_adopters,
	count(*) FILTER (WHERE p.feature_active) AS feature_active_users
FROM pair AS p
LEFT JOIN tenant_active AS t ON t.tenant_id OPERATOR(pg_catalog.=) p.tenant_id
LEFT JOIN adoption.features AS f ON f.feature_id OPERATOR(pg_catalog.=) p.feature_id
LEFT JOIN adoption.tenant_feature_milestones AS m
	ON m.tenant_id OPERATOR(pg_catalog.=) p.tenant_id AND m.feature_id OPERATOR(pg_catalog.=) p.feature_id
GROUP BY p.tenant_id, p.feature_id, f.feature_name, f.tier, t.active_users, m.feature_adopted_at;
COMMENT ON VIEW adoption.feature_adoption IS 'Adoption of each feature by each tenant, as of now: the tenant''s active users (an event of any feature within active_window), who of them adopted the feature, who ever activated, adopted and became habitual, and when the tenant adopted the feature';
COMMENT ON COLUMN adoption.feature_adoption.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.feature_adoption.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.feature_adoption.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.feature_adoption.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.feature_adoption.active_users IS 'The tenant''s active users: users with an event of any feature in (now - active_window, now] (not only users of this feature): the denominator of adoption_rate';
COMMENT ON COLUMN adoption.feature_adoption.activated_users IS 'Users who ever used the feature';
COMMENT ON COLUMN adoption.feature_adoption.adopted_users IS 'Users who reached aha_successes successful uses (any time, active or not)';
COMMENT ON COLUMN adoption.feature_adoption.habitual_users IS 'Users who reached usage_velocity_threshold uses within 7 days';
COMMENT ON COLUMN adoption.feature_adoption.adoption_rate IS 'active_adopters / active_users: the share of the tenant''s active users who adopted the feature (NULL without active users)';
COMMENT ON COLUMN adoption.feature_adoption.success_rate IS 'Successful uses / uses of the feature, over the uses of the tenant''s active users (NULL without such uses)';
COMMENT ON COLUMN adoption.feature_adoption.mean_velocity IS 'Mean uses per week, decayed to now (7-day half-life), of the feature''s own active users (feature_active_users; NULL without)';
COMMENT ON COLUMN adoption.feature_adoption.last_used_at IS 'Latest use of the feature in the tenant';
COMMENT ON COLUMN adoption.feature_adoption.feature_adopted_at IS 'When the tenant reached feature_adoption_threshold and success_outcome_rate (milestone feature_adopted), NULL if not yet';
COMMENT ON COLUMN adoption.feature_adoption.active_adopters IS 'The tenant''s active users who adopted the feature (adopted_at <= now): the numerator of adoption_rate';
COMMENT ON COLUMN adoption.feature_adoption.feature_active_users IS 'Users who used this feature in (now - active_window, now]: the feature''s own active users, a subset of active_users';


/* Returns what was deleted, per table, as jsonb. */
CREATE OR REPLACE FUNCTION adoption.forget_tenant(tenant_id text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t text := forget_tenant.tenant_id;
	counts jsonb := '{}';
	n bigint;
	tbl text;
BEGIN
	PERFORM adoption.check_known_tenant(t, 'Pass the tenant_id of the tenant to forget.');
	/* Every table that holds rows of a tenant; the tenant's own row last. */
	FOREACH tbl IN ARRAY ARRAY['feature_usage_events', 'user_feature_state', 'tenant_user_state',
		'tenant_feature_counts', 'tenant_feature_milestones', 'tenant_state',
		'feedback', 'support_tickets', 'billing_events', 'campaign_touches',
		'campaign_action_queue', 'campaign_action_archive', 'campaign_action_keys',
		'campaign_followups', 'health_scores', 'lexicon', 'settings', 'tenants'] LOOP
		EXECUTE pg_catalog.format('DELETE FROM adoption.%I AS x WHERE x.tenant_id OPERATOR(pg_catalog.=) $1', tbl)
			USING t;
		GET DIAGNOSTICS n = ROW_COUNT;
		counts := counts OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(tbl, n);
	END LOOP;
	RETURN counts;
END
$$;
COMMENT ON FUNCTION adoption.forget_tenant(text) IS 'Erases a tenant: every row of it in every table of the extension (events, state, feedback, tickets, billing events, touches, actions and keys, follow-ups, health scores, lexicon, settings override, the tenant itself); returns the rows deleted per table as jsonb';


/* Rates over the tenant's active users: health, pes, expansion, launches. */
CREATE OR REPLACE FUNCTION adoption.health_inputs(tenant_ids text[], as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (tenant_id text, events_recent bigint, events_previous bigint, last_event_at timestamptz,
	core_features integer, core_feature_ids text[], core_active bigint[], core_adopters bigint[],
	adoption_threshold double precision, active_users bigint, seats_licensed integer,
	tickets bigint[], billing bigint[], nps_promoters bigint, nps_passives bigint, nps_detractors bigint,
	weights double precision[], healthy_min double precision, at_risk_min double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
BEGIN
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'as_of must be a finite time, not %', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY EXECUTE $q$
	WITH s AS (
		SELECT e.tenant_id, e.active_window, e.feature_adoption_threshold,
			ARRAY[e.weight_usage_trend, e.weight_adoption, e.weight_support, e.weight_billing,
				e.weight_feedback] AS weights,
			e.health_healthy_min, e.health_at_risk_min, t.seats_licensed
		FROM adoption.effective_settings AS e
		JOIN adoption.tenants AS t ON t.tenant_id = e.tenant_id
		WHERE e.tenant_id = ANY ($1)
	),
	w AS (
		SELECT $2 - greatest(interval '60 days', max(s.active_window)) AS since FROM s
	),
	uc AS (
		/* Event counts only: an index-only scan of the partitions' keys. */
		SELECT x.tenant_id,
			count(*) FILTER (WHERE x.usage_timestamp > $2 - interval '30 days') AS recent,
			count(*) FILTER (WHERE x.usage_timestamp <= $2 - interval '30 days') AS previous
		FROM adoption.feature_usage_events AS x
		WHERE x.tenant_id = ANY ($1)
			AND x.usage_timestamp > $2 - interval '60 days' AND x.usage_timestamp <= $2
		GROUP BY x.tenant_id
	),
	st AS (
		/* The tenants' users seen by as_of, one row each. */
		SELECT v.tenant_id, v.user_id, v.last_seen_at
		FROM adoption.tenant_user_state AS v
		WHERE v.tenant_id = ANY ($1) AND v.first_seen_at <= $2
	),
	late AS (
		/* Tenants with a user seen after as_of (a backfill, or events ahead of now). */
		SELECT DISTINCT st.tenant_id FROM st WHERE st.last_seen_at > $2
	),
	lg AS (
		/* For those, each user's last event up to as_of within the window comes from the log. */
		SELECT x.tenant_id, x.user_id, max(x.usage_timestamp) AS last_seen_at
		FROM adoption.feature_usage_events AS x
		WHERE x.tenant_id IN (SELECT late.tenant_id FROM late)
			AND x.usage_timestamp > (SELECT w.since FROM w) AND x.usage_timestamp <= $2
		GROUP BY x.tenant_id, x.user_id
	),
	u AS (
		/*
		 * Last event up to as_of of each user: the state's last_seen_at
		 * when it is not after as_of (exact, however old), else the log's
		 * (NULL when older than the window: not active either way).
		 */
		SELECT st.tenant_id, st.user_id,
			CASE WHEN st.last_seen_at <= $2 THEN st.last_seen_at ELSE lg.last_seen_at END AS last_seen_at
		FROM st
		LEFT JOIN lg ON lg.tenant_id = st.tenant_id AND lg.user_id = st.user_id
	),
	act AS (
		/* The tenant's active users at as_of: an event of any feature in (as_of - active_window, as_of]. */
		SELECT u.tenant_id, u.user_id
		FROM u JOIN s ON s.tenant_id = u.tenant_id
		WHERE u.last_seen_at > $2 - s.active_window
	),
	ut AS (
		SELECT u.tenant_id, max(u.last_seen_at) AS last_event_at, bool_or(u.last_seen_at IS NULL) AS unsure
		FROM u
		GROUP BY u.tenant_id
	),
	au AS (
		SELECT act.tenant_id, count(*) AS active_users FROM act GROUP BY act.tenant_id
	),
	core AS (
		SELECT f.feature_id FROM adoption.features AS f
		WHERE f.tier = 'core' AND (f.launched_at IS NULL OR f.launched_at <= $2)
	),
	cf AS (
		/* Per tenant and core feature: its active users who adopted the feature by as_of. */
		SELECT act.tenant_id, f.feature_id, count(*) AS adopters
		FROM act
		JOIN adoption.user_feature_state AS f ON f.tenant_id = act.tenant_id AND f.user_id = act.user_id
		JOIN core ON core.feature_id = f.feature_id
		WHERE f.adopted_at <= $2
		GROUP BY act.tenant_id, f.feature_id
	),
	cfa AS (
		/* Every core feature, in feature_id order: the tenant's active users and the feature's adopters among them. */
		SELECT s.tenant_id, array_agg(core.feature_id ORDER BY core.feature_id) AS ids,
			array_agg(coalesce(au.active_users, 0) ORDER BY core.feature_id) AS active,
			array_agg(coalesce(cf.adopters, 0) ORDER BY core.feature_id) AS adopters
		FROM s
		CROSS JOIN core
		LEFT JOIN au ON au.tenant_id = s.tenant_id
		LEFT JOIN cf ON cf.tenant_id = s.tenant_id AND cf.feature_id = core.feature_id
		GROUP BY s.tenant_id
	),
	tk AS (
		SELECT k.tenant_id, ARRAY[count(*) FILTER (WHERE k.severity = 'low'),
			count(*) FILTER (WHERE k.severity = 'medium'),
			count(*) FILTER (WHERE k.severity = 'high'),
			count(*) FILTER (WHERE k.severity = 'urgent')] AS tickets
		FROM adoption.support_tickets AS k
		WHERE k.tenant_id = ANY ($1)
			AND k.opened_at > $2 - interval '30 days' AND k.opened_at <= $2
		GROUP BY k.tenant_id
	),
	bl AS (
		SELECT b.tenant_id, ARRAY[count(*) FILTER (WHERE b.kind = 'payment_failed'),
			count(*) FILTER (WHERE b.kind = 'invoice_overdue'),
			count(*) FILTER (WHERE b.kind = 'downgrade'),
			count(*) FILTER (WHERE b.kind = 'refund'),
			count(*) FILTER (WHERE b.kind = 'cancellation')] AS billing
		FROM adoption.billing_events AS b
		WHERE b.tenant_id = ANY ($1)
			AND b.occurred_at > $2 - interval '90 days' AND b.occurred_at <= $2
		GROUP BY b.tenant_id
	),
	np AS (
		SELECT fb.tenant_id, count(*) FILTER (WHERE fb.score >= 9) AS promoters,
			count(*) FILTER (WHERE fb.score BETWEEN 7 AND 8) AS passives,
			count(*) FILTER (WHERE fb.score <= 6) AS detractors
		FROM adoption.feedback AS fb
		WHERE fb.tenant_id = ANY ($1) AND fb.channel = 'nps' AND fb.score IS NOT NULL
			AND fb.created_at > $2 - interval '90 days' AND fb.created_at <= $2
		GROUP BY fb.tenant_id
	)
	SELECT s.tenant_id, coalesce(uc.recent, 0), coalesce(uc.previous, 0),
		CASE WHEN ut.unsure THEN (SELECT max(x.usage_timestamp) FROM adoption.feature_usage_events AS x
			WHERE x.tenant_id = s.tenant_id AND x.usage_timestamp <= $2) ELSE ut.last_event_at END,
		(SELECT count(*) FROM core)::integer,
		coalesce(cfa.ids, '{}'), coalesce(cfa.active, '{}'), coalesce(cfa.adopters, '{}'),
		s.feature_adoption_threshold, coalesce(au.active_users, 0), s.seats_licensed,
		coalesce(tk.tickets, '{0,0,0,0}'), coalesce(bl.billing, '{0,0,0,0,0}'),
		coalesce(np.promoters, 0), coalesce(np.passives, 0), coalesce(np.detractors, 0),
		s.weights, s.health_healthy_min, s.health_at_risk_min
	FROM s
	LEFT JOIN uc ON uc.tenant_id = s.tenant_id
	LEFT JOIN ut ON ut.tenant_id = s.tenant_id
	LEFT JOIN au ON au.tenant_id = s.tenant_id
	LEFT JOIN cfa ON cfa.tenant_id = s.tenant_id
	LEFT JOIN tk ON tk.tenant_id = s.tenant_id
	LEFT JOIN bl ON bl.tenant_id = s.tenant_id
	LEFT JOIN np ON np.tenant_id = s.tenant_id
	$q$ USING tenant_ids, as_of;
END
$$;
COMMENT ON FUNCTION adoption.health_inputs(text[], timestamptz) IS 'The counts behind each health component, per tenant, as of a time: events in the last 30 days and the 30 before, the tenant''s active users (an event of any feature within active_window), per core feature the active users who adopted it (core_adopters) over the tenant''s active users (core_active), tickets of the last 30 days by severity, billing events of the last 90 days by kind, NPS answers of the last 90 days, and the tenant''s settings';

CREATE OR REPLACE FUNCTION adoption.explain_health(tenant_id text, as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (component text, inputs jsonb, score double precision, weight double precision,
	effective_weight double precision, contribution double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM adoption.tenants AS t WHERE t.tenant_id = explain_health.tenant_id) THEN
		RAISE EXCEPTION 'unknown tenant "%"', coalesce(explain_health.tenant_id, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Tenants are the rows of adoption.tenants; events register them on first sight.';
	END IF;
	RETURN QUERY
	SELECT v.component, v.inputs, v.score, v.weight, h.weights[v.ord],
		coalesce(v.score * h.weights[v.ord], 0)
	FROM adoption.health_inputs(ARRAY[explain_health.tenant_id], as_of) AS i,
	LATERAL adoption.health_compute(i.events_recent, i.events_previous, i.last_event_at IS NOT NULL,
		i.core_features, i.core_active, i.core_adopters, i.adoption_threshold, i.active_users,
		i.tickets, i.billing, i.nps_promoters, i.nps_passives, i.nps_detractors, i.weights) AS h,
	LATERAL (VALUES
		(1, 'usage_trend', jsonb_build_object('events_last_30_days', i.events_recent,
			'events_previous_30_days', i.events_previous, 'last_event_at', i.last_event_at),
			h.usage_trend, i.weights[1]),
		(2, 'adoption', jsonb_build_object('core_features', i.core_features,
			'adoption_threshold', i.adoption_threshold, 'active_users', i.active_users,
			'adopters', coalesce((SELECT jsonb_object_agg(z.feature_id, z.adopters)
				FROM unnest(i.core_feature_ids, i.core_adopters) AS z(feature_id, adopters)), '{}')),
			h.adoption, i.weights[2]),
		(3, 'support', jsonb_build_object('tickets_last_30_days', jsonb_build_object('low', i.tickets[1],
			'medium', i.tickets[2], 'high', i.tickets[3], 'urgent', i.tickets[4]),
			'weighted_tickets', i.tickets[1] + 2 * i.tickets[2] + 4 * i.tickets[3] + 8 * i.tickets[4],
			'active_users', i.active_users, 'scale', greatest(1, 0.2 * i.active_users)),
			h.support, i.weights[3]),
		(4, 'billing', jsonb_build_object('last_90_days', jsonb_build_object('payment_failed', i.billing[1],
			'invoice_overdue', i.billing[2], 'downgrade', i.billing[3], 'refund', i.billing[4],
			'cancellation', i.billing[5]),
			'penalty', 25 * i.billing[1] + 25 * i.billing[2] + 30 * i.billing[3] + 10 * i.billing[4] + 100 * i.billing[5]),
			h.billing, i.weights[4]),
		(5, 'feedback', jsonb_build_object('nps_last_90_days', jsonb_build_object('promoters', i.nps_promoters,
			'passives', i.nps_passives, 'detractors', i.nps_detractors),
			'nps', CASE WHEN i.nps_promoters + i.nps_passives + i.nps_detractors > 0 THEN
				round(100.0 * (i.nps_promoters - i.nps_detractors) / (i.nps_promoters + i.nps_passives + i.nps_detractors), 2) END),
			h.feedback, i.weights[5])
	) AS v(ord, component, inputs, score, weight)
	ORDER BY v.ord;
END
$$;
COMMENT ON FUNCTION adoption.explain_health(text, timestamptz) IS 'One row per health component of a tenant as of a time: its inputs (for adoption: the tenant''s active users and, per core feature, how many of them adopted it), 0-100 score (NULL when absent), configured and effective weight, and contribution; the contributions sum to the score';

CREATE OR REPLACE FUNCTION adoption.pes(
	actor text DEFAULT 'user',
	feature_id text DEFAULT NULL,
	period text DEFAULT 'day',
	from_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date - 89),
	to_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date),
	tenant_id text DEFAULT NULL)
RETURNS TABLE (period_start date, active_actors bigint, adoption double precision,
	stickiness double precision, growth double precision, score double precision)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
	r record;
BEGIN
	r := adoption.analytics_periods(actor, period, from_date, to_date);
	RETURN QUERY
	WITH core AS (
		SELECT f.feature_id, f.launched_at
		FROM adoption.features AS f
		WHERE (pes.feature_id IS NULL AND f.tier = 'core') OR f.feature_id = pes.feature_id
	), ends AS (
		SELECT g.p, g.e,
			(SELECT count(*) FROM core WHERE core.launched_at IS NULL OR core.launched_at < g.e) AS n_core
		FROM (SELECT p, adoption.period_start(r.origin, pes.period, p + 1)::timestamp AT TIME ZONE 'UTC' AS e
			FROM generate_series(0, r.n - 1) AS p) AS g
	), adopted AS (
		SELECT s.actor_tenant AS t, s.actor_user AS u, s.adopted_at AS at, c.launched_at
		FROM adoption.actor_adoptions(pes.actor, pes.feature_id, pes.tenant_id) AS s
			JOIN core AS c ON c.feature_id = s.adopted_feature_id
	), active AS (
		SELECT a.actor_tenant AS t, a.actor_user AS u, p
		FROM adoption.actor_activity(pes.actor, NULL, pes.tenant_id, r.origin, pes.period, r.n) AS a,
			generate_series(0, r.n - 1) AS p
		WHERE get_bit(a.bits, p) = 1
	), shares AS (
		SELECT active.p, count(d.at)::double precision / nullif(ends.n_core, 0) AS share
		FROM active JOIN ends ON ends.p = active.p
			LEFT JOIN adopted AS d ON d.t = active.t AND d.u = active.u AND d.at < ends.e
				AND (d.launched_at IS NULL OR d.launched_at < ends.e)
		GROUP BY active.p, active.t, active.u, ends.n_core
	), adoption_part AS (
		SELECT shares.p, 100 * avg(shares.share) AS v
		FROM shares
		GROUP BY shares.p
	), growth_part AS (
		SELECT l.period_start AS ps,
			100 * sum(l.actors) FILTER (WHERE l.status IN ('new', 'resurrecting'))::double precision
				/ nullif(sum(abs(l.actors)) FILTER (WHERE l.status <> 'returning'), 0) AS v
		FROM adoption.lifecycle(pes.actor, pes.feature_id, pes.period, pes.from_date, pes.to_date, pes.tenant_id) AS l
		GROUP BY l.period_start
	), parts AS (
		SELECT s.period_start AS ps, s.active_actors AS act, ap.v AS a, 100 * s.dau_mau AS st, g.v AS g
		FROM adoption.stickiness(pes.actor, pes.feature_id, pes.period, pes.from_date, pes.to_date, pes.tenant_id) AS s
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

CREATE OR REPLACE VIEW adoption.expansion_opportunities WITH (security_invoker = true) AS
WITH active AS (
	SELECT v.tenant_id, count(*) AS active_users
	FROM adoption.tenant_user_state AS v
	JOIN adoption.effective_settings AS e ON e.tenant_id OPERATOR(pg_catalog.=) v.tenant_id
	WHERE v.last_seen_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) e.active_window)
		AND (v.last_seen_at OPERATOR(pg_catalog.<=) pg_catalog.now() OR EXISTS (
			SELECT 1 FROM adoption.feature_usage_events AS x
			WHERE x.tenant_id OPERATOR(pg_catalog.=) v.tenant_id AND x.user_id OPERATOR(pg_catalog.=) v.user_id
				AND x.usage_timestamp OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) e.active_window)
				AND x.usage_timestamp OPERATOR(pg_catalog.<=) pg_catalog.now()))
	GROUP BY v.tenant_id
)
SELECT t.tenant_id, 'seat_utilization'::text AS opportunity, NULL::text AS feature_id,
	a.active_users::double precision / t.seats_licensed AS metric,
	jsonb_build_object('active_users', a.active_users, 'seats_licensed', t.seats_licensed,
		'threshold', e.seat_utilization_threshold) AS evidence,
	t.arr, t.segment
FROM adoption.tenants AS t
JOIN active AS a ON a.tenant_id OPERATOR(pg_catalog.=) t.tenant_id
JOIN adoption.effective_settings AS e ON e.tenant_id OPERATOR(pg_catalog.=) t.tenant_id
WHERE t.seats_licensed > 0 AND a.active_users >= e.seat_utilization_threshold * t.seats_licensed
UNION ALL
SELECT t.tenant_id, 'upgrade_path', f.upgrade_feature_id, count(*)::double precision,
	jsonb_build_object('feature_id', f.feature_id, 'habitual_users', count(*),
		'upgrade_tier', g.tier, 'upgrade_feature_name', g.feature_name),
	t.arr, t.segment
FROM adoption.user_feature_state AS s
JOIN adoption.features AS f ON f.feature_id OPERATOR(pg_catalog.=) s.feature_id
JOIN adoption.features AS g ON g.feature_id OPERATOR(pg_catalog.=) f.upgrade_feature_id
JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) s.tenant_id
WHERE s.habitual_at IS NOT NULL
	AND NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS u
		WHERE u.tenant_id OPERATOR(pg_catalog.=) s.tenant_id
			AND u.feature_id OPERATOR(pg_catalog.=) f.upgrade_feature_id
			AND u.activated_at IS NOT NULL)
GROUP BY t.tenant_id, f.feature_id, f.upgrade_feature_id, g.tier, g.feature_name, t.arr, t.segment
UNION ALL
SELECT t.tenant_id, 'feature_request', c.feature_id, count(*)::double precision,
	jsonb_build_object('requests', count(*), 'tier', c.tier, 'feature_name', c.feature_name,
		'last_requested_at', max(b.created_at)),
	t.arr, t.segment
FROM adoption.feedback AS b
CROSS JOIN LATERAL pg_catalog.unnest(b.feature_requests) AS q(request)
JOIN adoption.features AS c ON c.feature_id OPERATOR(pg_catalog.=) q.request AND c.tier <> 'core'
JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) b.tenant_id
WHERE b.created_at > pg_catalog.now() - interval '90 days'
	AND NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS u
		WHERE u.tenant_id OPERATOR(pg_catalog.=) b.tenant_id
			AND u.feature_id OPERATOR(pg_catalog.=) c.feature_id)
GROUP BY t.tenant_id, c.feature_id, c.tier, c.feature_name, t.arr, t.segment;
COMMENT ON VIEW adoption.expansion_opportunities IS 'Tenants with room to expand: seats nearly all in use, habitual use of a feature whose upgrade they have not activated, or feedback asking for an advanced or premium feature they do not use';
COMMENT ON COLUMN adoption.expansion_opportunities.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.expansion_opportunities.opportunity IS 'seat_utilization (active users / seats_licensed >= seat_utilization_threshold), upgrade_path (habitual use of a feature whose upgrade_feature_id the tenant has not activated) or feature_request (feedback of the last 90 days asks for an advanced or premium feature the tenant does not use)';
COMMENT ON COLUMN adoption.expansion_opportunities.feature_id IS 'The feature to offer (upgrade_path, feature_request); NULL for seats';
COMMENT ON COLUMN adoption.expansion_opportunities.metric IS 'Seat utilization (the tenant''s active users, with an event of any feature within active_window before now, / seats), the number of habitual users of the feature below the upgrade, or the number of requests';
COMMENT ON COLUMN adoption.expansion_opportunities.evidence IS 'The numbers behind the opportunity, as JSON';
COMMENT ON COLUMN adoption.expansion_opportunities.arr IS 'Annual recurring revenue of the tenant';
COMMENT ON COLUMN adoption.expansion_opportunities.segment IS 'Tenant segment';

CREATE OR REPLACE VIEW adoption.launch_performance WITH (security_invoker = true) AS
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
	a.users_adopted::double precision / NULLIF(a.users_active, 0) AS user_adoption_rate
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
	FROM adoption.user_feature_state AS s
	WHERE s.feature_id OPERATOR(pg_catalog.=) l.feature_id
) AS u
CROSS JOIN LATERAL (
	SELECT count(*) FILTER (WHERE t.first_activated_at >= l.launched_at
			AND t.first_activated_at < l.launched_at + interval '168 hours') AS tenants_activated_7d,
		count(*) FILTER (WHERE t.first_activated_at >= l.launched_at
			AND t.first_activated_at < l.launched_at + interval '720 hours') AS tenants_activated_30d,
		count(*) FILTER (WHERE t.first_activated_at >= l.launched_at
			AND t.first_activated_at < l.launched_at + interval '2160 hours') AS tenants_activated_90d
	FROM (SELECT s.tenant_id, min(s.activated_at) AS first_activated_at
		FROM adoption.user_feature_state AS s
		WHERE s.feature_id OPERATOR(pg_catalog.=) l.feature_id
		GROUP BY s.tenant_id) AS t
) AS tn
CROSS JOIN LATERAL (
	/*
	 * One pass over the log's events of the target window: the users
	 * active in it (any feature), per tenant, and which of them adopted.
	 */
	SELECT count(*) AS tenants_active,
		count(*) FILTER (WHERE EXISTS (SELECT 1 FROM adoption.user_feature_state AS s
			WHERE s.tenant_id OPERATOR(pg_catalog.=) w.tenant_id
				AND s.feature_id OPERATOR(pg_catalog.=) l.feature_id
				AND s.adopted_at < l.launched_at + l.target_days * interval '24 hours')) AS tenants_adopted,
		coalesce(sum(w.users), 0)::bigint AS users_active,
		coalesce(sum(w.adopters), 0)::bigint AS users_adopted
	FROM (SELECT x.tenant_id, count(*) AS users,
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM adoption.user_feature_state AS s
				WHERE s.tenant_id OPERATOR(pg_catalog.=) x.tenant_id
					AND s.feature_id OPERATOR(pg_catalog.=) l.feature_id
					AND s.user_id OPERATOR(pg_catalog.=) x.user_id
					AND s.adopted_at < l.launched_at + l.target_days * interval '24 hours')) AS adopters
		FROM (SELECT DISTINCT e.tenant_id, e.user_id
			FROM adoption.feature_usage_events AS e
			WHERE e.usage_timestamp >= l.launched_at
				AND e.usage_timestamp < l.launched_at + l.target_days * interval '24 hours') AS x
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
COMMENT ON COLUMN adoption.launch_performance.target_met IS 'adoption_rate >= target_adoption (false without active tenants); NULL until target_at has passed';
COMMENT ON COLUMN adoption.launch_performance.users_active IS 'Users (of every tenant) with an event of any feature in [launched_at, target_at): the denominator of user_adoption_rate, not only the feature''s users';
COMMENT ON COLUMN adoption.launch_performance.users_adopted IS 'Of users_active, those who adopted the feature (adopted_at) before target_at, before the launch included';
COMMENT ON COLUMN adoption.launch_performance.user_adoption_rate IS 'users_adopted / users_active (NULL without active users); so far while target_at is ahead';
COMMENT ON COLUMN adoption.tenant_health.adoption IS '100 x mean over the core features of min(1, rate / feature_adoption_threshold), rate = active users who adopted the feature / the tenant''s active users (an event of any feature within active_window before scored_at); a core feature no active user adopted counts 0';

/* Privileges and row-level security of the new objects (security.sql). */
REVOKE ALL ON adoption.tenant_user_state, adoption.tenant_state, adoption.tenant_feature_counts,
	adoption.tenant_feature_milestones, adoption.tenant_feature_state, adoption.feature_adoption FROM PUBLIC;
REVOKE ALL ON FUNCTION adoption.merge_activity(bytea, bytea) FROM PUBLIC;
GRANT SELECT ON adoption.tenant_user_state, adoption.tenant_state, adoption.tenant_feature_counts,
	adoption.tenant_feature_milestones, adoption.tenant_feature_state, adoption.feature_adoption
	TO adoption_analyst, adoption_tenant;
DO $$
DECLARE
	tbl text;
BEGIN
	FOREACH tbl IN ARRAY ARRAY['tenant_user_state', 'tenant_state', 'tenant_feature_counts', 'tenant_feature_milestones'] LOOP
		EXECUTE pg_catalog.format('ALTER TABLE adoption.%I ENABLE ROW LEVEL SECURITY', tbl);
		EXECUTE pg_catalog.format('CREATE POLICY all_rows ON adoption.%I TO adoption_app, adoption_analyst USING (true) WITH CHECK (true)', tbl);
		EXECUTE pg_catalog.format('CREATE POLICY own_tenant ON adoption.%I FOR SELECT TO adoption_tenant USING (tenant_id OPERATOR(pg_catalog.=) NULLIF(pg_catalog.current_setting(''adoption.tenant_id'', true), ''''))', tbl);
		EXECUTE pg_catalog.format('COMMENT ON POLICY all_rows ON adoption.%I IS %L', tbl,
			'adoption_app and adoption_analyst see and write every row (their table privileges limit what they may do)');
		EXECUTE pg_catalog.format('COMMENT ON POLICY own_tenant ON adoption.%I IS %L', tbl,
			'adoption_tenant reads only the rows of the tenant named by the setting adoption.tenant_id (none when adoption.tenant_id is unset or empty)');
	END LOOP;
END
$$;

/* The state, recomputed from the log with 0.3.0's definitions. */
/*
 * The rebuild below runs the library installed, which may be newer than
 * 0.3.0: the columns later versions' engine writes come first (a later
 * version's script adds each only if missing).
 *   0.4.0: tenant_state.open_adopters, last_feature_adopted_at.
 */
ALTER TABLE adoption.tenant_state
	ADD COLUMN open_adopters integer NOT NULL DEFAULT 0,
	ADD COLUMN last_feature_adopted_at timestamptz;
SELECT adoption.rebuild();
