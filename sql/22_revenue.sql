-- Revenue and expansion attribution (docs/customer-success.md), on fixed
-- dates worked out by hand.
SET TimeZone = 'UTC';
TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state, adoption.tenant_state,
	adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
	adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys,
	adoption.health_scores, adoption.billing_events, adoption.campaign_touches, adoption.launches,
	adoption.features, adoption.tenants CASCADE;
DELETE FROM adoption.settings WHERE tenant_id IS NOT NULL;
-- r1's user u adopts fb on 02-01, fa on 06-10 and fc on 07-01 (the third
-- success, 09:00); campaigns touch r1 on 03-01 (c3), 06-01 (c1), 06-10
-- (c4) and 06-20 (c2).  Expansions: up1 06-30, 300; up2 07-15, 100; r2's
-- u3 06-15, 50, with nothing before it.  A zero upgrade and a payment are
-- no expansions.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 'r1', 'u', f, d + i * interval '1 day' + interval '9 hours'
FROM (VALUES ('fb', timestamptz '2026-01-30'), ('fa', '2026-06-08'), ('fc', '2026-06-29')) AS v (f, d), generate_series(0, 2) AS i;
INSERT INTO adoption.tenants (tenant_id) VALUES ('r2');
INSERT INTO adoption.campaign_touches (tenant_id, user_id, campaign_id, touched_at) VALUES
	('r1', NULL, 'c3', '2026-03-01'), ('r1', 'u', 'c1', '2026-06-01'), ('r1', NULL, 'c4', '2026-06-10'),
	('r1', 'u', 'c2', '2026-06-20');
INSERT INTO adoption.billing_events (tenant_id, event_id, occurred_at, kind, amount) VALUES
	('r1', 'up1', '2026-06-30', 'upgrade', 300), ('r1', 'up2', '2026-07-15', 'upgrade', 100),
	('r1', 'up0', '2026-06-25', 'upgrade', 0), ('r1', 'p1', '2026-06-30', 'payment_succeeded', 25),
	('r2', 'u3', '2026-06-15', 'upgrade', 50);

-- Linear, 90 days.  up1 (from 04-01): c1, c4, c2 (c3 is older): 100 each;
-- features: fa only (fc comes after): 300.  up2 (from 04-16): c1, c4, c2:
-- 1/3 each, 33.333333 + 33.333334 + 33.333333 (the millionths telescope
-- to 100); features fa and fc: 50 each.  u3: nothing to credit.
SELECT expansion_id, amount, source, credited_id, round(credit::numeric, 9) AS credit, revenue
FROM adoption.revenue_attribution('linear', '90 days');
-- Per expansion and source the credits sum to 1 and the revenue to the amount.
SELECT m.model, bool_and(abs(s.credits - 1) < 1e-12) AS credits_sum_to_1, bool_and(s.revenue = s.amount) AS revenue_sums_to_amount
FROM unnest(ARRAY['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based']) AS m (model),
	LATERAL (SELECT r.expansion_id, r.source, r.amount, sum(r.credit) AS credits, sum(r.revenue) AS revenue
		FROM adoption.revenue_attribution(m.model, '90 days') AS r GROUP BY 1, 2, 3) AS s
GROUP BY m.model ORDER BY m.model;
-- up1's campaigns under each model: first c1 300; last c2 300;
-- position_based 0.4 / 0.2 / 0.4: 120, 60, 120; time_decay weights relative
-- to c2 (06-20): c4 2^(-10/7) = 0.371499, c1 2^(-19/7) = 0.152369, sum
-- 1.523868: credits 0.099993, 0.243785, 0.656222; revenue 29.997870,
-- 73.135625, 196.866505.
SELECT m.model, r.credited_id, round(r.credit::numeric, 6) AS credit, r.revenue
FROM unnest(ARRAY['first_touch', 'last_touch', 'position_based', 'time_decay']) WITH ORDINALITY AS m (model, k),
	LATERAL adoption.revenue_attribution(m.model, '90 days') AS r
WHERE r.expansion_id = 'up1' AND r.source = 'campaign'
ORDER BY m.k, r.touched_at;
-- A lookback of 10 days: up1 (from 06-20) has c2 only and no feature;
-- up2 (from 07-05) nothing.
SELECT expansion_id, source, credited_id, revenue FROM adoption.revenue_attribution('linear', '10 days');
-- The view, per month: June (up1) c1, c4, c2 100 each, fa 300; July (up2)
-- 33.333333, 33.333334, 33.333333, fa and fc 50.
SELECT * FROM adoption.attributed_revenue ORDER BY month, source, credited_id;
-- Bad input.
SELECT * FROM adoption.revenue_attribution('u_shaped');
SELECT * FROM adoption.revenue_attribution('linear', '-1 day');
