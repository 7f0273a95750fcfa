/*
 * plays.sql: the play policy, which campaign plays an account's state
 * allows (docs/customer-success.md, "Plays that agree").
 *
 * An account (tenant) is in zero or more of four states at a time:
 *   at_risk, critical  the risk band of its latest health score;
 *   dormant            no event of any of its users for dormant_after;
 *   cancelled          a billing cancellation not followed by a payment
 *                      or an upgrade (which reactivate it).
 * adoption.play_policy says, per state and campaign template, whether the
 * play is allowed; adoption.tenant_play_policy overrides a cell for one
 * tenant.  A play is allowed when every state the account is in allows it
 * (a healthy or not yet scored account, in no state, gets every play).
 *
 * One rule on every route into the queue: adoption.queue_actions()
 * (actions.sql), through which the ingest engine's milestone actions
 * (actions.c), enqueue_batch() (rescoring, feedback, launches) and
 * enqueue_action() queue, skips a play the account's state forbids without
 * using its dedupe key, so it can be enqueued once the state is over.  Plays
 * queued before the account entered the state are withdrawn: moved to the
 * archive with status 'withdrawn' and a status_reason, their key freed.
 * Withdrawal runs when rescore() scores a tenant (bands and dormancy change
 * there), when a cancellation is recorded, and on demand (withdraw_plays()
 * after a policy change).
 */

CREATE TABLE adoption.play_policy (
	account_state text NOT NULL CHECK (account_state IN ('at_risk', 'critical', 'dormant', 'cancelled')),
	template_key text NOT NULL REFERENCES adoption.campaign_templates (template_key) ON DELETE CASCADE,
	allowed boolean NOT NULL,
	PRIMARY KEY (account_state, template_key)
);
COMMENT ON TABLE adoption.play_policy IS 'Product-wide play policy: whether an account in a state (at_risk, critical, dormant, cancelled) may get a campaign play; a template without a row for a state is allowed in it';

INSERT INTO adoption.play_policy (account_state, template_key, allowed)
SELECT s.account_state, t.template_key, NOT (
	/* Upsell and advocacy need a healthy account. */
	(t.template_key IN ('expansion_offer', 'case_study') AND s.account_state IN ('at_risk', 'critical', 'dormant', 'cancelled'))
	OR (t.template_key = 'advanced_feature' AND s.account_state IN ('critical', 'dormant', 'cancelled'))
	/* A cancelled account gets win_back and a follow-up of its complaints, nothing else. */
	OR (s.account_state = 'cancelled' AND t.template_key NOT IN ('win_back', 'pain_point_followup')))
FROM (VALUES ('at_risk'), ('critical'), ('dormant'), ('cancelled')) AS s (account_state)
CROSS JOIN (VALUES ('adoption_success'), ('adoption_nudge'), ('advanced_feature'), ('retention_intervention'),
	('escalate_to_cs'), ('win_back'), ('case_study'), ('pain_point_followup'), ('expansion_offer'),
	('launch_announcement')) AS t (template_key);

CREATE TABLE adoption.tenant_play_policy (
	tenant_id text NOT NULL CHECK (pg_catalog.btrim(tenant_id) <> ''),
	account_state text NOT NULL CHECK (account_state IN ('at_risk', 'critical', 'dormant', 'cancelled')),
	template_key text NOT NULL REFERENCES adoption.campaign_templates (template_key) ON DELETE CASCADE,
	allowed boolean NOT NULL,
	PRIMARY KEY (tenant_id, account_state, template_key)
);
COMMENT ON TABLE adoption.tenant_play_policy IS 'Per-tenant overrides of adoption.play_policy: a row here decides the cell for its tenant';
SELECT pg_catalog.pg_extension_config_dump('adoption.tenant_play_policy', '');

/* The seeded defaults may be edited; a restore (or a user) inserting an existing cell updates it. */
CREATE FUNCTION adoption.merge_play_policy()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	/* The table the trigger fired on: on Citus, a shard of the reference table. */
	EXECUTE format('UPDATE %s AS p SET allowed = $1 WHERE p.account_state = $2 AND p.template_key = $3',
		TG_RELID::regclass) USING NEW.allowed, NEW.account_state, NEW.template_key;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		RETURN NULL;
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER play_policy_merge BEFORE INSERT ON adoption.play_policy
	FOR EACH ROW EXECUTE FUNCTION adoption.merge_play_policy();
SELECT pg_catalog.pg_extension_config_dump('adoption.play_policy', '');

/*
 * A tenant's latest event at or before as_of, from the log.  A function of
 * its own (with SET: never inlined) so that the queries that inline
 * account_states() plan this lookup over every partition of the log only
 * when it runs: rarely, since tenant_state's last_event_at answers unless
 * it is after as_of.
 */
CREATE FUNCTION adoption.last_event_up_to(tenant_id text, as_of timestamptz)
RETURNS timestamptz
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT max(v.usage_timestamp) FROM adoption.feature_usage_events AS v
	WHERE v.tenant_id = last_event_up_to.tenant_id AND v.usage_timestamp <= last_event_up_to.as_of
$$;
COMMENT ON FUNCTION adoption.last_event_up_to(text, timestamptz) IS 'A tenant''s latest event at or before as_of, from the log (account_states() when tenant_state is ahead of as_of)';

/*
 * The states of each tenant of tenant_ids as of as_of (NULL ids skipped).
 * risk: the latest health score scored at or before as_of.  last_event_at:
 * tenant_state's when it is not after as_of (exact), else the log's latest
 * event up to as_of.  cancelled_at: the latest cancellation up to as_of with
 * no payment_succeeded or upgrade after it (up to as_of).  The settings in
 * force come from the tenants' own settings rows and the defaults row
 * (settings_in_force(), as in effective_settings), not from the view: its
 * join to every row of adoption.tenants was planned as a hash of all the
 * tenants' settings, built at each statement that enqueues an action.
 */
CREATE FUNCTION adoption.account_states(tenant_ids text[], as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (tenant_id text, risk text, scored_at timestamptz, last_event_at timestamptz,
	dormant boolean, cancelled_at timestamptz, states text[])
LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT x.tenant_id, x.risk, x.scored_at, x.last_event_at, x.dormant, x.cancelled_at,
		array_remove(ARRAY[CASE WHEN x.risk IN ('at_risk', 'critical') THEN x.risk END,
			CASE WHEN x.dormant THEN 'dormant' END,
			CASE WHEN x.cancelled_at IS NOT NULL THEN 'cancelled' END], NULL)
	FROM (
		SELECT i.tenant_id, h.risk, h.scored_at, le.last_event_at,
			coalesce(le.last_event_at <= as_of - e.dormant_after, false) AS dormant,
			c.occurred_at AS cancelled_at
		FROM (SELECT DISTINCT u.tenant_id FROM unnest(tenant_ids) AS u(tenant_id) WHERE u.tenant_id IS NOT NULL) AS i
		CROSS JOIN adoption.settings AS sd
		LEFT JOIN adoption.settings AS so ON so.tenant_id = i.tenant_id
		CROSS JOIN LATERAL adoption.settings_in_force(i.tenant_id, ROW(sd.*)::adoption.settings,
			ROW(so.*)::adoption.settings) AS e
		LEFT JOIN LATERAL (SELECT s.risk, s.scored_at FROM adoption.health_scores AS s
			WHERE s.tenant_id = i.tenant_id AND s.scored_at <= as_of
			ORDER BY s.scored_at DESC LIMIT 1) AS h ON true
		LEFT JOIN LATERAL (SELECT CASE WHEN t.last_event_at <= as_of THEN t.last_event_at
				ELSE adoption.last_event_up_to(i.tenant_id, as_of) END AS last_event_at
			FROM adoption.tenant_state AS t WHERE t.tenant_id = i.tenant_id) AS le ON true
		LEFT JOIN LATERAL (SELECT b.occurred_at FROM adoption.billing_events AS b
			WHERE b.tenant_id = i.tenant_id AND b.kind = 'cancellation' AND b.occurred_at <= as_of
				AND NOT EXISTS (SELECT 1 FROM adoption.billing_events AS r
					WHERE r.tenant_id = b.tenant_id AND r.kind IN ('payment_succeeded', 'upgrade')
						AND r.occurred_at > b.occurred_at AND r.occurred_at <= as_of)
			ORDER BY b.occurred_at DESC LIMIT 1) AS c ON true
		WHERE sd.tenant_id IS NULL
	) AS x;
END;
COMMENT ON FUNCTION adoption.account_states(text[], timestamptz) IS 'Per tenant as of a time: the risk band of its latest score, its last event and whether it is dormant, its standing cancellation, and the states the play policy knows (at_risk, critical, dormant, cancelled)';

/* The effective policy cell: the tenant's override, else the product-wide rule, else allowed. */
CREATE FUNCTION adoption.play_allowed(tenant_id text, account_state text, template_key text)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(
		(SELECT o.allowed FROM adoption.tenant_play_policy AS o
			WHERE o.tenant_id = play_allowed.tenant_id AND o.account_state = play_allowed.account_state
				AND o.template_key = play_allowed.template_key),
		(SELECT p.allowed FROM adoption.play_policy AS p
			WHERE p.account_state = play_allowed.account_state AND p.template_key = play_allowed.template_key),
		true)
$$;
COMMENT ON FUNCTION adoption.play_allowed(text, text, text) IS 'Whether the play policy lets a tenant in account_state get template_key (tenant override, else adoption.play_policy, else true)';

/*
 * Of the (tenant, template) pairs given as parallel arrays, those the
 * tenants' states forbid as of as_of, with the forbidding states and the
 * reason written into a withdrawn action.  Set-based: one call per batch.
 *
 * This and account_states() have SQL-standard bodies (BEGIN ATOMIC: names
 * resolved when they are created, so they need no search_path of their
 * own) and no SET clause, and blocked_plays() passes account_states() no
 * sub-select: so the planner inlines both into the query that calls them.
 * The ingest trigger's enqueue statement (src/actions.c) is a kept plan;
 * inlined, the policy is planned once with it instead of at every
 * statement that enqueues (a function with SET is planned at each call).
 * On a Citus worker, in a shard scope, they run out of line instead, so
 * that their statements read the shard group's shards (src/citus.c).
 */
CREATE FUNCTION adoption.blocked_plays(tenant_ids text[], template_keys text[], as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (tenant_id text, template_key text, states text[], reason text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	WITH pairs AS (
		SELECT DISTINCT p.tenant_id, p.template_key
		FROM unnest(tenant_ids, template_keys) AS p(tenant_id, template_key)
		WHERE p.tenant_id IS NOT NULL AND p.template_key IS NOT NULL
	)
	SELECT pairs.tenant_id, pairs.template_key, b.states,
		format('play policy: %s is not allowed for an account that is %s', pairs.template_key,
			array_to_string(b.states, ' and '))
	FROM pairs
	CROSS JOIN LATERAL adoption.account_states(ARRAY[pairs.tenant_id], as_of) AS st
	CROSS JOIN LATERAL (SELECT array_agg(s.state ORDER BY s.ord) AS states
		FROM unnest(st.states) WITH ORDINALITY AS s(state, ord)
		LEFT JOIN adoption.play_policy AS p ON p.account_state = s.state AND p.template_key = pairs.template_key
		LEFT JOIN adoption.tenant_play_policy AS o ON o.tenant_id = pairs.tenant_id
			AND o.account_state = s.state AND o.template_key = pairs.template_key
		WHERE NOT coalesce(o.allowed, p.allowed, true)) AS b
	WHERE cardinality(st.states) > 0 AND b.states IS NOT NULL;
END;
COMMENT ON FUNCTION adoption.blocked_plays(text[], text[], timestamptz) IS 'Of the (tenant_id, template_key) pairs of two parallel arrays, those the play policy forbids given the tenants'' states as of as_of, with the forbidding states and a reason';

/*
 * Withdraws the queued plays (pending, or claimed with an expired lease) of
 * the given tenants (NULL: all) that the policy forbids now: each moves to
 * the archive with status 'withdrawn', status_reason saying why, and
 * completed_at the time of withdrawal; its dedupe key is freed so that the
 * play can come again once the account leaves the state.  A play a worker
 * holds under a live lease is left to it.  Returns how many were withdrawn.
 */
CREATE FUNCTION adoption.withdraw_plays(tenant_ids text[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
BEGIN
	WITH live AS (
		SELECT q.tenant_id, q.action_id, q.template_key
		FROM adoption.campaign_action_queue AS q
		WHERE (withdraw_plays.tenant_ids IS NULL OR q.tenant_id = ANY (withdraw_plays.tenant_ids))
			AND (q.status = 'pending' OR q.lease_until < now())
		FOR UPDATE SKIP LOCKED
	), b AS (
		SELECT * FROM adoption.blocked_plays(
			ARRAY(SELECT live.tenant_id FROM live), ARRAY(SELECT live.template_key FROM live))
	), gone AS (
		DELETE FROM adoption.campaign_action_queue AS q
		USING live, b
		WHERE q.tenant_id = live.tenant_id AND q.action_id = live.action_id
			AND b.tenant_id = live.tenant_id AND b.template_key = live.template_key
		RETURNING q.*, b.reason AS why
	), archived AS (
		INSERT INTO adoption.campaign_action_archive (action_id, tenant_id, user_id, feature_id,
			template_key, campaign_id, reason, dedupe_key, status, attempts, available_at, claimed_by,
			lease_until, last_error, created_at, completed_at, status_reason)
		SELECT g.action_id, g.tenant_id, g.user_id, g.feature_id, g.template_key, g.campaign_id, g.reason,
			g.dedupe_key, 'withdrawn', g.attempts, g.available_at, g.claimed_by, g.lease_until, g.last_error,
			g.created_at, now(), g.why
		FROM gone AS g
		RETURNING tenant_id, dedupe_key, action_id
	)
	DELETE FROM adoption.campaign_action_keys AS k
	USING archived AS a
	WHERE k.tenant_id = a.tenant_id AND k.dedupe_key = a.dedupe_key AND k.action_id = a.action_id;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION adoption.withdraw_plays(text[]) IS 'Withdraws the queued plays of the tenants (NULL: all) that the play policy now forbids: status withdrawn with a status_reason, kept in the archive, dedupe key freed; returns how many';

/* AFTER INSERT statement trigger of billing_events: a cancellation withdraws the plays it forbids at once. */
CREATE FUNCTION adoption.billing_withdraw_plays()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ids text[];
BEGIN
	SELECT array_agg(DISTINCT n.tenant_id) INTO ids FROM new_rows AS n WHERE n.kind = 'cancellation';
	IF ids IS NOT NULL THEN
		/* On a Citus shard (a worker): on its shard group (citus.sql). */
		PERFORM adoption.citus_enter_shard(TG_RELID);
		PERFORM adoption.withdraw_plays(ids);
		PERFORM adoption.citus_leave();
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER billing_events_withdraw_plays
	AFTER INSERT ON adoption.billing_events
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.billing_withdraw_plays();
COMMENT ON FUNCTION adoption.billing_withdraw_plays() IS 'AFTER INSERT statement trigger of adoption.billing_events: withdraws the queued plays a new cancellation forbids';

CREATE VIEW adoption.account_play_policy WITH (security_invoker = true) AS
SELECT t.tenant_id, s.account_state, c.template_key,
	coalesce(o.allowed, p.allowed, true) AS allowed,
	CASE WHEN o.allowed IS NOT NULL THEN 'tenant' WHEN p.allowed IS NOT NULL THEN 'default' ELSE 'unlisted' END AS source
FROM adoption.tenants AS t
CROSS JOIN (VALUES ('at_risk'), ('critical'), ('dormant'), ('cancelled')) AS s (account_state)
CROSS JOIN adoption.campaign_templates AS c
LEFT JOIN adoption.play_policy AS p ON p.account_state OPERATOR(pg_catalog.=) s.account_state
	AND p.template_key OPERATOR(pg_catalog.=) c.template_key
LEFT JOIN adoption.tenant_play_policy AS o ON o.tenant_id OPERATOR(pg_catalog.=) t.tenant_id
	AND o.account_state OPERATOR(pg_catalog.=) s.account_state AND o.template_key OPERATOR(pg_catalog.=) c.template_key;
COMMENT ON VIEW adoption.account_play_policy IS 'The effective play policy of every tenant: per account state and campaign template, whether the play is allowed and where the rule comes from';
COMMENT ON COLUMN adoption.account_play_policy.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.account_play_policy.account_state IS 'at_risk, critical, dormant or cancelled';
COMMENT ON COLUMN adoption.account_play_policy.template_key IS 'Campaign template (the play)';
COMMENT ON COLUMN adoption.account_play_policy.allowed IS 'Whether an account in the state may get the play';
COMMENT ON COLUMN adoption.account_play_policy.source IS 'tenant (adoption.tenant_play_policy), default (adoption.play_policy) or unlisted (no rule: allowed)';
