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
