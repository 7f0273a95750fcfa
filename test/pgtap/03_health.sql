-- pgTAP: health on a generated data set (properties that must hold for
-- every tenant), retention, and the errors of the health functions.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION pg_adoption;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SELECT plan(20);

-- 60 tenants, 200 users, 6 features over 120 days; tickets, billing, NPS.
INSERT INTO adoption.features (feature_id, tier) VALUES ('f0', 'core'), ('f1', 'core'), ('f2', 'core'),
	('f3', 'advanced'), ('f4', 'premium'), ('f5', 'core');
INSERT INTO adoption.tenants (tenant_id, seats_licensed) SELECT 'h' || i, 5 + i % 20 FROM generate_series(0, 59) AS i;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT 'h' || (i % 60), 'u' || (i % 200), 'f' || (i * 7 % 6),
	now() - ((i * 7919) % (120 * 24)) * interval '1 hour', i % 9 <> 0
FROM generate_series(1, 20000) AS i;
INSERT INTO adoption.support_tickets (tenant_id, ticket_id, opened_at, severity)
SELECT 'h' || (i % 60), 'k' || i, now() - (i % 45) * interval '1 day',
	(ARRAY['low', 'medium', 'high', 'urgent'])[1 + i % 4]
FROM generate_series(1, 90) AS i;
INSERT INTO adoption.billing_events (tenant_id, event_id, occurred_at, kind)
SELECT 'h' || (i % 60), 'b' || i, now() - (i % 100) * interval '1 day',
	(ARRAY['payment_succeeded', 'payment_failed', 'invoice_overdue', 'downgrade', 'upgrade', 'refund', 'cancellation'])[1 + i % 7]
FROM generate_series(1, 70) AS i;
INSERT INTO adoption.feedback (tenant_id, channel, score, created_at)
SELECT 'h' || (i % 60), 'nps', i % 11, now() - (i % 120) * interval '1 day'
FROM generate_series(1, 200) AS i;

SELECT is(adoption.rescore(NULL, now() - interval '10 days'), 60, 'a backfill as of 10 days ago scores every tenant with events');
SELECT is(adoption.rescore(), 60, 'the first current run scores every tenant');

SELECT is((SELECT count(*) FROM adoption.health_scores WHERE score < 0 OR score > 100), 0::bigint,
	'every score is within 0-100');
SELECT is((SELECT count(*) FROM adoption.health_scores AS h
	JOIN adoption.effective_settings AS e USING (tenant_id)
	WHERE h.risk <> adoption.risk_band(h.score, e.health_healthy_min, e.health_at_risk_min)), 0::bigint,
	'every risk is the band of its score');
SELECT is((SELECT count(*) FROM adoption.health_scores AS h
	WHERE abs(h.score - (SELECT sum(x.contribution) FROM adoption.explain_health(h.tenant_id, h.scored_at) AS x)) > 1e-9),
	0::bigint, 'for every score, explain_health contributions sum to it');
SELECT is((SELECT count(*) FROM adoption.health_scores AS h
	WHERE h.components <> (SELECT jsonb_object_agg(x.component, x.score) FROM adoption.explain_health(h.tenant_id, h.scored_at) AS x
		WHERE x.score IS NOT NULL)), 0::bigint, 'explain_health reports the stored components');
SELECT is((SELECT count(*) FROM adoption.health_scores AS h
	WHERE h.scored_at = now() AND h.delta IS DISTINCT FROM h.score - (SELECT p.score FROM adoption.health_scores AS p
		WHERE p.tenant_id = h.tenant_id AND p.scored_at < h.scored_at ORDER BY p.scored_at DESC LIMIT 1)),
	0::bigint, 'delta is the change from the previous score');

-- As of a past time, later data does not count: a backfill repeated after
-- more data arrives (all of it later than the as_of) gives the same scores.
CREATE TEMP TABLE before AS
SELECT tenant_id, score, components FROM adoption.health_scores WHERE scored_at = now() - interval '10 days';
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 'h' || (i % 60), 'late' || i, 'f0', now() - (i % 9) * interval '1 day' FROM generate_series(1, 500) AS i;
INSERT INTO adoption.support_tickets (tenant_id, ticket_id, opened_at, severity)
SELECT 'h' || i, 'late' || i, now() - interval '2 days', 'urgent' FROM generate_series(0, 59) AS i;
INSERT INTO adoption.feedback (tenant_id, channel, score, created_at)
SELECT 'h' || i, 'nps', 0, now() - interval '1 day' FROM generate_series(0, 59) AS i;
SELECT adoption.rescore(NULL, now() - interval '10 days');
SELECT is((SELECT count(*) FROM before AS b JOIN adoption.health_scores AS h USING (tenant_id)
	WHERE h.scored_at = now() - interval '10 days' AND (h.score <> b.score OR h.components <> b.components)),
	0::bigint, 'rescoring as of a past time again, after later data arrived, gives the same scores');
SELECT is((SELECT count(*) FROM before), 60::bigint, 'the backfill compared holds the 60 tenants');

-- The adoption inputs against their definition, from the log alone: the
-- tenant's active users at as_of (an event of any feature in (as_of -
-- active_window, as_of]) and, per core feature, those of them whose
-- aha_successes-th successful use is <= as_of.  As of 10 days ago the
-- 'late' users and the last 9 days of uses are after as_of.
CREATE FUNCTION pg_temp.adoption_baseline(as_of timestamptz)
RETURNS TABLE (tenant_id text, active_users bigint, core_feature_ids text[], core_adopters bigint[])
LANGUAGE sql AS $$
	WITH act AS (
		SELECT DISTINCT e.tenant_id, e.user_id
		FROM adoption.feature_usage_events AS e JOIN adoption.effective_settings AS s USING (tenant_id)
		WHERE e.usage_timestamp > as_of - s.active_window AND e.usage_timestamp <= as_of
	), kth AS (
		SELECT e.tenant_id, e.feature_id, e.user_id, e.usage_timestamp,
			row_number() OVER (PARTITION BY e.tenant_id, e.feature_id, e.user_id ORDER BY e.usage_timestamp) AS n
		FROM adoption.feature_usage_events AS e WHERE e.success_outcome
	), adopted AS (
		SELECT k.tenant_id, k.feature_id, k.user_id
		FROM kth AS k JOIN adoption.effective_settings AS s USING (tenant_id)
		WHERE k.n = s.aha_successes AND k.usage_timestamp <= as_of
	), core AS (
		SELECT f.feature_id FROM adoption.features AS f
		WHERE f.tier = 'core' AND (f.launched_at IS NULL OR f.launched_at <= as_of)
	)
	SELECT t.tenant_id, (SELECT count(*) FROM act WHERE act.tenant_id = t.tenant_id),
		array_agg(core.feature_id ORDER BY core.feature_id),
		array_agg((SELECT count(*) FROM act JOIN adopted AS d USING (tenant_id, user_id)
			WHERE act.tenant_id = t.tenant_id AND d.feature_id = core.feature_id) ORDER BY core.feature_id)
	FROM adoption.tenants AS t CROSS JOIN core
	WHERE t.tenant_id LIKE 'h%'
	GROUP BY t.tenant_id
$$;
SELECT results_eq(
	$$SELECT i.tenant_id, i.active_users, i.core_feature_ids, i.core_adopters,
		i.core_active = array_fill(i.active_users, ARRAY[i.core_features])
	  FROM adoption.health_inputs((SELECT array_agg(t.tenant_id) FROM adoption.tenants AS t WHERE t.tenant_id LIKE 'h%'),
		now() - interval '10 days') AS i ORDER BY 1$$,
	$$SELECT b.*, true FROM pg_temp.adoption_baseline(now() - interval '10 days') AS b ORDER BY 1$$,
	'as of 10 days ago, active users are the tenant''s users with an event of any feature in the window, adopters of each core feature are counted among them, and every core feature divides by all of them');
SELECT results_eq(
	$$SELECT i.tenant_id, i.active_users, i.core_feature_ids, i.core_adopters,
		i.core_active = array_fill(i.active_users, ARRAY[i.core_features])
	  FROM adoption.health_inputs((SELECT array_agg(t.tenant_id) FROM adoption.tenants AS t WHERE t.tenant_id LIKE 'h%'))
		AS i ORDER BY 1$$,
	$$SELECT b.*, true FROM pg_temp.adoption_baseline(now()) AS b ORDER BY 1$$,
	'as of now, the same definition holds');
SELECT is((SELECT count(*) FROM adoption.health_scores AS h
	JOIN pg_temp.adoption_baseline(now() - interval '10 days') AS b USING (tenant_id)
	WHERE h.scored_at = now() - interval '10 days'
		AND abs((h.components ->> 'adoption')::float8 - 100 * (SELECT avg(least(1, CASE WHEN b.active_users > 0
			THEN a.n::float8 / b.active_users ELSE 0 END / 0.7)) FROM unnest(b.core_adopters) AS a(n))) > 1e-9),
	0::bigint, 'the adoption component is 100 x the mean over core features of min(1, (adopters / the tenant''s active users) / 0.7)');

-- Retention: months entirely older than event_retention are dropped, the
-- longest retention configured (defaults or any tenant) wins.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('old', 'u', 'f0', date_trunc('month', now()) - interval '24 months'),
	('old', 'u', 'f0', date_trunc('month', now()) - interval '23 months'),
	('old', 'u', 'f0', '2001-01-01 00:00+00');
SELECT adoption.ensure_partitions(0);
SELECT is(adoption.apply_retention(), 0, 'without event_retention nothing is dropped');
UPDATE adoption.settings SET event_retention = '1 year' WHERE tenant_id IS NULL;
INSERT INTO adoption.settings (tenant_id, event_retention) VALUES ('h1', '3 years');
SELECT is(adoption.apply_retention(), 0, 'a tenant keeping 3 years keeps the partitions');
DELETE FROM adoption.settings WHERE tenant_id = 'h1';
SELECT is(adoption.apply_retention(), 2, 'with a year of retention the two old months are dropped');
SELECT is((SELECT count(*) FROM adoption.feature_usage_events WHERE tenant_id = 'old'), 0::bigint,
	'their events are gone, and so is the 2001 event of the default partition');
SELECT is((SELECT count(*) FROM adoption.feature_usage_events WHERE usage_timestamp > now() - interval '11 months'), 20500::bigint,
	'recent events are kept');

-- Errors.
SELECT throws_ok($$SELECT adoption.rescore('h1', now() + interval '1 day')$$, '22023', NULL, 'as_of in the future is refused');
SELECT throws_ok($$SELECT adoption.rescore('nobody')$$, '22023', 'unknown tenant "nobody"', 'an unknown tenant is refused');
SELECT throws_ok($$SELECT adoption.schedule_rescoring()$$, '55000', NULL, 'without pg_cron in this database scheduling explains why');

SELECT * FROM finish();
ROLLBACK;
