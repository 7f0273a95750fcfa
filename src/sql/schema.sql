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
 *
 * This table is the one list of the settings: every column but tenant_id
 * and updated_at is one, with its type, its default (the DEFAULT clause
 * fills the defaults row below, then is dropped so that a column an
 * override leaves out is NULL, i.e. inherited) and its range; its comment
 * follows the table.  Everything else reads the columns from the catalog
 * or through adoption.settings_in_force(), which adoption.settings_derive()
 * (views.sql) writes from them (see docs/development.md, "Adding a tenant
 * setting").
 */
CREATE TABLE adoption.settings (
	tenant_id text,
	aha_successes integer DEFAULT 3 CHECK (aha_successes BETWEEN 1 AND 1000),
	usage_velocity_threshold integer DEFAULT 5 CHECK (usage_velocity_threshold BETWEEN 1 AND 1000),
	feature_adoption_threshold double precision DEFAULT 0.70 CHECK (feature_adoption_threshold > 0 AND feature_adoption_threshold <= 1),
	success_outcome_rate double precision DEFAULT 0.80 CHECK (success_outcome_rate >= 0 AND success_outcome_rate <= 1),
	active_window interval DEFAULT '30 days' CHECK (active_window > interval '0'),
	nudge_after interval DEFAULT '7 days' CHECK (nudge_after > interval '0'),
	dormant_after interval DEFAULT '30 days' CHECK (dormant_after > interval '0'),
	max_future_skew interval DEFAULT '1 day' CHECK (max_future_skew >= interval '0'),
	max_attempts integer DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 1000),
	event_retention interval DEFAULT NULL CHECK (event_retention > interval '0'),
	weight_usage_trend double precision DEFAULT 0.30 CHECK (weight_usage_trend >= 0),
	weight_adoption double precision DEFAULT 0.30 CHECK (weight_adoption >= 0),
	weight_support double precision DEFAULT 0.15 CHECK (weight_support >= 0),
	weight_billing double precision DEFAULT 0.15 CHECK (weight_billing >= 0),
	weight_feedback double precision DEFAULT 0.10 CHECK (weight_feedback >= 0),
	health_healthy_min double precision DEFAULT 70 CHECK (health_healthy_min BETWEEN 0 AND 100),
	health_at_risk_min double precision DEFAULT 40 CHECK (health_at_risk_min BETWEEN 0 AND 100),
	action_cooldown interval DEFAULT '30 days' CHECK (action_cooldown >= interval '0'),
	seat_utilization_threshold double precision DEFAULT 0.90 CHECK (seat_utilization_threshold > 0),
	updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT settings_tenant_id_not_empty CHECK (tenant_id IS NULL OR pg_catalog.btrim(tenant_id) <> ''),
	/* settings_defaults_complete is written from the columns by adoption.settings_derive() (views.sql). */
	CONSTRAINT settings_bands_ordered CHECK (health_at_risk_min <= health_healthy_min)
);
COMMENT ON COLUMN adoption.settings.tenant_id IS 'Tenant whose overrides the row holds; NULL: the row of defaults';
COMMENT ON COLUMN adoption.settings.aha_successes IS 'Successful uses after which a user has adopted a feature';
COMMENT ON COLUMN adoption.settings.usage_velocity_threshold IS 'Uses within 7 days that make a user habitual';
COMMENT ON COLUMN adoption.settings.feature_adoption_threshold IS 'Share of active users who adopted, for the tenant milestone';
COMMENT ON COLUMN adoption.settings.success_outcome_rate IS 'Minimum success rate for the tenant milestone';
COMMENT ON COLUMN adoption.settings.active_window IS 'A user is active if seen within it';
COMMENT ON COLUMN adoption.settings.nudge_after IS 'Activated but not adopted for this long: nudge';
COMMENT ON COLUMN adoption.settings.dormant_after IS 'No use for this long: dormant';
COMMENT ON COLUMN adoption.settings.max_future_skew IS 'How far ahead of the current time an event may be';
COMMENT ON COLUMN adoption.settings.max_attempts IS 'Deliveries of a campaign action before it is dead';
COMMENT ON COLUMN adoption.settings.event_retention IS 'Events older than this are dropped (NULL: kept)';
COMMENT ON COLUMN adoption.settings.weight_usage_trend IS 'Health weight of usage trend';
COMMENT ON COLUMN adoption.settings.weight_adoption IS 'Health weight of adoption';
COMMENT ON COLUMN adoption.settings.weight_support IS 'Health weight of support';
COMMENT ON COLUMN adoption.settings.weight_billing IS 'Health weight of billing';
COMMENT ON COLUMN adoption.settings.weight_feedback IS 'Health weight of feedback';
COMMENT ON COLUMN adoption.settings.health_healthy_min IS 'Health score from which a tenant is healthy';
COMMENT ON COLUMN adoption.settings.health_at_risk_min IS 'Health score from which a tenant is at_risk (below: critical)';
COMMENT ON COLUMN adoption.settings.action_cooldown IS 'A tenant-level health action is not enqueued again within this time';
COMMENT ON COLUMN adoption.settings.seat_utilization_threshold IS 'Active users / seats_licensed from which a tenant is an expansion opportunity';
COMMENT ON COLUMN adoption.settings.updated_at IS 'Last change of the row';
CREATE UNIQUE INDEX settings_tenant_key ON adoption.settings (tenant_id);
CREATE UNIQUE INDEX settings_one_default ON adoption.settings ((tenant_id IS NULL)) WHERE tenant_id IS NULL;
COMMENT ON TABLE adoption.settings IS 'Thresholds and windows: the row with tenant_id NULL holds the defaults, other rows override them per tenant (NULL = inherit)';

/* The defaults row, from the DEFAULT clauses, which then go: an override's omitted column is NULL. */
INSERT INTO adoption.settings (tenant_id) VALUES (NULL);
DO $$
DECLARE
	col name;
BEGIN
	FOR col IN SELECT a.attname FROM pg_catalog.pg_attribute AS a
		WHERE a.attrelid OPERATOR(pg_catalog.=) 'adoption.settings'::pg_catalog.regclass
			AND a.atthasdef AND a.attname OPERATOR(pg_catalog.<>) 'updated_at'
	LOOP
		EXECUTE pg_catalog.format('ALTER TABLE adoption.settings ALTER COLUMN %I DROP DEFAULT', col);
	END LOOP;
END
$$;

/*
 * The defaults row is created by CREATE EXTENSION; a dump of the table must
 * not duplicate it on restore.  Rows with tenant_id NULL that arrive later
 * (pg_restore, or a user re-inserting the defaults) update the existing row,
 * every column of it.
 */
CREATE FUNCTION adoption.settings_merge_default()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cols text;
	updated bigint;
BEGIN
	IF NEW.tenant_id IS NOT NULL THEN
		RETURN NEW;
	END IF;
	SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
	FROM pg_attribute AS a
	WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> 'tenant_id';
	/* The table the trigger fired on: on Citus, a shard of the reference table. */
	EXECUTE format('UPDATE %2$s AS s SET (%1$s) = (SELECT %1$s FROM (SELECT ($1).*) AS n) WHERE s.tenant_id IS NULL',
		cols, TG_RELID::regclass) USING NEW;
	GET DIAGNOSTICS updated = ROW_COUNT;
	IF updated > 0 THEN
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
	/*
	 * Names another feature of the catalog, checked by triggers (inputs.sql)
	 * rather than a foreign key: pg_dump cannot order the rows of a table
	 * that references itself and warns about a circular foreign key.
	 */
	upgrade_feature_id text,
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
