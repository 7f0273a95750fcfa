-- Ingest: every way of inserting feeds the trigger; resends are no-ops;
-- unseen tenants and features are registered, features renamed.

-- A multi-row INSERT with two tenants and two features, one named.
INSERT INTO adoption.feature_usage_events
	(event_id, tenant_id, user_id, feature_id, feature_name, usage_timestamp)
VALUES
	('00000000-0000-0000-0000-000000000001', 'acme', 'alice', 'dashboards', 'Dashboards', '2026-01-10 09:00+00'),
	('00000000-0000-0000-0000-000000000002', 'acme', 'bob', 'dashboards', NULL, '2026-01-10 10:00+00'),
	('00000000-0000-0000-0000-000000000003', 'globex', 'carol', 'alerts', NULL, '2026-01-11 08:00+00');
SELECT tenant_id FROM adoption.tenants ORDER BY 1;
SELECT feature_id, feature_name, tier FROM adoption.features ORDER BY 1;

-- A single-row INSERT using the defaults (event_id, usage_timestamp = now()).
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id)
VALUES ('initech', 'dave', 'dashboards');
SELECT tenant_id FROM adoption.tenants ORDER BY 1;

-- Resending the same event with ON CONFLICT DO NOTHING stores nothing.
INSERT INTO adoption.feature_usage_events
	(event_id, tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('00000000-0000-0000-0000-000000000001', 'acme', 'alice', 'dashboards', '2026-01-10 09:00+00')
ON CONFLICT DO NOTHING;
-- Without ON CONFLICT the resend is a unique violation (23505).
\set VERBOSITY sqlstate
INSERT INTO adoption.feature_usage_events
	(event_id, tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('00000000-0000-0000-0000-000000000001', 'acme', 'alice', 'dashboards', '2026-01-10 09:00+00');
\set VERBOSITY default
SELECT count(*) AS events FROM adoption.feature_usage_events;

-- The same event_id at another time, or for another tenant, is another event.
INSERT INTO adoption.feature_usage_events
	(event_id, tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('00000000-0000-0000-0000-000000000001', 'acme', 'alice', 'dashboards', '2026-01-10 09:00:01+00'),
	('00000000-0000-0000-0000-000000000001', 'globex', 'alice', 'dashboards', '2026-01-10 09:00+00');
SELECT count(*) AS events FROM adoption.feature_usage_events;

-- INSERT ... SELECT registers a new tenant and renames a feature: the last
-- name in arrival order wins.
INSERT INTO adoption.feature_usage_events
	(event_id, tenant_id, user_id, feature_id, feature_name, usage_timestamp)
SELECT ('00000000-0000-0000-0000-0000000001' || lpad(i::text, 2, '0'))::uuid, 'hooli', 'erin',
	'alerts', 'Alerts v' || i, timestamptz '2026-01-12 00:00+00' + i * interval '1 minute'
FROM generate_series(1, 3) AS i;
SELECT feature_id, feature_name FROM adoption.features ORDER BY 1;

-- An event without feature_name keeps the catalog's name.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('hooli', 'erin', 'alerts', '2026-01-13 00:00+00');
SELECT feature_name FROM adoption.features WHERE feature_id = 'alerts';

-- A name set by hand in the catalog is kept until an event sends another.
UPDATE adoption.features SET feature_name = 'Smart alerts', tier = 'advanced' WHERE feature_id = 'alerts';
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, feature_name, usage_timestamp)
VALUES ('hooli', 'erin', 'alerts', 'Smart alerts', '2026-01-13 00:01+00');
SELECT feature_id, feature_name, tier FROM adoption.features WHERE feature_id = 'alerts';

-- A rolled-back registration is not remembered: the tenant is registered
-- again by the next event (the backend cache publishes only at commit).
BEGIN;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('umbrella', 'frank', 'reports', '2026-01-14 00:00+00');
SELECT count(*) AS umbrella_inside FROM adoption.tenants WHERE tenant_id = 'umbrella';
ROLLBACK;
SELECT count(*) AS umbrella_after_rollback FROM adoption.tenants WHERE tenant_id = 'umbrella';
SELECT count(*) AS reports_after_rollback FROM adoption.features WHERE feature_id = 'reports';
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('umbrella', 'frank', 'reports', '2026-01-14 00:00+00');
SELECT count(*) AS umbrella_registered FROM adoption.tenants WHERE tenant_id = 'umbrella';

-- The same through a savepoint that is rolled back.
BEGIN;
SAVEPOINT s;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('wayne', 'gina', 'exports', '2026-01-14 00:00+00');
ROLLBACK TO SAVEPOINT s;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('stark', 'hank', 'exports', '2026-01-14 00:00+00');
COMMIT;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('wayne', 'gina', 'exports', '2026-01-14 00:01+00');
SELECT tenant_id FROM adoption.tenants WHERE tenant_id IN ('wayne', 'stark') ORDER BY 1;

-- A deleted tenant is registered again by its next event (the delete sends
-- a cache invalidation to every backend).
DELETE FROM adoption.tenants WHERE tenant_id = 'initech';
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('initech', 'dave', 'dashboards', '2026-01-15 00:00+00');
SELECT count(*) AS initech_registered FROM adoption.tenants WHERE tenant_id = 'initech';

-- A tenant created by hand beforehand keeps its attributes.
INSERT INTO adoption.tenants (tenant_id, name, plan, seats_licensed, arr, segment)
VALUES ('soylent', 'Soylent Corp', 'enterprise', 50, 120000, 'enterprise');
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('soylent', 'ivy', 'dashboards', '2026-01-15 00:00+00');
SELECT tenant_id, name, plan, seats_licensed, arr, segment FROM adoption.tenants WHERE tenant_id = 'soylent';

-- Long and non-ASCII ids are kept exactly.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('münchen-gmbh', 'jörg', 'überblick', '2026-01-16 00:00+00'),
	(repeat('x', 300), 'u', 'dashboards', '2026-01-16 00:00+00');
SELECT tenant_id FROM adoption.tenants WHERE tenant_id LIKE 'm%' OR length(tenant_id) = 300 ORDER BY tenant_id COLLATE "C";
SELECT feature_id FROM adoption.features WHERE feature_id = 'überblick';

-- An INSERT that inserts nothing (all conflicts) works.
INSERT INTO adoption.feature_usage_events
	(event_id, tenant_id, user_id, feature_id, usage_timestamp)
SELECT event_id, tenant_id, user_id, feature_id, usage_timestamp FROM adoption.feature_usage_events
ON CONFLICT DO NOTHING;
SELECT count(*) AS events FROM adoption.feature_usage_events;

-- ON CONFLICT names no conflict target: the key lives on each partition
-- (see src/sql/events.sql), so a target is refused (42P10).
INSERT INTO adoption.feature_usage_events
	(event_id, tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('00000000-0000-0000-0000-000000000001', 'acme', 'alice', 'dashboards', '2026-01-10 09:00+00')
ON CONFLICT (tenant_id, event_id, usage_timestamp) DO NOTHING;
\echo :LAST_ERROR_SQLSTATE
