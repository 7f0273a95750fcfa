-- Tenant settings (docs/development.md, "Adding a tenant setting"): the
-- tenant's override, else the default, from one SQL function that the C
-- cache, adoption.tenant_settings() and adoption.effective_settings use.
SET TimeZone = 'UTC';
TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state, adoption.tenant_state,
	adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
	adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys,
	adoption.features, adoption.tenants CASCADE;
DELETE FROM adoption.settings WHERE tenant_id IS NOT NULL;

-- s1 overrides two settings, s2 none: s1 gets 1 and 0.25 and the defaults
-- (3, 7 days, 0.30) elsewhere; s2 the defaults.
INSERT INTO adoption.tenants (tenant_id) VALUES ('s1'), ('s2');
INSERT INTO adoption.settings (tenant_id, aha_successes, weight_support) VALUES ('s1', 1, 0.25);
SELECT tenant_id, aha_successes, weight_support, nudge_after, weight_usage_trend, event_retention
FROM adoption.effective_settings ORDER BY tenant_id;
SELECT (adoption.tenant_settings('s1')).aha_successes AS s1, (adoption.tenant_settings('nobody')).aha_successes AS nobody,
	(adoption.tenant_settings(NULL)).tenant_id IS NULL AS defaults_for_null;

-- The view has the table's columns, each with the table column's comment.
SELECT count(*) AS columns_differing FROM (
	SELECT a.attname, a.atttypid, a.attnum, col_description(a.attrelid, a.attnum) AS c
	FROM pg_attribute AS a WHERE a.attrelid = 'adoption.settings'::regclass AND a.attnum > 0
		AND NOT a.attisdropped AND a.attname NOT IN ('tenant_id', 'updated_at')
	EXCEPT
	SELECT a.attname, a.atttypid, a.attnum, col_description(a.attrelid, a.attnum)
	FROM pg_attribute AS a WHERE a.attrelid = 'adoption.effective_settings'::regclass) AS d;

-- Values read back exactly whatever the session's float and interval
-- output: 0.1 + 0.2 is 0.30000000000000004, not 0.3.
SET extra_float_digits = -15;
SET IntervalStyle = 'sql_standard';
UPDATE adoption.settings SET weight_billing = 0.1::float8 + 0.2::float8,
	dormant_after = interval '1 mon 2 days 03:04:05.678' WHERE tenant_id = 's1';
SELECT weight_billing = 0.1::float8 + 0.2::float8 AS exact_float,
	dormant_after = interval '1 mon 2 days 03:04:05.678' AS exact_interval
FROM adoption.effective_settings WHERE tenant_id = 's1';
RESET extra_float_digits;
RESET IntervalStyle;

-- The C cache reads the same: s1 adopts at its first success (aha_successes
-- 1), s2 at its third (the default 3).
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT t, 'u', 'f', timestamptz '2026-03-01 09:00' + i * interval '1 day'
FROM unnest(ARRAY['s1', 's2']) AS t, generate_series(0, 2) AS i;
SELECT tenant_id, adopted_at FROM adoption.user_feature_state ORDER BY tenant_id;

-- ... and a change reaches it at the next statement: s2 with 2.
INSERT INTO adoption.settings (tenant_id, aha_successes) VALUES ('s2', 2);
SELECT adoption.rebuild('s2') AS replayed;
SELECT tenant_id, adopted_at FROM adoption.user_feature_state WHERE tenant_id = 's2';

-- fail_action() reads the tenant's max_attempts: 1 for s1, so its first
-- failure is final; s2's action (default 5) is retried.
UPDATE adoption.settings SET max_attempts = 1 WHERE tenant_id = 's1';
TRUNCATE adoption.campaign_action_queue, adoption.campaign_action_keys;
SELECT adoption.enqueue_action('s1', 'adoption_nudge', 'k1') IS NOT NULL AS enqueued_s1,
	adoption.enqueue_action('s2', 'adoption_nudge', 'k2') IS NOT NULL AS enqueued_s2;
SELECT tenant_id, adoption.fail_action(action_id, 'bounced') AS status
FROM adoption.claim_actions('w1', 10) ORDER BY tenant_id;

-- The defaults row must hold every setting but event_retention (23514).
\set VERBOSITY terse
UPDATE adoption.settings SET nudge_after = NULL WHERE tenant_id IS NULL;
\set VERBOSITY default
UPDATE adoption.settings SET event_retention = NULL WHERE tenant_id IS NULL;
DELETE FROM adoption.settings WHERE tenant_id IS NOT NULL;
