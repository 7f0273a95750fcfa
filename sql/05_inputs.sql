-- The other input tables: each accepts a good row and rejects bad ones
-- with the column and the value in the message.
\set SHOW_CONTEXT never

-- Good rows.
INSERT INTO adoption.tenants (tenant_id, name, plan, seats_licensed, arr, segment, created_at)
VALUES ('in-acme', 'Acme Inc', 'growth', 25, 30000, 'mid_market', '2025-01-01 00:00+00');
INSERT INTO adoption.features (feature_id, feature_name, tier, launched_at)
VALUES ('in-advanced', 'Advanced analytics', 'advanced', '2025-06-01 00:00+00');
INSERT INTO adoption.features (feature_id, feature_name, tier, upgrade_feature_id)
VALUES ('in-basic', 'Basic analytics', 'core', 'in-advanced');
INSERT INTO adoption.launches (launch_id, feature_id, launched_at, campaign_id)
VALUES ('in-launch', 'in-advanced', '2025-06-01 00:00+00', 'launch-campaign');
INSERT INTO adoption.feedback (tenant_id, feedback_id, user_id, channel, score, body, created_at)
VALUES ('in-acme', 'fb-1', 'alice', 'nps', 10, 'Love the dashboards', '2026-01-05 00:00+00'),
	('in-acme', 'fb-2', 'bob', 'csat', 1, 'Support was slow', '2026-01-05 00:00+00'),
	('in-acme', 'fb-3', NULL, 'review', 5, 'Great product', '2026-01-05 00:00+00'),
	('in-acme', 'fb-4', 'carol', 'interview', NULL, 'Would like SSO', '2026-01-05 00:00+00');
INSERT INTO adoption.feedback (tenant_id, channel, body) VALUES ('in-acme', 'social', 'generated id');
INSERT INTO adoption.support_tickets (tenant_id, ticket_id, opened_at, severity, status, closed_at)
VALUES ('in-acme', 'tk-1', '2026-01-05 00:00+00', 'urgent', 'closed', '2026-01-06 00:00+00'),
	('in-acme', 'tk-2', '2026-01-07 00:00+00', 'low', 'open', NULL);
INSERT INTO adoption.billing_events (tenant_id, event_id, occurred_at, kind, amount)
VALUES ('in-acme', 'bl-1', '2026-01-01 00:00+00', 'payment_succeeded', 2500),
	('in-acme', 'bl-2', '2026-01-02 00:00+00', 'refund', -100);
INSERT INTO adoption.campaign_touches (tenant_id, user_id, campaign_id, channel, touched_at)
VALUES ('in-acme', 'alice', 'spring', 'email', '2026-01-03 00:00+00'),
	('in-acme', NULL, 'spring', 'webinar', '2026-01-03 00:00+00');
SELECT count(*) AS feedback FROM adoption.feedback WHERE tenant_id = 'in-acme';
SELECT count(*) AS tickets FROM adoption.support_tickets WHERE tenant_id = 'in-acme';
SELECT count(*) AS billing FROM adoption.billing_events WHERE tenant_id = 'in-acme';
SELECT touch_id, user_id FROM adoption.campaign_touches WHERE tenant_id = 'in-acme' ORDER BY touch_id;

-- Unknown enum values (23514).
INSERT INTO adoption.feedback (tenant_id, channel) VALUES ('in-acme', 'email');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.feedback (tenant_id, channel) VALUES ('in-acme', 'NPS');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.support_tickets (tenant_id, ticket_id, severity) VALUES ('in-acme', 'tk-3', 'critical');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.billing_events (tenant_id, event_id, kind) VALUES ('in-acme', 'bl-3', 'chargeback');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.features (feature_id, tier) VALUES ('in-x', 'platinum');
\echo :LAST_ERROR_SQLSTATE
UPDATE adoption.features SET tier = 'gold' WHERE feature_id = 'in-basic';
\echo :LAST_ERROR_SQLSTATE

-- Scores outside the channel's range (23514).
INSERT INTO adoption.feedback (tenant_id, channel, score) VALUES ('in-acme', 'nps', 11);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.feedback (tenant_id, channel, score) VALUES ('in-acme', 'nps', -1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.feedback (tenant_id, channel, score) VALUES ('in-acme', 'csat', 0);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.feedback (tenant_id, channel, score) VALUES ('in-acme', 'review', 6);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.feedback (tenant_id, channel, score) VALUES ('in-acme', 'survey', 10);

-- Empty ids (23514).
INSERT INTO adoption.feedback (tenant_id, channel) VALUES ('', 'nps');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel) VALUES ('in-acme', ' ', 'nps');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.support_tickets (tenant_id, ticket_id) VALUES ('in-acme', '');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.billing_events (tenant_id, event_id, kind) VALUES ('in-acme', '', 'refund');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.campaign_touches (tenant_id, campaign_id) VALUES ('in-acme', '');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.tenants (tenant_id) VALUES ('');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.features (feature_id) VALUES ('');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.launches (launch_id, feature_id) VALUES ('', 'in-basic');
\echo :LAST_ERROR_SQLSTATE

-- Other rules.
INSERT INTO adoption.support_tickets (tenant_id, ticket_id, opened_at, closed_at)
VALUES ('in-acme', 'tk-4', '2026-01-05 00:00+00', '2026-01-04 00:00+00');
\echo :LAST_ERROR_SQLSTATE
-- Found by test/fuzz: a NULL ticket_id with closed_at before opened_at crashed the backend.
INSERT INTO adoption.support_tickets (tenant_id, opened_at, closed_at)
VALUES ('in-acme', '2026-01-05 00:00+00', '2026-01-04 00:00+00');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.billing_events (tenant_id, event_id, kind, amount) VALUES ('in-acme', 'bl-4', 'refund', 'NaN');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.billing_events (tenant_id, event_id, kind, amount) VALUES ('in-acme', 'bl-5', 'refund', 'Infinity');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.tenants (tenant_id, seats_licensed) VALUES ('in-neg', -3);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.tenants (tenant_id, arr) VALUES ('in-neg', -0.5);
\echo :LAST_ERROR_SQLSTATE
UPDATE adoption.features SET upgrade_feature_id = 'in-basic' WHERE feature_id = 'in-basic';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.features (feature_id, upgrade_feature_id) VALUES ('in-y', 'no-such-feature');
\echo :LAST_ERROR_SQLSTATE
-- upgrade_feature_id is checked at commit (a feature may name one inserted
-- later in its transaction); deleting the upgrade feature sets it to NULL.
BEGIN;
INSERT INTO adoption.features (feature_id, upgrade_feature_id) VALUES ('in-up-a', 'in-up-b');
INSERT INTO adoption.features (feature_id, tier) VALUES ('in-up-b', 'advanced');
COMMIT;
BEGIN;
UPDATE adoption.features SET upgrade_feature_id = 'in-up-c' WHERE feature_id = 'in-up-a';
COMMIT;
\echo :LAST_ERROR_SQLSTATE
SELECT feature_id, upgrade_feature_id FROM adoption.features WHERE feature_id LIKE 'in-up-%' ORDER BY 1;
DELETE FROM adoption.features WHERE feature_id = 'in-up-b';
SELECT feature_id, upgrade_feature_id FROM adoption.features WHERE feature_id LIKE 'in-up-%' ORDER BY 1;
DELETE FROM adoption.features WHERE feature_id = 'in-up-a';
INSERT INTO adoption.launches (launch_id, feature_id, target_adoption) VALUES ('in-l2', 'in-basic', 0);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.launches (launch_id, feature_id, target_days) VALUES ('in-l3', 'in-basic', 0);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.launches (launch_id, feature_id) VALUES ('in-l4', 'no-such-feature');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.feedback (tenant_id, channel, created_at) VALUES ('in-acme', 'nps', 'infinity');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
INSERT INTO adoption.feedback (tenant_id, channel) VALUES (NULL, 'nps');
\echo :LAST_ERROR_SQLSTATE

-- With triggers bypassed (as on a logical-replication subscriber), the
-- CHECK constraints still hold.
SET session_replication_role = replica;
INSERT INTO adoption.feedback (tenant_id, channel, score) VALUES ('in-acme', 'csat', 9);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO adoption.support_tickets (tenant_id, ticket_id, severity) VALUES ('in-acme', 'tk-9', 'critical');
\echo :LAST_ERROR_SQLSTATE
RESET session_replication_role;
\set VERBOSITY default

-- The trigger functions refuse to be misused.
CREATE TABLE public.misuse (a int);
CREATE TRIGGER misuse BEFORE INSERT ON public.misuse FOR EACH ROW EXECUTE FUNCTION adoption.check_input('nonsense');
INSERT INTO public.misuse VALUES (1);
\echo :LAST_ERROR_SQLSTATE
DROP TRIGGER misuse ON public.misuse;
CREATE TRIGGER misuse AFTER INSERT ON public.misuse FOR EACH ROW EXECUTE FUNCTION adoption.track_events();
INSERT INTO public.misuse VALUES (1);
\echo :LAST_ERROR_SQLSTATE
DROP TABLE public.misuse;
SELECT adoption.track_events();
\echo :LAST_ERROR_SQLSTATE
