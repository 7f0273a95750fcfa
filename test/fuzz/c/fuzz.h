/*
 * fuzz.h: what the fuzz targets share: reading a fuzzer's bytes as numbers
 * biased to extremes, and failing.
 *
 * Random bytes read as an int64 are almost always huge; the arithmetic
 * under test matters near zero, near each other and at the limits.  So a
 * selector byte picks how the next value is formed: small, a limit or a
 * limit minus something small, a power of two, or raw bytes.  An input
 * that runs out reads zeros, so every input is a valid one.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct FuzzInput
{
	const uint8_t *p;
	size_t		left;
} FuzzInput;

/* Returns the next n (<= 8) bytes as a little-endian number, zeros past the end. */
static inline uint64_t
fuzz_bytes(FuzzInput *in, int n)
{
	uint64_t	v = 0;
	int			i;

	for (i = 0; i < n && in->left > 0; i++, in->p++, in->left--)
		v |= (uint64_t) *in->p << (8 * i);
	return v;
}

/* Returns the next byte, 0 past the end. */
static inline int
fuzz_byte(FuzzInput *in)
{
	return (int) fuzz_bytes(in, 1);
}

/* Returns an int64 of any sign, biased to 0, small values and the limits. */
static inline int64_t
fuzz_int64(FuzzInput *in)
{
	int			sel = fuzz_byte(in);
	uint64_t	small = fuzz_bytes(in, sel & 0x40 ? 2 : 1);
	int64_t		v;

	switch (sel & 7)
	{
		case 0:
		case 1:
			v = (int64_t) small;
			break;
		case 2:
			v = INT64_MAX - (int64_t) small;
			break;
		case 3:
			v = INT64_MIN + (int64_t) small;
			break;
		case 4:
			v = (int64_t) ((uint64_t) 1 << (small & 63));
			break;
		case 5:
			v = (int64_t) (((uint64_t) 1 << (small & 63)) - 1);
			break;
		default:
			v = (int64_t) (small | fuzz_bytes(in, 8) << 16);
			break;
	}
	return (sel & 0x80) && v != INT64_MIN ? -v : v;
}

/* Returns a double, biased to 0, fractions of 1, the limits and non-finite values. */
static inline double
fuzz_double(FuzzInput *in)
{
	static const double special[] = {
		0.0, 1.0, 0.5, 0.7, 0.3, 0.15, 0.1, 1e-300, DBL_MIN, 4.9406564584124654e-324,
		DBL_MAX, 1e308, 1e300, 1e154, 1.0 - DBL_EPSILON / 2, 1.0 + DBL_EPSILON, -0.0, -1.0
	};
	int			sel = fuzz_byte(in);
	uint64_t	bits;
	double		d;

	switch (sel & 3)
	{
		case 0:
			return special[(sel >> 2) % (int) (sizeof(special) / sizeof(special[0]))];
		case 1:
			return (double) fuzz_bytes(in, 2) / 65536.0 * (double) ((sel >> 2) + 1);
		case 2:
			bits = fuzz_bytes(in, 8);
			memcpy(&d, &bits, sizeof(d));
			return d;
		default:
			return (double) fuzz_int64(in);
	}
}

/* Stops the run with a message naming two values: libFuzzer then saves the input. */
static inline void
fuzz_fail(const char *what, double a, double b)
{
	fprintf(stderr, "%s (%.17g, %.17g)\n", what, a, b);
	abort();
}

#endif							/* FUZZ_H */
