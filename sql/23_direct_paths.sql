-- The single-row path: an INSERT of one event whose user x feature, tenant x
-- user and tenant rows exist locks and updates them without SQL
-- (src/direct.c).  It must give what the SQL statements give: the same
-- state, the same errors, and every trigger a user put on a state table
-- fired (a table with triggers takes the SQL path).  Values by hand.
SET TimeZone = 'UTC';
TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state,
	adoption.tenant_state, adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
	adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys;
DELETE FROM adoption.settings WHERE tenant_id IS NOT NULL;
UPDATE adoption.settings SET aha_successes = 3, usage_velocity_threshold = 5,
	feature_adoption_threshold = 0.70, success_outcome_rate = 0.80, active_window = interval '30 days'
WHERE tenant_id IS NULL;

-- 1. Rows made by a first statement, then three single-row statements on them:
--    ann uses api May 1 (success), May 3 (failure), May 2 (success, late), and
--    May 4 (success).  Successes May 1, 2, 4: adopted_at = the 3rd = May 4.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome, session_duration)
VALUES ('dp', 'ann', 'api', '2026-05-01 10:00+00', true, 10);
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome, session_duration)
VALUES ('dp', 'ann', 'api', '2026-05-03 10:00+00', false, 20);
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome, session_duration)
VALUES ('dp', 'ann', 'api', '2026-05-02 10:00+00', true, 30);
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome, session_duration)
VALUES ('dp', 'ann', 'api', '2026-05-04 10:00+00', true, 40);
-- expected: uses 4, successes 3, total_duration 100, first May 1, last May 4,
-- activated May 1, adopted May 4, not habitual (4 uses < 5).
SELECT uses, successes, total_duration, first_used_at, last_used_at, activated_at, adopted_at, habitual_at
FROM adoption.user_feature_state WHERE tenant_id = 'dp';
-- tenant x user: first May 1, last May 4, 4 uses, 3 successes; tenant: the same
-- times, 1 user, 4 uses, 3 successes, 1 active user at May 4.
SELECT first_seen_at, last_seen_at, uses, successes FROM adoption.tenant_user_state WHERE tenant_id = 'dp';
SELECT first_event_at, last_event_at, users, active_users, uses, successes
FROM adoption.tenant_state WHERE tenant_id = 'dp';
-- and all of it is what rebuild() computes from the log (the decayed
-- velocity to 9 digits: its sum depends on the order of the additions)
CREATE TEMP TABLE before_rebuild AS
SELECT u.*, t.first_event_at, t.last_event_at, t.users, t.active_users, t.uses AS t_uses
FROM adoption.user_feature_state AS u JOIN adoption.tenant_state AS t USING (tenant_id)
WHERE tenant_id = 'dp';
SELECT adoption.rebuild('dp') > 0 AS rebuilt;
SELECT count(*) AS rows_differing FROM (
	(SELECT tenant_id, feature_id, user_id, first_used_at, last_used_at, uses, successes, total_duration,
		round(velocity_per_week::numeric, 9), activated_at, adopted_at, habitual_at, first_event_at, last_event_at, users, active_users, t_uses
	 FROM before_rebuild
	 EXCEPT
	 SELECT u.tenant_id, u.feature_id, u.user_id, u.first_used_at, u.last_used_at, u.uses, u.successes, u.total_duration,
		round(u.velocity_per_week::numeric, 9), u.activated_at, u.adopted_at, u.habitual_at, t.first_event_at, t.last_event_at, t.users,
		t.active_users, t.uses
	 FROM adoption.user_feature_state AS u JOIN adoption.tenant_state AS t USING (tenant_id)
	 WHERE tenant_id = 'dp')) AS d;

-- 2. A user's trigger on a state table fires: the statement takes the SQL path.
CREATE TEMP TABLE tenant_updates (tenant_id text, uses bigint);
CREATE FUNCTION pg_temp.note_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO tenant_updates VALUES (NEW.tenant_id, NEW.uses);
	RETURN NEW;
END $$;
CREATE TRIGGER note_tenant AFTER UPDATE ON adoption.tenant_state
	FOR EACH ROW EXECUTE FUNCTION pg_temp.note_tenant();
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
VALUES ('dp', 'ann', 'api', '2026-05-05 10:00+00', true);
-- The trigger sees two updates of dp's row, both with 5 uses: the merge of
-- the fifth use, then the evaluation's, since api reaches feature_adopted at
-- May 5 (ann, the one active user, adopted: rate 1/1; 4 successes of 5
-- uses = 0.80, not below success_outcome_rate; at May 4 it was 3/4 = 0.75).
-- ann is habitual at May 5: 5 uses within 4 days.
SELECT tenant_id, uses FROM tenant_updates ORDER BY uses;
DROP TRIGGER note_tenant ON adoption.tenant_state;
SELECT open_adopters, last_feature_adopted_at FROM adoption.tenant_state WHERE tenant_id = 'dp';
SELECT uses, habitual_at FROM adoption.user_feature_state WHERE tenant_id = 'dp';

-- 3. A count that overflows fails as the SQL "+" does, and leaves nothing.
UPDATE adoption.tenant_user_state SET uses = 9223372036854775807 WHERE tenant_id = 'dp';
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
VALUES ('dp', 'ann', 'api', '2026-05-06 10:00+00', true);
SELECT count(*) AS events, (SELECT uses FROM adoption.user_feature_state WHERE tenant_id = 'dp') AS user_uses,
	(SELECT uses FROM adoption.tenant_state WHERE tenant_id = 'dp') AS tenant_uses
FROM adoption.feature_usage_events WHERE tenant_id = 'dp';
