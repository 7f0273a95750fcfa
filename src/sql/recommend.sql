/*
 * recommend.sql: cross-sell recommendations (docs/customer-success.md).
 *
 * A tenant has adopted a feature as of T when one of its users adopted it
 * (user_feature_state.adopted_at) before T.  For a tenant x, its peers are
 * the other tenants of its segment and plan, or of its segment when that
 * gives fewer than 5, or all other tenants.  Over the peers, each feature
 * a that x adopted and each feature c that x has not give the rule a -> c:
 *   support    = peers that adopted a and c / peers
 *   confidence = peers that adopted a and c / peers that adopted a
 *   lift       = confidence / (peers that adopted c / peers)
 * A candidate c scores the mean confidence of a -> c over the features a
 * that x adopted (0 for a pair no peer shows): how often peers that
 * adopted what x adopted also adopted c.  Candidates rank by score, an
 * upgrade path of the catalog (c is the upgrade_feature_id of a feature x
 * adopted) before the rest at equal score, then by lift, support and
 * feature_id; the evidence is c's best rule (highest confidence, then
 * lift, then support): its a, confidence, support and lift.  Only candidates some peer
 * adopted together with something x adopted are recommended.
 *
 * The counts are made once per peer group, not per target: x belongs to
 * its group, but never counts in a pair (a, c) with c not adopted by it,
 * and counts once in the adopters of each a it adopted, which is taken
 * off.  Every tenant at once then costs one pass over the groups.
 */

/*
 * The recommendations of several tenants at once, as of a time (NULL:
 * everything): what recommend_features() and the hold-out evaluation call.
 */
CREATE FUNCTION adoption.feature_recommendations(tenant_ids text[], n integer DEFAULT 3, as_of timestamptz DEFAULT NULL)
RETURNS TABLE (tenant_id text, rank integer, feature_id text, feature_name text, tier text,
	score double precision, confidence double precision, support double precision, lift double precision, because text,
	upgrade_of text, peers integer, peer_group text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
	IF n IS NULL OR n < 1 THEN
		RAISE EXCEPTION 'n must be at least 1, not %', coalesce(n::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'n is how many features to recommend per tenant.';
	END IF;
	RETURN QUERY
	WITH ta AS MATERIALIZED (
		/*
		 * Tenant x feature adoptions: now, the pairs with an adopted user
		 * (tenant_feature_counts, one small row each); as of a time, from
		 * the users' adoption times.
		 */
		SELECT c.tenant_id AS t, c.feature_id AS f
		FROM adoption.tenant_feature_counts AS c
		WHERE feature_recommendations.as_of IS NULL AND c.adopted_users > 0
		UNION ALL
		SELECT s.tenant_id, s.feature_id
		FROM adoption.user_feature_state AS s
		WHERE feature_recommendations.as_of IS NOT NULL AND s.adopted_at < feature_recommendations.as_of
		GROUP BY s.tenant_id, s.feature_id
	), tg AS MATERIALIZED (
		/* The groups every tenant belongs to: its segment and plan, its segment, all. */
		SELECT t.tenant_id AS t, g.gk
		FROM adoption.tenants AS t,
			LATERAL (VALUES ('sp:' || quote_nullable(t.segment) || '|' || quote_nullable(t.plan)),
				('s:' || quote_nullable(t.segment)), ('all')) AS g (gk)
	), gn AS (
		SELECT tg.gk, count(*)::integer AS members FROM tg GROUP BY tg.gk
	), x AS MATERIALIZED (
		/*
		 * Each target's peer group: the first with at least 5 other
		 * tenants.  A tenant without a segment (plan) has no segment (plan)
		 * peers: an unknown segment is missing data, not a segment, and
		 * would make peers of an enterprise and a small business.
		 */
		SELECT t.tenant_id AS x,
			CASE WHEN t.segment IS NOT NULL AND t.plan IS NOT NULL AND sp.members - 1 >= 5 THEN sp.gk
				WHEN t.segment IS NOT NULL AND sg.members - 1 >= 5 THEN sg.gk ELSE 'all' END AS gk
		FROM adoption.tenants AS t
		JOIN gn AS sp ON sp.gk = 'sp:' || quote_nullable(t.segment) || '|' || quote_nullable(t.plan)
		JOIN gn AS sg ON sg.gk = 's:' || quote_nullable(t.segment)
		WHERE t.tenant_id = ANY (feature_recommendations.tenant_ids)
	), members AS MATERIALIZED (
		SELECT tg.gk, tg.t FROM tg WHERE tg.gk IN (SELECT x.gk FROM x)
	), fc AS (
		/* Members of each group that adopted each feature. */
		SELECT m.gk, ta.f, count(*) AS k FROM members AS m JOIN ta ON ta.t = m.t GROUP BY m.gk, ta.f
	), cooc AS (
		/* Members of each group that adopted both a and c. */
		SELECT m.gk, a.f AS a, c.f AS c, count(*) AS k
		FROM members AS m
		JOIN ta AS a ON a.t = m.t
		JOIN ta AS c ON c.t = m.t AND c.f <> a.f
		GROUP BY m.gk, a.f, c.f
	), mine AS MATERIALIZED (
		/* The targets' own adoptions. */
		SELECT ta.t, ta.f FROM ta WHERE ta.t = ANY (feature_recommendations.tenant_ids)
	), up AS (
		/* Upgrade paths: c is the upgrade_feature_id of a feature the target adopted. */
		SELECT mine.t, u.upgrade_feature_id AS c, min(u.feature_id) AS upgrade_of
		FROM mine JOIN adoption.features AS u ON u.feature_id = mine.f
		WHERE u.upgrade_feature_id IS NOT NULL
		GROUP BY mine.t, u.upgrade_feature_id
	), rules AS (
		/*
		 * A target is a member of its group: a pair (a, c) with c not
		 * adopted by it never counts it, a feature a it adopted does once.
		 */
		SELECT x.x, ma.f AS a, co.c, gn.members - 1 AS peers,
			CASE WHEN x.gk LIKE 'sp:%' THEN 'segment and plan' WHEN x.gk LIKE 's:%' THEN 'segment' ELSE 'all' END AS grp,
			co.k::double precision / (gn.members - 1) AS support,
			co.k::double precision / (fa.k - 1) AS confidence,
			(co.k::double precision / (fa.k - 1)) / (fc.k::double precision / (gn.members - 1)) AS lift,
			up.upgrade_of IS NOT NULL AS upgrade, up.upgrade_of, nm.n_mine
		FROM x
		JOIN (SELECT mine.t, count(*) AS n_mine FROM mine GROUP BY mine.t) AS nm ON nm.t = x.x
		JOIN mine AS ma ON ma.t = x.x
		JOIN cooc AS co ON co.gk = x.gk AND co.a = ma.f
		LEFT JOIN mine AS mc ON mc.t = x.x AND mc.f = co.c
		JOIN gn ON gn.gk = x.gk
		JOIN fc AS fa ON fa.gk = x.gk AND fa.f = ma.f
		JOIN fc ON fc.gk = x.gk AND fc.f = co.c
		LEFT JOIN up ON up.t = x.x AND up.c = co.c
		WHERE mc.f IS NULL
	), best AS (
		SELECT DISTINCT ON (rules.x, rules.c) rules.*,
			sum(rules.confidence) OVER (PARTITION BY rules.x, rules.c) / rules.n_mine AS score
		FROM rules
		ORDER BY rules.x, rules.c, rules.confidence DESC, rules.lift DESC, rules.support DESC, rules.a
	), ranked AS (
		SELECT best.*, row_number() OVER (PARTITION BY best.x
			ORDER BY best.score DESC, best.upgrade DESC, best.lift DESC, best.support DESC, best.c)::integer AS r
		FROM best
	)
	SELECT ranked.x, ranked.r, ranked.c, f.feature_name, f.tier, ranked.score, ranked.confidence, ranked.support, ranked.lift,
		ranked.a, ranked.upgrade_of, ranked.peers, ranked.grp
	FROM ranked
	LEFT JOIN adoption.features AS f ON f.feature_id = ranked.c
	WHERE ranked.r <= feature_recommendations.n
	ORDER BY ranked.x, ranked.r;
END
$$;
COMMENT ON FUNCTION adoption.feature_recommendations(text[], integer, timestamptz) IS 'Cross-sell recommendations of several tenants as of a time (NULL: all data): per tenant the n best features it has not adopted, from the association rules of its peers (segment and plan), with support, confidence, lift, the antecedent feature and the upgrade path';

CREATE FUNCTION adoption.recommend_features(tenant_id text, n integer DEFAULT 3)
RETURNS TABLE (rank integer, feature_id text, feature_name text, tier text,
	score double precision, confidence double precision, support double precision, lift double precision, because text,
	upgrade_of text, peers integer, peer_group text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM adoption.tenants AS t WHERE t.tenant_id = recommend_features.tenant_id) THEN
		RAISE EXCEPTION 'unknown tenant "%"', coalesce(recommend_features.tenant_id, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Tenants are the rows of adoption.tenants; events register them on first sight.';
	END IF;
	IF n IS NULL OR n < 1 OR n > 100 THEN
		RAISE EXCEPTION 'n must be between 1 and 100, not %', coalesce(n::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY
	SELECT r.rank, r.feature_id, r.feature_name, r.tier, r.score, r.confidence, r.support, r.lift, r.because,
		r.upgrade_of, r.peers, r.peer_group
	FROM adoption.feature_recommendations(ARRAY[recommend_features.tenant_id], n) AS r
	ORDER BY r.rank;
END
$$;
COMMENT ON FUNCTION adoption.recommend_features(text, integer) IS 'Cross-sell: the n features the tenant has not adopted that its peers (same segment and plan) who adopted what it adopted adopted most often; confidence, support and lift of the best rule, its antecedent (because), the upgrade path (upgrade_of) and the peer group';

/*
 * The honest hold-out evaluation: for each tenant with at least two
 * adoptions, its most recent adoption (the latest first adoption time of
 * a feature by one of its users) is hidden, and recommendations are made
 * as of that time from everything adopted before it, by every tenant; a
 * hit is the hidden feature among the first k.  The baseline recommends
 * the k features adopted by the most tenants as of that time that the
 * tenant has not adopted.  One row per method.
 */
CREATE FUNCTION adoption.evaluate_recommendations(k integer DEFAULT 3)
RETURNS TABLE (method text, tenants integer, hits integer, hit_rate double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c record;
	n_tenants integer := 0;
	rec_hits integer := 0;
	pop_hits integer := 0;
BEGIN
	IF k IS NULL OR k < 1 OR k > 100 THEN
		RAISE EXCEPTION 'k must be between 1 and 100, not %', coalesce(k::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	/*
	 * Per tenant with an adoption before its most recent one: the features
	 * adopted at that latest time are hidden (all of them when several
	 * share the microsecond, as with imported day-granular history: either
	 * was "the next adoption", so recommending any of them is a hit).
	 */
	FOR c IN
		WITH a AS (
			SELECT s.tenant_id, s.feature_id, min(s.adopted_at) AS adopted_at
			FROM adoption.user_feature_state AS s WHERE s.adopted_at IS NOT NULL
			GROUP BY s.tenant_id, s.feature_id
		), l AS (
			SELECT a.tenant_id, max(a.adopted_at) AS adopted_at FROM a GROUP BY a.tenant_id
		)
		SELECT l.tenant_id, l.adopted_at, array_agg(a.feature_id ORDER BY a.feature_id) AS hidden
		FROM l JOIN a ON a.tenant_id = l.tenant_id AND a.adopted_at = l.adopted_at
		WHERE EXISTS (SELECT 1 FROM a AS b WHERE b.tenant_id = l.tenant_id AND b.adopted_at < l.adopted_at)
		GROUP BY l.tenant_id, l.adopted_at
		ORDER BY l.tenant_id
	LOOP
		n_tenants := n_tenants + 1;
		IF EXISTS (SELECT 1 FROM adoption.feature_recommendations(ARRAY[c.tenant_id], k, c.adopted_at) AS r
			WHERE r.feature_id = ANY (c.hidden)) THEN
			rec_hits := rec_hits + 1;
		END IF;
		IF EXISTS (SELECT 1 FROM (
			SELECT s.feature_id FROM adoption.user_feature_state AS s
			WHERE s.adopted_at < c.adopted_at
				AND s.feature_id NOT IN (SELECT m.feature_id FROM adoption.user_feature_state AS m
					WHERE m.tenant_id = c.tenant_id AND m.adopted_at < c.adopted_at)
			GROUP BY s.feature_id
			ORDER BY count(DISTINCT s.tenant_id) DESC, s.feature_id
			LIMIT k) AS p WHERE p.feature_id = ANY (c.hidden)) THEN
			pop_hits := pop_hits + 1;
		END IF;
	END LOOP;
	RETURN QUERY VALUES
		('recommend_features', n_tenants, rec_hits, rec_hits::double precision / nullif(n_tenants, 0)),
		('most_popular', n_tenants, pop_hits, pop_hits::double precision / nullif(n_tenants, 0));
END
$$;
COMMENT ON FUNCTION adoption.evaluate_recommendations(integer) IS 'Hold-out evaluation of recommend_features: hides each tenant''s most recent adoption (every feature adopted at that time), recommends as of its time, and reports the hit rate at k against recommending the k most adopted features';
