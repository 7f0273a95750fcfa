/*
 * textcat_fuzz.c: libFuzzer target for the feedback categorization core.
 *
 * Input layout: byte 0 holds the number of lexicon entries (low 4 bits)
 * and whether a slice of the built-in lexicon comes first (bit 7; then
 * byte 1 chooses where the 96-entry slice starts).  Each entry is a meta
 * byte (category, weight choice, theme or not), a length byte and that
 * many term bytes.  The rest is the text, analyzed with that matcher and
 * with the full built-in matcher (built once).  Checks: sentiment is in
 * [-1, 1] and matches its label; theme lists hold distinct strings and
 * requested features are listed features; analysis is deterministic; a
 * normalized term normalizes to itself and, as a success indicator, is
 * found in its own normalized text (numbers written as "1").
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "textcat.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Block
{
	struct Block *next;
} Block;

/* Returns a block linked into the list at ctx; aborts when out of memory. */
static void *
fuzz_alloc(void *ctx, size_t size)
{
	Block	  **head = ctx;
	Block	   *b;

	if (size > ((size_t) 1 << 32))
		abort();
	b = malloc(sizeof(Block) + ((size + 15) & ~(size_t) 15) + 16);
	if (b == NULL)
		abort();
	b->next = *head;
	*head = b;
	return (char *) b + 16;
}

/* Frees every block of a list. */
static void
fuzz_free(Block **head)
{
	while (*head)
	{
		Block	   *n = (*head)->next;

		free(*head);
		*head = n;
	}
}

static const double weights[] = {0.0, 1.0, -1.0, 2.5, 0.001, NAN, INFINITY,
-INFINITY, 1e308, -3.0, 12.0, 1e-300, 4.0, 0.5, 2.0, 1.0};

#define MAXEXTRA 15
#define SLICE 96

/* The full built-in matcher, built at the first call and kept. */
static TcMatcher *full;

static Block *kept;				/* blocks of the full matcher, never freed */

/* Allocates blocks of the full matcher, kept for the whole run. */
static void *
keep_alloc(void *ctx, size_t size)
{
	(void) ctx;
	return fuzz_alloc(&kept, size);
}

/* Aborts if a result breaks an invariant. */
static void
check(const TcResult *r)
{
	int			c;
	int			i;
	int			j;
	const char *l = tc_sentiment_label(r->sentiment);

	if (!(r->sentiment >= -1.0 && r->sentiment <= 1.0))
		abort();
	if ((r->sentiment >= 0.05) != (strcmp(l, "positive") == 0) ||
		(r->sentiment <= -0.05) != (strcmp(l, "negative") == 0))
		abort();
	for (c = 0; c < TC_NUM_CATEGORIES; c++)
	{
		if (r->themes[c].nthemes < 0)
			abort();
		for (i = 0; i < r->themes[c].nthemes; i++)
		{
			if (r->themes[c].themes[i] == NULL)
				abort();
			for (j = 0; j < i; j++)
				if (strcmp(r->themes[c].themes[i], r->themes[c].themes[j]) == 0)
					abort();
		}
	}
	for (i = 0; i < r->requested.nthemes; i++)
	{
		bool		found = false;

		for (j = 0; j < r->themes[TC_FEATURE].nthemes; j++)
			if (strcmp(r->requested.themes[i], r->themes[TC_FEATURE].themes[j]) == 0)
				found = true;
		if (!found)
			abort();
	}
}

/* Returns true if two results are identical. */
static bool
same(const TcResult *a, const TcResult *b)
{
	int			c;
	int			i;

	if (a->sentiment != b->sentiment || a->ntokens != b->ntokens)
		return false;
	for (c = 0; c < TC_NUM_CATEGORIES; c++)
	{
		if (a->themes[c].nthemes != b->themes[c].nthemes)
			return false;
		for (i = 0; i < a->themes[c].nthemes; i++)
			if (strcmp(a->themes[c].themes[i], b->themes[c].themes[i]) != 0)
				return false;
	}
	return true;
}

/* A normalized term is a fixed point and matches its own text. */
static void
check_term(const char *term, TcAllocator *a)
{
	char	   *norm;
	char	   *again;
	char	   *text;
	size_t		n;
	size_t		i;
	TcPhrase	p;
	TcMatcher  *m;
	TcResult	r;

	if (!tc_normalize_term(term, strlen(term), a, &norm))
		return;
	n = strlen(norm);
	if (n == 0 || norm[0] == ' ' || norm[n - 1] == ' ' || strstr(norm, "  "))
		abort();
	if (!tc_normalize_term(norm, n, a, &again) || strcmp(norm, again) != 0)
		abort();
	text = a->alloc(a->ctx, n + 1);
	memcpy(text, norm, n + 1);
	for (i = 0; i < n; i++)
		if (text[i] == '#' && (i == 0 || text[i - 1] == ' '))
			text[i] = '1';
	p.term = norm;
	p.category = TC_SUCCESS_INDICATOR;
	p.theme = "t";
	p.weight = 1.0;
	p.own = true;
	m = tc_matcher_build(&p, 1, a);
	/* the matcher's invariant: the rules alone (the model may drop a theme) */
	tc_analyze_ex(m, text, n, a, &r, false, NULL, NULL);
	check(&r);
	if (r.themes[TC_SUCCESS_INDICATOR].nthemes != 1)
		abort();
}

/* Runs one fuzz input (layout at the top of this file). */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Block	   *head = NULL;
	TcAllocator a = {fuzz_alloc, &head};
	TcPhrase	extra[MAXEXTRA];
	char	   *terms[MAXEXTRA];
	int			nextra = 0;
	int			k;
	int			nb = 0;
	const TcPhrase *b = NULL;
	TcPhrase   *all;
	size_t		pos = 1;
	TcMatcher  *m;
	TcResult	r1;
	TcResult	r2;

	if (full == NULL)
	{
		TcAllocator ka = {keep_alloc, NULL};
		int			n;
		const TcPhrase *all_builtin = tc_builtin_phrases(&n);

		full = tc_matcher_build(all_builtin, n, &ka);
	}
	if (size < 1)
		return 0;
	k = data[0] & 0x0F;
	if ((data[0] & 0x80) && size >= 2)
	{
		int			n;

		b = tc_builtin_phrases(&n);
		b += (data[1] * 7) % n;
		nb = (int) (tc_builtin_phrases(&n) + n - b);
		if (nb > SLICE)
			nb = SLICE;
		pos = 2;
	}
	while (nextra < k && pos + 2 <= size)
	{
		uint8_t		meta = data[pos];
		size_t		len = data[pos + 1] % 48;
		char	   *t;

		pos += 2;
		if (len > size - pos)
			len = size - pos;
		t = a.alloc(a.ctx, len + 1);
		memcpy(t, data + pos, len);
		t[len] = '\0';
		pos += len;
		terms[nextra] = t;
		extra[nextra].term = t;
		extra[nextra].category = (TcCategory) (meta % TC_NUM_CATEGORIES);
		extra[nextra].theme = (meta & 0x80) ? NULL : t;
		extra[nextra].weight = weights[(meta >> 3) & 0x0F];
		extra[nextra].own = true;
		nextra++;
	}
	all = a.alloc(a.ctx, (size_t) (nb + nextra + 1) * sizeof(TcPhrase));
	if (nb > 0)
		memcpy(all, b, (size_t) nb * sizeof(TcPhrase));
	if (nextra > 0)
		memcpy(all + nb, extra, (size_t) nextra * sizeof(TcPhrase));
	m = tc_matcher_build(all, nb + nextra, &a);
	tc_analyze(m, (const char *) data + pos, size - pos, &a, &r1);
	check(&r1);
	tc_analyze(m, (const char *) data + pos, size - pos, &a, &r2);
	if (!same(&r1, &r2))
		abort();
	tc_analyze(full, (const char *) data + pos, size - pos, &a, &r1);
	check(&r1);
	tc_analyze(full, (const char *) data + pos, size - pos, &a, &r2);
	if (!same(&r1, &r2))
		abort();
	for (k = 0; k < nextra; k++)
		check_term(terms[k], &a);
	fuzz_free(&head);
	return 0;
}
