/*
 * state.sql: adoption state per user and feature and per tenant and feature,
 * kept current by the ingest trigger (src/state.c), and the velocity math.
 *
 * Both state tables are rewritten row by row as events arrive, never in
 * their keys: fillfactor 50 leaves room on each page for a new version of
 * every row, so a bulk load that touches them all updates in place (HOT)
 * instead of adding index entries (measured: 81k of 92k updates HOT instead
 * of 20k, 5 % faster on an incremental COPY of 500k events).
 */

CREATE TABLE adoption.user_feature_state (
	tenant_id text NOT NULL,
	feature_id text NOT NULL,
	user_id text NOT NULL,
	first_used_at timestamptz NOT NULL,
	last_used_at timestamptz NOT NULL,
	uses bigint NOT NULL DEFAULT 0,
	successes bigint NOT NULL DEFAULT 0,
	total_duration bigint NOT NULL DEFAULT 0,
	velocity_per_week double precision NOT NULL DEFAULT 0,
	activated_at timestamptz,
	adopted_at timestamptz,
	habitual_at timestamptz,
	milestone_buffer bytea,
	updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, feature_id, user_id)
) WITH (fillfactor = 50);
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
SELECT pg_catalog.pg_extension_config_dump('adoption.user_feature_state', '');

/*
 * The UTC day of a time, as days since 1970-01-01 (NULL for an infinite
 * time).  Immutable: a time's epoch does not depend on the session's zone.
 */
CREATE FUNCTION adoption.utc_day(t timestamptz)
RETURNS integer
AS 'MODULE_PATHNAME', 'adoption_utc_day_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION adoption.utc_day(timestamptz) IS 'The UTC day of a time as days since 1970-01-01 (tenant_user_state.last_seen_day)';

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
	last_seen_day integer GENERATED ALWAYS AS (adoption.utc_day(last_seen_at)) STORED,
	PRIMARY KEY (tenant_id, user_id)
) WITH (fillfactor = 50);
COMMENT ON TABLE adoption.tenant_user_state IS 'One user of one tenant over all features, a function of the set of their events, maintained by the ingest trigger';
COMMENT ON COLUMN adoption.tenant_user_state.first_seen_at IS 'Earliest usage_timestamp of any feature';
COMMENT ON COLUMN adoption.tenant_user_state.last_seen_at IS 'Latest usage_timestamp of any feature';
COMMENT ON COLUMN adoption.tenant_user_state.uses IS 'Events of any feature';
COMMENT ON COLUMN adoption.tenant_user_state.successes IS 'Events with success_outcome true';
COMMENT ON COLUMN adoption.tenant_user_state.activity IS 'Internal: the spans of time in which the user was active (an event within active_window before), for the feature_adopted milestone';
COMMENT ON COLUMN adoption.tenant_user_state.last_seen_day IS 'The UTC day of last_seen_at (adoption.utc_day), for the index of users by their latest event';
/*
 * A tenant's users by the day of their latest event: the ingest trigger
 * counts the users whose last event left the active window since the
 * tenant's previous event through it (the users last seen on those days)
 * instead of reading all of the tenant's users.  By day, not by time: an
 * index on last_seen_at itself would change with every event, so no update
 * of a row could be HOT (each would add an entry to every index of the
 * table); the day changes at a user's first event of a day.
 */
CREATE INDEX tenant_user_state_last_seen_day ON adoption.tenant_user_state (tenant_id, last_seen_day);
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
	updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	open_adopters integer NOT NULL DEFAULT 0,
	last_feature_adopted_at timestamptz
) WITH (fillfactor = 50);
COMMENT ON TABLE adoption.tenant_state IS 'One tenant over all users and features, a function of the set of its events, maintained by the ingest trigger';
COMMENT ON COLUMN adoption.tenant_state.first_event_at IS 'Earliest usage_timestamp of the tenant';
COMMENT ON COLUMN adoption.tenant_state.last_event_at IS 'Latest usage_timestamp of the tenant: the reference time of active_users and of adoption.tenant_feature_state';
COMMENT ON COLUMN adoption.tenant_state.users IS 'Users with at least one event';
COMMENT ON COLUMN adoption.tenant_state.active_users IS 'Users with an event in (last_event_at - active_window, last_event_at]';
COMMENT ON COLUMN adoption.tenant_state.uses IS 'Events';
COMMENT ON COLUMN adoption.tenant_state.successes IS 'Events with success_outcome true';
COMMENT ON COLUMN adoption.tenant_state.open_adopters IS 'The most adopters (adopted_users) of any feature of the tenant without its feature_adopted milestone, 0 if none: while it stays below feature_adoption_threshold times the active users, an event at the tenant''s latest time cannot reach the milestone';
COMMENT ON COLUMN adoption.tenant_state.last_feature_adopted_at IS 'The latest feature_adopted_at of the tenant''s features (NULL if none has the milestone)';
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

/* Velocity math (src/velocity.c). */
CREATE FUNCTION adoption.velocity_at(velocity_per_week double precision, last_used_at timestamptz, as_of timestamptz)
RETURNS double precision
AS 'MODULE_PATHNAME', 'adoption_velocity_at'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION adoption.velocity_at(double precision, timestamptz, timestamptz) IS 'Decays a velocity stored as of last_used_at to as_of (7-day half-life); unchanged if as_of is earlier';

CREATE FUNCTION adoption.usage_velocity_transfn(double precision[], timestamptz, timestamptz)
RETURNS double precision[]
AS 'MODULE_PATHNAME', 'adoption_usage_velocity_transfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION adoption.usage_velocity_combinefn(double precision[], double precision[])
RETURNS double precision[]
AS 'MODULE_PATHNAME', 'adoption_usage_velocity_combinefn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION adoption.usage_velocity_finalfn(double precision[])
RETURNS double precision
AS 'MODULE_PATHNAME', 'adoption_usage_velocity_finalfn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE adoption.usage_velocity(usage_timestamp timestamptz, as_of timestamptz) (
	SFUNC = adoption.usage_velocity_transfn,
	STYPE = double precision[],
	INITCOND = '{0,0,0}',
	COMBINEFUNC = adoption.usage_velocity_combinefn,
	FINALFUNC = adoption.usage_velocity_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE adoption.usage_velocity(timestamptz, timestamptz) IS 'Uses per week as of as_of: each use before as_of adds 2^(-age/7 days), times ln 2; steady N uses a week converge to N';

/* Internal: activity spans of adoption.tenant_user_state (src/tenant.c). */
CREATE FUNCTION adoption.merge_activity(a bytea, b bytea)
RETURNS bytea
AS 'MODULE_PATHNAME', 'adoption_merge_activity'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION adoption.merge_activity(bytea, bytea) IS 'Internal to the ingest trigger: the union of two values of adoption.tenant_user_state.activity';
