-- pgTAP: the BI views of SPEC 8 exist, and every view of schema adoption is
-- security_invoker (row-level security applies to the reader) and has a
-- COMMENT on itself and on every column (STYLE: the BI user reads them).
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

SELECT plan((SELECT count(*)::integer FROM bi_views) + 3 * (SELECT count(*)::integer FROM adoption_views));

-- The views SPEC 8 names.
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

SELECT * FROM finish();
ROLLBACK;
