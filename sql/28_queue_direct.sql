-- claim_actions() and complete_action() without the executor (queue.c):
-- the same actions, in the same order, with the same columns as the SQL
-- they stand for, which still runs when a trigger (or Citus, or
-- row-level security for the caller) asks for the executor.
SET TimeZone = 'UTC';
\set SHOW_CONTEXT never
TRUNCATE adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys;
UPDATE adoption.campaign_action_ring SET drained_gen = slot - 16, observed_gen = NULL, barrier = NULL,
	drained_xmax = NULL, checked_at = NULL, truncated_gen = NULL;
SELECT adoption.action_ring_slots() AS slots, adoption.action_generation_ids() AS ids_per_generation;

-- Six actions in two slots: ids 16382, 16383 (generation 0, slot 0) and
-- 16384..16387 (generation 1, slot 1).  d1 (16382) and e1 (16385) are due
-- an hour ago, the others 10 minutes ago except f1 (16387), due tomorrow.
-- Claim order, by (available_at, action_id) across the slots: d1, e1,
-- then d2 (16383), e2 (16384), e3 (16386); f1 is not due.
SELECT setval('adoption.campaign_action_id_seq', 16381) AS start;
SELECT count(*) FROM adoption.queue_actions(
	ARRAY['dt', 'dt', 'dt', 'dt', 'dt', 'dt'],
	ARRAY['win_back', 'win_back', 'win_back', 'win_back', 'win_back', 'win_back'],
	ARRAY['d1', 'd2', 'e2', 'e1', 'e3', 'f1'], NULL, NULL, NULL,
	ARRAY[now() - interval '1 hour', now() - interval '10 minutes', now() - interval '10 minutes',
		now() - interval '1 hour', now() - interval '10 minutes', now() + interval '1 day'], false) AS queued;
SELECT action_id, dedupe_key, slot FROM adoption.campaign_action_queue ORDER BY action_id;
SELECT adoption.claim_direct() AS direct;

-- The direct claim of four, rolled back; then the SQL's (a trigger on the
-- queue: claim_direct() is false): the same rows, in the same order.
BEGIN;
CREATE TEMP TABLE direct_claim AS
SELECT row_number() OVER () AS n, c.* FROM adoption.claim_actions('w1', 4, '2 minutes') AS c;
SELECT n, action_id, dedupe_key, status, attempts, claimed_by, lease_until = now() + interval '2 minutes' AS lease_2min
FROM direct_claim ORDER BY n;
ROLLBACK;
CREATE FUNCTION pg_temp.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
BEGIN;
CREATE TRIGGER noop AFTER UPDATE ON adoption.campaign_action_queue FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.noop();
SELECT adoption.claim_direct() AS direct_with_trigger;
SELECT row_number() OVER () AS n, c.action_id, c.dedupe_key, c.status, c.attempts, c.claimed_by,
	c.lease_until = now() + interval '2 minutes' AS lease_2min
FROM adoption.claim_actions('w1', 4, '2 minutes') AS c;
ROLLBACK;

-- Claim the five due ones for real; the queue's rows say claimed by w1,
-- one attempt; f1 stays pending.
SELECT count(*) AS claimed FROM adoption.claim_actions('w1', 10, '2 minutes');
SELECT dedupe_key, status, attempts, claimed_by FROM adoption.campaign_action_queue ORDER BY action_id;

-- Completion.  d1 directly: its archive row is its queue row, done, at
-- now(); the worker is checked (w2 does not hold e1: the SQL's error).
BEGIN;
SELECT adoption.complete_action(16382, 'w1') AS d1;
SELECT action_id, dedupe_key, status, attempts, claimed_by, completed_at = now() AS completed_now,
	available_at = created_at - interval '1 hour' AS available_as_queued, last_error, status_reason
FROM adoption.campaign_action_archive ORDER BY action_id;
COMMIT;
SELECT adoption.complete_action(16385, 'w2');
-- A trigger on the archive: the completion runs the SQL (the trigger sees it).
CREATE TABLE pg_temp.archived (action_id bigint);
CREATE FUNCTION pg_temp.note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO pg_temp.archived VALUES (NEW.action_id); RETURN NULL; END $$;
BEGIN;
CREATE TRIGGER note AFTER INSERT ON adoption.campaign_action_archive FOR EACH ROW EXECUTE FUNCTION pg_temp.note();
SELECT adoption.complete_action(16385, 'w1') AS e1;
SELECT action_id FROM pg_temp.archived;
ROLLBACK;
-- A retry is queued in the slot of now (the sequence is in generation 1):
-- d2 (16383) fails, is pending again in slot 1; claimed again after its
-- backoff (set back here), its completion is found outside its own slot.
SELECT adoption.fail_action(16383, 'smtp down', 'w1') AS d2;
SELECT dedupe_key, slot, status, attempts, last_error FROM adoption.campaign_action_queue WHERE action_id = 16383;
UPDATE adoption.campaign_action_queue SET available_at = now() - interval '1 second' WHERE action_id = 16383;
SELECT action_id, attempts FROM adoption.claim_actions('w3', 1);
SELECT adoption.complete_action(16383, 'w3') AS d2_again;
SELECT action_id, dedupe_key, status, attempts, claimed_by, last_error FROM adoption.campaign_action_archive ORDER BY action_id;
SELECT count(*) AS still_queued FROM adoption.campaign_action_queue;
