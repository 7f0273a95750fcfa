-- The campaign action queue: enqueue, claim, complete, fail with backoff,
-- dead after max_attempts, expired leases, and the errors of bad calls.
SET TimeZone = 'UTC';
\set SHOW_CONTEXT never
TRUNCATE adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys;
SELECT setval('adoption.campaign_action_id_seq', 1000) AS start_ids \gset

-- Enqueue: one action per dedupe key, ever.
SELECT adoption.enqueue_action('q1', 'win_back', 'dormant:2026-06', '{"days_idle": 31}') AS a1 \gset
\echo :a1
SELECT adoption.enqueue_action('q1', 'win_back', 'dormant:2026-06', '{"days_idle": 32}') AS duplicate;
-- (the refused duplicate used up a sequence number: ids have gaps)
SELECT adoption.enqueue_action('q1', 'case_study', 'feedback:7', user_id => 'ann') AS a2 \gset
\echo :a2
SELECT adoption.enqueue_action('q2', 'expansion_offer', 'seats:2026-06') AS a3 \gset
SELECT adoption.enqueue_action('q2', 'escalate_to_cs', 'critical:2026-06') AS a4 \gset
SELECT adoption.enqueue_action('q2', 'no_such_template', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT adoption.enqueue_action('q2', 'win_back', '');
\echo :LAST_ERROR_SQLSTATE
SELECT tenant_id, user_id, template_key, campaign_id, reason, status, attempts
FROM adoption.campaign_actions ORDER BY action_id;

-- Two workers get disjoint sets, oldest first.
SELECT action_id IN (:a1, :a2) AS oldest_two, status, claimed_by, attempts FROM adoption.claim_actions('w1', 2);
SELECT action_id IN (:a3, :a4) AS next_two, status, claimed_by, attempts FROM adoption.claim_actions('w2', 10);
SELECT count(*) AS left_for_w3 FROM adoption.claim_actions('w3');

-- Complete: only the holder (when a worker is named), only once.
SELECT adoption.complete_action(:a1, 'w1');
SELECT adoption.complete_action(:a1, 'w1');
\echo :LAST_ERROR_SQLSTATE
SELECT adoption.complete_action(:a3, 'w1');
\echo :LAST_ERROR_SQLSTATE
SELECT adoption.complete_action(999999);
\echo :LAST_ERROR_SQLSTATE
SELECT adoption.complete_action(NULL);
\echo :LAST_ERROR_SQLSTATE

-- Fail: back to pending, available again after 30 seconds (then 1, 2, 4
-- minutes...), with the error kept.
BEGIN;
SELECT adoption.fail_action(:a2, 'smtp timeout', 'w1') AS new_status;
SELECT status, attempts, last_error, available_at - now() AS backoff, lease_until
FROM adoption.campaign_actions WHERE action_id = :a2;
COMMIT;
SELECT count(*) AS claimable_now FROM adoption.claim_actions('w1') WHERE action_id = :a2;
-- A failed action that is pending cannot be completed.
SELECT adoption.complete_action(:a2);
\echo :LAST_ERROR_SQLSTATE

-- Dead after max_attempts: with max_attempts 2 for tenant q2, action a3
-- (attempt 1) fails once and is retried, claimed again (attempt 2), fails:
-- dead.
INSERT INTO adoption.settings (tenant_id, max_attempts) VALUES ('q2', 2);
SELECT adoption.fail_action(:a3, 'crm down') AS after_first_failure;
UPDATE adoption.campaign_action_queue SET available_at = now() WHERE action_id = :a3;
SELECT action_id = :a3 AS is_a3, attempts FROM adoption.claim_actions('w2', 1);
SELECT adoption.fail_action(:a3, 'crm still down', 'w2') AS after_second_failure;
SELECT status, attempts, last_error, completed_at IS NOT NULL AS finished
FROM adoption.campaign_actions WHERE action_id = :a3;
SELECT adoption.fail_action(:a3, 'again');
\echo :LAST_ERROR_SQLSTATE

-- An expired lease: another worker may take the action; the first can no
-- longer complete it.  a4 is held by w2 for 5 minutes; shorten its lease.
UPDATE adoption.campaign_action_queue SET lease_until = now() - interval '1 second' WHERE action_id = :a4;
-- (the message holds the time the lease expired)
\set VERBOSITY sqlstate
SELECT adoption.complete_action(:a4, 'w2');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT action_id = :a4 AS is_a4, claimed_by, attempts FROM adoption.claim_actions('fast', 5);
SELECT adoption.complete_action(:a4, 'w2');
\echo :LAST_ERROR_SQLSTATE
SELECT adoption.complete_action(:a4, 'fast');

-- Bad calls to claim_actions (22023).
SELECT * FROM adoption.claim_actions('w1', -1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM adoption.claim_actions('w1', 10, '0 seconds');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM adoption.claim_actions('w1', 10, '-5 minutes');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM adoption.claim_actions('', 10);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS zero_asked FROM adoption.claim_actions('w1', 0);

-- Where everything ended: done ones and the dead one in the archive, the
-- failed one waiting for its retry.
SELECT action_id = :a1 AS a1, action_id = :a2 AS a2, action_id = :a3 AS a3, action_id = :a4 AS a4,
	tenant_id, template_key, status, attempts, claimed_by
FROM adoption.campaign_actions ORDER BY action_id;
SELECT count(*) AS live FROM adoption.campaign_action_queue;
SELECT count(*) AS archived FROM adoption.campaign_action_archive;
DELETE FROM adoption.settings WHERE tenant_id = 'q2';

-- The backoff stops growing at a day, however many attempts are allowed.
INSERT INTO adoption.settings (tenant_id, max_attempts) VALUES ('q3', 1000);
SELECT adoption.enqueue_action('q3', 'win_back', 'many-attempts') AS a5 \gset
UPDATE adoption.campaign_action_queue SET attempts = 99 WHERE action_id = :a5;
SELECT attempts FROM adoption.claim_actions('w9', 1);
BEGIN;
SELECT adoption.fail_action(:a5, 'still failing', 'w9') AS status_after_100;
SELECT available_at - now() AS backoff FROM adoption.campaign_actions WHERE action_id = :a5;
COMMIT;
DELETE FROM adoption.settings WHERE tenant_id = 'q3';

-- A claimed action out of attempts whose lease expired (its worker died)
-- becomes dead at the next claim instead of being handed out again; the
-- tenant's own max_attempts (2) applies.
INSERT INTO adoption.settings (tenant_id, max_attempts) VALUES ('q4', 2);
SELECT adoption.enqueue_action('q4', 'win_back', 'worker-died') AS a6 \gset
UPDATE adoption.campaign_action_queue SET attempts = 1 WHERE action_id = :a6;
SELECT attempts FROM adoption.claim_actions('doomed', 1, '1 hour');
UPDATE adoption.campaign_action_queue SET lease_until = now() - interval '1 second' WHERE action_id = :a6;
SELECT count(*) AS handed_out FROM adoption.claim_actions('next', 10) WHERE action_id = :a6;
SELECT status, attempts, last_error FROM adoption.campaign_actions WHERE action_id = :a6;
DELETE FROM adoption.settings WHERE tenant_id = 'q4';
