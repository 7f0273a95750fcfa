-- pgTAP: the roles of docs/design.md §9.  What each of adoption_app, adoption_analyst and
-- adoption_tenant may do on every table, view and function of the schema;
-- nothing for PUBLIC; the SECURITY DEFINER functions pin search_path; the
-- application ingests and works the queue without reading state; a tenant
-- sees only its own rows (none with adoption.tenant_id unset or empty).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION pg_adoption;
SET client_min_messages = warning;
SET TimeZone = 'UTC';

-- Two tenants with rows in every tenant table, loaded by the owner.
INSERT INTO adoption.features (feature_id, feature_name, tier) VALUES ('core1', 'Core one', 'core'), ('adv1', 'Advanced one', 'advanced'),
	('prem1', 'Premium one', 'premium');
UPDATE adoption.features SET upgrade_feature_id = 'prem1' WHERE feature_id = 'core1';
INSERT INTO adoption.tenants (tenant_id, name, seats_licensed, arr) VALUES ('t1', 'One', 2, 1000), ('t2', 'Two', 2, 2000);
INSERT INTO adoption.settings (tenant_id, aha_successes) VALUES ('t1', 2), ('t2', 3);
INSERT INTO adoption.lexicon (tenant_id, term, category, theme) VALUES
	(NULL, 'sluggish', 'pain_point', 'performance'), ('t1', 'flaky sync', 'pain_point', 'integrations'),
	('t2', 'broken export', 'pain_point', 'export');
INSERT INTO adoption.launches (launch_id, feature_id, launched_at, campaign_id) VALUES ('l1', 'adv1', now() - interval '20 days', 'c1');
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, integration_context)
SELECT t, 'u' || (i % 3), CASE WHEN i % 4 = 0 THEN 'adv1' ELSE 'core1' END, now() - i * interval '5 hours',
	jsonb_build_object('campaign_influence', 'c1')
FROM unnest(ARRAY['t1', 't2']) AS t, generate_series(1, 60) AS i;
INSERT INTO adoption.feedback (tenant_id, user_id, channel, score, body) VALUES
	('t1', 'u1', 'nps', 10, 'Love it, amazing support!'), ('t1', 'u2', 'nps', 2, 'Sluggish and the flaky sync loses data'),
	('t2', 'u1', 'nps', 9, 'Great product, saves us hours'), ('t2', 'u2', 'nps', 1, 'So slow, please add dark mode');
-- pain points about core1, whose upgrade prem1 nobody uses: adoption.fix_candidates
INSERT INTO adoption.feedback (tenant_id, user_id, feature_id, channel, body) VALUES
	('t1', 'u2', 'core1', 'support', 'Sluggish reports'), ('t2', 'u2', 'core1', 'support', 'Sluggish reports');
INSERT INTO adoption.support_tickets (tenant_id, ticket_id, severity) VALUES ('t1', 'k1', 'high'), ('t2', 'k1', 'urgent');
INSERT INTO adoption.tenant_play_policy (tenant_id, account_state, template_key, allowed) VALUES
	('t1', 'cancelled', 'escalate_to_cs', true), ('t2', 'at_risk', 'case_study', true);
INSERT INTO adoption.billing_events (tenant_id, event_id, kind) VALUES ('t1', 'b1', 'payment_failed'), ('t2', 'b1', 'refund');
INSERT INTO adoption.campaign_touches (tenant_id, user_id, campaign_id, touched_at) VALUES
	('t1', 'u1', 'c1', now() - interval '12 days'), ('t2', 'u1', 'c1', now() - interval '12 days');
SELECT adoption.rescore();
SELECT adoption.snapshot_adoption();
SELECT adoption.ensure_partitions(1);
-- One finished action per tenant (the archive), the others claimed (the queue).
SELECT adoption.complete_action(a.action_id) FROM adoption.claim_actions('setup', 1000) AS a
WHERE a.action_id IN (SELECT min(q.action_id) FROM adoption.campaign_action_queue AS q GROUP BY q.tenant_id);

-- Expected privileges.
CREATE TEMP TABLE role_names (role name PRIMARY KEY);
INSERT INTO role_names VALUES ('adoption_app'), ('adoption_analyst'), ('adoption_tenant');
CREATE TEMP VIEW relations AS
SELECT c.relname::text AS rel, c.relispartition AS part
FROM pg_class AS c
WHERE c.relnamespace = 'adoption'::regnamespace AND c.relkind IN ('r', 'p', 'v');
CREATE TEMP VIEW expected_table_privs AS
SELECT r.rel, n.role, CASE
		WHEN r.part THEN '{}'::text[]
		WHEN n.role = 'adoption_app' THEN CASE
			WHEN r.rel IN ('feature_usage_events', 'citus_pending') THEN '{INSERT}'
			WHEN r.rel IN ('tenants', 'features', 'launches', 'feedback', 'support_tickets', 'billing_events', 'campaign_touches')
				THEN '{INSERT,SELECT,UPDATE}'
			ELSE '{}' END::text[]
		WHEN n.role = 'adoption_tenant' AND r.rel IN ('rescore_state', 'snapshot_state') THEN '{}'
		WHEN r.rel IN ('citus_pending', 'snapshot_work_target', 'snapshot_work_user_day', 'snapshot_work_active') THEN '{}'
		ELSE '{SELECT}' END AS privs
FROM relations AS r CROSS JOIN role_names AS n;
CREATE TEMP VIEW functions AS
SELECT p.oid, p.proname::text AS fn,
	ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, i) ORDER BY i) AS args
FROM pg_proc AS p
WHERE p.pronamespace = 'adoption'::regnamespace;
CREATE TEMP TABLE app_functions (fn text PRIMARY KEY);
INSERT INTO app_functions VALUES ('claim_actions'), ('complete_action'), ('fail_action'), ('enqueue_action'),
	('api_submit_feedback'), ('api_coordinate_launch'), ('api_trigger_intervention'), ('citus_flush'),
	('truncate_drained_actions');
CREATE TEMP TABLE read_functions (fn text PRIMARY KEY);
INSERT INTO read_functions VALUES ('velocity_at'), ('usage_velocity_transfn'), ('usage_velocity_combinefn'),
	('usage_velocity_finalfn'), ('usage_velocity'), ('categorize_feedback'), ('builtin_lexicon'),
	('health_inputs'), ('health_compute'), ('risk_band'), ('explain_health'), ('tenant_scoped'), ('tenant_launch_performance'), ('period_index'),
	('period_start'), ('active_periods_transfn'), ('active_periods_combinefn'), ('active_periods'),
	('retention_matrix_transfn'), ('retention_matrix_combinefn'), ('retention_matrix'), ('retention_rows'),
	('lifecycle_counts_transfn'), ('lifecycle_counts_combinefn'), ('lifecycle_counts'),
	('stickiness_counts_transfn'), ('stickiness_counts_combinefn'), ('stickiness_counts'),
	('analytics_periods'), ('actor_activity'), ('actor_adoptions'), ('retention'), ('lifecycle'),
	('stickiness'), ('pes'), ('feature_retention'), ('attribution'), ('campaign_lift'),
	('persona_rows'), ('persona_summary'), ('feedback_breakdown'),
	('last_event_up_to'), ('account_states'), ('play_allowed'), ('blocked_plays'), ('period_counts_transfn'),
	('period_counts_combinefn'), ('period_counts'), ('actor_first_seen'), ('lifecycle_rows'), ('stickiness_rows'),
	('api_check_tenant'), ('api_product_analytics'), ('api_customer_health'), ('api_expansion'),
	('feature_recommendations'), ('recommend_features'), ('evaluate_recommendations'),
	('wilson_interval'), ('intervention_effectiveness'),
	('touch_credit'), ('revenue_attribution'), ('attribution_touches'), ('users_active_between'),
	('settings_in_force'), ('tenant_settings'),
	('citus_distributed'), ('citus_on_shard'), ('citus_run'), ('citus_run_at'), ('citus_enter_tenant'), ('citus_leave');
CREATE TEMP VIEW expected_function_privs AS
SELECT f.fn, f.args, n.role, CASE
		WHEN n.role = 'adoption_app' AND f.fn IN (SELECT fn FROM app_functions) THEN '{EXECUTE}'
		WHEN n.role <> 'adoption_app' AND f.fn IN (SELECT fn FROM read_functions) THEN '{EXECUTE}'
		ELSE '{}' END::text[] AS privs
FROM functions AS f CROSS JOIN role_names AS n;

-- Tenant tables: every table with a tenant_id column; the views too.
CREATE TEMP VIEW tenant_relations AS
SELECT c.relname::text AS rel, c.relkind = 'v' AS is_view
FROM pg_class AS c
JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
WHERE c.relnamespace = 'adoption'::regnamespace AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
	-- Citus's internal notes and snapshot_days()'s working tables: nobody but the owner reads them (below)
	AND c.relname NOT IN ('citus_pending', 'snapshot_work_target', 'snapshot_work_user_day', 'snapshot_work_active');
-- Views without tenant_id that only aggregate tenant rows: empty for a reader who sees none.
CREATE TEMP TABLE aggregate_views (rel text PRIMARY KEY);
INSERT INTO aggregate_views VALUES ('action_queue'), ('feature_requests'), ('feedback_themes'), ('pain_points'),
	('campaign_lift_snapshot');

/* Rows of tenant_id <> t visible to adoption_tenant with adoption.tenant_id = t (or its rows if t is NULL). */
CREATE FUNCTION pg_temp.rows_as_tenant(rel text, setting text, foreign_only boolean) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	PERFORM set_config('adoption.tenant_id', coalesce(setting, ''), true);
	SET LOCAL ROLE adoption_tenant;
	IF foreign_only THEN
		EXECUTE format('SELECT count(*) FROM adoption.%I WHERE tenant_id IS DISTINCT FROM %L AND tenant_id IS NOT NULL', rel, setting) INTO n;
	ELSE
		EXECUTE format('SELECT count(*) FROM adoption.%I', rel) INTO n;
	END IF;
	RESET ROLE;
	RETURN n;
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.rows_as_tenant(text, text, boolean) TO PUBLIC;

SELECT plan(
	(SELECT count(*)::integer FROM expected_table_privs)
	+ (SELECT count(*)::integer FROM expected_function_privs)
	+ 6 + 1
	+ 3 * (SELECT count(*)::integer FROM tenant_relations)
	+ (SELECT count(*)::integer FROM aggregate_views)
	+ 34);

-- Roles exist and cannot log in.
SELECT ok(NOT r.rolcanlogin AND r.rolbypassrls = (r.rolname = 'adoption_app') AND NOT r.rolsuper,
	format('role %s exists, is NOLOGIN, not superuser, %s', r.rolname,
		CASE WHEN r.rolname = 'adoption_app' THEN 'BYPASSRLS (for COPY)' ELSE 'subject to row-level security' END))
FROM pg_roles AS r JOIN role_names AS n ON n.role = r.rolname ORDER BY r.rolname;

-- Every relation, every role (partitions: nothing; read them through the parent).
SELECT table_privs_are('adoption', e.rel, e.role, e.privs,
	format('%s on adoption.%s: %s', e.role, e.rel, e.privs))
FROM expected_table_privs AS e ORDER BY e.rel, e.role;

-- Every function, every role.
SELECT function_privs_are('adoption', e.fn, e.args, e.role, e.privs,
	format('%s on adoption.%s(%s): %s', e.role, e.fn, array_to_string(e.args, ', '), e.privs))
FROM expected_function_privs AS e ORDER BY e.fn, e.args::text, e.role;

-- Nothing for PUBLIC.
SELECT is(ARRAY(SELECT f.oid::regprocedure::text FROM functions AS f
		WHERE has_function_privilege('public', f.oid, 'EXECUTE') ORDER BY 1), '{}',
	'PUBLIC may execute no function of the extension');
SELECT is(ARRAY(SELECT r.rel FROM relations AS r
		WHERE has_table_privilege('public', format('adoption.%I', r.rel), 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE') ORDER BY 1), '{}',
	'PUBLIC has no privilege on any table or view of the extension');
SELECT ok(NOT has_schema_privilege('public', 'adoption', 'USAGE'), 'PUBLIC may not use schema adoption');

-- SECURITY DEFINER: exactly these, each with search_path pinned.
SELECT is(ARRAY(SELECT p.proname::text FROM pg_proc AS p
		WHERE p.pronamespace = 'adoption'::regnamespace AND p.prosecdef ORDER BY 1),
	'{api_coordinate_launch,api_submit_feedback,api_trigger_intervention,billing_withdraw_plays,citus_flush,claim_actions,complete_action,enqueue_action,fail_action,feedback_actions,feedback_profiles,forget_tenant,forget_user,track_events,truncate_drained_actions}',
	'SECURITY DEFINER functions: the triggers writing for adoption_app, the queue functions, the forget functions and Citus''s flush');
SELECT is(ARRAY(SELECT p.proname::text FROM pg_proc AS p
		WHERE p.pronamespace = 'adoption'::regnamespace AND p.prosecdef
			AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false) ORDER BY 1), '{}',
	'every SECURITY DEFINER function pins search_path = pg_catalog, pg_temp');
SELECT is(ARRAY(SELECT c.relname::text FROM pg_class AS c
		JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
		WHERE c.relnamespace = 'adoption'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
			AND NOT c.relrowsecurity ORDER BY 1),
	'{citus_pending,snapshot_work_active,snapshot_work_target,snapshot_work_user_day}',
	'row-level security is enabled on every table with a tenant_id but citus_pending and snapshot_days()''s working tables');
SELECT is(ARRAY(SELECT r.rolname::text FROM pg_roles AS r
		WHERE r.rolname IN ('adoption_app', 'adoption_analyst', 'adoption_tenant')
			AND has_table_privilege(r.rolname, 'adoption.citus_pending', 'SELECT, UPDATE, DELETE') ORDER BY 1), '{}',
	'citus_pending (no row-level security) is neither read nor changed by any role: adoption_app only inserts');
SELECT is(ARRAY(SELECT r.rolname::text || ' ' || w.t FROM pg_roles AS r
		CROSS JOIN unnest(ARRAY['snapshot_work_target', 'snapshot_work_user_day', 'snapshot_work_active']) AS w(t)
		WHERE r.rolname IN ('adoption_app', 'adoption_analyst', 'adoption_tenant')
			AND has_table_privilege(r.rolname, 'adoption.' || w.t, 'SELECT, INSERT, UPDATE, DELETE') ORDER BY 1), '{}',
	'snapshot_days()''s working tables (no row-level security) are neither read nor changed by any role');

-- adoption.tenant_id never set in this session: current_setting() is NULL, no row either.
SET LOCAL ROLE adoption_tenant;
SELECT is((SELECT count(*) FROM adoption.tenants) + (SELECT count(*) FROM adoption.feature_usage_events)
	+ (SELECT count(*) FROM adoption.tenant_health), 0::bigint,
	'adoption_tenant with adoption.tenant_id never set sees no tenant, event or health row');
RESET ROLE;

-- Tenant isolation: as adoption_tenant with adoption.tenant_id = 't1', no row of
-- another tenant; t1's own rows are there; unset, no tenant row at all.
SELECT is(pg_temp.rows_as_tenant(r.rel, 't1', true), 0::bigint,
	format('adoption_tenant as t1 sees no row of another tenant in adoption.%s', r.rel))
FROM tenant_relations AS r ORDER BY r.rel;
SELECT cmp_ok(pg_temp.rows_as_tenant(r.rel, 't1', false), '>', 0::bigint,
	format('adoption_tenant as t1 sees its own rows in adoption.%s', r.rel))
FROM tenant_relations AS r ORDER BY r.rel;
SELECT is(pg_temp.rows_as_tenant(r.rel, NULL, true), 0::bigint,
	format('adoption_tenant with adoption.tenant_id unset sees no tenant row in adoption.%s', r.rel))
FROM tenant_relations AS r ORDER BY r.rel;
SELECT is(pg_temp.rows_as_tenant(v.rel, NULL, false), 0::bigint,
	format('adoption_tenant with adoption.tenant_id unset gets nothing from adoption.%s', v.rel))
FROM aggregate_views AS v ORDER BY v.rel;

-- The analytics functions run as the caller, so row-level security applies inside them.
CREATE TEMP TABLE t1_stickiness AS
SELECT * FROM adoption.stickiness('user', NULL, 'week', tenant_id => 't1');
GRANT SELECT ON t1_stickiness TO adoption_tenant;
SELECT set_config('adoption.tenant_id', 't1', true);
SET LOCAL ROLE adoption_tenant;
SELECT results_eq($$SELECT * FROM adoption.stickiness('user', NULL, 'week') ORDER BY 1$$,
	$$SELECT * FROM t1_stickiness ORDER BY 1$$,
	'adoption_tenant as t1 gets from stickiness() over all tenants what the owner gets for t1 alone');
RESET ROLE;

-- The feedback lexicon: a tenant gets its own terms, not another tenant's, whoever
-- filled the backend's lexicon cache; and a cache filled by a tenant role still
-- holds every tenant's terms for the triggers.
SELECT ok('export' = ANY ((adoption.categorize_feedback('A broken export again', NULL, 't2')).pain_points),
	'the owner gets t2''s term "broken export" (the cache is now filled by the owner)');
SELECT set_config('adoption.tenant_id', 't1', true);
SET LOCAL ROLE adoption_tenant;
SELECT is((adoption.categorize_feedback('The flaky sync again', NULL, 't1')).pain_points, '{integrations}',
	'adoption_tenant as t1 gets its own term "flaky sync"');
SELECT ok(NOT coalesce('export' = ANY ((adoption.categorize_feedback('A broken export again', NULL, 't2')).pain_points), false),
	'adoption_tenant as t1 does not get t2''s term "broken export" from the cache the owner filled');
RESET ROLE;
INSERT INTO adoption.lexicon (tenant_id, term, category, theme) VALUES (NULL, 'glacial', 'pain_point', 'performance');
SET LOCAL ROLE adoption_tenant;
SELECT is((adoption.categorize_feedback('Glacial and a flaky sync', NULL, 't1')).pain_points, '{integrations,performance}',
	'adoption_tenant as t1 fills the cache again after a lexicon change');
RESET ROLE;
SELECT ok('export' = ANY ((adoption.categorize_feedback('A broken export again', NULL, 't2')).pain_points),
	'the cache a tenant role filled still holds t2''s term for the owner and the triggers');

-- adoption_app: ingests (the trigger's state writes and actions happen), upserts
-- inputs, works the queue; reads no state, deletes nothing, runs no engine function.
-- A lexicon change first, so that adoption_app's feedback insert reloads the
-- lexicon cache (as the lexicon's owner: adoption_app may not read it).
INSERT INTO adoption.lexicon (tenant_id, term, category, theme) VALUES (NULL, 'molasses', 'pain_point', 'performance');
SET LOCAL ROLE adoption_app;
SELECT lives_ok($$INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp)
	SELECT md5('app' || i)::uuid, 't3', 'a', 'core1', now() - i * interval '1 hour' FROM generate_series(1, 5) AS i
	ON CONFLICT DO NOTHING$$, 'adoption_app inserts events of a new tenant');
SELECT lives_ok($$INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp)
	SELECT md5('app' || i)::uuid, 't3', 'a', 'core1', now() - i * interval '1 hour' FROM generate_series(1, 5) AS i
	ON CONFLICT DO NOTHING$$, 'adoption_app resends them with ON CONFLICT DO NOTHING');
SELECT lives_ok($$INSERT INTO adoption.feedback (tenant_id, user_id, channel, score, body)
	VALUES ('t3', 'a', 'nps', 3, 'Sluggish reports')$$, 'adoption_app inserts feedback (the insight trigger reads the lexicon)');
SELECT lives_ok($$INSERT INTO adoption.tenants (tenant_id, name, seats_licensed) VALUES ('t3', 'Three', 5)
	ON CONFLICT (tenant_id) DO UPDATE SET name = excluded.name, seats_licensed = excluded.seats_licensed$$,
	'adoption_app upserts a tenant');
SELECT throws_ok('SELECT * FROM adoption.health_scores', '42501', NULL, 'adoption_app may not read health_scores');
SELECT throws_ok('SELECT * FROM adoption.user_feature_state', '42501', NULL, 'adoption_app may not read user_feature_state');
SELECT throws_ok('SELECT * FROM adoption.feature_usage_events', '42501', NULL, 'adoption_app may not read the event log');
SELECT throws_ok($$DELETE FROM adoption.feature_usage_events WHERE tenant_id = 't3'$$, '42501', NULL, 'adoption_app may not delete events');
SELECT throws_ok($$DELETE FROM adoption.tenants WHERE tenant_id = 't3'$$, '42501', NULL, 'adoption_app may not delete tenants');
SELECT throws_ok($$UPDATE adoption.settings SET aha_successes = 1$$, '42501', NULL, 'adoption_app may not change settings');
SELECT throws_ok('SELECT adoption.rescore()', '42501', NULL, 'adoption_app may not run rescore()');
SELECT throws_ok($$SELECT adoption.forget_user('t1', 'u1')$$, '42501', NULL, 'adoption_app may not run forget_user()');
SELECT is((SELECT count(*) FROM (
		SELECT CASE WHEN a.template_key = 'pain_point_followup'
			THEN adoption.fail_action(a.action_id, 'smtp timeout', 'app-worker')
			ELSE adoption.complete_action(a.action_id, 'app-worker')::text END
		FROM adoption.claim_actions('app-worker', 1000) AS a) AS x), 3::bigint,
	'adoption_app claims the 3 actions of its rows, completes two and fails one');
RESET ROLE;
SELECT is((SELECT row(s.uses, s.successes, s.adopted_at IS NOT NULL, s.habitual_at IS NOT NULL)::text
		FROM adoption.user_feature_state AS s WHERE s.tenant_id = 't3'), '(5,5,t,t)',
	'the ingest trigger, run for adoption_app, kept the state of the 5 events (counted once)');
SELECT is(ARRAY(SELECT a.template_key || ':' || a.status FROM adoption.campaign_actions AS a
		WHERE a.tenant_id = 't3' ORDER BY 1), '{adoption_success:done,adoption_success:done,pain_point_followup:pending}',
	'the milestones and the feedback of adoption_app''s rows enqueued actions, which it worked');
SELECT is((SELECT t.name FROM adoption.tenants AS t WHERE t.tenant_id = 't3'), 'Three', 'the upsert updated the registered tenant');

-- adoption_analyst reads and explains, writes nothing, does not work the queue.
SET LOCAL ROLE adoption_analyst;
SELECT lives_ok($$SELECT * FROM adoption.explain_health('t1')$$, 'adoption_analyst runs explain_health()');
SELECT is((SELECT count(DISTINCT tenant_id) FROM adoption.feature_usage_events), 3::bigint, 'adoption_analyst reads every tenant''s events');
SELECT throws_ok($$INSERT INTO adoption.feedback (tenant_id, channel, score) VALUES ('t1', 'nps', 5)$$, '42501', NULL,
	'adoption_analyst may not insert feedback');
SELECT throws_ok($$SELECT * FROM adoption.claim_actions('analyst')$$, '42501', NULL, 'adoption_analyst may not claim actions');
RESET ROLE;

-- adoption_tenant: no direct partition access, no writes.
SET LOCAL ROLE adoption_tenant;
SELECT throws_ok('SELECT * FROM adoption.feature_usage_events_default', '42501', NULL,
	'adoption_tenant may not read the default partition directly');
SELECT throws_ok(format('SELECT * FROM adoption.feature_usage_events_p%s', to_char(now(), 'YYYYMM')), '42501', NULL,
	'adoption_tenant may not read a partition made by ensure_partitions() directly');
SELECT throws_ok($$INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id) VALUES ('t1', 'x', 'core1')$$,
	'42501', NULL, 'adoption_tenant may not insert events');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
