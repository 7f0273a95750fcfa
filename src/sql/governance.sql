/*
 * governance.sql: erasing a user or a whole tenant (right to be forgotten).
 *
 * forget_user() deletes what names the user (events, user state, feedback,
 * touches, campaign actions with their dedupe keys, which hold the user id)
 * and then recomputes the tenant's adoption state with adoption.rebuild(), so
 * that the tenant-level counts the user fed (active users, adopters, rates)
 * are those of the remaining events.  Both functions are SECURITY DEFINER so
 * that an administrator can delegate them by granting EXECUTE alone; EXECUTE
 * is granted to no role by the extension (security.sql).
 */

/* Raises the error for a NULL, empty or unknown tenant_id of forget_user() and forget_tenant(). */
CREATE FUNCTION adoption.check_known_tenant(tenant_id text, hint text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF tenant_id IS NULL OR pg_catalog.btrim(tenant_id) OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'tenant_id must not be NULL or empty' USING ERRCODE = 'invalid_parameter_value', HINT = hint;
	END IF;
	/* Events register their tenant; the other inputs do not, so they count too. */
	IF NOT (EXISTS (SELECT FROM adoption.tenants AS x WHERE x.tenant_id OPERATOR(pg_catalog.=) check_known_tenant.tenant_id)
		OR EXISTS (SELECT FROM adoption.feedback AS x WHERE x.tenant_id OPERATOR(pg_catalog.=) check_known_tenant.tenant_id)
		OR EXISTS (SELECT FROM adoption.support_tickets AS x WHERE x.tenant_id OPERATOR(pg_catalog.=) check_known_tenant.tenant_id)
		OR EXISTS (SELECT FROM adoption.billing_events AS x WHERE x.tenant_id OPERATOR(pg_catalog.=) check_known_tenant.tenant_id)
		OR EXISTS (SELECT FROM adoption.campaign_touches AS x WHERE x.tenant_id OPERATOR(pg_catalog.=) check_known_tenant.tenant_id)) THEN
		RAISE EXCEPTION 'tenant "%" does not exist', tenant_id USING ERRCODE = 'no_data_found',
			HINT = 'adoption.tenants lists the tenants that sent events; tenant ids are case-sensitive.';
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.check_known_tenant(text, text) IS 'Internal: raises an error unless tenant_id names a tenant of adoption.tenants or one with feedback, tickets, billing events or touches';

/* Returns what was deleted, per table, as jsonb. */
CREATE FUNCTION adoption.forget_user(tenant_id text, user_id text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t text := forget_user.tenant_id;
	u text := forget_user.user_id;
	n_events bigint;
	n_state bigint;
	n_feedback bigint;
	n_touches bigint;
	n_queue bigint;
	n_archive bigint;
	n_keys bigint;
	replayed bigint;
	ids bigint[];
BEGIN
	PERFORM adoption.check_known_tenant(t, 'Pass the tenant_id and user_id of the user to forget.');
	IF u IS NULL OR pg_catalog.btrim(u) OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'user_id must not be NULL or empty' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Pass the tenant_id and user_id of the user to forget.';
	END IF;

	/* Ingest waits until the transaction ends, so the rebuild below misses no event. */
	LOCK TABLE adoption.feature_usage_events IN SHARE ROW EXCLUSIVE MODE;

	IF NOT (EXISTS (SELECT FROM adoption.user_feature_state AS s
			WHERE s.tenant_id OPERATOR(pg_catalog.=) t AND s.user_id OPERATOR(pg_catalog.=) u)
		OR EXISTS (SELECT FROM adoption.feature_usage_events AS e
			WHERE e.tenant_id OPERATOR(pg_catalog.=) t AND e.user_id OPERATOR(pg_catalog.=) u)
		OR EXISTS (SELECT FROM adoption.feedback AS f
			WHERE f.tenant_id OPERATOR(pg_catalog.=) t AND f.user_id OPERATOR(pg_catalog.=) u)
		OR EXISTS (SELECT FROM adoption.campaign_touches AS c
			WHERE c.tenant_id OPERATOR(pg_catalog.=) t AND c.user_id OPERATOR(pg_catalog.=) u)
		OR EXISTS (SELECT FROM adoption.campaign_actions AS a
			WHERE a.tenant_id OPERATOR(pg_catalog.=) t AND a.user_id OPERATOR(pg_catalog.=) u)) THEN
		RAISE EXCEPTION 'user "%" of tenant "%" does not exist', u, t USING ERRCODE = 'no_data_found',
			HINT = 'The user has no events, state, feedback, touches or actions in this tenant; user ids are case-sensitive.';
	END IF;

	DELETE FROM adoption.feature_usage_events AS e
	WHERE e.tenant_id OPERATOR(pg_catalog.=) t AND e.user_id OPERATOR(pg_catalog.=) u;
	GET DIAGNOSTICS n_events = ROW_COUNT;
	DELETE FROM adoption.user_feature_state AS s
	WHERE s.tenant_id OPERATOR(pg_catalog.=) t AND s.user_id OPERATOR(pg_catalog.=) u;
	GET DIAGNOSTICS n_state = ROW_COUNT;
	DELETE FROM adoption.feedback AS f
	WHERE f.tenant_id OPERATOR(pg_catalog.=) t AND f.user_id OPERATOR(pg_catalog.=) u;
	GET DIAGNOSTICS n_feedback = ROW_COUNT;
	DELETE FROM adoption.campaign_touches AS c
	WHERE c.tenant_id OPERATOR(pg_catalog.=) t AND c.user_id OPERATOR(pg_catalog.=) u;
	GET DIAGNOSTICS n_touches = ROW_COUNT;

	/* The keys of the user's actions go too: they hold the user id, and a user who comes back is a new user. */
	WITH gone AS (
		DELETE FROM adoption.campaign_action_queue AS q
		WHERE q.tenant_id OPERATOR(pg_catalog.=) t AND q.user_id OPERATOR(pg_catalog.=) u
		RETURNING q.action_id
	)
	SELECT pg_catalog.array_agg(g.action_id) INTO ids FROM gone AS g;
	n_queue := coalesce(pg_catalog.cardinality(ids), 0);
	WITH gone AS (
		DELETE FROM adoption.campaign_action_archive AS r
		WHERE r.tenant_id OPERATOR(pg_catalog.=) t AND r.user_id OPERATOR(pg_catalog.=) u
		RETURNING r.action_id
	)
	SELECT coalesce(ids, '{}') OPERATOR(pg_catalog.||) coalesce(pg_catalog.array_agg(g.action_id), '{}'),
		pg_catalog.count(*)
	INTO ids, n_archive FROM gone AS g;
	DELETE FROM adoption.campaign_action_keys AS k
	WHERE k.tenant_id OPERATOR(pg_catalog.=) t AND k.action_id OPERATOR(pg_catalog.=) ANY (ids);
	GET DIAGNOSTICS n_keys = ROW_COUNT;

	/* Tenant-level state the user fed: recomputed from the remaining events. */
	replayed := adoption.rebuild(t);
	/* So are its daily snapshots (the next upkeep does it if a run holds them now). */
	PERFORM adoption.drop_snapshots(t);
	PERFORM adoption.snapshot_adoption(NULL, NULL, t);

	RETURN pg_catalog.jsonb_build_object(
		'feature_usage_events', n_events,
		'user_feature_state', n_state,
		'feedback', n_feedback,
		'campaign_touches', n_touches,
		'campaign_action_queue', n_queue,
		'campaign_action_archive', n_archive,
		'campaign_action_keys', n_keys,
		'events_replayed', replayed);
END
$$;
COMMENT ON FUNCTION adoption.forget_user(text, text) IS 'Erases a user of a tenant: events, adoption state, feedback, touches, campaign actions and their dedupe keys; then rebuilds the tenant''s adoption state and daily snapshots from its remaining events; returns the rows deleted per table as jsonb';

/* Returns what was deleted, per table, as jsonb. */
CREATE FUNCTION adoption.forget_tenant(tenant_id text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t text := forget_tenant.tenant_id;
	counts jsonb := '{}';
	n bigint;
	tbl text;
BEGIN
	PERFORM adoption.check_known_tenant(t, 'Pass the tenant_id of the tenant to forget.');
	/* The daily snapshots, with the totals of their days fixed. */
	counts := pg_catalog.jsonb_build_object(
		'daily_feature_snapshots', (SELECT pg_catalog.count(*) FROM adoption.daily_feature_snapshots AS x
			WHERE x.tenant_id OPERATOR(pg_catalog.=) t),
		'daily_tenant_snapshots', (SELECT pg_catalog.count(*) FROM adoption.daily_tenant_snapshots AS x
			WHERE x.tenant_id OPERATOR(pg_catalog.=) t));
	PERFORM adoption.drop_snapshots(t);
	/* Every table that holds rows of a tenant; the tenant's own row last. */
	FOREACH tbl IN ARRAY ARRAY['feature_usage_events', 'user_feature_state', 'tenant_user_state',
		'tenant_feature_counts', 'tenant_feature_milestones', 'tenant_state',
		'feedback_profile', 'feedback', 'support_tickets', 'billing_events', 'campaign_touches',
		'campaign_action_queue', 'campaign_action_archive', 'campaign_action_keys',
		'campaign_followups', 'health_scores', 'tenant_play_policy', 'lexicon', 'settings', 'tenants'] LOOP
		EXECUTE pg_catalog.format('DELETE FROM adoption.%I AS x WHERE x.tenant_id OPERATOR(pg_catalog.=) $1', tbl)
			USING t;
		GET DIAGNOSTICS n = ROW_COUNT;
		counts := counts OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(tbl, n);
	END LOOP;
	RETURN counts;
END
$$;
COMMENT ON FUNCTION adoption.forget_tenant(text) IS 'Erases a tenant: every row of it in every table of the extension (events, state, daily snapshots, feedback and its persona profile, tickets, billing events, touches, actions and keys, follow-ups, health scores, play policy overrides, lexicon, settings override, the tenant itself); returns the rows deleted per table as jsonb';
