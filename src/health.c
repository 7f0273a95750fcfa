/*
 * health.c: the customer health score of SPEC section 5.
 *
 * adoption.health_inputs() gathers, set-based, one row of counts per tenant
 * (events in two 30-day windows, active users and adopters of each core
 * feature, tickets by severity, billing events by kind, NPS answers); this
 * file turns such a row into the five 0-100 components and their weighted
 * mean.  The split keeps the arithmetic in one exact place that
 * adoption.rescore() and adoption.explain_health() share, and keeps the SQL
 * to what SQL is good at: scanning and counting.
 *
 * A component is absent when its data is: usage_trend without a single event
 * up to as_of, adoption without a core feature in the catalog, feedback
 * without an NPS answer.  Support and billing are always present (no ticket
 * and no billing problem is a perfect 100).  The score is the mean of the
 * present components weighted by the tenant's weights, renormalized over
 * the present ones; if those weights are all zero, the present components
 * count equally.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "pg_adoption.h"

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

/* Errors out naming argument name if it is NULL. */
static inline void
check_not_null(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("health input %s must not be NULL", name),
				 errhint("Pass 0 (or an empty array) for no data.")));
}

/* Errors out unless count is >= 0. */
static inline void
check_count(int64 count, const char *name)
{
	if (count < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("health input %s must not be negative, not " INT64_FORMAT,
						name, count)));
}

/*
 * Returns the elements of a one-dimensional int8[] without NULLs, checking
 * its length (expected < 0: any) and that no element is negative.
 */
static int64 *
int8_array(ArrayType *a, int expected, const char *name, int *n)
{
	int			len;
	int64	   *values;
	int			i;

	if (ARR_ELEMTYPE(a) != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("health input %s must be a bigint array", name)));
	if (ARR_NDIM(a) > 1 || ARR_HASNULL(a))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("health input %s must be a one-dimensional array without NULLs", name)));
	len = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
	if (expected >= 0 && len != expected)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("health input %s must have %d elements, not %d", name, expected, len)));
	values = len == 0 ? NULL : (int64 *) ARR_DATA_PTR(a);
	for (i = 0; i < len; i++)
		check_count(values[i], name);
	*n = len;
	return values;
}

/* Returns 100 * min(1, recent / previous); see the file header for absence. */
static double
usage_trend(int64 recent, int64 previous)
{
	if (previous == 0)
		return recent > 0 ? 100.0 : 0.0;
	return 100.0 * Min(1.0, (double) recent / (double) previous);
}

/*
 * Returns 100 * mean over the core features of min(1, rate / threshold),
 * rate = adopters / active users; features without active users (absent
 * from the arrays) count 0.
 */
static double
adoption_component(int32 core_features, const int64 *active, const int64 *adopters,
				   int n, double threshold)
{
	double		sum = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (adopters[i] > active[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("health input core_adopters[%d] = " INT64_FORMAT " exceeds core_active[%d] = " INT64_FORMAT,
							i + 1, adopters[i], i + 1, active[i]),
					 errdetail("Adopters are counted among the active users.")));
		if (active[i] > 0)
			sum += Min(1.0, ((double) adopters[i] / (double) active[i]) / threshold);
	}
	return 100.0 * sum / core_features;
}

/* Returns 100 * exp(-w / s), w = severity-weighted tickets, s = max(1, 0.2 * active users). */
static double
support_component(const int64 *tickets, int64 active_users)
{
	double		w = 0;
	double		s = Max(1.0, 0.2 * (double) active_users);
	int			i;

	for (i = 0; i < (int) N_SEVERITIES; i++)
		w += ticket_weight[i] * (double) tickets[i];
	return 100.0 * exp(-w / s);
}

/* Returns 100 minus the billing penalties, floored at 0. */
static double
billing_component(const int64 *billing)
{
	double		penalty = 0;
	int			i;

	for (i = 0; i < (int) N_BILLING_KINDS; i++)
		penalty += billing_penalty[i] * (double) billing[i];
	return Max(0.0, 100.0 - penalty);
}

PG_FUNCTION_INFO_V1(adoption_health_compute);

/* Returns adoption.health_result: the score, the five components (NULL if absent) and the effective weights. */
Datum
adoption_health_compute(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {
		"events_recent", "events_previous", "has_events", "core_features",
		"core_active", "core_adopters", "adoption_threshold", "active_users",
		"tickets", "billing", "nps_promoters", "nps_passives", "nps_detractors",
		"weights"
	};
	int64		recent,
				previous,
				active_users,
				promoters,
				passives,
				detractors;
	bool		has_events;
	int32		core_features;
	double		threshold;
	const int64 *active,
			   *adopters,
			   *tickets,
			   *billing;
	int			n_active,
				n_adopters,
				n;
	ArrayType  *weights_array;
	double	   *weights;
	double		value[N_COMPONENTS];
	bool		present[N_COMPONENTS];
	double		effective[N_COMPONENTS];
	Datum		effective_datums[N_COMPONENTS];
	double		weight_sum = 0;
	double		score = 0;
	int			present_count = 0;
	int			i;
	TupleDesc	desc;
	Datum		values[1 + N_COMPONENTS + 1];
	bool		nulls[1 + N_COMPONENTS + 1];

	for (i = 0; i < (int) lengthof(names); i++)
		check_not_null(fcinfo, i, names[i]);

	recent = PG_GETARG_INT64(0);
	previous = PG_GETARG_INT64(1);
	has_events = PG_GETARG_BOOL(2);
	core_features = PG_GETARG_INT32(3);
	active = int8_array(PG_GETARG_ARRAYTYPE_P(4), -1, "core_active", &n_active);
	adopters = int8_array(PG_GETARG_ARRAYTYPE_P(5), n_active, "core_adopters", &n_adopters);
	threshold = PG_GETARG_FLOAT8(6);
	active_users = PG_GETARG_INT64(7);
	tickets = int8_array(PG_GETARG_ARRAYTYPE_P(8), N_SEVERITIES, "tickets", &n);
	billing = int8_array(PG_GETARG_ARRAYTYPE_P(9), N_BILLING_KINDS, "billing", &n);
	promoters = PG_GETARG_INT64(10);
	passives = PG_GETARG_INT64(11);
	detractors = PG_GETARG_INT64(12);
	weights_array = PG_GETARG_ARRAYTYPE_P(13);

	check_count(recent, "events_recent");
	check_count(previous, "events_previous");
	check_count(core_features, "core_features");
	check_count(active_users, "active_users");
	check_count(promoters, "nps_promoters");
	check_count(passives, "nps_passives");
	check_count(detractors, "nps_detractors");
	if (n_active > core_features)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("health input core_active has %d elements but core_features is %d",
						n_active, core_features),
				 errdetail("The arrays hold the core features that have active users, a subset of the core features.")));
	if (!(threshold > 0 && threshold <= 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("health input adoption_threshold must be in (0, 1], not %g", threshold)));
	if (ARR_ELEMTYPE(weights_array) != FLOAT8OID || ARR_NDIM(weights_array) != 1 ||
		ARR_HASNULL(weights_array) || ARR_DIMS(weights_array)[0] != N_COMPONENTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("health input weights must be %d non-null double precision values", N_COMPONENTS),
				 errdetail("The weights are usage_trend, adoption, support, billing and feedback, in that order.")));
	weights = (double *) ARR_DATA_PTR(weights_array);
	for (i = 0; i < N_COMPONENTS; i++)
		if (!(weights[i] >= 0) || isinf(weights[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("health weight %d must be finite and >= 0, not %g", i + 1, weights[i])));

	present[C_USAGE_TREND] = has_events;
	value[C_USAGE_TREND] = has_events ? usage_trend(recent, previous) : 0;
	present[C_ADOPTION] = core_features > 0;
	value[C_ADOPTION] = core_features > 0 ?
		adoption_component(core_features, active, adopters, n_active, threshold) : 0;
	present[C_SUPPORT] = true;
	value[C_SUPPORT] = support_component(tickets, active_users);
	present[C_BILLING] = true;
	value[C_BILLING] = billing_component(billing);
	present[C_FEEDBACK] = promoters + passives + detractors > 0;
	value[C_FEEDBACK] = present[C_FEEDBACK] ?
		(100.0 * (double) (promoters - detractors) / (double) (promoters + passives + detractors) + 100.0) / 2.0 : 0;

	for (i = 0; i < N_COMPONENTS; i++)
		if (present[i])
		{
			weight_sum += weights[i];
			present_count++;
		}
	for (i = 0; i < N_COMPONENTS; i++)
	{
		if (!present[i])
			effective[i] = 0;
		else if (weight_sum > 0)
			effective[i] = weights[i] / weight_sum;
		else
			effective[i] = 1.0 / present_count;
		score += effective[i] * value[i];
		effective_datums[i] = Float8GetDatum(effective[i]);
	}
	/* Rounding of the weights may leave the mean a hair outside [0, 100]. */
	score = Max(0.0, Min(100.0, score));

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "adoption.health_compute must return a composite type");
	desc = BlessTupleDesc(desc);
	memset(nulls, 0, sizeof(nulls));
	values[0] = Float8GetDatum(score);
	for (i = 0; i < N_COMPONENTS; i++)
	{
		values[1 + i] = Float8GetDatum(value[i]);
		nulls[1 + i] = !present[i];
	}
	values[1 + N_COMPONENTS] = PointerGetDatum(construct_array(effective_datums, N_COMPONENTS,
															   FLOAT8OID, sizeof(float8),
															   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
