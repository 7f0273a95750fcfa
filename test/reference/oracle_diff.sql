-- test/reference/oracle_diff.sql: the row-by-row comparison of a function
-- with its oracle, shared by test/tap/analytics_oracle.sh and
-- test/tap/customer_oracle.sh (schema oracle must exist).
-- oracle.diff(a, b): the rows of query a not in query b and of b not in a
-- (multisets), floats compared to 9 decimals; the last line is the number
-- of rows of b.
CREATE FUNCTION oracle.norm(j jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_object_agg(key, CASE WHEN jsonb_typeof(value) = 'number' THEN to_jsonb(round(value::text::numeric, 9)) ELSE value END)
	FROM jsonb_each(j)
$$;
CREATE FUNCTION oracle.diff(a text, b text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
	-- Materialized first: each side planned on its own.
	EXECUTE format('CREATE TEMP TABLE x ON COMMIT DROP AS SELECT oracle.norm(to_jsonb(r)) AS j FROM (%s) AS r', a);
	EXECUTE format('CREATE TEMP TABLE y ON COMMIT DROP AS SELECT oracle.norm(to_jsonb(r)) AS j FROM (%s) AS r', b);
	RETURN QUERY
		SELECT 'function: ' || d.j::text FROM (SELECT x.j FROM x EXCEPT ALL SELECT y.j FROM y) AS d
		UNION ALL SELECT 'oracle:   ' || d.j::text FROM (SELECT y.j FROM y EXCEPT ALL SELECT x.j FROM x) AS d
		ORDER BY 1 DESC;
	RETURN QUERY SELECT count(*)::text FROM y;
END $$;
