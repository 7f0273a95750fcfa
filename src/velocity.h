/*
 * velocity.h: usage velocity, an exponentially decayed count of uses.
 *
 * Each use adds 1 to a count that halves every 7 days; velocity per week is
 * the count times ln 2.  For steady use at N a week, the count averaged
 * over time is N times the integral of 2^(-s / 7 days) over s in weeks,
 * N / ln 2, so velocity converges to N (just after a use it is a little
 * higher, just before one a little lower).  The count is kept as of an
 * anchor time, the latest use seen, which makes it independent of the order
 * the uses arrive in: it is the sum of 2^(-(anchor - t) / 7 days).
 */
#ifndef ADOPTION_VELOCITY_H
#define ADOPTION_VELOCITY_H

#include <math.h>

#include "common/int.h"
#include "utils/timestamp.h"

#define VELOCITY_HALF_LIFE_USECS ((double) (7 * USECS_PER_DAY))

/* Returns a - b in microseconds, saturated instead of overflowing. */
static inline int64
adoption_ts_sub(TimestampTz a, TimestampTz b)
{
	int64		d;

	if (pg_sub_s64_overflow(a, b, &d))
		return (a > b) ? PG_INT64_MAX : PG_INT64_MIN;
	return d;
}

/* Returns 2^(-age / half-life) for an age in microseconds (age >= 0). */
static inline double
velocity_decay(int64 age_usecs)
{
	return exp2(-((double) age_usecs) / VELOCITY_HALF_LIFE_USECS);
}

/*
 * Adds a use at time t to a decayed count kept as of *anchor (the latest
 * use so far; ignored when *count is 0 and there is no use yet).
 */
static inline void
velocity_add_use(double *count, TimestampTz *anchor, bool have_anchor,
				 TimestampTz t)
{
	if (!have_anchor)
	{
		*count = 1.0;
		*anchor = t;
	}
	else if (t >= *anchor)
	{
		*count = *count * velocity_decay(adoption_ts_sub(t, *anchor)) + 1.0;
		*anchor = t;
	}
	else
		*count += velocity_decay(adoption_ts_sub(*anchor, t));
}

#endif							/* ADOPTION_VELOCITY_H */
