-- test/reference/analytics_events.sql: a skewed event set for the analytics
-- oracle (test/tap/analytics_oracle.sh), in schema gen; deterministic (hash
-- based, no random()).  Shapes the analytics were not designed around:
--   * a whale tenant (150 users, most of the events, a power-law activity:
--     user i is active on a day with probability ~ 1/(1 + i/8));
--   * 12 small tenants whose users are u1..u4: the same user_id in several
--     tenants (u1 of whale and u1 of s01 are different users);
--   * tenant "ones": 60 users with exactly one event each;
--   * tenant "early": registered on 2026-01-10 (created_at) but first used
--     in March, so over all features it is first seen before its first use;
--   * events exactly on period boundaries (Monday 00:00 UTC, the last
--     microsecond of a month, midnight of the 23-hour day 2026-03-08 in
--     America/Los_Angeles, local midnights of Asia/Kolkata that are the
--     previous UTC day);
--   * events before the range (2025-12, 2026-01) and after it (2026-05);
--   * a column "late": events that arrive in a later load, after newer ones.
-- Features: f1, f2, f3 core (f3 launched 2026-03-15), f4 advanced.
CREATE SCHEMA gen;
CREATE TABLE gen.events (
	seq integer PRIMARY KEY,
	tenant_id text NOT NULL,
	user_id text NOT NULL,
	feature_id text NOT NULL,
	usage_timestamp timestamptz NOT NULL,
	success_outcome boolean NOT NULL,
	late boolean NOT NULL DEFAULT false,
	campaign text   -- integration_context->>'campaign_influence'
);
CREATE FUNCTION gen.h(s text) RETURNS bigint LANGUAGE sql IMMUTABLE
RETURN ('x' || substr(md5(s), 1, 12))::bit(48)::bigint;

-- Whale: day d of 2025-12-20 .. 2026-05-10, user i (1..150).
INSERT INTO gen.events (seq, tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT row_number() OVER (ORDER BY d, i, j), 'whale', 'u' || i,
	CASE WHEN gen.h('f' || d || i || j) % 10 < 5 THEN 'f1' WHEN gen.h('f' || d || i || j) % 10 < 8 THEN 'f2'
		WHEN gen.h('f' || d || i || j) % 10 < 9 THEN 'f3' ELSE 'f4' END,
	d::timestamp AT TIME ZONE 'UTC' + (gen.h('t' || d || i || j) % 86400) * interval '1 second',
	gen.h('s' || d || i || j) % 7 <> 0
FROM generate_series(date '2025-12-20', date '2026-05-10', interval '1 day') AS d,
	generate_series(1, 150) AS i, generate_series(1, 2) AS j
WHERE gen.h('a' || d || i) % 1000 < 1000 / (1 + i / 8.0) * 0.9
	AND (j = 1 OR gen.h('b' || d || i) % 3 = 0);

-- Small tenants s01..s12, users u1..u4 (tenant k has 1 + k % 4 users), sparse.
INSERT INTO gen.events (seq, tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT 100000 + row_number() OVER (ORDER BY k, i, d), 's' || lpad(k::text, 2, '0'), 'u' || i,
	'f' || (1 + gen.h('g' || k || i || d) % 4),
	d::timestamp AT TIME ZONE 'UTC' + (gen.h('v' || k || i || d) % 86400) * interval '1 second',
	gen.h('w' || k || i || d) % 5 <> 0
FROM generate_series(1, 12) AS k, generate_series(1, 4) AS i,
	generate_series(date '2026-01-05', date '2026-05-05', interval '1 day') AS d
WHERE i <= 1 + k % 4 AND gen.h('x' || k || i || d) % 100 < 4 + 3 * k;

-- One event per user.
INSERT INTO gen.events (seq, tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT 200000 + i, 'ones', 'u' || i, 'f' || (1 + i % 3),
	timestamptz '2026-02-01 00:00+00' + (gen.h('o' || i) % (88 * 86400)) * interval '1 second', true
FROM generate_series(1, 60) AS i;

-- Tenant "early": registered 2026-01-10 (see the tenants row in the test), used from March.
INSERT INTO gen.events (seq, tenant_id, user_id, feature_id, usage_timestamp, success_outcome) VALUES
	(300001, 'early', 'u1', 'f1', '2026-03-03 10:00+00', true),
	(300002, 'early', 'u1', 'f1', '2026-03-04 10:00+00', true),
	(300003, 'early', 'u1', 'f1', '2026-03-05 10:00+00', true),
	(300004, 'early', 'u2', 'f2', '2026-04-20 10:00+00', true);

-- Boundaries (tenant "edge", user u1 also exists in whale and s01..s12).
INSERT INTO gen.events (seq, tenant_id, user_id, feature_id, usage_timestamp, success_outcome) VALUES
	(400001, 'edge', 'u1', 'f1', '2026-03-02 00:00:00+00', true),          -- Monday 00:00 UTC
	(400002, 'edge', 'u1', 'f1', '2026-03-01 23:59:59.999999+00', true),   -- Sunday, last microsecond
	(400003, 'edge', 'u2', 'f2', '2026-03-31 23:59:59.999999+00', true),   -- last microsecond of March
	(400004, 'edge', 'u2', 'f2', '2026-04-01 00:00:00+00', true),          -- first of April
	(400005, 'edge', 'u3', 'f1', '2026-03-08 00:00:00-08', true),          -- LA midnight of the 23-hour day
	(400006, 'edge', 'u3', 'f1', '2026-03-09 00:00:00-07', true),          -- LA midnight after it
	(400007, 'edge', 'u4', 'f3', '2026-03-16 00:30:00+05:30', true),       -- Kolkata Monday = UTC Sunday
	(400008, 'edge', 'u4', 'f3', '2026-04-01 03:00:00+05:30', true),       -- Kolkata April = UTC March
	(400009, 'edge', 'u5', 'f1', '2026-02-28 23:59:59.999999+00', true),
	(400010, 'edge', 'u5', 'f1', '2026-03-01 00:00:00+00', true),
	(400011, 'edge', 'u5', 'f1', '2026-03-31 00:00:00+00', true),
	(400012, 'edge', 'u6', 'f2', '2026-02-02 00:00:00+00', true),          -- first Monday of the range
	(400013, 'edge', 'u6', 'f2', '2026-04-27 00:00:00+00', true),          -- last Monday
	(400014, 'edge', 'u6', 'f2', '2026-05-03 23:59:59.999999+00', true);   -- last Sunday's end

-- Tenant "tie": v1 adopts f1 at its third success, 2026-03-07 10:00 UTC (the
-- hand-worked attribution case of test/tap/analytics_oracle.sh).
INSERT INTO gen.events (seq, tenant_id, user_id, feature_id, usage_timestamp, success_outcome) VALUES
	(500001, 'tie', 'v1', 'f1', '2026-03-05 10:00+00', true),
	(500002, 'tie', 'v1', 'f1', '2026-03-06 10:00+00', true),
	(500003, 'tie', 'v1', 'f1', '2026-03-07 10:00+00', true),
	(500004, 'tie', 'v1', 'f1', '2026-03-08 10:00+00', false);

-- Late arrivals: a deterministic fifth of the February events and every
-- event before 2026-01-01 are sent after the rest.
UPDATE gen.events SET late = true
WHERE usage_timestamp < '2026-01-01 00:00+00'
	OR (usage_timestamp >= '2026-02-01 00:00+00' AND usage_timestamp < '2026-03-01 00:00+00' AND seq % 5 = 0);

-- Events naming a campaign (integration_context campaign_influence): some
-- of the whale's, and one naming it with an empty string (not a touch).
UPDATE gen.events SET campaign = CASE WHEN seq % 37 = 0 THEN 'gamma' WHEN seq % 53 = 0 THEN 'alpha' END
WHERE tenant_id = 'whale' AND (seq % 37 = 0 OR seq % 53 = 0);
UPDATE gen.events SET campaign = '' WHERE seq = 400004;
