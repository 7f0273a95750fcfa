-- test/reference/customer_events.sql: the inputs of the customer-success
-- oracle (test/reference/customer_oracle.sql), in schema gen, not loaded:
-- test/tap/customer_oracle.sh sends them in several ways.  Nothing here was
-- tuned on the implementation:
-- - a whale tenant (120 users, power-law use) among six enterprise peers of
--   its segment and plan; mid-market tenants with fewer than five peers of
--   their plan (their segment is the peer group) and one without a plan;
--   six small tenants of one segment and plan (exactly five peers each);
--   six tenants without a segment (some without a plan, seats or ARR: five
--   of them would be peers if "no segment" were a segment; peer group
--   "all"); a one-user tenant; users u1..u4 in many tenants; a tenant whose
--   latest adoption is two features at one microsecond;
-- - tenants with different tastes, so that features go together (f1 with f4,
--   f2 with f5) and upgrade paths (f1 -> f4, f2 -> f5) compete with them;
-- - two features adopted at the same microsecond by one tenant; events out
--   of order: a sixth of them (late) are sent after the rest, many older than
--   what came before;
-- - expansions with touches at the lookback's first microsecond (in) and one
--   before (out), at the expansion's own instant (in), ties at one instant,
--   several campaigns, an expansion of amount 0 and a negative one, an
--   upgrade with no touch;
-- - campaign events (campaign_influence) among the usage.
CREATE SCHEMA gen;

CREATE TABLE gen.tenants AS
SELECT * FROM (VALUES
	('whale', 'Whale Corp', 'pro', 150, 500000::numeric, 'enterprise'),
	('ent1', 'Ent One', 'pro', 20, 90000, 'enterprise'), ('ent2', 'Ent Two', 'pro', 12, 60000, 'enterprise'),
	('ent3', 'Ent Three', 'pro', 10, 40000, 'enterprise'), ('ent4', 'Ent Four', 'pro', 8, 30000, 'enterprise'),
	('ent5', 'Ent Five', 'pro', 6, 30000, 'enterprise'), ('ent6', 'Ent Six', 'pro', 5, 25000, 'enterprise'),
	('mid1', 'Mid One', 'starter', 5, 9000, 'mid_market'), ('mid2', 'Mid Two', 'starter', 4, 8000, 'mid_market'),
	('mid3', 'Mid Three', 'starter', 4, 7000, 'mid_market'), ('mid4', 'Mid Four', 'starter', 3, 6000, 'mid_market'),
	('mid5', 'Mid Five', 'growth', 4, 12000, 'mid_market'), ('mid6', 'Mid Six', NULL, 4, NULL, 'mid_market'),
	('smb1', 'Small One', 'starter', 4, 1200, 'smb'), ('smb2', 'Small Two', 'starter', 2, 1200, 'smb'),
	('smb3', 'Small Three', 'starter', 0, 0, 'smb'),
	('smb4', 'Small Four', 'starter', 3, 900, 'smb'), ('smb5', 'Small Five', 'starter', 3, 900, 'smb'),
	('noseg1', NULL, NULL, NULL, NULL, NULL), ('noseg2', NULL, NULL, NULL, NULL, NULL), ('noseg3', NULL, 'starter', NULL, NULL, NULL),
	('noseg4', NULL, 'starter', 2, NULL, NULL), ('noseg5', NULL, NULL, NULL, 500, NULL), ('noseg6', NULL, 'pro', NULL, NULL, NULL),
	('tiny', 'Tiny', 'starter', 1, 100, 'smb'), ('tie', 'Tie Ltd', 'pro', 4, 4000, 'enterprise')) AS t (tenant_id, name, plan, seats_licensed, arr, segment);

CREATE TABLE gen.features AS
SELECT * FROM (VALUES ('f1', 'Reports', 'core', 'f4'), ('f2', 'Dashboards', 'core', 'f5'), ('f3', 'Alerts', 'core', NULL),
	('f4', 'Advanced reports', 'advanced', NULL), ('f5', 'Dashboards pro', 'premium', NULL),
	('f6', 'Workflows', 'advanced', NULL), ('f7', 'Never used', 'core', NULL), ('f0', 'Legacy import', 'core', NULL)) AS f (feature_id, feature_name, tier, upgrade_feature_id);

-- Which features each tenant takes up (taste), and how many users it has.
CREATE TABLE gen.taste AS
SELECT t.tenant_id, f.feature_id,
	CASE WHEN t.tenant_id = 'whale' THEN 120 WHEN t.tenant_id = 'tiny' THEN 1
		WHEN t.tenant_id LIKE 'ent%' THEN 6 WHEN t.tenant_id LIKE 'mid%' THEN 4 ELSE 3 END AS users,
	CASE f.feature_id
		WHEN 'f1' THEN t.tenant_id <> 'noseg2'
		WHEN 'f2' THEN abs(hashtext(t.tenant_id || 'f2')) % 3 <> 0 OR t.tenant_id = 'whale'
		WHEN 'f3' THEN abs(hashtext(t.tenant_id || 'f3')) % 2 = 0
		-- f4 mostly with f1, f5 with f2 (decided below), f6 rare.
		WHEN 'f4' THEN abs(hashtext(t.tenant_id || 'f4')) % 3 <> 0 AND t.tenant_id NOT IN ('whale', 'mid1', 'smb1')
		WHEN 'f5' THEN abs(hashtext(t.tenant_id || 'f5')) % 2 = 0 AND t.tenant_id NOT IN ('ent1', 'mid2')
		WHEN 'f6' THEN abs(hashtext(t.tenant_id || 'f6')) % 4 = 0
		ELSE false END AS takes
FROM gen.tenants AS t CROSS JOIN gen.features AS f;

-- Events: per tenant, user and feature it takes, a power-law number of uses
-- (whale: user k has about 60 / k uses), spread over 2026-01-05 .. 2026-05-25.
CREATE TABLE gen.events AS
WITH uf AS (
	SELECT ta.tenant_id, ta.feature_id, 'u' || g AS user_id,
		greatest(1, CASE WHEN ta.tenant_id = 'whale' THEN 60 / g ELSE 2 + abs(hashtext(ta.tenant_id || g || ta.feature_id)) % 8 END) AS uses,
		abs(hashtext(ta.tenant_id || g || ta.feature_id || 'start')) % 100 AS start_day
	FROM gen.taste AS ta, generate_series(1, ta.users) AS g
	WHERE ta.takes AND abs(hashtext(ta.tenant_id || g || ta.feature_id || 'user')) % 5 <> 0 AND ta.tenant_id <> 'tie'),
ev AS (
	SELECT uf.tenant_id, uf.user_id, uf.feature_id,
		timestamptz '2026-01-05 00:00+00' + (uf.start_day + i * (1 + abs(hashtext(uf.user_id || i || uf.tenant_id)) % 3)) * interval '1 day'
			+ (abs(hashtext(uf.tenant_id || uf.user_id || uf.feature_id || i)) % 86400000000::bigint) * interval '1 microsecond' AS usage_timestamp,
		abs(hashtext(uf.tenant_id || uf.user_id || uf.feature_id || i || 's')) % 7 <> 0 AS success_outcome,
		CASE WHEN abs(hashtext(uf.tenant_id || uf.user_id || i || 'c')) % 23 = 0 THEN 'camp_' || (abs(hashtext(uf.user_id || i)) % 3) END AS campaign
	FROM uf, generate_series(1, uf.uses) AS i)
SELECT ev.* FROM ev WHERE ev.usage_timestamp < '2026-05-26'
UNION ALL
-- Two features adopted at one microsecond by tenant ent2 (three successful uses each).
SELECT 'ent2', 'u9', f, t, true, NULL FROM unnest(ARRAY['f3', 'f6']) AS f,
	unnest(ARRAY[timestamptz '2026-02-02 10:00:00.000001+00', '2026-02-03 10:00:00.000001+00', '2026-02-04 10:00:00.000001+00']) AS t
UNION ALL
-- Tenant tie: f1 adopted in January, then f0 (adopted by no other tenant)
-- and f3 at one microsecond, its latest adoption (the hold-out evaluation
-- hides both: f3 can be recommended, f0 cannot).
SELECT 'tie', 'u1', f, t + d * interval '1 day', true, NULL
FROM (VALUES ('f1', timestamptz '2026-01-10 08:00+00'), ('f0', '2026-04-01 10:00:00.000001+00'), ('f3', '2026-04-01 10:00:00.000001+00')) AS v (f, t),
	generate_series(0, 2) AS d
UNION ALL
-- The one-user tenant: two uses, no adoption.
SELECT 'tiny', 'u1', 'f1', t, true, NULL FROM unnest(ARRAY[timestamptz '2026-03-01 00:00+00', '2026-03-01 00:00+00']) AS t;
ALTER TABLE gen.events ADD COLUMN seq bigserial, ADD COLUMN late boolean;
-- A sixth of the events arrive late (after all the others), in no time order.
UPDATE gen.events SET late = abs(hashtext('late' || seq)) % 6 = 0;

-- Campaign touches (own and tenant-wide) and billing events, around the
-- expansions; times relative to each expansion, to the microsecond.
CREATE TABLE gen.billing AS
SELECT * FROM (VALUES
	('whale', 'x1', timestamptz '2026-04-15 12:00+00', 'upgrade', 12000::numeric),
	('whale', 'x2', '2026-05-20 09:30+00', 'upgrade', 100),
	('ent1', 'x3', '2026-03-10 00:00+00', 'upgrade', 999.99),
	('ent2', 'x4', '2026-04-01 00:00+00', 'upgrade', 5000),
	('ent3', 'x5', '2026-02-20 00:00+00', 'upgrade', 0),
	('ent3', 'x6', '2026-03-20 00:00+00', 'upgrade', -300),
	('mid1', 'x7', '2026-05-01 00:00+00', 'upgrade', 700),
	('noseg1', 'x8', '2026-04-20 00:00+00', 'upgrade', 50),
	('smb2', 'x9', '2026-01-10 00:00+00', 'upgrade', 10),
	('ent4', 'b1', '2026-03-01 00:00+00', 'payment_succeeded', 2500),
	('mid3', 'b2', '2026-02-15 00:00+00', 'cancellation', NULL),
	('smb3', 'b3', '2026-03-15 00:00+00', 'payment_failed', NULL),
	('ent5', 'x10', '2026-05-10 00:00+00', 'upgrade', 1)) AS b (tenant_id, event_id, occurred_at, kind, amount);

CREATE TABLE gen.touches AS
SELECT * FROM (VALUES
	-- x1: at the lookback's first microsecond (90 days in UTC), one before, at the expansion.
	('whale', NULL, 'camp_a', 'email', timestamptz '2026-01-15 12:00+00'),
	('whale', NULL, 'camp_old', 'email', timestamptz '2026-01-15 11:59:59.999999+00'),
	('whale', 'u1', 'camp_b', 'in_app', '2026-04-15 12:00+00'),
	('whale', 'u2', 'camp_b', 'in_app', '2026-04-01 00:00+00'),
	('whale', 'u3', 'camp_c', 'in_app', '2026-04-01 00:00+00'),
	('whale', 'u4', 'camp_a', 'email', '2026-04-01 00:00+00'),
	('whale', 'u5', 'camp_c', 'email', '2026-04-15 12:00:00.000001+00'),
	-- x2: one touch a few days before, one after.
	('whale', 'u7', 'camp_d', 'email', '2026-05-17 09:30+00'),
	('whale', 'u7', 'camp_d', 'email', '2026-05-21 09:30+00'),
	-- x3: a tenant-wide touch and two user touches at one instant.
	('ent1', NULL, 'camp_a', 'email', '2026-03-01 00:00+00'),
	('ent1', 'u1', 'camp_b', 'email', '2026-03-01 00:00+00'),
	('ent1', 'u2', 'camp_c', 'email', '2026-03-01 00:00+00'),
	-- x4: three spread; x7: two; x8 one; x9 none in lookback.
	('ent2', 'u1', 'camp_a', 'email', '2026-01-05 00:00+00'),
	('ent2', 'u1', 'camp_b', 'email', '2026-02-14 00:00+00'),
	('ent2', 'u2', 'camp_c', 'email', '2026-03-31 23:59:59.999999+00'),
	('mid1', 'u1', 'camp_a', 'in_app', '2026-04-30 00:00+00'),
	('mid1', 'u2', 'camp_a', 'in_app', '2026-04-30 00:00+00'),
	('noseg1', NULL, 'camp_b', 'email', '2026-04-19 00:00+00'),
	('smb2', 'u1', 'camp_a', 'email', '2025-09-01 00:00+00'),
	-- A touch of a tenant without expansion.
	('smb1', 'u1', 'camp_a', 'email', '2026-03-01 00:00+00')) AS c (tenant_id, user_id, campaign_id, channel, touched_at);

-- Launches: one at the first microsecond of the event set, one on the day
-- America/Los_Angeles has 23 hours (2026-03-08), one whose target is still
-- ahead of the data.
CREATE TABLE gen.launches AS
SELECT * FROM (VALUES ('l_f3', 'f3', timestamptz '2026-01-05 00:00+00', NULL, 0.5::real, 90),
	('l_f5', 'f5', '2026-03-08 10:00+00', 'camp_b', 0.2, 14),
	('l_f6', 'f6', '2026-05-20 00:00+00', NULL, 0.3, 30)) AS l (launch_id, feature_id, launched_at, campaign_id, target_adoption, target_days);
