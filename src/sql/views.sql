/*
 * views.sql: views for analysts and BI tools.  Every view is
 * security_invoker (row-level security applies to the reader) and has a
 * COMMENT on itself and on every column.
 */

CREATE VIEW adoption.effective_settings WITH (security_invoker = true) AS
SELECT t.tenant_id,
	coalesce(o.aha_successes, d.aha_successes) AS aha_successes,
	coalesce(o.usage_velocity_threshold, d.usage_velocity_threshold) AS usage_velocity_threshold,
	coalesce(o.feature_adoption_threshold, d.feature_adoption_threshold) AS feature_adoption_threshold,
	coalesce(o.success_outcome_rate, d.success_outcome_rate) AS success_outcome_rate,
	coalesce(o.active_window, d.active_window) AS active_window,
	coalesce(o.nudge_after, d.nudge_after) AS nudge_after,
	coalesce(o.dormant_after, d.dormant_after) AS dormant_after,
	coalesce(o.max_future_skew, d.max_future_skew) AS max_future_skew,
	coalesce(o.max_attempts, d.max_attempts) AS max_attempts,
	coalesce(o.event_retention, d.event_retention) AS event_retention,
	coalesce(o.weight_usage_trend, d.weight_usage_trend) AS weight_usage_trend,
	coalesce(o.weight_adoption, d.weight_adoption) AS weight_adoption,
	coalesce(o.weight_support, d.weight_support) AS weight_support,
	coalesce(o.weight_billing, d.weight_billing) AS weight_billing,
	coalesce(o.weight_feedback, d.weight_feedback) AS weight_feedback,
	coalesce(o.health_healthy_min, d.health_healthy_min) AS health_healthy_min,
	coalesce(o.health_at_risk_min, d.health_at_risk_min) AS health_at_risk_min,
	coalesce(o.action_cooldown, d.action_cooldown) AS action_cooldown,
	coalesce(o.seat_utilization_threshold, d.seat_utilization_threshold) AS seat_utilization_threshold
FROM adoption.tenants AS t
CROSS JOIN adoption.settings AS d
LEFT JOIN adoption.settings AS o ON o.tenant_id OPERATOR(pg_catalog.=) t.tenant_id
WHERE d.tenant_id IS NULL;
COMMENT ON VIEW adoption.effective_settings IS 'The settings in force for each tenant: its overrides, else the defaults';
COMMENT ON COLUMN adoption.effective_settings.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.effective_settings.aha_successes IS 'Successful uses after which a user has adopted a feature';
COMMENT ON COLUMN adoption.effective_settings.usage_velocity_threshold IS 'Uses within 7 days that make a user habitual';
COMMENT ON COLUMN adoption.effective_settings.feature_adoption_threshold IS 'Share of active users who adopted, for the tenant milestone';
COMMENT ON COLUMN adoption.effective_settings.success_outcome_rate IS 'Minimum success rate for the tenant milestone';
COMMENT ON COLUMN adoption.effective_settings.active_window IS 'A user is active if seen within it';
COMMENT ON COLUMN adoption.effective_settings.nudge_after IS 'Activated but not adopted for this long: nudge';
COMMENT ON COLUMN adoption.effective_settings.dormant_after IS 'No use for this long: dormant';
COMMENT ON COLUMN adoption.effective_settings.max_future_skew IS 'How far ahead of the current time an event may be';
COMMENT ON COLUMN adoption.effective_settings.max_attempts IS 'Deliveries of a campaign action before it is dead';
COMMENT ON COLUMN adoption.effective_settings.event_retention IS 'Events older than this are dropped (NULL: kept)';
COMMENT ON COLUMN adoption.effective_settings.weight_usage_trend IS 'Health weight of usage trend';
COMMENT ON COLUMN adoption.effective_settings.weight_adoption IS 'Health weight of adoption';
COMMENT ON COLUMN adoption.effective_settings.weight_support IS 'Health weight of support';
COMMENT ON COLUMN adoption.effective_settings.weight_billing IS 'Health weight of billing';
COMMENT ON COLUMN adoption.effective_settings.weight_feedback IS 'Health weight of feedback';
COMMENT ON COLUMN adoption.effective_settings.health_healthy_min IS 'Health score from which a tenant is healthy';
COMMENT ON COLUMN adoption.effective_settings.health_at_risk_min IS 'Health score from which a tenant is at_risk (below: critical)';
COMMENT ON COLUMN adoption.effective_settings.action_cooldown IS 'A tenant-level health action is not enqueued again within this time';
COMMENT ON COLUMN adoption.effective_settings.seat_utilization_threshold IS 'Active users / seats_licensed from which a tenant is an expansion opportunity';

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
 * active users (docs/design.md §3, the population Pendo and Amplitude divide by):
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
