-- The ring of the live action queue (docs/action-queue.md): each action in
-- the slot of its id's generation (16,384 ids a generation, 16 slots), a
-- claim scans the slots that may hold live actions, a drained slot is
-- found in two steps (observation, then a barrier every writer passed), a
-- retry is queued again in the generation of now, an expired lease is
-- taken over across slots, a drained slot is truncated.
SET TimeZone = 'UTC';
\set SHOW_CONTEXT never
TRUNCATE adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys;
UPDATE adoption.campaign_action_ring SET drained_gen = slot - 16, observed_gen = NULL, barrier = NULL,
	drained_xmax = NULL, checked_at = NULL, truncated_gen = NULL;

-- Ids 16381..16390: 16381-16383 are generation 0 (slot 0), 16384-16390
-- generation 1 (slot 1).
SELECT setval('adoption.campaign_action_id_seq', 16380) AS start \gset
SELECT count(*) AS queued FROM adoption.enqueue_batch((SELECT jsonb_agg(jsonb_build_object('tenant_id', 'ring',
	'template_key', 'win_back', 'dedupe_key', 'r' || lpad(i::text, 2, '0'))) FROM generate_series(1, 10) AS i));
SELECT dedupe_key, action_id - :start AS n, slot FROM adoption.campaign_action_queue ORDER BY action_id;
SELECT adoption.action_generation(16383) AS gen_16383, adoption.action_generation(16384) AS gen_16384,
	adoption.action_slot(17) AS slot_of_gen_17, adoption.action_current_generation() AS current_gen;
-- Slot s may hold live actions once generation drained_gen + 16 has begun:
-- 0 (-16 + 16 = 0) and 1 (-15 + 16 = 1) of generation 1; not 2 (-14 + 16).
SELECT adoption.action_live_slots() AS live;

-- Claims go by available_at, then action_id: the same now() for all ten.
SELECT dedupe_key, status, attempts FROM adoption.claim_actions('w1', 2) ORDER BY action_id;

-- Slot 0's generation 0 is complete (the sequence is in generation 1):
-- the first step observes it (observed_gen 0, a barrier); once every
-- transaction that held an id is over, a step finds the slot not empty
-- (r01, r02 claimed, r03 pending) and observes again: nothing drained.
SELECT adoption.advance_action_ring() AS drained_now;
SELECT slot, drained_gen, observed_gen, barrier IS NOT NULL AS has_barrier FROM adoption.campaign_action_ring
WHERE slot IN (0, 1) ORDER BY slot;
DO $$
BEGIN
	FOR i IN 1 .. 100 LOOP
		PERFORM pg_sleep(0.12);
		PERFORM adoption.advance_action_ring();
		COMMIT;
		EXIT WHEN (SELECT g.checked_at > now() - interval '1 second' AND g.barrier IS NOT NULL
			FROM adoption.campaign_action_ring AS g WHERE g.slot = 0) AND i > 1;
	END LOOP;
END
$$;
SELECT slot, drained_gen FROM adoption.campaign_action_ring WHERE slot = 0;

-- Drain slot 0: complete r01, r02, claim and complete r03.
SELECT adoption.complete_action(action_id, 'w1') FROM adoption.campaign_action_queue
WHERE claimed_by = 'w1' ORDER BY action_id;
SELECT adoption.complete_action(c.action_id, 'w2'), c.dedupe_key FROM adoption.claim_actions('w2', 1) AS c;
-- Now a step after the barrier finds slot 0 empty: drained through
-- generation 0, and no longer scanned (0 + 16 > 1).
DO $$
BEGIN
	FOR i IN 1 .. 100 LOOP
		PERFORM pg_sleep(0.12);
		PERFORM adoption.advance_action_ring();
		COMMIT;
		EXIT WHEN (SELECT g.drained_gen = 0 FROM adoption.campaign_action_ring AS g WHERE g.slot = 0);
	END LOOP;
END
$$;
SELECT slot, drained_gen, observed_gen, barrier, drained_xmax IS NOT NULL AS has_drained_xmax
FROM adoption.campaign_action_ring WHERE slot = 0;
SELECT adoption.action_live_slots() AS live;

-- A retry is queued again in the generation of now: the sequence moved to
-- 32772 (generation 2, slot 2); r04 (16384, slot 1) fails once: pending in
-- slot 2, available after 30 s, attempts 1; slot 2 is scanned from now on.
SELECT setval('adoption.campaign_action_id_seq', 32772) AS moved;
SELECT dedupe_key FROM adoption.claim_actions('w3', 1);
SELECT adoption.fail_action(action_id, 'smtp down', 'w3') FROM adoption.campaign_action_queue WHERE dedupe_key = 'r04';
SELECT dedupe_key, slot, status, attempts, last_error, lease_until,
	available_at BETWEEN now() + interval '25 seconds' AND now() + interval '35 seconds' AS after_30s
FROM adoption.campaign_action_queue WHERE dedupe_key = 'r04';
SELECT adoption.action_live_slots() AS live;

-- An expired lease across the ring: r05 is claimed for 10 ms; the next
-- claim of 10 takes the five due pending ones (r06..r10) first, then r05
-- (its second attempt); r04 is not due.
SELECT dedupe_key FROM adoption.claim_actions('w4', 1, '10 milliseconds');
SELECT pg_sleep(0.05);
SELECT dedupe_key, attempts, claimed_by FROM adoption.claim_actions('w5', 10) ORDER BY action_id;
SELECT adoption.complete_action(action_id, 'w5') FROM adoption.campaign_action_queue
WHERE claimed_by = 'w5' ORDER BY action_id;
SELECT dedupe_key, slot, status FROM adoption.campaign_action_queue ORDER BY action_id;
SELECT status, count(*) FROM adoption.campaign_action_archive GROUP BY status;

-- The dedupe keys hold across the ring: r01 (done, in the archive) is not
-- queued again.
SELECT adoption.enqueue_action('ring', 'win_back', 'r01') AS again;

-- Truncation: slot 0 (drained, its next generation 16 not begun) is
-- truncated once no other snapshot is older than the drain (tried until an
-- autovacuum worker's snapshot, if any, is gone); its file is emptied.
-- (Its file before: a VACUUM may already have cut its empty pages, never
-- given it a new file as the truncation does.)
SELECT pg_relation_filenode('adoption.campaign_action_queue_0') AS slot0_file \gset
DO $$
BEGIN
	FOR i IN 1 .. 100 LOOP
		PERFORM adoption.truncate_drained_actions();
		COMMIT;
		EXIT WHEN (SELECT g.truncated_gen = 0 FROM adoption.campaign_action_ring AS g WHERE g.slot = 0);
		PERFORM pg_sleep(0.1);
	END LOOP;
END
$$;
SELECT slot, drained_gen, truncated_gen FROM adoption.campaign_action_ring WHERE slot = 0;
SELECT pg_relation_size('adoption.campaign_action_queue_0') AS slot0_bytes,
	pg_relation_filenode('adoption.campaign_action_queue_0') <> :slot0_file AS slot0_new_file;
-- Nothing else to truncate: slot 1 emptied, but no step has found it drained yet.
SELECT adoption.truncate_drained_actions() AS truncated_again;

-- The slots cannot be read around the parent's row-level security.
SELECT has_table_privilege('adoption_analyst', 'adoption.campaign_action_queue_0', 'SELECT') AS analyst_reads_slot,
	has_table_privilege('adoption_analyst', 'adoption.campaign_action_queue', 'SELECT') AS analyst_reads_queue;
