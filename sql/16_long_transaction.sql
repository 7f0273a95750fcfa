-- Each ingest statement runs its work in a subtransaction (a deadlock's
-- victim rolls it back and tracks its rows again).  A transaction of many
-- statements stops taking them before the backend's cache of 64
-- subtransaction ids would overflow; its statements must count the same.
-- Here 80 statements in one transaction, each with a user the pair has not
-- seen (the path that looks for unseen users again) and one it has.
SET TimeZone = 'UTC';
TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state, adoption.tenant_state,
	adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
	adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys;
DELETE FROM adoption.milestone_campaigns;
INSERT INTO adoption.milestone_campaigns (milestone, template_key) VALUES ('adopted', 'adoption_success');
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('lt', 'u0', 'f', '2026-03-01 00:00+00');

BEGIN;
DO $$
BEGIN
	FOR i IN 1..80 LOOP
		INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
		VALUES ('lt', 'n' || i, 'f', timestamptz '2026-03-01 00:00+00' + make_interval(mins => i)),
			('lt', 'u0', 'f', timestamptz '2026-03-01 00:00+00' + make_interval(mins => i));
	END LOOP;
END
$$;
-- 1 + 80 uses of u0, adopted at its third (minute 2); 80 new users of one use.
SELECT user_id, uses, adopted_at FROM adoption.user_feature_state
WHERE tenant_id = 'lt' AND user_id = 'u0';
SELECT count(*) AS users, sum(uses) AS uses FROM adoption.user_feature_state WHERE tenant_id = 'lt';
SELECT activated_users, adopted_users FROM adoption.tenant_feature_state WHERE tenant_id = 'lt';
COMMIT;

-- The same in a savepoint that is rolled back leaves nothing.
BEGIN;
SAVEPOINT s;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('lt', 'gone', 'f', '2026-03-02 00:00+00');
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT count(*) FROM adoption.user_feature_state WHERE tenant_id = 'lt' AND user_id = 'gone';

-- rebuild() agrees, and exactly one action for u0's adoption.
CREATE TEMP TABLE lt_before AS
SELECT tenant_id, feature_id, user_id, uses, successes, activated_at, adopted_at, habitual_at
FROM adoption.user_feature_state WHERE tenant_id = 'lt';
SELECT adoption.rebuild('lt');
SELECT count(*) AS differ FROM (
	(TABLE lt_before EXCEPT
	 SELECT tenant_id, feature_id, user_id, uses, successes, activated_at, adopted_at, habitual_at
	 FROM adoption.user_feature_state WHERE tenant_id = 'lt')
	UNION ALL
	(SELECT tenant_id, feature_id, user_id, uses, successes, activated_at, adopted_at, habitual_at
	 FROM adoption.user_feature_state WHERE tenant_id = 'lt'
	 EXCEPT TABLE lt_before)
) AS d;
SELECT template_key, user_id FROM adoption.campaign_action_queue WHERE tenant_id = 'lt';
