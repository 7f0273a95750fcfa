/*
 * views.sql: views for analysts and BI tools.  Every view is
 * security_invoker (row-level security applies to the reader) and has a
 * COMMENT on itself and on every column.
 */

/*
 * What follows from the columns of adoption.settings, written from the
 * catalog so that a new setting needs no change here; run by CREATE
 * EXTENSION and by an upgrade script after it adds a setting:
 *   - adoption.settings_in_force(tenant_id, defaults, override): the one
 *     implementation of "the tenant's override, else the default", each
 *     column of override that is not NULL, else that of defaults (override
 *     NULL: the defaults); a SQL function of one SELECT of coalesce() per
 *     column, which the planner inlines.  The C cache, tenant_settings()
 *     and the view use it;
 *   - the view adoption.effective_settings, the settings in force for each
 *     tenant, with the comments of the table's columns.
 * Callers pass the rows as ROW(d.*)::adoption.settings, not d: on Citus a
 * whole-row reference to a shard of the reference table has the shard's row
 * type, which settings_in_force() does not take.
 */
CREATE FUNCTION adoption.settings_derive()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $derive$
DECLARE
	cols text;
	col record;
BEGIN
	SELECT string_agg(CASE WHEN a.attname = 'tenant_id' THEN 'tenant_id'
		ELSE format('coalesce(override.%1$I, defaults.%1$I)', a.attname) END, ', ' ORDER BY a.attnum)
	INTO cols
	FROM pg_attribute AS a
	WHERE a.attrelid = 'adoption.settings'::regclass AND a.attnum > 0 AND NOT a.attisdropped;
	EXECUTE format('CREATE OR REPLACE FUNCTION adoption.settings_in_force(tenant_id text, defaults adoption.settings, override adoption.settings)
RETURNS SETOF adoption.settings
LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 1
AS %L', 'SELECT ' || cols);
	COMMENT ON FUNCTION adoption.settings_in_force(text, adoption.settings, adoption.settings) IS 'The settings in force for a tenant (one row): each column of its override row that is not NULL, else that of the defaults row';
	CREATE OR REPLACE VIEW adoption.effective_settings WITH (security_invoker = true) AS
	SELECT s.*
	FROM adoption.tenants AS t
	CROSS JOIN adoption.settings AS d
	LEFT JOIN adoption.settings AS o ON o.tenant_id OPERATOR(pg_catalog.=) t.tenant_id
	CROSS JOIN LATERAL adoption.settings_in_force(t.tenant_id, ROW(d.*)::adoption.settings,
		ROW(o.*)::adoption.settings) AS s
	WHERE d.tenant_id IS NULL;
	COMMENT ON VIEW adoption.effective_settings IS 'The settings in force for each tenant: its overrides, else the defaults';
	/*
	 * Every setting has a default, except event_retention (none: events are
	 * kept).  Named columns, not a whole-row reference: Citus cannot deparse
	 * one into a shard's CHECK.
	 */
	SELECT string_agg(format('%I IS NOT NULL', a.attname), ' AND ' ORDER BY a.attname)
	INTO cols
	FROM pg_attribute AS a
	WHERE a.attrelid = 'adoption.settings'::regclass AND a.attnum > 0 AND NOT a.attisdropped
		AND a.attname NOT IN ('tenant_id', 'event_retention');
	ALTER TABLE adoption.settings DROP CONSTRAINT IF EXISTS settings_defaults_complete;
	EXECUTE format('ALTER TABLE adoption.settings ADD CONSTRAINT settings_defaults_complete CHECK (tenant_id IS NOT NULL OR (%s))',
		cols);
	FOR col IN SELECT a.attname, col_description(a.attrelid, a.attnum) AS comment
		FROM pg_attribute AS a
		WHERE a.attrelid = 'adoption.settings'::regclass AND a.attnum > 0 AND NOT a.attisdropped
	LOOP
		EXECUTE format('COMMENT ON COLUMN adoption.effective_settings.%I IS %L', col.attname,
			CASE col.attname WHEN 'tenant_id' THEN 'Tenant'
				WHEN 'updated_at' THEN 'Last change of the tenant''s override row (of the defaults row when it has none)'
				ELSE col.comment END);
	END LOOP;
END
$derive$;
COMMENT ON FUNCTION adoption.settings_derive() IS 'Writes adoption.settings_in_force(), the view adoption.effective_settings and the check that the defaults row is complete from the columns of adoption.settings (run after adding a setting)';
SELECT adoption.settings_derive();

/* The settings in force for one tenant (the defaults for NULL or a tenant without overrides). */
CREATE FUNCTION adoption.tenant_settings(tenant_id text)
RETURNS adoption.settings
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.*
	FROM adoption.settings AS d
	LEFT JOIN adoption.settings AS o ON o.tenant_id = tenant_settings.tenant_id
	CROSS JOIN LATERAL adoption.settings_in_force(tenant_settings.tenant_id, ROW(d.*)::adoption.settings,
		ROW(o.*)::adoption.settings) AS s
	WHERE d.tenant_id IS NULL
$$;
COMMENT ON FUNCTION adoption.tenant_settings(text) IS 'The settings in force for one tenant: its overrides, else the defaults (all defaults for NULL)';

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
 * A tenant's active users as of now() (docs/adoption-state.md): users with
 * an event of any feature in (now() - active_window, now()].
 * tenant_user_state's last_seen_at decides, except for a user seen after
 * now() (an event ahead of the clock, within max_future_skew): for those
 * the log says whether an event falls in the window.  The population of
 * adoption.feature_adoption and of seat utilization.
 */
CREATE VIEW adoption.active_users WITH (security_invoker = true) AS
SELECT v.tenant_id, v.user_id
FROM adoption.tenant_user_state AS v
JOIN adoption.effective_settings AS e ON e.tenant_id OPERATOR(pg_catalog.=) v.tenant_id
WHERE v.last_seen_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) e.active_window)
	AND (v.last_seen_at OPERATOR(pg_catalog.<=) pg_catalog.now() OR EXISTS (
		SELECT 1 FROM adoption.feature_usage_events AS x
		WHERE x.tenant_id OPERATOR(pg_catalog.=) v.tenant_id AND x.user_id OPERATOR(pg_catalog.=) v.user_id
			AND x.usage_timestamp OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) e.active_window)
			AND x.usage_timestamp OPERATOR(pg_catalog.<=) pg_catalog.now()));
COMMENT ON VIEW adoption.active_users IS 'A tenant''s active users as of now(): an event of any feature within the tenant''s active_window';
COMMENT ON COLUMN adoption.active_users.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.active_users.user_id IS 'User with an event of any feature in (now() - active_window, now()]';

/*
 * Adoption of each feature by each tenant as of now(), over the tenant's
 * active users (docs/design.md §3, the population Pendo and Amplitude divide by):
 * adoption.active_users; a feature's own active users
 * (feature_active_users, mean_velocity) likewise by last_used_at.
 */
CREATE VIEW adoption.feature_adoption WITH (security_invoker = true) AS
WITH active AS (
	SELECT a.tenant_id, a.user_id FROM adoption.active_users AS a
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
