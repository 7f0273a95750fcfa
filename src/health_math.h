/*
 * health_math.h: the arithmetic of the customer health score (docs/design.md §5).
 *
 * Pure functions over counts that health.c has already checked: nothing
 * here allocates, raises an error or reads the catalog, so the same code
 * runs in the server and in test/fuzz/c/health_fuzz.c.  The preconditions
 * are the checks health.c makes: every count >= 0, at most core_features
 * arrays elements, adopters <= active users element-wise, threshold in
 * (0, 1], weights finite and >= 0.  Include postgres.h (or c.h) first.
 *
 * A component is absent when its data is: usage_trend without a single event
 * up to as_of, adoption without a core feature in the catalog, feedback
 * without an NPS answer.  Support and billing are always present (no ticket
 * and no billing problem is a perfect 100).  The score is the mean of the
 * present components weighted by the tenant's weights, renormalized over
 * the present ones; if those weights are all zero, the present components
 * count equally.
 */
#ifndef ADOPTION_HEALTH_MATH_H
#define ADOPTION_HEALTH_MATH_H

#include <math.h>

/* Components, in the order of adoption.health_result and of the weights. */
enum
{
	C_USAGE_TREND,
	C_ADOPTION,
	C_SUPPORT,
	C_BILLING,
	C_FEEDBACK,
	N_COMPONENTS
};

/* Ticket weights by severity: low, medium, high, urgent. */
static const double ticket_weight[] = {1, 2, 4, 8};
#define N_SEVERITIES lengthof(ticket_weight)

/* Billing penalties: payment_failed, invoice_overdue, downgrade, refund, cancellation. */
static const double billing_penalty[] = {25, 25, 30, 10, 100};
#define N_BILLING_KINDS lengthof(billing_penalty)

/* One tenant's counts, as adoption.health_compute() receives them. */
typedef struct HealthCounts
{
	int64		recent;			/* events in the last 30 days */
	int64		previous;		/* events in the 30 days before */
	bool		has_events;		/* any event up to as_of */
	int32		core_features;	/* core features in the catalog */
	const int64 *active;		/* per core feature: the tenant's active users */
	const int64 *adopters;		/* the same features' adopters */
	int			n_active;		/* length of both arrays */
	double		threshold;		/* adoption rate that counts as full */
	int64		active_users;
	const int64 *tickets;		/* N_SEVERITIES open tickets */
	const int64 *billing;		/* N_BILLING_KINDS billing events */
	int64		promoters;
	int64		passives;
	int64		detractors;
	const double *weights;		/* N_COMPONENTS */
} HealthCounts;

/* The components, which are present, the effective weights and the score. */
typedef struct HealthResult
{
	double		value[N_COMPONENTS];	/* 0 when absent */
	bool		present[N_COMPONENTS];
	double		effective[N_COMPONENTS];	/* sum to 1 over the present ones */
	double		score;
} HealthResult;

/* Returns 100 * min(1, recent / previous); see the file header for absence. */
static inline double
health_usage_trend(int64 recent, int64 previous)
{
	if (previous == 0)
		return recent > 0 ? 100.0 : 0.0;
	return 100.0 * Min(1.0, (double) recent / (double) previous);
}

/* Returns the first i with adopters[i] > active[i], or -1 (a precondition). */
static inline int
health_excess_adopters(const int64 *active, const int64 *adopters, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (adopters[i] > active[i])
			return i;
	return -1;
}

/*
 * Returns 100 * mean over the core features of min(1, rate / threshold),
 * rate = adopters / the tenant's active users (health_inputs gives every
 * core feature, each with the tenant's active users); a feature absent
 * from the arrays, or with no active user, counts 0.
 */
static inline double
health_adoption(int32 core_features, const int64 *active, const int64 *adopters,
				int n, double threshold)
{
	double		sum = 0;
	int			i;

	for (i = 0; i < n; i++)
		if (active[i] > 0)
			sum += Min(1.0, ((double) adopters[i] / (double) active[i]) / threshold);
	return 100.0 * sum / core_features;
}

/* Returns 100 * exp(-w / s), w = severity-weighted tickets, s = max(1, 0.2 * active users). */
static inline double
health_support(const int64 *tickets, int64 active_users)
{
	double		w = 0;
	double		s = Max(1.0, 0.2 * (double) active_users);
	int			i;

	for (i = 0; i < (int) N_SEVERITIES; i++)
		w += ticket_weight[i] * (double) tickets[i];
	return 100.0 * exp(-w / s);
}

/* Returns 100 minus the billing penalties, floored at 0. */
static inline double
health_billing(const int64 *billing)
{
	double		penalty = 0;
	int			i;

	for (i = 0; i < (int) N_BILLING_KINDS; i++)
		penalty += billing_penalty[i] * (double) billing[i];
	return Max(0.0, 100.0 - penalty);
}

/*
 * Returns the NPS (-100 to 100) mapped to 0-100; answers must be > 0.  The
 * answers are added as doubles: their int64 sum could overflow.  Beyond
 * 2^53 / 100 answers, 100 * (promoters - detractors) is rounded before the
 * division and the NPS may come out a hair beyond +-100, hence the clamp.
 */
static inline double
health_feedback(int64 promoters, int64 passives, int64 detractors)
{
	double		answers = (double) promoters + (double) passives + (double) detractors;
	double		nps = 100.0 * (double) (promoters - detractors) / answers;

	return (Max(-100.0, Min(100.0, nps)) + 100.0) / 2.0;
}

/*
 * Fills *r from counts that meet the preconditions of the file header.
 * Weights so large that their sum overflows to infinity are scaled by 2^-16
 * (exactly) first; otherwise every effective weight would be 0.
 */
static inline void
health_score(const HealthCounts *c, HealthResult *r)
{
	double		weight_sum = 0;
	double		scale = 1.0;
	int			present_count = 0;
	int			i;

	r->present[C_USAGE_TREND] = c->has_events;
	r->value[C_USAGE_TREND] = c->has_events ? health_usage_trend(c->recent, c->previous) : 0;
	r->present[C_ADOPTION] = c->core_features > 0;
	r->value[C_ADOPTION] = c->core_features > 0 ?
		health_adoption(c->core_features, c->active, c->adopters, c->n_active, c->threshold) : 0;
	r->present[C_SUPPORT] = true;
	r->value[C_SUPPORT] = health_support(c->tickets, c->active_users);
	r->present[C_BILLING] = true;
	r->value[C_BILLING] = health_billing(c->billing);
	r->present[C_FEEDBACK] = c->promoters > 0 || c->passives > 0 || c->detractors > 0;
	r->value[C_FEEDBACK] = r->present[C_FEEDBACK] ?
		health_feedback(c->promoters, c->passives, c->detractors) : 0;

	for (i = 0; i < N_COMPONENTS; i++)
		if (r->present[i])
		{
			weight_sum += c->weights[i];
			present_count++;
		}
	if (isinf(weight_sum))
	{
		scale = 0x1p-16;
		weight_sum = 0;
		for (i = 0; i < N_COMPONENTS; i++)
			if (r->present[i])
				weight_sum += c->weights[i] * scale;
	}
	r->score = 0;
	for (i = 0; i < N_COMPONENTS; i++)
	{
		if (!r->present[i])
			r->effective[i] = 0;
		else if (weight_sum > 0)
			r->effective[i] = c->weights[i] * scale / weight_sum;
		else
			r->effective[i] = 1.0 / present_count;
		r->score += r->effective[i] * r->value[i];
	}
	/* Rounding of the weights may leave the mean a hair outside [0, 100]. */
	r->score = Max(0.0, Min(100.0, r->score));
}

#endif							/* ADOPTION_HEALTH_MATH_H */
