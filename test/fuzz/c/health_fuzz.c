/*
 * health_fuzz.c: fuzz target for the health score math of src/health_math.h.
 *
 * Input: the fields of a HealthCounts in order, each number formed as
 * fuzz.h does (biased to 0 and the int64 and double limits).  Inputs
 * that adoption.health_compute() rejects are rejected here by the same
 * checks (health.c: core_active no longer than core_features, adopters <=
 * active, threshold in (0, 1], weights finite and >= 0; counts are made
 * non-negative, which health.c checks too); the
 * rest must give every present component and the score finite and in
 * [0, 100], absent components and their weights 0, effective weights in
 * [0, 1] summing to 1, and a score that is the weighted mean of the
 * components.  Built with UBSan, an overflow anywhere traps.
 */
#include "postgres.h"

#include "health_math.h"
#include "fuzz.h"

#define MAX_CORE 16

/* Returns true if v is finite and in [0, 100]. */
static bool
in_range(double v)
{
	return isfinite(v) && v >= 0.0 && v <= 100.0;
}

/*
 * Reads n counts into a.  health.c rejects a negative count; rather than
 * waste the input, a negative v becomes ~v (INT64_MIN becomes INT64_MAX).
 */
static void
read_counts(FuzzInput *in, int64 *a, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		a[i] = fuzz_int64(in);
		if (a[i] < 0)
			a[i] = ~a[i];
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzInput	in = {data, size};
	HealthCounts c;
	HealthResult r;
	int64		scalars[6];
	int64		active[MAX_CORE];
	int64		adopters[MAX_CORE];
	int64		tickets[N_SEVERITIES];
	int64		billing[N_BILLING_KINDS];
	double		weights[N_COMPONENTS];
	double		sum = 0,
				mean = 0;
	int			i;

	read_counts(&in, scalars, 6);
	c.recent = scalars[0];
	c.previous = scalars[1];
	c.active_users = scalars[2];
	c.promoters = scalars[3];
	c.passives = scalars[4];
	c.detractors = scalars[5];
	c.has_events = fuzz_byte(&in) & 1;
	c.core_features = (int32) fuzz_int64(&in);
	c.n_active = fuzz_byte(&in) % (MAX_CORE + 1);
	if (c.core_features < 0 || c.n_active > c.core_features)
		return 0;
	read_counts(&in, active, c.n_active);
	read_counts(&in, adopters, c.n_active);
	/* Often make adopters <= active hold, or nearly every input is rejected. */
	if (fuzz_byte(&in) & 1)
		for (i = 0; i < c.n_active; i++)
			adopters[i] = adopters[i] % (active[i] == PG_INT64_MAX ? active[i] : active[i] + 1);
	c.active = active;
	c.adopters = adopters;
	if (c.core_features > 0 && health_excess_adopters(active, adopters, c.n_active) >= 0)
		return 0;
	c.threshold = fuzz_double(&in);
	if (!(c.threshold > 0 && c.threshold <= 1))
		return 0;
	read_counts(&in, tickets, N_SEVERITIES);
	read_counts(&in, billing, N_BILLING_KINDS);
	c.tickets = tickets;
	c.billing = billing;
	for (i = 0; i < N_COMPONENTS; i++)
	{
		weights[i] = fuzz_double(&in);
		if (!(weights[i] >= 0) || isinf(weights[i]))
			return 0;
	}
	c.weights = weights;

	health_score(&c, &r);

	for (i = 0; i < N_COMPONENTS; i++)
	{
		if (!in_range(r.value[i]))
			fuzz_fail("health_fuzz: component out of [0, 100]", i, r.value[i]);
		if (!r.present[i] && (r.value[i] != 0 || r.effective[i] != 0))
			fuzz_fail("health_fuzz: an absent component has a value or a weight", i, r.effective[i]);
		if (!(r.effective[i] >= 0 && r.effective[i] <= 1))
			fuzz_fail("health_fuzz: effective weight out of [0, 1]", i, r.effective[i]);
		sum += r.effective[i];
		mean += r.effective[i] * r.value[i];
	}
	if (!r.present[C_SUPPORT] || !r.present[C_BILLING])
		fuzz_fail("health_fuzz: support and billing are always present", 0, 0);
	if (fabs(sum - 1.0) > 1e-9)
		fuzz_fail("health_fuzz: effective weights do not sum to 1", 0, sum);
	if (!in_range(r.score))
		fuzz_fail("health_fuzz: score out of [0, 100]", 0, r.score);
	if (fabs(r.score - Max(0.0, Min(100.0, mean))) > 1e-9)
		fuzz_fail("health_fuzz: score is not the weighted mean", 0, r.score);
	if (c.has_events && c.recent >= c.previous && c.recent > 0 && r.value[C_USAGE_TREND] != 100.0)
		fuzz_fail("health_fuzz: usage_trend below 100 without a decline", 0, r.value[C_USAGE_TREND]);
	return 0;
}
