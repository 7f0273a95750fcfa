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

CREATE VIEW adoption.feature_adoption WITH (security_invoker = true) AS
SELECT s.tenant_id, s.feature_id, f.feature_name, f.tier,
	count(*) FILTER (WHERE s.last_used_at > pg_catalog.now() - e.active_window) AS active_users,
	count(*) AS activated_users,
	count(*) FILTER (WHERE s.adopted_at IS NOT NULL) AS adopted_users,
	count(*) FILTER (WHERE s.habitual_at IS NOT NULL) AS habitual_users,
	(count(*) FILTER (WHERE s.last_used_at > pg_catalog.now() - e.active_window AND s.adopted_at IS NOT NULL))::double precision
		/ NULLIF(count(*) FILTER (WHERE s.last_used_at > pg_catalog.now() - e.active_window), 0) AS adoption_rate,
	(sum(s.successes) FILTER (WHERE s.last_used_at > pg_catalog.now() - e.active_window))::double precision
		/ NULLIF(sum(s.uses) FILTER (WHERE s.last_used_at > pg_catalog.now() - e.active_window), 0) AS success_rate,
	avg(adoption.velocity_at(s.velocity_per_week, s.last_used_at, pg_catalog.now()))
		FILTER (WHERE s.last_used_at > pg_catalog.now() - e.active_window) AS mean_velocity,
	max(s.last_used_at) AS last_used_at,
	tf.feature_adopted_at
FROM adoption.user_feature_state AS s
JOIN adoption.effective_settings AS e ON e.tenant_id OPERATOR(pg_catalog.=) s.tenant_id
LEFT JOIN adoption.features AS f ON f.feature_id OPERATOR(pg_catalog.=) s.feature_id
LEFT JOIN adoption.tenant_feature_state AS tf
	ON tf.tenant_id OPERATOR(pg_catalog.=) s.tenant_id AND tf.feature_id OPERATOR(pg_catalog.=) s.feature_id
WHERE s.uses > 0
GROUP BY s.tenant_id, s.feature_id, f.feature_name, f.tier, tf.feature_adopted_at;
COMMENT ON VIEW adoption.feature_adoption IS 'Adoption of each feature by each tenant, as of now: who is active, who activated, adopted and became habitual, and when the tenant adopted the feature';
COMMENT ON COLUMN adoption.feature_adoption.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.feature_adoption.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.feature_adoption.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.feature_adoption.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.feature_adoption.active_users IS 'Users who used the feature within the tenant''s active_window before now';
COMMENT ON COLUMN adoption.feature_adoption.activated_users IS 'Users who ever used the feature';
COMMENT ON COLUMN adoption.feature_adoption.adopted_users IS 'Users who reached aha_successes successful uses';
COMMENT ON COLUMN adoption.feature_adoption.habitual_users IS 'Users who reached usage_velocity_threshold uses within 7 days';
COMMENT ON COLUMN adoption.feature_adoption.adoption_rate IS 'Active users who adopted / active users (NULL without active users)';
COMMENT ON COLUMN adoption.feature_adoption.success_rate IS 'Successful uses / uses, over active users';
COMMENT ON COLUMN adoption.feature_adoption.mean_velocity IS 'Mean uses per week of active users, decayed to now (7-day half-life)';
COMMENT ON COLUMN adoption.feature_adoption.last_used_at IS 'Latest use of the feature in the tenant';
COMMENT ON COLUMN adoption.feature_adoption.feature_adopted_at IS 'When the tenant reached feature_adoption_threshold and success_outcome_rate (milestone feature_adopted), NULL if not yet';


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
SELECT adoption.rebuild();
