/* pg_adoption install script, assembled by the Makefile from the files in src/sql */
\echo Use "CREATE EXTENSION pg_adoption" to load this file. \quit

/*
 * schema.sql: the schema, the settings table and the catalog tables.
 *
 * Tenant tables have keys that start with tenant_id so that Citus can
 * distribute them by tenant; the product-wide catalog tables (features,
 * launches, settings) are meant to be reference tables.
 */

CREATE SCHEMA adoption;
COMMENT ON SCHEMA adoption IS 'pg_adoption: feature adoption, customer health, feedback and campaign actions';

/*
 * Settings: one row of defaults (tenant_id IS NULL) plus optional per-tenant
 * overrides in which a NULL column means "inherit the default".  The C code
 * caches the table per backend; a trigger sends a relcache invalidation on
 * every change so that all sessions see new values at their next statement.
 */
CREATE TABLE adoption.settings (
	tenant_id text,
	aha_successes integer CHECK (aha_successes BETWEEN 1 AND 1000),
	usage_velocity_threshold integer CHECK (usage_velocity_threshold BETWEEN 1 AND 1000),
	feature_adoption_threshold double precision CHECK (feature_adoption_threshold > 0 AND feature_adoption_threshold <= 1),
	success_outcome_rate double precision CHECK (success_outcome_rate >= 0 AND success_outcome_rate <= 1),
	active_window interval CHECK (active_window > interval '0'),
	nudge_after interval CHECK (nudge_after > interval '0'),
	dormant_after interval CHECK (dormant_after > interval '0'),
	max_future_skew interval CHECK (max_future_skew >= interval '0'),
	max_attempts integer CHECK (max_attempts BETWEEN 1 AND 1000),
	event_retention interval CHECK (event_retention > interval '0'),
	weight_usage_trend double precision CHECK (weight_usage_trend >= 0),
	weight_adoption double precision CHECK (weight_adoption >= 0),
	weight_support double precision CHECK (weight_support >= 0),
	weight_billing double precision CHECK (weight_billing >= 0),
	weight_feedback double precision CHECK (weight_feedback >= 0),
	health_healthy_min double precision CHECK (health_healthy_min BETWEEN 0 AND 100),
	health_at_risk_min double precision CHECK (health_at_risk_min BETWEEN 0 AND 100),
	action_cooldown interval CHECK (action_cooldown >= interval '0'),
	seat_utilization_threshold double precision CHECK (seat_utilization_threshold > 0),
	updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT settings_tenant_id_not_empty CHECK (tenant_id IS NULL OR pg_catalog.btrim(tenant_id) <> ''),
	CONSTRAINT settings_defaults_complete CHECK (tenant_id IS NOT NULL OR (
		aha_successes IS NOT NULL AND usage_velocity_threshold IS NOT NULL
		AND feature_adoption_threshold IS NOT NULL AND success_outcome_rate IS NOT NULL
		AND active_window IS NOT NULL AND nudge_after IS NOT NULL
		AND dormant_after IS NOT NULL AND max_future_skew IS NOT NULL
		AND max_attempts IS NOT NULL AND weight_usage_trend IS NOT NULL
		AND weight_adoption IS NOT NULL AND weight_support IS NOT NULL
		AND weight_billing IS NOT NULL AND weight_feedback IS NOT NULL
		AND health_healthy_min IS NOT NULL AND health_at_risk_min IS NOT NULL
		AND action_cooldown IS NOT NULL AND seat_utilization_threshold IS NOT NULL)),
	CONSTRAINT settings_bands_ordered CHECK (health_at_risk_min <= health_healthy_min)
);
CREATE UNIQUE INDEX settings_tenant_key ON adoption.settings (tenant_id);
CREATE UNIQUE INDEX settings_one_default ON adoption.settings ((tenant_id IS NULL)) WHERE tenant_id IS NULL;
COMMENT ON TABLE adoption.settings IS 'Thresholds and windows: the row with tenant_id NULL holds the defaults, other rows override them per tenant (NULL = inherit)';

INSERT INTO adoption.settings (tenant_id, aha_successes, usage_velocity_threshold,
	feature_adoption_threshold, success_outcome_rate, active_window, nudge_after,
	dormant_after, max_future_skew, max_attempts, event_retention,
	weight_usage_trend, weight_adoption, weight_support, weight_billing, weight_feedback,
	health_healthy_min, health_at_risk_min, action_cooldown, seat_utilization_threshold)
VALUES (NULL, 3, 5, 0.70, 0.80, interval '30 days', interval '7 days',
	interval '30 days', interval '1 day', 5, NULL,
	0.30, 0.30, 0.15, 0.15, 0.10,
	70, 40, interval '30 days', 0.90);

/*
 * The defaults row is created by CREATE EXTENSION; a dump of the table must
 * not duplicate it on restore.  Rows with tenant_id NULL that arrive later
 * (pg_restore, or a user re-inserting the defaults) update the existing row.
 */
CREATE FUNCTION adoption.settings_merge_default()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NEW.tenant_id IS NOT NULL THEN
		RETURN NEW;
	END IF;
	UPDATE adoption.settings AS s SET
		aha_successes = NEW.aha_successes,
		usage_velocity_threshold = NEW.usage_velocity_threshold,
		feature_adoption_threshold = NEW.feature_adoption_threshold,
		success_outcome_rate = NEW.success_outcome_rate,
		active_window = NEW.active_window,
		nudge_after = NEW.nudge_after,
		dormant_after = NEW.dormant_after,
		max_future_skew = NEW.max_future_skew,
		max_attempts = NEW.max_attempts,
		event_retention = NEW.event_retention,
		weight_usage_trend = NEW.weight_usage_trend,
		weight_adoption = NEW.weight_adoption,
		weight_support = NEW.weight_support,
		weight_billing = NEW.weight_billing,
		weight_feedback = NEW.weight_feedback,
		health_healthy_min = NEW.health_healthy_min,
		health_at_risk_min = NEW.health_at_risk_min,
		action_cooldown = NEW.action_cooldown,
		seat_utilization_threshold = NEW.seat_utilization_threshold,
		updated_at = NEW.updated_at
	WHERE s.tenant_id IS NULL;
	IF FOUND THEN
		RETURN NULL;
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER settings_merge_default
	BEFORE INSERT ON adoption.settings
	FOR EACH ROW EXECUTE FUNCTION adoption.settings_merge_default();

SELECT pg_catalog.pg_extension_config_dump('adoption.settings', '');

/* Tenants: the customer accounts; registered on first sight by the event trigger. */
CREATE TABLE adoption.tenants (
	tenant_id text PRIMARY KEY,
	name text,
	plan text,
	seats_licensed integer CHECK (seats_licensed >= 0),
	arr numeric CHECK (arr >= 0),
	segment text,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE adoption.tenants IS 'Customer accounts; unseen tenants are registered by the event trigger';
SELECT pg_catalog.pg_extension_config_dump('adoption.tenants', '');

/* Features: the product-wide catalog (a reference table under Citus). */
CREATE TABLE adoption.features (
	feature_id text PRIMARY KEY,
	feature_name text,
	tier text NOT NULL DEFAULT 'core' CHECK (tier IN ('core', 'advanced', 'premium')),
	/* Deferred, so that a restore may load a feature before its upgrade. */
	upgrade_feature_id text REFERENCES adoption.features (feature_id) ON DELETE SET NULL
		DEFERRABLE INITIALLY DEFERRED,
	launched_at timestamptz
);
COMMENT ON TABLE adoption.features IS 'Product-wide feature catalog; unseen features are registered (and renamed through feature_name) by the event trigger';
SELECT pg_catalog.pg_extension_config_dump('adoption.features', '');

/* Launches: product launches to coordinate campaigns around. */
CREATE TABLE adoption.launches (
	launch_id text PRIMARY KEY,
	feature_id text NOT NULL REFERENCES adoption.features (feature_id),
	launched_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	campaign_id text,
	target_adoption real NOT NULL DEFAULT 0.30 CHECK (target_adoption > 0 AND target_adoption <= 1),
	target_days integer NOT NULL DEFAULT 30 CHECK (target_days > 0)
);
COMMENT ON TABLE adoption.launches IS 'Product launches with their adoption target';
SELECT pg_catalog.pg_extension_config_dump('adoption.launches', '');
/*
 * inputs.sql: the tables the application writes besides the event log.
 *
 * Each has CHECK constraints (which hold even when triggers are bypassed, as
 * on a logical-replication subscriber) and a C BEFORE ROW trigger,
 * adoption.check_input(kind), that rejects the same bad rows first with a
 * message naming the column and the value.
 */

CREATE FUNCTION adoption.check_input()
RETURNS trigger
AS 'MODULE_PATHNAME', 'adoption_check_input'
LANGUAGE C;
COMMENT ON FUNCTION adoption.check_input() IS 'BEFORE ROW trigger: validates a row of an input table (argument: the table kind)';

CREATE TRIGGER tenants_check_input
	BEFORE INSERT OR UPDATE ON adoption.tenants
	FOR EACH ROW EXECUTE FUNCTION adoption.check_input('tenants');
CREATE TRIGGER features_check_input
	BEFORE INSERT OR UPDATE ON adoption.features
	FOR EACH ROW EXECUTE FUNCTION adoption.check_input('features');
CREATE TRIGGER launches_check_input
	BEFORE INSERT OR UPDATE ON adoption.launches
	FOR EACH ROW EXECUTE FUNCTION adoption.check_input('launches');

CREATE TABLE adoption.feedback (
	tenant_id text NOT NULL,
	feedback_id text NOT NULL DEFAULT (pg_catalog.gen_random_uuid())::text,
	user_id text,
	feature_id text,
	channel text NOT NULL CHECK (channel IN ('nps', 'csat', 'survey', 'support', 'interview', 'social', 'review')),
	score smallint,
	body text,
	campaign_id text,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	ingested_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	/* The insight, filled on insert by adoption.feedback_insight() (feedback.sql). */
	sentiment real,
	sentiment_label text,
	nps_category text,
	themes text[],
	pain_points text[],
	feature_requests text[],
	value_drivers text[],
	success_indicators text[],
	features text[],
	PRIMARY KEY (tenant_id, feedback_id),
	CONSTRAINT feedback_score_range CHECK (score IS NULL OR CASE channel
		WHEN 'csat' THEN score BETWEEN 1 AND 5
		WHEN 'review' THEN score BETWEEN 1 AND 5
		ELSE score BETWEEN 0 AND 10 END)
);
COMMENT ON TABLE adoption.feedback IS 'Customer feedback: NPS and CSAT answers, surveys, support messages, interviews, social posts, reviews';
CREATE TRIGGER feedback_check_input
	BEFORE INSERT OR UPDATE ON adoption.feedback
	FOR EACH ROW EXECUTE FUNCTION adoption.check_input('feedback');
/* adoption.rescore() finds the tenants with rows ingested since its last run. */
CREATE INDEX feedback_ingested_at ON adoption.feedback USING brin (ingested_at);
COMMENT ON COLUMN adoption.feedback.ingested_at IS 'When the row arrived (leave it to its default): adoption.rescore() rescores tenants with rows ingested since its last run';
SELECT pg_catalog.pg_extension_config_dump('adoption.feedback', '');

CREATE TABLE adoption.support_tickets (
	tenant_id text NOT NULL,
	ticket_id text NOT NULL,
	opened_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	severity text NOT NULL DEFAULT 'medium' CHECK (severity IN ('low', 'medium', 'high', 'urgent')),
	status text NOT NULL DEFAULT 'open',
	closed_at timestamptz,
	ingested_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, ticket_id),
	CONSTRAINT support_tickets_closed_after_opened CHECK (closed_at IS NULL OR closed_at >= opened_at)
);
COMMENT ON TABLE adoption.support_tickets IS 'Support tickets, weighted by severity in the support component of health';
CREATE TRIGGER support_tickets_check_input
	BEFORE INSERT OR UPDATE ON adoption.support_tickets
	FOR EACH ROW EXECUTE FUNCTION adoption.check_input('support_tickets');
/* adoption.rescore() finds the tenants with rows ingested since its last run. */
CREATE INDEX support_tickets_ingested_at ON adoption.support_tickets USING brin (ingested_at);
COMMENT ON COLUMN adoption.support_tickets.ingested_at IS 'When the row arrived (leave it to its default): adoption.rescore() rescores tenants with rows ingested since its last run';
SELECT pg_catalog.pg_extension_config_dump('adoption.support_tickets', '');

CREATE TABLE adoption.billing_events (
	tenant_id text NOT NULL,
	event_id text NOT NULL,
	occurred_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	kind text NOT NULL CHECK (kind IN ('payment_succeeded', 'payment_failed', 'invoice_overdue', 'downgrade', 'upgrade', 'refund', 'cancellation')),
	amount numeric,
	ingested_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, event_id)
);
COMMENT ON TABLE adoption.billing_events IS 'Billing events; failures, downgrades, refunds and cancellations lower the billing component of health';
CREATE TRIGGER billing_events_check_input
	BEFORE INSERT OR UPDATE ON adoption.billing_events
	FOR EACH ROW EXECUTE FUNCTION adoption.check_input('billing_events');
/* adoption.rescore() finds the tenants with rows ingested since its last run. */
CREATE INDEX billing_events_ingested_at ON adoption.billing_events USING brin (ingested_at);
COMMENT ON COLUMN adoption.billing_events.ingested_at IS 'When the row arrived (leave it to its default): adoption.rescore() rescores tenants with rows ingested since its last run';
SELECT pg_catalog.pg_extension_config_dump('adoption.billing_events', '');

CREATE TABLE adoption.campaign_touches (
	tenant_id text NOT NULL,
	touch_id bigint GENERATED BY DEFAULT AS IDENTITY,
	user_id text,
	campaign_id text NOT NULL,
	channel text,
	touched_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, touch_id)
);
CREATE INDEX campaign_touches_user_idx ON adoption.campaign_touches (tenant_id, user_id, touched_at);
COMMENT ON TABLE adoption.campaign_touches IS 'Marketing touches (an email sent, an in-app message shown) of a tenant or one of its users';
CREATE TRIGGER campaign_touches_check_input
	BEFORE INSERT OR UPDATE ON adoption.campaign_touches
	FOR EACH ROW EXECUTE FUNCTION adoption.check_input('campaign_touches');
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_touches', '');
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_touches_touch_id_seq', '');
/*
 * events.sql: the event log, its monthly partitions and the ingest trigger.
 *
 * The log is range-partitioned by month on usage_timestamp (UTC months) with
 * a default partition, so an insert never fails for lack of a partition;
 * adoption.ensure_partitions() creates the months ahead and moves rows that
 * landed in the default partition into partitions of their own.
 *
 * Every partition has the primary key (tenant_id, usage_timestamp, event_id),
 * which makes a resent event with ON CONFLICT DO NOTHING a no-op (the key
 * holds the partition key, so it is unique across partitions), starts
 * with tenant_id so that Citus can distribute the log by tenant, and reads
 * a tenant's events from a time on in time order (the ingest trigger's
 * evaluation of the feature_adopted milestone, src/tenant.c), and a BRIN
 * index on ingested_at (rows arrive in that order) with which
 * adoption.rescore() finds the tenants that sent events since its last run.
 *
 * The parent has no index of its own, on purpose: the parent belongs to the
 * extension but the monthly partitions do not (pg_dump must dump them and
 * their rows), and pg_dump restores a partition's index after attaching the
 * partition, which fails if an index of the parent was already cascaded to
 * it.  So each partition gets its indexes from ensure_partitions(), and an
 * ON CONFLICT clause names no conflict target.
 */

/* Arrival order, for rebuild(): nextval() is called in the order rows arrive. */
CREATE SEQUENCE adoption.feature_usage_events_arrival_seq;
SELECT pg_catalog.pg_extension_config_dump('adoption.feature_usage_events_arrival_seq', '');

CREATE TABLE adoption.feature_usage_events (
	event_id uuid NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
	tenant_id text NOT NULL,
	user_id text NOT NULL,
	feature_id text NOT NULL,
	feature_name text,
	usage_timestamp timestamptz NOT NULL DEFAULT pg_catalog.now(),
	session_duration integer NOT NULL DEFAULT 0,
	success_outcome boolean NOT NULL DEFAULT true,
	integration_context jsonb NOT NULL DEFAULT '{}',
	ingested_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	arrival_seq bigint NOT NULL DEFAULT pg_catalog.nextval('adoption.feature_usage_events_arrival_seq')
) PARTITION BY RANGE (usage_timestamp);
COMMENT ON TABLE adoption.feature_usage_events IS 'The event log: one row per use of a feature by a user; partitioned by month of usage_timestamp';
COMMENT ON COLUMN adoption.feature_usage_events.event_id IS 'Client-supplied id for idempotent resends (with tenant_id and usage_timestamp)';
COMMENT ON COLUMN adoption.feature_usage_events.feature_name IS 'Optional: registers or renames the feature in adoption.features';
COMMENT ON COLUMN adoption.feature_usage_events.session_duration IS 'Seconds spent, >= 0';
COMMENT ON COLUMN adoption.feature_usage_events.integration_context IS 'JSON object; keys source, campaign_influence, marketing_attribution';
COMMENT ON COLUMN adoption.feature_usage_events.ingested_at IS 'When the event arrived (leave it to its default): adoption.rescore() rescores tenants with events ingested since its last run';
COMMENT ON COLUMN adoption.feature_usage_events.arrival_seq IS 'Arrival order (from a sequence); adoption.rebuild() replays events in this order. Leave it to its default';

CREATE TABLE adoption.feature_usage_events_default
	PARTITION OF adoption.feature_usage_events DEFAULT;
ALTER TABLE adoption.feature_usage_events_default
	ADD PRIMARY KEY (tenant_id, usage_timestamp, event_id);
CREATE INDEX feature_usage_events_default_ingested_at
	ON adoption.feature_usage_events_default USING brin (ingested_at);
COMMENT ON TABLE adoption.feature_usage_events_default IS 'Catches events of months without a partition; adoption.ensure_partitions() moves them out';
SELECT pg_catalog.pg_extension_config_dump('adoption.feature_usage_events', '');
SELECT pg_catalog.pg_extension_config_dump('adoption.feature_usage_events_default', '');

/* Returns the number of partitions created. */
CREATE FUNCTION adoption.ensure_partitions(months_ahead integer DEFAULT 3)
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

/*
 * The ingest trigger: validates the statement's new events, registers unseen
 * tenants and features, and maintains adoption state.  Statement level with
 * a transition table, so its cost is per statement plus a scan of the rows.
 */
CREATE FUNCTION adoption.track_events()
RETURNS trigger
AS 'MODULE_PATHNAME', 'adoption_track_events'
LANGUAGE C;
COMMENT ON FUNCTION adoption.track_events() IS 'AFTER INSERT statement trigger of the event log (transition table new_events)';

CREATE TRIGGER track_events
	AFTER INSERT ON adoption.feature_usage_events
	REFERENCING NEW TABLE AS new_events
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.track_events();

/*
 * Backends cache settings and the known tenants and features; a change to
 * those tables sends a relcache invalidation that empties the caches.
 */
CREATE FUNCTION adoption.invalidate_cache()
RETURNS trigger
AS 'MODULE_PATHNAME', 'adoption_invalidate_cache'
LANGUAGE C;
COMMENT ON FUNCTION adoption.invalidate_cache() IS 'AFTER statement trigger: tells every backend to reload its cached copy of the table';

CREATE TRIGGER settings_invalidate_cache
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON adoption.settings
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.invalidate_cache();
/*
 * Only statements that changed rows invalidate: the registration upserts
 * of the ingest trigger fire the UPDATE statement triggers of
 * adoption.features even when they change nothing, and an invalidation per
 * ingest statement would empty every backend's cache (and its plans) all the
 * time.  A statement trigger with a transition table sees the rows.
 */
CREATE TRIGGER tenants_invalidate_cache_update
	AFTER UPDATE ON adoption.tenants REFERENCING NEW TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.invalidate_cache();
CREATE TRIGGER tenants_invalidate_cache_delete
	AFTER DELETE ON adoption.tenants REFERENCING OLD TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.invalidate_cache();
CREATE TRIGGER tenants_invalidate_cache_truncate
	AFTER TRUNCATE ON adoption.tenants
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.invalidate_cache();
CREATE TRIGGER features_invalidate_cache_update
	AFTER UPDATE ON adoption.features REFERENCING NEW TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.invalidate_cache();
CREATE TRIGGER features_invalidate_cache_delete
	AFTER DELETE ON adoption.features REFERENCING OLD TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.invalidate_cache();
CREATE TRIGGER features_invalidate_cache_truncate
	AFTER TRUNCATE ON adoption.features
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.invalidate_cache();
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
/*
 * actions.sql: campaign templates, the milestone-to-template map and the
 * campaign action queue.
 *
 * The queue is split so that claiming stays fast whatever the history:
 *   campaign_action_queue    the live actions (pending, claimed): small, hot;
 *   campaign_action_archive  finished actions (done, dead), moved there by
 *                            complete_action() and fail_action();
 *   campaign_action_keys     one row per action ever enqueued, keyed by
 *                            (tenant_id, dedupe_key): what makes an action
 *                            happen at most once, across both tables;
 *   campaign_actions         the view over the queue and the archive.
 * A long transaction that holds back vacuum then only leaves the dead
 * versions of live actions in the claim path, not the whole history.
 */

CREATE TABLE adoption.campaign_templates (
	template_key text PRIMARY KEY,
	campaign_id text NOT NULL,
	channel text NOT NULL,
	description text NOT NULL
);
COMMENT ON TABLE adoption.campaign_templates IS 'Campaigns the extension can enqueue; edit campaign_id and channel to point at your campaign tool';

INSERT INTO adoption.campaign_templates (template_key, campaign_id, channel, description) VALUES
	('adoption_success', 'celebration_campaign', 'email', 'A user or a tenant reached an adoption milestone: celebrate it'),
	('adoption_nudge', 'encouragement_campaign', 'in_app', 'A user activated a feature but has not adopted it yet'),
	('advanced_feature', 'upgrade_campaign', 'email', 'A habitual user of a feature whose upgrade feature the tenant lacks'),
	('retention_intervention', 'retention_campaign', 'email', 'A tenant entered the at_risk health band'),
	('escalate_to_cs', 'cs_escalation', 'crm_task', 'A tenant entered the critical health band: a customer success manager should call'),
	('win_back', 'win_back_campaign', 'email', 'A tenant has been dormant for dormant_after'),
	('case_study', 'case_study_request', 'crm_task', 'Positive feedback with a high score: ask for a case study'),
	('pain_point_followup', 'pain_point_followup', 'crm_task', 'Feedback named a pain point: follow up'),
	('expansion_offer', 'expansion_campaign', 'crm_task', 'Seat utilization or requests show room to expand'),
	('launch_announcement', 'launch_campaign', 'email', 'A launched feature the tenant does not use yet');

CREATE TABLE adoption.milestone_campaigns (
	milestone text PRIMARY KEY CHECK (milestone IN ('activated', 'adopted', 'habitual', 'feature_adopted')),
	template_key text NOT NULL REFERENCES adoption.campaign_templates (template_key),
	enabled boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE adoption.milestone_campaigns IS 'Which campaign template a milestone enqueues; milestones without an enabled row enqueue nothing';
INSERT INTO adoption.milestone_campaigns (milestone, template_key) VALUES
	('habitual', 'adoption_success'),
	('feature_adopted', 'adoption_success');

/*
 * Both tables are seeded by CREATE EXTENSION and may be edited; a restore
 * (or a user) inserting a row whose key exists updates that row instead.
 */
CREATE FUNCTION adoption.merge_seeded_row()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_TABLE_NAME = 'campaign_templates' THEN
		UPDATE adoption.campaign_templates AS t
		SET campaign_id = NEW.campaign_id, channel = NEW.channel, description = NEW.description
		WHERE t.template_key = NEW.template_key;
	ELSIF TG_TABLE_NAME = 'milestone_campaigns' THEN
		UPDATE adoption.milestone_campaigns AS m
		SET template_key = NEW.template_key, enabled = NEW.enabled
		WHERE m.milestone = NEW.milestone;
	ELSE
		RAISE EXCEPTION 'adoption.merge_seeded_row() does not handle table %', TG_TABLE_NAME
			USING ERRCODE = 'trigger_protocol_violated';
	END IF;
	IF FOUND THEN
		RETURN NULL;
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER campaign_templates_merge BEFORE INSERT ON adoption.campaign_templates
	FOR EACH ROW EXECUTE FUNCTION adoption.merge_seeded_row();
CREATE TRIGGER milestone_campaigns_merge BEFORE INSERT ON adoption.milestone_campaigns
	FOR EACH ROW EXECUTE FUNCTION adoption.merge_seeded_row();
CREATE TRIGGER milestone_campaigns_invalidate_cache
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON adoption.milestone_campaigns
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.invalidate_cache();
CREATE TRIGGER campaign_templates_invalidate_cache
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON adoption.campaign_templates
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.invalidate_cache();
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_templates', '');
SELECT pg_catalog.pg_extension_config_dump('adoption.milestone_campaigns', '');

CREATE SEQUENCE adoption.campaign_action_id_seq;
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_action_id_seq', '');

CREATE TABLE adoption.campaign_action_queue (
	action_id bigint NOT NULL DEFAULT pg_catalog.nextval('adoption.campaign_action_id_seq'),
	tenant_id text NOT NULL,
	user_id text,
	feature_id text,
	template_key text NOT NULL,
	campaign_id text,
	reason jsonb NOT NULL DEFAULT '{}',
	dedupe_key text NOT NULL,
	status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'claimed')),
	attempts integer NOT NULL DEFAULT 0,
	available_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	claimed_by text,
	lease_until timestamptz,
	last_error text,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	completed_at timestamptz,
	PRIMARY KEY (tenant_id, action_id)
) WITH (fillfactor = 70);
CREATE INDEX campaign_action_queue_pending ON adoption.campaign_action_queue (available_at) WHERE status = 'pending';
CREATE INDEX campaign_action_queue_claimed ON adoption.campaign_action_queue (lease_until) WHERE status = 'claimed';
CREATE INDEX campaign_action_queue_id ON adoption.campaign_action_queue (action_id);
COMMENT ON TABLE adoption.campaign_action_queue IS 'Live campaign actions (pending, claimed); read adoption.campaign_actions';
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_action_queue', '');

CREATE TABLE adoption.campaign_action_archive (
	LIKE adoption.campaign_action_queue INCLUDING DEFAULTS,
	PRIMARY KEY (tenant_id, action_id),
	CHECK (status IN ('done', 'dead'))
);
ALTER TABLE adoption.campaign_action_archive ALTER COLUMN status DROP DEFAULT;
CREATE INDEX campaign_action_archive_id ON adoption.campaign_action_archive (action_id);
COMMENT ON TABLE adoption.campaign_action_archive IS 'Finished campaign actions (done, dead); read adoption.campaign_actions';
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_action_archive', '');

CREATE TABLE adoption.campaign_action_keys (
	tenant_id text NOT NULL,
	dedupe_key text NOT NULL,
	action_id bigint NOT NULL,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, dedupe_key)
);
COMMENT ON TABLE adoption.campaign_action_keys IS 'Every dedupe key ever enqueued: an action with a key already here is not enqueued again';
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_action_keys', '');

CREATE VIEW adoption.campaign_actions WITH (security_invoker = true) AS
SELECT action_id, tenant_id, user_id, feature_id, template_key, campaign_id, reason, dedupe_key,
	status, attempts, available_at, claimed_by, lease_until, last_error, created_at, completed_at
FROM adoption.campaign_action_queue
UNION ALL
SELECT action_id, tenant_id, user_id, feature_id, template_key, campaign_id, reason, dedupe_key,
	status, attempts, available_at, claimed_by, lease_until, last_error, created_at, completed_at
FROM adoption.campaign_action_archive;
COMMENT ON VIEW adoption.campaign_actions IS 'Every campaign action: pending and claimed ones in the queue, done and dead ones in the archive';
COMMENT ON COLUMN adoption.campaign_actions.action_id IS 'Id to pass to complete_action() and fail_action()';
COMMENT ON COLUMN adoption.campaign_actions.tenant_id IS 'Tenant the action is for';
COMMENT ON COLUMN adoption.campaign_actions.user_id IS 'User the action is for; NULL for tenant-level actions';
COMMENT ON COLUMN adoption.campaign_actions.feature_id IS 'Feature the action is about, if any';
COMMENT ON COLUMN adoption.campaign_actions.template_key IS 'Campaign template (adoption.campaign_templates)';
COMMENT ON COLUMN adoption.campaign_actions.campaign_id IS 'Campaign of the template when the action was enqueued';
COMMENT ON COLUMN adoption.campaign_actions.reason IS 'The evidence: milestone, counts, thresholds, times';
COMMENT ON COLUMN adoption.campaign_actions.dedupe_key IS 'Unique per tenant: the same key is never enqueued twice';
COMMENT ON COLUMN adoption.campaign_actions.status IS 'pending, claimed, done or dead';
COMMENT ON COLUMN adoption.campaign_actions.attempts IS 'Times the action was claimed';
COMMENT ON COLUMN adoption.campaign_actions.available_at IS 'When a worker may claim it (later after a failure: exponential backoff)';
COMMENT ON COLUMN adoption.campaign_actions.claimed_by IS 'Worker holding or last holding it';
COMMENT ON COLUMN adoption.campaign_actions.lease_until IS 'End of the claim; after it another worker may take the action';
COMMENT ON COLUMN adoption.campaign_actions.last_error IS 'Error given to the last fail_action()';
COMMENT ON COLUMN adoption.campaign_actions.created_at IS 'When it was enqueued';
COMMENT ON COLUMN adoption.campaign_actions.completed_at IS 'When it became done or dead';

/* Returns the action's id, or NULL if an action with dedupe_key exists already. */
CREATE FUNCTION adoption.enqueue_action(tenant_id text, template_key text, dedupe_key text,
	reason jsonb DEFAULT '{}', user_id text DEFAULT NULL, feature_id text DEFAULT NULL,
	available_at timestamptz DEFAULT pg_catalog.now())
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	campaign text;
	id bigint;
BEGIN
	IF tenant_id IS NULL OR btrim(tenant_id) = '' THEN
		RAISE EXCEPTION 'tenant_id must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF dedupe_key IS NULL OR dedupe_key = '' THEN
		RAISE EXCEPTION 'dedupe_key must not be empty' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'The key names what the action is about, e.g. the milestone and the user; an action with the same key is enqueued once.';
	END IF;
	SELECT t.campaign_id INTO campaign FROM adoption.campaign_templates AS t WHERE t.template_key = enqueue_action.template_key;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'unknown campaign template "%"', template_key USING ERRCODE = 'undefined_object',
			HINT = 'The templates are the rows of adoption.campaign_templates.';
	END IF;
	id := nextval('adoption.campaign_action_id_seq');
	INSERT INTO adoption.campaign_action_keys AS k (tenant_id, dedupe_key, action_id)
	VALUES (enqueue_action.tenant_id, enqueue_action.dedupe_key, id)
	ON CONFLICT DO NOTHING;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	INSERT INTO adoption.campaign_action_queue (action_id, tenant_id, user_id, feature_id, template_key,
		campaign_id, reason, dedupe_key, available_at)
	VALUES (id, enqueue_action.tenant_id, enqueue_action.user_id, enqueue_action.feature_id,
		enqueue_action.template_key, campaign, coalesce(enqueue_action.reason, '{}'), enqueue_action.dedupe_key,
		coalesce(enqueue_action.available_at, now()));
	PERFORM pg_notify('adoption_actions', '1');
	RETURN id;
END
$$;
COMMENT ON FUNCTION adoption.enqueue_action(text, text, text, jsonb, text, text, timestamptz) IS 'Enqueues a campaign action unless one with the same (tenant_id, dedupe_key) was ever enqueued; returns its id or NULL';

/*
 * Hands out up to max pending actions (and claimed ones whose lease
 * expired) to worker; SKIP LOCKED, so concurrent workers get disjoint sets.
 */
CREATE FUNCTION adoption.claim_actions(worker text, max integer DEFAULT 100, lease interval DEFAULT '5 minutes')
RETURNS SETOF adoption.campaign_actions
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	max_attempts integer;
	claimed bigint;
BEGIN
	IF worker IS NULL OR btrim(worker) = '' THEN
		RAISE EXCEPTION 'worker must not be empty' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Name the worker, e.g. its host and process id; complete_action() can check it.';
	END IF;
	IF max IS NULL OR max < 0 THEN
		RAISE EXCEPTION 'max must not be negative, not %', coalesce(max::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF lease IS NULL OR lease <= interval '0' THEN
		RAISE EXCEPTION 'lease must be positive, not %', coalesce(lease::text, 'NULL') USING ERRCODE = 'invalid_parameter_value',
			HINT = 'The lease is how long the worker holds the actions, e.g. ''5 minutes''.';
	END IF;
	SELECT s.max_attempts INTO max_attempts FROM adoption.settings AS s WHERE s.tenant_id IS NULL;

	/* Expired leases of actions out of attempts (the tenant's max_attempts): dead, not handed out again. */
	WITH expired AS (
		DELETE FROM adoption.campaign_action_queue AS q
		WHERE q.status = 'claimed' AND q.lease_until < now()
			AND q.attempts >= coalesce((SELECT o.max_attempts FROM adoption.settings AS o
				WHERE o.tenant_id OPERATOR(pg_catalog.=) q.tenant_id), max_attempts)
			AND q.action_id IN (SELECT e.action_id FROM adoption.campaign_action_queue AS e
				WHERE e.status = 'claimed' AND e.lease_until < now()
				FOR UPDATE SKIP LOCKED)
		RETURNING q.*
	)
	INSERT INTO adoption.campaign_action_archive
	SELECT e.action_id, e.tenant_id, e.user_id, e.feature_id, e.template_key, e.campaign_id, e.reason,
		e.dedupe_key, 'dead', e.attempts, e.available_at, e.claimed_by, e.lease_until,
		coalesce(e.last_error, 'lease expired'), e.created_at, now()
	FROM expired AS e;

	/* Due pending actions first, then actions whose lease expired. */
	RETURN QUERY
	WITH locked AS (
		SELECT p.tenant_id, p.action_id FROM adoption.campaign_action_queue AS p
		WHERE p.status = 'pending' AND p.available_at <= now()
		ORDER BY p.available_at
		LIMIT max
		FOR UPDATE SKIP LOCKED
	)
	UPDATE adoption.campaign_action_queue AS q
	SET status = 'claimed', claimed_by = worker, lease_until = now() + lease, attempts = q.attempts + 1
	FROM locked AS l
	WHERE q.tenant_id = l.tenant_id AND q.action_id = l.action_id
	RETURNING q.action_id, q.tenant_id, q.user_id, q.feature_id, q.template_key, q.campaign_id, q.reason,
		q.dedupe_key, q.status, q.attempts, q.available_at, q.claimed_by, q.lease_until, q.last_error,
		q.created_at, q.completed_at;
	GET DIAGNOSTICS claimed = ROW_COUNT;
	IF claimed < max THEN
		RETURN QUERY
		WITH locked AS (
			SELECT x.tenant_id, x.action_id FROM adoption.campaign_action_queue AS x
			WHERE x.status = 'claimed' AND x.lease_until < now()
			ORDER BY x.lease_until
			LIMIT max - claimed
			FOR UPDATE SKIP LOCKED
		)
		UPDATE adoption.campaign_action_queue AS q
		SET claimed_by = worker, lease_until = now() + lease, attempts = q.attempts + 1
		FROM locked AS l
		WHERE q.tenant_id = l.tenant_id AND q.action_id = l.action_id
		RETURNING q.action_id, q.tenant_id, q.user_id, q.feature_id, q.template_key, q.campaign_id, q.reason,
			q.dedupe_key, q.status, q.attempts, q.available_at, q.claimed_by, q.lease_until, q.last_error,
			q.created_at, q.completed_at;
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.claim_actions(text, integer, interval) IS 'Claims up to max due actions for worker for the lease; never hands one action to two workers at once';

/* Finds a live claimed action for complete_action() and fail_action(). */
CREATE FUNCTION adoption.held_action(action_id bigint, worker text)
RETURNS adoption.campaign_action_queue
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a adoption.campaign_action_queue;
	finished text;
BEGIN
	IF action_id IS NULL THEN
		RAISE EXCEPTION 'action_id must not be NULL' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT q.* INTO a FROM adoption.campaign_action_queue AS q WHERE q.action_id = held_action.action_id FOR UPDATE;
	IF NOT FOUND THEN
		SELECT r.status INTO finished FROM adoption.campaign_action_archive AS r WHERE r.action_id = held_action.action_id;
		IF FOUND THEN
			RAISE EXCEPTION 'campaign action % is already %', action_id, finished
				USING ERRCODE = 'object_not_in_prerequisite_state';
		END IF;
		RAISE EXCEPTION 'campaign action % does not exist', action_id USING ERRCODE = 'no_data_found';
	END IF;
	IF a.status <> 'claimed' THEN
		RAISE EXCEPTION 'campaign action % is not claimed', action_id
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = 'Claim actions with adoption.claim_actions() before completing or failing them.';
	END IF;
	IF worker IS NOT NULL AND a.claimed_by IS DISTINCT FROM worker THEN
		RAISE EXCEPTION 'campaign action % is held by worker "%", not "%"', action_id, a.claimed_by, worker
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	IF a.lease_until < now() THEN
		RAISE EXCEPTION 'the lease of campaign action % expired at %', action_id, a.lease_until
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = 'Another worker may claim it now; claim with a longer lease if the work takes longer.';
	END IF;
	RETURN a;
END
$$;

CREATE FUNCTION adoption.complete_action(action_id bigint, worker text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a adoption.campaign_action_queue := adoption.held_action(action_id, worker);
BEGIN
	DELETE FROM adoption.campaign_action_queue AS q WHERE q.tenant_id = a.tenant_id AND q.action_id = a.action_id;
	INSERT INTO adoption.campaign_action_archive
	VALUES (a.action_id, a.tenant_id, a.user_id, a.feature_id, a.template_key, a.campaign_id, a.reason,
		a.dedupe_key, 'done', a.attempts, a.available_at, a.claimed_by, a.lease_until, a.last_error,
		a.created_at, now());
END
$$;
COMMENT ON FUNCTION adoption.complete_action(bigint, text) IS 'Marks a claimed action done (and moves it to the archive); with worker, checks that worker holds it';

CREATE FUNCTION adoption.fail_action(action_id bigint, error text, worker text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a adoption.campaign_action_queue := adoption.held_action(action_id, worker);
	max_attempts integer;
BEGIN
	SELECT coalesce(o.max_attempts, d.max_attempts) INTO max_attempts
	FROM adoption.settings AS d
	LEFT JOIN adoption.settings AS o ON o.tenant_id = a.tenant_id
	WHERE d.tenant_id IS NULL;
	IF a.attempts >= max_attempts THEN
		DELETE FROM adoption.campaign_action_queue AS q WHERE q.tenant_id = a.tenant_id AND q.action_id = a.action_id;
		INSERT INTO adoption.campaign_action_archive
		VALUES (a.action_id, a.tenant_id, a.user_id, a.feature_id, a.template_key, a.campaign_id, a.reason,
			a.dedupe_key, 'dead', a.attempts, a.available_at, a.claimed_by, a.lease_until, error,
			a.created_at, now());
		RETURN 'dead';
	END IF;
	/* Backoff: 30 s after the first failure, doubling, at most a day. */
	UPDATE adoption.campaign_action_queue AS q
	SET status = 'pending', lease_until = NULL, last_error = error,
		available_at = now() + least(interval '30 seconds' * power(2, least(a.attempts - 1, 12)), interval '1 day')
	WHERE q.tenant_id = a.tenant_id AND q.action_id = a.action_id;
	RETURN 'pending';
END
$$;
COMMENT ON FUNCTION adoption.fail_action(bigint, text, text) IS 'Records a failed delivery: the action is retried after 30 s, 1 min, 2 min... (at most a day), or is dead after max_attempts; returns the new status';
/*
 * rebuild.sql: recomputing adoption state from the event log.
 */
CREATE FUNCTION adoption.rebuild(tenant_id text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'adoption_rebuild'
LANGUAGE C;
COMMENT ON FUNCTION adoption.rebuild(text) IS 'Recomputes user and tenant adoption state of one tenant (or all) by replaying the event log in arrival order through the ingest engine; enqueues no action; blocks ingest until the transaction ends; returns the number of events replayed';
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
/*
 * health.sql: customer health (SPEC section 5), the actions it enqueues,
 * expansion opportunities, and the scheduled job that rescores and keeps
 * the event log in shape.
 *
 *   health_inputs()   gathers, set-based, the counts each component needs,
 *                     as of a time (only data with time <= as_of counts);
 *   health_compute()  turns one row of counts into components and score (C);
 *   rescore()         scores the tenants that need it, stores the history,
 *                     enqueues the actions of band changes, dormancy, nudges
 *                     and expansion;
 *   explain_health()  the same computation, one row per component;
 *   upkeep()          what the pg_cron job runs: partitions ahead,
 *                     retention, rescore, trimming of its own run records.
 *
 * Every function runs with TimeZone UTC so that "30 days" means the same
 * span whatever the caller's zone, and without JIT: the queries are short,
 * their cost estimates are not, and compiling them took longer than running
 * them (0.6 s of a 0.8 s incremental run).
 */

CREATE TYPE adoption.health_result AS (
	score double precision,
	usage_trend double precision,
	adoption double precision,
	support double precision,
	billing double precision,
	feedback double precision,
	weights double precision[]
);
COMMENT ON TYPE adoption.health_result IS 'Health score, its five components (NULL when absent) and the effective weights (renormalized over the present components)';

CREATE FUNCTION adoption.health_compute(events_recent bigint, events_previous bigint, has_events boolean,
	core_features integer, core_active bigint[], core_adopters bigint[], adoption_threshold double precision,
	active_users bigint, tickets bigint[], billing bigint[],
	nps_promoters bigint, nps_passives bigint, nps_detractors bigint, weights double precision[])
RETURNS adoption.health_result
AS 'MODULE_PATHNAME', 'adoption_health_compute'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION adoption.health_compute(bigint, bigint, boolean, integer, bigint[], bigint[], double precision, bigint, bigint[], bigint[], bigint, bigint, bigint, double precision[]) IS 'Health components and score from counts: tickets are {low, medium, high, urgent}, billing {payment_failed, invoice_overdue, downgrade, refund, cancellation}, weights {usage_trend, adoption, support, billing, feedback}';

/*
 * One row per tenant of tenant_ids with the counts of SPEC section 5 as of
 * as_of.  Event counts come from the partitions' keys (tenant_id,
 * usage_timestamp, ...) alone.  The tenant's active users at as_of are its
 * users with an event of any feature in (as_of - active_window, as_of]:
 * tenant_user_state's last_seen_at is a user's last event up to as_of
 * whenever it is not later than as_of; only tenants with a user seen after
 * as_of (a backfill, or events ahead of now) read their events, over the
 * longest window needed (60 days or active_window), for those users' last
 * event up to as_of.  Reading a tenant's events costs one random heap page
 * per event (events of a tenant are spread over the log), which is what
 * made an incremental run slow.  The adopters of a core feature are the
 * active users whose adopted_at (user_feature_state) is <= as_of: the rate
 * of a core feature is adopters / the tenant's active users, so
 * core_active holds active_users for every core feature (the denominator
 * health_compute() divides by) and core_adopters the adopters, 0 for a core
 * feature nobody active adopted.  Dynamic SQL so that every call is planned
 * for its own tenant list (a handful of dirty tenants, or all).
 */
CREATE FUNCTION adoption.health_inputs(tenant_ids text[], as_of timestamptz DEFAULT pg_catalog.now())
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

/* Risk band of a score under the tenant's thresholds. */
CREATE FUNCTION adoption.risk_band(score double precision, healthy_min double precision DEFAULT 70,
	at_risk_min double precision DEFAULT 40)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN CASE WHEN score >= healthy_min THEN 'healthy' WHEN score >= at_risk_min THEN 'at_risk' ELSE 'critical' END;
COMMENT ON FUNCTION adoption.risk_band(double precision, double precision, double precision) IS 'healthy when score >= healthy_min, at_risk when >= at_risk_min, else critical';

CREATE TABLE adoption.health_scores (
	tenant_id text NOT NULL,
	scored_at timestamptz NOT NULL,
	score double precision NOT NULL CHECK (score BETWEEN 0 AND 100),
	risk text NOT NULL CHECK (risk IN ('healthy', 'at_risk', 'critical')),
	components jsonb NOT NULL,
	delta double precision,
	previous_risk text CHECK (previous_risk IN ('healthy', 'at_risk', 'critical')),
	last_event_at timestamptz,
	active_users integer NOT NULL DEFAULT 0,
	actions text[] NOT NULL DEFAULT '{}',
	live boolean NOT NULL DEFAULT false,
	computed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, scored_at)
);
COMMENT ON TABLE adoption.health_scores IS 'Health score history: one row per tenant and time it was scored as of (adoption.rescore())';
COMMENT ON COLUMN adoption.health_scores.scored_at IS 'The as_of of the scoring: only data with time <= scored_at counted';
COMMENT ON COLUMN adoption.health_scores.components IS 'Each component present, name -> 0-100 score';
COMMENT ON COLUMN adoption.health_scores.delta IS 'score minus the previous score of the tenant (NULL for its first)';
COMMENT ON COLUMN adoption.health_scores.previous_risk IS 'Risk band of the previous score (NULL for the first)';
COMMENT ON COLUMN adoption.health_scores.actions IS 'Tenant-level campaign templates this score enqueued (the evidence for the cooldown)';
COMMENT ON COLUMN adoption.health_scores.live IS 'Computed within a day of scored_at: only live scores act, and a band is entered relative to the previous live score (a backfill writes history, not campaigns)';
COMMENT ON COLUMN adoption.health_scores.computed_at IS 'When the score was computed';
SELECT pg_catalog.pg_extension_config_dump('adoption.health_scores', '');

/* The incremental rescoring's memory: data ingested at or after watermark is new to the next run. */
CREATE TABLE adoption.rescore_state (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	watermark timestamptz,
	last_started_at timestamptz,
	last_finished_at timestamptz,
	last_tenants integer
);
COMMENT ON TABLE adoption.rescore_state IS 'Bookkeeping of adoption.rescore(): rows ingested at or after watermark make their tenant due';
SELECT pg_catalog.pg_extension_config_dump('adoption.rescore_state', '');

/*
 * Enqueues a batch of actions, each an object with tenant_id, template_key,
 * dedupe_key, reason and optionally user_id and feature_id; an action whose
 * (tenant_id, dedupe_key) was ever enqueued, or whose template is gone, is
 * skipped.  Returns what was enqueued; one NOTIFY if anything was.
 */
CREATE FUNCTION adoption.enqueue_batch(actions jsonb)
RETURNS TABLE (tenant_id text, template_key text, action_id bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY
	WITH c AS (
		SELECT DISTINCT ON (a.tenant_id, a.dedupe_key) a.tenant_id, a.user_id, a.feature_id,
			a.template_key, t.campaign_id, coalesce(a.reason, '{}') AS reason, a.dedupe_key
		FROM jsonb_to_recordset(coalesce(actions, '[]')) AS a(tenant_id text, user_id text, feature_id text,
			template_key text, reason jsonb, dedupe_key text)
		JOIN adoption.campaign_templates AS t ON t.template_key = a.template_key
		ORDER BY a.tenant_id, a.dedupe_key
	),
	k AS (
		INSERT INTO adoption.campaign_action_keys AS k (tenant_id, dedupe_key, action_id)
		SELECT c.tenant_id, c.dedupe_key, nextval('adoption.campaign_action_id_seq') FROM c
		ON CONFLICT DO NOTHING
		RETURNING k.tenant_id, k.dedupe_key, k.action_id
	),
	q AS (
		INSERT INTO adoption.campaign_action_queue AS q (action_id, tenant_id, user_id, feature_id,
			template_key, campaign_id, reason, dedupe_key)
		SELECT k.action_id, c.tenant_id, c.user_id, c.feature_id, c.template_key, c.campaign_id,
			c.reason, c.dedupe_key
		FROM k JOIN c ON c.tenant_id = k.tenant_id AND c.dedupe_key = k.dedupe_key
		RETURNING q.tenant_id, q.template_key, q.action_id
	)
	SELECT q.tenant_id, q.template_key, q.action_id FROM q;
	IF FOUND THEN
		PERFORM pg_notify('adoption_actions', '1');
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.enqueue_batch(jsonb) IS 'Enqueues a JSON array of actions {tenant_id, template_key, dedupe_key, reason, user_id, feature_id} set-based, skipping keys already enqueued; returns what it enqueued';

/*
 * Scores tenants as of as_of and acts on what changed.
 *
 * Which tenants: the given one; else, when as_of is the current time, the
 * tenants with rows ingested since the previous run plus those whose
 * latest score is more than a day older than as_of (incremental); else
 * (as_of in the past: a backfill) every tenant.  A tenant without a single
 * event up to as_of has no health yet and is skipped.
 *
 * Actions come only from a score that is the tenant's newest and live (at
 * most a day old when computed): a backfill writes history, not campaigns;
 * a band is entered relative to the previous live score, so the first live
 * score after a backfill acts on the band it finds.
 */
CREATE FUNCTION adoption.rescore(tenant_id text DEFAULT NULL, as_of timestamptz DEFAULT pg_catalog.now())
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	incremental boolean;
	old_watermark timestamptz;
	new_watermark timestamptz;
	targets text[];
	scored integer;
	batch jsonb;
BEGIN
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'as_of must be a finite time, not %', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF as_of > clock_timestamp() THEN
		RAISE EXCEPTION 'as_of % is in the future', as_of USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Health is scored as of now or a past time; leave as_of out for now.';
	END IF;
	IF rescore.tenant_id IS NOT NULL AND NOT EXISTS (
		SELECT 1 FROM adoption.tenants AS t WHERE t.tenant_id = rescore.tenant_id) THEN
		RAISE EXCEPTION 'unknown tenant "%"', rescore.tenant_id USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Tenants are the rows of adoption.tenants; events register them on first sight.';
	END IF;

	/* One run at a time: a second one returns at once. */
	IF NOT pg_try_advisory_xact_lock(('adoption.health_scores'::regclass)::oid::bigint) THEN
		RAISE NOTICE 'adoption.rescore() is already running in another session; skipped';
		RETURN 0;
	END IF;

	incremental := rescore.tenant_id IS NULL AND as_of >= now();
	IF rescore.tenant_id IS NOT NULL THEN
		targets := ARRAY[rescore.tenant_id];
	ELSIF NOT incremental THEN
		SELECT array_agg(t.tenant_id ORDER BY t.tenant_id) INTO targets FROM adoption.tenants AS t;
	ELSE
		SELECT r.watermark INTO old_watermark FROM adoption.rescore_state AS r;
		/*
		 * ingested_at defaults to now(), the start of the inserting
		 * transaction: rows that transactions still running will commit
		 * carry at least the oldest start among them.  Sessions of other
		 * roles hide their start unless the caller has pg_read_all_stats;
		 * then fall back to a day, which the daily rescoring covers anyway.
		 */
		SELECT least(now(), min(a.xact_start)) INTO new_watermark
		FROM pg_stat_activity AS a
		WHERE a.datname = current_database() AND a.backend_type <> 'autovacuum worker';
		IF EXISTS (SELECT 1 FROM pg_stat_activity AS a
			WHERE a.datname = current_database() AND a.query = '<insufficient privilege>') THEN
			new_watermark := least(new_watermark, now() - interval '1 day');
		END IF;

		SELECT array_agg(d.tenant_id ORDER BY d.tenant_id) INTO targets FROM (
			SELECT e.tenant_id FROM adoption.feature_usage_events AS e
			WHERE old_watermark IS NOT NULL AND e.ingested_at >= old_watermark
			UNION
			SELECT f.tenant_id FROM adoption.feedback AS f
			WHERE old_watermark IS NOT NULL AND f.ingested_at >= old_watermark
			UNION
			SELECT k.tenant_id FROM adoption.support_tickets AS k
			WHERE old_watermark IS NOT NULL AND k.ingested_at >= old_watermark
			UNION
			SELECT b.tenant_id FROM adoption.billing_events AS b
			WHERE old_watermark IS NOT NULL AND b.ingested_at >= old_watermark
			UNION
			SELECT t.tenant_id FROM adoption.tenants AS t
			WHERE NOT EXISTS (SELECT 1 FROM adoption.health_scores AS h
				WHERE h.tenant_id = t.tenant_id AND h.scored_at > as_of - interval '1 day')
		) AS d
		WHERE EXISTS (SELECT 1 FROM adoption.tenants AS t WHERE t.tenant_id = d.tenant_id);
	END IF;

	/* Score: one row per tenant, with the band it leaves and the change. */
	WITH i AS (
		SELECT * FROM adoption.health_inputs(coalesce(targets, '{}'), as_of) AS i
		WHERE i.last_event_at IS NOT NULL
	),
	c AS (
		SELECT i.tenant_id, i.last_event_at, i.active_users, h.*,
			adoption.risk_band(h.score, i.healthy_min, i.at_risk_min) AS risk
		FROM i, LATERAL adoption.health_compute(i.events_recent, i.events_previous, true,
			i.core_features, i.core_active, i.core_adopters, i.adoption_threshold, i.active_users,
			i.tickets, i.billing, i.nps_promoters, i.nps_passives, i.nps_detractors, i.weights) AS h
	)
	INSERT INTO adoption.health_scores AS hs (tenant_id, scored_at, score, risk, components, delta,
		previous_risk, last_event_at, active_users, live)
	SELECT c.tenant_id, as_of, c.score, c.risk,
		jsonb_strip_nulls(jsonb_build_object('usage_trend', c.usage_trend, 'adoption', c.adoption,
			'support', c.support, 'billing', c.billing, 'feedback', c.feedback)),
		c.score - p.score, p.risk, c.last_event_at, c.active_users, as_of >= now() - interval '1 day'
	FROM c
	LEFT JOIN LATERAL (SELECT h.score, h.risk FROM adoption.health_scores AS h
		WHERE h.tenant_id = c.tenant_id AND h.scored_at < as_of
		ORDER BY h.scored_at DESC LIMIT 1) AS p ON true
	ON CONFLICT ON CONSTRAINT health_scores_pkey DO UPDATE SET
		score = excluded.score, risk = excluded.risk, components = excluded.components,
		delta = excluded.delta, previous_risk = excluded.previous_risk,
		last_event_at = excluded.last_event_at, active_users = excluded.active_users,
		live = hs.live OR excluded.live, computed_at = now();
	GET DIAGNOSTICS scored = ROW_COUNT;

	IF scored > 0 AND as_of >= now() - interval '1 day' THEN
		/*
		 * The scores of this run that are their tenant's newest, with the
		 * band of the previous live score (a backfilled history does not
		 * hide the entry into a band from the first live score).
		 */
		WITH cur AS (
			SELECT h.tenant_id, h.scored_at, h.score, h.risk, h.components, h.last_event_at,
				h.active_users, pl.risk AS previous_risk, e.dormant_after, e.nudge_after, e.active_window, e.action_cooldown,
				e.seat_utilization_threshold, t.seats_licensed
			FROM adoption.health_scores AS h
			JOIN adoption.effective_settings AS e ON e.tenant_id = h.tenant_id
			JOIN adoption.tenants AS t ON t.tenant_id = h.tenant_id
			LEFT JOIN LATERAL (SELECT p.risk FROM adoption.health_scores AS p
				WHERE p.tenant_id = h.tenant_id AND p.scored_at < as_of AND p.live
				ORDER BY p.scored_at DESC LIMIT 1) AS pl ON true
			WHERE h.tenant_id = ANY (targets) AND h.scored_at = as_of
				AND NOT EXISTS (SELECT 1 FROM adoption.health_scores AS n
					WHERE n.tenant_id = h.tenant_id AND n.scored_at > as_of)
		),
		cand AS (
			/* Entering at_risk or critical (a first score enters its band). */
			SELECT cur.tenant_id, NULL::text AS user_id, NULL::text AS feature_id,
				CASE cur.risk WHEN 'at_risk' THEN 'retention_intervention' ELSE 'escalate_to_cs' END AS template_key,
				jsonb_build_object('score', round(cur.score::numeric, 2), 'risk', cur.risk,
					'previous_risk', cur.previous_risk, 'scored_at', cur.scored_at,
					'components', cur.components) AS reason,
				jsonb_build_array(CASE cur.risk WHEN 'at_risk' THEN 'retention_intervention' ELSE 'escalate_to_cs' END,
					to_char(cur.scored_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text AS dedupe_key,
				cur.action_cooldown
			FROM cur
			WHERE cur.risk IN ('at_risk', 'critical') AND cur.risk IS DISTINCT FROM cur.previous_risk
			UNION ALL
			/* Dormant: one win_back per quiet spell (keyed by the last event). */
			SELECT cur.tenant_id, NULL, NULL, 'win_back',
				jsonb_build_object('last_event_at', cur.last_event_at, 'dormant_after', cur.dormant_after::text),
				jsonb_build_array('win_back', to_char(cur.last_event_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text,
				interval '0'
			FROM cur
			WHERE cur.last_event_at <= as_of - cur.dormant_after
			UNION ALL
			/* Seats nearly all in use. */
			SELECT cur.tenant_id, NULL, NULL, 'expansion_offer',
				jsonb_build_object('opportunity', 'seat_utilization', 'active_users', cur.active_users,
					'seats_licensed', cur.seats_licensed,
					'utilization', round(cur.active_users::numeric / cur.seats_licensed, 3)),
				jsonb_build_array('expansion_offer', 'seat_utilization',
					to_char(cur.scored_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text,
				cur.action_cooldown
			FROM cur
			WHERE cur.seats_licensed > 0
				AND cur.active_users >= cur.seat_utilization_threshold * cur.seats_licensed
			UNION ALL
			/* Habitual use of a feature whose upgrade the tenant has not activated: once per upgrade. */
			SELECT DISTINCT ON (cur.tenant_id, f.upgrade_feature_id) cur.tenant_id, s.user_id,
				f.upgrade_feature_id, 'advanced_feature',
				jsonb_build_object('feature_id', f.feature_id, 'upgrade_feature_id', f.upgrade_feature_id,
					'habitual_at', s.habitual_at),
				jsonb_build_array('advanced_feature', f.upgrade_feature_id)::text,
				interval '0'
			FROM cur
			JOIN adoption.user_feature_state AS s ON s.tenant_id = cur.tenant_id AND s.habitual_at <= as_of
			JOIN adoption.features AS f ON f.feature_id = s.feature_id AND f.upgrade_feature_id IS NOT NULL
			WHERE NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS g
				WHERE g.tenant_id = cur.tenant_id AND g.feature_id = f.upgrade_feature_id
					AND g.activated_at <= as_of)
			UNION ALL
			/* Feedback of the last 90 days asks for an advanced or premium feature the tenant never used: once per feature. */
			SELECT DISTINCT ON (cur.tenant_id, c.feature_id) cur.tenant_id, b.user_id, c.feature_id, 'expansion_offer',
				jsonb_build_object('opportunity', 'feature_request', 'feature_id', c.feature_id, 'tier', c.tier,
					'feedback_id', b.feedback_id),
				jsonb_build_array('expansion_offer', 'feature_request', c.feature_id)::text,
				interval '0'
			FROM cur
			JOIN adoption.feedback AS b ON b.tenant_id = cur.tenant_id
				AND b.created_at > as_of - interval '90 days' AND b.created_at <= as_of
			CROSS JOIN LATERAL unnest(b.feature_requests) AS q(request)
			JOIN adoption.features AS c ON c.feature_id = q.request AND c.tier <> 'core'
			WHERE NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS g
				WHERE g.tenant_id = cur.tenant_id AND g.feature_id = c.feature_id AND g.activated_at <= as_of)
			UNION ALL
			/*
			 * Activated but not adopted after nudge_after: once per user and
			 * feature, while the activation is recent enough (within
			 * active_window past the deadline) for a nudge to make sense.
			 */
			SELECT cur.tenant_id, s.user_id, s.feature_id, 'adoption_nudge',
				jsonb_build_object('activated_at', s.activated_at, 'nudge_after', cur.nudge_after::text,
					'successes', s.successes),
				jsonb_build_array('adoption_nudge', s.feature_id, s.user_id)::text,
				interval '0'
			FROM cur
			JOIN adoption.user_feature_state AS s ON s.tenant_id = cur.tenant_id
			WHERE s.activated_at <= as_of - cur.nudge_after
				AND s.activated_at > as_of - cur.nudge_after - cur.active_window
				AND (s.adopted_at IS NULL OR s.adopted_at > as_of)
		)
		SELECT jsonb_agg(jsonb_build_object('tenant_id', cand.tenant_id, 'user_id', cand.user_id,
			'feature_id', cand.feature_id, 'template_key', cand.template_key, 'reason', cand.reason,
			'dedupe_key', cand.dedupe_key))
		INTO batch
		FROM cand
		/* Cooldown: no second tenant-level action of a template within action_cooldown. */
		WHERE cand.action_cooldown = interval '0' OR NOT EXISTS (
			SELECT 1 FROM adoption.health_scores AS h
			WHERE h.tenant_id = cand.tenant_id AND h.scored_at < as_of
				AND h.scored_at >= as_of - cand.action_cooldown
				AND cand.template_key = ANY (h.actions));

		IF batch IS NOT NULL THEN
			WITH done AS (
				SELECT e.tenant_id, array_agg(DISTINCT e.template_key ORDER BY e.template_key) AS templates
				FROM adoption.enqueue_batch(batch) AS e
				WHERE e.template_key IN ('retention_intervention', 'escalate_to_cs', 'win_back', 'expansion_offer')
				GROUP BY e.tenant_id
			)
			UPDATE adoption.health_scores AS h
			SET actions = ARRAY(SELECT DISTINCT x FROM unnest(h.actions || done.templates) AS x ORDER BY x)
			FROM done
			WHERE h.tenant_id = done.tenant_id AND h.scored_at = as_of;
		END IF;
	END IF;

	IF incremental THEN
		INSERT INTO adoption.rescore_state AS r (singleton, watermark, last_started_at, last_finished_at, last_tenants)
		VALUES (true, new_watermark, now(), clock_timestamp(), scored)
		ON CONFLICT (singleton) DO UPDATE SET watermark = excluded.watermark,
			last_started_at = excluded.last_started_at, last_finished_at = excluded.last_finished_at,
			last_tenants = excluded.last_tenants;
	END IF;
	RETURN scored;
END
$$;
COMMENT ON FUNCTION adoption.rescore(text, timestamptz) IS 'Scores the health of one tenant, or of the tenants that need it (new data since the last run, or a score older than a day), as of as_of; stores adoption.health_scores, enqueues band, win-back, nudge and expansion actions; returns the number of tenants scored';

/* The score of one tenant, one row per component; the contributions sum to the score. */
CREATE FUNCTION adoption.explain_health(tenant_id text, as_of timestamptz DEFAULT pg_catalog.now())
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

CREATE VIEW adoption.tenant_health WITH (security_invoker = true) AS
SELECT t.tenant_id, t.name AS tenant_name, t.segment, t.plan, t.arr,
	h.scored_at, h.score, h.risk, h.previous_risk, h.delta,
	(h.components OPERATOR(pg_catalog.->>) 'usage_trend')::double precision AS usage_trend,
	(h.components OPERATOR(pg_catalog.->>) 'adoption')::double precision AS adoption,
	(h.components OPERATOR(pg_catalog.->>) 'support')::double precision AS support,
	(h.components OPERATOR(pg_catalog.->>) 'billing')::double precision AS billing,
	(h.components OPERATOR(pg_catalog.->>) 'feedback')::double precision AS feedback,
	h.components, h.last_event_at, h.active_users
FROM adoption.tenants AS t
JOIN LATERAL (SELECT s.* FROM adoption.health_scores AS s
	WHERE s.tenant_id OPERATOR(pg_catalog.=) t.tenant_id
	ORDER BY s.scored_at DESC LIMIT 1) AS h ON true;
COMMENT ON VIEW adoption.tenant_health IS 'The latest health score of each scored tenant';
COMMENT ON COLUMN adoption.tenant_health.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.tenant_health.tenant_name IS 'Tenant name (adoption.tenants.name)';
COMMENT ON COLUMN adoption.tenant_health.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.tenant_health.plan IS 'Tenant plan';
COMMENT ON COLUMN adoption.tenant_health.arr IS 'Annual recurring revenue of the tenant';
COMMENT ON COLUMN adoption.tenant_health.scored_at IS 'Time the score is as of';
COMMENT ON COLUMN adoption.tenant_health.score IS 'Health score 0-100: weighted mean of the present components';
COMMENT ON COLUMN adoption.tenant_health.risk IS 'healthy (score >= health_healthy_min), at_risk (>= health_at_risk_min) or critical';
COMMENT ON COLUMN adoption.tenant_health.previous_risk IS 'Risk band of the score before (NULL for the first)';
COMMENT ON COLUMN adoption.tenant_health.delta IS 'Change since the score before';
COMMENT ON COLUMN adoption.tenant_health.usage_trend IS 'Events of the last 30 days as a share of the 30 before, capped at 100';
COMMENT ON COLUMN adoption.tenant_health.adoption IS '100 x mean over the core features of min(1, rate / feature_adoption_threshold), rate = active users who adopted the feature / the tenant''s active users (an event of any feature within active_window before scored_at); a core feature no active user adopted counts 0';
COMMENT ON COLUMN adoption.tenant_health.support IS '100 exp(-w/s): w = tickets of 30 days weighted low 1, medium 2, high 4, urgent 8; s = max(1, 0.2 active users)';
COMMENT ON COLUMN adoption.tenant_health.billing IS '100 minus billing penalties of 90 days, floor 0';
COMMENT ON COLUMN adoption.tenant_health.feedback IS '(NPS of 90 days + 100) / 2; NULL without NPS answers';
COMMENT ON COLUMN adoption.tenant_health.components IS 'The present components as JSON, name -> score';
COMMENT ON COLUMN adoption.tenant_health.last_event_at IS 'Latest event time up to scored_at';
COMMENT ON COLUMN adoption.tenant_health.active_users IS 'Users with an event within active_window before scored_at';

CREATE VIEW adoption.health_history WITH (security_invoker = true) AS
SELECT h.tenant_id, t.name AS tenant_name, t.segment, h.scored_at, h.score, h.risk, h.previous_risk,
	h.delta, h.risk IS DISTINCT FROM h.previous_risk AS risk_changed, h.components, h.actions, h.live
FROM adoption.health_scores AS h
LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) h.tenant_id;
COMMENT ON VIEW adoption.health_history IS 'Every health score of every tenant, for trends and band changes';
COMMENT ON COLUMN adoption.health_history.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.health_history.tenant_name IS 'Tenant name';
COMMENT ON COLUMN adoption.health_history.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.health_history.scored_at IS 'Time the score is as of';
COMMENT ON COLUMN adoption.health_history.score IS 'Health score 0-100';
COMMENT ON COLUMN adoption.health_history.risk IS 'healthy, at_risk or critical';
COMMENT ON COLUMN adoption.health_history.previous_risk IS 'Risk band of the score before (NULL for the first)';
COMMENT ON COLUMN adoption.health_history.delta IS 'Change since the score before';
COMMENT ON COLUMN adoption.health_history.risk_changed IS 'True when this score entered a band (a first score enters its band)';
COMMENT ON COLUMN adoption.health_history.components IS 'The present components as JSON, name -> score';
COMMENT ON COLUMN adoption.health_history.actions IS 'Tenant-level campaign templates this score enqueued';
COMMENT ON COLUMN adoption.health_history.live IS 'Computed within a day of scored_at; only live scores enqueue actions (a backfill does not)';

/*
 * Seat utilization divides the tenant's active users as of now() (an event
 * of any feature in (now() - active_window, now()], as in
 * adoption.feature_adoption: the log decides only for a user seen after
 * now()) by its seats.
 */
CREATE VIEW adoption.expansion_opportunities WITH (security_invoker = true) AS
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

/*
 * Retention: drops the monthly partitions whose whole month is older than
 * event_retention (the longest of the defaults row and the per-tenant
 * overrides: a partition holds every tenant's events), and deletes such
 * rows waiting in the default partition.  Adoption state and milestones are
 * kept; rebuild() afterwards replays only the events that are left.
 */
CREATE FUNCTION adoption.apply_retention()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	keep interval;
	cutoff timestamptz;
	part record;
	dropped integer := 0;
BEGIN
	SELECT CASE WHEN bool_and(s.event_retention IS NOT NULL) FILTER (WHERE s.tenant_id IS NULL)
		THEN max(s.event_retention) END
	INTO keep FROM adoption.settings AS s
	WHERE s.tenant_id IS NULL OR s.event_retention IS NOT NULL;
	IF keep IS NULL THEN
		RETURN 0;
	END IF;
	cutoff := now() - keep;
	PERFORM pg_advisory_xact_lock('adoption.feature_usage_events'::regclass::oid::bigint);
	FOR part IN
		SELECT c.relname, to_timestamp(substr(c.relname, 23), 'YYYYMM') AS month
		FROM pg_inherits AS i
		JOIN pg_class AS c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'adoption.feature_usage_events'::regclass
			AND c.relname ~ '^feature_usage_events_p[0-9]{6}$'
		ORDER BY 1
	LOOP
		CONTINUE WHEN part.month + interval '1 month' > cutoff;
		EXECUTE format('DROP TABLE adoption.%I', part.relname);
		dropped := dropped + 1;
	END LOOP;
	DELETE FROM adoption.feature_usage_events_default AS d WHERE d.usage_timestamp < cutoff;
	RETURN dropped;
END
$$;
COMMENT ON FUNCTION adoption.apply_retention() IS 'Drops event-log partitions entirely older than event_retention (the longest configured; NULL in the defaults row keeps everything); returns how many it dropped';

/* Name of this database's pg_cron job. */
CREATE FUNCTION adoption.rescoring_job_name()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN 'pg_adoption_rescore_' || current_database();
COMMENT ON FUNCTION adoption.rescoring_job_name() IS 'Name of the pg_cron job that adoption.schedule_rescoring() manages in this database';

/*
 * What the pg_cron job runs: partitions ahead, retention, rescoring, and
 * trimming of its own pg_cron run records older than a week (pg_cron keeps
 * them forever) when pg_cron lives in this database and allows it.
 */
CREATE FUNCTION adoption.upkeep()
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	created integer;
	dropped integer;
	scored integer;
	trimmed bigint := 0;
BEGIN
	created := adoption.ensure_partitions(3);
	dropped := adoption.apply_retention();
	scored := adoption.rescore();
	IF to_regclass('cron.job_run_details') IS NOT NULL AND to_regclass('cron.job') IS NOT NULL THEN
		BEGIN
			EXECUTE 'DELETE FROM cron.job_run_details AS d USING cron.job AS j
				WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid AND j.jobname OPERATOR(pg_catalog.=) $1
					AND j.database OPERATOR(pg_catalog.=) $2 AND d.end_time OPERATOR(pg_catalog.<) $3'
				USING adoption.rescoring_job_name(), current_database(), now() - interval '7 days';
			GET DIAGNOSTICS trimmed = ROW_COUNT;
		EXCEPTION WHEN insufficient_privilege THEN
			trimmed := 0;
		END;
	END IF;
	RETURN jsonb_build_object('partitions_created', created, 'partitions_dropped', dropped,
		'tenants_rescored', scored, 'cron_runs_trimmed', trimmed);
END
$$;
COMMENT ON FUNCTION adoption.upkeep() IS 'The scheduled job: ensure_partitions(3), apply_retention(), rescore(), and trimming of its pg_cron run records older than 7 days; returns what it did as JSON';

/* Raises the error that explains how to get pg_cron, or returns when it is usable here. */
CREATE FUNCTION adoption.require_pg_cron(call text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cron_db text := current_setting('cron.database_name', true);
BEGIN
	IF EXISTS (SELECT 1 FROM pg_extension AS x WHERE x.extname = 'pg_cron') THEN
		RETURN;
	END IF;
	IF cron_db IS NULL OR cron_db = '' THEN
		RAISE EXCEPTION 'pg_cron is not loaded' USING ERRCODE = 'object_not_in_prerequisite_state',
			HINT = format('Add pg_cron to shared_preload_libraries, set cron.database_name = %L, restart the server and run CREATE EXTENSION pg_cron there; or run SELECT adoption.upkeep() from another scheduler.',
				current_database());
	ELSIF cron_db <> current_database() THEN
		RAISE EXCEPTION 'pg_cron runs in database "%", not in "%"', cron_db, current_database()
			USING ERRCODE = 'object_not_in_prerequisite_state',
			HINT = format('Connect to database %s (CREATE EXTENSION pg_cron there if needed) and run: %s', cron_db, call);
	ELSE
		RAISE EXCEPTION 'extension pg_cron is not installed in database "%"', cron_db
			USING ERRCODE = 'object_not_in_prerequisite_state',
			HINT = 'Run CREATE EXTENSION pg_cron; and call this function again.';
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.require_pg_cron(text) IS 'Internal: errors out with a hint (call: the statement to run in pg_cron''s database) unless pg_cron is installed in this database';

CREATE FUNCTION adoption.schedule_rescoring(schedule text DEFAULT '*/15 * * * *')
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	job_name text := adoption.rescoring_job_name();
	command text := 'SELECT adoption.upkeep()';
	job bigint;
BEGIN
	IF schedule IS NULL OR btrim(schedule) = '' THEN
		RAISE EXCEPTION 'schedule must not be empty' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Pass a cron schedule in GMT, e.g. ''*/15 * * * *'' (every 15 minutes).';
	END IF;
	PERFORM adoption.require_pg_cron(format('SELECT cron.schedule_in_database(%L, %L, %L, %L);',
		job_name, schedule, command, current_database()));
	IF EXISTS (SELECT 1 FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
		WHERE n.nspname = 'cron' AND p.proname = 'schedule_in_database') THEN
		EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, $4)' INTO job
			USING job_name, schedule, command, current_database();
	ELSE
		EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job USING job_name, schedule, command;
	END IF;
	RETURN job;
END
$$;
COMMENT ON FUNCTION adoption.schedule_rescoring(text) IS 'Creates or replaces the pg_cron job (schedule in GMT) that runs adoption.upkeep() in this database; returns its job id';

CREATE FUNCTION adoption.unschedule_rescoring()
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	job bigint;
BEGIN
	PERFORM adoption.require_pg_cron(format('SELECT cron.unschedule(%L);', adoption.rescoring_job_name()));
	EXECUTE 'SELECT j.jobid FROM cron.job AS j WHERE j.jobname OPERATOR(pg_catalog.=) $1
		AND j.username OPERATOR(pg_catalog.=) current_user'
		INTO job USING adoption.rescoring_job_name();
	IF job IS NULL THEN
		RETURN false;
	END IF;
	EXECUTE 'SELECT cron.unschedule($1)' USING job;
	RETURN true;
END
$$;
COMMENT ON FUNCTION adoption.unschedule_rescoring() IS 'Removes the pg_cron job of adoption.schedule_rescoring(); returns false if there was none';
/*
 * feedback.sql: feedback categorization (SPEC section 4): the insight type
 * and function, the per-tenant lexicon, the triggers that store the insight
 * with each feedback row and enqueue its actions, and the feedback views.
 * The categorizer is C (src/textcat.c, src/feedback.c).
 */

CREATE TYPE adoption.feedback_insight AS (
	sentiment real,
	sentiment_label text,
	nps_category text,
	themes text[],
	pain_points text[],
	feature_requests text[],
	value_drivers text[],
	success_indicators text[],
	features text[]
);
COMMENT ON TYPE adoption.feedback_insight IS 'What a feedback text says: sentiment in [-1, 1] and its label, NPS category, and the themes matched per category';

CREATE FUNCTION adoption.categorize_feedback(body text, score integer DEFAULT NULL, tenant_id text DEFAULT NULL)
RETURNS adoption.feedback_insight
AS 'MODULE_PATHNAME', 'adoption_categorize_feedback'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION adoption.categorize_feedback(text, integer, text) IS 'Categorizes a feedback text with the built-in lexicon, the global rows of adoption.lexicon and those of tenant_id; score is an NPS answer (0-10) or NULL';

/*
 * The lexicon: rows without a tenant apply to everyone, a tenant's rows to
 * it alone; both override the built-in phrases with the same term (and
 * category slot; positive and negative share one).  weight 0 switches a
 * term off.
 */
CREATE TABLE adoption.lexicon (
	tenant_id text,
	term text NOT NULL,
	category text NOT NULL CHECK (category IN ('pain_point', 'feature_request', 'value_driver',
		'success_indicator', 'positive', 'negative')),
	theme text,
	weight real NOT NULL DEFAULT 1 CHECK (weight >= 0 AND weight <= 10),
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT lexicon_tenant_id_not_empty CHECK (tenant_id IS NULL OR pg_catalog.btrim(tenant_id) <> ''),
	CONSTRAINT lexicon_theme_not_empty CHECK (theme IS NULL OR pg_catalog.btrim(theme) <> '')
);
/* One row per term and slot: positive and negative are one slot (a term has one valence). */
CREATE UNIQUE INDEX lexicon_tenant_term ON adoption.lexicon (tenant_id, term,
	(CASE WHEN category IN ('positive', 'negative') THEN 'sentiment' ELSE category END));
CREATE UNIQUE INDEX lexicon_global_term ON adoption.lexicon (term,
	(CASE WHEN category IN ('positive', 'negative') THEN 'sentiment' ELSE category END)) WHERE tenant_id IS NULL;
COMMENT ON TABLE adoption.lexicon IS 'Phrases for feedback categorization: rows without tenant_id for everyone, others for one tenant; they override the built-in phrases of the same term';
COMMENT ON COLUMN adoption.lexicon.term IS 'Word or phrase, matched case-insensitively on word boundaries; a number or # matches any number ("saved # hours"); stored normalized (lower case, singular, words separated by one space, numbers as #)';
COMMENT ON COLUMN adoption.lexicon.category IS 'pain_point, feature_request, value_driver, success_indicator, positive or negative (the last two move sentiment by weight)';
COMMENT ON COLUMN adoption.lexicon.theme IS 'Theme reported when the term matches (NULL: the term itself; for feature_request NULL makes the term a request cue such as "please add")';
COMMENT ON COLUMN adoption.lexicon.weight IS 'Valence of positive and negative terms (good is about 2, terrible 3) and the positive valence a success_indicator adds; for other categories any weight above 0 enables the term; 0 switches it off';

CREATE FUNCTION adoption.check_lexicon()
RETURNS trigger
AS 'MODULE_PATHNAME', 'adoption_check_lexicon'
LANGUAGE C;
COMMENT ON FUNCTION adoption.check_lexicon() IS 'BEFORE ROW trigger of adoption.lexicon: rejects terms without a word to match';
CREATE TRIGGER lexicon_check BEFORE INSERT OR UPDATE ON adoption.lexicon
	FOR EACH ROW EXECUTE FUNCTION adoption.check_lexicon();
CREATE TRIGGER lexicon_invalidate_cache
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON adoption.lexicon
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.invalidate_cache();
SELECT pg_catalog.pg_extension_config_dump('adoption.lexicon', '');

/*
 * When a case study or a pain point follow-up was last enqueued per tenant
 * (and theme).  Named to sort before feedback: pg_restore loads table data
 * by name, and the feedback trigger must find these rows when restored
 * feedback passes through it.
 */
CREATE TABLE adoption.campaign_followups (
	tenant_id text NOT NULL,
	kind text NOT NULL CHECK (kind IN ('case_study', 'pain_point_followup')),
	theme text NOT NULL,
	feedback_id text NOT NULL,
	enqueued_at timestamptz NOT NULL,
	PRIMARY KEY (tenant_id, kind, theme)
);
COMMENT ON TABLE adoption.campaign_followups IS 'Internal: the last case_study (theme empty) and pain_point_followup per tenant and theme, for the 30-day limit';
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_followups', '');

/* New catalog features are words the categorizer looks for (events.sql invalidates on update and delete). */
CREATE TRIGGER features_invalidate_cache_insert
	AFTER INSERT ON adoption.features REFERENCING NEW TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.invalidate_cache();

CREATE FUNCTION adoption.feedback_insight()
RETURNS trigger
AS 'MODULE_PATHNAME', 'adoption_feedback_insight'
LANGUAGE C;
COMMENT ON FUNCTION adoption.feedback_insight() IS 'BEFORE ROW trigger of adoption.feedback: stores the insight of the row (runs after the validator, by name); a row inserted with its themes (a restore) keeps its insight';
CREATE TRIGGER feedback_insight BEFORE INSERT OR UPDATE OF tenant_id, channel, score, body ON adoption.feedback
	FOR EACH ROW EXECUTE FUNCTION adoption.feedback_insight();

CREATE FUNCTION adoption.feedback_actions()
RETURNS trigger
AS 'MODULE_PATHNAME', 'adoption_feedback_actions'
LANGUAGE C;
COMMENT ON FUNCTION adoption.feedback_actions() IS 'AFTER INSERT statement trigger of adoption.feedback: enqueues case_study and pain_point_followup actions';
CREATE TRIGGER feedback_actions AFTER INSERT ON adoption.feedback
	REFERENCING NEW TABLE AS new_feedback
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.feedback_actions();

CREATE VIEW adoption.nps WITH (security_invoker = true) AS
SELECT f.tenant_id,
	(pg_catalog.date_trunc('month', f.created_at AT TIME ZONE 'UTC'))::date AS month,
	count(*) AS responses,
	count(*) FILTER (WHERE f.score >= 9) AS promoters,
	count(*) FILTER (WHERE f.score BETWEEN 7 AND 8) AS passives,
	count(*) FILTER (WHERE f.score <= 6) AS detractors,
	round(100.0 * (count(*) FILTER (WHERE f.score >= 9) - count(*) FILTER (WHERE f.score <= 6)) / count(*), 1) AS nps
FROM adoption.feedback AS f
WHERE f.channel OPERATOR(pg_catalog.=) 'nps' AND f.score IS NOT NULL
GROUP BY f.tenant_id, 2;
COMMENT ON VIEW adoption.nps IS 'Net promoter score per tenant and month (UTC) of the nps answers';
COMMENT ON COLUMN adoption.nps.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.nps.month IS 'First day of the month (UTC) the answers were given';
COMMENT ON COLUMN adoption.nps.responses IS 'NPS answers with a score';
COMMENT ON COLUMN adoption.nps.promoters IS 'Answers 9-10';
COMMENT ON COLUMN adoption.nps.passives IS 'Answers 7-8';
COMMENT ON COLUMN adoption.nps.detractors IS 'Answers 0-6';
COMMENT ON COLUMN adoption.nps.nps IS '% promoters - % detractors, -100 to 100';

CREATE VIEW adoption.feedback_themes WITH (security_invoker = true) AS
SELECT c.theme, c.category,
	(pg_catalog.date_trunc('week', f.created_at AT TIME ZONE 'UTC'))::date AS week,
	count(*) AS mentions,
	count(DISTINCT f.tenant_id) AS tenants,
	round(avg(f.sentiment)::numeric, 3) AS mean_sentiment
FROM adoption.feedback AS f
CROSS JOIN LATERAL (
	SELECT t, 'pain_point'::text FROM pg_catalog.unnest(f.pain_points) AS t
	UNION ALL SELECT t, 'feature_request' FROM pg_catalog.unnest(f.feature_requests) AS t
	UNION ALL SELECT t, 'value_driver' FROM pg_catalog.unnest(f.value_drivers) AS t
	UNION ALL SELECT t, 'success_indicator' FROM pg_catalog.unnest(f.success_indicators) AS t
) AS c(theme, category)
GROUP BY c.theme, c.category, 3;
COMMENT ON VIEW adoption.feedback_themes IS 'How often each theme comes up, per category and week (UTC), with the mean sentiment of the feedback that mentions it';
COMMENT ON COLUMN adoption.feedback_themes.theme IS 'Theme (e.g. performance, ease_of_use) or, for feature requests, a requested feature_id';
COMMENT ON COLUMN adoption.feedback_themes.category IS 'pain_point, feature_request, value_driver or success_indicator';
COMMENT ON COLUMN adoption.feedback_themes.week IS 'Monday of the week (UTC)';
COMMENT ON COLUMN adoption.feedback_themes.mentions IS 'Feedback rows that mention the theme';
COMMENT ON COLUMN adoption.feedback_themes.tenants IS 'Distinct tenants among them';
COMMENT ON COLUMN adoption.feedback_themes.mean_sentiment IS 'Mean sentiment (-1 to 1) of those rows';

CREATE VIEW adoption.feature_requests WITH (security_invoker = true) AS
WITH r AS (
	SELECT q.request, f.tenant_id, f.body, f.created_at
	FROM adoption.feedback AS f, pg_catalog.unnest(f.feature_requests) AS q(request)
),
per_tenant AS (
	SELECT r.request, r.tenant_id, count(*) AS requests, max(r.created_at) AS last_at
	FROM r GROUP BY r.request, r.tenant_id
)
SELECT pg_catalog.rank() OVER (ORDER BY sum(coalesce(t.arr, 0)) DESC, sum(p.requests) DESC) AS rank,
	p.request, c.feature_name, c.tier,
	count(*) AS tenants, sum(p.requests) AS requests,
	sum(coalesce(t.arr, 0)) AS requesting_arr,
	max(p.last_at) AS last_requested_at,
	(SELECT r.body FROM r WHERE r.request OPERATOR(pg_catalog.=) p.request AND r.body IS NOT NULL
		ORDER BY r.created_at DESC LIMIT 1) AS latest_text
FROM per_tenant AS p
LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) p.tenant_id
LEFT JOIN adoption.features AS c ON c.feature_id OPERATOR(pg_catalog.=) p.request
GROUP BY p.request, c.feature_name, c.tier;
COMMENT ON VIEW adoption.feature_requests IS 'What customers ask for, ranked by the ARR of the tenants asking, ties by number of requests';
COMMENT ON COLUMN adoption.feature_requests.rank IS '1 = most requested by ARR';
COMMENT ON COLUMN adoption.feature_requests.request IS 'Requested theme (e.g. dark_mode, other) or catalog feature_id';
COMMENT ON COLUMN adoption.feature_requests.feature_name IS 'Name of the catalog feature, when the request names one';
COMMENT ON COLUMN adoption.feature_requests.tier IS 'Tier of that feature (advanced and premium requests are expansion signals)';
COMMENT ON COLUMN adoption.feature_requests.tenants IS 'Tenants asking';
COMMENT ON COLUMN adoption.feature_requests.requests IS 'Feedback rows asking';
COMMENT ON COLUMN adoption.feature_requests.requesting_arr IS 'Sum of the ARR of the tenants asking (the ranking weight)';
COMMENT ON COLUMN adoption.feature_requests.last_requested_at IS 'Latest request';
COMMENT ON COLUMN adoption.feature_requests.latest_text IS 'Text of the latest request';

CREATE VIEW adoption.pain_points WITH (security_invoker = true) AS
SELECT p.theme, t.segment, f.feature_id,
	count(*) AS mentions,
	count(DISTINCT f.tenant_id) AS tenants,
	round(avg(f.sentiment)::numeric, 3) AS mean_sentiment,
	max(f.created_at) AS last_mentioned_at,
	(pg_catalog.array_agg(f.body ORDER BY f.created_at DESC) FILTER (WHERE f.body IS NOT NULL))[1:3] AS examples
FROM adoption.feedback AS f
CROSS JOIN LATERAL pg_catalog.unnest(f.pain_points) AS p(theme)
LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) f.tenant_id
GROUP BY p.theme, t.segment, f.feature_id;
COMMENT ON VIEW adoption.pain_points IS 'Pain points by theme, tenant segment and feature, with the latest example texts';
COMMENT ON COLUMN adoption.pain_points.theme IS 'Pain point theme (e.g. performance, reliability)';
COMMENT ON COLUMN adoption.pain_points.segment IS 'Segment of the tenants (NULL: not set)';
COMMENT ON COLUMN adoption.pain_points.feature_id IS 'Feature the feedback was about (NULL: not given)';
COMMENT ON COLUMN adoption.pain_points.mentions IS 'Feedback rows naming the pain point';
COMMENT ON COLUMN adoption.pain_points.tenants IS 'Distinct tenants among them';
COMMENT ON COLUMN adoption.pain_points.mean_sentiment IS 'Mean sentiment (-1 to 1) of those rows';
COMMENT ON COLUMN adoption.pain_points.last_mentioned_at IS 'Latest mention';
COMMENT ON COLUMN adoption.pain_points.examples IS 'Up to three texts, latest first';

CREATE FUNCTION adoption.builtin_lexicon()
RETURNS TABLE (term text, category text, theme text, weight double precision)
AS 'MODULE_PATHNAME', 'adoption_builtin_lexicon'
LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 600;
COMMENT ON FUNCTION adoption.builtin_lexicon() IS 'The built-in English phrases of feedback categorization (adoption.lexicon rows override them)';
/*
 * analytics.sql: product analytics (SPEC section 7) for users or tenants,
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
 * Cohort retention (Amplitude's N-day retention, Mixpanel's retention
 * report, PostHog's retention insight with "first time" cohorts).  An
 * actor's cohort is the period of its first activity in the range (on the
 * feature, when feature_id is given).  mode 'on': retained in period N =
 * active in the N-th period after its cohort's ("returned on day N");
 * mode 'on_or_after': active in that period or any later one of the range
 * (Amplitude's "unbounded" retention).  Period 0 is always the whole
 * cohort.  Only the period numbers the range can observe are returned
 * (cohort + N <= the last period).
 */
CREATE FUNCTION adoption.retention(
	actor text DEFAULT 'user',
	feature_id text DEFAULT NULL,
	period text DEFAULT 'day',
	from_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date - 89),
	to_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date),
	tenant_id text DEFAULT NULL,
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
	RETURN QUERY
	SELECT adoption.period_start(r.origin, retention.period, m.cohort), m.cohort_size, m.period_number,
		m.retained, m.retained::double precision / m.cohort_size
	FROM adoption.retention_rows(matrix) AS m
	ORDER BY m.cohort, m.period_number;
END
$$;
COMMENT ON FUNCTION adoption.retention(text, text, text, date, date, text, text) IS 'Cohort retention by first active period: per cohort and period number N, the actors active in period N (mode on) or in N or later (on_or_after), and the rate';

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
 * others.  Four rows per period, zeros included.
 */
CREATE FUNCTION adoption.lifecycle(
	actor text DEFAULT 'user',
	feature_id text DEFAULT NULL,
	period text DEFAULT 'day',
	from_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date - 89),
	to_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date),
	tenant_id text DEFAULT NULL)
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
	WITH seen AS (
		SELECT s.tenant_id AS t,
			CASE WHEN lifecycle.actor = 'user' THEN s.user_id ELSE '' END AS u,
			min(s.first_used_at) AS first_at
		FROM adoption.user_feature_state AS s
		WHERE (lifecycle.feature_id IS NULL OR s.feature_id = lifecycle.feature_id)
			AND (lifecycle.tenant_id IS NULL OR s.tenant_id = lifecycle.tenant_id)
		GROUP BY 1, 2
	)
	SELECT adoption.lifecycle_counts(a.bits,
		adoption.period_index(CASE
				WHEN lifecycle.actor = 'tenant' AND lifecycle.feature_id IS NULL
				THEN least(s.first_at, t.created_at)
				ELSE s.first_at END,
			r.origin, lifecycle.period))
	INTO counts
	FROM adoption.actor_activity(lifecycle.actor, lifecycle.feature_id, lifecycle.tenant_id,
			adoption.period_start(r.origin, lifecycle.period, -1), lifecycle.period, r.n + 1) AS a
		LEFT JOIN seen AS s ON s.t = a.actor_tenant AND s.u = a.actor_user
		LEFT JOIN adoption.tenants AS t ON t.tenant_id = a.actor_tenant;
	RETURN QUERY
	SELECT adoption.period_start(r.origin, lifecycle.period, p), st.status,
		st.sign * coalesce(counts[2 + st.i * r.n + p], 0)
	FROM generate_series(0, r.n - 1) AS p,
		(VALUES (0, 'new', 1), (1, 'returning', 1), (2, 'resurrecting', 1), (3, 'dormant', -1))
			AS st (i, status, sign)
	ORDER BY p, st.i;
END
$$;
COMMENT ON FUNCTION adoption.lifecycle(text, text, text, date, date, text) IS 'Per period: new, returning, resurrecting and dormant (negative) users or tenants';

/*
 * Stickiness (Amplitude's and Mixpanel's stickiness and DAU/MAU, PostHog's
 * stickiness insight).  dau_mau: for a day, the actors active that day over
 * those active in the 30 days ending that day (MAU); for a week or a month,
 * the mean of the daily ratios over its days (days with MAU 0 and days
 * after today, UTC, left out; NULL when all are).  active_days[k]: the actors active on exactly k days
 * of the period (k = 1 .. days in the period); active_actors is their sum.
 */
CREATE FUNCTION adoption.stickiness(
	actor text DEFAULT 'user',
	feature_id text DEFAULT NULL,
	period text DEFAULT 'day',
	from_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date - 89),
	to_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date),
	tenant_id text DEFAULT NULL)
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
	/* counts: header of 5, dau from 6, mau from 6 + n_days, dist from 6 + 2 * n_days. */
	RETURN QUERY
	WITH days AS (
		SELECT adoption.period_index(((r.origin + d)::timestamp AT TIME ZONE 'UTC'), r.origin,
				stickiness.period) AS p,
			coalesce(counts[6 + d], 0) AS dau,
			coalesce(counts[6 + n_days + d], 0) AS mau,
			r.origin + d <= (pg_catalog.now() AT TIME ZONE 'UTC')::date AS past
		FROM generate_series(0, n_days - 1) AS d
	), per AS (
		SELECT days.p, count(*)::integer AS len,
			avg(days.dau::double precision / nullif(days.mau, 0)) FILTER (WHERE days.past) AS ratio
		FROM days
		GROUP BY days.p
	)
	SELECT adoption.period_start(r.origin, stickiness.period, per.p), per.ratio,
		(SELECT coalesce(sum(counts[6 + 2 * n_days + 32 * per.p + k]), 0)::bigint
			FROM generate_series(1, per.len) AS k),
		ARRAY(SELECT coalesce(counts[6 + 2 * n_days + 32 * per.p + k], 0)
			FROM generate_series(1, per.len) AS k ORDER BY k)
	FROM per
	ORDER BY per.p;
END
$$;
COMMENT ON FUNCTION adoption.stickiness(text, text, text, date, date, text) IS 'Per period: mean daily DAU/MAU (30-day MAU), actors active, and active_days[k] = actors active on exactly k days';

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
 */
CREATE FUNCTION adoption.pes(
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

/*
 * Which features drive retention (Amplitude's Compass, Mixpanel's and
 * PostHog's "correlation" of an event with retention).  Over all features,
 * each actor active in the range has a cohort, the period of its first
 * activity in the range, and is counted when period cohort + interval_number
 * lies in the range; it is retained when active (on any feature) in that
 * period.  Per feature, the adopters are those counted actors who had
 * adopted the feature by the end of their cohort period (so adoption comes
 * before the return it is compared with; a user by user_feature_state.
 * adopted_at, a tenant by tenant_feature_state.feature_adopted_at), the
 * non-adopters the other counted actors.  lift = adopter_rate /
 * non_adopter_rate.  One row per feature with at least one adopter (only
 * feature_id's when given), highest lift first; the column is named feature
 * because feature_id is the argument.
 */
CREATE FUNCTION adoption.feature_retention(
	actor text DEFAULT 'user',
	feature_id text DEFAULT NULL,
	period text DEFAULT 'week',
	from_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date - 89),
	to_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date),
	tenant_id text DEFAULT NULL,
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
/*
 * launches.sql: launches, campaign attribution and lift, and the queue
 * dashboard (SPEC sections 7 and 8).
 *
 *   coordinate_launch()   enqueues launch_announcement for the active
 *                         tenants that do not use the launched feature yet;
 *   launch_performance    per launch: activations at 7/30/90 days, adoption
 *                         rate at target_days of the active tenants and of
 *                         the active users (any feature), median time to
 *                         activation;
 *   attribution()         credits each user adoption to the campaign touches
 *                         before it, under five models;
 *   campaign_attribution  attribution() under last_touch and 30 days;
 *   campaign_lift()       adoption rate of touched vs untouched users, per
 *                         campaign and feature;
 *   action_queue          the queue by template and status: counts, due,
 *                         ages.
 *
 * A touch is a row of adoption.campaign_touches (user_id NULL: every user of
 * the tenant is touched) or an event whose integration_context names a
 * campaign_influence (a touch of that campaign, for that user, at the
 * event's time).  Everything here is plain SQL over the state and the log:
 * each query is one pass with window functions, no per-row loop, so no C.
 *
 * Spans of days are 24-hour spans (and the functions run with TimeZone UTC),
 * so a figure does not depend on the reader's time zone.
 */

/*
 * Enqueues launch_announcement (one per tenant and launch, dedupe key
 * ["launch_announcement", launch_id]) for the tenants that are active
 * around the launch (a use of any feature less than their active_window
 * before launched_at, or since) and that have no user of the launched
 * feature yet.  Tenants never seen or dormant since before the window are
 * left to win_back.  An announcement of a launch still ahead waits in the
 * queue until launched_at.  Returns how many it enqueued.
 */
CREATE FUNCTION adoption.coordinate_launch(launch_id text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	l adoption.launches;
	batch jsonb;
	ids bigint[];
BEGIN
	IF launch_id IS NULL OR btrim(launch_id) = '' THEN
		RAISE EXCEPTION 'launch_id must not be empty' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Pass the launch_id of a row of adoption.launches.';
	END IF;
	SELECT x.* INTO l FROM adoption.launches AS x WHERE x.launch_id = coordinate_launch.launch_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'launch "%" does not exist', launch_id USING ERRCODE = 'no_data_found',
			HINT = 'Insert the launch into adoption.launches (launch_id, feature_id, launched_at) first.';
	END IF;

	SELECT jsonb_agg(jsonb_build_object('tenant_id', e.tenant_id, 'template_key', 'launch_announcement',
			'feature_id', l.feature_id,
			'dedupe_key', jsonb_build_array('launch_announcement', l.launch_id)::text,
			'reason', jsonb_build_object('launch_id', l.launch_id, 'feature_id', l.feature_id,
				'launched_at', l.launched_at, 'campaign_id', l.campaign_id,
				'active_window', e.active_window::text))
		ORDER BY e.tenant_id)
	INTO batch
	FROM adoption.effective_settings AS e
	WHERE EXISTS (SELECT 1 FROM adoption.user_feature_state AS s
			WHERE s.tenant_id = e.tenant_id AND s.last_used_at > l.launched_at - e.active_window)
		AND NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS u
			WHERE u.tenant_id = e.tenant_id AND u.feature_id = l.feature_id);
	IF batch IS NULL THEN
		RETURN 0;
	END IF;

	SELECT array_agg(b.action_id) INTO ids FROM adoption.enqueue_batch(batch) AS b;
	IF ids IS NULL THEN
		RETURN 0;
	END IF;
	IF l.launched_at > now() THEN
		UPDATE adoption.campaign_action_queue AS q SET available_at = l.launched_at
		WHERE q.action_id = ANY (ids) AND q.template_key = 'launch_announcement';
	END IF;
	RETURN cardinality(ids);
END
$$;
COMMENT ON FUNCTION adoption.coordinate_launch(text) IS 'Enqueues launch_announcement, once per tenant and launch, for the tenants active within their active_window before launched_at (or since) that have no user of the launched feature; returns how many it enqueued';

CREATE VIEW adoption.launch_performance WITH (security_invoker = true) AS
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

/*
 * Credits each user adoption (user_feature_state.adopted_at) to the touches
 * of its user, or of its tenant, at or before adopted_at and no earlier
 * than adopted_at - lookback.  Touches are ordered by touched_at, then
 * campaign_id (C collation), then campaign_touches rows before events,
 * then touch_id or event_id: first_touch credits the first, last_touch the
 * last of that order.  Returns one row per credited touch; the credits of
 * one adoption sum to 1.
 */
CREATE FUNCTION adoption.attribution(model text DEFAULT 'last_touch', lookback interval DEFAULT '30 days')
RETURNS TABLE (tenant_id text, user_id text, feature_id text, adopted_at timestamptz,
	campaign_id text, touched_at timestamptz, credit double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
	IF model IS NULL THEN
		RAISE EXCEPTION 'attribution model must not be NULL'
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'The models are first_touch, last_touch, linear, time_decay (7-day half-life) and position_based (40/20/40).';
	END IF;
	IF model NOT IN ('first_touch', 'last_touch', 'linear', 'time_decay', 'position_based') THEN
		RAISE EXCEPTION 'unknown attribution model "%"', model
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'The models are first_touch, last_touch, linear, time_decay (7-day half-life) and position_based (40/20/40).';
	END IF;
	IF lookback IS NULL OR lookback < interval '0' THEN
		RAISE EXCEPTION 'lookback must be a non-negative interval, not %', coalesce(lookback::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Pass how long before an adoption a touch counts, e.g. ''30 days''.';
	END IF;
	RETURN QUERY
	WITH a AS (
		SELECT s.tenant_id, s.user_id, s.feature_id, s.adopted_at
		FROM adoption.user_feature_state AS s
		WHERE s.adopted_at IS NOT NULL
	),
	t AS (
		SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at, c.campaign_id, c.touched_at,
			0 AS src, c.touch_id, NULL::uuid AS event_id
		FROM a
		JOIN adoption.campaign_touches AS c ON c.tenant_id = a.tenant_id
			AND (c.user_id = a.user_id OR c.user_id IS NULL)
		WHERE c.touched_at <= a.adopted_at AND c.touched_at >= a.adopted_at - lookback
		UNION ALL
		SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at,
			e.integration_context ->> 'campaign_influence', e.usage_timestamp, 1, NULL::bigint, e.event_id
		FROM a
		JOIN adoption.feature_usage_events AS e ON e.tenant_id = a.tenant_id AND e.user_id = a.user_id
		WHERE e.usage_timestamp <= a.adopted_at AND e.usage_timestamp >= a.adopted_at - lookback
			AND (e.integration_context ->> 'campaign_influence') <> ''
	),
	r AS (
		/*
		 * time_decay weighs 2^(-age / 7 days); the weights are taken
		 * relative to the latest touch (which weighs 1), the same after
		 * normalization and never all zero however long the lookback.
		 */
		SELECT t.tenant_id, t.user_id, t.feature_id, t.adopted_at, t.campaign_id, t.touched_at,
			row_number() OVER o AS pos,
			count(*) OVER p AS n,
			power(2.0::double precision,
				-(extract(epoch FROM max(t.touched_at) OVER p - t.touched_at))::double precision / 604800.0) AS w,
			t.src, t.touch_id, t.event_id
		FROM t
		WINDOW p AS (PARTITION BY t.tenant_id, t.user_id, t.feature_id),
			o AS (p ORDER BY t.touched_at, t.campaign_id COLLATE "C", t.src, t.touch_id, t.event_id)
	),
	c AS (
		SELECT r.*, CASE model
			WHEN 'first_touch' THEN CASE WHEN r.pos = 1 THEN 1.0::double precision ELSE 0.0 END
			WHEN 'last_touch' THEN CASE WHEN r.pos = r.n THEN 1.0::double precision ELSE 0.0 END
			WHEN 'linear' THEN 1.0::double precision / r.n
			WHEN 'time_decay' THEN r.w / sum(r.w) OVER (PARTITION BY r.tenant_id, r.user_id, r.feature_id)
			ELSE CASE WHEN r.n = 1 THEN 1.0::double precision
				WHEN r.n = 2 THEN 0.5
				WHEN r.pos = 1 OR r.pos = r.n THEN 0.4
				ELSE 0.2::double precision / (r.n - 2) END
			END AS credit
		FROM r
	)
	SELECT c.tenant_id, c.user_id, c.feature_id, c.adopted_at, c.campaign_id, c.touched_at, c.credit
	FROM c
	WHERE c.credit > 0
	ORDER BY c.tenant_id COLLATE "C", c.user_id COLLATE "C", c.feature_id COLLATE "C", c.pos;
END
$$;
COMMENT ON FUNCTION adoption.attribution(text, interval) IS 'Credits each user adoption to the campaign touches of the user or its tenant (campaign_touches, events with campaign_influence) within lookback before adopted_at; models first_touch, last_touch, linear, time_decay (7-day half-life), position_based (40/20/40); one row per credited touch, credits of an adoption sum to 1';

CREATE VIEW adoption.campaign_attribution WITH (security_invoker = true) AS
SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at, a.campaign_id, a.touched_at, a.credit
FROM adoption.attribution('last_touch', interval '30 days') AS a;
COMMENT ON VIEW adoption.campaign_attribution IS 'Each user adoption credited to the last campaign touch of the user or its tenant within 30 days before it (adoption.attribution(''last_touch'', ''30 days'')); adoptions without a touch are absent';
COMMENT ON COLUMN adoption.campaign_attribution.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.campaign_attribution.user_id IS 'User who adopted';
COMMENT ON COLUMN adoption.campaign_attribution.feature_id IS 'Feature adopted';
COMMENT ON COLUMN adoption.campaign_attribution.adopted_at IS 'Adoption time (aha_successes-th successful use)';
COMMENT ON COLUMN adoption.campaign_attribution.campaign_id IS 'Campaign credited';
COMMENT ON COLUMN adoption.campaign_attribution.touched_at IS 'Time of the credited touch (a campaign_touches row, or an event naming the campaign in campaign_influence)';
COMMENT ON COLUMN adoption.campaign_attribution.credit IS 'Share of the adoption credited to the touch: 1 under last_touch';

/*
 * Adoption rate of touched vs untouched users, per campaign and feature.
 *
 * A campaign's window runs from its first touch to its last touch plus
 * lookback.  Its population: the users (of any tenant) whose usage span,
 * first to last use of any feature, overlaps the window.  A user of the
 * population is touched by its first touch of the campaign (own touch, a
 * tenant-wide touch of its tenant, or an event naming the campaign).
 * Users who had adopted the feature before (before their first touch,
 * or before the window for the untouched) cannot convert and are left out.
 * A touched user converts by adopting within lookback after its first
 * touch; an untouched one by adopting within the window.  One row per
 * campaign and feature adopted by someone of the population.
 */
CREATE FUNCTION adoption.campaign_lift(lookback interval DEFAULT '30 days')
RETURNS TABLE (campaign_id text, feature_id text, window_start timestamptz, window_end timestamptz,
	touched_users bigint, touched_adopters bigint, touched_rate double precision,
	untouched_users bigint, untouched_adopters bigint, untouched_rate double precision,
	rate_difference double precision, lift double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
	IF lookback IS NULL OR lookback < interval '0' THEN
		RAISE EXCEPTION 'lookback must be a non-negative interval, not %', coalesce(lookback::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Pass how long after a touch an adoption counts, e.g. ''30 days''.';
	END IF;
	RETURN QUERY
	WITH pop AS (
		SELECT s.tenant_id, s.user_id, min(s.first_used_at) AS first_seen, max(s.last_used_at) AS last_seen
		FROM adoption.user_feature_state AS s
		GROUP BY s.tenant_id, s.user_id
	),
	raw AS (
		SELECT c.tenant_id, c.user_id, c.campaign_id, c.touched_at
		FROM adoption.campaign_touches AS c
		UNION ALL
		SELECT e.tenant_id, e.user_id, e.integration_context ->> 'campaign_influence', e.usage_timestamp
		FROM adoption.feature_usage_events AS e
		WHERE (e.integration_context ->> 'campaign_influence') <> ''
	),
	camp AS (
		SELECT raw.campaign_id, min(raw.touched_at) AS w_start, max(raw.touched_at) + lookback AS w_end
		FROM raw
		GROUP BY raw.campaign_id
	),
	reach AS (
		SELECT p.tenant_id, p.user_id, raw.campaign_id, min(raw.touched_at) AS first_touch
		FROM raw
		JOIN pop AS p ON p.tenant_id = raw.tenant_id AND (raw.user_id IS NULL OR raw.user_id = p.user_id)
		GROUP BY p.tenant_id, p.user_id, raw.campaign_id
	),
	cp AS (
		SELECT camp.campaign_id, camp.w_start, camp.w_end, p.tenant_id, p.user_id, reach.first_touch
		FROM camp
		JOIN pop AS p ON p.first_seen <= camp.w_end AND p.last_seen >= camp.w_start
		LEFT JOIN reach ON reach.campaign_id = camp.campaign_id AND reach.tenant_id = p.tenant_id
			AND reach.user_id = p.user_id
	),
	sizes AS (
		SELECT cp.campaign_id, min(cp.w_start) AS w_start, min(cp.w_end) AS w_end,
			count(*) FILTER (WHERE cp.first_touch IS NOT NULL) AS touched,
			count(*) FILTER (WHERE cp.first_touch IS NULL) AS untouched
		FROM cp
		GROUP BY cp.campaign_id
	),
	ad AS (
		SELECT cp.campaign_id, s.feature_id,
			count(*) FILTER (WHERE cp.first_touch IS NOT NULL AND s.adopted_at < cp.first_touch) AS touched_before,
			count(*) FILTER (WHERE cp.first_touch IS NOT NULL AND s.adopted_at >= cp.first_touch
				AND s.adopted_at <= cp.first_touch + lookback) AS touched_conv,
			count(*) FILTER (WHERE cp.first_touch IS NULL AND s.adopted_at < cp.w_start) AS untouched_before,
			count(*) FILTER (WHERE cp.first_touch IS NULL AND s.adopted_at >= cp.w_start
				AND s.adopted_at <= cp.w_end) AS untouched_conv
		FROM cp
		JOIN adoption.user_feature_state AS s ON s.tenant_id = cp.tenant_id AND s.user_id = cp.user_id
		WHERE s.adopted_at IS NOT NULL
		GROUP BY cp.campaign_id, s.feature_id
	),
	f AS (
		SELECT ad.campaign_id, ad.feature_id, sizes.w_start, sizes.w_end,
			sizes.touched - ad.touched_before AS tu, ad.touched_conv AS ta,
			sizes.untouched - ad.untouched_before AS uu, ad.untouched_conv AS ua
		FROM ad
		JOIN sizes ON sizes.campaign_id = ad.campaign_id
	),
	g AS (
		SELECT f.*, f.ta::double precision / NULLIF(f.tu, 0) AS tr, f.ua::double precision / NULLIF(f.uu, 0) AS ur
		FROM f
	)
	SELECT g.campaign_id, g.feature_id, g.w_start, g.w_end, g.tu, g.ta, g.tr, g.uu, g.ua, g.ur,
		g.tr - g.ur, g.tr / NULLIF(g.ur, 0) - 1
	FROM g
	ORDER BY g.campaign_id COLLATE "C", g.feature_id COLLATE "C";
END
$$;
COMMENT ON FUNCTION adoption.campaign_lift(interval) IS 'Per campaign and feature: adoption rate of the users the campaign touched (adopted within lookback after their first touch) vs the users it did not touch (adopted within the campaign window: first touch to last touch + lookback), among the users active across the window who had not adopted before; rate_difference and relative lift';

CREATE VIEW adoption.action_queue WITH (security_invoker = true) AS
SELECT a.template_key, t.campaign_id, t.channel, a.status,
	count(*) AS actions,
	count(*) FILTER (WHERE a.status OPERATOR(pg_catalog.=) 'pending' AND a.available_at <= pg_catalog.now()) AS due_now,
	count(*) FILTER (WHERE a.status OPERATOR(pg_catalog.=) 'claimed' AND a.lease_until < pg_catalog.now()) AS lease_expired,
	count(*) FILTER (WHERE a.created_at > pg_catalog.now() - interval '1 hour') AS age_under_1h,
	count(*) FILTER (WHERE a.created_at <= pg_catalog.now() - interval '1 hour'
		AND a.created_at > pg_catalog.now() - interval '24 hours') AS age_1h_to_1d,
	count(*) FILTER (WHERE a.created_at <= pg_catalog.now() - interval '24 hours'
		AND a.created_at > pg_catalog.now() - interval '168 hours') AS age_1d_to_7d,
	count(*) FILTER (WHERE a.created_at <= pg_catalog.now() - interval '168 hours') AS age_over_7d,
	min(a.created_at) AS oldest_created_at,
	pg_catalog.now() - min(a.created_at) AS oldest_age,
	max(a.created_at) AS newest_created_at,
	max(a.attempts) AS most_attempts,
	max(a.completed_at) AS last_completed_at
FROM adoption.campaign_actions AS a
LEFT JOIN adoption.campaign_templates AS t ON t.template_key OPERATOR(pg_catalog.=) a.template_key
GROUP BY a.template_key, t.campaign_id, t.channel, a.status;
COMMENT ON VIEW adoption.action_queue IS 'The campaign action queue at a glance: per template and status (pending, claimed, done, dead), how many actions, how many are due, and how old they are';
COMMENT ON COLUMN adoption.action_queue.template_key IS 'Campaign template';
COMMENT ON COLUMN adoption.action_queue.campaign_id IS 'Campaign of the template now';
COMMENT ON COLUMN adoption.action_queue.channel IS 'Channel of the template now';
COMMENT ON COLUMN adoption.action_queue.status IS 'pending, claimed, done or dead (a template and status without actions has no row)';
COMMENT ON COLUMN adoption.action_queue.actions IS 'Actions of the template in the status';
COMMENT ON COLUMN adoption.action_queue.due_now IS 'Pending actions a worker may claim now (available_at reached)';
COMMENT ON COLUMN adoption.action_queue.lease_expired IS 'Claimed actions whose lease ran out: claim_actions() hands them out again';
COMMENT ON COLUMN adoption.action_queue.age_under_1h IS 'Actions created less than an hour ago';
COMMENT ON COLUMN adoption.action_queue.age_1h_to_1d IS 'Actions created between an hour and a day ago';
COMMENT ON COLUMN adoption.action_queue.age_1d_to_7d IS 'Actions created between a day and 7 days ago';
COMMENT ON COLUMN adoption.action_queue.age_over_7d IS 'Actions created 7 days ago or earlier';
COMMENT ON COLUMN adoption.action_queue.oldest_created_at IS 'Creation time of the oldest action';
COMMENT ON COLUMN adoption.action_queue.oldest_age IS 'Age of the oldest action (now - oldest_created_at)';
COMMENT ON COLUMN adoption.action_queue.newest_created_at IS 'Creation time of the newest action';
COMMENT ON COLUMN adoption.action_queue.most_attempts IS 'Most delivery attempts of one action';
COMMENT ON COLUMN adoption.action_queue.last_completed_at IS 'Latest time an action became done or dead (NULL for pending and claimed)';
/*
 * governance.sql: erasing a user or a whole tenant (right to be forgotten).
 *
 * forget_user() deletes what names the user (events, user state, feedback,
 * touches, campaign actions with their dedupe keys, which hold the user id)
 * and then recomputes the tenant's adoption state with adoption.rebuild(), so
 * that the tenant-level counts the user fed (active users, adopters, rates)
 * are those of the remaining events.  Both functions are SECURITY DEFINER so
 * that an administrator can delegate them by granting EXECUTE alone; EXECUTE
 * is granted to no role by the extension (security.sql).
 */

/* Raises the error for a NULL, empty or unknown tenant_id of forget_user() and forget_tenant(). */
CREATE FUNCTION adoption.check_known_tenant(tenant_id text, hint text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF tenant_id IS NULL OR pg_catalog.btrim(tenant_id) OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'tenant_id must not be NULL or empty' USING ERRCODE = 'invalid_parameter_value', HINT = hint;
	END IF;
	/* Events register their tenant; the other inputs do not, so they count too. */
	IF NOT (EXISTS (SELECT FROM adoption.tenants AS x WHERE x.tenant_id OPERATOR(pg_catalog.=) check_known_tenant.tenant_id)
		OR EXISTS (SELECT FROM adoption.feedback AS x WHERE x.tenant_id OPERATOR(pg_catalog.=) check_known_tenant.tenant_id)
		OR EXISTS (SELECT FROM adoption.support_tickets AS x WHERE x.tenant_id OPERATOR(pg_catalog.=) check_known_tenant.tenant_id)
		OR EXISTS (SELECT FROM adoption.billing_events AS x WHERE x.tenant_id OPERATOR(pg_catalog.=) check_known_tenant.tenant_id)
		OR EXISTS (SELECT FROM adoption.campaign_touches AS x WHERE x.tenant_id OPERATOR(pg_catalog.=) check_known_tenant.tenant_id)) THEN
		RAISE EXCEPTION 'tenant "%" does not exist', tenant_id USING ERRCODE = 'no_data_found',
			HINT = 'adoption.tenants lists the tenants that sent events; tenant ids are case-sensitive.';
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.check_known_tenant(text, text) IS 'Internal: raises an error unless tenant_id names a tenant of adoption.tenants or one with feedback, tickets, billing events or touches';

/* Returns what was deleted, per table, as jsonb. */
CREATE FUNCTION adoption.forget_user(tenant_id text, user_id text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t text := forget_user.tenant_id;
	u text := forget_user.user_id;
	n_events bigint;
	n_state bigint;
	n_feedback bigint;
	n_touches bigint;
	n_queue bigint;
	n_archive bigint;
	n_keys bigint;
	replayed bigint;
	ids bigint[];
BEGIN
	PERFORM adoption.check_known_tenant(t, 'Pass the tenant_id and user_id of the user to forget.');
	IF u IS NULL OR pg_catalog.btrim(u) OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'user_id must not be NULL or empty' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Pass the tenant_id and user_id of the user to forget.';
	END IF;

	/* Ingest waits until the transaction ends, so the rebuild below misses no event. */
	LOCK TABLE adoption.feature_usage_events IN SHARE ROW EXCLUSIVE MODE;

	IF NOT (EXISTS (SELECT FROM adoption.user_feature_state AS s
			WHERE s.tenant_id OPERATOR(pg_catalog.=) t AND s.user_id OPERATOR(pg_catalog.=) u)
		OR EXISTS (SELECT FROM adoption.feature_usage_events AS e
			WHERE e.tenant_id OPERATOR(pg_catalog.=) t AND e.user_id OPERATOR(pg_catalog.=) u)
		OR EXISTS (SELECT FROM adoption.feedback AS f
			WHERE f.tenant_id OPERATOR(pg_catalog.=) t AND f.user_id OPERATOR(pg_catalog.=) u)
		OR EXISTS (SELECT FROM adoption.campaign_touches AS c
			WHERE c.tenant_id OPERATOR(pg_catalog.=) t AND c.user_id OPERATOR(pg_catalog.=) u)
		OR EXISTS (SELECT FROM adoption.campaign_actions AS a
			WHERE a.tenant_id OPERATOR(pg_catalog.=) t AND a.user_id OPERATOR(pg_catalog.=) u)) THEN
		RAISE EXCEPTION 'user "%" of tenant "%" does not exist', u, t USING ERRCODE = 'no_data_found',
			HINT = 'The user has no events, state, feedback, touches or actions in this tenant; user ids are case-sensitive.';
	END IF;

	DELETE FROM adoption.feature_usage_events AS e
	WHERE e.tenant_id OPERATOR(pg_catalog.=) t AND e.user_id OPERATOR(pg_catalog.=) u;
	GET DIAGNOSTICS n_events = ROW_COUNT;
	DELETE FROM adoption.user_feature_state AS s
	WHERE s.tenant_id OPERATOR(pg_catalog.=) t AND s.user_id OPERATOR(pg_catalog.=) u;
	GET DIAGNOSTICS n_state = ROW_COUNT;
	DELETE FROM adoption.feedback AS f
	WHERE f.tenant_id OPERATOR(pg_catalog.=) t AND f.user_id OPERATOR(pg_catalog.=) u;
	GET DIAGNOSTICS n_feedback = ROW_COUNT;
	DELETE FROM adoption.campaign_touches AS c
	WHERE c.tenant_id OPERATOR(pg_catalog.=) t AND c.user_id OPERATOR(pg_catalog.=) u;
	GET DIAGNOSTICS n_touches = ROW_COUNT;

	/* The keys of the user's actions go too: they hold the user id, and a user who comes back is a new user. */
	WITH gone AS (
		DELETE FROM adoption.campaign_action_queue AS q
		WHERE q.tenant_id OPERATOR(pg_catalog.=) t AND q.user_id OPERATOR(pg_catalog.=) u
		RETURNING q.action_id
	)
	SELECT pg_catalog.array_agg(g.action_id) INTO ids FROM gone AS g;
	n_queue := coalesce(pg_catalog.cardinality(ids), 0);
	WITH gone AS (
		DELETE FROM adoption.campaign_action_archive AS r
		WHERE r.tenant_id OPERATOR(pg_catalog.=) t AND r.user_id OPERATOR(pg_catalog.=) u
		RETURNING r.action_id
	)
	SELECT coalesce(ids, '{}') OPERATOR(pg_catalog.||) coalesce(pg_catalog.array_agg(g.action_id), '{}'),
		pg_catalog.count(*)
	INTO ids, n_archive FROM gone AS g;
	DELETE FROM adoption.campaign_action_keys AS k
	WHERE k.tenant_id OPERATOR(pg_catalog.=) t AND k.action_id OPERATOR(pg_catalog.=) ANY (ids);
	GET DIAGNOSTICS n_keys = ROW_COUNT;

	/* Tenant-level state the user fed: recomputed from the remaining events. */
	replayed := adoption.rebuild(t);

	RETURN pg_catalog.jsonb_build_object(
		'feature_usage_events', n_events,
		'user_feature_state', n_state,
		'feedback', n_feedback,
		'campaign_touches', n_touches,
		'campaign_action_queue', n_queue,
		'campaign_action_archive', n_archive,
		'campaign_action_keys', n_keys,
		'events_replayed', replayed);
END
$$;
COMMENT ON FUNCTION adoption.forget_user(text, text) IS 'Erases a user of a tenant: events, adoption state, feedback, touches, campaign actions and their dedupe keys; then rebuilds the tenant''s adoption state from its remaining events; returns the rows deleted per table as jsonb';

/* Returns what was deleted, per table, as jsonb. */
CREATE FUNCTION adoption.forget_tenant(tenant_id text)
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
/*
 * security.sql: roles, privileges and row-level security.  Last in the
 * install script, so that it covers every object the other files created.
 *
 *   adoption_app      writes the input tables and works the campaign queue
 *                     through its functions; reads nothing it did not write
 *                     (the input tables, for ON CONFLICT DO UPDATE) and
 *                     deletes nothing.
 *   adoption_analyst  reads every table and view and runs the read-only
 *                     functions (analytics, attribution, explain_health...).
 *   adoption_tenant   reads the same, but row-level security shows it only
 *                     the rows of tenant current_setting('adoption.tenant_id');
 *                     with the setting unset or empty it sees no tenant row.
 *
 * adoption_app is BYPASSRLS: COPY FROM refuses a table with row-level security
 * for a role subject to it, even when every policy lets the row in, and
 * COPY is the bulk-load route.  It sees every row of what it may read
 * anyway (policy all_rows); the attribute is not inherited, so a loader
 * runs SET ROLE adoption_app before COPY (INSERT works without).
 *
 * The roles are NOLOGIN: grant them to the login roles of the application,
 * the BI tool and the tenant-facing service.  Everything else (settings,
 * lexicon, rebuild, rescore, upkeep, partitions, scheduling, forgetting)
 * stays with the extension's owner, who may GRANT it further.
 *
 * Writes the application causes in tables it may not write (adoption state,
 * the queue, registration of unseen tenants and features) are made by
 * SECURITY DEFINER functions owned by the extension's owner (a superuser, so
 * row-level security does not filter them): the ingest trigger, the
 * feedback actions trigger and the queue functions.  Each pins search_path.
 */

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'adoption_app') THEN
		CREATE ROLE adoption_app NOLOGIN BYPASSRLS;
		COMMENT ON ROLE adoption_app IS 'pg_adoption: writes input tables (events, feedback, tickets, billing, touches, tenants, features, launches) and works the campaign queue';
	ELSIF NOT (SELECT r.rolbypassrls FROM pg_catalog.pg_roles AS r WHERE r.rolname OPERATOR(pg_catalog.=) 'adoption_app') THEN
		/* Made by an earlier version or by hand: COPY needs the attribute. */
		ALTER ROLE adoption_app BYPASSRLS;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'adoption_analyst') THEN
		CREATE ROLE adoption_analyst NOLOGIN;
		COMMENT ON ROLE adoption_analyst IS 'pg_adoption: reads every table and view, runs the read-only functions';
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'adoption_tenant') THEN
		CREATE ROLE adoption_tenant NOLOGIN;
		COMMENT ON ROLE adoption_tenant IS 'pg_adoption: reads the rows of the tenant named by the setting adoption.tenant_id (row-level security)';
	END IF;
END
$$;

/* Nothing for PUBLIC; explicit grants below. */
REVOKE ALL ON SCHEMA adoption FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA adoption FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA adoption FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA adoption FROM PUBLIC;
GRANT USAGE ON SCHEMA adoption TO adoption_app, adoption_analyst, adoption_tenant;

/*
 * Writes that happen on behalf of the application run as the owner.  The
 * ingest trigger and the feedback actions trigger are C functions: a
 * SECURITY DEFINER trigger runs its queries (through SPI) as the function's
 * owner.  The feedback insight trigger (BEFORE ROW) needs no such rights:
 * it reads the lexicon through a cache that is loaded as the lexicon's
 * owner (feedback.c), and stays SECURITY INVOKER, without a per-row switch.
 */
ALTER FUNCTION adoption.track_events() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION adoption.feedback_actions() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION adoption.claim_actions(text, integer, interval) SECURITY DEFINER;
ALTER FUNCTION adoption.complete_action(bigint, text) SECURITY DEFINER;
ALTER FUNCTION adoption.fail_action(bigint, text, text) SECURITY DEFINER;
ALTER FUNCTION adoption.enqueue_action(text, text, text, jsonb, text, text, timestamptz) SECURITY DEFINER;

/* adoption_app: the input tables (SELECT and UPDATE for ON CONFLICT DO UPDATE and corrections). */
GRANT INSERT ON adoption.feature_usage_events TO adoption_app;
GRANT USAGE ON SEQUENCE adoption.feature_usage_events_arrival_seq TO adoption_app;
GRANT SELECT, INSERT, UPDATE ON adoption.tenants, adoption.features, adoption.launches,
	adoption.feedback, adoption.support_tickets, adoption.billing_events, adoption.campaign_touches
	TO adoption_app;
GRANT EXECUTE ON FUNCTION adoption.claim_actions(text, integer, interval),
	adoption.complete_action(bigint, text),
	adoption.fail_action(bigint, text, text),
	adoption.enqueue_action(text, text, text, jsonb, text, text, timestamptz)
	TO adoption_app;

/*
 * adoption_analyst and adoption_tenant: every table and view except the
 * event log's partitions (read them through the parent, where row-level
 * security applies) and the rescoring watermark; the read-only functions.
 */
GRANT SELECT ON ALL TABLES IN SCHEMA adoption TO adoption_analyst, adoption_tenant;
REVOKE SELECT ON adoption.feature_usage_events_default, adoption.rescore_state FROM adoption_analyst, adoption_tenant;
GRANT SELECT ON adoption.rescore_state TO adoption_analyst;
GRANT EXECUTE ON FUNCTION
	adoption.velocity_at(double precision, timestamptz, timestamptz),
	adoption.usage_velocity_transfn(double precision[], timestamptz, timestamptz),
	adoption.usage_velocity_combinefn(double precision[], double precision[]),
	adoption.usage_velocity_finalfn(double precision[]),
	adoption.usage_velocity(timestamptz, timestamptz),
	adoption.categorize_feedback(text, integer, text),
	adoption.builtin_lexicon(),
	adoption.health_inputs(text[], timestamptz),
	adoption.health_compute(bigint, bigint, boolean, integer, bigint[], bigint[], double precision, bigint,
		bigint[], bigint[], bigint, bigint, bigint, double precision[]),
	adoption.risk_band(double precision, double precision, double precision),
	adoption.explain_health(text, timestamptz),
	adoption.period_index(timestamptz, date, text),
	adoption.period_start(date, text, integer),
	adoption.active_periods_transfn(varbit, timestamptz, date, text, integer),
	adoption.active_periods_combinefn(varbit, varbit),
	adoption.active_periods(timestamptz, date, text, integer),
	adoption.retention_matrix_transfn(bigint[], varbit, boolean),
	adoption.retention_matrix_combinefn(bigint[], bigint[]),
	adoption.retention_matrix(varbit, boolean),
	adoption.retention_rows(bigint[]),
	adoption.lifecycle_counts_transfn(bigint[], varbit, integer),
	adoption.lifecycle_counts_combinefn(bigint[], bigint[]),
	adoption.lifecycle_counts(varbit, integer),
	adoption.stickiness_counts_transfn(bigint[], varbit, integer, date, text),
	adoption.stickiness_counts_combinefn(bigint[], bigint[]),
	adoption.stickiness_counts(varbit, integer, date, text),
	adoption.analytics_periods(text, text, date, date),
	adoption.actor_activity(text, text, text, date, text, integer),
	adoption.actor_adoptions(text, text, text),
	adoption.retention(text, text, text, date, date, text, text),
	adoption.lifecycle(text, text, text, date, date, text),
	adoption.stickiness(text, text, text, date, date, text),
	adoption.pes(text, text, text, date, date, text),
	adoption.feature_retention(text, text, text, date, date, text, integer),
	adoption.attribution(text, interval),
	adoption.campaign_lift(interval)
	TO adoption_analyst, adoption_tenant;

/*
 * Row-level security on every table that holds tenant rows.  The owner
 * (and superusers) bypass it, so the extension's own functions see all.
 * adoption_app and adoption_analyst see every row; adoption_tenant sees the
 * rows of the tenant named by adoption.tenant_id (unset or '': none), and
 * in settings and lexicon also the product-wide rows (tenant_id NULL).
 */
DO $$
DECLARE
	tbl text;
BEGIN
	FOREACH tbl IN ARRAY ARRAY['feature_usage_events', 'tenants', 'feedback', 'support_tickets',
		'billing_events', 'campaign_touches', 'user_feature_state', 'tenant_user_state', 'tenant_state',
		'tenant_feature_counts', 'tenant_feature_milestones',
		'campaign_action_queue', 'campaign_action_archive', 'campaign_action_keys',
		'campaign_followups', 'health_scores', 'settings', 'lexicon'] LOOP
		EXECUTE pg_catalog.format('ALTER TABLE adoption.%I ENABLE ROW LEVEL SECURITY', tbl);
		EXECUTE pg_catalog.format('CREATE POLICY all_rows ON adoption.%I TO adoption_app, adoption_analyst USING (true) WITH CHECK (true)', tbl);
		IF tbl OPERATOR(pg_catalog.=) ANY (ARRAY['settings', 'lexicon']) THEN
			EXECUTE pg_catalog.format('CREATE POLICY own_tenant ON adoption.%I FOR SELECT TO adoption_tenant USING (tenant_id IS NULL OR tenant_id OPERATOR(pg_catalog.=) NULLIF(pg_catalog.current_setting(''adoption.tenant_id'', true), ''''))', tbl);
		ELSE
			EXECUTE pg_catalog.format('CREATE POLICY own_tenant ON adoption.%I FOR SELECT TO adoption_tenant USING (tenant_id OPERATOR(pg_catalog.=) NULLIF(pg_catalog.current_setting(''adoption.tenant_id'', true), ''''))', tbl);
		END IF;
		EXECUTE pg_catalog.format('COMMENT ON POLICY all_rows ON adoption.%I IS %L', tbl,
			'adoption_app and adoption_analyst see and write every row (their table privileges limit what they may do)');
		EXECUTE pg_catalog.format('COMMENT ON POLICY own_tenant ON adoption.%I IS %L', tbl,
			'adoption_tenant reads only the rows of the tenant named by the setting adoption.tenant_id (none when adoption.tenant_id is unset or empty)'
			OPERATOR(pg_catalog.||) CASE WHEN tbl OPERATOR(pg_catalog.=) ANY (ARRAY['settings', 'lexicon'])
				THEN ' and the product-wide rows (tenant_id NULL)' ELSE '' END);
	END LOOP;
END
$$;
