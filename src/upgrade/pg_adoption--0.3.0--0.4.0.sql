/*
 * pg_adoption upgrade 0.3.0 -> 0.4.0.  Each change of 0.4.0 appends its
 * part below, with a comment saying what it adds or changes.
 */
\echo Use "ALTER EXTENSION pg_adoption UPDATE TO '0.4.0'" to load this file. \quit

/*
 * Ingest: tenant_state keeps what lets a statement whose events arrive in
 * time order skip the feature_adopted sweep (src/tenant.c,
 * settled_in_order): the most adopters of a feature without the milestone,
 * and the latest milestone time.  Both computed here from the state (an
 * update from 0.2.0 added them before its rebuild, which wrote them).
 */
ALTER TABLE adoption.tenant_state
	ADD COLUMN IF NOT EXISTS open_adopters integer NOT NULL DEFAULT 0,
	ADD COLUMN IF NOT EXISTS last_feature_adopted_at timestamptz;
COMMENT ON COLUMN adoption.tenant_state.open_adopters IS 'The most adopters (adopted_users) of any feature of the tenant without its feature_adopted milestone, 0 if none: while it stays below feature_adoption_threshold times the active users, an event at the tenant''s latest time cannot reach the milestone';
COMMENT ON COLUMN adoption.tenant_state.last_feature_adopted_at IS 'The latest feature_adopted_at of the tenant''s features (NULL if none has the milestone)';
UPDATE adoption.tenant_state AS s SET
	open_adopters = coalesce((SELECT pg_catalog.max(c.adopted_users) FROM adoption.tenant_feature_counts AS c
		WHERE c.tenant_id OPERATOR(pg_catalog.=) s.tenant_id
			AND NOT EXISTS (SELECT FROM adoption.tenant_feature_milestones AS m
				WHERE m.tenant_id OPERATOR(pg_catalog.=) c.tenant_id AND m.feature_id OPERATOR(pg_catalog.=) c.feature_id)), 0),
	last_feature_adopted_at = (SELECT pg_catalog.max(m.feature_adopted_at) FROM adoption.tenant_feature_milestones AS m
		WHERE m.tenant_id OPERATOR(pg_catalog.=) s.tenant_id);
 * Issue 20: complete_action() returns what happened, the new status (done),
 * as fail_action() does.  A new result type needs DROP and CREATE; the
 * function gets back its SECURITY DEFINER and its only grant.
 */
DROP FUNCTION adoption.complete_action(bigint, text);
CREATE FUNCTION adoption.complete_action(action_id bigint, worker text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a adoption.campaign_action_queue := adoption.held_action(action_id, worker);
BEGIN
	DELETE FROM adoption.campaign_action_queue AS q WHERE q.tenant_id = a.tenant_id AND q.action_id = a.action_id;
	INSERT INTO adoption.campaign_action_archive
	VALUES (a.action_id, a.tenant_id, a.user_id, a.feature_id, a.template_key, a.campaign_id, a.reason,
		a.dedupe_key, 'done', a.attempts, a.available_at, a.claimed_by, a.lease_until, a.last_error,
		a.created_at, now());
	RETURN 'done';
END
$$;
COMMENT ON FUNCTION adoption.complete_action(bigint, text) IS 'Marks a claimed action done (and moves it to the archive); with worker, checks that worker holds it; returns the new status, done (anything else is an error)';
ALTER FUNCTION adoption.complete_action(bigint, text) SECURITY DEFINER;
REVOKE ALL ON FUNCTION adoption.complete_action(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.complete_action(bigint, text) TO adoption_app;

/*
 * Issue 20: features.upgrade_feature_id is checked by triggers instead of a
 * foreign key to the table itself, so that pg_dump no longer warns about
 * circular foreign-key constraints and a plain dump restores without
 * --disable-triggers.
 */
ALTER TABLE adoption.features DROP CONSTRAINT features_upgrade_feature_id_fkey;
/*
 * features.upgrade_feature_id names a feature of the catalog: what a foreign
 * key to the table itself would do (DEFERRABLE INITIALLY DEFERRED, ON DELETE
 * SET NULL), done by triggers, because pg_dump cannot order the rows of a
 * self-referencing table ("circular foreign-key constraints") and a plain
 * dump would need --disable-triggers.  As in ri_triggers.c, the check locks
 * the upgrade feature FOR KEY SHARE, so that a concurrent DELETE of it waits
 * and the later of the two sees the other.
 */
CREATE FUNCTION adoption.check_upgrade_feature()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	upgrade text;
BEGIN
	/* Deferred to commit: check the row as it is then (if it still exists). */
	SELECT f.upgrade_feature_id INTO upgrade FROM adoption.features AS f
	WHERE f.feature_id OPERATOR(pg_catalog.=) NEW.feature_id;
	IF upgrade IS NULL THEN
		RETURN NULL;
	END IF;
	PERFORM FROM adoption.features AS f WHERE f.feature_id OPERATOR(pg_catalog.=) upgrade FOR KEY SHARE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'upgrade_feature_id "%" of feature "%" is not in adoption.features', upgrade, NEW.feature_id
			USING ERRCODE = 'foreign_key_violation',
				HINT = 'Insert that feature first (in the same transaction is enough: the check runs at commit), or set upgrade_feature_id to NULL.';
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION adoption.check_upgrade_feature() IS 'Deferred constraint trigger: a feature''s upgrade_feature_id names a feature of the catalog';

CREATE CONSTRAINT TRIGGER features_upgrade_feature_exists
	AFTER INSERT OR UPDATE OF feature_id, upgrade_feature_id ON adoption.features
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW WHEN (NEW.upgrade_feature_id IS NOT NULL)
	EXECUTE FUNCTION adoption.check_upgrade_feature();

CREATE FUNCTION adoption.release_upgrade_feature()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	/* ON DELETE SET NULL, and the same when the key itself changes. */
	UPDATE adoption.features AS f SET upgrade_feature_id = NULL
	WHERE f.upgrade_feature_id OPERATOR(pg_catalog.=) OLD.feature_id
		AND NOT EXISTS (SELECT FROM adoption.features AS g WHERE g.feature_id OPERATOR(pg_catalog.=) OLD.feature_id);
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION adoption.release_upgrade_feature() IS 'AFTER DELETE trigger: the features whose upgrade_feature_id named a deleted (or renamed) feature get NULL';

CREATE TRIGGER features_release_upgrade_feature
	AFTER DELETE OR UPDATE OF feature_id ON adoption.features
	FOR EACH ROW EXECUTE FUNCTION adoption.release_upgrade_feature();
REVOKE ALL ON FUNCTION adoption.check_upgrade_feature(), adoption.release_upgrade_feature() FROM PUBLIC;
