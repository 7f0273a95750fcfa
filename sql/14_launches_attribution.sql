-- Campaign attribution (five models), campaign lift, launches and the
-- queue dashboard, on hand-made data; the arithmetic is in the comments.
SET TimeZone = 'UTC';
SET extra_float_digits = 0;
TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state, adoption.tenant_state,
	adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
	adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys,
	adoption.campaign_touches, adoption.launches, adoption.features, adoption.tenants CASCADE;
DELETE FROM adoption.settings WHERE tenant_id IS NOT NULL;
-- The defaults this test relies on (an earlier test may have changed them).
UPDATE adoption.settings SET aha_successes = 3, active_window = interval '30 days', max_attempts = 5
WHERE tenant_id IS NULL;

INSERT INTO adoption.features (feature_id, feature_name) VALUES
	('reports', 'Reports'), ('dashboards', 'Dashboards'), ('insights', 'Insights');
-- t4 is registered but never sends an event.
INSERT INTO adoption.tenants (tenant_id, name) VALUES ('t4', 'Tenant four');

-- Adoption = the 3rd successful use (aha_successes 3).
--   t1/u1 reports     adopted 2026-03-10 12:00; also one use of dashboards on
--                     03-09 12:00 from campaign spring (campaign_influence)
--   t1/u2 reports     adopted 2026-03-20 12:00
--   t2/u3 reports     adopted 2026-03-10 12:00 (never touched)
--   t3/u4 reports     adopted 2026-03-15 12:00
--   t3/u5 dashboards  adopted 2026-03-15 12:00 by a use from campaign inapp
--   t5/u50 insights   adopted 2026-03-25 12:00 (before the launch below: a beta user)
--   t6/u60 reports    one use on 2026-01-15 (dormant)
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, integration_context)
SELECT v.t, v.u, v.f, v.ts::timestamptz, v.ctx::jsonb FROM (VALUES
	('t1', 'u1', 'dashboards', '2026-03-09 12:00', '{"campaign_influence": "spring"}'),
	('t1', 'u1', 'reports', '2026-03-10 10:00', '{}'),
	('t1', 'u1', 'reports', '2026-03-10 11:00', '{"source": "web"}'),
	('t1', 'u1', 'reports', '2026-03-10 12:00', '{}'),
	('t1', 'u2', 'reports', '2026-03-20 10:00', '{}'),
	('t1', 'u2', 'reports', '2026-03-20 11:00', '{}'),
	('t1', 'u2', 'reports', '2026-03-20 12:00', '{}'),
	('t2', 'u3', 'reports', '2026-03-10 10:00', '{}'),
	('t2', 'u3', 'reports', '2026-03-10 11:00', '{}'),
	('t2', 'u3', 'reports', '2026-03-10 12:00', '{}'),
	('t3', 'u4', 'reports', '2026-03-15 10:00', '{}'),
	('t3', 'u4', 'reports', '2026-03-15 11:00', '{}'),
	('t3', 'u4', 'reports', '2026-03-15 12:00', '{}'),
	('t3', 'u5', 'dashboards', '2026-03-15 10:00', '{}'),
	('t3', 'u5', 'dashboards', '2026-03-15 11:00', '{}'),
	('t3', 'u5', 'dashboards', '2026-03-15 12:00', '{"campaign_influence": "inapp"}'),
	('t5', 'u50', 'insights', '2026-03-25 10:00', '{}'),
	('t5', 'u50', 'insights', '2026-03-25 11:00', '{}'),
	('t5', 'u50', 'insights', '2026-03-25 12:00', '{}'),
	('t6', 'u60', 'reports', '2026-01-15 12:00', '{}')
) AS v(t, u, f, ts, ctx);
SELECT tenant_id, user_id, feature_id, adopted_at FROM adoption.user_feature_state
WHERE adopted_at IS NOT NULL ORDER BY 1, 2, 3;

-- Touches.  u1 (adopted 03-10 12:00) has three within 30 days:
--   winter     02-28 12:00, 10 days before (tenant-wide: user_id NULL)
--   newsletter 03-06 12:00,  4 days before
--   spring     03-09 12:00,  1 day before (the dashboards event above)
-- and two that do not count: old (02-07 12:00, 31 days before) and late
-- (03-11 12:00, after the adoption).  u2 (03-20 12:00) has only the
-- tenant-wide winter touch, 20 days before.  u4 has two touches at the same
-- instant (zeta, alpha), 3 days before.  u5 has the inapp event, at its
-- adoption (0 days before).  u3 and u50 have none.
INSERT INTO adoption.campaign_touches (tenant_id, user_id, campaign_id, channel, touched_at) VALUES
	('t1', NULL, 'winter', 'email', '2026-02-28 12:00'),
	('t1', 'u1', 'newsletter', 'email', '2026-03-06 12:00'),
	('t1', 'u1', 'old', 'email', '2026-02-07 12:00'),
	('t1', 'u1', 'late', 'email', '2026-03-11 12:00'),
	('t3', 'u4', 'zeta', 'in_app', '2026-03-12 12:00'),
	('t3', 'u4', 'alpha', 'in_app', '2026-03-12 12:00');

-- first_touch: u1 -> winter, u2 -> winter, u4 -> alpha (tie at 03-12 12:00:
-- ordered by campaign_id, alpha first), u5 -> inapp; each credit 1.
SELECT * FROM adoption.attribution('first_touch');
-- last_touch (the default): u1 -> spring, u2 -> winter, u4 -> zeta (last of
-- the tie), u5 -> inapp.
SELECT * FROM adoption.attribution();
-- linear: u1 1/3 each = 0.333333333333; u4 1/2 each.
SELECT tenant_id, user_id, feature_id, campaign_id, touched_at, round(credit::numeric, 12) AS credit
FROM adoption.attribution('linear');
-- time_decay, weight 2^(-days before adoption / 7), normalized:
--   winter     2^(-10/7) = 0.371498572284
--   newsletter 2^(-4/7)  = 0.672950096316
--   spring     2^(-1/7)  = 0.905723664264
--   sum                    1.950172332864
--   credits    0.371498572284 / 1.950172332864 = 0.190495253175
--              0.672950096316 / 1.950172332864 = 0.345072117461
--              0.905723664264 / 1.950172332864 = 0.464432629363
-- u4: two touches of the same age: 1/2 each; u2, u5: one touch, 1.
SELECT tenant_id, user_id, feature_id, campaign_id, touched_at, round(credit::numeric, 12) AS credit
FROM adoption.attribution('time_decay');
-- position_based: u1 first 0.4, middle 0.2, last 0.4; u4 (two) 0.5/0.5; u2, u5 1.
SELECT tenant_id, user_id, feature_id, campaign_id, touched_at, round(credit::numeric, 12) AS credit
FROM adoption.attribution('position_based');
-- Every model: the credits of each adoption sum to 1, and adoptions without
-- a touch (u3, u50) have no row: 4 adoptions per model.
SELECT m.model, count(DISTINCT (a.tenant_id, a.user_id, a.feature_id)) AS adoptions,
	count(*) AS rows, bool_and(abs(s.total - 1) < 1e-12) AS all_sum_to_1
FROM unnest(ARRAY['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based']) AS m(model)
CROSS JOIN LATERAL adoption.attribution(m.model) AS a
JOIN LATERAL (SELECT sum(b.credit) AS total FROM adoption.attribution(m.model) AS b
	WHERE b.tenant_id = a.tenant_id AND b.user_id = a.user_id AND b.feature_id = a.feature_id) AS s ON true
GROUP BY m.model ORDER BY m.model;
-- Lookback 4 days: newsletter (exactly 4 days before: the bound counts) and
-- spring for u1, 1/2 each; winter is out, so u2 has no row; u4 and u5 as before.
SELECT tenant_id, user_id, feature_id, campaign_id, round(credit::numeric, 12) AS credit
FROM adoption.attribution('linear', '4 days');
-- Lookback 0: only touches at the adoption itself (u5's inapp event).
SELECT tenant_id, user_id, feature_id, campaign_id, credit FROM adoption.attribution('time_decay', '0');
-- Lookback 40 days brings in old (31 days before) for u1: 4 touches,
-- position_based 0.4 / 0.1 / 0.1 / 0.4 (old, winter, newsletter, spring).
SELECT campaign_id, round(credit::numeric, 12) AS credit
FROM adoption.attribution('position_based', '40 days') WHERE user_id = 'u1';
-- The view: last_touch over 30 days.
SELECT * FROM adoption.campaign_attribution;

-- Errors.
SELECT * FROM adoption.attribution('u_shaped');
SELECT * FROM adoption.attribution(NULL);
SELECT * FROM adoption.attribution('linear', NULL);
SELECT * FROM adoption.attribution('linear', '-1 day');

-- Campaign lift over 30 days.  Population of a campaign: users whose usage
-- span (first to last use) overlaps its window [first touch, last touch +
-- 30 days].  Spans: u1 03-09..03-10, u2 03-20, u3 03-10, u4 03-15, u5 03-15,
-- u50 03-25, u60 01-15.
--   winter [02-28, 03-30]: u1..u5, u50; touched u1, u2 (tenant-wide).
--     reports: touched 2/2 = 1; untouched u3, u4 of 4 = 0.5; diff 0.5, lift 1
--     dashboards: 0/2 vs u5 1/4; insights: 0/2 vs u50 1/4 (lift -1)
--   newsletter [03-06, 04-05]: 6 users, touched u1.
--     reports 1/1 vs u2, u3, u4 of 5 = 0.6: lift 1/0.6 - 1 = 0.666666666667
--   old [02-07, 03-09 12:00]: only u1 (first seen 03-09 12:00), touched;
--     u1 adopted reports 31 days after the touch: 0/1; no untouched user.
--   late [03-11 12:00, 04-10 12:00]: u1 was last seen 03-10: not in it;
--     untouched u2, u4, u5, u50.  reports 2/4, dashboards 1/4, insights 1/4.
--   spring [03-09 12:00, 04-08 12:00]: 6 users (u3 last seen 03-10 12:00),
--     touched u1: reports 1/1 vs 3/5.
--   alpha, zeta [03-12 12:00, 04-11 12:00]: u2, u4, u5, u50; touched u4:
--     reports 1/1 vs u2 1/3: lift 2.
--   inapp [03-15 12:00, 04-14 12:00]: u2, u4, u5, u50; touched u5:
--     dashboards 1/1 (adopted at the touch) vs 0/3: lift NULL (no baseline);
--     reports 0/1 vs u2 and u4 (adopted at the window start) 2/3.
SELECT campaign_id, feature_id, window_start, window_end, touched_users, touched_adopters,
	round(touched_rate::numeric, 12) AS touched_rate, untouched_users, untouched_adopters,
	round(untouched_rate::numeric, 12) AS untouched_rate,
	round(rate_difference::numeric, 12) AS rate_difference, round(lift::numeric, 12) AS lift
FROM adoption.campaign_lift();
SELECT * FROM adoption.campaign_lift('-1 day');

-- Launches.  L1 launches insights on 2026-04-01 (target: half of the active
-- tenants adopt within 30 days); L2 launches reports far ahead.
INSERT INTO adoption.launches (launch_id, feature_id, launched_at, campaign_id, target_adoption, target_days) VALUES
	('L1', 'insights', '2026-04-01 00:00', 'launch_q2', 0.5, 30),
	('L2', 'reports', '2099-01-01 00:00', 'launch_2099', 0.3, 30);
-- Who hears of L1: tenants with a use within active_window (30 days) before
-- the launch (after 03-02) or since: t1, t2, t3, t5; t5 already uses insights,
-- t6 is dormant (01-15), t4 never sent an event.  So t1, t2, t3: 3.
DELETE FROM adoption.campaign_action_queue;
SELECT adoption.coordinate_launch('L1');
-- Once per tenant and launch: again, none.
SELECT adoption.coordinate_launch('L1');
SELECT tenant_id, user_id, feature_id, template_key, campaign_id, dedupe_key, reason, status
FROM adoption.campaign_actions WHERE template_key = 'launch_announcement' ORDER BY tenant_id;
-- L2: nobody is active within 30 days before 2099-01-01.
SELECT adoption.coordinate_launch('L2');
SELECT adoption.coordinate_launch('L9');
SELECT adoption.coordinate_launch(NULL);

-- After the launch:
--   t1/u1 first uses insights 04-03 00:00 (2 days), adopts 04-03 02:00
--   t1/u2 first uses it 04-11 00:00 (10 days)
--   t2/u3 uses reports 04-20, first uses insights 05-11 00:00 (40 days)
--   t3/u4 first uses it 04-05 12:00 (4.5 days), adopts 04-30 23:00
--   t5/u50 uses reports 04-05
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT v.t, v.u, v.f, v.ts::timestamptz FROM (VALUES
	('t1', 'u1', 'insights', '2026-04-03 00:00'),
	('t1', 'u1', 'insights', '2026-04-03 01:00'),
	('t1', 'u1', 'insights', '2026-04-03 02:00'),
	('t1', 'u2', 'insights', '2026-04-11 00:00'),
	('t2', 'u3', 'reports', '2026-04-20 00:00'),
	('t2', 'u3', 'insights', '2026-05-11 00:00'),
	('t3', 'u4', 'insights', '2026-04-05 12:00'),
	('t3', 'u4', 'insights', '2026-04-20 00:00'),
	('t3', 'u4', 'insights', '2026-04-30 23:00'),
	('t5', 'u50', 'reports', '2026-04-05 00:00')
) AS v(t, u, f, ts);
-- L1:
--   users activated within 7 days: u1, u4 = 2; 30 days: + u2 = 3; 90 days: + u3 = 4
--   (u50 used it before the launch: not counted)
--   tenants activated (first user) within 7 days: t1, t3 = 2; 30: 2; 90: + t2 = 3
--   tenants active in [04-01, 05-01): t1, t2, t3, t5 = 4; adopted before
--   05-01: t1 (04-03), t3 (04-30 23:00), t5 (03-25, beta) = 3: rate 0.75 >=
--   0.5, target met.  Median time to activation of 2d, 4d12h, 10d, 40d:
--   (4d12h + 10d) / 2 = 7 days 06:00.
--   Users: the denominator is every user active in [04-01, 05-01) on any
--   feature, not only the feature's users: u1, u2, u4 (insights), u3
--   (reports 04-20; its insights use on 05-11 is after target_at), u50
--   (reports 04-05) = 5; adopted insights before 05-01: u1 (04-03 02:00),
--   u4 (04-30 23:00), u50 (03-25, beta) = 3: user_adoption_rate 3/5 = 0.6
--   (over the feature's own users u1, u2, u4 it would be 2/3).
-- L2 (reports, 2099): nobody activated since; target_met NULL (not due yet);
-- nobody active in its window: users 0, user_adoption_rate NULL.
SELECT * FROM adoption.launch_performance ORDER BY launch_id;
-- Called again after the launch: t1, t2, t3 had their announcement, t5 uses
-- the feature: none.
SELECT adoption.coordinate_launch('L1');

-- The queue dashboard.  Claim the three announcements, deliver one, fail one
-- with max_attempts 1 (dead), keep one claimed; two win_back actions are
-- pending, one of them not due before an hour from now.
-- (Milestone actions of the events above, adoption_success, are set aside.)
DELETE FROM adoption.campaign_action_queue WHERE template_key <> 'launch_announcement';
UPDATE adoption.settings SET max_attempts = 1 WHERE tenant_id IS NULL;
SELECT count(*) AS claimed FROM adoption.claim_actions('worker-1', 10, '5 minutes');
SELECT adoption.complete_action(min(action_id)) FROM adoption.campaign_action_queue;
SELECT adoption.fail_action(max(action_id), 'smtp timeout') FROM adoption.campaign_action_queue;
SELECT adoption.enqueue_action('t4', 'win_back', 'wb-t4') IS NOT NULL AS enqueued;
SELECT adoption.enqueue_action('t6', 'win_back', 'wb-t6', available_at => now() + interval '1 hour') IS NOT NULL AS enqueued;
SELECT template_key, campaign_id, channel, status, actions, due_now, lease_expired, age_under_1h,
	age_1h_to_1d, age_1d_to_7d, age_over_7d, oldest_age < interval '1 minute' AS oldest_is_new,
	most_attempts, last_completed_at IS NOT NULL AS has_completed
FROM adoption.action_queue ORDER BY template_key, status;
UPDATE adoption.settings SET max_attempts = 5 WHERE tenant_id IS NULL;

-- Hostile objects planted in public, first on the search_path, are never
-- called: the functions pin their search_path and the views were bound at
-- CREATE EXTENSION (each trap raises an error if called).
CREATE FUNCTION public.trap_texteq(text, text) RETURNS boolean
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: text = text'; END $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.trap_texteq);
CREATE FUNCTION public.now() RETURNS timestamptz
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: now'; END $$;
CREATE FUNCTION public.power(double precision, double precision) RETURNS double precision
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: power'; END $$;
CREATE FUNCTION public.jsonb_build_array(text, text) RETURNS jsonb
LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked: jsonb_build_array'; END $$;
SET search_path = public, pg_catalog;
\set SHOW_CONTEXT never
SELECT 'a'::text = 'b'::text;
-- After the April events u1 also adopted insights (04-03 02:00): newsletter,
-- spring and late are within 30 days before it, winter is not; u4's insights
-- (04-30 23:00) has no touch within 30 days: 7 + 3 rows, 5 adoptions.
SELECT pg_catalog.count(*) AS rows, pg_catalog.sum(credit) AS credits FROM adoption.attribution('time_decay');
SELECT pg_catalog.count(*) AS rows FROM adoption.campaign_attribution;
-- Campaign old now also has a row for insights (u1 adopted it): 22 + 1.
SELECT pg_catalog.count(*) AS rows FROM adoption.campaign_lift();
SELECT launch_id, target_met FROM adoption.launch_performance ORDER BY launch_id COLLATE "C";
SELECT pg_catalog.sum(actions) AS actions FROM adoption.action_queue;
INSERT INTO adoption.launches (launch_id, feature_id, launched_at) VALUES ('L3', 'dashboards', '2026-05-01 00:00');
-- Active after 04-01: t1, t2, t3, t5; t1 and t3 use dashboards (u1, u5): t2, t5.
SELECT adoption.coordinate_launch('L3');
RESET search_path;
DROP FUNCTION public.jsonb_build_array(text, text);
DROP FUNCTION public.power(double precision, double precision);
DROP FUNCTION public.now();
DROP OPERATOR public.= (text, text);
DROP FUNCTION public.trap_texteq(text, text);
