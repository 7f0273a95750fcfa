-- Hostile objects planted in public, which comes first on the search_path,
-- are never called by the ingest trigger, the engine, the queue functions
-- or rebuild: every reference of the extension is schema-qualified (each
-- hostile object raises an error if called).
SET TimeZone = 'UTC';
CREATE FUNCTION public.hijacked_texteq(text, text) RETURNS boolean
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: text = text'; END $$;
CREATE FUNCTION public.hijacked_textne(text, text) RETURNS boolean
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: text <> text'; END $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.hijacked_texteq);
CREATE OPERATOR public.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = public.hijacked_textne);
CREATE FUNCTION public.unnest(text[]) RETURNS SETOF text
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: unnest'; END $$;
CREATE FUNCTION public.now() RETURNS timestamptz
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: now'; END $$;
CREATE FUNCTION public.nextval(regclass) RETURNS bigint
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: nextval'; END $$;
CREATE FUNCTION public.jsonb_build_array(text, text, text) RETURNS jsonb
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: jsonb_build_array'; END $$;
CREATE FUNCTION public.round(numeric, integer) RETURNS numeric
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: round'; END $$;
CREATE FUNCTION public.to_char(timestamptz, text) RETURNS text
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: to_char'; END $$;
SET search_path = public, pg_catalog;
-- The traps work: an unqualified reference falls into them.
\set SHOW_CONTEXT never
SELECT 'a'::text = 'b'::text;
SELECT now();

-- Fresh backend caches: the plans and the cached settings are made now.
TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state, adoption.tenant_state,
	adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
	adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, feature_name, usage_timestamp)
SELECT 'sp', 'u' || (i % 3), 'sp-feature', 'Search path feature ' || (i % 2),
	pg_catalog.now() - i * interval '1 hour'
FROM pg_catalog.generate_series(1, 30) AS i;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('sp', 'u9', 'sp-feature', pg_catalog.now() - interval '1 minute');
SELECT user_id, uses, adopted_at IS NOT NULL AS adopted, habitual_at IS NOT NULL AS habitual
FROM adoption.user_feature_state WHERE tenant_id OPERATOR(pg_catalog.=) 'sp' ORDER BY user_id COLLATE "C";
SELECT feature_name FROM adoption.features WHERE feature_id OPERATOR(pg_catalog.=) 'sp-feature';
SELECT pg_catalog.count(*) AS actions FROM adoption.campaign_actions WHERE tenant_id OPERATOR(pg_catalog.=) 'sp';
SELECT pg_catalog.count(*) AS claimed FROM adoption.claim_actions('sp-worker', 10);
SELECT adoption.rebuild('sp') AS replayed;
SELECT adoption.ensure_partitions(0) >= 0 AS partitions_ok;
INSERT INTO adoption.feedback (tenant_id, channel, score) VALUES ('sp', 'nps', 9);
-- Feedback categorization: the lexicon, the function, the insight trigger and its actions.
INSERT INTO adoption.lexicon (tenant_id, term, category, theme) VALUES ('sp', 'Hijack', 'pain_point', 'security');
SELECT pain_points FROM adoption.categorize_feedback('So slow, and a hijack attempt', NULL, 'sp');
INSERT INTO adoption.feedback (tenant_id, channel, score, body) VALUES
	('sp', 'nps', 10, 'Love it, amazing support!'), ('sp', 'nps', 1, 'So slow, and a hijack attempt');
SELECT template_key, reason OPERATOR(pg_catalog.->>) 'theme' AS theme FROM adoption.campaign_actions
WHERE tenant_id OPERATOR(pg_catalog.=) 'sp'
	AND template_key OPERATOR(pg_catalog.=) ANY ('{case_study,pain_point_followup}'::text[])
ORDER BY 1, 2;
-- Health: rescoring (with its actions), explain, the views and the upkeep job.
-- The cancellation makes sp cancelled; a per-tenant play policy lets its
-- band actions through (the policy itself is tested in 18_plays).
INSERT INTO adoption.tenant_play_policy (tenant_id, account_state, template_key, allowed) VALUES
	('sp', 'cancelled', 'retention_intervention', true), ('sp', 'cancelled', 'escalate_to_cs', true);
INSERT INTO adoption.billing_events (tenant_id, event_id, kind) VALUES ('sp', 'b1', 'cancellation');
INSERT INTO adoption.support_tickets (tenant_id, ticket_id, severity) VALUES ('sp', 'k1', 'urgent'), ('sp', 'k2', 'urgent');
INSERT INTO adoption.feedback (tenant_id, channel, score) VALUES ('sp', 'nps', 0);
SELECT adoption.rescore('sp') AS scored;
SELECT pg_catalog.count(*) AS components FROM adoption.explain_health('sp');
SELECT risk OPERATOR(pg_catalog.<>) 'healthy' AS unhealthy FROM adoption.tenant_health WHERE tenant_id OPERATOR(pg_catalog.=) 'sp';
SELECT pg_catalog.count(*) AS band_actions FROM adoption.campaign_actions
WHERE tenant_id OPERATOR(pg_catalog.=) 'sp'
	AND template_key OPERATOR(pg_catalog.=) ANY ('{retention_intervention,escalate_to_cs}'::text[]);
SELECT pg_catalog.count(*) >= 0 AS ok FROM adoption.expansion_opportunities;
SELECT pg_catalog.count(*) >= 0 AS ok FROM adoption.health_history;
SELECT adoption.upkeep() OPERATOR(pg_catalog.?) 'tenants_rescored' AS upkeep_ok;
-- The roles (through the SECURITY DEFINER triggers and queue functions and the
-- row-level security policies) and the forget functions ignore them too.
SET ROLE adoption_app;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('sp', 'u-app', 'sp-feature', pg_catalog.now() OPERATOR(pg_catalog.-) interval '2 minutes');
INSERT INTO adoption.feedback (tenant_id, user_id, channel, score, body) VALUES ('sp', 'u-app', 'nps', 2, 'So slow');
COPY adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp) FROM stdin;
sp	u-app	sp-feature	2026-01-05 10:00:00+00
\.
COPY adoption.feedback (tenant_id, user_id, channel, score, body) FROM stdin;
sp	u-app	nps	9	Great
\.
SELECT pg_catalog.count(*) AS claimed FROM adoption.claim_actions('sp-app', 1);
RESET ROLE;
SET ROLE adoption_tenant;
SELECT pg_catalog.set_config('adoption.tenant_id', 'sp', false) AS tenant;
SELECT pg_catalog.count(DISTINCT tenant_id) AS tenants_seen FROM adoption.feature_adoption;
RESET ROLE;
SELECT adoption.forget_user('sp', 'u-app') OPERATOR(pg_catalog.->) 'feature_usage_events' AS forgotten_events;
SELECT adoption.forget_tenant('sp') OPERATOR(pg_catalog.->) 'tenants' AS forgotten_tenants;
RESET search_path;
DROP FUNCTION public.to_char(timestamptz, text);
DROP FUNCTION public.round(numeric, integer);
DROP FUNCTION public.jsonb_build_array(text, text, text);
DROP FUNCTION public.nextval(regclass);
DROP FUNCTION public.now();
DROP FUNCTION public.unnest(text[]);
DROP OPERATOR public.<> (text, text);
DROP OPERATOR public.= (text, text);
DROP FUNCTION public.hijacked_textne(text, text);
DROP FUNCTION public.hijacked_texteq(text, text);
