/*
 * analytics.c: the C aggregates behind the product-analytics functions
 * adoption.retention, adoption.lifecycle, adoption.stickiness and
 * adoption.pes (src/sql/analytics.sql).
 *
 * The hot loop of every one of them is the same two-level shape: first each
 * actor's events become a bitmap of the periods (UTC days, ISO weeks,
 * calendar months) the actor was active in, then the bitmaps of all actors
 * are folded into a small matrix of counts (a cohort matrix, the lifecycle
 * counts per period, DAU and MAU per day, actors per period).  Both levels are aggregates with
 * plain SQL-typed states, as pgvector's avg(vector) keeps float8[]: the
 * bitmap is a bit varying whose bit i is period i, the matrices are int8[]
 * with a short header saying their shape.  Parallel aggregation needs no
 * serial functions then, and every combine function checks that the two
 * states agree in shape, since a state can be handed in by hand.
 *
 * Inside an aggregate the states are changed in place, which nodeAgg allows
 * for a pass-by-reference state it copied into the aggregate context itself
 * (the first state is built in the per-tuple context, nodeAgg copies it once;
 * see advance_transition_function in executor/nodeAgg.c and int8inc's
 * comment on AggCheckCallContext).  Called outside an aggregate, the
 * functions work on a copy.
 *
 * Periods are numbered from an origin date: a day d (days since 2000-01-01
 * UTC, as DateADT counts) is in day d, ISO week floor((d + 5) / 7) (the
 * Monday 1999-12-27 is d = -5) and month year * 12 + month - 1; a period's
 * index is its number minus the origin's.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/varbit.h"

#include "helpers.h"

/* Most periods an analytics call may span: 10 years and a bit of days. */
#define ANALYTICS_MAX_PERIODS 3700

/* Days of a stickiness distribution slot row: k = 0..31 active days. */
#define DIST_SLOTS 32

typedef enum AnalyticsPeriod
{
	PERIOD_DAY = 1,
	PERIOD_WEEK = 2,
	PERIOD_MONTH = 3
} AnalyticsPeriod;

/* Header lengths of the int8[] states. */
#define RETENTION_HDR 2			/* n, on_or_after */
#define LIFECYCLE_HDR 1			/* n */
#define STICKINESS_HDR 5		/* n_days, lead, origin, period, n_periods */
#define PERIOD_COUNTS_HDR 1		/* n */

/* Returns floor(a / b) for b > 0. */
static inline int64
floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	if ((a % b) < 0)
		q--;
	return q;
}

/* Returns true when text t is the string s (no copy: this runs per event). */
static inline bool
text_is(text *t, const char *s)
{
	size_t		len = strlen(s);

	return VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), s, len) == 0;
}

/* Parses day|week|month; anything else is the user's error. */
static AnalyticsPeriod
parse_period(text *t)
{
	if (text_is(t, "day"))
		return PERIOD_DAY;
	if (text_is(t, "week"))
		return PERIOD_WEEK;
	if (text_is(t, "month"))
		return PERIOD_MONTH;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown period \"%s\"", adoption_msg_value(text_to_cstring(t))),
			 errhint("Valid periods are day, week and month.")));
	return PERIOD_DAY;			/* keep the compiler quiet */
}

/* Returns the period number of day d (days since 2000-01-01). */
static int64
period_number(int64 d, AnalyticsPeriod period)
{
	int			year,
				month,
				mday;

	switch (period)
	{
		case PERIOD_DAY:
			return d;
		case PERIOD_WEEK:
			return floor_div(d + 5, 7);
		case PERIOD_MONTH:
			j2date((int) (d + POSTGRES_EPOCH_JDATE), &year, &month, &mday);
			return (int64) year * 12 + month - 1;
	}
	elog(ERROR, "unknown analytics period %d", (int) period);
	return 0;
}

/* Returns the UTC day (days since 2000-01-01) of a finite timestamptz. */
static inline int64
timestamp_day(TimestampTz ts)
{
	return floor_div(ts, USECS_PER_DAY);
}

/* Checks an origin date: finite. */
static inline int64
check_origin(DateADT origin)
{
	if (DATE_NOT_FINITE(origin))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("analytics origin must be a finite date")));
	return (int64) origin;
}

/* Checks a period count: 1..ANALYTICS_MAX_PERIODS (+1 for a lead period). */
static inline int
check_periods(int32 n)
{
	if (n < 1 || n > ANALYTICS_MAX_PERIODS + 31)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of periods %d is out of range", n),
				 errhint("Pass between 1 and %d periods (ten years of days).",
						 ANALYTICS_MAX_PERIODS)));
	return n;
}

PG_FUNCTION_INFO_V1(adoption_period_index);

/* Returns the index of ts's period counted from origin's (negative before it). */
Datum
adoption_period_index(PG_FUNCTION_ARGS)
{
	TimestampTz ts = PG_GETARG_TIMESTAMPTZ(0);
	int64		origin = check_origin(PG_GETARG_DATEADT(1));
	AnalyticsPeriod period = parse_period(PG_GETARG_TEXT_PP(2));
	int64		idx;

	if (TIMESTAMP_NOT_FINITE(ts))
		PG_RETURN_NULL();
	idx = period_number(timestamp_day(ts), period) - period_number(origin, period);
	if (idx < PG_INT32_MIN || idx > PG_INT32_MAX)
		PG_RETURN_NULL();
	PG_RETURN_INT32((int32) idx);
}

/* ---------- per-actor bitmap: adoption.active_periods ---------- */

/* Returns true when bit i of a bit string is set. */
static inline bool
bit_is_set(const VarBit *v, int i)
{
	return (VARBITS(v)[i / BITS_PER_BYTE] & (0x80 >> (i % BITS_PER_BYTE))) != 0;
}

/* Returns a zeroed bit string of n bits in the current memory context. */
static VarBit *
new_bitmap(int n)
{
	int			len = VARBITTOTALLEN(n);
	VarBit	   *v = (VarBit *) palloc0(len);

	SET_VARSIZE(v, len);
	VARBITLEN(v) = n;
	return v;
}

/* A transition function's result when its bitmap argument is NULL: the state as it is. */
static Datum
keep_state(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

/* Checks that a bitmap state has n bits (1..limit) and a sane size. */
static VarBit *
check_bitmap(VarBit *v)
{
	int			n = VARBITLEN(v);

	if (n < 1 || n > ANALYTICS_MAX_PERIODS + 31 ||
		VARSIZE(v) != VARBITTOTALLEN(n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid active_periods bitmap of %d bits", n),
				 errdetail("A bitmap has between 1 and %d bits.",
						   ANALYTICS_MAX_PERIODS + 31)));
	return v;
}

PG_FUNCTION_INFO_V1(adoption_active_periods_transfn);

/*
 * Returns the bitmap with the bit of ts's period set:
 * (state, ts, origin, period, n); a ts outside the n periods is ignored.
 */
Datum
adoption_active_periods_transfn(PG_FUNCTION_ARGS)
{
	VarBit	   *state;
	int			n;
	int64		origin;
	AnalyticsPeriod period;
	TimestampTz ts;
	int64		idx;

	if (PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("active_periods needs a non-null origin, period and number of periods")));
	origin = check_origin(PG_GETARG_DATEADT(2));
	period = parse_period(PG_GETARG_TEXT_PP(3));
	n = check_periods(PG_GETARG_INT32(4));

	if (PG_ARGISNULL(0))
		state = new_bitmap(n);
	else if (AggCheckCallContext(fcinfo, NULL))
		state = check_bitmap(PG_GETARG_VARBIT_P(0));
	else
		state = check_bitmap(PG_GETARG_VARBIT_P_COPY(0));
	if (VARBITLEN(state) != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("active_periods needs one number of periods per group, got %d and %d",
						VARBITLEN(state), n)));

	if (PG_ARGISNULL(1))
		PG_RETURN_VARBIT_P(state);
	ts = PG_GETARG_TIMESTAMPTZ(1);
	if (TIMESTAMP_NOT_FINITE(ts))
		PG_RETURN_VARBIT_P(state);
	idx = period_number(timestamp_day(ts), period) - period_number(origin, period);
	if (idx >= 0 && idx < n)
		VARBITS(state)[idx / BITS_PER_BYTE] |= (bits8) (0x80 >> (idx % BITS_PER_BYTE));
	PG_RETURN_VARBIT_P(state);
}

PG_FUNCTION_INFO_V1(adoption_active_periods_combinefn);

/* Returns the union of two bitmaps of the same length. */
Datum
adoption_active_periods_combinefn(PG_FUNCTION_ARGS)
{
	VarBit	   *a;
	VarBit	   *b = check_bitmap(PG_GETARG_VARBIT_P(1));
	int			i;

	if (AggCheckCallContext(fcinfo, NULL))
		a = check_bitmap(PG_GETARG_VARBIT_P(0));
	else
		a = check_bitmap(PG_GETARG_VARBIT_P_COPY(0));
	if (VARBITLEN(a) != VARBITLEN(b))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine active_periods bitmaps of %d and %d bits",
						VARBITLEN(a), VARBITLEN(b))));
	for (i = 0; i < VARBITBYTES(a); i++)
		VARBITS(a)[i] |= VARBITS(b)[i];
	PG_RETURN_VARBIT_P(a);
}

/* ---------- int8[] count states ---------- */

/* Returns a zeroed one-dimensional int8[] of len elements. */
static ArrayType *
new_counts(int len)
{
	Size		nbytes = ARR_OVERHEAD_NONULLS(1) + (Size) len * sizeof(int64);
	ArrayType  *a;

	if (!AllocSizeIsValid(nbytes))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("analytics state of %d counts is too large", len)));
	a = (ArrayType *) palloc0(nbytes);
	SET_VARSIZE(a, nbytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = INT8OID;
	ARR_DIMS(a)[0] = len;
	ARR_LBOUND(a)[0] = 1;
	return a;
}

/* Checks that a is a one-dimensional int8[] without NULLs; returns its data. */
static int64 *
check_counts(ArrayType *a, const char *what)
{
	if (ARR_NDIM(a) != 1 || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != INT8OID ||
		ARR_DIMS(a)[0] < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s state", what),
				 errdetail("The state is a non-empty array of non-null bigint values.")));
	return (int64 *) ARR_DATA_PTR(a);
}

/* Checks a count state of one kind; returns its data. */
typedef int64 *(*CountsChecker) (ArrayType *a);

/*
 * Adds b's counts to a's after checking both with check and that they have
 * the same header and length: the combine function of every count state.
 */
static ArrayType *
combine_counts(FunctionCallInfo fcinfo, CountsChecker check, int hdr, const char *what)
{
	ArrayType  *a = adoption_writable_array(fcinfo, 0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	int64	   *sa = check(a);
	int64	   *sb = check(b);
	int			len = ARR_DIMS(a)[0];
	int			i;

	if (ARR_DIMS(b)[0] != len || len < hdr)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine %s states of %d and %d elements",
						what, len, ARR_DIMS(b)[0])));
	for (i = 0; i < hdr; i++)
		if (sa[i] != sb[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot combine %s states of different shapes", what)));
	for (i = hdr; i < len; i++)
		sa[i] += sb[i];
	return a;
}

/* ---------- retention: the cohort matrix ---------- */

/*
 * The state is {n, on_or_after, counts...} where counts is the upper
 * triangle of the n x n cohort matrix, row c (the cohort: the actor's first
 * active period) holding n - c cells k = 0..n-1-c: actors of cohort c active
 * in period c + k ("on") or in c + k or later ("on or after").  Row c starts
 * at c * n - c * (c - 1) / 2.  Cell k = 0 is the cohort's size.
 */
static inline int64
retention_row(int64 n, int64 c)
{
	return c * n - c * (c - 1) / 2;
}

/* Checks a retention state's header against its length; returns its data. */
static int64 *
check_retention(ArrayType *a)
{
	int64	   *s = check_counts(a, "retention");
	int64		n;

	if (ARR_DIMS(a)[0] < RETENTION_HDR)
		n = -1;
	else
		n = s[0];
	if (n < 1 || n > ANALYTICS_MAX_PERIODS || (s[1] != 0 && s[1] != 1) ||
		ARR_DIMS(a)[0] != RETENTION_HDR + n * (n + 1) / 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid retention state"),
				 errdetail("The state is {n, on_or_after, n * (n + 1) / 2 counts}.")));
	return s;
}

PG_FUNCTION_INFO_V1(adoption_retention_transfn);

/* Returns the cohort matrix with one more actor's bitmap: (state, bits, on_or_after). */
Datum
adoption_retention_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	int64	   *s;
	VarBit	   *bits;
	int			n;
	int			first = -1;
	int			last = -1;
	int			i;
	int64	   *row;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("retention_matrix needs a non-null on_or_after")));
	if (PG_ARGISNULL(1))
		return keep_state(fcinfo);
	bits = check_bitmap(PG_GETARG_VARBIT_P(1));
	n = VARBITLEN(bits);
	if (n > ANALYTICS_MAX_PERIODS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention_matrix needs a bitmap of at most %d bits, not %d",
						ANALYTICS_MAX_PERIODS, n)));

	if (PG_ARGISNULL(0))
	{
		a = new_counts(RETENTION_HDR + n * (n + 1) / 2);
		s = (int64 *) ARR_DATA_PTR(a);
		s[0] = n;
		s[1] = PG_GETARG_BOOL(2) ? 1 : 0;
	}
	else
	{
		a = adoption_writable_array(fcinfo, 0);
		s = check_retention(a);
		if (s[0] != n || s[1] != (PG_GETARG_BOOL(2) ? 1 : 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("retention_matrix needs bitmaps of one length and one mode per group")));
	}

	for (i = 0; i < n; i++)
		if (bit_is_set(bits, i))
		{
			if (first < 0)
				first = i;
			last = i;
		}
	if (first < 0)
		PG_RETURN_ARRAYTYPE_P(a);	/* never active: in no cohort */

	row = s + RETENTION_HDR + retention_row(n, first);
	if (s[1] == 0)
	{
		for (i = first; i <= last; i++)
			if (bit_is_set(bits, i))
				row[i - first]++;
	}
	else
	{
		for (i = first; i <= last; i++)
			row[i - first]++;
	}
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(adoption_retention_combinefn);

/* Returns the sum of two cohort matrices of the same shape. */
Datum
adoption_retention_combinefn(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(combine_counts(fcinfo, check_retention, RETENTION_HDR, "retention"));
}

PG_FUNCTION_INFO_V1(adoption_retention_rows);

/*
 * Returns the cells of a retention state as rows: a table of
 * (cohort int, cohort_size bigint, period_number int, retained bigint),
 * only for non-empty cohorts.  A plain set-returning function that
 * materializes the rows (the matrix is already in memory).
 */
Datum
adoption_retention_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	int64	   *s = check_retention(a);
	int64		n = s[0];
	int64		c;
	int64		k;

	InitMaterializedSRF(fcinfo, 0);
	for (c = 0; c < n; c++)
	{
		int64	   *row = s + RETENTION_HDR + retention_row(n, c);

		if (row[0] == 0)
			continue;
		for (k = 0; k < n - c; k++)
		{
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			values[0] = Int32GetDatum((int32) c);
			values[1] = Int64GetDatum(row[0]);
			values[2] = Int32GetDatum((int32) k);
			values[3] = Int64GetDatum(row[k]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

/* ---------- lifecycle ---------- */

/*
 * The state is {n, new[n], returning[n], resurrecting[n], dormant[n]}.  The
 * bitmap has n + 1 bits: bit 0 is the period before the range, bit p + 1 is
 * period p of the range.  first_seen is the index (from period 0) of the
 * period the actor was first seen in; NULL or later than its first active
 * period means that first active period.
 */
static int64 *
check_lifecycle(ArrayType *a)
{
	int64	   *s = check_counts(a, "lifecycle");
	int64		n = s[0];

	if (n < 1 || n > ANALYTICS_MAX_PERIODS || ARR_DIMS(a)[0] != LIFECYCLE_HDR + 4 * n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid lifecycle state"),
				 errdetail("The state is {n, 4 * n counts}.")));
	return s;
}

PG_FUNCTION_INFO_V1(adoption_lifecycle_transfn);

/* Returns the lifecycle counts with one more actor: (state, bits, first_seen). */
Datum
adoption_lifecycle_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	int64	   *s;
	VarBit	   *bits;
	int			n;
	int64		first_seen;
	int			p;
	int64	   *c_new,
			   *c_ret,
			   *c_res,
			   *c_dor;

	if (PG_ARGISNULL(1))
		return keep_state(fcinfo);
	bits = check_bitmap(PG_GETARG_VARBIT_P(1));
	n = VARBITLEN(bits) - 1;
	if (n < 1 || n > ANALYTICS_MAX_PERIODS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lifecycle needs a bitmap of 2 to %d bits, not %d",
						ANALYTICS_MAX_PERIODS + 1, n + 1)));
	if (PG_ARGISNULL(0))
	{
		a = new_counts(LIFECYCLE_HDR + 4 * n);
		s = (int64 *) ARR_DATA_PTR(a);
		s[0] = n;
	}
	else
	{
		a = adoption_writable_array(fcinfo, 0);
		s = check_lifecycle(a);
		if (s[0] != n)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("lifecycle needs bitmaps of one length per group, got %d and %d bits",
							(int) s[0] + 1, n + 1)));
	}
	first_seen = PG_ARGISNULL(2) ? PG_INT64_MAX : (int64) PG_GETARG_INT32(2);
	/* Seen no later than first active (bit 0 is period -1). */
	for (p = -1; p < n; p++)
		if (bit_is_set(bits, p + 1))
		{
			if (first_seen > p)
				first_seen = p;
			break;
		}

	c_new = s + LIFECYCLE_HDR;
	c_ret = c_new + n;
	c_res = c_ret + n;
	c_dor = c_res + n;
	for (p = 0; p < n; p++)
	{
		bool		now = bit_is_set(bits, p + 1);
		bool		before = bit_is_set(bits, p);

		if (now)
		{
			if (p == first_seen)
				c_new[p]++;
			else if (before)
				c_ret[p]++;
			else
				c_res[p]++;
		}
		else if (before)
			c_dor[p]++;
	}
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(adoption_lifecycle_combinefn);

/* Returns the sum of two lifecycle states of the same length. */
Datum
adoption_lifecycle_combinefn(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(combine_counts(fcinfo, check_lifecycle, LIFECYCLE_HDR, "lifecycle"));
}

/* ---------- stickiness: DAU, MAU and active-day distribution ---------- */

/*
 * The bitmap is per UTC day: bit lead + d is day d of the range (day 0 =
 * origin), bits 0..lead-1 the days before it (lead = 29 makes "active in the
 * 30 days ending on day d" a window of bits d .. d + 29).  The state is
 * {n_days, lead, origin, period, n_periods, dau[n_days], mau[n_days],
 * dist[n_periods][DIST_SLOTS]}: dau and mau count the actors active on day d
 * and within the 30 days ending on it, dist[p][k] the actors active on
 * exactly k days of period p (k >= 1; slot 0 is unused).
 */
static int64 *
check_stickiness(ArrayType *a)
{
	int64	   *s = check_counts(a, "stickiness");
	int64		len = ARR_DIMS(a)[0];

	if (len < STICKINESS_HDR || s[0] < 1 || s[0] > ANALYTICS_MAX_PERIODS ||
		s[1] < 0 || s[1] > 31 || s[3] < PERIOD_DAY || s[3] > PERIOD_MONTH ||
		s[4] < 1 || s[4] > s[0] ||
		len != STICKINESS_HDR + 2 * s[0] + s[4] * DIST_SLOTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid stickiness state"),
				 errdetail("The state is {n_days, lead, origin, period, n_periods, 2 * n_days + 32 * n_periods counts}.")));
	return s;
}

PG_FUNCTION_INFO_V1(adoption_stickiness_transfn);

/* Returns the stickiness counts with one more actor: (state, bits, lead, origin, period). */
Datum
adoption_stickiness_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	int64	   *s;
	VarBit	   *bits;
	int			lead;
	int64		origin;
	AnalyticsPeriod period;
	int			n;
	int			d;
	int			last = -1;
	int64		origin_period;
	int64	   *dau,
			   *mau,
			   *dist;
	int			n_periods;
	int			cur_p = -1;
	int			days_in_p = 0;

	if (PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("stickiness needs a non-null lead, origin and period")));
	lead = PG_GETARG_INT32(2);
	origin = check_origin(PG_GETARG_DATEADT(3));
	period = parse_period(PG_GETARG_TEXT_PP(4));
	if (lead < 0 || lead > 31)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("stickiness lead %d is out of range", lead),
				 errhint("Pass between 0 and 31 days before the range.")));
	if (PG_ARGISNULL(1))
		return keep_state(fcinfo);
	bits = check_bitmap(PG_GETARG_VARBIT_P(1));
	n = VARBITLEN(bits) - lead;
	if (n < 1 || n > ANALYTICS_MAX_PERIODS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("stickiness needs a bitmap of lead + 1 to lead + %d bits, not %d",
						ANALYTICS_MAX_PERIODS, VARBITLEN(bits))));
	origin_period = period_number(origin, period);
	n_periods = (int) (period_number(origin + n - 1, period) - origin_period + 1);

	if (PG_ARGISNULL(0))
	{
		a = new_counts(STICKINESS_HDR + 2 * n + n_periods * DIST_SLOTS);
		s = (int64 *) ARR_DATA_PTR(a);
		s[0] = n;
		s[1] = lead;
		s[2] = origin;
		s[3] = period;
		s[4] = n_periods;
	}
	else
	{
		a = adoption_writable_array(fcinfo, 0);
		s = check_stickiness(a);
		if (s[0] != n || s[1] != lead || s[2] != origin || s[3] != period || s[4] != n_periods)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("stickiness needs one bitmap length, lead, origin and period per group")));
	}
	dau = s + STICKINESS_HDR;
	mau = dau + n;
	dist = mau + n;

	for (d = 0; d < lead; d++)
		if (bit_is_set(bits, d))
			last = d;
	for (d = 0; d < n; d++)
	{
		int			p = (int) (period_number(origin + d, period) - origin_period);

		if (p != cur_p)
		{
			if (days_in_p > 0)
				dist[cur_p * DIST_SLOTS + days_in_p]++;
			cur_p = p;
			days_in_p = 0;
		}
		if (bit_is_set(bits, lead + d))
		{
			last = lead + d;
			dau[d]++;
			days_in_p++;
		}
		if (last >= 0 && last >= lead + d - 29)
			mau[d]++;
	}
	if (days_in_p > 0)
		dist[cur_p * DIST_SLOTS + days_in_p]++;
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(adoption_stickiness_combinefn);

/* Returns the sum of two stickiness states of the same shape. */
Datum
adoption_stickiness_combinefn(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(combine_counts(fcinfo, check_stickiness, STICKINESS_HDR, "stickiness"));
}

/* ---------- period counts: actors active per period ---------- */

/*
 * The state is {n, counts[n]}: counts[p] is the number of bitmaps with bit
 * p set, not counting the bits before each bitmap's from_period.  pes()
 * counts with it the actors active in each period and, with from_period
 * the period an adoption counts from, the adoptions of active actors.
 */
static int64 *
check_period_counts(ArrayType *a)
{
	int64	   *s = check_counts(a, "period_counts");

	if (s[0] < 1 || s[0] > ANALYTICS_MAX_PERIODS || ARR_DIMS(a)[0] != PERIOD_COUNTS_HDR + s[0])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid period_counts state"),
				 errdetail("The state is {n, n counts}.")));
	return s;
}

PG_FUNCTION_INFO_V1(adoption_period_counts_transfn);

/* Returns the period counts with one more bitmap: (state, bits, from_period). */
Datum
adoption_period_counts_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	int64	   *s;
	VarBit	   *bits;
	int			n;
	int			p;

	if (PG_ARGISNULL(1))
		return keep_state(fcinfo);
	bits = check_bitmap(PG_GETARG_VARBIT_P(1));
	n = VARBITLEN(bits);
	if (n < 1 || n > ANALYTICS_MAX_PERIODS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period_counts needs a bitmap of 1 to %d bits, not %d",
						ANALYTICS_MAX_PERIODS, n)));
	if (PG_ARGISNULL(0))
	{
		a = new_counts(PERIOD_COUNTS_HDR + n);
		s = (int64 *) ARR_DATA_PTR(a);
		s[0] = n;
	}
	else
	{
		a = adoption_writable_array(fcinfo, 0);
		s = check_period_counts(a);
		if (s[0] != n)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("period_counts needs bitmaps of one length per group, got %d and %d bits",
							(int) s[0], n)));
	}
	p = PG_ARGISNULL(2) ? 0 : Max(PG_GETARG_INT32(2), 0);
	for (; p < n; p++)
		if (bit_is_set(bits, p))
			s[PERIOD_COUNTS_HDR + p]++;
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(adoption_period_counts_combinefn);

/* Returns the sum of two period_counts states of the same length. */
Datum
adoption_period_counts_combinefn(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(combine_counts(fcinfo, check_period_counts, PERIOD_COUNTS_HDR, "period_counts"));
}
