/*
 * velocity.c: adoption.velocity_at() and the aggregate
 * adoption.usage_velocity(usage_timestamp, as_of).
 *
 * The aggregate's state is a plain float8[3] {count, as_of, has_as_of}, as
 * pgvector keeps float8[] for avg(vector): no serial/deserial functions are
 * needed for parallel aggregation, and a combine function adds counts.  The
 * count is the decayed count as of as_of (a microsecond timestamp held in a
 * float8, exact below 2^53 us, about 285 years past 2000).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/timestamp.h"

#include "helpers.h"
#include "velocity.h"

#define STATE_LEN 3

PG_FUNCTION_INFO_V1(adoption_velocity_at);

/* Returns velocity_per_week stored as of last_used_at, decayed to as_of. */
Datum
adoption_velocity_at(PG_FUNCTION_ARGS)
{
	float8		velocity = PG_GETARG_FLOAT8(0);
	TimestampTz last = PG_GETARG_TIMESTAMPTZ(1);
	TimestampTz as_of = PG_GETARG_TIMESTAMPTZ(2);

	if (TIMESTAMP_NOT_FINITE(last) || TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("velocity_at needs finite times")));
	if (as_of <= last)
		PG_RETURN_FLOAT8(velocity);
	PG_RETURN_FLOAT8(velocity * velocity_decay(adoption_ts_sub(as_of, last)));
}

/* Checks a state array (it may come from a user calling the functions by hand). */
static float8 *
check_state(ArrayType *a)
{
	if (ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != STATE_LEN || ARR_HASNULL(a) ||
		ARR_ELEMTYPE(a) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid usage_velocity state"),
				 errdetail("The state is an array of %d non-null float8 values.", STATE_LEN)));
	return (float8 *) ARR_DATA_PTR(a);
}

static void
as_of_mismatch(double a, double b)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("usage_velocity needs one as_of per group, got %s and %s",
					pstrdup(timestamptz_to_str((TimestampTz) a)),
					pstrdup(timestamptz_to_str((TimestampTz) b))),
			 errhint("Pass a constant as_of, e.g. usage_velocity(usage_timestamp, now()).")));
}

PG_FUNCTION_INFO_V1(adoption_usage_velocity_transfn);

/* Returns the state with one more use; uses after as_of are not counted. */
Datum
adoption_usage_velocity_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *a = adoption_writable_array(fcinfo, 0);
	float8	   *s = check_state(a);
	TimestampTz t = PG_GETARG_TIMESTAMPTZ(1);
	TimestampTz as_of = PG_GETARG_TIMESTAMPTZ(2);

	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("usage_velocity as_of must be a finite time")));
	if (s[2] == 0)
	{
		s[1] = (float8) as_of;
		s[2] = 1;
	}
	else if (s[1] != (float8) as_of)
		as_of_mismatch(s[1], (float8) as_of);

	/* A use at -infinity adds nothing; one after as_of has not happened yet. */
	if (!TIMESTAMP_NOT_FINITE(t) && t <= as_of)
		s[0] += velocity_decay(adoption_ts_sub(as_of, t));
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(adoption_usage_velocity_combinefn);

/* Returns the sum of two partial states with the same as_of. */
Datum
adoption_usage_velocity_combinefn(PG_FUNCTION_ARGS)
{
	ArrayType  *a = adoption_writable_array(fcinfo, 0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	float8	   *sa = check_state(a);
	float8	   *sb = check_state(b);

	if (sb[2] == 0)
		PG_RETURN_ARRAYTYPE_P(a);
	if (sa[2] == 0)
	{
		sa[1] = sb[1];
		sa[2] = 1;
	}
	else if (sa[1] != sb[1])
		as_of_mismatch(sa[1], sb[1]);
	sa[0] += sb[0];
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(adoption_usage_velocity_finalfn);

/* Returns uses per week as of as_of: the decayed count times ln 2. */
Datum
adoption_usage_velocity_finalfn(PG_FUNCTION_ARGS)
{
	float8	   *s = check_state(PG_GETARG_ARRAYTYPE_P(0));

	PG_RETURN_FLOAT8(s[0] * M_LN2);
}
