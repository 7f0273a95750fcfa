/*
 * sql_trigger.sql: the SQL baseline of the ingest trigger, for
 * test/bench/sql_baseline_bench.sh.
 *
 *   psql -d <db with pg_adoption> -f test/bench/sql_trigger.sql
 *
 * Creates adoption_bench.track_events_sql(), the adoption state maintenance
 * of adoption.track_events() (src/ingest.c, src/state.c) written the way a
 * skilled SQL user would write it: a PL/pgSQL statement-level AFTER INSERT
 * trigger with a transition table, set-based (a few statements per
 * triggering statement, no per-row loop), using the default settings row of
 * adoption.settings.  Then it disables adoption.track_events on the event
 * log and attaches the SQL trigger in its place (track_events_sql).  Run it
 * after CREATE EXTENSION pg_adoption; DROP EXTENSION ... CASCADE drops the
 * trigger with the table, the function stays in schema adoption_bench.
 *
 * Per triggering statement:
 *   1. validates the new rows with one scan (the checks of src/ingest.c);
 *   2. registers unseen tenants and features (INSERT ... SELECT DISTINCT ...
 *      ON CONFLICT), renaming features whose event carries a feature_name;
 *   3. one statement upserts adoption.user_feature_state from per user x
 *      feature aggregates of the new rows (existing rows are locked first,
 *      in key order), and enqueues the habitual actions of the users that
 *      became habitual;
 *   4. one statement upserts adoption.tenant_user_state from per tenant x
 *      user aggregates and adoption.tenant_state from per tenant ones;
 *   5. one statement recounts adoption.tenant_feature_counts for every
 *      tenant x feature pair the rows touched, with one GROUP BY over
 *      adoption.user_feature_state;
 *   6. one statement recounts the touched tenants' active users and looks
 *      at every feature of theirs: a feature whose adoption and success
 *      rates over the tenant's active users meet the thresholds at the
 *      tenant's latest event time gets feature_adopted and its action.
 *
 * What it computes like the C engine: first/last use, uses, successes,
 * total duration, velocity_per_week (7-day half-life decay, x ln 2), the
 * tenant counts and rates, the action queue rows and dedupe keys
 * (jsonb_build_array(milestone, feature_id, user_id)::text, as
 * src/actions.c), one NOTIFY adoption_actions per statement that enqueued.
 *
 * Approximations (fine for a cost baseline, not for the definitions of
 * docs/adoption-state.md):
 *   - activated_at is the earliest use of the first statement that saw the
 *     user, not the time of the first event to arrive;
 *   - adopted_at: the old successes of a user are taken to precede the new
 *     ones (their times are not kept), so the aha_successes-th success is the
 *     (aha_successes - old successes)-th success of the statement in time
 *     order (the C engine: the aha_successes-th smallest time among the
 *     successes that had arrived when the aha_successes-th one arrived, so
 *     the two differ when a statement's events are not in time order);
 *   - habitual_at: only the statement's own uses are counted in the 7-day
 *     window (count(*) OVER (... RANGE BETWEEN '7 days' PRECEDING AND
 *     CURRENT ROW)), not older uses within 7 days, and the window is closed
 *     (the C engine wants the uses to span less than 7 days; it also
 *     forgets use times more than 35 days older than the latest it has seen,
 *     so it finds fewer habitual users when events arrive out of time order);
 *   - when one statement sends several names for a feature, the greatest
 *     wins (the C engine: the last to arrive);
 *   - feature_adopted is looked at only at the tenant's latest event time
 *     after each statement and, once reached, stays where it was reached
 *     (the C engine: the earliest event time at which the rates met the
 *     thresholds, moved or removed by late events; src/tenant.c);
 *   - tenant_user_state.activity holds one span from the first to the last
 *     event (the C engine keeps the gaps);
 *   - tenant_state.open_adopters and last_feature_adopted_at are not kept;
 *   - velocity sums 2^((t - ref) / 7 days) against one reference time per
 *     statement (now() + max_future_skew), so uses more than ~19 years older
 *     than that underflow to 0;
 *   - a user x feature row created concurrently by another session between
 *     the lock and the upsert is overwritten, not merged (no lock protects
 *     first sight); the benchmark loads from one session;
 *   - per-tenant settings overrides are ignored (defaults row only).
 */
\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE SCHEMA IF NOT EXISTS adoption_bench;

/*
 * A valid value of adoption.tenant_user_state.activity (src/tenant.c: int64
 * window, int32 count, int32 0, then int64 start and end per span, in the
 * machine's byte order, taken here as little-endian) holding one span from
 * the first to the last event: the baseline keeps no gaps, and the C engine
 * can take the rows over when the benchmarks alternate the two triggers.
 */
CREATE OR REPLACE FUNCTION adoption_bench.le8(v bigint)
RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT decode(string_agg(lpad(to_hex((v >> (8 * i)) & 255), 2, '0'), '' ORDER BY i), 'hex')
	FROM generate_series(0, 7) AS i
$$;

CREATE OR REPLACE FUNCTION adoption_bench.one_span(first_at timestamptz, last_at timestamptz, w interval)
RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT adoption_bench.le8((extract(epoch FROM w) * 1000000)::bigint)
		|| '\x0100000000000000'::bytea
		|| adoption_bench.le8(((extract(epoch FROM first_at) - 946684800) * 1000000)::bigint)
		|| adoption_bench.le8(((extract(epoch FROM last_at) - 946684800) * 1000000)::bigint)
$$;

/* The actions of a milestone, as the queue takes them. */
DROP FUNCTION IF EXISTS adoption_bench.queue(adoption_bench.action[]);
DROP TYPE IF EXISTS adoption_bench.action;
CREATE TYPE adoption_bench.action AS (
	action_id bigint, tenant_id text, user_id text, feature_id text, template_key text,
	campaign_id text, reason jsonb, dedupe_key text
);

/*
 * Enqueues actions: claims each one's dedupe key and queues those whose key
 * it claimed (so a milestone keeps its one action); returns how many.
 */
CREATE FUNCTION adoption_bench.queue(actions adoption_bench.action[])
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	WITH a AS (
		SELECT * FROM unnest(actions)
	), claimed AS (
		INSERT INTO adoption.campaign_action_keys (tenant_id, dedupe_key, action_id)
		SELECT a.tenant_id, a.dedupe_key, a.action_id FROM a
		ON CONFLICT DO NOTHING
		RETURNING action_id
	), queued AS (
		INSERT INTO adoption.campaign_action_queue (action_id, tenant_id, user_id, feature_id,
			template_key, campaign_id, reason, dedupe_key)
		SELECT a.action_id, a.tenant_id, a.user_id, a.feature_id, a.template_key, a.campaign_id,
			a.reason, a.dedupe_key
		FROM a JOIN claimed AS c ON c.action_id = a.action_id
		RETURNING 1
	)
	SELECT count(*) FROM queued
$$;

CREATE OR REPLACE FUNCTION adoption_bench.track_events_sql()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	st adoption.settings;
	bad record;
	ref double precision;		-- epoch seconds every velocity term is taken against
	week constant double precision := 7 * 86400;
	enqueued bigint := 0;
	actions adoption_bench.action[];
BEGIN
	SELECT s.* INTO STRICT st FROM adoption.settings AS s WHERE s.tenant_id IS NULL;

	/* 1. Validation: one scan, the first bad row names the problem. */
	SELECT e.event_id, e.tenant_id,
		CASE
			WHEN btrim(e.tenant_id) = '' THEN 'tenant_id must not be empty'
			WHEN btrim(e.user_id) = '' THEN 'user_id must not be empty'
			WHEN btrim(e.feature_id) = '' THEN 'feature_id must not be empty'
			WHEN btrim(e.feature_name) = '' THEN 'feature_name must not be empty'
			WHEN e.session_duration < 0 THEN 'session_duration must not be negative: ' || e.session_duration
			WHEN NOT isfinite(e.usage_timestamp) THEN 'usage_timestamp must be a finite time'
			WHEN e.usage_timestamp > now() + st.max_future_skew THEN 'usage_timestamp ' || e.usage_timestamp || ' is too far in the future'
			ELSE 'integration_context must be a JSON object, not ' || e.integration_context::text
		END AS problem
	INTO bad
	FROM new_events AS e
	WHERE btrim(e.tenant_id) = '' OR btrim(e.user_id) = '' OR btrim(e.feature_id) = ''
		OR btrim(e.feature_name) = '' OR e.session_duration < 0
		OR NOT isfinite(e.usage_timestamp) OR e.usage_timestamp > now() + st.max_future_skew
		OR jsonb_typeof(e.integration_context) <> 'object'
	LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION '%', bad.problem USING ERRCODE = 'check_violation',
			DETAIL = format('The event with event_id %s of tenant "%s".', bad.event_id, bad.tenant_id);
	END IF;

	/* 2. Unseen tenants and features; a feature_name renames its feature. */
	INSERT INTO adoption.tenants (tenant_id)
	SELECT DISTINCT e.tenant_id FROM new_events AS e
	ORDER BY 1
	ON CONFLICT (tenant_id) DO NOTHING;

	INSERT INTO adoption.features (feature_id, feature_name)
	SELECT e.feature_id, max(e.feature_name) FROM new_events AS e
	GROUP BY e.feature_id
	ORDER BY 1
	ON CONFLICT (feature_id) DO NOTHING;

	/* (an UPDATE only where a name is sent: DO UPDATE would lock every known feature's row) */
	UPDATE adoption.features AS f SET feature_name = r.feature_name
	FROM (
		SELECT e.feature_id, max(e.feature_name) AS feature_name FROM new_events AS e
		WHERE e.feature_name IS NOT NULL
		GROUP BY e.feature_id
	) AS r
	WHERE f.feature_id = r.feature_id AND f.feature_name IS DISTINCT FROM r.feature_name;

	/* 3. User x feature state, and the habitual actions. */
	ref := date_part('epoch', now() + st.max_future_skew);
	WITH ev AS (
		SELECT e.tenant_id, e.feature_id, e.user_id, e.usage_timestamp AS ts,
			e.success_outcome AS ok, e.session_duration AS dur,
			/* the ordinal of a success among the key's successes of the statement */
			count(*) FILTER (WHERE e.success_outcome) OVER w_run AS success_no,
			/* the key's uses within the 7 days up to this one */
			count(*) OVER w_7d AS uses_7d
		FROM new_events AS e
		WINDOW w_run AS (PARTITION BY e.tenant_id, e.feature_id, e.user_id ORDER BY e.usage_timestamp
				ROWS UNBOUNDED PRECEDING),
			w_7d AS (PARTITION BY e.tenant_id, e.feature_id, e.user_id ORDER BY e.usage_timestamp
				RANGE BETWEEN interval '7 days' PRECEDING AND CURRENT ROW)
	), agg AS (
		SELECT ev.tenant_id, ev.feature_id, ev.user_id,
			min(ev.ts) AS first_ts, max(ev.ts) AS last_ts,
			count(*) AS n, count(*) FILTER (WHERE ev.ok) AS n_ok, sum(ev.dur) AS dur,
			sum(2 ^ ((date_part('epoch', ev.ts) - ref) / week)) AS decayed_at_ref,
			/* the first aha_successes successes of the statement, in time order */
			array_agg(ev.ts ORDER BY ev.success_no) FILTER (WHERE ev.ok AND ev.success_no <= st.aha_successes) AS early_successes,
			min(ev.ts) FILTER (WHERE ev.uses_7d >= st.usage_velocity_threshold) AS habitual_ts
		FROM ev
		GROUP BY ev.tenant_id, ev.feature_id, ev.user_id
	), old_users AS (
		SELECT s.tenant_id, s.feature_id, s.user_id, s.first_used_at, s.last_used_at, s.uses,
			s.successes, s.total_duration, s.velocity_per_week, s.activated_at, s.adopted_at, s.habitual_at
		FROM adoption.user_feature_state AS s
		JOIN agg AS a ON a.tenant_id = s.tenant_id AND a.feature_id = s.feature_id AND a.user_id = s.user_id
		ORDER BY s.tenant_id, s.feature_id, s.user_id
		FOR UPDATE OF s
	), merged AS (
		SELECT a.tenant_id, a.feature_id, a.user_id,
			least(o.first_used_at, a.first_ts) AS first_used_at,
			l.last_used_at,
			coalesce(o.uses, 0) + a.n AS uses,
			coalesce(o.successes, 0) + a.n_ok AS successes,
			coalesce(o.total_duration, 0) + a.dur AS total_duration,
			/* old velocity decayed to the new last use, plus the new uses decayed to it */
			coalesce(o.velocity_per_week * 2 ^ (-date_part('epoch', l.last_used_at - o.last_used_at) / week), 0)
				+ ln(2) * a.decayed_at_ref * 2 ^ ((ref - date_part('epoch', l.last_used_at)) / week) AS velocity_per_week,
			coalesce(o.activated_at, a.first_ts) AS activated_at,
			coalesce(o.adopted_at,
				CASE WHEN coalesce(o.successes, 0) + a.n_ok >= st.aha_successes
					THEN a.early_successes[st.aha_successes - coalesce(o.successes, 0)] END) AS adopted_at,
			coalesce(o.habitual_at, a.habitual_ts) AS habitual_at,
			o.habitual_at IS NULL AND a.habitual_ts IS NOT NULL AS became_habitual
		FROM agg AS a
		LEFT JOIN old_users AS o ON o.tenant_id = a.tenant_id AND o.feature_id = a.feature_id AND o.user_id = a.user_id
		CROSS JOIN LATERAL (SELECT greatest(o.last_used_at, a.last_ts) AS last_used_at) AS l
	), upsert AS (
		INSERT INTO adoption.user_feature_state AS s (tenant_id, feature_id, user_id, first_used_at,
			last_used_at, uses, successes, total_duration, velocity_per_week, activated_at, adopted_at,
			habitual_at)
		SELECT m.tenant_id, m.feature_id, m.user_id, m.first_used_at, m.last_used_at, m.uses, m.successes,
			m.total_duration, m.velocity_per_week, m.activated_at, m.adopted_at, m.habitual_at
		FROM merged AS m
		ORDER BY m.tenant_id, m.feature_id, m.user_id
		ON CONFLICT (tenant_id, feature_id, user_id) DO UPDATE SET
			first_used_at = excluded.first_used_at, last_used_at = excluded.last_used_at,
			uses = excluded.uses, successes = excluded.successes, total_duration = excluded.total_duration,
			velocity_per_week = excluded.velocity_per_week, activated_at = excluded.activated_at,
			adopted_at = excluded.adopted_at, habitual_at = excluded.habitual_at, updated_at = now()
	), input AS (
		SELECT nextval('adoption.campaign_action_id_seq') AS id, m.tenant_id, m.user_id, m.feature_id,
			c.template_key, t.campaign_id,
			jsonb_build_object('milestone', 'habitual', 'reached_at', m.habitual_at, 'uses', m.uses,
				'successes', m.successes, 'first_used_at', m.first_used_at,
				'usage_velocity_threshold', st.usage_velocity_threshold, 'window', '7 days',
				'velocity_per_week', m.velocity_per_week) AS reason,
			jsonb_build_array('habitual', m.feature_id, m.user_id)::text AS dedupe_key
		FROM merged AS m
		JOIN adoption.milestone_campaigns AS c ON c.milestone = 'habitual' AND c.enabled
		JOIN adoption.campaign_templates AS t ON t.template_key = c.template_key
		WHERE m.became_habitual
	)
	SELECT array_agg(ROW(i.id, i.tenant_id, i.user_id, i.feature_id, i.template_key, i.campaign_id,
		i.reason, i.dedupe_key)::adoption_bench.action) INTO actions
	FROM input AS i;
	IF actions IS NOT NULL THEN
		enqueued := enqueued + adoption_bench.queue(actions);
	END IF;

	/* 4. Tenant x user facts, then the tenants' totals (new users counted once). */
	WITH agg AS (
		SELECT e.tenant_id, e.user_id, min(e.usage_timestamp) AS first_ts, max(e.usage_timestamp) AS last_ts,
			count(*) AS n, count(*) FILTER (WHERE e.success_outcome) AS n_ok
		FROM new_events AS e
		GROUP BY e.tenant_id, e.user_id
	), upsert AS (
		INSERT INTO adoption.tenant_user_state AS s (tenant_id, user_id, first_seen_at, last_seen_at, uses,
			successes, activity)
		SELECT a.tenant_id, a.user_id, a.first_ts, a.last_ts, a.n, a.n_ok,
			adoption_bench.one_span(a.first_ts, a.last_ts, st.active_window)
		FROM agg AS a
		ORDER BY a.tenant_id, a.user_id
		ON CONFLICT (tenant_id, user_id) DO UPDATE SET
			first_seen_at = least(s.first_seen_at, excluded.first_seen_at),
			last_seen_at = greatest(s.last_seen_at, excluded.last_seen_at),
			uses = s.uses + excluded.uses, successes = s.successes + excluded.successes,
			activity = adoption_bench.one_span(least(s.first_seen_at, excluded.first_seen_at),
				greatest(s.last_seen_at, excluded.last_seen_at), st.active_window),
			updated_at = now()
		RETURNING s.tenant_id, s.xmax = '0'::xid AS inserted
	)
	INSERT INTO adoption.tenant_state AS s (tenant_id, first_event_at, last_event_at, users, uses, successes)
	SELECT a.tenant_id, min(a.first_ts), max(a.last_ts),
		(SELECT count(*) FROM upsert AS u WHERE u.tenant_id = a.tenant_id AND u.inserted),
		sum(a.n), sum(a.n_ok)
	FROM agg AS a
	GROUP BY a.tenant_id
	ORDER BY a.tenant_id
	ON CONFLICT (tenant_id) DO UPDATE SET
		first_event_at = least(s.first_event_at, excluded.first_event_at),
		last_event_at = greatest(s.last_event_at, excluded.last_event_at),
		users = s.users + excluded.users, uses = s.uses + excluded.uses,
		successes = s.successes + excluded.successes, updated_at = now();

	/* 5. The touched pairs' counts, from the user x feature rows. */
	INSERT INTO adoption.tenant_feature_counts AS c (tenant_id, feature_id, activated_users, adopted_users,
		habitual_users)
	SELECT u.tenant_id, u.feature_id, count(u.activated_at), count(u.adopted_at), count(u.habitual_at)
	FROM adoption.user_feature_state AS u
	JOIN (SELECT DISTINCT e.tenant_id, e.feature_id FROM new_events AS e) AS t
		ON t.tenant_id = u.tenant_id AND t.feature_id = u.feature_id
	GROUP BY u.tenant_id, u.feature_id
	ORDER BY u.tenant_id, u.feature_id
	ON CONFLICT (tenant_id, feature_id) DO UPDATE SET
		activated_users = excluded.activated_users, adopted_users = excluded.adopted_users,
		habitual_users = excluded.habitual_users, updated_at = now();

	/*
	 * 6. The touched tenants' active users at their latest event time, and
	 * feature_adopted for every feature of theirs whose rates meet the
	 * thresholds then (a rate's denominator is the tenant's active users, so
	 * every feature of a touched tenant is looked at), with its action.
	 */
	WITH ts AS (
		SELECT s.tenant_id, s.last_event_at
		FROM adoption.tenant_state AS s
		WHERE s.tenant_id IN (SELECT e.tenant_id FROM new_events AS e)
	), active AS (
		SELECT u.tenant_id, u.user_id
		FROM adoption.tenant_user_state AS u
		JOIN ts ON ts.tenant_id = u.tenant_id
		WHERE u.last_seen_at > ts.last_event_at - st.active_window
	), n_active AS (
		SELECT ts.tenant_id, ts.last_event_at, (SELECT count(*) FROM active AS a WHERE a.tenant_id = ts.tenant_id) AS n
		FROM ts
	), set_active AS (
		UPDATE adoption.tenant_state AS s SET active_users = n.n
		FROM n_active AS n
		WHERE s.tenant_id = n.tenant_id AND s.active_users IS DISTINCT FROM n.n
	), rates AS (
		SELECT f.tenant_id, f.feature_id, n.last_event_at, n.n AS active_users,
			count(*) FILTER (WHERE f.adopted_at IS NOT NULL) AS active_adopters,
			sum(f.uses) AS active_uses, sum(f.successes) AS active_successes
		FROM adoption.user_feature_state AS f
		JOIN active AS a ON a.tenant_id = f.tenant_id AND a.user_id = f.user_id
		JOIN n_active AS n ON n.tenant_id = f.tenant_id
		GROUP BY f.tenant_id, f.feature_id, n.last_event_at, n.n
	), reached AS (
		INSERT INTO adoption.tenant_feature_milestones AS m (tenant_id, feature_id, feature_adopted_at, evidence)
		SELECT r.tenant_id, r.feature_id, r.last_event_at,
			jsonb_build_object('active_users', r.active_users, 'active_adopters', r.active_adopters,
				'adoption_rate', r.active_adopters::double precision / r.active_users,
				'active_uses', r.active_uses, 'active_successes', r.active_successes,
				'success_rate', r.active_successes::double precision / r.active_uses)
		FROM rates AS r
		WHERE r.active_adopters::double precision / r.active_users >= st.feature_adoption_threshold
			AND r.active_successes::double precision / nullif(r.active_uses, 0) >= st.success_outcome_rate
		ORDER BY r.tenant_id, r.feature_id
		ON CONFLICT (tenant_id, feature_id) DO NOTHING
		RETURNING m.tenant_id, m.feature_id, m.feature_adopted_at, m.evidence
	), input AS (
		SELECT nextval('adoption.campaign_action_id_seq') AS id, r.tenant_id, r.feature_id,
			mc.template_key, t.campaign_id,
			jsonb_build_object('milestone', 'feature_adopted', 'reached_at', r.feature_adopted_at,
				'evidence', r.evidence, 'feature_adoption_threshold', st.feature_adoption_threshold,
				'success_outcome_rate', st.success_outcome_rate,
				'active_window', st.active_window::text) AS reason,
			jsonb_build_array('feature_adopted', r.feature_id, NULL)::text AS dedupe_key
		FROM reached AS r
		JOIN adoption.milestone_campaigns AS mc ON mc.milestone = 'feature_adopted' AND mc.enabled
		JOIN adoption.campaign_templates AS t ON t.template_key = mc.template_key
	)
	SELECT array_agg(ROW(i.id, i.tenant_id, NULL, i.feature_id, i.template_key, i.campaign_id,
		i.reason, i.dedupe_key)::adoption_bench.action) INTO actions
	FROM input AS i;
	IF actions IS NOT NULL THEN
		enqueued := enqueued + adoption_bench.queue(actions);
	END IF;

	IF enqueued > 0 THEN
		PERFORM pg_notify('adoption_actions', enqueued::text);
	END IF;
	RETURN NULL;
END
$fn$;

COMMENT ON FUNCTION adoption_bench.track_events_sql() IS 'Benchmark baseline: the adoption state maintenance of adoption.track_events() as a set-based PL/pgSQL statement trigger (test/bench/sql_trigger.sql)';

ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events;
DROP TRIGGER IF EXISTS track_events_sql ON adoption.feature_usage_events;
CREATE TRIGGER track_events_sql
	AFTER INSERT ON adoption.feature_usage_events
	REFERENCING NEW TABLE AS new_events
	FOR EACH STATEMENT EXECUTE FUNCTION adoption_bench.track_events_sql();
