/*
 * bi.sql: time series for BI tools and the shipped dashboard (docs/bi.md).
 *
 * Adoption is state (who is active, who adopted) rather than a sum of
 * events, and computing it for a past day from the event log is slow to do
 * at read time.  So it is kept as daily snapshots: one row per tenant and
 * UTC day (daily_tenant_snapshots) and one per tenant, feature and day
 * (daily_feature_snapshots), each "as of the end of the day": over the
 * events with time before the next midnight UTC, with the definitions of
 * docs/adoption-state.md.  adoption.snapshot_adoption() writes them; the
 * scheduled adoption.upkeep() calls it incrementally (the days from the
 * earliest event ingested since its previous run, and the days not yet
 * written); a call with from_day backfills past days.  A day that has not
 * ended yet is marked partial.  The tables are dumped with the data
 * (pg_extension_config_dump), like health_scores, so that a restored
 * database keeps its history and its incremental watermark.
 *
 * Why it is exact: at the end of day D (R = D + 1 day, exclusive) a user is
 * active when its latest event before R is at or after R - active_window,
 * and adopted (habitual) when user_feature_state.adopted_at (habitual_at)
 * is before R: the k-th earliest success, and the use that completes the
 * habitual window, depend only on the events up to them, so the state's
 * times answer "by R" for any R.  A late event is found through ingested_at
 * (as adoption.rescore() finds new rows) and recomputes the days from its
 * own day on.
 *
 * The views over the snapshots (adoption_daily, weekly, monthly, and the
 * same across tenants) and over the other tables (health_daily,
 * health_bands_daily, feedback_weekly, queue_daily) give each date both as
 * a date and as the timestamptz of its midnight UTC (a BI client that
 * turns a date into local midnight shifts it by a day west of UTC), and
 * every duration as a number.
 */

CREATE TABLE adoption.daily_tenant_snapshots (
	tenant_id text NOT NULL,
	day date NOT NULL,
	active_users integer NOT NULL,
	users integer NOT NULL,
	events bigint NOT NULL,
	partial boolean NOT NULL,
	computed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, day)
);
COMMENT ON TABLE adoption.daily_tenant_snapshots IS 'Per tenant and UTC day, as of the end of the day: active users and the day''s events (adoption.snapshot_adoption(); read adoption.tenant_activity_daily)';
SELECT pg_catalog.pg_extension_config_dump('adoption.daily_tenant_snapshots', '');

CREATE TABLE adoption.daily_feature_snapshots (
	tenant_id text NOT NULL,
	feature_id text NOT NULL,
	day date NOT NULL,
	activated_users integer NOT NULL,
	adopted_users integer NOT NULL,
	habitual_users integer NOT NULL,
	new_adopters integer NOT NULL,
	active_adopters integer NOT NULL,
	active_habitual integer NOT NULL,
	tenant_adopted boolean NOT NULL,
	partial boolean NOT NULL,
	computed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, feature_id, day)
);
CREATE INDEX daily_feature_snapshots_day ON adoption.daily_feature_snapshots (day, feature_id);
COMMENT ON TABLE adoption.daily_feature_snapshots IS 'Per tenant, feature and UTC day, as of the end of the day: adoption counts (adoption.snapshot_adoption(); read adoption.adoption_daily)';
SELECT pg_catalog.pg_extension_config_dump('adoption.daily_feature_snapshots', '');

/*
 * The same summed over the tenants, per day and per feature and day: what
 * the across-tenant views read, so that they do not aggregate every
 * tenant's rows at read time.  No tenant_id: row-level security shows them
 * to adoption_app and adoption_analyst only; adoption_tenant reads the
 * across-tenant views summed over its own rows instead
 * (adoption.tenant_scoped()).
 */
CREATE TABLE adoption.daily_totals (
	day date PRIMARY KEY,
	active_users bigint NOT NULL,
	tenants integer NOT NULL,
	partial boolean NOT NULL,
	computed_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE adoption.daily_totals IS 'Per UTC day, daily_tenant_snapshots summed over the tenants (read adoption.feature_adoption_daily)';
SELECT pg_catalog.pg_extension_config_dump('adoption.daily_totals', '');

CREATE TABLE adoption.daily_feature_totals (
	feature_id text NOT NULL,
	day date NOT NULL,
	active_adopters bigint NOT NULL,
	active_habitual bigint NOT NULL,
	activated_users bigint NOT NULL,
	adopted_users bigint NOT NULL,
	new_adopters bigint NOT NULL,
	tenants_using integer NOT NULL,
	tenants_adopted integer NOT NULL,
	computed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (feature_id, day)
);
COMMENT ON TABLE adoption.daily_feature_totals IS 'Per feature and UTC day, daily_feature_snapshots summed over the tenants (read adoption.feature_adoption_daily)';
SELECT pg_catalog.pg_extension_config_dump('adoption.daily_feature_totals', '');

/* The incremental snapshots' memory: events ingested at or after watermark are new to the next run. */
CREATE TABLE adoption.snapshot_state (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	watermark timestamptz,
	last_started_at timestamptz,
	last_finished_at timestamptz,
	last_days integer
);
COMMENT ON TABLE adoption.snapshot_state IS 'Bookkeeping of adoption.snapshot_adoption(): events ingested at or after watermark make their days due';
SELECT pg_catalog.pg_extension_config_dump('adoption.snapshot_state', '');

/*
 * The earliest time from which rows that are not visible yet may carry
 * ingested_at: ingested_at defaults to now(), the start of the inserting
 * transaction, so rows that transactions still running will commit carry
 * at least the oldest start among them.  Sessions of other roles hide
 * their start unless the caller has pg_read_all_stats; then a day back.
 */
CREATE FUNCTION adoption.ingest_watermark()
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	mark timestamptz;
BEGIN
	SELECT least(now(), min(a.xact_start)) INTO mark
	FROM pg_stat_activity AS a
	WHERE a.datname = current_database() AND a.backend_type <> 'autovacuum worker';
	IF EXISTS (SELECT 1 FROM pg_stat_activity AS a
		WHERE a.datname = current_database() AND a.query = '<insufficient privilege>') THEN
		mark := least(mark, now() - interval '1 day');
	END IF;
	RETURN mark;
END
$$;
COMMENT ON FUNCTION adoption.ingest_watermark() IS 'Internal: the time from which rows not yet committed may carry ingested_at (the oldest running transaction''s start, or a day back when other sessions are hidden)';

/* Recomputes daily_totals and daily_feature_totals of the days [from_day, to_day] from the snapshots. */
CREATE FUNCTION adoption.snapshot_totals(from_day date, to_day date)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	DELETE FROM adoption.daily_totals AS x WHERE x.day BETWEEN from_day AND to_day;
	INSERT INTO adoption.daily_totals (day, active_users, tenants, partial)
	SELECT t.day, sum(t.active_users), count(*), bool_or(t.partial)
	FROM adoption.daily_tenant_snapshots AS t
	WHERE t.day BETWEEN from_day AND to_day
	GROUP BY t.day;
	DELETE FROM adoption.daily_feature_totals AS x WHERE x.day BETWEEN from_day AND to_day;
	INSERT INTO adoption.daily_feature_totals (feature_id, day, active_adopters, active_habitual,
		activated_users, adopted_users, new_adopters, tenants_using, tenants_adopted)
	SELECT f.feature_id, f.day, sum(f.active_adopters), sum(f.active_habitual), sum(f.activated_users),
		sum(f.adopted_users), sum(f.new_adopters), count(*), count(*) FILTER (WHERE f.tenant_adopted)
	FROM adoption.daily_feature_snapshots AS f
	WHERE f.day BETWEEN from_day AND to_day
	GROUP BY f.feature_id, f.day;
END
$$;
COMMENT ON FUNCTION adoption.snapshot_totals(date, date) IS 'Internal: recomputes daily_totals and daily_feature_totals of the days [from_day, to_day] from the tenants'' snapshots';

/*
 * True when row-level security limits the reader of the snapshots to some
 * tenants (adoption_tenant): the across-tenant views then sum the rows it
 * may read instead of reading the stored totals, which it may not.
 */
CREATE FUNCTION adoption.tenant_scoped()
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.row_security_active('adoption.daily_feature_snapshots'::pg_catalog.regclass)
	AND NOT pg_catalog.pg_has_role('adoption_analyst', 'USAGE')
	AND NOT pg_catalog.pg_has_role('adoption_app', 'USAGE');
COMMENT ON FUNCTION adoption.tenant_scoped() IS 'Internal to the across-tenant views: true when row-level security limits the reader to some tenants (not an analyst, the owner or a superuser)';

/* Deletes a tenant's snapshots (forget_user, forget_tenant) and fixes the totals of their days; returns the rows deleted. */
CREATE FUNCTION adoption.drop_snapshots(tenant_id text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	first_day date;
	last_day date;
	n_tenant bigint;
	n_feature bigint;
BEGIN
	SELECT min(x.day), max(x.day) INTO first_day, last_day
	FROM adoption.daily_tenant_snapshots AS x WHERE x.tenant_id = drop_snapshots.tenant_id;
	DELETE FROM adoption.daily_feature_snapshots AS x WHERE x.tenant_id = drop_snapshots.tenant_id;
	GET DIAGNOSTICS n_feature = ROW_COUNT;
	DELETE FROM adoption.daily_tenant_snapshots AS x WHERE x.tenant_id = drop_snapshots.tenant_id;
	GET DIAGNOSTICS n_tenant = ROW_COUNT;
	/* Its users' campaign attribution too (the lift and launch totals change at the next run). */
	DELETE FROM adoption.attribution_snapshots AS x WHERE x.tenant_id = drop_snapshots.tenant_id;
	IF first_day IS NOT NULL THEN
		PERFORM adoption.snapshot_totals(first_day, last_day);
	END IF;
	RETURN n_tenant + n_feature;
END
$$;
COMMENT ON FUNCTION adoption.drop_snapshots(text) IS 'Internal to forget_user and forget_tenant: deletes the tenant''s daily snapshots and campaign attribution snapshot rows and recomputes the totals of their days; returns the daily snapshot rows deleted';

/*
 * The working tables of snapshot_days(): the targets, each user's latest
 * event of each day, the active (tenant, user, day)s.  Unlogged tables of
 * the extension rather than temporary ones, because on a Citus cluster
 * snapshot_days() runs on the workers inside the coordinator's two-phase
 * commit, which a transaction that used a temporary table cannot join;
 * they are distributed with the tenant tables, and snapshot_adoption()'s
 * lock gives them to one run at a time.  Empty between runs.
 */
CREATE UNLOGGED TABLE adoption.snapshot_work_target (
	tenant_id text PRIMARY KEY, from_day date NOT NULL, to_day date NOT NULL, w interval NOT NULL
);
COMMENT ON TABLE adoption.snapshot_work_target IS 'Internal to adoption.snapshot_days(): the tenants and days of the run (empty between runs)';
CREATE UNLOGGED TABLE adoption.snapshot_work_user_day (
	tenant_id text NOT NULL, user_id text, d date, last_t timestamptz, events bigint
);
COMMENT ON TABLE adoption.snapshot_work_user_day IS 'Internal to adoption.snapshot_days(): each user''s latest event time and events of each day (empty between runs)';
CREATE UNLOGGED TABLE adoption.snapshot_work_active (
	tenant_id text NOT NULL, user_id text, day date
);
COMMENT ON TABLE adoption.snapshot_work_active IS 'Internal to adoption.snapshot_days(): the (tenant, user, day)s a user was active at the end of (empty between runs)';

/*
 * Writes the snapshots of the days [from, to] of each (tenant_id, from,
 * to) in targets (a JSON array), replacing what was there.  Returns the
 * number of tenant-days written.  Set-based: the event log is read once,
 * per tenant from from - active_window, for each user's latest event of
 * each day (its activity), and the adoption times come from
 * user_feature_state.
 */
CREATE FUNCTION adoption.snapshot_days(targets jsonb)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	written integer;
BEGIN
	/* The working tables, or their shards on a Citus worker (citus_table()). */
	EXECUTE format('TRUNCATE %s, %s, %s', adoption.citus_table('snapshot_work_target'),
		adoption.citus_table('snapshot_work_user_day'), adoption.citus_table('snapshot_work_active'));
	INSERT INTO adoption.snapshot_work_target
	SELECT x.tenant_id, x.from_day, x.to_day, e.active_window
	FROM jsonb_to_recordset(targets) AS x(tenant_id text, from_day date, to_day date)
	JOIN adoption.effective_settings AS e ON e.tenant_id = x.tenant_id
	WHERE x.from_day <= x.to_day;
	EXECUTE format('ANALYZE %s', adoption.citus_table('snapshot_work_target'));

	DELETE FROM adoption.daily_feature_snapshots AS s USING adoption.snapshot_work_target AS t
	WHERE s.tenant_id = t.tenant_id AND s.day BETWEEN t.from_day AND t.to_day;
	DELETE FROM adoption.daily_tenant_snapshots AS s USING adoption.snapshot_work_target AS t
	WHERE s.tenant_id = t.tenant_id AND s.day BETWEEN t.from_day AND t.to_day;

	/* Each user's latest event time of each day that can make it active on a target day. */
	INSERT INTO adoption.snapshot_work_user_day
	SELECT e.tenant_id, e.user_id, (e.usage_timestamp AT TIME ZONE 'UTC')::date, max(e.usage_timestamp), count(*)
	FROM adoption.snapshot_work_target AS t
	JOIN adoption.feature_usage_events AS e ON e.tenant_id = t.tenant_id
		AND e.usage_timestamp >= (t.from_day::timestamp AT TIME ZONE 'UTC') - t.w
		AND e.usage_timestamp < ((t.to_day + 1)::timestamp AT TIME ZONE 'UTC')
	GROUP BY 1, 2, 3;

	/*
	 * Active (tenant, user, day): a user's latest event of day d keeps it
	 * active at the end of each day D >= d until its next day with events,
	 * while last_t >= D + 1 day - active_window, that is up to the day of
	 * last_t + active_window - 1 day.
	 */
	INSERT INTO adoption.snapshot_work_active
	SELECT s.tenant_id, s.user_id, g.day::date
	FROM (
		SELECT u.tenant_id, u.user_id, greatest(u.d, t.from_day) AS d_from,
			least(coalesce(lead(u.d) OVER w - 1, t.to_day), t.to_day,
				((u.last_t + t.w - interval '1 day') AT TIME ZONE 'UTC')::date) AS d_to
		FROM adoption.snapshot_work_user_day AS u
		JOIN adoption.snapshot_work_target AS t ON t.tenant_id = u.tenant_id
		WINDOW w AS (PARTITION BY u.tenant_id, u.user_id ORDER BY u.d)
	) AS s
	CROSS JOIN LATERAL generate_series(s.d_from, s.d_to, interval '1 day') AS g(day)
	WHERE s.d_from <= s.d_to;
	EXECUTE format('ANALYZE %s', adoption.citus_table('snapshot_work_active'));

	INSERT INTO adoption.daily_tenant_snapshots (tenant_id, day, active_users, users, events, partial)
	SELECT t.tenant_id, g.day::date, coalesce(a.active_users, 0),
		(SELECT count(*) FROM adoption.tenant_user_state AS v
			WHERE v.tenant_id = t.tenant_id AND v.first_seen_at < ((g.day::date + 1)::timestamp AT TIME ZONE 'UTC')),
		coalesce(ev.events, 0),
		((g.day::date + 1)::timestamp AT TIME ZONE 'UTC') > now()
	FROM adoption.snapshot_work_target AS t
	CROSS JOIN LATERAL generate_series(t.from_day, t.to_day, interval '1 day') AS g(day)
	LEFT JOIN (SELECT a.tenant_id, a.day, count(*) AS active_users
		FROM adoption.snapshot_work_active AS a GROUP BY 1, 2) AS a ON a.tenant_id = t.tenant_id AND a.day = g.day::date
	LEFT JOIN (SELECT u.tenant_id, u.d, sum(u.events) AS events
		FROM adoption.snapshot_work_user_day AS u GROUP BY 1, 2) AS ev ON ev.tenant_id = t.tenant_id AND ev.d = g.day::date;
	GET DIAGNOSTICS written = ROW_COUNT;

	/*
	 * Per feature, from the first day a user of the tenant activated it:
	 * the cumulative counts (users whose activated_at, adopted_at,
	 * habitual_at is before the end of the day) as running sums of the
	 * milestones per day (those before from_day counted on from_day), and
	 * the active ones from adoption.snapshot_work_active.
	 */
	WITH m AS (
		SELECT s.tenant_id, s.feature_id, s.user_id, s.adopted_at, s.habitual_at, t.from_day, t.to_day,
			(s.activated_at AT TIME ZONE 'UTC')::date AS activated_day,
			(s.adopted_at AT TIME ZONE 'UTC')::date AS adopted_day,
			(s.habitual_at AT TIME ZONE 'UTC')::date AS habitual_day
		FROM adoption.snapshot_work_target AS t
		JOIN adoption.user_feature_state AS s ON s.tenant_id = t.tenant_id
		WHERE s.activated_at < ((t.to_day + 1)::timestamp AT TIME ZONE 'UTC')
	),
	grid AS (
		SELECT f.tenant_id, f.feature_id, g.day::date AS day
		FROM (SELECT m.tenant_id, m.feature_id, min(m.from_day) AS from_day, min(m.to_day) AS to_day,
				min(m.activated_day) AS first_day
			FROM m GROUP BY 1, 2) AS f
		CROSS JOIN LATERAL generate_series(greatest(f.from_day, f.first_day), f.to_day, interval '1 day') AS g(day)
	),
	steps AS (
		SELECT m.tenant_id, m.feature_id, greatest(x.day, m.from_day) AS day,
			count(*) FILTER (WHERE x.kind = 'a') AS activated,
			count(*) FILTER (WHERE x.kind = 'd') AS adopted,
			count(*) FILTER (WHERE x.kind = 'h') AS habitual,
			count(*) FILTER (WHERE x.kind = 'd' AND x.day >= m.from_day) AS new_adopters
		FROM m
		CROSS JOIN LATERAL (VALUES ('a', m.activated_day), ('d', m.adopted_day), ('h', m.habitual_day)) AS x(kind, day)
		WHERE x.day <= m.to_day
		GROUP BY 1, 2, 3
	),
	active AS (
		SELECT a.tenant_id, m.feature_id, a.day,
			count(*) FILTER (WHERE m.adopted_at < ((a.day + 1)::timestamp AT TIME ZONE 'UTC')) AS active_adopters,
			count(*) FILTER (WHERE m.habitual_at < ((a.day + 1)::timestamp AT TIME ZONE 'UTC')) AS active_habitual
		FROM adoption.snapshot_work_active AS a
		JOIN m ON m.tenant_id = a.tenant_id AND m.user_id = a.user_id
		WHERE m.adopted_at < ((a.day + 1)::timestamp AT TIME ZONE 'UTC')
			OR m.habitual_at < ((a.day + 1)::timestamp AT TIME ZONE 'UTC')
		GROUP BY 1, 2, 3
	)
	INSERT INTO adoption.daily_feature_snapshots (tenant_id, feature_id, day, activated_users, adopted_users,
		habitual_users, new_adopters, active_adopters, active_habitual, tenant_adopted, partial)
	SELECT g.tenant_id, g.feature_id, g.day,
		sum(coalesce(s.activated, 0)) OVER w,
		sum(coalesce(s.adopted, 0)) OVER w,
		sum(coalesce(s.habitual, 0)) OVER w,
		coalesce(s.new_adopters, 0),
		coalesce(a.active_adopters, 0), coalesce(a.active_habitual, 0),
		coalesce(ms.feature_adopted_at < ((g.day + 1)::timestamp AT TIME ZONE 'UTC'), false),
		((g.day + 1)::timestamp AT TIME ZONE 'UTC') > now()
	FROM grid AS g
	LEFT JOIN steps AS s ON s.tenant_id = g.tenant_id AND s.feature_id = g.feature_id AND s.day = g.day
	LEFT JOIN active AS a ON a.tenant_id = g.tenant_id AND a.feature_id = g.feature_id AND a.day = g.day
	LEFT JOIN adoption.tenant_feature_milestones AS ms
		ON ms.tenant_id = g.tenant_id AND ms.feature_id = g.feature_id
	WINDOW w AS (PARTITION BY g.tenant_id, g.feature_id ORDER BY g.day);

	/* On a Citus worker the coordinator sums the totals (a reference table) afterwards. */
	IF NOT adoption.citus_on_shard() THEN
		PERFORM adoption.snapshot_totals(min(t.from_day), max(t.to_day))
		FROM adoption.snapshot_work_target AS t HAVING count(*) > 0;
	END IF;

	EXECUTE format('TRUNCATE %s, %s, %s', adoption.citus_table('snapshot_work_target'),
		adoption.citus_table('snapshot_work_user_day'), adoption.citus_table('snapshot_work_active'));
	RETURN written;
END
$$;
COMMENT ON FUNCTION adoption.snapshot_days(jsonb) IS 'Internal to adoption.snapshot_adoption(): writes the snapshots of the days [from_day, to_day] of each {tenant_id, from_day, to_day} (and their totals, except on a Citus worker); returns the tenant-days written';

/*
 * The work of snapshot_adoption() on the tenants' own rows: chooses the
 * targets (as snapshot_adoption() describes, incremental since
 * old_watermark), marks the ended days final and writes the snapshots
 * (snapshot_days()).  On a Citus cluster it runs per shard group
 * (citus_run()).  Returns the tenant-days written and the days whose
 * totals changed.
 */
CREATE FUNCTION adoption.snapshot_tenants(from_day date, last_day date, tenant_id text, incremental boolean,
	old_watermark timestamptz, today date)
RETURNS TABLE (written integer, totals_from date, totals_to date)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	targets jsonb;
BEGIN
	IF NOT incremental THEN
		SELECT jsonb_agg(jsonb_build_object('tenant_id', s.tenant_id,
				'from_day', greatest(coalesce(snapshot_tenants.from_day, (s.first_event_at AT TIME ZONE 'UTC')::date),
					(s.first_event_at AT TIME ZONE 'UTC')::date),
				'to_day', last_day))
		INTO targets
		FROM adoption.tenant_state AS s
		WHERE snapshot_tenants.tenant_id IS NULL OR s.tenant_id = snapshot_tenants.tenant_id;
	ELSE
		SELECT jsonb_agg(jsonb_build_object('tenant_id', d.tenant_id, 'from_day', d.from_day, 'to_day', today))
		INTO targets
		FROM (
			SELECT s.tenant_id, least(n.first_new_day, l.last_day + 1,
				CASE WHEN l.last_day IS NULL OR old_watermark IS NULL
					THEN (s.first_event_at AT TIME ZONE 'UTC')::date END) AS from_day
			FROM adoption.tenant_state AS s
			LEFT JOIN (SELECT x.tenant_id, max(x.day) AS last_day
				FROM adoption.daily_tenant_snapshots AS x GROUP BY x.tenant_id) AS l ON l.tenant_id = s.tenant_id
			LEFT JOIN (SELECT e.tenant_id, min((e.usage_timestamp AT TIME ZONE 'UTC')::date) AS first_new_day
				FROM adoption.feature_usage_events AS e
				WHERE old_watermark IS NOT NULL AND e.ingested_at >= old_watermark
				GROUP BY e.tenant_id) AS n ON n.tenant_id = s.tenant_id
		) AS d
		WHERE d.from_day <= today;
		/* Days that ended since they were written: same events, now final. */
		UPDATE adoption.daily_tenant_snapshots AS s SET partial = false
		WHERE s.partial AND ((s.day + 1)::timestamp AT TIME ZONE 'UTC') <= now();
		UPDATE adoption.daily_feature_snapshots AS s SET partial = false
		WHERE s.partial AND ((s.day + 1)::timestamp AT TIME ZONE 'UTC') <= now();
	END IF;

	SELECT min((x->>'from_day')::date), max((x->>'to_day')::date) INTO totals_from, totals_to
	FROM jsonb_array_elements(coalesce(targets, '[]')) AS x
	WHERE (x->>'from_day')::date <= (x->>'to_day')::date;
	written := adoption.snapshot_days(coalesce(targets, '[]'));
	RETURN NEXT;
END
$$;
COMMENT ON FUNCTION adoption.snapshot_tenants(date, date, text, boolean, timestamptz, date) IS 'Internal to adoption.snapshot_adoption(): chooses the tenants and days to write, marks ended days final, writes their snapshots; returns the tenant-days written and the range of days whose totals changed';

/*
 * Keeps the daily snapshots.  Without from_day and tenant_id (what
 * upkeep() runs): incremental, for each tenant the days from the earliest
 * of (the day of an event ingested since the previous run, the day after
 * its last snapshot, its first event's day when it has none) to today;
 * rows of days that have ended since are marked final.  With tenant_id and
 * no from_day: that tenant from its first event's day.  With from_day: a
 * backfill of [from_day, to_day] for one tenant or all.  Each form then
 * recomputes the campaign and launch snapshots (snapshot_campaigns()).
 */
CREATE FUNCTION adoption.snapshot_adoption(from_day date DEFAULT NULL, to_day date DEFAULT NULL,
	tenant_id text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	today date := (now() AT TIME ZONE 'UTC')::date;
	last_day date := coalesce(snapshot_adoption.to_day, today);
	incremental boolean := snapshot_adoption.from_day IS NULL AND snapshot_adoption.tenant_id IS NULL;
	old_watermark timestamptz;
	new_watermark timestamptz;
	written integer;
	totals_from date;
	totals_to date;
BEGIN
	IF last_day > today THEN
		RAISE EXCEPTION 'to_day % is in the future', last_day USING ERRCODE = 'invalid_parameter_value',
			HINT = format('Snapshots are kept up to the current UTC day (%s), which is marked partial.', today);
	END IF;
	IF snapshot_adoption.from_day > last_day THEN
		RAISE EXCEPTION 'from_day % is after to_day %', snapshot_adoption.from_day, last_day
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT isfinite(snapshot_adoption.from_day) OR NOT isfinite(last_day) THEN
		RAISE EXCEPTION 'from_day and to_day must be finite dates' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM adoption.check_known_tenant(snapshot_adoption.tenant_id,
		'Tenants are the rows of adoption.tenants; events register them on first sight.')
	WHERE snapshot_adoption.tenant_id IS NOT NULL;

	/* One run at a time: a second one returns at once. */
	IF NOT pg_try_advisory_xact_lock(('adoption.daily_feature_snapshots'::regclass)::oid::bigint) THEN
		RAISE NOTICE 'adoption.snapshot_adoption() is already running in another session; skipped';
		RETURN 0;
	END IF;

	IF incremental THEN
		SELECT r.watermark INTO old_watermark FROM adoption.snapshot_state AS r;
		new_watermark := adoption.ingest_watermark();
		UPDATE adoption.daily_totals AS s SET partial = false
		WHERE s.partial AND ((s.day + 1)::timestamp AT TIME ZONE 'UTC') <= now();
	END IF;

	IF NOT adoption.citus_distributed() THEN
		SELECT st.written INTO written
		FROM adoption.snapshot_tenants(snapshot_adoption.from_day, last_day, snapshot_adoption.tenant_id,
			incremental, old_watermark, today) AS st;
	ELSE
		/*
		 * Per shard group, on its worker, in this transaction (as
		 * rescore()); then the totals, a reference table, here.
		 */
		SELECT coalesce(sum((r OPERATOR(pg_catalog.->>) 'written')::integer), 0),
			min((r OPERATOR(pg_catalog.->>) 'totals_from')::date), max((r OPERATOR(pg_catalog.->>) 'totals_to')::date)
		INTO written, totals_from, totals_to
		FROM adoption.citus_run_at(
			ARRAY(SELECT x.anchor FROM adoption.citus_shard_tenants(snapshot_adoption.tenant_id) AS x),
			format('SELECT * FROM adoption.snapshot_tenants(%L, %L, %L, %L, %L, %L)', snapshot_adoption.from_day,
				last_day, snapshot_adoption.tenant_id, incremental, old_watermark, today)) AS r;
		IF totals_from IS NOT NULL THEN
			PERFORM adoption.snapshot_totals(totals_from, totals_to);
		END IF;
	END IF;
	/*
	 * The campaign and launch snapshots, recomputed whole (see
	 * snapshot_campaigns()); not on a Citus cluster yet (docs/citus.md).
	 */
	IF NOT adoption.citus_distributed() THEN
		PERFORM adoption.snapshot_campaigns();
	END IF;

	IF incremental THEN
		INSERT INTO adoption.snapshot_state AS r (singleton, watermark, last_started_at, last_finished_at, last_days)
		VALUES (true, new_watermark, now(), clock_timestamp(), written)
		ON CONFLICT (singleton) DO UPDATE SET watermark = excluded.watermark,
			last_started_at = excluded.last_started_at, last_finished_at = excluded.last_finished_at,
			last_days = excluded.last_days;
	END IF;
	RETURN written;
END
$$;
COMMENT ON FUNCTION adoption.snapshot_adoption(date, date, text) IS 'Writes the daily adoption snapshots: incrementally without arguments (what upkeep() runs), or recomputes [from_day, to_day] (default: the first event''s day, today UTC) for one tenant or all; then runs snapshot_campaigns(); returns the tenant-days written';

/* Per tenant and day: its active users and events. */
CREATE VIEW adoption.tenant_activity_daily WITH (security_invoker = true) AS
SELECT s.tenant_id, t.name AS tenant_name, t.segment, t.plan,
	s.day, (s.day::timestamp AT TIME ZONE 'UTC') AS day_start,
	s.active_users, s.users, s.events,
	t.seats_licensed,
	s.active_users::double precision / NULLIF(t.seats_licensed, 0) AS seat_utilization,
	s.partial, s.computed_at
FROM adoption.daily_tenant_snapshots AS s
LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) s.tenant_id;
COMMENT ON VIEW adoption.tenant_activity_daily IS 'Per tenant and UTC day, as of the end of the day: active users and events (daily snapshot kept by adoption.upkeep())';
COMMENT ON COLUMN adoption.tenant_activity_daily.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.tenant_activity_daily.tenant_name IS 'Tenant name';
COMMENT ON COLUMN adoption.tenant_activity_daily.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.tenant_activity_daily.plan IS 'Tenant plan';
COMMENT ON COLUMN adoption.tenant_activity_daily.day IS 'UTC day (date)';
COMMENT ON COLUMN adoption.tenant_activity_daily.day_start IS 'Midnight UTC starting the day, as timestamptz: use it where a client turns dates into local midnight';
COMMENT ON COLUMN adoption.tenant_activity_daily.active_users IS 'The tenant''s active users at the end of the day: users with an event of any feature in [day + 1 day - active_window, day + 1 day)';
COMMENT ON COLUMN adoption.tenant_activity_daily.users IS 'Users seen by the end of the day (first event before day + 1 day)';
COMMENT ON COLUMN adoption.tenant_activity_daily.events IS 'Events with time on the day';
COMMENT ON COLUMN adoption.tenant_activity_daily.seats_licensed IS 'Seats licensed now (adoption.tenants)';
COMMENT ON COLUMN adoption.tenant_activity_daily.seat_utilization IS 'active_users / seats_licensed (NULL without seats)';
COMMENT ON COLUMN adoption.tenant_activity_daily.partial IS 'True while the day has not ended (UTC): its numbers still grow';
COMMENT ON COLUMN adoption.tenant_activity_daily.computed_at IS 'When the row was computed';

/* Per tenant, feature and day: the adoption of docs/adoption-state.md as of the end of the day. */
CREATE VIEW adoption.adoption_daily WITH (security_invoker = true) AS
SELECT s.tenant_id, t.name AS tenant_name, t.segment, t.plan,
	s.feature_id, f.feature_name, f.tier,
	s.day, (s.day::timestamp AT TIME ZONE 'UTC') AS day_start,
	d.active_users, s.active_adopters,
	s.active_adopters::double precision / NULLIF(d.active_users, 0) AS adoption_rate,
	s.active_habitual,
	s.active_habitual::double precision / NULLIF(d.active_users, 0) AS habitual_rate,
	s.activated_users, s.adopted_users, s.habitual_users, s.new_adopters,
	s.tenant_adopted, s.partial, s.computed_at
FROM adoption.daily_feature_snapshots AS s
JOIN adoption.daily_tenant_snapshots AS d
	ON d.tenant_id OPERATOR(pg_catalog.=) s.tenant_id AND d.day OPERATOR(pg_catalog.=) s.day
LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) s.tenant_id
LEFT JOIN adoption.features AS f ON f.feature_id OPERATOR(pg_catalog.=) s.feature_id;
COMMENT ON VIEW adoption.adoption_daily IS 'Adoption per tenant, feature and UTC day, as of the end of the day, over the tenant''s active users (daily snapshot kept by adoption.upkeep()); a row from the first day a user of the tenant used the feature';
COMMENT ON COLUMN adoption.adoption_daily.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.adoption_daily.tenant_name IS 'Tenant name';
COMMENT ON COLUMN adoption.adoption_daily.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.adoption_daily.plan IS 'Tenant plan';
COMMENT ON COLUMN adoption.adoption_daily.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.adoption_daily.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.adoption_daily.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.adoption_daily.day IS 'UTC day (date)';
COMMENT ON COLUMN adoption.adoption_daily.day_start IS 'Midnight UTC starting the day, as timestamptz: use it where a client turns dates into local midnight';
COMMENT ON COLUMN adoption.adoption_daily.active_users IS 'The tenant''s active users at the end of the day (any feature, event in [day + 1 day - active_window, day + 1 day)): the denominator';
COMMENT ON COLUMN adoption.adoption_daily.active_adopters IS 'Active users who adopted the feature (adopted_at before the end of the day)';
COMMENT ON COLUMN adoption.adoption_daily.adoption_rate IS 'active_adopters / active_users (NULL without active users)';
COMMENT ON COLUMN adoption.adoption_daily.active_habitual IS 'Active users habitual on the feature (habitual_at before the end of the day)';
COMMENT ON COLUMN adoption.adoption_daily.habitual_rate IS 'active_habitual / active_users (NULL without active users)';
COMMENT ON COLUMN adoption.adoption_daily.activated_users IS 'Users who used the feature by the end of the day (active or not)';
COMMENT ON COLUMN adoption.adoption_daily.adopted_users IS 'Users who adopted the feature by the end of the day (active or not)';
COMMENT ON COLUMN adoption.adoption_daily.habitual_users IS 'Users habitual on the feature by the end of the day (active or not)';
COMMENT ON COLUMN adoption.adoption_daily.new_adopters IS 'Users whose adopted_at is on the day';
COMMENT ON COLUMN adoption.adoption_daily.tenant_adopted IS 'The tenant reached the feature_adopted milestone by the end of the day';
COMMENT ON COLUMN adoption.adoption_daily.partial IS 'True while the day has not ended (UTC): its numbers may still change';
COMMENT ON COLUMN adoption.adoption_daily.computed_at IS 'When the row was computed';

/*
 * Weekly (Monday, UTC) and monthly roll-ups of adoption_daily: the values
 * at the end of the period (its last day with a row), the adopters new in
 * it, and the mean of the daily rates.
 */
CREATE VIEW adoption.adoption_periods WITH (security_invoker = true) AS
SELECT r.period, r.tenant_id, r.tenant_name, r.segment, r.plan, r.feature_id, r.feature_name, r.tier,
	r.period_start_date, (r.period_start_date::timestamp AT TIME ZONE 'UTC') AS period_start,
	r.days, r.last_day, r.active_users, r.active_adopters, r.adoption_rate, r.active_habitual, r.habitual_rate,
	r.activated_users, r.adopted_users, r.habitual_users, r.new_adopters, r.mean_adoption_rate,
	r.tenant_adopted,
	r.partial OR ((r.period_start_date OPERATOR(pg_catalog.+) CASE r.period WHEN 'week' THEN interval '7 days'
		ELSE interval '1 month' END) AT TIME ZONE 'UTC') OPERATOR(pg_catalog.>) pg_catalog.now() AS partial
FROM (
	SELECT p.period, a.tenant_id, a.tenant_name, a.segment, a.plan, a.feature_id, a.feature_name, a.tier,
		(pg_catalog.date_trunc(p.period, a.day::timestamp))::date AS period_start_date,
		count(*) OVER w AS days,
		a.day AS last_day,
		a.active_users, a.active_adopters, a.adoption_rate, a.active_habitual, a.habitual_rate,
		a.activated_users, a.adopted_users, a.habitual_users,
		sum(a.new_adopters) OVER w AS new_adopters,
		avg(a.adoption_rate) OVER w AS mean_adoption_rate,
		a.tenant_adopted, a.partial,
		pg_catalog.row_number() OVER (PARTITION BY p.period, a.tenant_id, a.feature_id,
			pg_catalog.date_trunc(p.period, a.day::timestamp) ORDER BY a.day DESC) AS from_end
	FROM adoption.adoption_daily AS a
	CROSS JOIN (VALUES ('week'), ('month')) AS p(period)
	WINDOW w AS (PARTITION BY p.period, a.tenant_id, a.feature_id, pg_catalog.date_trunc(p.period, a.day::timestamp))
) AS r
WHERE r.from_end OPERATOR(pg_catalog.=) 1;
COMMENT ON VIEW adoption.adoption_periods IS 'adoption_daily rolled up per week (Monday, UTC) and per month: the values at the end of the period, adopters new in it, mean daily rate; read adoption_weekly or adoption_monthly';
COMMENT ON COLUMN adoption.adoption_periods.period IS 'week or month';
COMMENT ON COLUMN adoption.adoption_periods.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.adoption_periods.tenant_name IS 'Tenant name';
COMMENT ON COLUMN adoption.adoption_periods.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.adoption_periods.plan IS 'Tenant plan';
COMMENT ON COLUMN adoption.adoption_periods.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.adoption_periods.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.adoption_periods.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.adoption_periods.period_start_date IS 'First day of the period (a Monday for weeks), UTC date';
COMMENT ON COLUMN adoption.adoption_periods.period_start IS 'Midnight UTC starting the period, as timestamptz';
COMMENT ON COLUMN adoption.adoption_periods.days IS 'Days of the period with a row (fewer than the period''s days in the first period of a tenant x feature and in the current one)';
COMMENT ON COLUMN adoption.adoption_periods.last_day IS 'The day the end-of-period values are from (the period''s last day with a row)';
COMMENT ON COLUMN adoption.adoption_periods.active_users IS 'The tenant''s active users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.active_adopters IS 'Active users who adopted the feature, at the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.adoption_rate IS 'active_adopters / active_users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.active_habitual IS 'Active users habitual on the feature, at the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.habitual_rate IS 'active_habitual / active_users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.activated_users IS 'Users who used the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.adopted_users IS 'Users who adopted the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.habitual_users IS 'Users habitual on the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.new_adopters IS 'Users whose adopted_at is in the period';
COMMENT ON COLUMN adoption.adoption_periods.mean_adoption_rate IS 'Mean of the daily adoption_rate over the days of the period (days without active users left out)';
COMMENT ON COLUMN adoption.adoption_periods.tenant_adopted IS 'The tenant reached the feature_adopted milestone by the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.partial IS 'True while the period has not ended (UTC) or its last day is partial';

CREATE VIEW adoption.adoption_weekly WITH (security_invoker = true) AS
SELECT p.tenant_id, p.tenant_name, p.segment, p.plan, p.feature_id, p.feature_name, p.tier,
	p.period_start_date AS week, p.period_start AS week_start, p.days, p.last_day,
	p.active_users, p.active_adopters, p.adoption_rate, p.active_habitual, p.habitual_rate,
	p.activated_users, p.adopted_users, p.habitual_users, p.new_adopters, p.mean_adoption_rate,
	p.tenant_adopted, p.partial
FROM adoption.adoption_periods AS p
WHERE p.period OPERATOR(pg_catalog.=) 'week';
COMMENT ON VIEW adoption.adoption_weekly IS 'adoption_daily per week (Monday, UTC): values at the end of the week, adopters new in it, mean daily rate';
COMMENT ON COLUMN adoption.adoption_weekly.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.adoption_weekly.tenant_name IS 'Tenant name';
COMMENT ON COLUMN adoption.adoption_weekly.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.adoption_weekly.plan IS 'Tenant plan';
COMMENT ON COLUMN adoption.adoption_weekly.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.adoption_weekly.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.adoption_weekly.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.adoption_weekly.week IS 'Monday of the week (UTC date)';
COMMENT ON COLUMN adoption.adoption_weekly.week_start IS 'Midnight UTC starting the week, as timestamptz';
COMMENT ON COLUMN adoption.adoption_weekly.days IS 'Days of the week with a row (fewer than the week''s days in the first period of a tenant x feature and in the current one)';
COMMENT ON COLUMN adoption.adoption_weekly.last_day IS 'The day the end-of-period values are from (the week''s last day with a row)';
COMMENT ON COLUMN adoption.adoption_weekly.active_users IS 'The tenant''s active users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.active_adopters IS 'Active users who adopted the feature, at the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.adoption_rate IS 'active_adopters / active_users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.active_habitual IS 'Active users habitual on the feature, at the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.habitual_rate IS 'active_habitual / active_users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.activated_users IS 'Users who used the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.adopted_users IS 'Users who adopted the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.habitual_users IS 'Users habitual on the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.new_adopters IS 'Users whose adopted_at is in the week';
COMMENT ON COLUMN adoption.adoption_weekly.mean_adoption_rate IS 'Mean of the daily adoption_rate over the days of the week (days without active users left out)';
COMMENT ON COLUMN adoption.adoption_weekly.tenant_adopted IS 'The tenant reached the feature_adopted milestone by the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.partial IS 'True while the week has not ended (UTC) or its last day is partial';

CREATE VIEW adoption.adoption_monthly WITH (security_invoker = true) AS
SELECT p.tenant_id, p.tenant_name, p.segment, p.plan, p.feature_id, p.feature_name, p.tier,
	p.period_start_date AS month, p.period_start AS month_start, p.days, p.last_day,
	p.active_users, p.active_adopters, p.adoption_rate, p.active_habitual, p.habitual_rate,
	p.activated_users, p.adopted_users, p.habitual_users, p.new_adopters, p.mean_adoption_rate,
	p.tenant_adopted, p.partial
FROM adoption.adoption_periods AS p
WHERE p.period OPERATOR(pg_catalog.=) 'month';
COMMENT ON VIEW adoption.adoption_monthly IS 'adoption_daily per month (UTC): values at the end of the month, adopters new in it, mean daily rate';
COMMENT ON COLUMN adoption.adoption_monthly.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.adoption_monthly.tenant_name IS 'Tenant name';
COMMENT ON COLUMN adoption.adoption_monthly.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.adoption_monthly.plan IS 'Tenant plan';
COMMENT ON COLUMN adoption.adoption_monthly.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.adoption_monthly.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.adoption_monthly.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.adoption_monthly.month IS 'First day of the month (UTC date)';
COMMENT ON COLUMN adoption.adoption_monthly.month_start IS 'Midnight UTC starting the month, as timestamptz';
COMMENT ON COLUMN adoption.adoption_monthly.days IS 'Days of the month with a row (fewer than the month''s days in the first period of a tenant x feature and in the current one)';
COMMENT ON COLUMN adoption.adoption_monthly.last_day IS 'The day the end-of-period values are from (the month''s last day with a row)';
COMMENT ON COLUMN adoption.adoption_monthly.active_users IS 'The tenant''s active users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.active_adopters IS 'Active users who adopted the feature, at the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.adoption_rate IS 'active_adopters / active_users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.active_habitual IS 'Active users habitual on the feature, at the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.habitual_rate IS 'active_habitual / active_users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.activated_users IS 'Users who used the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.adopted_users IS 'Users who adopted the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.habitual_users IS 'Users habitual on the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.new_adopters IS 'Users whose adopted_at is in the month';
COMMENT ON COLUMN adoption.adoption_monthly.mean_adoption_rate IS 'Mean of the daily adoption_rate over the days of the month (days without active users left out)';
COMMENT ON COLUMN adoption.adoption_monthly.tenant_adopted IS 'The tenant reached the feature_adopted milestone by the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.partial IS 'True while the month has not ended (UTC) or its last day is partial';

/*
 * Per feature and day across tenants: the denominator is every tenant's
 * active users (tenants that never used the feature included), the
 * product-wide form of the tenant definition.  Read from the stored totals;
 * for a reader limited to its tenant (adoption_tenant), summed over the
 * rows it may read (the other branch, off for everyone else).
 */
CREATE VIEW adoption.feature_adoption_daily WITH (security_invoker = true) AS
SELECT f.feature_id, f.feature_name, f.tier, d.day, (d.day::timestamp AT TIME ZONE 'UTC') AS day_start,
	d.active_users,
	coalesce(s.active_adopters, 0) AS active_adopters,
	coalesce(s.active_adopters, 0)::double precision / NULLIF(d.active_users, 0) AS adoption_rate,
	coalesce(s.active_habitual, 0) AS active_habitual,
	coalesce(s.active_habitual, 0)::double precision / NULLIF(d.active_users, 0) AS habitual_rate,
	coalesce(s.activated_users, 0) AS activated_users,
	coalesce(s.adopted_users, 0) AS adopted_users,
	coalesce(s.new_adopters, 0) AS new_adopters,
	d.tenants,
	coalesce(s.tenants_using, 0) AS tenants_using,
	coalesce(s.tenants_adopted, 0) AS tenants_adopted,
	d.partial
FROM (
	SELECT x.day, x.active_users, x.tenants, x.partial FROM adoption.daily_totals AS x
	UNION ALL
	SELECT t.day, sum(t.active_users), count(*), bool_or(t.partial)
	FROM adoption.daily_tenant_snapshots AS t WHERE adoption.tenant_scoped() GROUP BY t.day
) AS d
CROSS JOIN adoption.features AS f
LEFT JOIN (
	SELECT x.feature_id, x.day, x.active_adopters, x.active_habitual, x.activated_users, x.adopted_users,
		x.new_adopters, x.tenants_using, x.tenants_adopted
	FROM adoption.daily_feature_totals AS x
	UNION ALL
	SELECT x.feature_id, x.day, sum(x.active_adopters), sum(x.active_habitual), sum(x.activated_users),
		sum(x.adopted_users), sum(x.new_adopters), count(*), count(*) FILTER (WHERE x.tenant_adopted)
	FROM adoption.daily_feature_snapshots AS x WHERE adoption.tenant_scoped() GROUP BY x.feature_id, x.day
) AS s ON s.feature_id OPERATOR(pg_catalog.=) f.feature_id AND s.day OPERATOR(pg_catalog.=) d.day;
COMMENT ON VIEW adoption.feature_adoption_daily IS 'Adoption per feature and UTC day across tenants, as of the end of the day: adopters among all tenants'' active users';
COMMENT ON COLUMN adoption.feature_adoption_daily.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.feature_adoption_daily.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.feature_adoption_daily.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.feature_adoption_daily.day IS 'UTC day (date)';
COMMENT ON COLUMN adoption.feature_adoption_daily.day_start IS 'Midnight UTC starting the day, as timestamptz';
COMMENT ON COLUMN adoption.feature_adoption_daily.active_users IS 'Sum over the tenants of their active users at the end of the day (every tenant, whether it used the feature or not): the denominator';
COMMENT ON COLUMN adoption.feature_adoption_daily.active_adopters IS 'Sum over the tenants of their active users who adopted the feature';
COMMENT ON COLUMN adoption.feature_adoption_daily.adoption_rate IS 'active_adopters / active_users (NULL without active users)';
COMMENT ON COLUMN adoption.feature_adoption_daily.active_habitual IS 'Sum over the tenants of their active users habitual on the feature';
COMMENT ON COLUMN adoption.feature_adoption_daily.habitual_rate IS 'active_habitual / active_users';
COMMENT ON COLUMN adoption.feature_adoption_daily.activated_users IS 'Users (of any tenant) who used the feature by the end of the day';
COMMENT ON COLUMN adoption.feature_adoption_daily.adopted_users IS 'Users (of any tenant) who adopted the feature by the end of the day';
COMMENT ON COLUMN adoption.feature_adoption_daily.new_adopters IS 'Users whose adopted_at is on the day';
COMMENT ON COLUMN adoption.feature_adoption_daily.tenants IS 'Tenants with a snapshot of the day (their first event is on or before it)';
COMMENT ON COLUMN adoption.feature_adoption_daily.tenants_using IS 'Tenants with a user who used the feature by the end of the day';
COMMENT ON COLUMN adoption.feature_adoption_daily.tenants_adopted IS 'Tenants that reached the feature_adopted milestone by the end of the day';
COMMENT ON COLUMN adoption.feature_adoption_daily.partial IS 'True while the day has not ended (UTC)';

/* feature_adoption_daily per week and month: the values at the end of the period. */
CREATE VIEW adoption.feature_adoption_periods WITH (security_invoker = true) AS
SELECT r.period, r.feature_id, r.feature_name, r.tier, r.period_start_date,
	(r.period_start_date::timestamp AT TIME ZONE 'UTC') AS period_start, r.last_day,
	r.active_users, r.active_adopters, r.adoption_rate, r.active_habitual, r.habitual_rate,
	r.activated_users, r.adopted_users, r.new_adopters, r.tenants, r.tenants_using, r.tenants_adopted,
	r.partial OR ((r.period_start_date OPERATOR(pg_catalog.+) CASE r.period WHEN 'week' THEN interval '7 days'
		ELSE interval '1 month' END) AT TIME ZONE 'UTC') OPERATOR(pg_catalog.>) pg_catalog.now() AS partial
FROM (
	SELECT p.period, a.feature_id, a.feature_name, a.tier,
		(pg_catalog.date_trunc(p.period, a.day::timestamp))::date AS period_start_date,
		a.day AS last_day, a.active_users, a.active_adopters, a.adoption_rate, a.active_habitual,
		a.habitual_rate, a.activated_users, a.adopted_users,
		sum(a.new_adopters) OVER (PARTITION BY p.period, a.feature_id,
			pg_catalog.date_trunc(p.period, a.day::timestamp)) AS new_adopters,
		a.tenants, a.tenants_using, a.tenants_adopted, a.partial,
		pg_catalog.row_number() OVER (PARTITION BY p.period, a.feature_id,
			pg_catalog.date_trunc(p.period, a.day::timestamp) ORDER BY a.day DESC) AS from_end
	FROM adoption.feature_adoption_daily AS a
	CROSS JOIN (VALUES ('week'), ('month')) AS p(period)
) AS r
WHERE r.from_end OPERATOR(pg_catalog.=) 1;
COMMENT ON VIEW adoption.feature_adoption_periods IS 'feature_adoption_daily per week (Monday, UTC) and month: values at the end of the period, adopters new in it; read feature_adoption_weekly or feature_adoption_monthly';
COMMENT ON COLUMN adoption.feature_adoption_periods.period IS 'week or month';
COMMENT ON COLUMN adoption.feature_adoption_periods.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.feature_adoption_periods.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.feature_adoption_periods.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.feature_adoption_periods.period_start_date IS 'First day of the period (a Monday for weeks), UTC date';
COMMENT ON COLUMN adoption.feature_adoption_periods.period_start IS 'Midnight UTC starting the period, as timestamptz';
COMMENT ON COLUMN adoption.feature_adoption_periods.last_day IS 'The day the end-of-period values are from';
COMMENT ON COLUMN adoption.feature_adoption_periods.active_users IS 'All tenants'' active users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.active_adopters IS 'Of them, adopters of the feature';
COMMENT ON COLUMN adoption.feature_adoption_periods.adoption_rate IS 'active_adopters / active_users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.active_habitual IS 'Active users habitual on the feature at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.habitual_rate IS 'active_habitual / active_users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.activated_users IS 'Users who used the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.adopted_users IS 'Users who adopted the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.new_adopters IS 'Users whose adopted_at is in the period';
COMMENT ON COLUMN adoption.feature_adoption_periods.tenants IS 'Tenants with a snapshot of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.tenants_using IS 'Tenants with a user of the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.tenants_adopted IS 'Tenants with the feature_adopted milestone by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.partial IS 'True while the period has not ended (UTC)';

CREATE VIEW adoption.feature_adoption_weekly WITH (security_invoker = true) AS
SELECT p.feature_id, p.feature_name, p.tier, p.period_start_date AS week, p.period_start AS week_start, p.last_day,
	p.active_users, p.active_adopters, p.adoption_rate, p.active_habitual, p.habitual_rate,
	p.activated_users, p.adopted_users, p.new_adopters, p.tenants, p.tenants_using, p.tenants_adopted, p.partial
FROM adoption.feature_adoption_periods AS p
WHERE p.period OPERATOR(pg_catalog.=) 'week';
COMMENT ON VIEW adoption.feature_adoption_weekly IS 'feature_adoption_daily per week (Monday, UTC): values at the end of the week';
COMMENT ON COLUMN adoption.feature_adoption_weekly.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.feature_adoption_weekly.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.feature_adoption_weekly.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.feature_adoption_weekly.week IS 'Monday of the week (UTC date)';
COMMENT ON COLUMN adoption.feature_adoption_weekly.week_start IS 'Midnight UTC starting the week, as timestamptz';
COMMENT ON COLUMN adoption.feature_adoption_weekly.last_day IS 'The day the end-of-period values are from';
COMMENT ON COLUMN adoption.feature_adoption_weekly.active_users IS 'All tenants'' active users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.active_adopters IS 'Of them, adopters of the feature';
COMMENT ON COLUMN adoption.feature_adoption_weekly.adoption_rate IS 'active_adopters / active_users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.active_habitual IS 'Active users habitual on the feature at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.habitual_rate IS 'active_habitual / active_users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.activated_users IS 'Users who used the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.adopted_users IS 'Users who adopted the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.new_adopters IS 'Users whose adopted_at is in the week';
COMMENT ON COLUMN adoption.feature_adoption_weekly.tenants IS 'Tenants with a snapshot of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.tenants_using IS 'Tenants with a user of the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.tenants_adopted IS 'Tenants with the feature_adopted milestone by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.partial IS 'True while the week has not ended (UTC)';

CREATE VIEW adoption.feature_adoption_monthly WITH (security_invoker = true) AS
SELECT p.feature_id, p.feature_name, p.tier, p.period_start_date AS month, p.period_start AS month_start, p.last_day,
	p.active_users, p.active_adopters, p.adoption_rate, p.active_habitual, p.habitual_rate,
	p.activated_users, p.adopted_users, p.new_adopters, p.tenants, p.tenants_using, p.tenants_adopted, p.partial
FROM adoption.feature_adoption_periods AS p
WHERE p.period OPERATOR(pg_catalog.=) 'month';
COMMENT ON VIEW adoption.feature_adoption_monthly IS 'feature_adoption_daily per month (UTC): values at the end of the month';
COMMENT ON COLUMN adoption.feature_adoption_monthly.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.feature_adoption_monthly.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.feature_adoption_monthly.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.feature_adoption_monthly.month IS 'First day of the month (UTC date)';
COMMENT ON COLUMN adoption.feature_adoption_monthly.month_start IS 'Midnight UTC starting the month, as timestamptz';
COMMENT ON COLUMN adoption.feature_adoption_monthly.last_day IS 'The day the end-of-period values are from';
COMMENT ON COLUMN adoption.feature_adoption_monthly.active_users IS 'All tenants'' active users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.active_adopters IS 'Of them, adopters of the feature';
COMMENT ON COLUMN adoption.feature_adoption_monthly.adoption_rate IS 'active_adopters / active_users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.active_habitual IS 'Active users habitual on the feature at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.habitual_rate IS 'active_habitual / active_users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.activated_users IS 'Users who used the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.adopted_users IS 'Users who adopted the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.new_adopters IS 'Users whose adopted_at is in the month';
COMMENT ON COLUMN adoption.feature_adoption_monthly.tenants IS 'Tenants with a snapshot of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.tenants_using IS 'Tenants with a user of the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.tenants_adopted IS 'Tenants with the feature_adopted milestone by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.partial IS 'True while the month has not ended (UTC)';

/*
 * Health per tenant and day: the tenant's latest score as of the end of
 * the day (scores are appended by rescore(); a day without a new score
 * carries the one before), from the day of its first score to today: each
 * day's last score covers the days up to the next day with a score.
 */
CREATE VIEW adoption.health_daily WITH (security_invoker = true) AS
SELECT h.tenant_id, t.name AS tenant_name, t.segment, t.plan, t.arr,
	g.day::date AS day, (g.day AT TIME ZONE 'UTC') AS day_start,
	h.scored_at, h.score, h.risk,
	(h.components OPERATOR(pg_catalog.->>) 'usage_trend')::double precision AS usage_trend,
	(h.components OPERATOR(pg_catalog.->>) 'adoption')::double precision AS adoption,
	(h.components OPERATOR(pg_catalog.->>) 'support')::double precision AS support,
	(h.components OPERATOR(pg_catalog.->>) 'billing')::double precision AS billing,
	(h.components OPERATOR(pg_catalog.->>) 'feedback')::double precision AS feedback,
	h.active_users,
	((g.day OPERATOR(pg_catalog.+) interval '1 day') AT TIME ZONE 'UTC') OPERATOR(pg_catalog.>) pg_catalog.now() AS partial
FROM (
	SELECT l.*, pg_catalog.lead(l.day) OVER (PARTITION BY l.tenant_id ORDER BY l.day) AS next_day
	FROM (
		SELECT DISTINCT ON (x.tenant_id, 2) x.tenant_id,
			pg_catalog.date_trunc('day', x.scored_at AT TIME ZONE 'UTC') AS day,
			x.scored_at, x.score, x.risk, x.components, x.active_users
		FROM adoption.health_scores AS x
		ORDER BY x.tenant_id, 2, x.scored_at DESC
	) AS l
) AS h
CROSS JOIN LATERAL pg_catalog.generate_series(h.day,
	coalesce(h.next_day OPERATOR(pg_catalog.-) interval '1 day',
		greatest(h.day, pg_catalog.date_trunc('day', pg_catalog.now() AT TIME ZONE 'UTC'))),
	interval '1 day') AS g(day)
LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) h.tenant_id;
COMMENT ON VIEW adoption.health_daily IS 'Health per tenant and UTC day: the latest score as of the end of the day (a day without a new score carries the previous one), components as numbers';
COMMENT ON COLUMN adoption.health_daily.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.health_daily.tenant_name IS 'Tenant name';
COMMENT ON COLUMN adoption.health_daily.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.health_daily.plan IS 'Tenant plan';
COMMENT ON COLUMN adoption.health_daily.arr IS 'Annual recurring revenue of the tenant (now)';
COMMENT ON COLUMN adoption.health_daily.day IS 'UTC day (date)';
COMMENT ON COLUMN adoption.health_daily.day_start IS 'Midnight UTC starting the day, as timestamptz';
COMMENT ON COLUMN adoption.health_daily.scored_at IS 'Time the score shown is as of (the latest before the end of the day)';
COMMENT ON COLUMN adoption.health_daily.score IS 'Health score 0-100';
COMMENT ON COLUMN adoption.health_daily.risk IS 'healthy, at_risk or critical';
COMMENT ON COLUMN adoption.health_daily.usage_trend IS 'Component usage_trend, 0-100 (NULL when absent)';
COMMENT ON COLUMN adoption.health_daily.adoption IS 'Component adoption, 0-100';
COMMENT ON COLUMN adoption.health_daily.support IS 'Component support, 0-100';
COMMENT ON COLUMN adoption.health_daily.billing IS 'Component billing, 0-100';
COMMENT ON COLUMN adoption.health_daily.feedback IS 'Component feedback, 0-100 (NULL without NPS answers in 90 days)';
COMMENT ON COLUMN adoption.health_daily.active_users IS 'The tenant''s active users at scored_at';
COMMENT ON COLUMN adoption.health_daily.partial IS 'True while the day has not ended (UTC): a later score of the day may replace it';

CREATE VIEW adoption.health_bands_daily WITH (security_invoker = true) AS
SELECT h.day, h.day_start, h.risk, count(*) AS tenants, sum(h.arr) AS arr, avg(h.score) AS mean_score,
	bool_or(h.partial) AS partial
FROM adoption.health_daily AS h
GROUP BY h.day, h.day_start, h.risk;
COMMENT ON VIEW adoption.health_bands_daily IS 'Tenants per health band and UTC day (from health_daily: each tenant''s latest score as of the end of the day)';
COMMENT ON COLUMN adoption.health_bands_daily.day IS 'UTC day (date)';
COMMENT ON COLUMN adoption.health_bands_daily.day_start IS 'Midnight UTC starting the day, as timestamptz';
COMMENT ON COLUMN adoption.health_bands_daily.risk IS 'healthy, at_risk or critical';
COMMENT ON COLUMN adoption.health_bands_daily.tenants IS 'Tenants in the band';
COMMENT ON COLUMN adoption.health_bands_daily.arr IS 'Their ARR (now)';
COMMENT ON COLUMN adoption.health_bands_daily.mean_score IS 'Their mean score';
COMMENT ON COLUMN adoption.health_bands_daily.partial IS 'True while the day has not ended (UTC)';

/* NPS and sentiment per tenant and week (Monday, UTC) of the feedback. */
CREATE VIEW adoption.feedback_weekly WITH (security_invoker = true) AS
SELECT x.tenant_id, x.week, (x.week::timestamp AT TIME ZONE 'UTC') AS week_start,
	x.feedback, x.nps_responses, x.promoters, x.passives, x.detractors,
	round(100.0 * (x.promoters - x.detractors) / NULLIF(x.nps_responses, 0), 1) AS nps,
	x.mean_sentiment, x.positive, x.neutral, x.negative, x.csat_responses, x.mean_csat,
	((x.week OPERATOR(pg_catalog.+) 7)::timestamp AT TIME ZONE 'UTC') OPERATOR(pg_catalog.>) pg_catalog.now() AS partial
FROM (
	SELECT f.tenant_id, (pg_catalog.date_trunc('week', f.created_at AT TIME ZONE 'UTC'))::date AS week,
		count(*) AS feedback,
		count(*) FILTER (WHERE f.channel OPERATOR(pg_catalog.=) 'nps' AND f.score IS NOT NULL) AS nps_responses,
		count(*) FILTER (WHERE f.channel OPERATOR(pg_catalog.=) 'nps' AND f.score >= 9) AS promoters,
		count(*) FILTER (WHERE f.channel OPERATOR(pg_catalog.=) 'nps' AND f.score BETWEEN 7 AND 8) AS passives,
		count(*) FILTER (WHERE f.channel OPERATOR(pg_catalog.=) 'nps' AND f.score <= 6) AS detractors,
		avg(f.sentiment)::double precision AS mean_sentiment,
		count(*) FILTER (WHERE f.sentiment_label OPERATOR(pg_catalog.=) 'positive') AS positive,
		count(*) FILTER (WHERE f.sentiment_label OPERATOR(pg_catalog.=) 'neutral') AS neutral,
		count(*) FILTER (WHERE f.sentiment_label OPERATOR(pg_catalog.=) 'negative') AS negative,
		count(*) FILTER (WHERE f.channel OPERATOR(pg_catalog.=) 'csat' AND f.score IS NOT NULL) AS csat_responses,
		(avg(f.score) FILTER (WHERE f.channel OPERATOR(pg_catalog.=) 'csat'))::double precision AS mean_csat
	FROM adoption.feedback AS f
	GROUP BY 1, 2
) AS x;
COMMENT ON VIEW adoption.feedback_weekly IS 'Feedback per tenant and week (Monday, UTC, of created_at): NPS counts and score, sentiment, CSAT';
COMMENT ON COLUMN adoption.feedback_weekly.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.feedback_weekly.week IS 'Monday of the week (UTC date)';
COMMENT ON COLUMN adoption.feedback_weekly.week_start IS 'Midnight UTC starting the week, as timestamptz';
COMMENT ON COLUMN adoption.feedback_weekly.feedback IS 'Feedback rows of any channel';
COMMENT ON COLUMN adoption.feedback_weekly.nps_responses IS 'NPS answers with a score (sum it, with promoters and detractors, to get the NPS of several tenants or weeks)';
COMMENT ON COLUMN adoption.feedback_weekly.promoters IS 'NPS answers 9-10';
COMMENT ON COLUMN adoption.feedback_weekly.passives IS 'NPS answers 7-8';
COMMENT ON COLUMN adoption.feedback_weekly.detractors IS 'NPS answers 0-6';
COMMENT ON COLUMN adoption.feedback_weekly.nps IS '% promoters - % detractors, -100 to 100 (NULL without NPS answers)';
COMMENT ON COLUMN adoption.feedback_weekly.mean_sentiment IS 'Mean sentiment (-1 to 1) of the feedback rows';
COMMENT ON COLUMN adoption.feedback_weekly.positive IS 'Rows labelled positive (sentiment >= 0.05)';
COMMENT ON COLUMN adoption.feedback_weekly.neutral IS 'Rows labelled neutral';
COMMENT ON COLUMN adoption.feedback_weekly.negative IS 'Rows labelled negative (sentiment <= -0.05)';
COMMENT ON COLUMN adoption.feedback_weekly.csat_responses IS 'CSAT answers with a score';
COMMENT ON COLUMN adoption.feedback_weekly.mean_csat IS 'Mean CSAT score (1-5; NULL without answers)';
COMMENT ON COLUMN adoption.feedback_weekly.partial IS 'True while the week has not ended (UTC)';

/*
 * Campaign queue throughput per template and UTC day, from the first day
 * an action of the template was created to today: what came in, what went
 * out, and what was left at the end of the day.
 */
CREATE VIEW adoption.queue_daily WITH (security_invoker = true) AS
SELECT k.template_key, g.day::date AS day, (g.day AT TIME ZONE 'UTC') AS day_start,
	coalesce(c.enqueued, 0) AS enqueued,
	coalesce(d.done, 0) AS done,
	coalesce(d.dead, 0) AS dead,
	(sum(coalesce(c.enqueued, 0) OPERATOR(pg_catalog.-) coalesce(d.done, 0) OPERATOR(pg_catalog.-) coalesce(d.dead, 0))
		OVER (PARTITION BY k.template_key ORDER BY g.day))::bigint AS backlog,
	d.median_seconds_to_done,
	((g.day OPERATOR(pg_catalog.+) interval '1 day') AT TIME ZONE 'UTC') OPERATOR(pg_catalog.>) pg_catalog.now() AS partial
FROM (SELECT a.template_key, min(a.created_at) AS first_created_at FROM adoption.campaign_actions AS a
	GROUP BY a.template_key) AS k
CROSS JOIN LATERAL pg_catalog.generate_series(pg_catalog.date_trunc('day', k.first_created_at AT TIME ZONE 'UTC'),
	greatest(pg_catalog.date_trunc('day', pg_catalog.now() AT TIME ZONE 'UTC'),
		pg_catalog.date_trunc('day', k.first_created_at AT TIME ZONE 'UTC')), interval '1 day') AS g(day)
LEFT JOIN (SELECT a.template_key, pg_catalog.date_trunc('day', a.created_at AT TIME ZONE 'UTC') AS day,
		count(*) AS enqueued
	FROM adoption.campaign_actions AS a GROUP BY 1, 2) AS c
	ON c.template_key OPERATOR(pg_catalog.=) k.template_key AND c.day OPERATOR(pg_catalog.=) g.day
LEFT JOIN (SELECT a.template_key, pg_catalog.date_trunc('day', a.completed_at AT TIME ZONE 'UTC') AS day,
		count(*) FILTER (WHERE a.status OPERATOR(pg_catalog.=) 'done') AS done,
		count(*) FILTER (WHERE a.status OPERATOR(pg_catalog.=) 'dead') AS dead,
		pg_catalog.percentile_cont(0.5) WITHIN GROUP (ORDER BY pg_catalog.date_part('epoch', a.completed_at OPERATOR(pg_catalog.-) a.created_at))
			FILTER (WHERE a.status OPERATOR(pg_catalog.=) 'done') AS median_seconds_to_done
	FROM adoption.campaign_actions AS a
	WHERE a.completed_at IS NOT NULL AND a.status OPERATOR(pg_catalog.=) ANY (ARRAY['done', 'dead'])
	GROUP BY 1, 2) AS d
	ON d.template_key OPERATOR(pg_catalog.=) k.template_key AND d.day OPERATOR(pg_catalog.=) g.day;
COMMENT ON VIEW adoption.queue_daily IS 'Campaign action throughput per template and UTC day: enqueued, done, dead, the backlog left at the end of the day, and how long done actions took';
COMMENT ON COLUMN adoption.queue_daily.template_key IS 'Campaign template';
COMMENT ON COLUMN adoption.queue_daily.day IS 'UTC day (date)';
COMMENT ON COLUMN adoption.queue_daily.day_start IS 'Midnight UTC starting the day, as timestamptz';
COMMENT ON COLUMN adoption.queue_daily.enqueued IS 'Actions created on the day';
COMMENT ON COLUMN adoption.queue_daily.done IS 'Actions that became done on the day (completed_at)';
COMMENT ON COLUMN adoption.queue_daily.dead IS 'Actions that became dead on the day (completed_at)';
COMMENT ON COLUMN adoption.queue_daily.backlog IS 'Actions created by the end of the day and not done or dead by then (pending or claimed)';
COMMENT ON COLUMN adoption.queue_daily.median_seconds_to_done IS 'Median of completed_at - created_at, in seconds, over the actions done on the day (NULL without)';
COMMENT ON COLUMN adoption.queue_daily.partial IS 'True while the day has not ended (UTC)';

/*
 * Campaign and launch snapshots: what the dashboard's campaign and launch
 * pages read.  adoption.campaign_attribution, campaign_lift() and
 * launch_performance are computed from the state and the log at every read
 * (0.2 to 0.3 s of CPU each on the 1M-event demo), too slow for a page
 * that runs them at each build and for a BI tool that refreshes a chart
 * often.  adoption.snapshot_campaigns() computes the three at once and keeps
 * the results; snapshot_adoption() (and so the scheduled upkeep()) runs it
 * after the daily snapshots.  It recomputes everything (no watermark): the
 * three depend on the touches, the launches and state a rebuild or a
 * forget changes, not only on events, and the whole run costs about what
 * one read of each costs.  The stored attribution rows change only where
 * the answer changed (an upsert and a delete of what left), so a run with
 * nothing new writes nothing.
 *
 * The snapshot views are the live definitions as of computed_at, the
 * start of the transaction of the last run (now(), the time
 * launch_performance's target_met compares with): everything committed by
 * then counts, late events included; what was committed while the run
 * went on may count too (each statement reads what was committed when it
 * started); anything later counts from the next run.
 *
 * Attribution is per tenant (an adoption's touches are its tenant's), so
 * its snapshot carries tenant_id and row-level security narrows it for
 * adoption_tenant like the live view; lift and launch figures are over
 * every tenant, so, like daily_totals, their stored rows are hidden from
 * adoption_tenant, and for such a reader the views compute the live
 * figures of its own rows instead (adoption.tenant_scoped()).
 */
CREATE TABLE adoption.campaign_snapshot_state (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	computed_at timestamptz NOT NULL,
	finished_at timestamptz NOT NULL,
	attribution_rows integer NOT NULL,
	lift_rows integer NOT NULL,
	launch_rows integer NOT NULL,
	rows_written integer NOT NULL
);
COMMENT ON TABLE adoption.campaign_snapshot_state IS 'Bookkeeping of adoption.snapshot_campaigns(): when the campaign and launch snapshots were computed (computed_at, the start of the transaction that ran it), how many rows each holds and how many the run wrote';
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_snapshot_state', '');

CREATE TABLE adoption.attribution_snapshots (
	tenant_id text NOT NULL,
	user_id text NOT NULL,
	feature_id text NOT NULL,
	adopted_at timestamptz NOT NULL,
	campaign_id text NOT NULL,
	touched_at timestamptz NOT NULL,
	credit double precision NOT NULL,
	PRIMARY KEY (tenant_id, user_id, feature_id)
);
COMMENT ON TABLE adoption.attribution_snapshots IS 'The rows of adoption.campaign_attribution as of campaign_snapshot_state.computed_at (adoption.snapshot_campaigns(); read adoption.campaign_attribution_snapshot)';
SELECT pg_catalog.pg_extension_config_dump('adoption.attribution_snapshots', '');

CREATE TABLE adoption.lift_snapshots (
	campaign_id text NOT NULL,
	feature_id text NOT NULL,
	window_start timestamptz NOT NULL,
	window_end timestamptz NOT NULL,
	touched_users bigint NOT NULL,
	touched_adopters bigint NOT NULL,
	touched_rate double precision,
	untouched_users bigint NOT NULL,
	untouched_adopters bigint NOT NULL,
	untouched_rate double precision,
	rate_difference double precision,
	lift double precision,
	PRIMARY KEY (campaign_id, feature_id)
);
COMMENT ON TABLE adoption.lift_snapshots IS 'The rows of adoption.campaign_lift(''30 days'') over every tenant as of campaign_snapshot_state.computed_at (adoption.snapshot_campaigns(); read adoption.campaign_lift_snapshot)';
SELECT pg_catalog.pg_extension_config_dump('adoption.lift_snapshots', '');

CREATE TABLE adoption.launch_snapshots (
	launch_id text PRIMARY KEY,
	feature_id text NOT NULL,
	feature_name text,
	campaign_id text,
	launched_at timestamptz NOT NULL,
	target_adoption real NOT NULL,
	target_days integer NOT NULL,
	target_at timestamptz NOT NULL,
	users_activated_7d bigint NOT NULL,
	users_activated_30d bigint NOT NULL,
	users_activated_90d bigint NOT NULL,
	tenants_activated_7d bigint NOT NULL,
	tenants_activated_30d bigint NOT NULL,
	tenants_activated_90d bigint NOT NULL,
	tenants_active bigint NOT NULL,
	tenants_adopted bigint NOT NULL,
	adoption_rate double precision,
	median_time_to_activation interval,
	target_met boolean,
	users_active bigint NOT NULL,
	users_adopted bigint NOT NULL,
	user_adoption_rate double precision,
	median_days_to_activation double precision
);
COMMENT ON TABLE adoption.launch_snapshots IS 'The rows of adoption.launch_performance over every tenant as of campaign_snapshot_state.computed_at (adoption.snapshot_campaigns(); read adoption.launch_performance_snapshot)';
SELECT pg_catalog.pg_extension_config_dump('adoption.launch_snapshots', '');

/*
 * Recomputes the three snapshots from the live definitions, in one
 * transaction (readers see the previous run's rows until it commits).
 * Returns the rows it inserted, updated or deleted.  One run at a time: a
 * second concurrent one returns 0 with a notice.  It must see every row:
 * the extension's owner runs it (upkeep()); a role that row-level security
 * limits to a tenant is refused.
 */
CREATE FUNCTION adoption.snapshot_campaigns()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	n_attribution integer;
	n_lift integer;
	n_launch integer;
	written integer := 0;
	n integer;
BEGIN
	/* Row-level security would store one tenant's figures as everyone's. */
	IF adoption.tenant_scoped() THEN
		RAISE EXCEPTION 'adoption.snapshot_campaigns() must see every tenant''s rows, and role % sees only some', current_user
			USING ERRCODE = 'insufficient_privilege',
				HINT = 'Run it as the extension''s owner (adoption.upkeep() does), or as a member of adoption_analyst.';
	END IF;
	IF NOT pg_try_advisory_xact_lock(('adoption.campaign_snapshot_state'::regclass)::oid::bigint) THEN
		RAISE NOTICE 'adoption.snapshot_campaigns() is already running in another session; skipped';
		RETURN 0;
	END IF;

	/*
	 * Attribution: the rows that changed are updated, those that left are
	 * deleted (an unchanged row is not written again).
	 */
	WITH cur AS MATERIALIZED (
		SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at, a.campaign_id, a.touched_at, a.credit
		FROM adoption.attribution('last_touch', interval '30 days') AS a
	),
	gone AS (
		DELETE FROM adoption.attribution_snapshots AS s
		WHERE NOT EXISTS (SELECT 1 FROM cur AS c
			WHERE c.tenant_id = s.tenant_id AND c.user_id = s.user_id AND c.feature_id = s.feature_id)
		RETURNING 1
	),
	put AS (
		INSERT INTO adoption.attribution_snapshots AS s
		SELECT c.tenant_id, c.user_id, c.feature_id, c.adopted_at, c.campaign_id, c.touched_at, c.credit
		FROM cur AS c
		ON CONFLICT (tenant_id, user_id, feature_id) DO UPDATE
		SET adopted_at = excluded.adopted_at, campaign_id = excluded.campaign_id,
			touched_at = excluded.touched_at, credit = excluded.credit
		WHERE (s.adopted_at, s.campaign_id, s.touched_at, s.credit)
			IS DISTINCT FROM (excluded.adopted_at, excluded.campaign_id, excluded.touched_at, excluded.credit)
		RETURNING 1
	)
	SELECT (SELECT count(*) FROM cur), (SELECT count(*) FROM gone) + (SELECT count(*) FROM put)
	INTO n_attribution, written;

	/* A few hundred rows at most: replaced. */
	DELETE FROM adoption.lift_snapshots;
	GET DIAGNOSTICS n = ROW_COUNT;
	written := written + n;
	INSERT INTO adoption.lift_snapshots
	SELECT l.campaign_id, l.feature_id, l.window_start, l.window_end, l.touched_users, l.touched_adopters,
		l.touched_rate, l.untouched_users, l.untouched_adopters, l.untouched_rate, l.rate_difference, l.lift
	FROM adoption.campaign_lift(interval '30 days') AS l;
	GET DIAGNOSTICS n_lift = ROW_COUNT;
	written := written + n_lift;

	DELETE FROM adoption.launch_snapshots;
	GET DIAGNOSTICS n = ROW_COUNT;
	written := written + n;
	INSERT INTO adoption.launch_snapshots
	SELECT p.launch_id, p.feature_id, p.feature_name, p.campaign_id, p.launched_at, p.target_adoption,
		p.target_days, p.target_at, p.users_activated_7d, p.users_activated_30d, p.users_activated_90d,
		p.tenants_activated_7d, p.tenants_activated_30d, p.tenants_activated_90d, p.tenants_active,
		p.tenants_adopted, p.adoption_rate, p.median_time_to_activation, p.target_met, p.users_active,
		p.users_adopted, p.user_adoption_rate, p.median_days_to_activation
	FROM adoption.launch_performance AS p;
	GET DIAGNOSTICS n_launch = ROW_COUNT;
	written := written + n_launch;

	INSERT INTO adoption.campaign_snapshot_state AS r (singleton, computed_at, finished_at, attribution_rows,
		lift_rows, launch_rows, rows_written)
	VALUES (true, now(), clock_timestamp(), n_attribution, n_lift, n_launch, written)
	ON CONFLICT (singleton) DO UPDATE SET computed_at = excluded.computed_at, finished_at = excluded.finished_at,
		attribution_rows = excluded.attribution_rows, lift_rows = excluded.lift_rows,
		launch_rows = excluded.launch_rows, rows_written = excluded.rows_written;
	RETURN written;
END
$$;
COMMENT ON FUNCTION adoption.snapshot_campaigns() IS 'Recomputes the campaign and launch snapshots (campaign_attribution, campaign_lift(''30 days''), launch_performance) as of now; snapshot_adoption() and so upkeep() run it; returns the rows inserted, updated or deleted';

CREATE VIEW adoption.campaign_attribution_snapshot WITH (security_invoker = true) AS
SELECT s.tenant_id, s.user_id, s.feature_id, s.adopted_at, s.campaign_id, s.touched_at, s.credit,
	(SELECT r.computed_at FROM adoption.campaign_snapshot_state AS r) AS computed_at
FROM adoption.attribution_snapshots AS s;
COMMENT ON VIEW adoption.campaign_attribution_snapshot IS 'adoption.campaign_attribution (each user adoption credited to the last campaign touch within 30 days before it) as of computed_at, kept by adoption.snapshot_campaigns() (upkeep()); empty before its first run';
COMMENT ON COLUMN adoption.campaign_attribution_snapshot.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.campaign_attribution_snapshot.user_id IS 'User who adopted';
COMMENT ON COLUMN adoption.campaign_attribution_snapshot.feature_id IS 'Feature adopted';
COMMENT ON COLUMN adoption.campaign_attribution_snapshot.adopted_at IS 'Adoption time (aha_successes-th successful use)';
COMMENT ON COLUMN adoption.campaign_attribution_snapshot.campaign_id IS 'Campaign credited';
COMMENT ON COLUMN adoption.campaign_attribution_snapshot.touched_at IS 'Time of the credited touch (a campaign_touches row, or an event naming the campaign in campaign_influence)';
COMMENT ON COLUMN adoption.campaign_attribution_snapshot.credit IS 'Share of the adoption credited to the touch: 1 under last_touch';
COMMENT ON COLUMN adoption.campaign_attribution_snapshot.computed_at IS 'Start of the transaction that computed the snapshot: events, touches and state committed by then count (some committed while it ran may too), later ones from the next run';

CREATE VIEW adoption.campaign_lift_snapshot WITH (security_invoker = true) AS
SELECT s.campaign_id, s.feature_id, s.window_start, s.window_end, s.touched_users, s.touched_adopters,
	s.touched_rate, s.untouched_users, s.untouched_adopters, s.untouched_rate, s.rate_difference, s.lift,
	(SELECT r.computed_at FROM adoption.campaign_snapshot_state AS r) AS computed_at,
	s.window_end OPERATOR(pg_catalog.>) (SELECT r.computed_at FROM adoption.campaign_snapshot_state AS r) AS partial
FROM adoption.lift_snapshots AS s
UNION ALL
SELECT l.campaign_id, l.feature_id, l.window_start, l.window_end, l.touched_users, l.touched_adopters,
	l.touched_rate, l.untouched_users, l.untouched_adopters, l.untouched_rate, l.rate_difference, l.lift,
	pg_catalog.now(), l.window_end OPERATOR(pg_catalog.>) pg_catalog.now()
FROM adoption.campaign_lift(interval '30 days') AS l
WHERE adoption.tenant_scoped();
COMMENT ON VIEW adoption.campaign_lift_snapshot IS 'adoption.campaign_lift(''30 days'') over every tenant as of computed_at, kept by adoption.snapshot_campaigns() (upkeep()); for a reader limited to its tenant (adoption_tenant), campaign_lift() of its own rows computed at read time';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.campaign_id IS 'Campaign';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.feature_id IS 'Feature adopted by someone of the campaign''s population';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.window_start IS 'The campaign''s first touch';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.window_end IS 'The campaign''s last touch + 30 days';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.touched_users IS 'Users of the population touched by the campaign who had not adopted the feature before their first touch';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.touched_adopters IS 'Of touched_users, those who adopted within 30 days after their first touch';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.touched_rate IS 'touched_adopters / touched_users';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.untouched_users IS 'Users of the population not touched who had not adopted before window_start';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.untouched_adopters IS 'Of untouched_users, those who adopted within the window';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.untouched_rate IS 'untouched_adopters / untouched_users';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.rate_difference IS 'touched_rate - untouched_rate';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.lift IS 'touched_rate / untouched_rate - 1 (NULL when untouched_rate is 0 or NULL)';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.computed_at IS 'When the row was computed: the snapshot''s time, or now() for a reader limited to its tenant';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.partial IS 'True when the campaign window had not ended at computed_at: its touched users could still convert';

/*
 * launch_performance for a reader limited to its tenant, nothing for anyone
 * else: the live branch of launch_performance_snapshot.  A function, so
 * that the planner of the view neither plans the live query for every
 * reader nor counts its cost (which turned JIT compilation on for the
 * snapshot's three rows).
 */
CREATE FUNCTION adoption.tenant_launch_performance()
RETURNS SETOF adoption.launch_performance
LANGUAGE plpgsql STABLE
ROWS 10
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
BEGIN
	IF adoption.tenant_scoped() THEN
		RETURN QUERY SELECT * FROM adoption.launch_performance;
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.tenant_launch_performance() IS 'Internal to launch_performance_snapshot: the rows of launch_performance for a reader limited to its tenant (adoption.tenant_scoped()), none for anyone else';

CREATE VIEW adoption.launch_performance_snapshot WITH (security_invoker = true) AS
SELECT s.launch_id, s.feature_id, s.feature_name, s.campaign_id, s.launched_at, s.target_adoption,
	s.target_days, s.target_at, s.users_activated_7d, s.users_activated_30d, s.users_activated_90d,
	s.tenants_activated_7d, s.tenants_activated_30d, s.tenants_activated_90d, s.tenants_active,
	s.tenants_adopted, s.adoption_rate, s.median_time_to_activation, s.target_met, s.users_active,
	s.users_adopted, s.user_adoption_rate, s.median_days_to_activation,
	(SELECT r.computed_at FROM adoption.campaign_snapshot_state AS r) AS computed_at,
	s.target_at OPERATOR(pg_catalog.>) (SELECT r.computed_at FROM adoption.campaign_snapshot_state AS r) AS partial
FROM adoption.launch_snapshots AS s
UNION ALL
SELECT p.launch_id, p.feature_id, p.feature_name, p.campaign_id, p.launched_at, p.target_adoption,
	p.target_days, p.target_at, p.users_activated_7d, p.users_activated_30d, p.users_activated_90d,
	p.tenants_activated_7d, p.tenants_activated_30d, p.tenants_activated_90d, p.tenants_active,
	p.tenants_adopted, p.adoption_rate, p.median_time_to_activation, p.target_met, p.users_active,
	p.users_adopted, p.user_adoption_rate, p.median_days_to_activation,
	pg_catalog.now(), p.target_at OPERATOR(pg_catalog.>) pg_catalog.now()
FROM adoption.tenant_launch_performance() AS p;
COMMENT ON VIEW adoption.launch_performance_snapshot IS 'adoption.launch_performance over every tenant as of computed_at, kept by adoption.snapshot_campaigns() (upkeep()); for a reader limited to its tenant (adoption_tenant), launch_performance of its own rows computed at read time';
COMMENT ON COLUMN adoption.launch_performance_snapshot.launch_id IS 'Launch';
COMMENT ON COLUMN adoption.launch_performance_snapshot.feature_id IS 'Launched feature';
COMMENT ON COLUMN adoption.launch_performance_snapshot.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.launch_performance_snapshot.campaign_id IS 'Campaign of the launch';
COMMENT ON COLUMN adoption.launch_performance_snapshot.launched_at IS 'Launch time';
COMMENT ON COLUMN adoption.launch_performance_snapshot.target_adoption IS 'Target share of active tenants that adopted the feature by target_at';
COMMENT ON COLUMN adoption.launch_performance_snapshot.target_days IS 'Days after launched_at by which the target should be met';
COMMENT ON COLUMN adoption.launch_performance_snapshot.target_at IS 'launched_at + target_days x 24 hours: the end of the target window';
COMMENT ON COLUMN adoption.launch_performance_snapshot.users_activated_7d IS 'Users whose first use of the feature is in [launched_at, launched_at + 7 days), as of computed_at';
COMMENT ON COLUMN adoption.launch_performance_snapshot.users_activated_30d IS 'Users whose first use of the feature is in [launched_at, launched_at + 30 days), as of computed_at';
COMMENT ON COLUMN adoption.launch_performance_snapshot.users_activated_90d IS 'Users whose first use of the feature is in [launched_at, launched_at + 90 days), as of computed_at';
COMMENT ON COLUMN adoption.launch_performance_snapshot.tenants_activated_7d IS 'Tenants whose first user of the feature activated in [launched_at, launched_at + 7 days)';
COMMENT ON COLUMN adoption.launch_performance_snapshot.tenants_activated_30d IS 'Tenants whose first user of the feature activated in [launched_at, launched_at + 30 days)';
COMMENT ON COLUMN adoption.launch_performance_snapshot.tenants_activated_90d IS 'Tenants whose first user of the feature activated in [launched_at, launched_at + 90 days)';
COMMENT ON COLUMN adoption.launch_performance_snapshot.tenants_active IS 'Tenants with an event (any feature) in [launched_at, target_at): the denominator of adoption_rate';
COMMENT ON COLUMN adoption.launch_performance_snapshot.tenants_adopted IS 'Of tenants_active, those with a user who adopted the feature before target_at';
COMMENT ON COLUMN adoption.launch_performance_snapshot.adoption_rate IS 'tenants_adopted / tenants_active (NULL without active tenants); so far at computed_at while partial';
COMMENT ON COLUMN adoption.launch_performance_snapshot.median_time_to_activation IS 'Median of activated_at - launched_at over the users activated at or after launched_at';
COMMENT ON COLUMN adoption.launch_performance_snapshot.target_met IS 'adoption_rate >= target_adoption (false without active tenants); NULL while partial';
COMMENT ON COLUMN adoption.launch_performance_snapshot.users_active IS 'Users (of every tenant) with an event of any feature in [launched_at, target_at): the denominator of user_adoption_rate';
COMMENT ON COLUMN adoption.launch_performance_snapshot.users_adopted IS 'Of users_active, those who adopted the feature before target_at';
COMMENT ON COLUMN adoption.launch_performance_snapshot.user_adoption_rate IS 'users_adopted / users_active (NULL without active users); so far at computed_at while partial';
COMMENT ON COLUMN adoption.launch_performance_snapshot.median_days_to_activation IS 'median_time_to_activation as a number of days';
COMMENT ON COLUMN adoption.launch_performance_snapshot.computed_at IS 'When the row was computed: the snapshot''s time, or now() for a reader limited to its tenant';
COMMENT ON COLUMN adoption.launch_performance_snapshot.partial IS 'True when target_at was still ahead at computed_at: the figures are so far, target_met is NULL';
