-- Bad events are rejected with a SQLSTATE, a message naming the column and
-- the value, and a hint; the whole statement is undone.
\set SHOW_CONTEXT never

-- Empty and blank ids (23514).
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('00000000-0000-0000-0000-00000000e001', '', 'u', 'f', '2026-02-01 00:00+00');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('00000000-0000-0000-0000-00000000e002', 't', '   ', 'f', '2026-02-01 00:00+00');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('00000000-0000-0000-0000-00000000e003', 't', 'u', E'\t', '2026-02-01 00:00+00');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, feature_name, usage_timestamp)
VALUES ('00000000-0000-0000-0000-00000000e004', 't', 'u', 'f', '', '2026-02-01 00:00+00');
\echo :LAST_ERROR_SQLSTATE

-- NULL ids are NOT NULL violations (23502); the row in the detail holds
-- the current time, so the terse form is shown.
\set VERBOSITY terse
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id) VALUES ('t', NULL, 'f');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- Negative session_duration (23514).
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp, session_duration)
VALUES ('00000000-0000-0000-0000-00000000e005', 't', 'u', 'f', '2026-02-01 00:00+00', -1);
\echo :LAST_ERROR_SQLSTATE

-- integration_context that is not an object (22023).
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp, integration_context)
VALUES ('00000000-0000-0000-0000-00000000e006', 't', 'u', 'f', '2026-02-01 00:00+00', '["web"]');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp, integration_context)
VALUES ('00000000-0000-0000-0000-00000000e007', 't', 'u', 'f', '2026-02-01 00:00+00', 'null');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp, integration_context)
VALUES ('00000000-0000-0000-0000-00000000e008', 't', 'u', 'f', '2026-02-01 00:00+00', '42');
\echo :LAST_ERROR_SQLSTATE
-- A nested object is fine.
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp, integration_context)
VALUES ('00000000-0000-0000-0000-00000000e009', 't', 'u', 'f', '2026-02-01 00:00+00',
	'{"source": "web", "campaign_influence": "spring", "marketing_attribution": {"utm": "x"}}');

-- Infinite times (22008).
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('00000000-0000-0000-0000-00000000e00a', 't', 'u', 'f', '-infinity');
\echo :LAST_ERROR_SQLSTATE

-- More than max_future_skew (1 day) ahead (22023); the message holds the
-- current time, so only the SQLSTATE is shown here.
\set VERBOSITY sqlstate
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('t', 'u', 'f', now() + interval '25 hours');
\set VERBOSITY default
-- 23 hours ahead is within the skew.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('t', 'u', 'f', now() + interval '23 hours');

-- A per-tenant override of max_future_skew applies to that tenant only,
-- and the change is seen by the next statement of the same session.
INSERT INTO adoption.settings (tenant_id, max_future_skew) VALUES ('strict', '0 seconds');
\set VERBOSITY sqlstate
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('strict', 'u', 'f', now() + interval '1 hour');
\set VERBOSITY default
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('relaxed', 'u', 'f', now() + interval '1 hour');
UPDATE adoption.settings SET max_future_skew = '2 hours' WHERE tenant_id = 'strict';
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('strict', 'u', 'f', now() + interval '1 hour');

-- One bad row fails the whole statement: nothing of it is stored, no
-- tenant or feature of it is registered.
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp, session_duration)
VALUES ('00000000-0000-0000-0000-00000000e00b', 'good-tenant', 'u', 'good-feature', '2026-02-01 00:00+00', 5),
	('00000000-0000-0000-0000-00000000e00c', 'good-tenant', 'u', 'good-feature', '2026-02-01 00:00+00', -5);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS stored FROM adoption.feature_usage_events WHERE tenant_id = 'good-tenant';
SELECT count(*) AS registered FROM adoption.tenants WHERE tenant_id = 'good-tenant';
SELECT count(*) AS registered FROM adoption.features WHERE feature_id = 'good-feature';

-- Long values are cut in messages.
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp, session_duration)
VALUES ('00000000-0000-0000-0000-00000000e00d', repeat('long', 50), 'u', 'f', '2026-02-01 00:00+00', -1);

-- Settings are checked too (23514) by CHECK constraints named after the
-- setting, and the defaults row cannot be doubled: inserting it again
-- updates it (this is what pg_restore relies on).
\set VERBOSITY terse
UPDATE adoption.settings SET aha_successes = 0 WHERE tenant_id IS NULL;
\echo :LAST_ERROR_SQLSTATE
UPDATE adoption.settings SET feature_adoption_threshold = 1.5 WHERE tenant_id IS NULL;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.settings (tenant_id, aha_successes) VALUES ('', 2);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.settings (tenant_id, aha_successes) VALUES (NULL, 2);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
INSERT INTO adoption.settings
SELECT * FROM adoption.settings WHERE tenant_id IS NULL;
SELECT count(*) AS defaults_rows FROM adoption.settings WHERE tenant_id IS NULL;

-- Without the defaults row, ingest says what is wrong (55000).
BEGIN;
DELETE FROM adoption.settings WHERE tenant_id IS NULL;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('t', 'u', 'f', now() + interval '1 hour');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
