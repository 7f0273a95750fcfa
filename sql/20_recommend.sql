-- Cross-sell recommendations (docs/customer-success.md): association rules
-- among peers and the hold-out evaluation, on tenants whose every figure
-- is worked out in the comments.
SET TimeZone = 'UTC';
TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state, adoption.tenant_state,
	adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
	adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys,
	adoption.health_scores, adoption.launches, adoption.features, adoption.tenants CASCADE;
DELETE FROM adoption.settings WHERE tenant_id IS NOT NULL;
INSERT INTO adoption.features (feature_id, tier, upgrade_feature_id) VALUES
	('f5', 'advanced', NULL), ('f1', 'core', 'f5'), ('f2', 'core', NULL), ('f3', 'core', NULL), ('f4', 'core', NULL);
-- A tenant adopts a feature with the third of three successful uses, an
-- hour apart, starting `ago` days ago.  Six tenants, no segment or plan
-- (no segment peers: the group is all tenants, 5 peers each).  Adoptions in time order:
--   p1: f1 (30 days ago), f2 (29), f3 (28)      p4: f1 (23), f5 (22)
--   p2: f1 (27), f3 (26)                         p5: f3 (21)
--   p3: f2 (25), f4 (24)                         t0: f1 (10), f2 (5)
CREATE FUNCTION pg_temp.adopt(t text, f text, ago integer) RETURNS void LANGUAGE sql AS $$
	INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
	SELECT t, 'u', f, now() - ago * interval '1 day' + i * interval '1 hour' FROM generate_series(0, 2) AS i
$$;
SELECT count(pg_temp.adopt(t, f, d)) AS adoptions FROM (VALUES ('p1', 'f1', 30), ('p1', 'f2', 29), ('p1', 'f3', 28),
	('p2', 'f1', 27), ('p2', 'f3', 26), ('p3', 'f2', 25), ('p3', 'f4', 24), ('p4', 'f1', 23), ('p4', 'f5', 22),
	('p5', 'f3', 21), ('t0', 'f1', 10), ('t0', 'f2', 5)) AS a (t, f, d);

-- t0 adopted f1 and f2; candidates f3, f4, f5.  Among its 5 peers: f1 by
-- p1, p2, p4 (3); f2 by p1, p3 (2); f3 by p1, p2, p5 (3); f4 by p3; f5 by p4.
--   f1 -> f3: p1, p2: confidence 2/3, support 2/5, lift (2/3)/(3/5) = 10/9
--   f2 -> f3: p1: 1/2;  f2 -> f4: p3: 1/2, support 1/5, lift (1/2)/(1/5) = 5/2
--   f1 -> f5: p4: 1/3, support 1/5, lift (1/3)/(1/5) = 5/3;  f1 -> f4, f2 -> f5: none
-- score = mean confidence over f1 and f2: f3 (2/3 + 1/2)/2 = 7/12,
-- f4 (0 + 1/2)/2 = 1/4, f5 (1/3 + 0)/2 = 1/6; f5 is the upgrade of f1.
SELECT rank, feature_id, round(score::numeric, 9) AS score, round(confidence::numeric, 9) AS confidence,
	round(support::numeric, 9) AS support, round(lift::numeric, 9) AS lift, because, upgrade_of, peers, peer_group
FROM adoption.recommend_features('t0');
SELECT rank, feature_id FROM adoption.recommend_features('t0', 1);

-- Hold-out at 3: each tenant with two or more adoptions hides its latest
-- and is recommended as of its time from what everyone adopted before.
--   p1 hides f3 (as of 28 days ago only p1's f1, f2 exist): no rule, no
--     popular feature it lacks: miss, miss.
--   p2 hides f3: peers' adoptions: p1 {f1, f2, f3}; from f1: f2 1, f3 1:
--     hit; popular without f1: f2 1, f3 1: hit.
--   p3 hides f4: from f2 (p1): f1, f3: miss; popular: f1 2, f3 2: miss.
--   p4 hides f5: from f1 (p1, p2): f3 1, f2 1/2: miss; popular f2 2, f3 2,
--     f4 1: miss.
--   t0 hides f2: from f1 (p1, p2, p4): f3 2/3, f2 1/3, f5 1/3 (f5 first,
--     an upgrade of f1): f3, f5, f2: hit; popular f3 3, f2 2, f4 1: hit.
--   p5 has one adoption: not evaluated.  Both: 2 hits of 5.
SELECT * FROM adoption.evaluate_recommendations(3);
-- At 1: p2 gets f2 (before f3 at the same score and lift: by id), t0 f3;
-- the popular feature is f2 for p2, f3 for t0: no hit either way.
SELECT * FROM adoption.evaluate_recommendations(1);

-- Bad input.
SELECT * FROM adoption.recommend_features('nobody');
SELECT * FROM adoption.recommend_features('t0', 0);
SELECT * FROM adoption.evaluate_recommendations(NULL);
-- n below 1 (or NULL) is refused; it used to answer with no rows.
SELECT * FROM adoption.feature_recommendations(ARRAY['t0'], 0);
SELECT * FROM adoption.feature_recommendations(ARRAY['t0'], NULL);

-- Two features adopted at one microsecond (audit of the customer-success
-- numbers): both are hidden, either recommended is a hit.  New tenants
-- only (no segment: all are peers), adoptions in time order:
--   a1: f1 (20 days ago), f3 (19)    a3: f1 (16), f2 (15)
--   a2: f1 (18), f3 (17)             q:  f1 (14), f2 and f3 (13, one instant)
-- At 1: a1 has nothing before it to learn from (miss, and no popular
-- feature: miss); a2 gets f3 (a1: f1 -> f3, confidence 1), hidden f3: hit,
-- popular f3: hit; a3 gets f3 (2 of 2), hidden f2: miss both; q gets f3
-- (f1 -> f3 2/3 against f1 -> f2 1/3) and f3 is the most adopted (2 tenants
-- against 1), hidden f2 and f3: hit both.  Want 4 tenants, 2 hits each
-- (before the fix q's hidden feature was f2 alone: 1 hit each).
TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state, adoption.tenant_state,
	adoption.tenant_feature_counts, adoption.tenant_feature_milestones, adoption.tenants CASCADE;
SELECT count(pg_temp.adopt(t, f, d)) AS adoptions FROM (VALUES ('a1', 'f1', 20), ('a1', 'f3', 19), ('a2', 'f1', 18),
	('a2', 'f3', 17), ('a3', 'f1', 16), ('a3', 'f2', 15), ('q', 'f1', 14), ('q', 'f2', 13), ('q', 'f3', 13)) AS a (t, f, d);
-- q adopted f2 and f3 at one instant:
SELECT count(*) AS adoptions, count(DISTINCT adopted_at) AS instants FROM adoption.user_feature_state
WHERE tenant_id = 'q' AND feature_id IN ('f2', 'f3');
SELECT * FROM adoption.evaluate_recommendations(1);
