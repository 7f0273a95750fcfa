/*
 * textcat.h: feedback categorization core: tokenizer, phrase matcher and
 * lexicon sentiment.  Plain C99 without PostgreSQL headers, so the same
 * code runs in the server and in the standalone harness of test/textcat.
 *
 * Memory: every allocation goes through the caller's TcAllocator, which
 * must not return NULL (palloc throws; the harness aborts).  Nothing is
 * ever freed one block at a time: the caller frees the whole context.  A
 * size that would overflow size_t is requested as SIZE_MAX, which the
 * allocator must reject.  tc_analyze allocates O(lexicon) per call,
 * independent of the length of the text.
 *
 * Lexicon entries (TcPhrase) and how tc_matcher_build reads them:
 *
 * - term: normalized by tc_normalize_term exactly as text is tokenized:
 *   ASCII lowercased; apostrophes inside a word dropped ("don't" and
 *   "don’t" are "dont"); hyphens, underscores, dots and other punctuation
 *   separate words ("report-builder", "report_builder" and "Report
 *   Builder" are all "report builder"; "api_v2" is "api v2"); each word
 *   reduced to a simple singular, in text and terms alike ("crashes" and
 *   "crash" are "crash", "takes" is "take", "Dashboards" is "dashboard",
 *   "replies" is "reply"); emoticons are one token in a canonical form
 *   (":-)" and "=)" are ":)", ":-D" is ":d"); each emoji is one token.
 * - Numbers: "#" in a term is a wildcard for one number token of the
 *   text, and so is any number written in a term ("saved 10 hours" is
 *   "saved # hour").  Number tokens are "10", "20%", "3.5x", "$500",
 *   "1,000", "24/7", "10h", "3rd" and the words "two" .. "twelve",
 *   "fifteen", "twenty" .. "fifty", "hundred", "thousand", "million",
 *   "dozen"; numbers are never matched literally.  Words mixing letters
 *   and digits that are not a number with a unit ("2fa", "v2", "s3",
 *   "mp4") are ordinary words.
 * - Matching is on whole words and never across sentence or clause
 *   punctuation of the text.  An elongated word of the text ("sooo",
 *   "slowww") is also looked up with runs of 3+ letters cut to 2, then 1.
 *   A term with no token, more than TC_MAX_TERM_TOKENS tokens or a token
 *   longer than TC_MAX_TOKEN_BYTES bytes can never match: tc_normalize_term
 *   returns false for it and tc_matcher_build ignores it.
 *
 * - Overrides: an entry is keyed by its normalized term and its slot; the
 *   slots are pain_point, feature_request, value_driver, success_indicator,
 *   sentiment (positive and negative share one slot) and feature.  When a
 *   key occurs more than once in the array the LAST occurrence wins, so
 *   built-ins, then global rows, then tenant rows gives tenant overrides
 *   ("sick" as positive replaces a built-in negative "sick").  A term may
 *   have one entry in each slot: "slow" is both the pain point performance
 *   and a negative word, and a tenant row ("slow", pain_point, "latency")
 *   renames the theme without touching the sentiment.
 *
 * - own: true for the deployment's rows (global or a tenant's, and the
 *   catalog's features), false for the built-ins; the trained model leaves
 *   a category whose themes include one an own entry reports as the rules
 *   made it (below).
 *
 * - Disabling: weight 0 (or NaN) disables the key: the entry still
 *   overrides every earlier one with the same key, then is dropped.
 *
 * - positive/negative: the term adds +|weight| or -|weight| (capped at
 *   TC_MAX_WEIGHT) of valence, on a scale where "good" is 1.9 and
 *   "terrible" -3.0; theme may be NULL.  A sentiment phrase with a theme
 *   also reports that theme in its category when it is not negated.
 *
 * - success_indicator: reports its theme and, being good news, adds
 *   +|weight| of valence like a positive term (built-ins use 1.5); a
 *   negated one reports nothing and subtracts.
 *
 * - pain_point, value_driver, feature: weight only enables; theme NULL or
 *   empty means the normalized term (for all theme categories).  For
 *   feature the theme is the feature_id; features are reported whenever
 *   named, negated or not.
 *
 * - feature_request: with theme NULL (or empty) the term is a request cue
 *   ("please add", "would love", "missing"); with a theme it is a topic
 *   ("dark mode" -> dark_mode).  A topic is reported only in a sentence
 *   that also holds a cue that is not negated; a cue in a sentence without
 *   a topic or feature reports the theme "other".  Catalog features named
 *   in a sentence with a cue are also listed in TcResult.requested.
 *
 * Matching rules (see textcat.c for the full account):
 *
 * - Hiding: a match strictly inside a longer match is not reported when
 *   the longer one is of the same slot ("slow support" hides "slow"), when
 *   both are pain points, feature requests, value drivers or success
 *   indicators (a success indicator hides the value driver inside it,
 *   "saves us # hours" hides "saves us"), and for sentiment inside a
 *   feature request or success indicator ("would love" is a request, not
 *   praise; "twice as fast" counts once).  A feature request topic whose
 *   words overlap a catalog feature's match is not reported: "please add
 *   custom fields" is one request, the feature custom_fields, not also the
 *   topic customization.
 * - Aspects: a pain point or value driver term with no sentiment term
 *   inside it ("support", "pricing", "integration", but not "easy to use")
 *   is an aspect: it is reported as a pain point only if its sentence's
 *   sentiment is negative and as a value driver only if it is positive.
 *   Give a term both a pain point and a value driver entry ("support" ->
 *   support / support_quality) and the sentence picks one.
 * - Other pain points and value drivers are reported unless the sentiment
 *   of their clause has the opposite sign.
 * - Negation (an odd number of negators among the three words before a
 *   phrase, in its clause): a negated sentiment term is flipped and damped;
 *   a negated pain point that is not an aspect is reported as the value
 *   driver of the same theme and vice versa (usability <-> ease_of_use,
 *   support <-> support_quality, any other theme to the same name in the
 *   other category if it exists, else nothing); a negated cue or success
 *   indicator is not reported.  Topics and features are reported even when
 *   negated ("no dark mode").
 * - Sentence rules (grammar words of textcat.c, not lexicon entries): at the
 *   end of each sentence without a success indicator term, a measure
 *   (revenue, churn, costs, time...), a direction and a quantity or a
 *   comparison report the measure's success indicator when it moved the
 *   good way (+1.5) and its pain point, if any, when not (-1.5); compared
 *   durations are time saved or a performance complaint; saving with a
 *   duration or money is time saved or cost savings; getting started
 *   within a day is onboarding praise, in a week or more an onboarding
 *   complaint; waiting a day on a reply is a support complaint, a reply
 *   within the hour support praise.  A complaint term with a measured
 *   duration ("took # minutes") counts only if its sentence is not
 *   positive; one with a direction or an unmeasured duration ("went down",
 *   "take days") only if no rule or success term explained the sentence.
 *   The themes named are found among the entries; a rule whose theme no
 *   entry defines still moves the sentiment.
 * - Sentence-level readings (textcat.c, tc_sentence_mood and tc_analyze): a
 *   word the lexicon does not know is looked up by its stem (a dropped g,
 *   -ing, -ed); a clause opened by "never", "not", "nobody", "nothing" or
 *   "none" is negated to its end; denying an extreme word adds nothing
 *   ("not terrible"); a yes/no question drops its praise and asks for the
 *   topics it names, as does a wish with "would" and praise; generic praise
 *   with a complaint in its clause, alone in its clause before one, or alone
 *   after a negative sentence is ironic and counts against; something that
 *   persists, repeats or stopped is a complaint in a sentence without
 *   praise; "yet", "although", "whereas" opening a clause and "except"
 *   contrast like "but".
 * - Third round (issue 18): a closing formula ("Thanks, Maria", "Kind
 *   regards", "Thanks in advance") followed only by a signature takes back
 *   its valence, "Good morning" is no praise, and the addressee of an
 *   opening greeting ("Dear Support team,") is no aspect; a sentence
 *   ending in "though" turns against the one before; a question opened by
 *   "why" (not "why not") complains, and so does something not happening
 *   "since" a time; the product taking or loading five seconds or more is
 *   a performance complaint; more work counted ("handles 40% more events")
 *   is productivity, learning it within a day ease of use, less time spent
 *   (uncounted) time savings; a price named with another measure is the
 *   news ("the renewal price is 20% higher"); a question of three words or
 *   fewer naming a topic asks for it; a cue without a topic reports "other"
 *   only outside questions and complaints; a thing a user keeps (file,
 *   record, note...) named missing, blank or gone, or asked for with
 *   "where ... ?", is lost data.
 */
#ifndef TEXTCAT_H
#define TEXTCAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most words in a term, and bytes in one word, that can ever match. */
#define TC_MAX_TERM_TOKENS 32
#define TC_MAX_TOKEN_BYTES 255

/* Largest |weight| of a positive or negative term; larger ones are capped. */
#define TC_MAX_WEIGHT 10.0

/* The caller's allocator: never returns NULL, blocks are never freed. */
typedef struct TcAllocator
{
	void	   *(*alloc) (void *ctx, size_t size);
	void	   *ctx;
} TcAllocator;

typedef enum TcCategory
{
	TC_PAIN_POINT,
	TC_FEATURE_REQUEST,
	TC_VALUE_DRIVER,
	TC_SUCCESS_INDICATOR,
	TC_POSITIVE,
	TC_NEGATIVE,
	TC_FEATURE,					/* a catalog feature named in the text */
	TC_NUM_CATEGORIES
} TcCategory;

/* One lexicon entry; see the top of this file for how each field is read. */
typedef struct TcPhrase
{
	const char *term;
	TcCategory	category;
	const char *theme;
	double		weight;
	bool		own;			/* a row of the deployment, not a built-in */
} TcPhrase;

/* A compiled lexicon; immutable, so one can serve any number of calls. */
typedef struct TcMatcher TcMatcher;

/* Distinct theme names in first-match order, pointing into the matcher. */
typedef struct TcThemeList
{
	const char **themes;
	int			nthemes;
} TcThemeList;

typedef struct TcResult
{
	double		sentiment;		/* in [-1, 1] */
	TcThemeList themes[TC_NUM_CATEGORIES];	/* per category */
	TcThemeList requested;		/* features named in a sentence with a cue */
	/* diagnostics */
	size_t		ntokens;		/* words, numbers, emoticons and emoji */
	int			nvalence;		/* sentiment terms counted */
	double		valence;		/* summed valence before normalizing */
} TcResult;

/* Returns the category of a lexicon category name, or -1 if unknown. */
extern int	tc_category_from_name(const char *name);

/* Returns the name of a category ("feature" for TC_FEATURE). */
extern const char *tc_category_name(TcCategory category);

/*
 * Stores the normalized form of a term in *out (tokens joined by one
 * space, numbers as "#"); returns false if the term can never match.
 */
extern bool tc_normalize_term(const char *term, size_t len, TcAllocator *a,
							  char **out);

/* Returns the built-in English lexicon and its length in *n. */
extern const TcPhrase *tc_builtin_phrases(int *n);

/* Compiles phrases[0..n-1] into a matcher allocated with a. */
extern TcMatcher *tc_matcher_build(const TcPhrase *phrases, int n,
								   TcAllocator *a);

/* Returns the number of enabled entries of a matcher. */
extern int	tc_matcher_entries(const TcMatcher *m);

/* Analyzes text[0..len-1] (any bytes) into *out; allocates with a. */
extern void tc_analyze(const TcMatcher *m, const char *text, size_t len,
					   TcAllocator *a, TcResult *out);

/*
 * The trained model (issue 18; model.c, generated by
 * test/textcat/train_model.py): tc_analyze runs the rules above, then a
 * linear model over the words of the text (hashed unigrams, with negation
 * marked, and bigrams; in a text of two sentences or more, the unigrams of
 * the last one again, marked as such: where a verdict usually is) and over
 * the rules' own result (label, score bin, themes found) decides the label
 * and whether each theme category is present.  A label it is sure of
 * replaces the rules' one (surer when the rules' score is strong; the score
 * then becomes its probability of positive minus negative, moved into the
 * label's band); a category it is sure is absent loses the rules' themes.
 * Within a category, a softmax over its themes (the same features) says
 * which of them the text has: a category it is sure is present but where
 * the rules found none gets the best theme; in a kept one, the best
 * replaces the rule themes when it is not among them and sure enough, and
 * rule themes it finds unlikely go (model.h, tcm_keep_min).  Only themes
 * the matcher defines are scored.  A category's list with a theme the model
 * does not know, or one that an entry with own set reports (TcPhrase: a row
 * of the deployment, whose words the model was not trained on), stays as
 * the rules made it.  The
 * model reads the first TC_MODEL_MAX_WORDS words of a text; the rules read
 * all of it.
 */
#define TC_MODEL_MAX_WORDS 256
#define TC_MODEL_MAX_LAST 64	/* words of the last sentence marked again */
#define TC_MODEL_MAX_INPUT (2 * TC_MODEL_MAX_WORDS + TC_MODEL_MAX_LAST + 64)

/*
 * tc_analyze with options: use_model false gives the rules' result alone;
 * features, if not NULL, receives the model's input (feature hashes, at
 * most TC_MODEL_MAX_INPUT): first those of the words, then those of the
 * rules' result; nfeatures[0] and nfeatures[1] receive where the rules'
 * features start and the total.
 */
extern void tc_analyze_ex(const TcMatcher *m, const char *text, size_t len,
						  TcAllocator *a, TcResult *out, bool use_model,
						  uint32_t *features, int *nfeatures);

/* Returns "positive" (s >= 0.05), "negative" (s <= -0.05) or "neutral". */
extern const char *tc_sentiment_label(double s);

#endif							/* TEXTCAT_H */
