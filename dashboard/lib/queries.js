// Every query the dashboard runs, per page: the data loaders run them at
// build time and test/bench/dashboard_bench.sh times each one.  They read
// only the documented views and functions of schema adoption (docs/bi.md):
// snapshots and the stored state, nothing computed from the event log at
// read time (campaigns and launches read the snapshots that upkeep() keeps);
// numbers are cast to float8 or integer so that node-postgres returns
// numbers, and days are read as timestamptz (day_start), never as date.
export const queries = {
  adoption: {
    weekly: `SELECT feature_id, feature_name, week_start, adoption_rate::float8 AS adoption_rate,
        tenants_adopted::integer AS tenants_adopted, partial
      FROM adoption.feature_adoption_weekly WHERE tier = 'core' ORDER BY feature_id, week_start`,
    latest: `SELECT feature_id, feature_name, tier, adoption_rate::float8 AS adoption_rate,
        habitual_rate::float8 AS habitual_rate, tenants_using::integer AS tenants_using,
        tenants_adopted::integer AS tenants_adopted, day_start, partial
      FROM adoption.feature_adoption_daily
      WHERE day = (SELECT max(day) FROM adoption.tenant_activity_daily)
      ORDER BY adoption_rate DESC NULLS LAST`,
    segments: `WITH d AS (SELECT max(day) AS day FROM adoption.tenant_activity_daily),
      seg AS (SELECT coalesce(t.segment, '(none)') AS segment, sum(t.active_users) AS active_users
        FROM adoption.tenant_activity_daily AS t JOIN d ON t.day = d.day GROUP BY 1)
      SELECT s.segment, a.feature_id, (sum(a.active_adopters)::float8 / nullif(max(s.active_users), 0)) AS adoption_rate
      FROM adoption.adoption_daily AS a JOIN d ON a.day = d.day
      JOIN seg AS s ON s.segment = coalesce(a.segment, '(none)')
      WHERE a.tier = 'core' GROUP BY 1, 2 ORDER BY 1, 2`,
    active: `SELECT day_start, sum(active_users)::integer AS active_users, sum(events)::integer AS events,
        bool_or(partial) AS partial
      FROM adoption.tenant_activity_daily GROUP BY day_start ORDER BY day_start`
  },
  health: {
    bands: `SELECT day_start, risk, tenants::integer AS tenants, arr::float8 AS arr, partial
      FROM adoption.health_bands_daily ORDER BY day_start, risk`,
    segments: `SELECT day_start, coalesce(segment, '(none)') AS segment, avg(score)::float8 AS score
      FROM adoption.health_daily GROUP BY 1, 2 ORDER BY 1, 2`,
    least: `SELECT tenant_id, tenant_name, segment, score::float8 AS score, risk, delta::float8 AS delta,
        usage_trend::float8 AS usage_trend, adoption::float8 AS adoption, support::float8 AS support,
        billing::float8 AS billing, feedback::float8 AS feedback
      FROM adoption.tenant_health ORDER BY score, tenant_id LIMIT 10`,
    explain: `SELECT t.tenant_id, e.component, e.score::float8 AS score, e.weight::float8 AS weight,
        e.contribution::float8 AS contribution
      FROM (SELECT h.tenant_id FROM adoption.tenant_health AS h ORDER BY h.score, h.tenant_id LIMIT 5) AS t
      CROSS JOIN LATERAL adoption.explain_health(t.tenant_id) AS e
`
  },
  feedback: {
    nps: `SELECT week_start, sum(nps_responses)::integer AS responses,
        (100.0 * (sum(promoters) - sum(detractors)) / nullif(sum(nps_responses), 0))::float8 AS nps,
        (sum(mean_sentiment * feedback) / nullif(sum(feedback), 0))::float8 AS mean_sentiment,
        sum(positive)::integer AS positive, sum(neutral)::integer AS neutral, sum(negative)::integer AS negative,
        bool_or(partial) AS partial
      FROM adoption.feedback_weekly GROUP BY week_start ORDER BY week_start`,
    themes: `SELECT theme, category, sum(mentions)::integer AS mentions, avg(mean_sentiment)::float8 AS mean_sentiment
      FROM adoption.feedback_themes GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 20`,
    pains: `SELECT theme, sum(mentions)::integer AS mentions, sum(tenants)::integer AS tenants
      FROM adoption.pain_points GROUP BY 1 ORDER BY 2 DESC`,
    requests: `SELECT rank::integer AS rank, request, coalesce(feature_name, request) AS label, tier,
        tenants::integer AS tenants, requesting_arr::float8 AS requesting_arr
      FROM adoption.feature_requests ORDER BY rank LIMIT 12`
  },
  campaigns: {
    throughput: `SELECT day_start, template_key, enqueued::integer AS enqueued, done::integer AS done,
        dead::integer AS dead, backlog::integer AS backlog, median_seconds_to_done::float8 AS median_seconds_to_done
      FROM adoption.queue_daily ORDER BY day_start, template_key`,
    queue: `SELECT template_key, status, actions::integer AS actions, due_now::integer AS due_now,
        oldest_age_seconds::float8 AS oldest_age_seconds
      FROM adoption.action_queue ORDER BY template_key, status`,
    attribution: `SELECT campaign_id, sum(credit)::float8 AS credit, count(*)::integer AS adoptions,
        max(computed_at) AS computed_at
      FROM adoption.campaign_attribution_snapshot GROUP BY 1 ORDER BY 2 DESC`,
    lift: `SELECT campaign_id, feature_id, touched_rate::float8 AS touched_rate, untouched_rate::float8 AS untouched_rate,
        lift::float8 AS lift, touched_users::integer AS touched_users, computed_at, partial
      FROM adoption.campaign_lift_snapshot ORDER BY campaign_id, feature_id`
  },
  launches: {
    performance: `SELECT launch_id, feature_id, feature_name, campaign_id, launched_at, target_adoption::float8 AS target_adoption,
        target_days, users_activated_7d::integer AS users_activated_7d, users_activated_30d::integer AS users_activated_30d,
        tenants_active::integer AS tenants_active, tenants_adopted::integer AS tenants_adopted,
        adoption_rate::float8 AS adoption_rate, median_days_to_activation::float8 AS median_days_to_activation, target_met,
        computed_at, partial
      FROM adoption.launch_performance_snapshot ORDER BY launched_at`,
    curves: `SELECT l.launch_id, f.feature_id, f.day_start, f.adoption_rate::float8 AS adoption_rate,
        f.tenants_using::integer AS tenants_using, f.activated_users::integer AS activated_users
      FROM adoption.launches AS l
      JOIN adoption.feature_adoption_daily AS f ON f.feature_id = l.feature_id
        AND f.day >= (l.launched_at AT TIME ZONE 'UTC')::date - 7
      ORDER BY l.launch_id, f.day`
  }
};
