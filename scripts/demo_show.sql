/*
 * demo_show.sql: a first look at the demo data set (scripts/demo.sql).
 *
 *   psql -f scripts/demo_show.sql          (in the demo database)
 *
 * Reads the tables only; every query prints at most about 15 rows.  With
 * -v keep_going=1 (the Citus demo, where a few views fail: docs/citus.md)
 * it goes on after an error.
 */
\if :{?keep_going}
\else
\set ON_ERROR_STOP on
\endif
\set QUIET on
\pset null '-'
\pset footer off
SET TimeZone = 'UTC';
SET jit = off;

\echo
\echo 'Events by monthly partition'
SELECT e.tableoid::regclass AS partition,
	count(*) AS events,
	count(DISTINCT e.tenant_id) AS tenants,
	count(DISTINCT e.user_id) AS users,
	min(e.usage_timestamp)::date AS first_day,
	max(e.usage_timestamp)::date AS last_day
FROM adoption.feature_usage_events AS e
GROUP BY 1
ORDER BY 1;

\echo
\echo 'Top 10 features by events (last 90 days)'
SELECT e.feature_id,
	f.tier,
	count(*) AS events,
	count(DISTINCT e.user_id) AS users,
	count(DISTINCT e.tenant_id) AS tenants,
	round(100.0 * avg(e.success_outcome::integer), 1) AS success_pct,
	(percentile_cont(0.5) WITHIN GROUP (ORDER BY e.session_duration))::integer AS median_secs
FROM adoption.feature_usage_events AS e
LEFT JOIN adoption.features AS f USING (feature_id)
WHERE e.usage_timestamp > now() - interval '90 days'
GROUP BY e.feature_id, f.tier
ORDER BY events DESC, e.feature_id
LIMIT 10;

\echo
\echo 'Top 10 tenants by events in the last 30 days, against the 30 days before'
SELECT t.tenant_id,
	t.plan,
	s.last_30d,
	s.prev_30d,
	CASE WHEN s.prev_30d > 0 THEN round(100.0 * (s.last_30d - s.prev_30d) / s.prev_30d) END AS change_pct,
	s.users_30d
FROM (
	SELECT e.tenant_id,
		count(*) FILTER (WHERE e.usage_timestamp > now() - interval '30 days') AS last_30d,
		count(*) FILTER (WHERE e.usage_timestamp <= now() - interval '30 days'
			AND e.usage_timestamp > now() - interval '60 days') AS prev_30d,
		count(DISTINCT e.user_id) FILTER (WHERE e.usage_timestamp > now() - interval '30 days') AS users_30d
	FROM adoption.feature_usage_events AS e
	WHERE e.usage_timestamp > now() - interval '60 days'
	GROUP BY e.tenant_id
) AS s
JOIN adoption.tenants AS t USING (tenant_id)
ORDER BY s.last_30d DESC, t.tenant_id
LIMIT 10;

\echo
\echo 'Tenants whose usage dropped most: last 30 days against the 30 days before (at least 100 events before)'
SELECT t.tenant_id,
	t.plan,
	t.arr,
	s.last_30d,
	s.prev_30d,
	round(100.0 * (s.last_30d - s.prev_30d) / s.prev_30d) AS change_pct,
	s.last_event::date AS last_event
FROM (
	SELECT e.tenant_id,
		count(*) FILTER (WHERE e.usage_timestamp > now() - interval '30 days') AS last_30d,
		count(*) FILTER (WHERE e.usage_timestamp <= now() - interval '30 days'
			AND e.usage_timestamp > now() - interval '60 days') AS prev_30d,
		max(e.usage_timestamp) AS last_event
	FROM adoption.feature_usage_events AS e
	GROUP BY e.tenant_id
) AS s
JOIN adoption.tenants AS t USING (tenant_id)
WHERE s.prev_30d >= 100
ORDER BY (s.last_30d::numeric / s.prev_30d), t.tenant_id
LIMIT 10;

\echo
\echo 'Feedback by channel, with the sentiment categorize_feedback gave each text on insert'
SELECT f.channel,
	count(*) AS responses,
	count(f.score) AS scored,
	round(avg(f.score), 2) AS avg_score,
	CASE WHEN f.channel = 'nps' THEN round(100.0 * (count(*) FILTER (WHERE f.score >= 9)
		- count(*) FILTER (WHERE f.score <= 6)) / nullif(count(f.score), 0)) END AS nps,
	count(f.body) AS with_text,
	count(*) FILTER (WHERE f.sentiment_label = 'positive') AS positive,
	count(*) FILTER (WHERE f.sentiment_label = 'neutral') AS neutral,
	count(*) FILTER (WHERE f.sentiment_label = 'negative') AS negative,
	round(avg(f.sentiment)::numeric, 2) AS mean_sentiment
FROM adoption.feedback AS f
GROUP BY f.channel
ORDER BY responses DESC, f.channel;

\echo
\echo 'Three texts and their insight (adoption.feedback)'
SELECT left(f.body, 60) AS body, f.score, round(f.sentiment::numeric, 2) AS sentiment, f.themes, f.features
FROM adoption.feedback AS f
WHERE f.body IS NOT NULL AND cardinality(f.themes) > 0
ORDER BY f.created_at DESC, f.feedback_id
LIMIT 3;

\echo
\echo 'NPS by month over all tenants (from adoption.nps)'
SELECT n.month, sum(n.responses) AS responses,
	round(100.0 * (sum(n.promoters) - sum(n.detractors)) / sum(n.responses), 1) AS nps
FROM adoption.nps AS n
GROUP BY n.month
ORDER BY n.month;

\echo
\echo 'Pain points (adoption.pain_points), summed over segments and features'
SELECT p.theme, sum(p.mentions) AS mentions, max(p.tenants) AS most_tenants_in_a_segment,
	round(sum(p.mean_sentiment * p.mentions) / sum(p.mentions), 2) AS mean_sentiment,
	left((array_agg(p.examples[1] ORDER BY p.last_mentioned_at DESC))[1], 60) AS latest_example
FROM adoption.pain_points AS p
GROUP BY p.theme
ORDER BY mentions DESC, p.theme
LIMIT 8;

\echo
\echo 'Feature requests ranked by the ARR of the tenants asking (adoption.feature_requests)'
SELECT r.rank, r.request, r.tier, r.tenants, r.requests, round(r.requesting_arr) AS requesting_arr,
	left(r.latest_text, 50) AS latest_text
FROM adoption.feature_requests AS r
ORDER BY r.rank, r.request
LIMIT 8;

\echo
\echo 'Themes of the last four weeks (adoption.feedback_themes)'
SELECT t.category, t.theme, sum(t.mentions) AS mentions, round(avg(t.mean_sentiment), 2) AS mean_sentiment
FROM adoption.feedback_themes AS t
WHERE t.week > (now() AT TIME ZONE 'UTC')::date - 28
GROUP BY t.category, t.theme
ORDER BY mentions DESC, t.category, t.theme
LIMIT 10;

\echo
\echo 'Persona of each segment (adoption.segment_personas): sentiment and NPS, recent 3 months against the 3 before'
SELECT p.segment, p.tenants, p.feedback, p.recent_sentiment, p.previous_sentiment, p.nps, p.recent_nps, p.previous_nps,
	p.value_drivers, p.pain_points, p.feature_requests
FROM adoption.segment_personas AS p
ORDER BY p.segment;

\echo
\echo 'What changed: the pain points rising most in each segment (adoption.segment_persona_themes)'
SELECT t.segment, t.theme, t.tenants, t.recent_mentions, t.previous_mentions, t.trend, t.mean_sentiment
FROM (SELECT x.*, row_number() OVER (PARTITION BY x.segment
		ORDER BY x.recent_mentions - x.previous_mentions DESC, x.theme) AS k
	FROM adoption.segment_persona_themes AS x
	WHERE x.category = 'pain_point' AND x.trend = 'rising') AS t
WHERE t.k <= 3
ORDER BY t.segment, t.k;

\echo
\echo 'Persona profiles of the five largest tenants by ARR (adoption.persona_profiles)'
SELECT p.tenant_id, p.segment, round(p.arr) AS arr, p.feedback, p.mean_sentiment, p.sentiment_trend, p.nps,
	p.value_drivers, p.pain_points, p.features_named
FROM adoption.persona_profiles AS p
ORDER BY p.arr DESC NULLS LAST, p.tenant_id
LIMIT 5;

\echo
\echo 'Messaging opportunities per segment (adoption.messaging_opportunities): the top of each kind'
SELECT m.segment, m.kind, m.theme, m.fix_feature_id, m.tenants, m.mentions, m.mean_sentiment, round(m.score) AS score,
	m.suggested_template, left(m.example, 50) AS example
FROM (SELECT x.*, row_number() OVER (PARTITION BY x.segment, x.kind ORDER BY x.score DESC, x.theme) AS k
	FROM adoption.messaging_opportunities AS x
	WHERE NOT x.per_feature OR x.kind = 'announce_fix') AS m
WHERE m.k <= 2
ORDER BY m.segment, m.kind, m.k;

\echo
\echo 'Feedback per campaign answered and month (adoption.feedback_by_campaign)'
SELECT c.campaign_id, c.month, c.feedback, c.mean_sentiment, c.nps, c.pain_points, c.value_drivers
FROM adoption.feedback_by_campaign AS c
ORDER BY c.campaign_id, c.month;

\echo
\echo 'Support tickets by severity'
SELECT s.severity,
	count(*) AS tickets,
	count(*) FILTER (WHERE s.closed_at IS NULL) AS open,
	count(*) FILTER (WHERE s.opened_at > now() - interval '30 days') AS opened_30d,
	round(avg(extract(epoch FROM s.closed_at - s.opened_at) / 3600)::numeric, 1) AS avg_hours_to_close
FROM adoption.support_tickets AS s
GROUP BY s.severity
ORDER BY array_position(ARRAY['urgent', 'high', 'medium', 'low'], s.severity);

\echo
\echo 'Billing events by kind (last 90 days)'
SELECT b.kind,
	count(*) AS events,
	count(DISTINCT b.tenant_id) AS tenants,
	sum(b.amount) AS amount
FROM adoption.billing_events AS b
WHERE b.occurred_at > now() - interval '90 days'
GROUP BY b.kind
ORDER BY events DESC, b.kind;

\echo
\echo 'Feature adoption (adoption.feature_adoption): the 12 tenant x feature pairs with most active users of the feature'
\echo '(adoption_rate = active_adopters / active_users, the tenant''s active users of any feature)'
SELECT a.tenant_id, a.feature_id, a.tier, a.feature_active_users, a.active_users, a.active_adopters,
	a.activated_users, a.adopted_users, a.habitual_users, round(a.adoption_rate::numeric, 2) AS adoption_rate,
	round(a.success_rate::numeric, 2) AS success_rate, round(a.mean_velocity::numeric, 2) AS mean_velocity,
	a.feature_adopted_at::date AS feature_adopted
FROM adoption.feature_adoption AS a
ORDER BY a.feature_active_users DESC, a.tenant_id, a.feature_id
LIMIT 12;

\echo
\echo 'Adoption by feature across tenants: tenants that adopted it (milestone feature_adopted) and users by milestone'
SELECT s.feature_id, f.tier,
	count(DISTINCT s.tenant_id) AS tenants_using,
	count(DISTINCT s.tenant_id) FILTER (WHERE t.feature_adopted_at IS NOT NULL) AS tenants_adopted,
	count(*) AS users_activated,
	count(s.adopted_at) AS users_adopted,
	count(s.habitual_at) AS users_habitual
FROM adoption.user_feature_state AS s
JOIN adoption.features AS f USING (feature_id)
LEFT JOIN adoption.tenant_feature_state AS t USING (tenant_id, feature_id)
GROUP BY s.feature_id, f.tier
ORDER BY users_activated DESC, s.feature_id
LIMIT 12;

\echo
\echo 'Tenant health by risk band (adoption.tenant_health)'
SELECT h.risk, count(*) AS tenants, round(avg(h.score)::numeric, 1) AS mean_score,
	round(min(h.score)::numeric, 1) AS min_score, round(max(h.score)::numeric, 1) AS max_score,
	round(sum(h.arr)) AS arr
FROM adoption.tenant_health AS h
GROUP BY h.risk
ORDER BY min(h.score) DESC;

\echo
\echo 'The 10 least healthy tenants, their components and the change since last week'
SELECT h.tenant_id, h.segment, round(h.arr) AS arr, round(h.score::numeric, 1) AS score, h.risk,
	round(h.usage_trend::numeric) AS usage, round(h.adoption::numeric) AS adoption,
	round(h.support::numeric) AS support, round(h.billing::numeric) AS billing,
	round(h.feedback::numeric) AS feedback, round(h.delta::numeric, 1) AS delta
FROM adoption.tenant_health AS h
ORDER BY h.score, h.tenant_id
LIMIT 10;

SELECT h.tenant_id AS worst FROM adoption.tenant_health AS h ORDER BY h.score, h.tenant_id LIMIT 1 \gset
\echo
\echo 'Why: adoption.explain_health(':'worst'') -- the contributions sum to the score'
SELECT e.component, round(e.score::numeric, 1) AS score, e.weight,
	round(e.effective_weight::numeric, 3) AS effective_weight, round(e.contribution::numeric, 2) AS contribution,
	left(e.inputs::text, 110) AS inputs
FROM adoption.explain_health(:'worst') AS e;

\echo
\echo 'Weekly health history of ':'worst'' (adoption.health_history)'
SELECT h.scored_at::date AS as_of, round(h.score::numeric, 1) AS score, h.risk,
	round(h.delta::numeric, 1) AS delta, h.risk_changed, h.actions
FROM adoption.health_history AS h
WHERE h.tenant_id = :'worst'
ORDER BY h.scored_at;

\echo
\echo 'Expansion opportunities (adoption.expansion_opportunities), by ARR'
SELECT x.tenant_id, x.segment, round(x.arr) AS arr, x.opportunity, x.feature_id,
	round(x.metric::numeric, 2) AS metric, x.evidence
FROM adoption.expansion_opportunities AS x
ORDER BY x.arr DESC NULLS LAST, x.tenant_id, x.opportunity
LIMIT 10;

\echo
\echo 'Launches (adoption.launch_performance)'
SELECT p.launch_id, p.feature_id, p.launched_at::date AS launched, p.users_activated_7d AS users_7d,
	p.users_activated_30d AS users_30d, p.tenants_activated_30d AS tenants_30d,
	round(p.adoption_rate::numeric, 3) AS adoption_rate, p.target_adoption AS target,
	round(p.user_adoption_rate::numeric, 3) AS user_adoption_rate,
	p.target_met, date_trunc('hour', p.median_time_to_activation) AS median_to_activation
FROM adoption.launch_performance AS p
ORDER BY p.launched_at;

\echo
\echo 'Which campaigns get the credit for adoptions (adoption.campaign_attribution: last touch, 30 days; and linear)'
SELECT a.campaign_id, round(sum(a.credit)::numeric, 1) AS last_touch_credit,
	(SELECT round(sum(l.credit)::numeric, 1) FROM adoption.attribution('linear', '30 days') AS l
		WHERE l.campaign_id = a.campaign_id) AS linear_credit,
	count(DISTINCT a.tenant_id) AS tenants
FROM adoption.campaign_attribution AS a
GROUP BY a.campaign_id
ORDER BY last_touch_credit DESC
LIMIT 8;

\echo
\echo 'Campaign lift: adoption of touched vs untouched users (adoption.campaign_lift), the 6 largest campaigns'
SELECT c.campaign_id, c.feature_id, c.touched_users, round(c.touched_rate::numeric, 3) AS touched_rate,
	c.untouched_users, round(c.untouched_rate::numeric, 3) AS untouched_rate, round(c.lift::numeric, 2) AS lift
FROM adoption.campaign_lift('30 days') AS c
WHERE c.touched_users >= 20
ORDER BY c.touched_users DESC, c.campaign_id, c.feature_id
LIMIT 6;

\echo
\echo 'User lifecycle by ISO week (adoption.lifecycle), complete weeks: dormant users are shown negative'
SELECT l.period_start AS week,
	sum(l.actors) FILTER (WHERE l.status = 'new') AS new,
	sum(l.actors) FILTER (WHERE l.status = 'returning') AS returning,
	sum(l.actors) FILTER (WHERE l.status = 'resurrecting') AS resurrecting,
	sum(l.actors) FILTER (WHERE l.status = 'dormant') AS dormant
FROM adoption.lifecycle('user', NULL, 'week', date_trunc('week', now() AT TIME ZONE 'UTC')::date - 63,
	date_trunc('week', now() AT TIME ZONE 'UTC')::date - 1) AS l
GROUP BY l.period_start
ORDER BY l.period_start;

\echo
\echo 'Weekly retention by the week of first activity in the range (adoption.retention, mode on), weeks 0-4, in %'
SELECT r.cohort_start AS cohort, max(r.cohort_size) AS users,
	round(100 * max(r.rate) FILTER (WHERE r.period_number = 0)) AS w0,
	round(100 * max(r.rate) FILTER (WHERE r.period_number = 1)) AS w1,
	round(100 * max(r.rate) FILTER (WHERE r.period_number = 2)) AS w2,
	round(100 * max(r.rate) FILTER (WHERE r.period_number = 3)) AS w3,
	round(100 * max(r.rate) FILTER (WHERE r.period_number = 4)) AS w4
FROM adoption.retention('user', NULL, 'week', date_trunc('week', now() AT TIME ZONE 'UTC')::date - 63,
	date_trunc('week', now() AT TIME ZONE 'UTC')::date - 1) AS r
GROUP BY r.cohort_start
ORDER BY r.cohort_start
LIMIT 8;

\echo
\echo 'Product engagement score by complete month (adoption.pes: mean of adoption, stickiness and growth, 0-100)'
SELECT p.period_start AS month, p.active_actors AS users, round(p.adoption::numeric, 3) AS adoption,
	round(p.stickiness::numeric, 3) AS stickiness, round(p.growth::numeric, 3) AS growth,
	round(p.score::numeric, 1) AS pes
FROM adoption.pes('user', NULL, 'month', (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '2 months')::date,
	date_trunc('month', now() AT TIME ZONE 'UTC')::date - 1) AS p
ORDER BY p.period_start;

\echo
\echo 'The campaign queue (adoption.action_queue)'
SELECT q.template_key, q.status, q.actions, q.due_now, date_trunc('second', q.oldest_age) AS oldest_age
FROM adoption.action_queue AS q
ORDER BY q.actions DESC, q.template_key, q.status;

\echo
\echo 'The pg_cron job that rescores every 15 minutes (adoption.schedule_rescoring())'
SELECT j.jobname, j.schedule, j.command, j.database FROM cron.job AS j
WHERE j.jobname = adoption.rescoring_job_name();

\echo
\echo 'Campaign actions enqueued by milestones and health (adoption.campaign_actions)'
SELECT a.template_key, a.reason->>'milestone' AS milestone, a.status, count(*) AS actions,
	min(a.created_at)::timestamp(0) AS first_enqueued
FROM adoption.campaign_actions AS a
GROUP BY 1, 2, 3
ORDER BY actions DESC;

\echo
\echo 'Plays that agree: live plays by account state (adoption.account_states, docs/customer-success.md)'
WITH st AS (
	SELECT s.tenant_id, CASE WHEN cardinality(s.states) = 0 THEN coalesce(s.risk, 'unscored')
		ELSE array_to_string(s.states, '+') END AS state
	FROM adoption.account_states(ARRAY(SELECT t.tenant_id FROM adoption.tenants AS t)) AS s
)
SELECT st.state, count(DISTINCT st.tenant_id) AS tenants,
	count(a.action_id) FILTER (WHERE a.template_key = 'expansion_offer') AS expansion_offer,
	count(a.action_id) FILTER (WHERE a.template_key = 'advanced_feature') AS advanced_feature,
	count(a.action_id) FILTER (WHERE a.template_key = 'case_study') AS case_study,
	count(a.action_id) FILTER (WHERE a.template_key = 'retention_intervention') AS retention,
	count(a.action_id) FILTER (WHERE a.template_key = 'escalate_to_cs') AS escalate,
	count(a.action_id) FILTER (WHERE a.template_key = 'win_back') AS win_back,
	count(a.action_id) FILTER (WHERE a.template_key IN ('adoption_nudge', 'adoption_success', 'launch_announcement')) AS adoption_plays
FROM st
LEFT JOIN adoption.campaign_action_queue AS a ON a.tenant_id = st.tenant_id
GROUP BY st.state
ORDER BY tenants DESC, st.state;

\echo
\echo 'Plays withdrawn when their account entered a state that forbids them'
SELECT a.template_key, a.status_reason, count(*) AS plays, count(DISTINCT a.tenant_id) AS tenants
FROM adoption.campaign_actions AS a
WHERE a.status = 'withdrawn'
GROUP BY 1, 2
ORDER BY plays DESC, 1, 2
LIMIT 12;

-- Two tenants to show: beacon-health (cancelled, dormant, score 0) and
-- beacon-biotech in the default demo; in a smaller one, the least and the
-- most healthy tenants.
SELECT coalesce((SELECT t.tenant_id FROM adoption.tenants AS t WHERE t.tenant_id = 'beacon-health'),
		(SELECT h.tenant_id FROM adoption.tenant_health AS h ORDER BY h.score, h.tenant_id LIMIT 1),
		(SELECT min(t.tenant_id) FROM adoption.tenants AS t)) AS weak_tenant,
	coalesce((SELECT t.tenant_id FROM adoption.tenants AS t WHERE t.tenant_id = 'beacon-biotech'),
		(SELECT h.tenant_id FROM adoption.tenant_health AS h ORDER BY h.score DESC, h.tenant_id LIMIT 1),
		(SELECT max(t.tenant_id) FROM adoption.tenants AS t)) AS strong_tenant \gset

\echo
\echo :weak_tenant ': its tenant-level plays'
SELECT a.template_key, a.status, a.status_reason
FROM adoption.campaign_actions AS a
WHERE a.tenant_id = :'weak_tenant' AND a.user_id IS NULL
ORDER BY a.status, a.template_key;

\echo
\echo 'The integration API (docs/customer-success.md): health and expansion documents of two tenants, in part'
SELECT h.d ->> 'tenant_id' AS tenant, h.d ->> 'score' AS score, h.d ->> 'risk' AS risk,
	h.d -> 'risk_indicators' -> 'account_states' AS account_states,
	h.d -> 'risk_indicators' -> 'days_since_last_event' AS days_quiet,
	e.d -> 'plays_allowed' AS expansion_plays_allowed,
	jsonb_array_length(e.d -> 'opportunities') AS opportunities
FROM unnest(ARRAY[:'weak_tenant', :'strong_tenant']) AS t(tenant_id),
	LATERAL (SELECT adoption.api_customer_health(t.tenant_id) AS d) AS h,
	LATERAL (SELECT adoption.api_expansion(t.tenant_id) AS d) AS e;

\echo
\echo 'pes() at its defaults (users, by day, the last 90 days): the last 5 days'
SELECT p.period_start AS day, p.active_actors AS users, round(p.adoption::numeric, 2) AS adoption,
	round(p.stickiness::numeric, 2) AS stickiness, round(p.growth::numeric, 2) AS growth, round(p.score::numeric, 2) AS pes
FROM adoption.pes() AS p
ORDER BY p.period_start DESC
LIMIT 5;

\echo
\echo 'Cross-sell recommendations for' :strong_tenant '(adoption.recommend_features; hold-out evaluation: test/bench/recommend_bench.sh)'
SELECT r.rank, r.feature_id, r.tier, round(r.score::numeric, 3) AS score, round(r.confidence::numeric, 3) AS confidence,
	round(r.support::numeric, 3) AS support, round(r.lift::numeric, 2) AS lift, r.because, r.upgrade_of, r.peers, r.peer_group
FROM adoption.recommend_features(:'strong_tenant') AS r
ORDER BY r.rank;

\echo
\echo 'Intervention effectiveness (adoption.intervention_effectiveness, 30-day window): the baselines (no play is completed on the demo)'
SELECT e.template_key, e.month, e.actions, e.baseline, e.baseline_outcomes,
	round(e.baseline_rate::numeric, 3) AS baseline_rate,
	round(e.baseline_low::numeric, 3) AS low, round(e.baseline_high::numeric, 3) AS high
FROM adoption.intervention_effectiveness AS e
ORDER BY e.template_key, e.month
LIMIT 15;

\echo
\echo 'Expansion revenue credited per month (adoption.attributed_revenue: linear, 90 days), the largest 12'
SELECT r.month, r.source, r.credited_id, r.expansions, round(r.revenue, 2) AS revenue
FROM adoption.attributed_revenue AS r
ORDER BY r.revenue DESC, r.month, r.source, r.credited_id
LIMIT 12;
