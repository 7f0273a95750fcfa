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
DECLARE
	n bigint;
BEGIN
	IF NEW.tenant_id IS NOT NULL THEN
		RETURN NEW;
	END IF;
	/* The table the trigger fired on: on Citus, a shard of the reference table. */
	EXECUTE format('UPDATE %s AS s SET
		aha_successes = ($1).aha_successes, usage_velocity_threshold = ($1).usage_velocity_threshold, feature_adoption_threshold = ($1).feature_adoption_threshold, success_outcome_rate = ($1).success_outcome_rate, active_window = ($1).active_window, nudge_after = ($1).nudge_after, dormant_after = ($1).dormant_after, max_future_skew = ($1).max_future_skew, max_attempts = ($1).max_attempts, event_retention = ($1).event_retention, weight_usage_trend = ($1).weight_usage_trend, weight_adoption = ($1).weight_adoption, weight_support = ($1).weight_support, weight_billing = ($1).weight_billing, weight_feedback = ($1).weight_feedback, health_healthy_min = ($1).health_healthy_min, health_at_risk_min = ($1).health_at_risk_min, action_cooldown = ($1).action_cooldown, seat_utilization_threshold = ($1).seat_utilization_threshold, updated_at = ($1).updated_at
		WHERE s.tenant_id IS NULL', TG_RELID::regclass) USING NEW;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
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
