/*
 * gen_events.sql: writes the benchmark event set to a CSV file.
 *
 *   psql -v outfile=/abs/path/events.csv [-v n_events=1000000] [-v n_tenants=1000]
 *        [-v n_users=20000] [-v n_features=50] -f test/bench/gen_events.sql
 *
 * The file is written by the server (COPY ... TO 'file'), so it belongs to the
 * server's user and COPY ... FROM 'file' can read it back; outfile must be an
 * absolute path in a directory the server may write.  Needs a superuser (or
 * pg_write_server_files); needs no extension.
 *
 * The set is deterministic (hash-based, no random()): event i belongs to one
 * of n_events / 10 user x feature pairs, so a pair has ~10 events on average
 * (Poisson); user u is the (u mod n_users)-th user of tenant u mod n_tenants,
 * so each user has about n_events / n_users / 10 pairs, with features drawn
 * with a skew towards the popular ones (feature k is chosen with a density
 * falling like 1/sqrt(k)).  Times are spread over the 90 days before the file
 * is written, ~90% of the events succeed, sessions last a few seconds to an
 * hour (log-normal), ~3% carry a campaign_influence and 0.1% a feature_name.
 *
 * Columns, in this order (no header): event_id, tenant_id, user_id,
 * feature_id, feature_name, usage_timestamp, session_duration,
 * success_outcome, integration_context.
 */
\set ON_ERROR_STOP on
\if :{?outfile}
\else
DO $$
BEGIN
	RAISE EXCEPTION 'gen_events.sql: no output file'
		USING HINT = 'Run: psql -v outfile=/absolute/path/events.csv -f test/bench/gen_events.sql';
END
$$;
\endif
\if :{?n_events}
\else
\set n_events 1000000
\endif
\if :{?n_tenants}
\else
\set n_tenants 1000
\endif
\if :{?n_users}
\else
\set n_users 20000
\endif
\if :{?n_features}
\else
\set n_features 50
\endif

SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET jit = off;
SET max_parallel_workers_per_gather = 0;

/* A uniform number in [0, 1) from key and salt. */
CREATE FUNCTION pg_temp.rnd(k bigint, salt integer) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
	SELECT ((pg_catalog.hashint8extended(k, 7340033 + salt) >> 11) & 9007199254740991)::double precision
		/ 9007199254740992.0
$$;

SELECT pg_catalog.set_config('bench.sizes_ok',
	((:n_events)::bigint >= 1 AND (:n_tenants)::bigint >= 1 AND (:n_users)::bigint >= (:n_tenants)::bigint
		AND (:n_features)::bigint >= 1)::text, false) \g /dev/null
DO $$
BEGIN
	IF NOT pg_catalog.current_setting('bench.sizes_ok')::boolean THEN
		RAISE EXCEPTION 'gen_events.sql: need n_events >= 1, n_tenants >= 1, n_users >= n_tenants and n_features >= 1';
	END IF;
END
$$;

COPY (
	SELECT md5('pg_adoption bench ' || i)::uuid AS event_id,
		'tenant-' || lpad((p.user_no % :n_tenants)::text, 5, '0') AS tenant_id,
		'user-' || lpad(p.user_no::text, 6, '0') AS user_id,
		'feature-' || lpad(p.feature_no::text, 3, '0') AS feature_id,
		CASE WHEN pg_temp.rnd(i, 5) < 0.001 THEN 'Feature ' || p.feature_no END AS feature_name,
		date_trunc('second', now()) - interval '1 second'
			- (pg_temp.rnd(i, 6) * 90 * 86400) * interval '1 second' AS usage_timestamp,
		CASE WHEN pg_temp.rnd(i, 7) < 0.05 THEN 0
			ELSE least(3600, round(exp(ln(60) + 1.2 * sqrt(-2 * ln(1 - pg_temp.rnd(i, 8))) * cos(2 * pi() * pg_temp.rnd(i, 9)))))::integer
		END AS session_duration,
		pg_temp.rnd(i, 10) >= 0.10 AS success_outcome,
		CASE WHEN pg_temp.rnd(i, 11) < 0.03
			THEN '{"source": "web", "campaign_influence": "spring_launch"}'
			ELSE '{"source": "' || (ARRAY['web', 'web', 'web', 'mobile', 'api'])[1 + floor(pg_temp.rnd(i, 12) * 5)::integer] || '"}'
		END AS integration_context
	FROM generate_series(0, :n_events - 1) AS i
	CROSS JOIN LATERAL (
		/* the pair of event i, its user and its feature */
		SELECT floor(pg_temp.rnd(i, 1) * greatest(1, :n_events / 10))::bigint AS pair_no
	) AS q
	CROSS JOIN LATERAL (
		SELECT (q.pair_no % :n_users) AS user_no,
			1 + floor(:n_features * pg_temp.rnd(q.pair_no, 2) ^ 2)::integer AS feature_no
	) AS p
) TO :'outfile' WITH (FORMAT csv);
