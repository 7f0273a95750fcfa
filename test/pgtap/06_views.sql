-- pgTAP: the BI views of docs/design.md §8 exist, and every view of schema adoption is
-- security_invoker (row-level security applies to the reader) and has a
-- COMMENT on itself and on every column (STYLE: the BI user reads them);
-- feature_adoption and seat utilization divide by the tenant's active users.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION pg_adoption;
SET client_min_messages = warning;

CREATE TEMP TABLE bi_views (name text PRIMARY KEY);
INSERT INTO bi_views VALUES ('feature_adoption'), ('tenant_health'), ('health_history'), ('nps'),
	('feedback_themes'), ('feature_requests'), ('pain_points'), ('expansion_opportunities'),
	('action_queue'), ('launch_performance'), ('campaign_attribution');

CREATE TEMP VIEW adoption_views AS
SELECT c.oid, c.relname, c.reloptions
FROM pg_class AS c
WHERE c.relnamespace = 'adoption'::regnamespace AND c.relkind = 'v';

SELECT plan((SELECT count(*)::integer FROM bi_views) + 3 * (SELECT count(*)::integer FROM adoption_views) + 3);

-- The views docs/design.md §8 names.
SELECT has_view('adoption', b.name, format('BI view adoption.%s exists', b.name))
FROM bi_views AS b ORDER BY b.name;

-- Every view of the schema, whoever wrote it.
SELECT ok(coalesce('security_invoker=true' = ANY (v.reloptions)
		OR 'security_invoker=on' = ANY (v.reloptions), false),
	format('view adoption.%s is security_invoker', v.relname))
FROM adoption_views AS v ORDER BY v.relname;

SELECT ok(coalesce(btrim(obj_description(v.oid, 'pg_class')), '') <> '',
	format('view adoption.%s has a comment', v.relname))
FROM adoption_views AS v ORDER BY v.relname;

SELECT is(
	(SELECT coalesce(array_agg(a.attname::text ORDER BY a.attnum), '{}')
	 FROM pg_attribute AS a
	 WHERE a.attrelid = v.oid AND a.attnum > 0 AND NOT a.attisdropped
		AND coalesce(btrim(col_description(v.oid, a.attnum)), '') = ''),
	'{}'::text[],
	format('every column of view adoption.%s has a comment', v.relname))
FROM adoption_views AS v ORDER BY v.relname;

-- feature_adoption and the seat utilization of expansion_opportunities
-- against their definitions, from the log alone, as of now: the tenant's
-- active users have an event of any feature in (now - 30 days, now]; a
-- feature's active adopters are those of them whose 3rd successful use is
-- <= now.  10 tenants, 120 users, 4 features over 60 days, some events up
-- to 20 hours ahead of now (within max_future_skew): a user seen only then
-- is not active yet.
INSERT INTO adoption.tenants (tenant_id, seats_licensed) SELECT 'v' || i, 2 + i FROM generate_series(0, 9) AS i;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT 'v' || (i % 10), 'u' || (i % 120), 'g' || (i * 7 % 4),
	now() - ((hashint4(i) & 2147483647) % (60 * 24)) * interval '1 hour', i % 7 <> 0
FROM generate_series(1, 3000) AS i;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 'v' || (i % 10), 'w' || (i % 30), 'g' || (i % 4), now() + (1 + i % 20) * interval '1 hour'
FROM generate_series(1, 60) AS i;
CREATE TEMP VIEW act AS
SELECT DISTINCT e.tenant_id, e.user_id FROM adoption.feature_usage_events AS e
WHERE e.tenant_id LIKE 'v%' AND e.usage_timestamp > now() - interval '30 days' AND e.usage_timestamp <= now();
SELECT results_eq(
	$$SELECT tenant_id, feature_id, active_users, active_adopters, feature_active_users
	  FROM adoption.feature_adoption WHERE tenant_id LIKE 'v%' ORDER BY 1, 2$$,
	$$SELECT p.tenant_id, p.feature_id,
		(SELECT count(*) FROM act WHERE act.tenant_id = p.tenant_id),
		(SELECT count(*) FROM act JOIN (
			SELECT k.tenant_id, k.user_id FROM (SELECT e.tenant_id, e.user_id, e.usage_timestamp,
				row_number() OVER (PARTITION BY e.tenant_id, e.user_id ORDER BY e.usage_timestamp) AS n
				FROM adoption.feature_usage_events AS e
				WHERE e.tenant_id = p.tenant_id AND e.feature_id = p.feature_id AND e.success_outcome) AS k
			WHERE k.n = 3 AND k.usage_timestamp <= now()) AS d USING (tenant_id, user_id)),
		(SELECT count(DISTINCT e.user_id) FROM adoption.feature_usage_events AS e
			WHERE e.tenant_id = p.tenant_id AND e.feature_id = p.feature_id
				AND e.usage_timestamp > now() - interval '30 days' AND e.usage_timestamp <= now())
	  FROM (SELECT DISTINCT e.tenant_id, e.feature_id FROM adoption.feature_usage_events AS e
		WHERE e.tenant_id LIKE 'v%') AS p ORDER BY 1, 2$$,
	'feature_adoption counts the tenant''s active users (any feature), its active adopters of the feature and the feature''s own active users');
SELECT is((SELECT count(*) FROM adoption.feature_adoption AS f WHERE f.tenant_id LIKE 'v%'
	AND (f.adoption_rate IS DISTINCT FROM f.active_adopters::float8 / f.active_users
		OR f.success_rate IS DISTINCT FROM (SELECT sum(s.successes)::float8 / sum(s.uses)
			FROM adoption.user_feature_state AS s JOIN act USING (tenant_id, user_id)
			WHERE s.tenant_id = f.tenant_id AND s.feature_id = f.feature_id))),
	0::bigint, 'feature_adoption: adoption_rate = active adopters / the tenant''s active users; success_rate over their uses of the feature');
SELECT results_eq(
	$$SELECT tenant_id, metric FROM adoption.expansion_opportunities
	  WHERE tenant_id LIKE 'v%' AND opportunity = 'seat_utilization' ORDER BY 1$$,
	$$SELECT t.tenant_id, a.n::float8 / t.seats_licensed
	  FROM adoption.tenants AS t JOIN (SELECT act.tenant_id, count(*) AS n FROM act GROUP BY 1) AS a USING (tenant_id)
	  WHERE t.tenant_id LIKE 'v%' AND a.n >= 0.9 * t.seats_licensed ORDER BY 1$$,
	'seat utilization divides the tenant''s active users by its seats');

SELECT * FROM finish();
ROLLBACK;
