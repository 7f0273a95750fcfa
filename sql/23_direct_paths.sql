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

-- 4. In-order adoptions settle without the tenant's sweep while no feature
--    can reach feature_adopted, and keep open_adopters exact.  Tenant op:
--    u1..u4 each use api once at 10:00, 10:01, 10:02, 10:03 (June 1, one
--    statement); then, one event a statement, in time order, u1 at 11:00 and
--    11:01 (its 3rd success: adopted 11:01), u2 at 11:02 and 11:03, u3 at
--    11:04 and 11:05.  4 active users throughout; every use succeeds.
--    After u1: 1 adopter, 1/4 < 0.70: open_adopters 1, no milestone.
--    After u2: 2/4 = 0.50: open_adopters 2, no milestone.
--    After u3: 3/4 = 0.75 >= 0.70 and 10/10 successes: feature_adopted at
--    11:05, open_adopters 0 (api has the milestone).
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT 'op', 'u' || i, 'api', timestamptz '2026-06-01 10:00+00' + make_interval(mins => i - 1), true
FROM generate_series(1, 4) AS i;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
VALUES ('op', 'u1', 'api', '2026-06-01 11:00+00', true);
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
VALUES ('op', 'u1', 'api', '2026-06-01 11:01+00', true);
SELECT active_users, open_adopters, last_feature_adopted_at FROM adoption.tenant_state WHERE tenant_id = 'op';
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
VALUES ('op', 'u2', 'api', '2026-06-01 11:02+00', true);
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
VALUES ('op', 'u2', 'api', '2026-06-01 11:03+00', true);
SELECT active_users, open_adopters, last_feature_adopted_at FROM adoption.tenant_state WHERE tenant_id = 'op';
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
VALUES ('op', 'u3', 'api', '2026-06-01 11:04+00', true);
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
VALUES ('op', 'u3', 'api', '2026-06-01 11:05+00', true);
SELECT active_users, open_adopters, last_feature_adopted_at FROM adoption.tenant_state WHERE tenant_id = 'op';
SELECT feature_adopted_at FROM adoption.tenant_feature_milestones WHERE tenant_id = 'op';
-- rebuild() from the log gives the same row
CREATE TEMP TABLE op_before AS
SELECT active_users, open_adopters, last_feature_adopted_at FROM adoption.tenant_state WHERE tenant_id = 'op';
SELECT adoption.rebuild('op') > 0 AS rebuilt;
SELECT count(*) AS rows_differing FROM (
	SELECT * FROM op_before
	EXCEPT
	SELECT active_users, open_adopters, last_feature_adopted_at FROM adoption.tenant_state WHERE tenant_id = 'op') AS d;

-- 5. The tenant's active users, counted from the stored count when one
--    existing user's event arrives in time order: the users whose last
--    event left the 30-day window since the tenant's previous event are
--    taken off, the event's user counted once.  Tenant aw: a Jan 1, b Jan 10,
--    c Jan 20, d Jan 25 (one statement): 4 active at Jan 25.  Then one event a
--    statement (all failures, so nobody adopts), by hand, window (R - 30 d, R]:
--    a Feb 5   (Jan 6, Feb 5]:   a b c d          4
--    c Feb 15  (Jan 16, Feb 15]: a c d (b left)   3
--    b Mar 20  (Feb 18, Mar 20]: b                1   (a, c, d left; b back)
--    b Mar 20  again, same time                   1
--    d Mar 22  (Feb 20, Mar 22]: b d              2
--    d Apr 19  (Mar 20 10:00, Apr 19 10:00]: d    1   (b's Mar 20 10:00 is on the open end)
--    c Apr 10  late: R stays Apr 19: c d          2   (the full evaluation)
--    b Apr 25  (Mar 26, Apr 25]: b c d            3
--    by_definition counts the same from the log in plain SQL.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
VALUES ('aw', 'a', 'x', '2026-01-01 10:00+00', false), ('aw', 'b', 'x', '2026-01-10 10:00+00', false),
	('aw', 'c', 'x', '2026-01-20 10:00+00', false), ('aw', 'd', 'x', '2026-01-25 10:00+00', false);
CREATE TEMP TABLE aw_steps (step int, user_id text, t timestamptz);
INSERT INTO aw_steps VALUES (1, 'a', '2026-02-05 10:00+00'), (2, 'c', '2026-02-15 10:00+00'),
	(3, 'b', '2026-03-20 10:00+00'), (4, 'b', '2026-03-20 10:00+00'), (5, 'd', '2026-03-22 10:00+00'),
	(6, 'd', '2026-04-19 10:00+00'), (7, 'c', '2026-04-10 10:00+00'), (8, 'b', '2026-04-25 10:00+00');
CREATE TEMP TABLE aw_seen (step int, active_users int, by_definition bigint);
CREATE FUNCTION pg_temp.aw_step(n int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
	SELECT 'aw', s.user_id, 'x', s.t, false FROM aw_steps AS s WHERE s.step = n;
	INSERT INTO aw_seen
	SELECT n, t.active_users,
		(SELECT count(DISTINCT e.user_id) FROM adoption.feature_usage_events AS e
		 WHERE e.tenant_id = 'aw' AND e.usage_timestamp > t.last_event_at - interval '30 days'
			AND e.usage_timestamp <= t.last_event_at)
	FROM adoption.tenant_state AS t WHERE t.tenant_id = 'aw';
END $$;
SELECT pg_temp.aw_step(1);
SELECT pg_temp.aw_step(2);
SELECT pg_temp.aw_step(3);
SELECT pg_temp.aw_step(4);
SELECT pg_temp.aw_step(5);
SELECT pg_temp.aw_step(6);
SELECT pg_temp.aw_step(7);
SELECT pg_temp.aw_step(8);
SELECT * FROM aw_seen ORDER BY step;
-- and rebuild() agrees
SELECT adoption.rebuild('aw') > 0 AS rebuilt;
SELECT active_users, last_event_at FROM adoption.tenant_state WHERE tenant_id = 'aw';

-- 6. A user x feature seen for the first time, one event a statement: its
--    pair row is locked and counted, the new row inserted, without SQL.
--    Tenant nw: ann uses api May 1 (first statement: the pair row exists);
--    then bob uses api May 2 (new row, pair existing: activated_users 2),
--    then bob uses web May 3 (a new pair: made by SQL, activated_users 1).
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, session_duration)
VALUES ('nw', 'ann', 'api', '2026-05-01 10:00+00', 10);
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, session_duration)
VALUES ('nw', 'bob', 'api', '2026-05-02 10:00+00', 20);
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, session_duration)
VALUES ('nw', 'bob', 'web', '2026-05-03 10:00+00', 30);
-- expected: ann api 1 use May 1; bob api 1 use May 2, bob web 1 use May 3,
-- each activated at its use; pairs api 2 activated, web 1.
SELECT user_id, feature_id, uses, successes, total_duration, first_used_at, activated_at, adopted_at
FROM adoption.user_feature_state WHERE tenant_id = 'nw' ORDER BY user_id, feature_id;
SELECT feature_id, activated_users, adopted_users, habitual_users
FROM adoption.tenant_feature_counts WHERE tenant_id = 'nw' ORDER BY feature_id;
-- A column a user added with a default: the new row gets it (the INSERT of
-- the SQL path; the direct insert names every column, so it steps aside).
ALTER TABLE adoption.user_feature_state ADD COLUMN note text DEFAULT 'from default';
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('nw', 'cy', 'api', '2026-05-04 10:00+00');
SELECT user_id, feature_id, uses, note FROM adoption.user_feature_state
WHERE tenant_id = 'nw' AND user_id = 'cy';
ALTER TABLE adoption.user_feature_state DROP COLUMN note;
-- and rebuild() gives the same rows and pair counts
CREATE TEMP TABLE nw_before AS
SELECT user_id, feature_id, uses, first_used_at, activated_at FROM adoption.user_feature_state WHERE tenant_id = 'nw';
SELECT adoption.rebuild('nw') > 0 AS rebuilt;
SELECT count(*) AS differing FROM (
	(SELECT user_id, feature_id, uses, first_used_at, activated_at FROM adoption.user_feature_state WHERE tenant_id = 'nw'
	 EXCEPT SELECT * FROM nw_before)
	UNION ALL
	(SELECT * FROM nw_before
	 EXCEPT SELECT user_id, feature_id, uses, first_used_at, activated_at FROM adoption.user_feature_state WHERE tenant_id = 'nw')) AS d;
SELECT feature_id, activated_users FROM adoption.tenant_feature_counts WHERE tenant_id = 'nw' ORDER BY feature_id;

-- 7. tenant_user_state's index of users by latest event is by UTC day, so
--    an update within a day is HOT (no new index entries): ann's second and
--    third events of June 1 are, her first of June 2 is not.
-- (the backend's counts accumulate until they are sent: differences within
-- one transaction)
BEGIN;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('hw', 'ann', 'api', '2026-06-01 09:00+00');
SELECT pg_stat_get_xact_tuples_updated('adoption.tenant_user_state'::regclass) AS u0,
	pg_stat_get_xact_tuples_hot_updated('adoption.tenant_user_state'::regclass) AS h0 \gset
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('hw', 'ann', 'api', '2026-06-01 10:00+00');
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('hw', 'ann', 'web', '2026-06-01 23:59:59+00');
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('hw', 'ann', 'api', '2026-06-02 00:00:01+00');
SELECT pg_stat_get_xact_tuples_updated('adoption.tenant_user_state'::regclass) - :u0 AS updates,
	pg_stat_get_xact_tuples_hot_updated('adoption.tenant_user_state'::regclass) - :h0 AS hot;
COMMIT;
-- the day is the UTC day (days since 1970-01-01): June 2, 2026 is day 20606
SELECT user_id, last_seen_at, last_seen_day, last_seen_day = adoption.utc_day(last_seen_at) AS same,
	adoption.utc_day('2026-06-02 01:30+02') AS day_of_june_1_2330_utc
FROM adoption.tenant_user_state WHERE tenant_id = 'hw';
-- utc_day is the number of days from 1970-01-01 to the UTC date of the
-- time, for every finite time: before 1970, before the year 1, up to the
-- last representable day (where floor(extract(epoch) / 86400) rounds up to
-- the next day: numeric division); NULL for infinity
SELECT count(*) AS times,
	count(*) FILTER (WHERE adoption.utc_day(t) IS NOT DISTINCT FROM
		CASE WHEN isfinite(t) THEN (t AT TIME ZONE 'UTC')::date - date '1970-01-01' END) AS equal
FROM unnest(ARRAY['1970-01-01 00:00:00+00', '1969-12-31 23:59:59.999999+00',
	'1970-01-01 23:59:59.999999+00', '2000-01-01 00:00:00+00', '1999-12-31 23:59:59.999999+00',
	'2026-06-02 01:30+02', '0001-01-01 00:00:00+00 BC', '4713-11-24 00:00:00+00 BC',
	'294276-12-31 23:59:59.999999+00', 'infinity', '-infinity']::timestamptz[]) AS t;
SELECT adoption.utc_day('294276-12-31 23:59:59.999999+00') AS last_day,
	adoption.utc_day('1969-12-31 23:59:59.999999+00') AS day_before_1970,
	adoption.utc_day('infinity') AS infinite;
