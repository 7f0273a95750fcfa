-- test/reference/feedback_events.sql: a feedback data set for the persona,
-- messaging and feedback-by views (test/tap/persona_oracle.sh), written
-- with cases nobody tuned the views on.  It fills, in the current
-- database:
--   gen.fb      every feedback row as first sent (tenant_id .. created_at)
--               and as it ends up (f_* columns; f_deleted), with late
--               (sent after the rest) and the mutation that changes it;
--   gen.tenants the tenants as they end up (seg0: the segment at load time);
--   and the catalog, launches and adoption events in adoption.* directly.
-- Times are relative to the anchor, the first day of last month (UTC), so
-- that the rows of the last 30 days act (case studies); the months move
-- with the date, the oracle with them.  adoption.tenants gets the segments
-- of load time (seg0).
--
-- Cases: rows out of created_at order and late (a newer month arriving
-- last moves the recent / previous windows of smb-a; older months arriving
-- last); rows on month boundaries (00:00:00 of the 1st, the last
-- microsecond of a month); a tenant with feedback in one window only
-- (ent-1); a segment of one tenant (mid has mid-1 only until mover moves
-- in); NPS answers without text (ent-2) and one without a score (tie);
-- a tenant whose feedback is all deleted (gone); a pain point given at the
-- instant of a launch of its feature (not answered by it); a tenant outside adoption.tenants
-- (ghost) and one without a segment (noseg); texts naming two features;
-- campaign answers (one id multi-byte); multi-byte and emoji texts; ties in
-- the top-three lists (tie: four value drivers once each) and in the
-- latest time (two requests of smb-b at the same instant); a feature_id
-- outside the catalog; updates of the text, the tenant, the score, the
-- campaign, the feature_id, the stored categories and of created_at into
-- another month (and, for the latest row of a month, earlier in it);
-- deletes; a tenant changing segment.
CREATE SCHEMA gen;

-- "Now": the setting gen.now when set (test/tap/persona_oracle.sh sets one
-- time for all its databases), else now().
CREATE FUNCTION gen.now() RETURNS timestamptz LANGUAGE sql STABLE
RETURN coalesce(nullif(current_setting('gen.now', true), '')::timestamptz, now());

CREATE FUNCTION gen.at(mo integer, dd integer, hh interval DEFAULT '10:00') RETURNS timestamptz LANGUAGE sql STABLE AS $$
	SELECT ((date_trunc('month', gen.now() AT TIME ZONE 'UTC') - interval '1 month' - mo * interval '1 month'
		+ (dd - 1) * interval '1 day' + hh) AT TIME ZONE 'UTC')
$$;

CREATE TABLE gen.tenants (tenant_id text PRIMARY KEY, name text, arr numeric, segment text, seg0 text);
INSERT INTO gen.tenants VALUES
	('smb-a', 'Acme', 10000, 'smb', 'smb'),
	('smb-b', 'Bolt', 20000, 'smb', 'smb'),
	('tie', 'Tie & Co', 1000, 'smb', 'smb'),
	('mover', 'Mover', 30000, 'mid', 'smb'),          -- smb when loaded, mid in the end
	('mid-1', 'Mid One', 50000, 'mid', 'mid'),
	('ent-1', 'Ent One', 100000, 'enterprise', 'enterprise'),
	('ent-2', 'Ent Two', NULL, 'enterprise', 'enterprise'),
	('noseg', 'No Segment', 5000, NULL, NULL),
	('gone', 'Gone', 3000, 'smb', 'smb'),
	('ünï', 'Ünïcode GmbH', 7000, 'mid', 'mid');

-- The texts, with the categories the categorizer gives them (checked by
-- the TAP file only as far as the oracle needs: it reads what was stored).
CREATE TABLE gen.texts (k integer PRIMARY KEY, body text);
INSERT INTO gen.texts VALUES
	(1, 'The dashboards are slow and crash every morning.'),                 -- pain performance, reliability; dashboards
	(2, 'Dashboards load fast and the team loves them.'),                    -- value performance; dashboards
	(3, 'Please add custom fields to the report builder.'),                  -- requests custom_fields, report_builder
	(4, 'Renewals rose from 81% to 90% since we rolled out dashboards.'),    -- success retention (digits)
	(5, 'We save 5 hours a week with the report builder.'),                  -- success time_saved (digit)
	(6, 'Sync keeps failing and the data import is broken.'),                -- pain reliability; import
	(7, 'Mobile app is great, easy to use, but please add dark mode.'),      -- requests dark_mode, mobile; value ease_of_use
	(8, 'La aplicación es muy lenta — très lent, 遅い, the export keeps timing out.'), -- pain performance
	(9, 'Support never replied, waited five days.'),                         -- pain support
	(10, 'Pricing went up again, too expensive.'),                           -- pain pricing
	(11, 'Reliable and intuitive, saved our analysts a day every week.'),    -- value reliability, ease_of_use; success time_saved (no digit)
	(12, 'Setup took ten minutes and it just worked.'),                      -- value onboarding
	(13, 'Please add SSO and the mobile app keeps crashing.'),               -- pain reliability; requests sso, mobile
	(14, 'Great product.'),
	(15, 'Terrible.'),
	(16, NULL),                                                              -- an NPS answer without text
	(17, 'Love the new dashboards 😍🚀'),
	(18, 'Our conversion doubled to 12% after switching to the report builder.'), -- success conversion
	(19, 'Please add dark mode.'),
	(20, 'Exports are slow and the dashboards time out.'),                   -- pain performance; dashboards
	(21, 'The import wizard is confusing and the docs are outdated.'),       -- pain usability, documentation, onboarding
	(22, 'Churn fell from 8% to 3% this quarter.'),                          -- success retention
	(23, 'Data import lost half our records.'),                              -- pain data_loss; import
	(24, 'Please add an API for custom fields.'),                            -- requests api, custom_fields
	(25, 'Das Dashboard ist großartig, aber langsam. ダッシュボードが遅い。'),
	(26, 'Would love a dark mode, the screen is too bright at night.');      -- request dark_mode

CREATE TABLE gen.fb (
	feedback_id text PRIMARY KEY,
	tenant_id text NOT NULL, user_id text, feature_id text, channel text NOT NULL, score smallint, body text,
	campaign_id text, created_at timestamptz NOT NULL,
	late boolean NOT NULL DEFAULT false,
	mutation text,                      -- what the update of this row changes (NULL: none)
	f_tenant_id text, f_feature_id text, f_score smallint, f_body text, f_campaign_id text, f_created_at timestamptz,
	f_deleted boolean NOT NULL DEFAULT false,
	f_extra_pain text                   -- a pain point added to the stored categories by hand
);

-- The rows written for the cases (h*), then a bulk of generated rows (g*).
INSERT INTO gen.fb (feedback_id, tenant_id, user_id, feature_id, channel, score, body, campaign_id, created_at, late, mutation)
SELECT id, tn, u, fid, ch, sc, (SELECT t.body FROM gen.texts AS t WHERE t.k = tk), camp, at, lt, mut
FROM (VALUES
	-- smb-a: months 1..8 back, late rows at both ends
	('h01', 'smb-a', 'u1', 'dashboards', 'support', NULL::smallint, 1, NULL, gen.at(8, 3), false, NULL),
	('h02', 'smb-a', 'u2', 'dashboards', 'nps', 9::smallint, 2, 'spring_nps', gen.at(7, 1, '00:00'), false, NULL),    -- 00:00 of the 1st
	('h03', 'smb-a', 'u1', NULL, 'nps', 3::smallint, 15, 'spring_nps', gen.at(6, 1, '00:00') - interval '1 microsecond', false, NULL), -- last microsecond of month 7
	('h04', 'smb-a', 'u3', 'dashboards', 'survey', NULL, 20, 'q3_survey', gen.at(5, 14), false, NULL),
	('h05', 'smb-a', 'u2', 'import', 'support', NULL, 6, NULL, gen.at(4, 20), false, 'created_at to month 9'),
	('h06', 'smb-a', 'u1', 'mobile', 'review', 2::smallint, 13, NULL, gen.at(3, 9), false, NULL),
	('h07', 'smb-a', 'u4', 'report_builder', 'nps', 10::smallint, 5, 'été-2026', gen.at(2, 11), false, 'score 10 to 2'),
	('h08', 'smb-a', 'u4', 'dashboards', 'support', NULL, 1, NULL, gen.at(1, 28, '23:59'), false, 'created_at earlier in its month'),
	('h09', 'smb-a', 'u5', 'dashboards', 'nps', 10::smallint, 4, 'été-2026', gen.at(0, 2), true, NULL),  -- newest month, late
	('h10', 'smb-a', 'u5', NULL, 'survey', NULL, 8, 'q3_survey', gen.at(10, 5), true, NULL),             -- oldest month, late
	('h11', 'smb-a', 'u1', 'dashboards', 'nps', 6::smallint, 25, NULL, gen.at(9, 30), true, NULL),
	-- smb-b: two requests at the same instant, a text moved to noseg
	('h20', 'smb-b', 'v1', NULL, 'survey', NULL, 19, 'q3_survey', gen.at(2, 5, '12:00'), false, NULL),
	('h21', 'smb-b', 'v2', 'mobile', 'survey', NULL, 7, 'q3_survey', gen.at(2, 5, '12:00'), false, NULL),
	('h22', 'smb-b', 'v1', 'dashboards', 'support', NULL, 2, NULL, gen.at(3, 7), false, 'body: praise becomes a complaint'),
	('h23', 'smb-b', 'v3', 'import', 'support', NULL, 23, NULL, gen.at(4, 7), false, 'tenant to noseg'),
	('h24', 'smb-b', 'v3', NULL, 'interview', NULL, 3, NULL, gen.at(5, 7), false, 'campaign set'),
	('h25', 'smb-b', 'v2', 'legacy_api', 'support', NULL, 9, NULL, gen.at(1, 7), false, 'feature_id to import'),
	('h26', 'smb-b', 'v2', NULL, 'social', NULL, 10, NULL, gen.at(0, 7), false, 'deleted'),
	-- the latest two requests of dark_mode, at the same instant (h28 sent first)
	('h28', 'smb-b', 'v4', NULL, 'survey', NULL, 26, NULL, gen.now() - interval '12 hours', false, NULL),
	('h27', 'noseg', 'z2', NULL, 'survey', NULL, 19, NULL, gen.now() - interval '12 hours', true, NULL),
	-- tie: four value drivers once each
	('h30', 'tie', 'w1', NULL, 'review', 5::smallint, 2, NULL, gen.at(1, 4), false, NULL),
	('h31', 'tie', 'w1', NULL, 'review', 4::smallint, 11, NULL, gen.at(1, 5), false, NULL),
	('h32', 'tie', 'w2', NULL, 'review', 5::smallint, 12, NULL, gen.at(1, 6), false, NULL),
	-- mover: smb at load, mid in the end
	('h40', 'mover', 'm1', 'dashboards', 'support', NULL, 20, NULL, gen.at(2, 15), false, NULL),
	('h41', 'mover', 'm1', NULL, 'nps', 8::smallint, 7, 'spring_nps', gen.at(6, 15), false, NULL),
	-- mid-1: its users adopted report_builder (no fix announcement via upgrade)
	('h50', 'mid-1', 'x1', 'dashboards', 'support', NULL, 1, NULL, gen.at(3, 3), false, NULL),
	('h51', 'mid-1', 'x2', 'report_builder', 'nps', 9::smallint, 18, NULL, gen.at(2, 3), false, NULL),
	('h52', 'mid-1', 'x1', NULL, 'survey', NULL, 24, NULL, gen.at(1, 3), false, 'categories: security added by hand'),
	-- ent-1: feedback in the recent window only; rows of the last days
	('h60', 'ent-1', 'e1', 'dashboards', 'support', NULL, 20, NULL, gen.at(1, 2), false, NULL),
	('h61', 'ent-1', 'e2', 'report_builder', 'nps', 10::smallint, 5, NULL, gen.now() - interval '3 days', false, NULL),
	('h62', 'ent-1', 'e3', NULL, 'nps', 9::smallint, 22, NULL, gen.now() - interval '2 days', false, NULL),
	('h63', 'ent-1', 'e3', 'mobile', 'nps', 2::smallint, 13, NULL, gen.now() - interval '1 day', true, NULL),
	-- ent-2: NPS answers without text
	('h70', 'ent-2', 'n1', NULL, 'nps', 10::smallint, 16, 'spring_nps', gen.at(7, 8), false, NULL),
	('h71', 'ent-2', 'n2', NULL, 'nps', 9::smallint, 16, 'spring_nps', gen.at(2, 8), false, NULL),
	('h72', 'ent-2', 'n3', NULL, 'nps', 3::smallint, 16, NULL, gen.at(1, 8), false, NULL),
	('h73', 'ent-2', 'n4', NULL, 'nps', 7::smallint, 16, NULL, gen.at(0, 8), false, NULL),
	-- ghost (not in adoption.tenants), noseg, ünï
	('h80', 'ghost', 'g1', 'dashboards', 'support', NULL, 1, NULL, gen.at(2, 20), false, NULL),
	('h81', 'ghost', 'g1', NULL, 'survey', NULL, 3, NULL, gen.at(2, 21), false, NULL),
	('h82', 'noseg', 'z1', NULL, 'survey', NULL, 19, NULL, gen.at(4, 4), false, NULL),
	('h83', 'ünï', 'ü1', 'dashboards', 'social', NULL, 17, 'été-2026', gen.at(1, 1, '00:00'), false, NULL),
	('h84', 'ünï', 'ü1', 'dashboards', 'support', NULL, 8, NULL, gen.at(2, 1, '00:00') - interval '1 microsecond', false, NULL),
	-- at the instant dashboards was launched again: not "later", only the upgrade answers it
	('h85', 'noseg', 'z1', 'dashboards', 'support', NULL, 1, NULL, gen.at(2, 1), false, NULL),
	-- gone: all its feedback deleted (no profile left)
	('h90', 'gone', 'q1', NULL, 'survey', NULL, 2, 'q3_survey', gen.at(3, 3), false, 'deleted'),
	('h91', 'gone', 'q1', NULL, 'nps', 9::smallint, 7, NULL, gen.at(1, 3), false, 'deleted'),
	-- an NPS answer without a score
	('h92', 'tie', 'w3', NULL, 'nps', NULL, 14, NULL, gen.at(1, 9), false, NULL)
) AS v (id, tn, u, fid, ch, sc, tk, camp, at, lt, mut);

-- The bulk: 480 rows over 9 tenants, 12 months, 25 texts, 4 channels.
INSERT INTO gen.fb (feedback_id, tenant_id, user_id, feature_id, channel, score, body, campaign_id, created_at, late)
SELECT 'g' || lpad(i::text, 3, '0'), tn, 'bu' || (h % 7), (ARRAY[NULL, 'dashboards', 'mobile', 'import', 'report_builder', NULL])[1 + h % 6],
	ch, CASE ch WHEN 'nps' THEN (h / 7) % 11 WHEN 'csat' THEN 1 + (h / 7) % 5 END,
	(SELECT t.body FROM gen.texts AS t WHERE t.k = 1 + (h / 13) % 25),
	(ARRAY[NULL, NULL, 'spring_nps', 'q3_survey', 'été-2026'])[1 + (h / 17) % 5],
	gen.at((h / 19) % 12, 1 + (h / 23) % 28, ((h / 29) % 24) * interval '1 hour' + ((h / 31) % 60) * interval '1 minute'),
	(h % 9) = 0
FROM generate_series(1, 480) AS i,
	LATERAL (SELECT abs(hashtext('bulk' || i)) AS h) AS x,
	LATERAL (SELECT (ARRAY['smb-a', 'smb-b', 'tie', 'mover', 'mid-1', 'ent-1', 'ghost', 'noseg', 'ünï'])[1 + h % 9] AS tn,
		(ARRAY['nps', 'csat', 'survey', 'support'])[1 + (h / 3) % 4] AS ch) AS y
-- ent-1 stays in one window
WHERE NOT (tn = 'ent-1' AND (h / 19) % 12 > 2);

-- The end state: by default as sent.
UPDATE gen.fb SET f_tenant_id = tenant_id, f_feature_id = feature_id, f_score = score, f_body = body,
	f_campaign_id = campaign_id, f_created_at = created_at;
UPDATE gen.fb SET f_created_at = gen.at(9, 12) WHERE mutation = 'created_at to month 9';
UPDATE gen.fb SET f_score = 2 WHERE mutation = 'score 10 to 2';
UPDATE gen.fb SET f_created_at = gen.at(1, 1, '00:00') WHERE mutation = 'created_at earlier in its month';
UPDATE gen.fb SET f_body = (SELECT t.body FROM gen.texts AS t WHERE t.k = 1) WHERE mutation = 'body: praise becomes a complaint';
UPDATE gen.fb SET f_tenant_id = 'noseg' WHERE mutation = 'tenant to noseg';
UPDATE gen.fb SET f_campaign_id = 'spring_nps' WHERE mutation = 'campaign set';
UPDATE gen.fb SET f_feature_id = 'import' WHERE mutation = 'feature_id to import';
UPDATE gen.fb SET f_deleted = true WHERE mutation = 'deleted';
UPDATE gen.fb SET f_extra_pain = 'security' WHERE mutation = 'categories: security added by hand';
-- Bulk mutations: every 11th generated row moves two months back, every
-- 13th is deleted, every 17th changes text.
UPDATE gen.fb SET mutation = 'bulk created_at', f_created_at = created_at - interval '2 months'
WHERE feedback_id LIKE 'g%' AND substr(feedback_id, 2)::integer % 11 = 0;
UPDATE gen.fb SET mutation = 'bulk deleted', f_deleted = true
WHERE feedback_id LIKE 'g%' AND substr(feedback_id, 2)::integer % 13 = 0 AND mutation IS NULL;
UPDATE gen.fb SET mutation = 'bulk body', f_body = (SELECT t.body FROM gen.texts AS t WHERE t.k = 1 + substr(feedback_id, 2)::integer % 25)
WHERE feedback_id LIKE 'g%' AND substr(feedback_id, 2)::integer % 17 = 0 AND mutation IS NULL;

-- The catalog: dashboards' upgrade is report_builder; dashboards was
-- launched again two months back (a fix for the pain points named before).
INSERT INTO adoption.features (feature_id, feature_name, tier, upgrade_feature_id) VALUES
	('dashboards', 'Dashboards', 'core', NULL), ('report_builder', 'Report builder', 'advanced', NULL),
	('mobile', 'Mobile app', 'core', NULL), ('custom_fields', 'Custom fields', 'advanced', NULL),
	('import', 'Data import', 'core', NULL), ('sso', 'Single sign-on', 'premium', NULL);
UPDATE adoption.features SET upgrade_feature_id = 'report_builder' WHERE feature_id = 'dashboards';
INSERT INTO adoption.tenants (tenant_id, name, arr, segment) SELECT tenant_id, name, arr, seg0 FROM gen.tenants;
INSERT INTO adoption.launches (launch_id, feature_id, launched_at) VALUES
	('dash-v2', 'dashboards', gen.at(2, 1)), ('import-v2', 'import', gen.at(6, 1));
-- mid-1's x2 adopted report_builder (three successes: the default aha
-- threshold), smb-b's v1 used it once (not adopted), mover's m1 adopted
-- import.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT tn, u, f, gen.at(1, d), true FROM (VALUES ('mid-1', 'x2', 'report_builder', 3), ('smb-b', 'v1', 'report_builder', 1),
	('mover', 'm1', 'import', 3)) AS v (tn, u, f, n), generate_series(1, n) AS d;
