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
 *
 * A partial index of each partition holds the events whose
 * integration_context names a campaign_influence (about 1 % of the demo's):
 * attribution() and campaign_lift() read them through it (an index-only
 * scan: it includes every column they read) instead of scanning the log.
 * Its predicate uses ?, whose selectivity the planner estimates from the
 * column's statistics (it has none for ->> <> '').
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
CREATE INDEX feature_usage_events_default_campaign_influence
	ON adoption.feature_usage_events_default (tenant_id, user_id, usage_timestamp)
	INCLUDE (event_id, integration_context) WHERE integration_context ? 'campaign_influence';
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
		/* attribution() and campaign_lift() read the events naming a campaign. */
		EXECUTE format('CREATE INDEX %I ON adoption.%I (tenant_id, user_id, usage_timestamp) INCLUDE (event_id, integration_context) WHERE integration_context ? %L',
			part || '_campaign_influence', part, 'campaign_influence');
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
