/*
 * actions.sql: campaign templates, the milestone-to-template map and the
 * campaign action queue.
 *
 * The queue is split so that claiming stays fast whatever the history:
 *   campaign_action_queue    the live actions (pending, claimed): small, hot,
 *                            in a ring of 16 parts (below);
 *   campaign_action_archive  finished actions (done, dead), moved there by
 *                            complete_action() and fail_action();
 *   campaign_action_keys     one row per action ever enqueued, keyed by
 *                            (tenant_id, dedupe_key): what makes an action
 *                            happen at most once, across both tables;
 *   campaign_actions         the view over the queue and the archive.
 *
 * The ring (docs/action-queue.md).  Every claim and every completion
 * leaves a dead version of the action behind, and its entry in the index
 * of pending actions.  Vacuum removes them; while a long transaction holds
 * back the xmin horizon it cannot, nor can an index scan mark them killed,
 * so each claim walked every dead entry of the actions drained before it:
 * claiming slowed down with the number of actions drained (8,400 actions/s
 * instead of 24,780).  As PgQ rotates its event tables, the live queue is
 * list-partitioned by a slot 0..15; an action's generation is its place in
 * the id sequence (16,384 ids a generation: action_generation()), its slot
 * the generation modulo 16, a retry is queued again in the generation of
 * the sequence now (fail_action()).  Writers only compute it: no shared
 * state, no DDL on the ingest path.  adoption.campaign_action_ring keeps,
 * per slot, the last generation found drained: a claim scans only the
 * slots that may hold a live action (action_live_slots()), ordered by
 * (available_at, action_id) so that one generation drains before the next
 * among actions due at the same time, and so walks the dead entries of at
 * most the generation it is draining.  Finding a slot drained takes two
 * claims (advance_action_ring()): one notes the generations handed out so
 * far and the transactions running (a barrier, as PgQ's rotation waits for
 * its tick's transactions), a later one, once every transaction that could
 * still write those generations has ended, finds no row in the slot.  A
 * read-only transaction has no transaction id and holds back no barrier.
 * truncate_drained_actions() (run by upkeep()) then truncates a drained
 * slot, without waiting for a lock, once no snapshot can still see its
 * rows: the space comes back without vacuum, before the ring comes round.
 * On a Citus cluster every slot is scanned (a shard's ids come from every
 * node's sequence), as a plain table would be.
 */

CREATE TABLE adoption.campaign_templates (
	template_key text PRIMARY KEY,
	campaign_id text NOT NULL,
	channel text NOT NULL,
	description text NOT NULL
);
COMMENT ON TABLE adoption.campaign_templates IS 'Campaigns the extension can enqueue; edit campaign_id and channel to point at your campaign tool';

INSERT INTO adoption.campaign_templates (template_key, campaign_id, channel, description) VALUES
	('adoption_success', 'celebration_campaign', 'email', 'A user or a tenant reached an adoption milestone: celebrate it'),
	('adoption_nudge', 'encouragement_campaign', 'in_app', 'A user activated a feature but has not adopted it yet'),
	('advanced_feature', 'upgrade_campaign', 'email', 'A habitual user of a feature whose upgrade feature the tenant lacks'),
	('retention_intervention', 'retention_campaign', 'email', 'A tenant entered the at_risk health band'),
	('escalate_to_cs', 'cs_escalation', 'crm_task', 'A tenant entered the critical health band: a customer success manager should call'),
	('win_back', 'win_back_campaign', 'email', 'A tenant has been dormant for dormant_after'),
	('case_study', 'case_study_request', 'crm_task', 'Positive feedback with a high score: ask for a case study'),
	('pain_point_followup', 'pain_point_followup', 'crm_task', 'Feedback named a pain point: follow up'),
	('expansion_offer', 'expansion_campaign', 'crm_task', 'Seat utilization or requests show room to expand'),
	('launch_announcement', 'launch_campaign', 'email', 'A launched feature the tenant does not use yet');

CREATE TABLE adoption.milestone_campaigns (
	milestone text PRIMARY KEY CHECK (milestone IN ('activated', 'adopted', 'habitual', 'feature_adopted')),
	template_key text NOT NULL REFERENCES adoption.campaign_templates (template_key),
	enabled boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE adoption.milestone_campaigns IS 'Which campaign template a milestone enqueues; milestones without an enabled row enqueue nothing';
INSERT INTO adoption.milestone_campaigns (milestone, template_key) VALUES
	('habitual', 'adoption_success'),
	('feature_adopted', 'adoption_success');

/*
 * Both tables are seeded by CREATE EXTENSION and may be edited; a restore
 * (or a user) inserting a row whose key exists updates that row instead.
 */
CREATE FUNCTION adoption.merge_seeded_row()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	/*
	 * The table the trigger fired on (TG_RELID): on Citus, a shard of the
	 * reference table, named <table>_<shard id>.
	 */
	IF TG_TABLE_NAME ~ '^campaign_templates(_[0-9]+)?$' THEN
		EXECUTE format('UPDATE %s AS t SET campaign_id = $1, channel = $2, description = $3 WHERE t.template_key = $4',
			TG_RELID::regclass) USING NEW.campaign_id, NEW.channel, NEW.description, NEW.template_key;
	ELSIF TG_TABLE_NAME ~ '^milestone_campaigns(_[0-9]+)?$' THEN
		EXECUTE format('UPDATE %s AS m SET template_key = $1, enabled = $2 WHERE m.milestone = $3',
			TG_RELID::regclass) USING NEW.template_key, NEW.enabled, NEW.milestone;
	ELSE
		RAISE EXCEPTION 'adoption.merge_seeded_row() does not handle table %', TG_TABLE_NAME
			USING ERRCODE = 'trigger_protocol_violated';
	END IF;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		RETURN NULL;
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER campaign_templates_merge BEFORE INSERT ON adoption.campaign_templates
	FOR EACH ROW EXECUTE FUNCTION adoption.merge_seeded_row();
CREATE TRIGGER milestone_campaigns_merge BEFORE INSERT ON adoption.milestone_campaigns
	FOR EACH ROW EXECUTE FUNCTION adoption.merge_seeded_row();
CREATE TRIGGER milestone_campaigns_invalidate_cache
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON adoption.milestone_campaigns
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.invalidate_cache();
CREATE TRIGGER campaign_templates_invalidate_cache
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON adoption.campaign_templates
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.invalidate_cache();
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_templates', '');
SELECT pg_catalog.pg_extension_config_dump('adoption.milestone_campaigns', '');

CREATE SEQUENCE adoption.campaign_action_id_seq;
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_action_id_seq', '');

/* The size of the queue's ring, stated once (src/queue.h). */
CREATE FUNCTION adoption.action_ring_slots()
RETURNS integer
AS 'MODULE_PATHNAME', 'adoption_action_ring_slots'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION adoption.action_ring_slots() IS 'Internal: the number of slots (parts) of the action queue''s ring: 16';
CREATE FUNCTION adoption.action_generation_ids()
RETURNS bigint
AS 'MODULE_PATHNAME', 'adoption_action_generation_ids'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION adoption.action_generation_ids() IS 'Internal: the number of action ids in a generation of the action queue''s ring: 16,384';

/*
 * The slot for an action queued now by a statement that names none (the
 * generation of the sequence now, which every row the statement can see is
 * of or before), after giving the transaction its id: the ring's barrier
 * (advance_action_ring()) counts on that.  The queue's default for slot;
 * the engine, enqueue_action() and enqueue_batch() name the slot of the
 * action's own id (actions.c), fail_action() the slot of now.
 */
CREATE FUNCTION adoption.action_new_slot()
RETURNS smallint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pg_current_xact_id();
	RETURN adoption.action_slot(adoption.action_current_generation());
END
$$;
COMMENT ON FUNCTION adoption.action_new_slot() IS 'Internal: the slot of the action queue''s ring for an action queued now (the default of campaign_action_queue.slot)';

/* Finished actions; the live queue below takes its columns from here. */
CREATE TABLE adoption.campaign_action_archive (
	action_id bigint NOT NULL DEFAULT pg_catalog.nextval('adoption.campaign_action_id_seq'),
	tenant_id text NOT NULL,
	user_id text,
	feature_id text,
	template_key text NOT NULL,
	campaign_id text,
	reason jsonb NOT NULL DEFAULT '{}',
	dedupe_key text NOT NULL,
	status text NOT NULL,
	attempts integer NOT NULL DEFAULT 0,
	available_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	claimed_by text,
	lease_until timestamptz,
	last_error text,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	completed_at timestamptz,
	status_reason text,
	PRIMARY KEY (tenant_id, action_id),
	CHECK (status IN ('done', 'dead', 'withdrawn'))
);
CREATE INDEX campaign_action_archive_id ON adoption.campaign_action_archive (action_id);
COMMENT ON TABLE adoption.campaign_action_archive IS 'Finished campaign actions (done, dead, withdrawn); read adoption.campaign_actions';
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_action_archive', '');

/*
 * The live queue: the archive's columns, its own default and check of
 * status, and the slot of the ring.
 */
CREATE TABLE adoption.campaign_action_queue (
	LIKE adoption.campaign_action_archive INCLUDING DEFAULTS,
	slot smallint NOT NULL DEFAULT adoption.action_new_slot() CHECK (slot BETWEEN 0 AND 15),
	CHECK (status IN ('pending', 'claimed')),
	PRIMARY KEY (tenant_id, action_id, slot)
) PARTITION BY LIST (slot);
ALTER TABLE adoption.campaign_action_queue ALTER COLUMN status SET DEFAULT 'pending';
CREATE INDEX campaign_action_queue_pending ON adoption.campaign_action_queue (available_at, action_id) WHERE status = 'pending';
CREATE INDEX campaign_action_queue_claimed ON adoption.campaign_action_queue (lease_until) WHERE status = 'claimed';
CREATE INDEX campaign_action_queue_id ON adoption.campaign_action_queue (action_id);
COMMENT ON TABLE adoption.campaign_action_queue IS 'Live campaign actions (pending, claimed), in a ring of 16 parts by slot; read adoption.campaign_actions';
COMMENT ON COLUMN adoption.campaign_action_queue.slot IS 'Part of the ring the action is in: its generation (adoption.action_generation()) modulo 16';
DO $$
BEGIN
	FOR s IN 0..adoption.action_ring_slots() OPERATOR(pg_catalog.-) 1 LOOP
		EXECUTE pg_catalog.format('CREATE TABLE adoption.%I PARTITION OF adoption.campaign_action_queue FOR VALUES IN (%s) WITH (fillfactor = 70)',
			'campaign_action_queue_' OPERATOR(pg_catalog.||) s, s);
		EXECUTE pg_catalog.format('COMMENT ON TABLE adoption.%I IS %L', 'campaign_action_queue_' OPERATOR(pg_catalog.||) s,
			'Slot ' OPERATOR(pg_catalog.||) s OPERATOR(pg_catalog.||) ' of the ring of adoption.campaign_action_queue; read the parent');
		/* pg_dump dumps a partitioned table's rows with its parts: each part is registered. */
		PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.format('adoption.%I',
			'campaign_action_queue_' OPERATOR(pg_catalog.||) s)::pg_catalog.regclass, '');
	END LOOP;
END
$$;
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_action_queue', '');

/*
 * One row per slot of the ring: drained_gen is the last generation of the
 * slot found drained (no action of it or of an earlier generation of the
 * slot is live, or ever will be); observed_gen and barrier are the
 * observation advance_action_ring() waits on; drained_xmax the transaction
 * ids that had all ended when the slot was found drained (what
 * truncate_drained_actions() waits for every snapshot to see).  Not
 * dumped: a restored database starts from nothing known, which is safe.
 */
CREATE TABLE adoption.campaign_action_ring (
	slot smallint PRIMARY KEY CHECK (slot BETWEEN 0 AND 15),
	drained_gen bigint NOT NULL,
	observed_gen bigint,
	barrier xid8,
	drained_xmax xid8,
	checked_at timestamptz,
	truncated_gen bigint
);
COMMENT ON TABLE adoption.campaign_action_ring IS 'Internal: the state of the ring of adoption.campaign_action_queue, one row per slot (docs/action-queue.md)';
INSERT INTO adoption.campaign_action_ring (slot, drained_gen)
SELECT s, s OPERATOR(pg_catalog.-) adoption.action_ring_slots()
FROM pg_catalog.generate_series(0, adoption.action_ring_slots() OPERATOR(pg_catalog.-) 1) AS s;

/* The generation of an action id: ids in blocks of 16,384. */
CREATE FUNCTION adoption.action_generation(action_id bigint)
RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN action_id OPERATOR(pg_catalog./) adoption.action_generation_ids();
COMMENT ON FUNCTION adoption.action_generation(bigint) IS 'Internal: the generation of the action queue''s ring that an action id (or a value of the action id sequence) belongs to: blocks of 16,384 ids';

/* The slot of a generation. */
CREATE FUNCTION adoption.action_slot(generation bigint)
RETURNS smallint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (generation OPERATOR(pg_catalog.%) adoption.action_ring_slots())::smallint;
COMMENT ON FUNCTION adoption.action_slot(bigint) IS 'Internal: the slot of the action queue''s ring that holds a generation (the generation modulo 16)';

/*
 * The generation of the action id sequence now, read past any snapshot:
 * every action a snapshot taken before the call can see is of this
 * generation or an earlier one.  Every name qualified and no SET: the
 * caller inlines it.
 */
CREATE FUNCTION adoption.action_current_generation()
RETURNS bigint
LANGUAGE sql VOLATILE
RETURN adoption.action_generation(coalesce(pg_catalog.pg_sequence_last_value('adoption.campaign_action_id_seq'::pg_catalog.regclass), 0));
COMMENT ON FUNCTION adoption.action_current_generation() IS 'Internal: the generation of the last value of adoption.campaign_action_id_seq';

/*
 * The slots a claim must scan: those whose next generation has begun
 * (every slot on a Citus cluster, and any slot found drained in a
 * generation the sequence is not past: it was set back).  Every action a snapshot taken before
 * the call can see is in one of them.
 */
CREATE FUNCTION adoption.action_live_slots()
RETURNS smallint[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cur bigint;
BEGIN
	IF adoption.citus_on_shard() OR adoption.citus_distributed() THEN
		RETURN ARRAY(SELECT s::smallint FROM generate_series(0, adoption.action_ring_slots() - 1) AS s);
	END IF;
	cur := adoption.action_current_generation();
	/* (drained_gen >= cur only if the sequence was set back: then every slot is live.) */
	RETURN ARRAY(SELECT r.slot FROM adoption.campaign_action_ring AS r
		WHERE r.drained_gen + adoption.action_ring_slots() <= cur OR r.drained_gen >= cur ORDER BY r.slot);
END
$$;
COMMENT ON FUNCTION adoption.action_live_slots() IS 'Internal: the slots of the action queue''s ring that may hold a live action (all of them on a Citus cluster)';

/*
 * Returns how many slots it found drained.  One step of the ring's
 * bookkeeping, run by claim_actions() before it claims; does nothing on a
 * Citus cluster or outside READ COMMITTED (its check needs a snapshot
 * newer than the barrier).  For each slot whose last generation found
 * drained is followed by a complete one (handed out: the sequence is past
 * it), at most every 100 ms and without waiting for a claim that is at it:
 *   no observation: note the last complete generation of the slot and the
 *     barrier, the transaction ids in use now (every writer that took an
 *     id of that generation, or read the sequence for a retry, has one: it
 *     takes it first: actions.c, the queue's default for slot, and
 *     take_held_action()'s delete before fail_action() reads the sequence);
 *   observation whose barrier every running transaction has passed: if the
 *     slot holds no row (a new snapshot, so every such writer's rows are
 *     seen), its generations up to the observed one are drained; else
 *     observe again.
 */
CREATE FUNCTION adoption.advance_action_ring()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	/* Scalars, not a record: a plan that reads a record's field is made again at each call. */
	s smallint;
	observed bigint;
	bar xid8;
	cur bigint;
	found_drained integer := 0;
BEGIN
	IF adoption.citus_on_shard() OR adoption.citus_distributed()
		OR current_setting('transaction_isolation') <> 'read committed' THEN
		RETURN 0;
	END IF;
	cur := adoption.action_current_generation();
	FOR s, observed, bar IN
		SELECT g.slot, g.observed_gen, g.barrier FROM adoption.campaign_action_ring AS g
		WHERE g.drained_gen + adoption.action_ring_slots() < cur
			AND (g.checked_at IS NULL OR g.checked_at < clock_timestamp() - interval '100 milliseconds')
		ORDER BY g.drained_gen
		FOR UPDATE SKIP LOCKED
	LOOP
		IF bar IS NOT NULL AND pg_snapshot_xmin(pg_current_snapshot()) >= bar THEN
			IF NOT EXISTS (SELECT FROM adoption.campaign_action_queue AS q WHERE q.slot = s) THEN
				UPDATE adoption.campaign_action_ring AS g
				SET drained_gen = observed, observed_gen = NULL, barrier = NULL,
					drained_xmax = pg_snapshot_xmax(pg_current_snapshot()), checked_at = clock_timestamp()
				WHERE g.slot = s;
				found_drained := found_drained + 1;
				CONTINUE;
			END IF;
			bar := NULL;
		END IF;
		IF bar IS NULL THEN
			/* The last generation of the slot before cur (cur itself may still be handed out). */
			UPDATE adoption.campaign_action_ring AS g
			SET observed_gen = s + adoption.action_ring_slots() * ((cur - 1 - s) / adoption.action_ring_slots()),
				barrier = pg_snapshot_xmax(pg_current_snapshot()), checked_at = clock_timestamp()
			WHERE g.slot = s;
		ELSE
			UPDATE adoption.campaign_action_ring AS g SET checked_at = clock_timestamp() WHERE g.slot = s;
		END IF;
	END LOOP;
	RETURN found_drained;
END
$$;
COMMENT ON FUNCTION adoption.advance_action_ring() IS 'Internal: one step of the bookkeeping of the action queue''s ring (run by claim_actions()); returns the number of slots it found drained';

/*
 * Returns how many slots it truncated.  A drained slot whose next
 * generation has not begun is truncated once no snapshot can still see
 * the rows it held (every backend's xmin and every replication slot's xmin
 * is past the transactions that had ended when it was found drained: a
 * REPEATABLE READ reader never finds actions gone that it saw live), and
 * only if its lock is free at once (NOWAIT: a reader of the queue, a
 * writer or a claim that holds it is never waited for); the ones left
 * are tried again at the next call.  The truncation holds the slot's lock
 * to the end of the caller's transaction: call it in a transaction of its
 * own (upkeep() does, from pg_cron).
 */
CREATE FUNCTION adoption.truncate_drained_actions()
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s smallint;
	drained bigint;
	cur bigint;
	me bigint;
	oldest integer;
	truncated integer := 0;
BEGIN
	IF adoption.citus_on_shard() OR adoption.citus_distributed() THEN
		RETURN 0;
	END IF;
	cur := adoption.action_current_generation();
	me := pg_current_xact_id()::text::bigint;
	/*
	 * age() counts from this transaction's id: the oldest xmin any other
	 * backend's snapshot or a replication slot holds (this one's are newer
	 * than the drain).
	 */
	SELECT max(x.a) INTO oldest FROM (
		SELECT age(a.backend_xmin) AS a FROM pg_stat_activity AS a
		WHERE a.backend_xmin IS NOT NULL AND a.pid <> pg_backend_pid()
		UNION ALL
		SELECT age(rs.xmin) FROM pg_replication_slots AS rs WHERE rs.xmin IS NOT NULL
	) AS x;
	FOR s, drained IN
		SELECT g.slot, g.drained_gen FROM adoption.campaign_action_ring AS g
		WHERE g.drained_gen > coalesce(g.truncated_gen, g.drained_gen - 1) AND g.drained_gen + adoption.action_ring_slots() > cur
			AND g.drained_xmax IS NOT NULL
			AND coalesce(oldest, 0) <= me - g.drained_xmax::text::bigint
		ORDER BY g.slot
		FOR UPDATE SKIP LOCKED
	LOOP
		BEGIN
			EXECUTE format('LOCK TABLE adoption.%I IN ACCESS EXCLUSIVE MODE NOWAIT', 'campaign_action_queue_' || s);
			/* Under the lock no writer is inserting; one that did since is seen. */
			IF NOT EXISTS (SELECT FROM adoption.campaign_action_queue AS q WHERE q.slot = s) THEN
				EXECUTE format('TRUNCATE adoption.%I', 'campaign_action_queue_' || s);
				UPDATE adoption.campaign_action_ring AS g SET truncated_gen = drained WHERE g.slot = s;
				truncated := truncated + 1;
			END IF;
		EXCEPTION WHEN lock_not_available THEN
			NULL;
		END;
	END LOOP;
	RETURN truncated;
END
$$;
COMMENT ON FUNCTION adoption.truncate_drained_actions() IS 'Truncates the drained slots of the action queue''s ring that no snapshot can still read and whose lock is free at once (never waits); returns how many; upkeep() runs it';

CREATE TABLE adoption.campaign_action_keys (
	tenant_id text NOT NULL,
	dedupe_key text NOT NULL,
	action_id bigint NOT NULL,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, dedupe_key)
);
COMMENT ON TABLE adoption.campaign_action_keys IS 'Every dedupe key ever enqueued: an action with a key already here is not enqueued again';
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_action_keys', '');

CREATE VIEW adoption.campaign_actions WITH (security_invoker = true) AS
SELECT action_id, tenant_id, user_id, feature_id, template_key, campaign_id, reason, dedupe_key,
	status, attempts, available_at, claimed_by, lease_until, last_error, created_at, completed_at, status_reason
FROM adoption.campaign_action_queue
UNION ALL
SELECT action_id, tenant_id, user_id, feature_id, template_key, campaign_id, reason, dedupe_key,
	status, attempts, available_at, claimed_by, lease_until, last_error, created_at, completed_at, status_reason
FROM adoption.campaign_action_archive;
COMMENT ON VIEW adoption.campaign_actions IS 'Every campaign action: pending and claimed ones in the queue, done, dead and withdrawn ones in the archive';
COMMENT ON COLUMN adoption.campaign_actions.action_id IS 'Id to pass to complete_action() and fail_action()';
COMMENT ON COLUMN adoption.campaign_actions.tenant_id IS 'Tenant the action is for';
COMMENT ON COLUMN adoption.campaign_actions.user_id IS 'User the action is for; NULL for tenant-level actions';
COMMENT ON COLUMN adoption.campaign_actions.feature_id IS 'Feature the action is about, if any';
COMMENT ON COLUMN adoption.campaign_actions.template_key IS 'Campaign template (adoption.campaign_templates)';
COMMENT ON COLUMN adoption.campaign_actions.campaign_id IS 'Campaign of the template when the action was enqueued';
COMMENT ON COLUMN adoption.campaign_actions.reason IS 'The evidence: milestone, counts, thresholds, times';
COMMENT ON COLUMN adoption.campaign_actions.dedupe_key IS 'Unique per tenant among the actions not withdrawn: the same key is never enqueued twice, unless its action was withdrawn';
COMMENT ON COLUMN adoption.campaign_actions.status IS 'pending, claimed, done, dead, or withdrawn (the play policy forbade it after it was queued; see status_reason)';
COMMENT ON COLUMN adoption.campaign_actions.attempts IS 'Times the action was claimed';
COMMENT ON COLUMN adoption.campaign_actions.available_at IS 'When a worker may claim it (later after a failure: exponential backoff)';
COMMENT ON COLUMN adoption.campaign_actions.claimed_by IS 'Worker holding or last holding it';
COMMENT ON COLUMN adoption.campaign_actions.lease_until IS 'End of the claim; after it another worker may take the action';
COMMENT ON COLUMN adoption.campaign_actions.last_error IS 'Error given to the last fail_action()';
COMMENT ON COLUMN adoption.campaign_actions.created_at IS 'When it was enqueued';
COMMENT ON COLUMN adoption.campaign_actions.completed_at IS 'When it became done, dead or withdrawn';
COMMENT ON COLUMN adoption.campaign_actions.status_reason IS 'Why a withdrawn action was withdrawn (the play policy and the account''s states); NULL otherwise';

/*
 * The one path that queues campaign actions; the C engine (actions.c),
 * enqueue_action() and enqueue_batch() all go through its statement, which
 * lives in actions.c so that the engine runs the same statement on a Citus
 * shard (on the shard's tables; docs/citus.md).  The actions are parallel
 * arrays (reasons, user_ids, feature_ids and available_ats may be NULL or
 * hold NULLs: {}, none, none, now).  It drops the actions whose template is
 * not in adoption.campaign_templates and those the play policy forbids for
 * their account's state now (plays.sql), keeps the first of the actions
 * that share a (tenant_id, dedupe_key), claims each key in
 * adoption.campaign_action_keys (a key in use, i.e. enqueued and not
 * withdrawn, is not used again) and queues the actions whose key it
 * claimed, with ids in the order of the arrays.  Returns what it queued;
 * with notify, one NOTIFY adoption_actions (payload the count) if anything
 * was (the engine sends its own, one per statement).
 */
CREATE FUNCTION adoption.queue_actions(tenant_ids text[], template_keys text[], dedupe_keys text[],
	reasons jsonb[], user_ids text[], feature_ids text[], available_ats timestamptz[], notify boolean)
RETURNS TABLE (tenant_id text, template_key text, action_id bigint)
AS 'MODULE_PATHNAME', 'adoption_queue_actions'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION adoption.queue_actions(text[], text[], text[], jsonb[], text[], text[], timestamptz[], boolean) IS 'The one path that queues campaign actions (parallel arrays): skips unknown templates, plays the play policy forbids and keys already enqueued, claims the keys, queues the rest, optionally notifies; returns what it queued';

/*
 * Returns the action's id, or NULL if an action with dedupe_key exists
 * already or the play policy forbids the play for the account's state now
 * (a NOTICE says which; the key stays free).
 */
CREATE FUNCTION adoption.enqueue_action(tenant_id text, template_key text, dedupe_key text,
	reason jsonb DEFAULT '{}', user_id text DEFAULT NULL, feature_id text DEFAULT NULL,
	available_at timestamptz DEFAULT pg_catalog.now())
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	blocked text;
BEGIN
	IF tenant_id IS NULL OR btrim(tenant_id) = '' THEN
		RAISE EXCEPTION 'tenant_id must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF dedupe_key IS NULL OR dedupe_key = '' THEN
		RAISE EXCEPTION 'dedupe_key must not be empty' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'The key names what the action is about, e.g. the milestone and the user; an action with the same key is enqueued once.';
	END IF;
	PERFORM FROM adoption.campaign_templates AS t WHERE t.template_key = enqueue_action.template_key;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'unknown campaign template "%"', template_key USING ERRCODE = 'undefined_object',
			HINT = 'The templates are the rows of adoption.campaign_templates.';
	END IF;
	SELECT b.reason INTO blocked
	FROM adoption.blocked_plays(ARRAY[enqueue_action.tenant_id], ARRAY[enqueue_action.template_key]) AS b;
	IF blocked IS NOT NULL THEN
		RAISE NOTICE '% not enqueued for tenant "%"', template_key, tenant_id USING DETAIL = blocked || '.',
			HINT = 'The play policy is adoption.play_policy, per tenant adoption.tenant_play_policy.';
		RETURN NULL;
	END IF;
	RETURN (SELECT q.action_id FROM adoption.queue_actions(ARRAY[enqueue_action.tenant_id],
		ARRAY[enqueue_action.template_key], ARRAY[enqueue_action.dedupe_key], ARRAY[enqueue_action.reason],
		ARRAY[enqueue_action.user_id], ARRAY[enqueue_action.feature_id], ARRAY[enqueue_action.available_at], true) AS q);
END
$$;
COMMENT ON FUNCTION adoption.enqueue_action(text, text, text, jsonb, text, text, timestamptz) IS 'Enqueues a campaign action unless one with the same (tenant_id, dedupe_key) was enqueued (and not withdrawn) or the play policy forbids it for the account''s state; returns its id or NULL';

/*
 * Enqueues a batch of actions, each an object with tenant_id, template_key,
 * dedupe_key, reason and optionally user_id and feature_id; an action whose
 * (tenant_id, dedupe_key) was enqueued (and not withdrawn), whose template
 * is gone, or that the play policy forbids for its account's state now
 * (plays.sql) is skipped.  Returns what was enqueued; one NOTIFY if
 * anything was.  The ids follow the order of (tenant_id, dedupe_key).
 */
CREATE FUNCTION adoption.enqueue_batch(actions jsonb)
RETURNS TABLE (tenant_id text, template_key text, action_id bigint)
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	WITH a AS MATERIALIZED (
		SELECT * FROM jsonb_to_recordset(coalesce(actions, '[]')) AS a(tenant_id text, user_id text,
			feature_id text, template_key text, reason jsonb, dedupe_key text)
		ORDER BY a.tenant_id, a.dedupe_key
	)
	SELECT q.tenant_id, q.template_key, q.action_id
	FROM adoption.queue_actions(ARRAY(SELECT a.tenant_id FROM a), ARRAY(SELECT a.template_key FROM a),
		ARRAY(SELECT a.dedupe_key FROM a), ARRAY(SELECT a.reason FROM a), ARRAY(SELECT a.user_id FROM a),
		ARRAY(SELECT a.feature_id FROM a), NULL, true) AS q
$$;
COMMENT ON FUNCTION adoption.enqueue_batch(jsonb) IS 'Enqueues a JSON array of actions {tenant_id, template_key, dedupe_key, reason, user_id, feature_id} set-based, skipping keys already enqueued and plays the play policy forbids; returns what it enqueued';

/*
 * claim_actions()'s claim of due pending actions without the executor
 * (queue.c): claim_direct() says whether it may run (no Citus, no
 * row-level security for the caller, no trigger on the queue, the
 * privileges), claim_pending() claims up to max actions of the live slots
 * in the order and with the locks of the statement it stands for.
 */
CREATE FUNCTION adoption.claim_direct()
RETURNS boolean
AS 'MODULE_PATHNAME', 'adoption_claim_direct'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION adoption.claim_direct() IS 'Internal: whether claim_actions() may claim through adoption.claim_pending()';
CREATE FUNCTION adoption.claim_pending(worker text, max integer, lease interval, live smallint[])
RETURNS SETOF adoption.campaign_actions
AS 'MODULE_PATHNAME', 'adoption_claim_pending'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION adoption.claim_pending(text, integer, interval, smallint[]) IS 'Internal: claims up to max due pending actions of the live slots for worker (claim_actions() without the executor)';

/*
 * Hands out up to max pending actions (and claimed ones whose lease
 * expired) to worker; SKIP LOCKED, so concurrent workers get disjoint sets.
 * Due actions first, by available_at (and action_id among actions due at
 * the same time), from the slots of the ring that may hold live actions.
 */
CREATE FUNCTION adoption.claim_actions(worker text, max integer DEFAULT 100, lease interval DEFAULT '5 minutes')
RETURNS SETOF adoption.campaign_actions
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_sort = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
DECLARE
	claimed bigint;
	live smallint[];
BEGIN
	IF worker IS NULL OR btrim(worker) = '' THEN
		RAISE EXCEPTION 'worker must not be empty' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Name the worker, e.g. its host and process id; complete_action() can check it.';
	END IF;
	IF max IS NULL OR max < 0 THEN
		RAISE EXCEPTION 'max must not be negative, not %', coalesce(max::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF lease IS NULL OR lease <= interval '0' THEN
		RAISE EXCEPTION 'lease must be positive, not %', coalesce(lease::text, 'NULL') USING ERRCODE = 'invalid_parameter_value',
			HINT = 'The lease is how long the worker holds the actions, e.g. ''5 minutes''.';
	END IF;
	/*
	 * On a Citus coordinator: per shard group, on its worker (citus.sql),
	 * with custom plans (Citus plans a distributed statement with
	 * parameters no other way; set back when this function returns).
	 */
	IF adoption.citus_distributed() THEN
		PERFORM set_config('plan_cache_mode', 'auto', true);
		RETURN QUERY SELECT c.* FROM adoption.citus_claim_actions(worker, max, lease) AS c;
		RETURN;
	END IF;

	PERFORM adoption.advance_action_ring();
	/*
	 * The slots to scan, as a list the executor prunes the others by when
	 * it starts the statement (a plan kept for the session: a parameter
	 * array would not prune).  An action committed since this call began
	 * and in a slot not listed is the next claim's, as if it had committed
	 * a moment later.  (One element per slot: adoption.action_ring_slots().)
	 */
	live := adoption.action_live_slots();

	/* Expired leases of actions out of attempts (the tenant's max_attempts): dead, not handed out again. */
	WITH expired AS (
		DELETE FROM adoption.campaign_action_queue AS q
		WHERE q.status = 'claimed' AND q.lease_until < now()
			AND q.attempts >= (adoption.tenant_settings(q.tenant_id)).max_attempts
			AND (q.action_id, q.slot) IN (SELECT e.action_id, e.slot FROM adoption.campaign_action_queue AS e
				WHERE e.status = 'claimed' AND e.lease_until < now()
				FOR UPDATE SKIP LOCKED)
		RETURNING q.*
	)
	INSERT INTO adoption.campaign_action_archive
	SELECT e.action_id, e.tenant_id, e.user_id, e.feature_id, e.template_key, e.campaign_id, e.reason,
		e.dedupe_key, 'dead', e.attempts, e.available_at, e.claimed_by, e.lease_until,
		coalesce(e.last_error, 'lease expired'), e.created_at, now()
	FROM expired AS e;

	/*
	 * Due pending actions first, then actions whose lease expired.  The
	 * first without the executor when it may (claim_pending(), queue.c),
	 * else as this statement.
	 */
	IF adoption.claim_direct() THEN
		RETURN QUERY SELECT c.* FROM adoption.claim_pending(worker, max, lease, live) AS c;
	ELSE
		RETURN QUERY
		WITH locked AS (
			SELECT p.tenant_id, p.action_id, p.slot FROM adoption.campaign_action_queue AS p
			WHERE p.status = 'pending' AND p.available_at <= now()
				AND p.slot IN (live[1], live[2], live[3], live[4], live[5], live[6], live[7], live[8],
					live[9], live[10], live[11], live[12], live[13], live[14], live[15], live[16])
			ORDER BY p.available_at, p.action_id
			LIMIT max
			FOR UPDATE SKIP LOCKED
		)
		UPDATE adoption.campaign_action_queue AS q
		SET status = 'claimed', claimed_by = worker, lease_until = now() + lease, attempts = q.attempts + 1
		FROM locked AS l
		WHERE q.tenant_id = l.tenant_id AND q.action_id = l.action_id AND q.slot = l.slot
		RETURNING q.action_id, q.tenant_id, q.user_id, q.feature_id, q.template_key, q.campaign_id, q.reason,
			q.dedupe_key, q.status, q.attempts, q.available_at, q.claimed_by, q.lease_until, q.last_error,
			q.created_at, q.completed_at, q.status_reason;
	END IF;
	GET DIAGNOSTICS claimed = ROW_COUNT;
	IF claimed < max THEN
		RETURN QUERY
		WITH locked AS (
			SELECT x.tenant_id, x.action_id, x.slot FROM adoption.campaign_action_queue AS x
			WHERE x.status = 'claimed' AND x.lease_until < now()
			ORDER BY x.lease_until
			LIMIT max - claimed
			FOR UPDATE SKIP LOCKED
		)
		UPDATE adoption.campaign_action_queue AS q
		SET claimed_by = worker, lease_until = now() + lease, attempts = q.attempts + 1
		FROM locked AS l
		WHERE q.tenant_id = l.tenant_id AND q.action_id = l.action_id AND q.slot = l.slot
		RETURNING q.action_id, q.tenant_id, q.user_id, q.feature_id, q.template_key, q.campaign_id, q.reason,
			q.dedupe_key, q.status, q.attempts, q.available_at, q.claimed_by, q.lease_until, q.last_error,
			q.created_at, q.completed_at, q.status_reason;
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.claim_actions(text, integer, interval) IS 'Claims up to max due actions for worker for the lease; never hands one action to two workers at once';

/*
 * Finds a live claimed action for complete_action() and fail_action() and
 * locks it (which gives the transaction its id before fail_action() reads
 * the sequence: advance_action_ring()).
 */
CREATE FUNCTION adoption.held_action(action_id bigint, worker text)
RETURNS adoption.campaign_action_queue
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a adoption.campaign_action_queue;
	finished text;
	t text;
	s smallint;
BEGIN
	IF action_id IS NULL THEN
		RAISE EXCEPTION 'action_id must not be NULL' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	/*
	 * The tenant and the slot first: on a Citus cluster a row lock needs
	 * the distribution column (a query routed to one shard).  Every slot:
	 * the action in the slot of its own generation was looked for by
	 * take_held_action() (or complete_action()) already.
	 */
	SELECT q.tenant_id, q.slot INTO t, s FROM adoption.campaign_action_queue AS q WHERE q.action_id = held_action.action_id;
	SELECT q.* INTO a FROM adoption.campaign_action_queue AS q
	WHERE q.tenant_id = t AND q.action_id = held_action.action_id AND q.slot = s FOR UPDATE;
	IF NOT FOUND THEN
		SELECT r.status INTO finished FROM adoption.campaign_action_archive AS r WHERE r.action_id = held_action.action_id;
		IF FOUND THEN
			RAISE EXCEPTION 'campaign action % is already %', action_id, finished
				USING ERRCODE = 'object_not_in_prerequisite_state';
		END IF;
		RAISE EXCEPTION 'campaign action % does not exist', action_id USING ERRCODE = 'no_data_found';
	END IF;
	IF a.status <> 'claimed' THEN
		RAISE EXCEPTION 'campaign action % is not claimed', action_id
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = 'Claim actions with adoption.claim_actions() before completing or failing them.';
	END IF;
	IF worker IS NOT NULL AND a.claimed_by IS DISTINCT FROM worker THEN
		RAISE EXCEPTION 'campaign action % is held by worker "%", not "%"', action_id, a.claimed_by, worker
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	IF a.lease_until < now() THEN
		RAISE EXCEPTION 'the lease of campaign action % expired at %', action_id, a.lease_until
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = 'Another worker may claim it now; claim with a longer lease if the work takes longer.';
	END IF;
	RETURN a;
END
$$;

/*
 * Deletes a live claimed action from the queue for complete_action() and
 * fail_action() and returns it, or raises held_action()'s error.  In one
 * statement when the action is in the slot of its own generation (an
 * action not retried yet) on one node: the DELETE rechecks the claim on
 * the row's latest version, as held_action()'s lock does; else
 * held_action() and a DELETE by key (the tenant first, for Citus).  Its
 * plans, and held_action()'s, are generic (pruned as they run: a custom
 * plan of a statement on the 16 parts costs more to make than to run),
 * but on a Citus coordinator (its setting is restored when it returns).
 */
CREATE FUNCTION adoption.take_held_action(action_id bigint, worker text)
RETURNS adoption.campaign_action_queue
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	a adoption.campaign_action_queue;
	own smallint;
BEGIN
	IF action_id IS NOT NULL AND NOT adoption.citus_distributed() THEN
		own := adoption.action_slot(adoption.action_generation(action_id));
		DELETE FROM adoption.campaign_action_queue AS q
		WHERE q.action_id = take_held_action.action_id AND q.slot = own
			/* a test, not an index condition: the row is found by its id */
			AND CASE WHEN q.status = 'claimed' AND q.lease_until >= now()
				AND (worker IS NULL OR q.claimed_by = worker) THEN true ELSE false END
		RETURNING q.* INTO a;
		IF FOUND THEN
			RETURN a;
		END IF;
	END IF;
	/* Citus plans a distributed statement with parameters only as a custom plan. */
	IF adoption.citus_distributed() THEN
		PERFORM set_config('plan_cache_mode', 'auto', true);
	END IF;
	a := adoption.held_action(action_id, worker);
	DELETE FROM adoption.campaign_action_queue AS q
	WHERE q.tenant_id = a.tenant_id AND q.action_id = a.action_id AND q.slot = a.slot;
	RETURN a;
END
$$;

/*
 * In C (queue.c): the action found in the slot of its own generation is
 * deleted and archived without the executor; anything else (an action
 * queued again in another slot, an error, a Citus cluster) runs
 * take_held_action() and the INSERT into the archive.
 */
CREATE FUNCTION adoption.complete_action(action_id bigint, worker text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'adoption_complete_action'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION adoption.complete_action(bigint, text) IS 'Marks a claimed action done (and moves it to the archive); with worker, checks that worker holds it; returns the new status, done (anything else is an error)';

/*
 * A retry is queued again, pending, in the generation of the sequence now
 * (a new row, not an update across slots: a claim that meets the old one
 * skips it as deleted), so that an old generation drains.
 */
CREATE FUNCTION adoption.fail_action(action_id bigint, error text, worker text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a adoption.campaign_action_queue := adoption.take_held_action(action_id, worker);
	max_attempts integer;
BEGIN
	max_attempts := (adoption.tenant_settings(a.tenant_id)).max_attempts;
	IF a.attempts >= max_attempts THEN
		INSERT INTO adoption.campaign_action_archive
		VALUES (a.action_id, a.tenant_id, a.user_id, a.feature_id, a.template_key, a.campaign_id, a.reason,
			a.dedupe_key, 'dead', a.attempts, a.available_at, a.claimed_by, a.lease_until, error,
			a.created_at, now());
		RETURN 'dead';
	END IF;
	/* Backoff: 30 s after the first failure, doubling, at most a day. */
	INSERT INTO adoption.campaign_action_queue
	VALUES (a.action_id, a.tenant_id, a.user_id, a.feature_id, a.template_key, a.campaign_id, a.reason,
		a.dedupe_key, 'pending', a.attempts,
		now() + least(interval '30 seconds' * power(2, least(a.attempts - 1, 12)), interval '1 day'),
		a.claimed_by, NULL, error, a.created_at, NULL, a.status_reason, DEFAULT);
	RETURN 'pending';
END
$$;
COMMENT ON FUNCTION adoption.fail_action(bigint, text, text) IS 'Records a failed delivery: the action is retried after 30 s, 1 min, 2 min... (at most a day), or is dead after max_attempts; returns the new status';
