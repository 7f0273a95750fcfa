/*
 * security.sql: roles, privileges and row-level security.  Last in the
 * install script, so that it covers every object the other files created.
 *
 *   adoption_app      writes the input tables and works the campaign queue
 *                     through its functions; reads nothing it did not write
 *                     (the input tables, for ON CONFLICT DO UPDATE) and
 *                     deletes nothing.
 *   adoption_analyst  reads every table and view and runs the read-only
 *                     functions (analytics, attribution, explain_health...).
 *   adoption_tenant   reads the same, but row-level security shows it only
 *                     the rows of tenant current_setting('adoption.tenant_id');
 *                     with the setting unset or empty it sees no tenant row.
 *
 * adoption_app is BYPASSRLS: COPY FROM refuses a table with row-level security
 * for a role subject to it, even when every policy lets the row in, and
 * COPY is the bulk-load route.  It sees every row of what it may read
 * anyway (policy all_rows); the attribute is not inherited, so a loader
 * runs SET ROLE adoption_app before COPY (INSERT works without).
 *
 * The roles are NOLOGIN: grant them to the login roles of the application,
 * the BI tool and the tenant-facing service.  Everything else (settings,
 * lexicon, rebuild, rescore, upkeep, partitions, scheduling, forgetting)
 * stays with the extension's owner, who may GRANT it further.
 *
 * Writes the application causes in tables it may not write (adoption state,
 * the queue, registration of unseen tenants and features) are made by
 * SECURITY DEFINER functions owned by the extension's owner (a superuser, so
 * row-level security does not filter them): the ingest trigger, the
 * feedback actions trigger and the queue functions.  Each pins search_path.
 */

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'adoption_app') THEN
		CREATE ROLE adoption_app NOLOGIN BYPASSRLS;
		COMMENT ON ROLE adoption_app IS 'pg_adoption: writes input tables (events, feedback, tickets, billing, touches, tenants, features, launches) and works the campaign queue';
	ELSIF NOT (SELECT r.rolbypassrls FROM pg_catalog.pg_roles AS r WHERE r.rolname OPERATOR(pg_catalog.=) 'adoption_app') THEN
		/* Made by an earlier version or by hand: COPY needs the attribute. */
		ALTER ROLE adoption_app BYPASSRLS;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'adoption_analyst') THEN
		CREATE ROLE adoption_analyst NOLOGIN;
		COMMENT ON ROLE adoption_analyst IS 'pg_adoption: reads every table and view, runs the read-only functions';
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'adoption_tenant') THEN
		CREATE ROLE adoption_tenant NOLOGIN;
		COMMENT ON ROLE adoption_tenant IS 'pg_adoption: reads the rows of the tenant named by the setting adoption.tenant_id (row-level security)';
	END IF;
END
$$;

/* Nothing for PUBLIC; explicit grants below. */
REVOKE ALL ON SCHEMA adoption FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA adoption FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA adoption FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA adoption FROM PUBLIC;
GRANT USAGE ON SCHEMA adoption TO adoption_app, adoption_analyst, adoption_tenant;

/*
 * Writes that happen on behalf of the application run as the owner.  The
 * ingest trigger and the feedback actions trigger are C functions: a
 * SECURITY DEFINER trigger runs its queries (through SPI) as the function's
 * owner.  The feedback insight trigger (BEFORE ROW) needs no such rights:
 * it reads the lexicon through a cache that is loaded as the lexicon's
 * owner (feedback.c), and stays SECURITY INVOKER, without a per-row switch.
 */
ALTER FUNCTION adoption.track_events() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION adoption.feedback_actions() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION adoption.feedback_profiles() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION adoption.billing_withdraw_plays() SECURITY DEFINER;
ALTER FUNCTION adoption.api_submit_feedback(jsonb) SECURITY DEFINER;
ALTER FUNCTION adoption.api_coordinate_launch(jsonb) SECURITY DEFINER;
ALTER FUNCTION adoption.api_trigger_intervention(jsonb) SECURITY DEFINER;
ALTER FUNCTION adoption.claim_actions(text, integer, interval) SECURITY DEFINER;
ALTER FUNCTION adoption.complete_action(bigint, text) SECURITY DEFINER;
ALTER FUNCTION adoption.fail_action(bigint, text, text) SECURITY DEFINER;
ALTER FUNCTION adoption.enqueue_action(text, text, text, jsonb, text, text, timestamptz) SECURITY DEFINER;

/* adoption_app: the input tables (SELECT and UPDATE for ON CONFLICT DO UPDATE and corrections). */
GRANT INSERT ON adoption.feature_usage_events TO adoption_app;
GRANT USAGE ON SEQUENCE adoption.feature_usage_events_arrival_seq TO adoption_app;
GRANT SELECT, INSERT, UPDATE ON adoption.tenants, adoption.features, adoption.launches,
	adoption.feedback, adoption.support_tickets, adoption.billing_events, adoption.campaign_touches
	TO adoption_app;
GRANT EXECUTE ON FUNCTION adoption.claim_actions(text, integer, interval),
	adoption.complete_action(bigint, text),
	adoption.fail_action(bigint, text, text),
	adoption.enqueue_action(text, text, text, jsonb, text, text, timestamptz),
	adoption.api_submit_feedback(jsonb),
	adoption.api_coordinate_launch(jsonb),
	adoption.api_trigger_intervention(jsonb)
	TO adoption_app;

/*
 * adoption_analyst and adoption_tenant: every table and view except the
 * event log's partitions (read them through the parent, where row-level
 * security applies) and the rescoring watermark; the read-only functions.
 */
GRANT SELECT ON ALL TABLES IN SCHEMA adoption TO adoption_analyst, adoption_tenant;
REVOKE SELECT ON adoption.feature_usage_events_default, adoption.rescore_state, adoption.snapshot_state
	FROM adoption_analyst, adoption_tenant;
GRANT SELECT ON adoption.rescore_state, adoption.snapshot_state TO adoption_analyst;
/* The slots of the action queue's ring: read the queue, where row-level security applies. */
DO $$
BEGIN
	FOR s IN 0..adoption.action_ring_slots() OPERATOR(pg_catalog.-) 1 LOOP
		EXECUTE pg_catalog.format('REVOKE SELECT ON adoption.%I FROM adoption_analyst, adoption_tenant',
			'campaign_action_queue_' OPERATOR(pg_catalog.||) s);
	END LOOP;
END
$$;
/* Citus: the ingest trigger notes for the coordinator as the inserting role; nobody reads it. */
REVOKE SELECT ON adoption.citus_pending FROM adoption_analyst, adoption_tenant;
/* The working tables of snapshot_days() (bi.sql): nobody reads them. */
REVOKE SELECT ON adoption.snapshot_work_target, adoption.snapshot_work_user_day, adoption.snapshot_work_active
	FROM adoption_analyst, adoption_tenant;
GRANT INSERT ON adoption.citus_pending TO adoption_app;
GRANT EXECUTE ON FUNCTION adoption.citus_flush() TO adoption_app;
/* A worker may truncate the queue's drained slots between batches (actions.sql). */
GRANT EXECUTE ON FUNCTION adoption.truncate_drained_actions() TO adoption_app;
/*
 * Citus: the read functions that run per shard group (explain_health())
 * call these as the reader; citus_run() runs its query with the caller's
 * rights (docs/citus.md).
 */
GRANT EXECUTE ON FUNCTION adoption.citus_distributed(), adoption.citus_on_shard(),
	adoption.citus_run(text, text), adoption.citus_run_at(text[], text),
	adoption.citus_enter_tenant(text), adoption.citus_leave()
	TO adoption_analyst, adoption_tenant;
GRANT EXECUTE ON FUNCTION
	adoption.settings_in_force(text, adoption.settings, adoption.settings),
	adoption.tenant_settings(text),
	adoption.velocity_at(double precision, timestamptz, timestamptz),
	adoption.usage_velocity_transfn(double precision[], timestamptz, timestamptz),
	adoption.usage_velocity_combinefn(double precision[], double precision[]),
	adoption.usage_velocity_finalfn(double precision[]),
	adoption.usage_velocity(timestamptz, timestamptz),
	adoption.categorize_feedback(text, integer, text),
	adoption.builtin_lexicon(),
	adoption.persona_rows(boolean),
	adoption.persona_summary(boolean),
	adoption.feedback_breakdown(boolean),
	adoption.health_inputs(text[], timestamptz),
	adoption.health_compute(bigint, bigint, boolean, integer, bigint[], bigint[], double precision, bigint,
		bigint[], bigint[], bigint, bigint, bigint, double precision[]),
	adoption.risk_band(double precision, double precision, double precision),
	adoption.explain_health(text, timestamptz),
	adoption.tenant_scoped(),
	adoption.tenant_launch_performance(),
	adoption.period_index(timestamptz, date, text),
	adoption.period_start(date, text, integer),
	adoption.active_periods_transfn(varbit, timestamptz, date, text, integer),
	adoption.active_periods_combinefn(varbit, varbit),
	adoption.active_periods(timestamptz, date, text, integer),
	adoption.retention_matrix_transfn(bigint[], varbit, boolean),
	adoption.retention_matrix_combinefn(bigint[], bigint[]),
	adoption.retention_matrix(varbit, boolean),
	adoption.retention_rows(bigint[]),
	adoption.lifecycle_counts_transfn(bigint[], varbit, integer),
	adoption.lifecycle_counts_combinefn(bigint[], bigint[]),
	adoption.lifecycle_counts(varbit, integer),
	adoption.stickiness_counts_transfn(bigint[], varbit, integer, date, text),
	adoption.stickiness_counts_combinefn(bigint[], bigint[]),
	adoption.stickiness_counts(varbit, integer, date, text),
	adoption.period_counts_transfn(bigint[], varbit, integer),
	adoption.period_counts_combinefn(bigint[], bigint[]),
	adoption.period_counts(varbit, integer),
	adoption.actor_first_seen(text, text, text),
	adoption.lifecycle_rows(bigint[], date, text, integer),
	adoption.stickiness_rows(bigint[], date, text, integer),
	adoption.api_check_tenant(text),
	adoption.api_product_analytics(text),
	adoption.api_customer_health(text),
	adoption.api_expansion(text),
	adoption.feature_recommendations(text[], integer, timestamptz),
	adoption.recommend_features(text, integer),
	adoption.evaluate_recommendations(integer),
	adoption.wilson_interval(bigint, bigint, double precision),
	adoption.intervention_effectiveness(interval, timestamptz),
	adoption.touch_credit(text, bigint, bigint, double precision, double precision),
	adoption.revenue_attribution(text, interval),
	adoption.analytics_periods(text, text, date, date),
	adoption.actor_activity(text, text, text, date, text, integer),
	adoption.actor_adoptions(text, text, text),
	adoption.retention(text, text, text, date, date, text, text),
	adoption.lifecycle(text, text, text, date, date, text),
	adoption.stickiness(text, text, text, date, date, text),
	adoption.pes(text, text, text, date, date, text),
	adoption.feature_retention(text, text, text, date, date, text, integer),
	adoption.attribution(text, interval),
	adoption.attribution_touches(interval),
	adoption.users_active_between(timestamptz, timestamptz),
	adoption.campaign_lift(interval),
	adoption.last_event_up_to(text, timestamptz),
	adoption.account_states(text[], timestamptz),
	adoption.play_allowed(text, text, text),
	adoption.blocked_plays(text[], text[], timestamptz)
	TO adoption_analyst, adoption_tenant;

/*
 * The across-tenant totals of the daily snapshots: every row for
 * adoption_app and adoption_analyst, none for adoption_tenant (the
 * across-tenant views sum its own snapshots for it instead, bi.sql).
 */
ALTER TABLE adoption.daily_totals ENABLE ROW LEVEL SECURITY;
ALTER TABLE adoption.daily_feature_totals ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON adoption.daily_totals TO adoption_app, adoption_analyst USING (true) WITH CHECK (true);
CREATE POLICY all_rows ON adoption.daily_feature_totals TO adoption_app, adoption_analyst USING (true) WITH CHECK (true);
COMMENT ON POLICY all_rows ON adoption.daily_totals IS 'adoption_app and adoption_analyst see every row; adoption_tenant none (sums over every tenant)';
COMMENT ON POLICY all_rows ON adoption.daily_feature_totals IS 'adoption_app and adoption_analyst see every row; adoption_tenant none (sums over every tenant)';
/* Likewise the campaign lift and launch snapshots (figures over every tenant, bi.sql). */
ALTER TABLE adoption.lift_snapshots ENABLE ROW LEVEL SECURITY;
ALTER TABLE adoption.launch_snapshots ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON adoption.lift_snapshots TO adoption_app, adoption_analyst USING (true) WITH CHECK (true);
CREATE POLICY all_rows ON adoption.launch_snapshots TO adoption_app, adoption_analyst USING (true) WITH CHECK (true);
COMMENT ON POLICY all_rows ON adoption.lift_snapshots IS 'adoption_app and adoption_analyst see every row; adoption_tenant none (figures over every tenant)';
COMMENT ON POLICY all_rows ON adoption.launch_snapshots IS 'adoption_app and adoption_analyst see every row; adoption_tenant none (figures over every tenant)';

/*
 * Row-level security on every table that holds tenant rows.  The owner
 * (and superusers) bypass it, so the extension's own functions see all.
 * adoption_app and adoption_analyst see every row; adoption_tenant sees the
 * rows of the tenant named by adoption.tenant_id (unset or '': none), and
 * in settings and lexicon also the product-wide rows (tenant_id NULL).
 */
DO $$
DECLARE
	tbl text;
BEGIN
	FOREACH tbl IN ARRAY ARRAY['feature_usage_events', 'tenants', 'feedback', 'support_tickets',
		'billing_events', 'campaign_touches', 'user_feature_state', 'tenant_user_state', 'tenant_state',
		'tenant_feature_counts', 'tenant_feature_milestones',
		'campaign_action_queue', 'campaign_action_archive', 'campaign_action_keys',
		'campaign_followups', 'health_scores', 'daily_tenant_snapshots', 'daily_feature_snapshots', 'attribution_snapshots',
		'settings', 'lexicon', 'feedback_profile', 'tenant_play_policy'] LOOP
		EXECUTE pg_catalog.format('ALTER TABLE adoption.%I ENABLE ROW LEVEL SECURITY', tbl);
		EXECUTE pg_catalog.format('CREATE POLICY all_rows ON adoption.%I TO adoption_app, adoption_analyst USING (true) WITH CHECK (true)', tbl);
		IF tbl OPERATOR(pg_catalog.=) ANY (ARRAY['settings', 'lexicon']) THEN
			EXECUTE pg_catalog.format('CREATE POLICY own_tenant ON adoption.%I FOR SELECT TO adoption_tenant USING (tenant_id IS NULL OR tenant_id OPERATOR(pg_catalog.=) NULLIF(pg_catalog.current_setting(''adoption.tenant_id'', true), ''''))', tbl);
		ELSE
			EXECUTE pg_catalog.format('CREATE POLICY own_tenant ON adoption.%I FOR SELECT TO adoption_tenant USING (tenant_id OPERATOR(pg_catalog.=) NULLIF(pg_catalog.current_setting(''adoption.tenant_id'', true), ''''))', tbl);
		END IF;
		EXECUTE pg_catalog.format('COMMENT ON POLICY all_rows ON adoption.%I IS %L', tbl,
			'adoption_app and adoption_analyst see and write every row (their table privileges limit what they may do)');
		EXECUTE pg_catalog.format('COMMENT ON POLICY own_tenant ON adoption.%I IS %L', tbl,
			'adoption_tenant reads only the rows of the tenant named by the setting adoption.tenant_id (none when adoption.tenant_id is unset or empty)'
			OPERATOR(pg_catalog.||) CASE WHEN tbl OPERATOR(pg_catalog.=) ANY (ARRAY['settings', 'lexicon'])
				THEN ' and the product-wide rows (tenant_id NULL)' ELSE '' END);
	END LOOP;
END
$$;
