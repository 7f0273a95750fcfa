/*
 * health.c: the customer health score of docs/design.md §5.
 *
 * adoption.health_inputs() gathers, set-based, one row of counts per tenant
 * (events in two 30-day windows, active users and adopters of each core
 * feature, tickets by severity, billing events by kind, NPS answers); this
 * file turns such a row into the five 0-100 components and their weighted
 * mean.  The split keeps the arithmetic in one exact place that
 * adoption.rescore() and adoption.explain_health() share, and keeps the SQL
 * to what SQL is good at: scanning and counting.
 *
 * The arithmetic itself lives in health_math.h, pure inline functions
 * that test/fuzz/c/ also builds outside the server; this file checks the
 * arguments (the preconditions stated there) and forms the result.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "health_math.h"
#include "helpers.h"

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
	HealthCounts c;
	HealthResult r;
	int			n_adopters,
				n,
				excess;
	ArrayType  *weights_array;
	Datum		effective_datums[N_COMPONENTS];
	int			i;
	TupleDesc	desc;
	Datum		values[1 + N_COMPONENTS + 1];
	bool		nulls[1 + N_COMPONENTS + 1];

	for (i = 0; i < (int) lengthof(names); i++)
		check_not_null(fcinfo, i, names[i]);

	c.recent = PG_GETARG_INT64(0);
	c.previous = PG_GETARG_INT64(1);
	c.has_events = PG_GETARG_BOOL(2);
	c.core_features = PG_GETARG_INT32(3);
	c.active = int8_array(PG_GETARG_ARRAYTYPE_P(4), -1, "core_active", &c.n_active);
	c.adopters = int8_array(PG_GETARG_ARRAYTYPE_P(5), c.n_active, "core_adopters", &n_adopters);
	c.threshold = PG_GETARG_FLOAT8(6);
	c.active_users = PG_GETARG_INT64(7);
	c.tickets = int8_array(PG_GETARG_ARRAYTYPE_P(8), N_SEVERITIES, "tickets", &n);
	c.billing = int8_array(PG_GETARG_ARRAYTYPE_P(9), N_BILLING_KINDS, "billing", &n);
	c.promoters = PG_GETARG_INT64(10);
	c.passives = PG_GETARG_INT64(11);
	c.detractors = PG_GETARG_INT64(12);
	weights_array = PG_GETARG_ARRAYTYPE_P(13);

	check_count(c.recent, "events_recent");
	check_count(c.previous, "events_previous");
	check_count(c.core_features, "core_features");
	check_count(c.active_users, "active_users");
	check_count(c.promoters, "nps_promoters");
	check_count(c.passives, "nps_passives");
	check_count(c.detractors, "nps_detractors");
	if (c.n_active > c.core_features)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("health input core_active has %d elements but core_features is %d",
						c.n_active, c.core_features),
				 errdetail("The arrays hold at most one element per core feature.")));
	if (!(c.threshold > 0 && c.threshold <= 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("health input adoption_threshold must be in (0, 1], not %g", c.threshold)));
	if (ARR_ELEMTYPE(weights_array) != FLOAT8OID || ARR_NDIM(weights_array) != 1 ||
		ARR_HASNULL(weights_array) || ARR_DIMS(weights_array)[0] != N_COMPONENTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("health input weights must be %d non-null double precision values", N_COMPONENTS),
				 errdetail("The weights are usage_trend, adoption, support, billing and feedback, in that order.")));
	c.weights = (double *) ARR_DATA_PTR(weights_array);
	for (i = 0; i < N_COMPONENTS; i++)
		if (!(c.weights[i] >= 0) || isinf(c.weights[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("health weight %d must be finite and >= 0, not %g", i + 1, c.weights[i])));
	excess = c.core_features > 0 ? health_excess_adopters(c.active, c.adopters, c.n_active) : -1;
	if (excess >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("health input core_adopters[%d] = " INT64_FORMAT " exceeds core_active[%d] = " INT64_FORMAT,
						excess + 1, c.adopters[excess], excess + 1, c.active[excess]),
				 errdetail("Adopters are counted among the active users.")));

	health_score(&c, &r);

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "adoption.health_compute must return a composite type");
	desc = BlessTupleDesc(desc);
	memset(nulls, 0, sizeof(nulls));
	values[0] = Float8GetDatum(r.score);
	for (i = 0; i < N_COMPONENTS; i++)
	{
		values[1 + i] = Float8GetDatum(r.value[i]);
		nulls[1 + i] = !r.present[i];
		effective_datums[i] = Float8GetDatum(r.effective[i]);
	}
	values[1 + N_COMPONENTS] = PointerGetDatum(construct_array(effective_datums, N_COMPONENTS,
															   FLOAT8OID, sizeof(float8),
															   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
