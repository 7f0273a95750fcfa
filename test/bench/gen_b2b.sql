/*
 * gen_b2b.sql: writes an event set shaped like B2B usage to a CSV file.
 *
 *   psql -v outfile=/abs/path/b2b.csv [-v n_events=336000] [-v seed=1]
 *        -f test/bench/gen_b2b.sql
 *
 * Same columns, order and server-side writing as test/bench/gen_events.sql
 * (COPY ... TO 'file': outfile must be an absolute path the server may
 * write; needs a superuser or pg_write_server_files; needs no extension),
 * so a script that reads that file reads this one too.  The shape:
 *
 *   tenants   20 users each ('org-00001', users 'org-00001-user-01'...);
 *   features  50 ('feature-001'... as in gen_events.sql); each user uses
 *             4 to 10 of them (7 on average), drawn without replacement with
 *             a skewed popularity (feature f weighs 1/f: feature-001 is used
 *             by about 5 users in 6, feature-005 by 1 in 3, feature-050 by 1
 *             in 30);
 *   events    per user x feature a geometric number, 1 or more, 8 on
 *             average (median 6, 1% above 36); the pair starts 18 to 60
 *             days before the file is written and its events fall between
 *             that start and the end, so activity ramps up over the first
 *             six weeks (as with a growing customer base) and is level over
 *             the last 18 days; success 82% to 98% by feature (90% on
 *             average); session_duration uniform 0-600 s; ~3% carry a
 *             campaign_influence, 0.1% a feature_name.
 *
 * So a tenant sends about 20 x 7 x 8 = 1,120 events: the default 336,000
 * events are 300 tenants x 20 users.  n_events is the scale knob: the set
 * grows by tenants of the same shape (1M events: ~893 tenants, 10M: ~8,929);
 * exactly n_events rows are written (the last tenant may be cut short).
 * Rows are in time order (usage_timestamp, then event_id), as an export of
 * a live system's log would be; gen_events.sql's are in no order.
 *
 * Deterministic: hash-based (no random()), the same for the same n_events
 * and seed, but for the time of writing, which shifts every timestamp
 * (events must lie in the past: the ingest trigger refuses future ones).
 */
\set ON_ERROR_STOP on
\if :{?outfile}
\else
DO $$
BEGIN
	RAISE EXCEPTION 'gen_b2b.sql: no output file'
		USING HINT = 'Run: psql -v outfile=/absolute/path/b2b.csv -f test/bench/gen_b2b.sql';
END
$$;
\endif
\if :{?n_events}
\else
\set n_events 336000
\endif
\if :{?seed}
\else
\set seed 1
\endif

SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET jit = off;
SET max_parallel_workers_per_gather = 0;
SET work_mem = '256MB';

SELECT pg_catalog.set_config('bench.sizes_ok',
	((:n_events)::bigint >= 1 AND (:seed)::bigint >= 0 AND (:seed)::bigint < 1000000000)::text, false) \g /dev/null
DO $$
BEGIN
	IF NOT pg_catalog.current_setting('bench.sizes_ok')::boolean THEN
		RAISE EXCEPTION 'gen_b2b.sql: need n_events >= 1 and 0 <= seed < 1000000000';
	END IF;
END
$$;

/*
 * A uniform number in [0, 1) from key, salt and the seed (psql does not
 * expand :seed inside the function's dollar quotes, so format() puts it in).
 */
SELECT format($f$CREATE FUNCTION pg_temp.rnd(k bigint, salt integer) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $b$
	SELECT ((pg_catalog.hashint8extended(k, %s + salt) >> 11) & 9007199254740991)::double precision
		/ 9007199254740992.0
$b$$f$, 1000003 * (:seed)::bigint) \gexec

/*
 * Tenants to generate: the expected 1,120 events per tenant, plus 5% and 2
 * tenants of margin; the rows after the n_events-th (in tenant, user,
 * feature, event order) are dropped.
 */
SELECT (ceil((:n_events)::numeric / 1120 * 1.05) + 2)::bigint AS n_gen_tenants \gset

/*
 * Keys: user u = tenant * 20 + j (j 1..20), pair = u * 64 + feature,
 * event = pair * 4096 + k (k <= 275: a geometric draw from a double below 1).
 */
COPY (
SELECT event_id, tenant_id, user_id, feature_id, feature_name, usage_timestamp,
	session_duration, success_outcome, integration_context
FROM (
SELECT md5('pg_adoption b2b ' || :seed || ' ' || (pr.pair * 4096 + k))::uuid AS event_id,
	'org-' || lpad(t::text, 5, '0') AS tenant_id,
	'org-' || lpad(t::text, 5, '0') || '-user-' || lpad(j::text, 2, '0') AS user_id,
	'feature-' || lpad(fs.f::text, 3, '0') AS feature_id,
	CASE WHEN pg_temp.rnd(pr.pair * 4096 + k, 5) < 0.001 THEN 'Feature ' || fs.f END AS feature_name,
	now0 - ((0.3 + 0.7 * pg_temp.rnd(pr.pair, 6)) * 60 * 86400 * pg_temp.rnd(pr.pair * 4096 + k, 7)) * interval '1 second' AS usage_timestamp,
	floor(pg_temp.rnd(pr.pair * 4096 + k, 8) * 601)::integer AS session_duration,
	pg_temp.rnd(pr.pair * 4096 + k, 9) < 0.82 + 0.16 * pg_temp.rnd(fs.f, 10) AS success_outcome,
	CASE WHEN pg_temp.rnd(pr.pair * 4096 + k, 11) < 0.03
		THEN '{"source": "web", "campaign_influence": "spring_launch"}'
		ELSE '{"source": "' || (ARRAY['web', 'web', 'web', 'mobile', 'api'])[1 + floor(pg_temp.rnd(pr.pair * 4096 + k, 12) * 5)::integer] || '"}'
	END AS integration_context,
	row_number() OVER (ORDER BY t, j, fs.f, k) AS n
FROM (SELECT date_trunc('second', now()) - interval '1 second' AS now0) AS c
CROSS JOIN generate_series(1::bigint, :n_gen_tenants) AS t
CROSS JOIN generate_series(1, 20) AS j
CROSS JOIN LATERAL (
	/* the user's features: the 4..10 smallest Exp(1) / weight keys (weight 1/f) */
	SELECT f
	FROM (
		SELECT f, row_number() OVER (ORDER BY -ln(1 - pg_temp.rnd((t * 20 + j) * 64 + f, 2)) * f, f) AS r
		FROM generate_series(1, 50) AS f
	) AS ranked
	WHERE r <= 4 + floor(7 * pg_temp.rnd(t * 20 + j, 1))
) AS fs
CROSS JOIN LATERAL (SELECT (t * 20 + j) * 64 + fs.f AS pair) AS pr
/* geometric, mean 8: 1 + floor(ln(1 - r) / ln(7/8)) */
CROSS JOIN LATERAL generate_series(1, 1 + floor(ln(1 - pg_temp.rnd(pr.pair, 3)) / ln(0.875))::integer) AS k
) AS e
WHERE n <= :n_events
ORDER BY usage_timestamp, event_id
) TO :'outfile' WITH (FORMAT csv);
