-- test/reliability/check.sql: the invariants after a stress or crash run,
-- run by load.sh (psql -v mode=stress|crash) in the database of the run once
-- the clients have stopped.  Schema stress holds what the clients logged:
--   sent(tbl, w, s, b, key)          every row a writer sent, by statement
--                                    (writer, session, batch); tbl e event,
--                                    f feedback, k ticket, b billing event;
--   outcome(w, s, b, ok, sqlstate)   ok: COMMIT was acknowledged;
--   session_end(w, s, rc)            psql's exit status (2: lost the server);
--   queue_log(kind, worker, action_id, info)
--                                    claim (info: attempt), done, fail
--                                    (info: new status), nack (info: SQLSTATE).
-- Each check prints "true|description" or "false|description"; "# " lines
-- show the first offending rows.  Expected values are computed here from the
-- logs and the event log, not taken from the extension's own bookkeeping.
-- A description ending in "# TODO ..." is a check of a known engine bug.
\set ON_ERROR_STOP 1
\pset tuples_only on
\pset format unaligned
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SELECT :'mode' = 'crash' AS crash \gset

CREATE TEMP TABLE acked AS
SELECT DISTINCT x.tbl, x.key
FROM stress.sent AS x JOIN stress.outcome AS o ON o.w = x.w AND o.s = x.s AND o.b = x.b
WHERE o.ok;
-- A session that lost its server may have committed the statement it was
-- running without hearing so: the first statement after its last outcome.
CREATE TEMP TABLE doubtful AS
SELECT x.*
FROM stress.session_end AS e
JOIN stress.sent AS x ON x.w = e.w AND x.s = e.s
WHERE e.rc <> 0
	AND x.b = 1 + coalesce((SELECT max(o.b) FROM stress.outcome AS o WHERE o.w = e.w AND o.s = e.s), 0);
CREATE TEMP TABLE stored AS
SELECT 'e'::text AS tbl, event_id::text AS key FROM adoption.feature_usage_events
UNION ALL SELECT 'f', feedback_id FROM adoption.feedback
UNION ALL SELECT 'k', ticket_id FROM adoption.support_tickets
UNION ALL SELECT 'b', event_id FROM adoption.billing_events;
ANALYZE acked, doubtful, stored;

-- 1. The load ran.
SELECT (count(*) FILTER (WHERE tbl = 'e') > 0 AND count(*) FILTER (WHERE tbl = 'f') > 0
		AND count(*) FILTER (WHERE tbl = 'k') > 0 AND count(*) FILTER (WHERE tbl = 'b') > 0)
	|| format('|the writers committed %s events, %s feedback rows, %s tickets, %s billing events (acknowledged)',
		count(*) FILTER (WHERE tbl = 'e'), count(*) FILTER (WHERE tbl = 'f'),
		count(*) FILTER (WHERE tbl = 'k'), count(*) FILTER (WHERE tbl = 'b'))
FROM acked;
SELECT CASE WHEN :'crash'::boolean THEN count(*) FILTER (WHERE rc NOT IN (0, 2)) = 0 ELSE count(*) FILTER (WHERE rc <> 0) = 0 END
	|| format('|writer sessions: %s, %s ended by a lost connection, %s otherwise abnormally',
		count(*), count(*) FILTER (WHERE rc = 2), count(*) FILTER (WHERE rc NOT IN (0, 2)))
FROM stress.session_end;

-- 2. Each acknowledged row stored exactly once, nothing else stored.
CREATE TEMP VIEW missing AS
SELECT a.* FROM acked AS a WHERE NOT EXISTS (SELECT 1 FROM stored AS s WHERE s.tbl = a.tbl AND s.key = a.key);
SELECT (count(*) = 0) || format('|every acknowledged row is stored (%s missing)', count(*)) FROM missing;
SELECT '# missing: ' || tbl || ' ' || key FROM missing LIMIT 5;
SELECT (count(*) = 0) || format('|no row is stored twice (%s stored more than once)', count(*))
FROM (SELECT tbl, key FROM stored GROUP BY tbl, key HAVING count(*) > 1) AS d;
CREATE TEMP VIEW unacked AS
SELECT s.*, EXISTS (SELECT 1 FROM doubtful AS d WHERE d.tbl = s.tbl AND d.key = s.key) AS doubt
FROM stored AS s WHERE NOT EXISTS (SELECT 1 FROM acked AS a WHERE a.tbl = s.tbl AND a.key = s.key);
SELECT (count(*) FILTER (WHERE NOT doubt) = 0)
	|| format('|no row is stored that was not acknowledged (%s; %s more of the %s rows of %s statements in doubt at a crash, which is allowed)',
		count(*) FILTER (WHERE NOT doubt), count(*) FILTER (WHERE doubt),
		(SELECT count(*) FROM doubtful), (SELECT count(DISTINCT (w, s, b)) FROM doubtful))
FROM unacked;
SELECT '# stored, not acknowledged: ' || tbl || ' ' || key FROM unacked WHERE NOT doubt LIMIT 5;

-- 3. User state against the event log: counts, sums, first and last use,
-- velocity (the aggregate over the log, as of the last use), milestones.
CREATE TEMP TABLE u_state AS
SELECT tenant_id, feature_id, user_id, first_used_at, last_used_at, uses, successes, total_duration,
	velocity_per_week, activated_at, adopted_at, habitual_at
FROM adoption.user_feature_state;
CREATE TEMP TABLE t_state AS
SELECT tenant_id, feature_id, activated_users, adopted_users, habitual_users, active_users, active_adopters,
	adoption_rate, success_rate, evaluated_at, feature_adopted_at
FROM adoption.tenant_feature_state;
CREATE TEMP TABLE from_log AS
SELECT e.tenant_id, e.feature_id, e.user_id, count(*) AS uses,
	count(*) FILTER (WHERE e.success_outcome) AS successes, sum(e.session_duration) AS total_duration,
	min(e.usage_timestamp) AS first_used_at, max(e.usage_timestamp) AS last_used_at
FROM adoption.feature_usage_events AS e GROUP BY 1, 2, 3;
ANALYZE u_state, t_state, from_log;

CREATE TEMP VIEW log_diff AS
SELECT tenant_id, feature_id, user_id,
	row(l.uses, l.successes, l.total_duration, l.first_used_at, l.last_used_at)::text AS log,
	row(s.uses, s.successes, s.total_duration, s.first_used_at, s.last_used_at)::text AS state
FROM from_log AS l FULL JOIN u_state AS s USING (tenant_id, feature_id, user_id)
WHERE (l.uses, l.successes, l.total_duration, l.first_used_at, l.last_used_at)
	IS DISTINCT FROM (s.uses, s.successes, s.total_duration, s.first_used_at, s.last_used_at);
SELECT (count(*) = 0) || format('|user x feature state counts every stored event once: uses, successes, duration, first and last use (%s keys differ of %s)',
	count(*), (SELECT count(*) FROM from_log))
FROM log_diff;
SELECT '# ' || tenant_id || '/' || feature_id || '/' || user_id || ' log ' || log || ' state ' || state FROM log_diff LIMIT 5;

SELECT (count(*) = 0) || format('|velocity_per_week equals usage_velocity() over the log within 1e-9 relative (%s differ)', count(*))
FROM (SELECT s.velocity_per_week, adoption.usage_velocity(e.usage_timestamp, s.last_used_at) AS v
	FROM u_state AS s JOIN adoption.feature_usage_events AS e USING (tenant_id, feature_id, user_id)
	GROUP BY s.tenant_id, s.feature_id, s.user_id, s.velocity_per_week, s.last_used_at) AS x
WHERE NOT abs(x.velocity_per_week - x.v) <= 1e-9 * greatest(abs(x.v), 1e-300);

-- Milestones from the log: activated at one of the user's use times;
-- adopted iff aha_successes successes, at a success time; habitual iff some
-- usage_velocity_threshold uses span less than 7 days, at a use time.
CREATE TEMP TABLE marks AS
SELECT tenant_id, feature_id, user_id, bool_or(span < interval '7 days') AS window_found,
	bool_or(usage_timestamp = activated_at) AS activated_at_use,
	bool_or(usage_timestamp = adopted_at AND success_outcome) AS adopted_at_success,
	bool_or(usage_timestamp = habitual_at) AS habitual_at_use
FROM (SELECT e.tenant_id, e.feature_id, e.user_id, e.usage_timestamp, e.success_outcome,
		s.activated_at, s.adopted_at, s.habitual_at,
		e.usage_timestamp - lag(e.usage_timestamp, st.usage_velocity_threshold - 1)
			OVER (PARTITION BY e.tenant_id, e.feature_id, e.user_id ORDER BY e.usage_timestamp) AS span
	FROM adoption.feature_usage_events AS e
	JOIN u_state AS s USING (tenant_id, feature_id, user_id)
	JOIN adoption.effective_settings AS st USING (tenant_id)) AS w
GROUP BY 1, 2, 3;
SELECT (count(*) = 0) || format('|milestones agree with the log: activated at a use, adopted iff aha_successes successes (at one), habitual iff %s (at a use) (%s keys differ)',
	'usage_velocity_threshold uses fall within 7 days', count(*))
FROM u_state AS s
JOIN adoption.effective_settings AS st USING (tenant_id)
LEFT JOIN marks AS m USING (tenant_id, feature_id, user_id)
WHERE NOT coalesce(m.activated_at_use, false)
	OR (s.adopted_at IS NOT NULL) <> (s.successes >= st.aha_successes)
	OR (s.adopted_at IS NOT NULL AND NOT m.adopted_at_success)
	OR (s.habitual_at IS NOT NULL) <> coalesce(m.window_found, false)
	OR (s.habitual_at IS NOT NULL AND NOT m.habitual_at_use);

SELECT (count(*) = 0) || format('|tenant x feature activated, adopted and habitual users equal the user states (%s pairs differ of %s)',
	count(*), (SELECT count(*) FROM t_state))
FROM (SELECT tenant_id, feature_id, count(activated_at) AS a, count(adopted_at) AS d, count(habitual_at) AS h
	FROM u_state GROUP BY 1, 2) AS u
FULL JOIN t_state AS t USING (tenant_id, feature_id)
WHERE (u.a, u.d, u.h) IS DISTINCT FROM (t.activated_users, t.adopted_users, t.habitual_users);

-- 4. Exactly one action per milestone reached, none without its milestone
-- (every milestone is mapped to a campaign in this run), keys unique.
CREATE TEMP TABLE reached AS
SELECT tenant_id, pg_catalog.jsonb_build_array(m.milestone, feature_id, user_id)::text AS dedupe_key, m.milestone
FROM u_state, LATERAL (VALUES ('activated', activated_at), ('adopted', adopted_at), ('habitual', habitual_at)) AS m(milestone, at)
WHERE m.at IS NOT NULL
UNION ALL
SELECT tenant_id, pg_catalog.jsonb_build_array('feature_adopted', feature_id, NULL::text)::text, 'feature_adopted'
FROM t_state WHERE feature_adopted_at IS NOT NULL;
CREATE TEMP TABLE milestone_actions AS
SELECT tenant_id, dedupe_key, action_id, status FROM adoption.campaign_actions
WHERE dedupe_key LIKE '["activated",%' OR dedupe_key LIKE '["adopted",%' OR dedupe_key LIKE '["habitual",%'
	OR dedupe_key LIKE '["feature_adopted",%';
ANALYZE reached, milestone_actions;
SELECT (count(*) FILTER (WHERE n <> 1) = 0)
	|| format('|every milestone reached has exactly one action (%s activated, %s adopted, %s habitual, %s feature_adopted; %s without exactly one)',
		count(*) FILTER (WHERE milestone = 'activated'), count(*) FILTER (WHERE milestone = 'adopted'),
		count(*) FILTER (WHERE milestone = 'habitual'), count(*) FILTER (WHERE milestone = 'feature_adopted'),
		count(*) FILTER (WHERE n <> 1))
FROM (SELECT r.milestone, coalesce(a.n, 0) AS n
	FROM reached AS r
	LEFT JOIN (SELECT tenant_id, dedupe_key, count(*) AS n FROM milestone_actions GROUP BY 1, 2) AS a
		USING (tenant_id, dedupe_key)) AS x;
-- A late event can remove a tenant's feature_adopted (docs/design.md §3): its action
-- stays, so only user milestones must still be reached.
CREATE TEMP VIEW orphans AS
SELECT a.* FROM milestone_actions AS a
WHERE NOT EXISTS (SELECT 1 FROM reached AS r WHERE r.tenant_id = a.tenant_id AND r.dedupe_key = a.dedupe_key)
	AND a.dedupe_key NOT LIKE '["feature_adopted",%';
SELECT (count(*) = 0) || format('|no user milestone action without its milestone (%s)', count(*)) FROM orphans;
SELECT '# feature_adopted actions whose milestone a later event removed: ' || count(*)
FROM milestone_actions AS a
WHERE a.dedupe_key LIKE '["feature_adopted",%'
	AND NOT EXISTS (SELECT 1 FROM reached AS r WHERE r.tenant_id = a.tenant_id AND r.dedupe_key = a.dedupe_key);
SELECT '# action without milestone: ' || tenant_id || ' ' || dedupe_key FROM orphans LIMIT 5;
-- A play withdrawn by the play policy (docs/customer-success.md) stays in
-- the archive and frees its key: keys are unique among the others.
CREATE TEMP VIEW kept_actions AS SELECT * FROM adoption.campaign_actions WHERE status <> 'withdrawn';
SELECT (count(*) = 0) || format('|no (tenant, dedupe_key) appears twice among all %s actions not withdrawn, queue and archive (%s twice)',
	(SELECT count(*) FROM kept_actions), count(*))
FROM (SELECT tenant_id, dedupe_key FROM kept_actions GROUP BY 1, 2 HAVING count(*) > 1) AS d;
SELECT (count(*) = 0) || format('|campaign_action_keys and the actions not withdrawn match one to one (%s differ)', count(*))
FROM adoption.campaign_action_keys AS k FULL JOIN kept_actions AS a USING (tenant_id, dedupe_key)
WHERE k.action_id IS DISTINCT FROM a.action_id;
SELECT (count(*) FILTER (WHERE status_reason IS NULL OR completed_at IS NULL) = 0)
	|| format('|every withdrawn action says why and when (%s withdrawn, %s without)', count(*),
		count(*) FILTER (WHERE status_reason IS NULL OR completed_at IS NULL))
FROM adoption.campaign_actions WHERE status = 'withdrawn';

-- 5. The queue: never one action to two workers at once (each attempt of
-- an action claimed once), acknowledged completions stay done.
SELECT (count(*) > 0 AND count(*) = count(DISTINCT (action_id, info)))
	|| format('|each claim was a new attempt: no action handed to two workers at once (%s claims, %s repeated)',
		count(*), count(*) - count(DISTINCT (action_id, info)))
FROM stress.queue_log WHERE kind = 'claim';
SELECT (count(*) FILTER (WHERE a.status IS DISTINCT FROM 'done') = 0 AND count(*) = count(DISTINCT l.action_id))
	|| format('|every completion a worker saw acknowledged is done (%s acknowledged, %s not done, %s acknowledged twice)',
		count(*), count(*) FILTER (WHERE a.status IS DISTINCT FROM 'done'), count(*) - count(DISTINCT l.action_id))
FROM stress.queue_log AS l LEFT JOIN adoption.campaign_actions AS a USING (action_id)
WHERE l.kind = 'done';
SELECT (count(*) FILTER (WHERE l.action_id IS NULL AND NOT :'crash'::boolean) = 0)
	|| format('|every done action was acknowledged to a worker (%s done, %s without acknowledgement%s)',
		count(*), count(*) FILTER (WHERE l.action_id IS NULL),
		CASE WHEN :'crash'::boolean THEN ': completions in doubt at a crash, allowed' ELSE '' END)
FROM adoption.campaign_actions AS a
LEFT JOIN (SELECT DISTINCT action_id FROM stress.queue_log WHERE kind = 'done') AS l USING (action_id)
WHERE a.status = 'done';
SELECT (count(*) FILTER (WHERE l.info = 'dead' AND a.status IS DISTINCT FROM 'dead') = 0)
	|| format('|failures: %s acknowledged, %s of them dead, all of those dead',
		count(*), count(*) FILTER (WHERE l.info = 'dead'))
FROM stress.queue_log AS l LEFT JOIN adoption.campaign_actions AS a USING (action_id)
WHERE l.kind = 'fail';

-- 6. State equals rebuild: adoption.rebuild() recomputes the state from the
-- log; compared with the state the load left (u_state, t_state, tu_state,
-- tn_state), then rolled back, so the database keeps that state for a
-- post-mortem.
CREATE TEMP TABLE tu_state AS SELECT * FROM adoption.tenant_user_state;
CREATE TEMP TABLE tn_state AS SELECT * FROM adoption.tenant_state;
BEGIN;
SELECT '# rebuild replayed ' || adoption.rebuild() || ' events';
CREATE TEMP VIEW user_rebuild_diff AS
SELECT tenant_id, feature_id, user_id,
	row(a.uses, a.activated_at, a.adopted_at, a.habitual_at, a.velocity_per_week)::text AS loaded,
	row(b.uses, b.activated_at, b.adopted_at, b.habitual_at, b.velocity_per_week)::text AS rebuilt
FROM u_state AS a FULL JOIN adoption.user_feature_state AS b USING (tenant_id, feature_id, user_id)
WHERE (a.first_used_at, a.last_used_at, a.uses, a.successes, a.total_duration, a.activated_at, a.adopted_at, a.habitual_at)
		IS DISTINCT FROM (b.first_used_at, b.last_used_at, b.uses, b.successes, b.total_duration, b.activated_at, b.adopted_at, b.habitual_at)
	OR NOT abs(a.velocity_per_week - b.velocity_per_week) <= 1e-9 * greatest(abs(b.velocity_per_week), 1e-300);
CREATE TEMP VIEW tenant_rebuild_diff AS
SELECT tenant_id, feature_id, x.loaded::text AS loaded, x.rebuilt::text AS rebuilt
FROM t_state AS a FULL JOIN adoption.tenant_feature_state AS b USING (tenant_id, feature_id),
	LATERAL (SELECT row(a.activated_users, a.adopted_users, a.habitual_users, a.active_users, a.active_adopters,
			a.adoption_rate, a.success_rate, a.evaluated_at, a.feature_adopted_at) AS loaded,
		row(b.activated_users, b.adopted_users, b.habitual_users, b.active_users, b.active_adopters,
			b.adoption_rate, b.success_rate, b.evaluated_at, b.feature_adopted_at) AS rebuilt) AS x
WHERE x.loaded IS DISTINCT FROM x.rebuilt;
SELECT (count(*) = 0) || format('|user states equal rebuild(): ids, counts, times, milestones exact, velocity within 1e-9 relative (%s of %s differ)',
	count(*), (SELECT count(*) FROM u_state))
FROM user_rebuild_diff;
SELECT '# user ' || tenant_id || '/' || feature_id || '/' || user_id || ' (uses, activated, adopted, habitual, velocity) load '
	|| loaded || ' rebuild ' || rebuilt
FROM user_rebuild_diff LIMIT 5;
SELECT (count(*) = 0) || format('|tenant states equal rebuild(): all counts, rates, evaluated_at, feature_adopted_at (%s of %s differ)',
	count(*), (SELECT count(*) FROM t_state))
FROM tenant_rebuild_diff;
SELECT '# tenant ' || tenant_id || '/' || feature_id || ' load ' || loaded || ' rebuild ' || rebuilt
FROM tenant_rebuild_diff LIMIT 5;
SELECT (count(*) = 0) || format('|tenant x user states equal rebuild(): first and last seen, uses, successes, activity spans (%s of %s differ)',
	count(*), (SELECT count(*) FROM tu_state))
FROM tu_state AS a FULL JOIN adoption.tenant_user_state AS b USING (tenant_id, user_id)
WHERE (a.first_seen_at, a.last_seen_at, a.uses, a.successes, a.activity)
	IS DISTINCT FROM (b.first_seen_at, b.last_seen_at, b.uses, b.successes, b.activity);
SELECT (count(*) = 0) || format('|tenant states equal rebuild(): first and last event, users, active users, uses, successes, open adopters, last feature_adopted_at (%s of %s differ)',
	count(*), (SELECT count(*) FROM tn_state))
FROM tn_state AS a FULL JOIN adoption.tenant_state AS b USING (tenant_id)
WHERE (a.first_event_at, a.last_event_at, a.users, a.active_users, a.uses, a.successes, a.open_adopters, a.last_feature_adopted_at)
	IS DISTINCT FROM (b.first_event_at, b.last_event_at, b.users, b.active_users, b.uses, b.successes, b.open_adopters, b.last_feature_adopted_at);
ROLLBACK;

-- 7. Rescoring ran alongside.
SELECT (count(*) > 0) || format('|rescore() scored tenants during the load (%s health scores of %s tenants)',
	count(*), count(DISTINCT tenant_id))
FROM adoption.health_scores;
