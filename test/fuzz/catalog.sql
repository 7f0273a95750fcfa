-- The fuzz targets, read from the catalog so that new functions and columns are
-- covered without editing the fuzzer: every function and aggregate of schema
-- adoption except trigger functions (PostgreSQL refuses to call them directly),
-- one line each: f|kind|name|argname:type;... (unnamed arguments get "argN"),
-- and every column of the input tables a client may write: t|table|col:type;...
SELECT 'f|' || p.prokind::text || '|adoption.' || quote_ident(p.proname) || '|'
	|| coalesce((SELECT string_agg(coalesce(nullif(p.proargnames[i + 1], ''), 'arg' || i) || ':'
			|| format_type(p.proargtypes[i], NULL), ';' ORDER BY i)
		FROM generate_series(0, p.pronargs - 1) AS i), '')
FROM pg_catalog.pg_proc AS p
WHERE p.pronamespace = 'adoption'::regnamespace
	AND p.prorettype <> ALL (ARRAY['trigger'::regtype, 'event_trigger'::regtype])
UNION ALL
SELECT 't|' || c.relname || '|' || string_agg(a.attname || ':' || format_type(a.atttypid, NULL), ';' ORDER BY a.attnum)
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	AND a.attgenerated = '' AND a.attidentity = ''
WHERE c.relnamespace = 'adoption'::regnamespace
	AND c.relname IN ('feature_usage_events', 'feedback', 'support_tickets', 'billing_events',
		'campaign_touches', 'tenants', 'features', 'launches', 'lexicon', 'settings')
GROUP BY c.relname
ORDER BY 1;
