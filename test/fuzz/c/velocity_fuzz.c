/*
 * velocity_fuzz.c: fuzz target for the velocity math of src/velocity.h.
 *
 * Input: a sequence of use times, each formed by a selector byte (a raw
 * timestamp, possibly +-infinity; the previous time plus or minus seconds
 * or days; or a value biased to the limits, see fuzz.h).  The uses are
 * applied with velocity_add_use() in input order, ascending and descending.
 * Checks, the properties velocity.h's header promises: the count does not
 * depend on the order (relative 1e-9), equals the sum of the decayed uses
 * as of the latest one (how the aggregate counts), is finite, at least 1 after
 * a use and at most the number of uses, and the anchor is the latest use;
 * adoption_ts_sub() is the exact difference clamped to int64; every decay
 * of an age >= 0 is in [0, 1].  Built with UBSan, an overflow anywhere traps.
 */
#include "postgres.h"

#include "velocity.h"
#include "fuzz.h"

#define MAX_USES 512

/* Returns t + d, saturated. */
static TimestampTz
add_saturated(TimestampTz t, int64 d)
{
	int64		r;

	if (pg_add_s64_overflow(t, d, &r))
		return d > 0 ? PG_INT64_MAX : PG_INT64_MIN;
	return r;
}

/* Returns the next use time, formed relative to prev or from scratch. */
static TimestampTz
next_time(FuzzInput *in, TimestampTz prev)
{
	int			sel = fuzz_byte(in);
	int64		step = (int16) fuzz_bytes(in, 2);

	switch (sel & 3)
	{
		case 0:
			return add_saturated(prev, step * USECS_PER_SEC);
		case 1:
			return add_saturated(prev, step * USECS_PER_DAY);
		case 2:
			return add_saturated(prev, step * (int64) (sel >> 2));
		default:
			return fuzz_int64(in);
	}
}

/* Orders timestamps ascending. */
static int
cmp_ts(const void *a, const void *b)
{
	TimestampTz x = *(const TimestampTz *) a;
	TimestampTz y = *(const TimestampTz *) b;

	return (x > y) - (x < y);
}

/* Returns true if a and b agree within a relative 1e-9. */
static bool
close_enough(double a, double b)
{
	return fabs(a - b) <= 1e-9 * Max(fabs(a), fabs(b));
}

/* Applies uses t[0..n-1] in order, checking the count after each; returns it. */
static double
apply(const TimestampTz *t, int n, TimestampTz *anchor)
{
	double		count = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		velocity_add_use(&count, anchor, i > 0, t[i]);
		if (!isfinite(count) || count < 1.0 || count > (double) (i + 1))
			fuzz_fail("velocity_fuzz: count out of [1, uses] after a use", count, (double) (i + 1));
	}
	return count;
}

/* Checks adoption_ts_sub() against 128-bit arithmetic and the decay of the age. */
static void
check_sub(TimestampTz a, TimestampTz b)
{
	__int128	exact = (__int128) a - (__int128) b;
	int64		d = adoption_ts_sub(a, b);
	__int128	clamped = exact > PG_INT64_MAX ? PG_INT64_MAX :
		exact < PG_INT64_MIN ? PG_INT64_MIN : exact;
	double		decay;

	if ((__int128) d != clamped)
		fuzz_fail("velocity_fuzz: adoption_ts_sub is not the clamped difference", (double) d, (double) exact);
	if (d >= 0)
	{
		decay = velocity_decay(d);
		if (!(decay >= 0.0 && decay <= 1.0))
			fuzz_fail("velocity_fuzz: decay out of [0, 1]", decay, (double) d);
		if (d == 0 && decay != 1.0)
			fuzz_fail("velocity_fuzz: decay of age 0 is not 1", decay, 1.0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzInput	in = {data, size};
	TimestampTz t[MAX_USES];
	TimestampTz sorted[MAX_USES];
	TimestampTz anchor,
				anchor_up,
				anchor_down;
	double		count,
				up,
				down,
				direct = 0;
	int			n = 0;
	int			i;

	while (in.left > 0 && n < MAX_USES)
	{
		t[n] = next_time(&in, n > 0 ? t[n - 1] : 0);
		n++;
	}
	if (n == 0)
		return 0;
	for (i = 0; i + 1 < n; i++)
	{
		check_sub(t[i], t[i + 1]);
		check_sub(t[i + 1], t[i]);
	}

	count = apply(t, n, &anchor);
	memcpy(sorted, t, sizeof(TimestampTz) * n);
	qsort(sorted, n, sizeof(TimestampTz), cmp_ts);
	up = apply(sorted, n, &anchor_up);
	for (i = 0; i < n / 2; i++)
	{
		TimestampTz x = sorted[i];

		sorted[i] = sorted[n - 1 - i];
		sorted[n - 1 - i] = x;
	}
	down = apply(sorted, n, &anchor_down);

	if (anchor != anchor_up || anchor != anchor_down || anchor != sorted[0])
		fuzz_fail("velocity_fuzz: the anchor is not the latest use", (double) anchor, (double) sorted[0]);
	if (!close_enough(count, up) || !close_enough(count, down))
		fuzz_fail("velocity_fuzz: the count depends on the order of the uses", count, close_enough(count, up) ? down : up);
	for (i = 0; i < n; i++)
		direct += velocity_decay(adoption_ts_sub(anchor, t[i]));
	if (!close_enough(count, direct))
		fuzz_fail("velocity_fuzz: the count is not the sum of the decayed uses", count, direct);
	return 0;
}
