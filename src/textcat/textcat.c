/*
 * textcat.c: feedback categorization: tokenizer, phrase matcher, sentiment.
 *
 * Tokenizer.  Any bytes become a stream of tokens: words (ASCII lowercased,
 * apostrophes inside a word dropped, hyphens, underscores and dots between
 * letters split words, then reduced to a simple singular), numbers ("10",
 * "20%", "3.5x", "$500", "24/7", "10h", and the number words "two" to
 * "million"), one token per emoticon in a canonical form and per emoji, and
 * break tokens: sentence breaks (. ! ? ; newline, ...) and clause breaks
 * (, : ( ) / and dashes).  UTF-8 letters of any script, and bytes that are
 * not valid UTF-8, are word characters; NUL is a space.  Lexicon terms go
 * through the same tokenizer, so text and terms always agree (the fuzz
 * target checks that a normalized term normalizes to itself and matches
 * its own text).  An elongated word ("sooo", "slowww") is looked up as
 * written, then with runs of three or more letters cut to two, then to one.
 *
 * Matcher.  An Aho-Corasick automaton whose alphabet is the words of the
 * lexicon: every term is a sequence of word ids (any number is the one
 * number id), the trie of those sequences gets failure and output links,
 * and the token stream runs through it once.  Words the lexicon does not
 * know, and breaks, send it back to the root, so phrases match whole words
 * within one clause.  Output links list every term ending at a token,
 * longest first.  Terms are deduplicated per (term, slot) at build time,
 * the last occurrence winning: that is how tenant rows override built-ins.
 *
 * Matches.  Each match waits in a small queue until no longer match can
 * contain it, which the automaton's depth tells: every future match starts
 * after cur + 1 - depth.  A match inside a longer one of a slot that hides
 * it is dropped (see tc_hidden_by).  Then it is finalized: sentiment terms
 * and success indicators add valence; a negated pain point or value driver
 * flips to the other category; a sentiment-bearing pain point or value
 * driver waits for the end of its clause and is dropped if the clause's
 * sentiment has the opposite sign ("simple" in "too many clicks to do
 * simple things"); an aspect (a term with no sentiment word in it, such as
 * "support") waits for the end of its sentence and becomes a pain point or
 * value driver by the sentence's sign; request topics and named features
 * wait for a request cue in their sentence.
 *
 * Sentiment follows the rules of VADER (Hutto and Gilbert, "VADER: A
 * Parsimonious Rule-based Model for Sentiment Analysis of Social Media
 * Text", ICWSM 2014), with our own word list.  The published facts used,
 * from that paper and the constants of its reference implementation
 * (github.com/cjhutto/vaderSentiment, vaderSentiment.py), are: booster
 * increment 0.293 (B_INCR, dampeners -0.293), all-caps increment 0.733
 * (C_INCR) when the text is not all caps, negation factor -0.74
 * (N_SCALAR), booster effect scaled by 0.95 and 0.9 for the second and
 * third word before, the three-word negation window, "but" weighing the
 * text before it 0.5 and after it 1.5, exclamation marks adding 0.292 each
 * up to 4, two or three question marks adding 0.18 each and more adding
 * 0.96, and normalization s / sqrt(s^2 + 15).  Our own additions: the
 * window stops at clause breaks, at "but"/"however" and at an earlier
 * sentiment term (in "didn't understand my problem" the negator belongs to
 * "understand"), and articles do not count in it; "however" contrasts like
 * "but" and both end a clause; an odd number of negators negates; "used
 * to", "less", "fewer", "wish" and "could be"/"should be" negate, while
 * "couldn't be", "should not be" and "not only" do not; an elongated word
 * adds one booster step and an elongated booster counts twice; multi-word
 * phrases take the same rules as words.  VADER's word list is not used.
 *
 * Sentence rules (tc_frame_*): each token also feeds a few facts about its
 * sentence (a measure, a direction, quantities with their values and
 * duration units, a comparison "from A to B" / "B instead of A", words of
 * starting, saving, waiting and replies), read at the end of the sentence
 * into a success indicator, a complaint or praise (textcat.h lists them).
 * Numbers keep their value for this: "half a day" is 720 minutes, "from
 * six days to two" inherits the unit.  The facts are O(1) per sentence.
 *
 * Sentence-level readings (tc_sentence_mood, tc_event_word, the word
 * classes GW_*): what a sentence is as a whole, a question, irony, an
 * event, read from per-sentence and per-clause sums kept as tokens pass;
 * O(1) per token and per sentence.
 *
 * Why linear: the scanner is one forward pass (a failed number is rescanned
 * once as a word); the automaton moves at most one level deeper per token
 * and each failure link moves it up, so failures are paid for by tokens;
 * outputs per token, the look-back window and the match queue are bounded
 * by the lexicon, not the text; each held theme is resolved once.  Memory
 * per call is O(lexicon): a ring of the last few tokens, the queue, one
 * flag byte per theme, the held and result lists; the text is never
 * copied, so a 1 GB text needs no more memory than a short one.
 */
#include "textcat.h"
#include "model.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* VADER's published constants (see above). */
#define TC_B_INCR 0.293
#define TC_B_DECR (-0.293)
#define TC_C_INCR 0.733
#define TC_N_SCALAR (-0.74)
#define TC_ALPHA 15.0
#define TC_BUT_BEFORE 0.5
#define TC_BUT_AFTER 1.5
#define TC_EP_STEP 0.292
#define TC_EP_MAX 4
#define TC_QM_STEP 0.18
#define TC_QM_MAX 0.96

#define TC_BUF (TC_MAX_TOKEN_BYTES + 1)
#define TC_EXTREME 2.8			/* |valence| of an extreme word: "terrible" */
#define TC_WINDOW 3				/* words looked back for negation, boosters */
#define TC_NSLOTS 6

/* Token kinds. */
enum
{
	TK_WORD,
	TK_NUM,
	TK_SYM,						/* emoticon or emoji */
	TK_BREAK
};

/* Classes of code points above ASCII. */
enum
{
	CP_LETTER,
	CP_SPACE,
	CP_APOS,
	CP_SENT,
	CP_CLAUSE,
	CP_EMOJI,
	CP_CURRENCY
};

/* Flags of vocabulary words (TW_) and of tokens in the ring (TT_). */
#define TW_NEG		0x0001		/* negator */
#define TW_CONTRAST 0x0002		/* but, however */
#define TW_KIND		0x0004		/* kind, sort: dampener before "of" */
#define TW_OF		0x0008
#define TW_USED		0x0010		/* used: negator before "to" */
#define TW_TO		0x0020
#define TW_NOT		0x0040		/* not: no negator before "only" */
#define TW_ONLY		0x0080
#define TW_MODAL	0x1000		/* could, should: negator before "be" */
#define TW_BE		0x2000
#define TW_SKIP		0x4000		/* a, an, the: not counted in the window */
#define TT_VALENCE	0x8000		/* part of a sentiment match */
#define TT_BREAK	0x0100
#define TT_CAPS		0x0200		/* all-caps word of two or more letters */
#define TT_MULTI	0x0400		/* word of two or more letters */
#define TT_ELONG	0x0800		/* elongated word */

/* Slots: the key of an entry besides its term (see textcat.h). */
enum
{
	SL_PAIN,
	SL_REQUEST,
	SL_VALUE,
	SL_SUCCESS,
	SL_SENTIMENT,
	SL_FEATURE
};

/* Which slots' longer matches hide a contained match of each slot. */
#define SL_THEMES ((1 << SL_PAIN) | (1 << SL_REQUEST) | (1 << SL_VALUE) | \
				   (1 << SL_SUCCESS))
static const unsigned char tc_hidden_by[TC_NSLOTS] = {
	SL_THEMES,
	SL_THEMES,
	SL_THEMES,
	(1 << SL_SUCCESS),
	(1 << SL_SENTIMENT) | (1 << SL_REQUEST) | (1 << SL_SUCCESS),
	(1 << SL_FEATURE)
};

static const char *const tc_category_names[TC_NUM_CATEGORIES] = {
	"pain_point", "feature_request", "value_driver", "success_indicator",
	"positive", "negative", "feature"
};

/* Grammar words: not lexicon entries, not overridable. */
typedef struct TcFuncWord
{
	const char *word;
	unsigned int flags;
	double		booster;
} TcFuncWord;

static const TcFuncWord tc_func_words[] = {
	{"not", TW_NEG | TW_NOT, 0}, {"no", TW_NEG, 0}, {"never", TW_NEG, 0},
	{"none", TW_NEG, 0}, {"nothing", TW_NEG, 0}, {"nobody", TW_NEG, 0},
	{"nowhere", TW_NEG, 0}, {"neither", TW_NEG, 0}, {"nor", TW_NEG, 0},
	{"without", TW_NEG, 0}, {"zero", TW_NEG, 0}, {"cannot", TW_NEG, 0},
	{"cant", TW_NEG, 0}, {"dont", TW_NEG, 0}, {"doesnt", TW_NEG, 0},
	{"didnt", TW_NEG, 0}, {"isnt", TW_NEG, 0}, {"arent", TW_NEG, 0},
	{"wasnt", TW_NEG, 0}, {"werent", TW_NEG, 0}, {"wont", TW_NEG, 0},
	{"wouldnt", TW_NEG, 0}, {"couldnt", TW_NEG | TW_MODAL, 0},
	{"shouldnt", TW_NEG | TW_MODAL, 0},
	{"hasnt", TW_NEG, 0}, {"havent", TW_NEG, 0}, {"hadnt", TW_NEG, 0},
	{"aint", TW_NEG, 0}, {"mustnt", TW_NEG, 0}, {"neednt", TW_NEG, 0},
	{"rarely", TW_NEG, 0}, {"seldom", TW_NEG, 0}, {"hardly", TW_NEG, 0},
	{"barely", TW_NEG, 0}, {"less", TW_NEG, 0}, {"fewer", TW_NEG, 0},
	{"wish", TW_NEG, 0},
	{"but", TW_CONTRAST, 0}, {"however", TW_CONTRAST, 0},
	{"kind", TW_KIND, 0}, {"sort", TW_KIND, 0}, {"of", TW_OF, 0},
	{"used", TW_USED, 0}, {"to", TW_TO, 0}, {"only", TW_ONLY, 0},
	{"could", TW_MODAL, 0}, {"should", TW_MODAL, 0}, {"be", TW_BE, 0},
	{"a", TW_SKIP, 0}, {"an", TW_SKIP, 0}, {"the", TW_SKIP, 0},
	{"very", 0, TC_B_INCR}, {"really", 0, TC_B_INCR},
	{"extremely", 0, TC_B_INCR}, {"super", 0, TC_B_INCR},
	{"so", 0, TC_B_INCR}, {"too", 0, TC_B_INCR}, {"incredibly", 0, TC_B_INCR},
	{"absolutely", 0, TC_B_INCR}, {"totally", 0, TC_B_INCR},
	{"completely", 0, TC_B_INCR}, {"highly", 0, TC_B_INCR},
	{"hugely", 0, TC_B_INCR}, {"insanely", 0, TC_B_INCR},
	{"seriously", 0, TC_B_INCR}, {"truly", 0, TC_B_INCR},
	{"utterly", 0, TC_B_INCR}, {"especially", 0, TC_B_INCR},
	{"exceptionally", 0, TC_B_INCR}, {"remarkably", 0, TC_B_INCR},
	{"ridiculously", 0, TC_B_INCR}, {"unbelievably", 0, TC_B_INCR},
	{"amazingly", 0, TC_B_INCR}, {"painfully", 0, TC_B_INCR},
	{"terribly", 0, TC_B_INCR}, {"awfully", 0, TC_B_INCR},
	{"massively", 0, TC_B_INCR}, {"deeply", 0, TC_B_INCR},
	{"entirely", 0, TC_B_INCR}, {"much", 0, TC_B_INCR},
	{"most", 0, TC_B_INCR}, {"more", 0, TC_B_INCR}, {"way", 0, TC_B_INCR},
	{"constantly", 0, TC_B_INCR}, {"always", 0, TC_B_INCR},
	{"pretty", 0, TC_B_INCR}, {"lot", 0, TC_B_INCR}, {"such", 0, TC_B_INCR},
	{"slightly", 0, TC_B_DECR}, {"somewhat", 0, TC_B_DECR},
	{"bit", 0, TC_B_DECR}, {"little", 0, TC_B_DECR},
	{"kinda", 0, TC_B_DECR}, {"sorta", 0, TC_B_DECR}, {"lowkey", 0, TC_B_DECR},
	{"fairly", 0, TC_B_DECR}, {"mostly", 0, TC_B_DECR},
	{"partly", 0, TC_B_DECR}, {"marginally", 0, TC_B_DECR},
	{"occasionally", 0, TC_B_DECR}, {"sometimes", 0, TC_B_DECR},
	{"mildly", 0, TC_B_DECR}, {"reasonably", 0, TC_B_DECR},
	{"relatively", 0, TC_B_DECR}, {"almost", 0, TC_B_DECR}
};

/*
 * Word classes of the sentence-level rules (tc_sentence_mood, the event
 * and contrast rules of tc_analyze): bits of TcWord.gram, set at build
 * time so that reading a token costs one bit test.
 */
#define GW_AUX		0x0001		/* opens a yes/no question: is, can, does */
#define GW_INTERJ	0x0002		/* oh, wow, yeah: no content of its own */
#define GW_SCOPE	0x0004		/* a negator that scopes its clause */
#define GW_RESOLVE	0x0008		/* a word of fixing: the trouble is over */
#define GW_GOING	0x0010		/* "keeps working": not an unwanted event */
#define GW_MODAL	0x0020		/* can, to: "so they can stop" is a wish */
#define GW_CONTRAST 0x0040		/* yet, although: a contrast opening a clause */
#define GW_KEEP		0x0080
#define GW_STOP		0x0100
#define GW_STOPPED	0x0200
#define GW_STILL	0x0400
#define GW_TWICE	0x0800
#define GW_TIME		0x1000
#define GW_WOULD	0x2000
#define GW_EXCEPT	0x4000
#define GW_CLOSING	0x8000		/* thanks, regards, best: heads a closing formula */
#define GW_CLOSEFILL 0x10000	/* you, in, advance, kind: fill one out */
#define GW_TITLE	0x20000		/* of, and, at: lowercase words of a signature */
#define GW_GOOD		0x40000		/* good: a greeting before a part of the day */
#define GW_DAYPART	0x80000		/* morning, afternoon, evening */
#define GW_LOAD		0x100000	/* load, open, sync: the product doing work */
#define GW_WHY		0x200000	/* why: a question opened by it complains */
#define GW_SINCE	0x400000	/* since: not working since a time */
#define GW_LOADING	0x800000	/* loading, spinning, exceeding: for how long */
#define GW_WORK		0x1000000	/* handle, manage, ship: work a team gets done */
#define GW_THOUGH	0x2000000	/* though: ending a sentence, it turns */
#define GW_GREET	0x4000000	/* dear, hi, hello: opening a greeting */
#define GW_LEARN	0x8000000	/* learn, picked, figured: finding one's way */
#define GW_ABSENT	0x10000000	/* missing, blank, empty: not there */
#define GW_DATA		0x20000000	/* file, entry, record: what a user keeps */
#define GW_WHERE	0x40000000	/* where: "where did my notes go?" */
#define GW_FIRST	0x80000000u	/* first: "on their first day" is one day */

typedef struct TcGramWord
{
	const char *word;
	unsigned int gram;
} TcGramWord;

static const TcGramWord tc_gram_words[] = {
	{"is", GW_AUX}, {"are", GW_AUX}, {"am", GW_AUX}, {"was", GW_AUX},
	{"were", GW_AUX}, {"can", GW_AUX | GW_MODAL}, {"could", GW_AUX | GW_MODAL},
	{"do", GW_AUX}, {"does", GW_AUX}, {"did", GW_AUX},
	{"will", GW_AUX | GW_MODAL}, {"would", GW_AUX | GW_MODAL | GW_WOULD},
	{"should", GW_AUX}, {"has", GW_AUX}, {"have", GW_AUX}, {"may", GW_AUX},
	{"shall", GW_AUX}, {"any", GW_AUX}, {"anyone", GW_AUX}, {"anybody", GW_AUX},
	{"to", GW_MODAL}, {"please", GW_MODAL},
	{"oh", GW_INTERJ}, {"ah", GW_INTERJ}, {"wow", GW_INTERJ}, {"yeah", GW_INTERJ},
	{"yay", GW_INTERJ}, {"just", GW_INTERJ}, {"well", GW_INTERJ},
	{"sure", GW_INTERJ}, {"gee", GW_INTERJ}, {"how", GW_INTERJ},
	{"what", GW_INTERJ},
	{"never", GW_SCOPE}, {"not", GW_SCOPE}, {"nobody", GW_SCOPE},
	{"nothing", GW_SCOPE}, {"none", GW_SCOPE},
	{"fix", GW_RESOLVE}, {"fixed", GW_RESOLVE}, {"fixing", GW_RESOLVE},
	{"solve", GW_RESOLVE}, {"solved", GW_RESOLVE}, {"resolve", GW_RESOLVE},
	{"resolved", GW_RESOLVE}, {"sorted", GW_RESOLVE}, {"restored", GW_RESOLVE},
	{"recovered", GW_RESOLVE}, {"handled", GW_RESOLVE}, {"rescued", GW_RESOLVE},
	{"saved", GW_RESOLVE},
	{"working", GW_GOING}, {"running", GW_GOING}, {"going", GW_GOING},
	{"improving", GW_GOING}, {"growing", GW_GOING}, {"getting", GW_GOING},
	{"yet", GW_CONTRAST}, {"although", GW_CONTRAST}, {"whereas", GW_CONTRAST},
	{"keep", GW_KEEP}, {"kept", GW_KEEP}, {"stop", GW_STOP},
	{"stopped", GW_STOPPED}, {"still", GW_STILL}, {"twice", GW_TWICE},
	{"time", GW_TIME}, {"except", GW_EXCEPT},
	{"thanks", GW_CLOSING}, {"thank", GW_CLOSING}, {"thx", GW_CLOSING},
	{"regards", GW_CLOSING}, {"cheers", GW_CLOSING}, {"best", GW_CLOSING},
	{"wishes", GW_CLOSING}, {"sincerely", GW_CLOSING},
	{"you", GW_CLOSEFILL}, {"many", GW_CLOSEFILL}, {"again", GW_CLOSEFILL},
	{"much", GW_CLOSEFILL}, {"so", GW_CLOSEFILL}, {"in", GW_CLOSEFILL},
	{"advance", GW_CLOSEFILL}, {"kind", GW_CLOSEFILL}, {"warm", GW_CLOSEFILL},
	{"warmest", GW_CLOSEFILL}, {"all", GW_CLOSEFILL}, {"very", GW_CLOSEFILL},
	{"with", GW_CLOSEFILL}, {"yours", GW_CLOSEFILL},
	{"of", GW_TITLE}, {"and", GW_TITLE}, {"at", GW_TITLE}, {"the", GW_TITLE},
	{"for", GW_TITLE}, {"good", GW_GOOD}, {"morning", GW_DAYPART},
	{"afternoon", GW_DAYPART}, {"evening", GW_DAYPART},
	{"load", GW_LOAD}, {"loading", GW_LOAD | GW_LOADING}, {"open", GW_LOAD},
	{"opening", GW_LOAD}, {"sync", GW_LOAD}, {"syncing", GW_LOAD},
	{"upload", GW_LOAD}, {"uploading", GW_LOAD}, {"generate", GW_LOAD},
	{"generation", GW_LOAD}, {"render", GW_LOAD}, {"refresh", GW_LOAD},
	{"respond", GW_LOAD}, {"response", GW_LOAD},
	{"exceed", GW_LOAD | GW_LOADING}, {"exceeding", GW_LOAD | GW_LOADING},
	{"spin", GW_LOAD | GW_LOADING}, {"spinning", GW_LOAD | GW_LOADING},
	{"finish", GW_LOAD}, {"appear", GW_LOAD}, {"process", GW_LOAD},
	{"processing", GW_LOAD | GW_LOADING}, {"save", GW_LOAD}, {"saving", GW_LOAD},
	{"why", GW_WHY}, {"since", GW_SINCE},
	{"handle", GW_WORK}, {"handled", GW_WORK}, {"manage", GW_WORK},
	{"managed", GW_WORK}, {"process", GW_WORK}, {"processed", GW_WORK},
	{"close", GW_WORK}, {"closed", GW_WORK}, {"ship", GW_WORK},
	{"shipped", GW_WORK}, {"publish", GW_WORK}, {"published", GW_WORK},
	{"complete", GW_WORK}, {"completed", GW_WORK}, {"resolve", GW_WORK},
	{"resolved", GW_WORK}, {"serve", GW_WORK}, {"served", GW_WORK},
	{"deliver", GW_WORK}, {"delivered", GW_WORK}, {"produce", GW_WORK},
	{"produced", GW_WORK}, {"though", GW_THOUGH},
	{"dear", GW_GREET}, {"hi", GW_GREET}, {"hello", GW_GREET}, {"hey", GW_GREET},
	{"learn", GW_LEARN}, {"learned", GW_LEARN}, {"learnt", GW_LEARN},
	{"picked", GW_LEARN}, {"figured", GW_LEARN},
	{"missing", GW_ABSENT}, {"blank", GW_ABSENT}, {"empty", GW_ABSENT},
	{"gone", GW_ABSENT}, {"where", GW_WHERE}, {"first", GW_FIRST},
	{"file", GW_DATA}, {"entry", GW_DATA}, {"entries", GW_DATA}, {"field", GW_DATA},
	{"record", GW_DATA}, {"note", GW_DATA}, {"contact", GW_DATA}, {"data", GW_DATA},
	{"history", GW_DATA}, {"attachment", GW_DATA}, {"draft", GW_DATA},
	{"document", GW_DATA}, {"photo", GW_DATA}, {"message", GW_DATA},
	{"timesheet", GW_DATA}, {"filter", GW_DATA}, {"setting", GW_DATA},
	{"folder", GW_DATA}, {"project", GW_DATA}, {"task", GW_DATA}, {"list", GW_DATA}
};

/*
 * Frame words: the classes the sentence rules of tc_frame_sentence read.
 * Flags share the word's flag word with TW_* (bits above 0xFFFF).
 */
#define FW_UP		0x00010000	/* rose, grew, up, more */
#define FW_DOWN		0x00020000	/* fell, cut, down, fewer */
#define FW_QTY		0x00040000	/* a quantity word: twice, half, a third */
#define FW_UNIT		0x00080000	/* a unit of duration; value: its minutes */
#define FW_METRIC	0x00100000	/* a measure of the business: revenue, churn */
#define FW_FROM		0x00200000
#define FW_INSTEAD	0x00400000
#define FW_START	0x00800000	/* getting started: setup, live, install */
#define FW_SAVE		0x01000000
#define FW_WAIT		0x02000000	/* waiting on people: reply, wait, callback */
#define FW_TO		0x04000000
#define FW_FILL		0x08000000	/* full, whole: "a full day" is a day */
#define FW_COUNT	0x10000000	/* time: after a quantity, a count of times */
#define FW_IN		0x20000000
#define FW_REPLY	0x40000000	/* a reply from people: reply, answer, callback */
#define FW_TAKE		0x80000000	/* take, took: a duration it takes */

typedef struct TcFrameWord
{
	const char *word;
	uint32_t	flags;
	double		value;			/* quantity, or minutes of a unit */
	signed char good;			/* metric: +1 up is good news, -1 down is */
	const char *success;		/* metric: success indicator theme, or NULL */
	const char *pain;			/* metric: pain point theme, or NULL */
} TcFrameWord;

#define FQ(w, fl, v) {w, FW_QTY | (fl), v, 0, NULL, NULL}
#define FU(w, m) {w, FW_UNIT, m, 0, NULL, NULL}
#define FM(w, good, success, pain) {w, FW_METRIC, 0, good, success, pain}
#define FF(w, fl) {w, fl, 0, 0, NULL, NULL}

static const TcFrameWord tc_frame_words[] = {
	/* direction */
	FF("up", FW_UP), FF("rise", FW_UP), FF("rose", FW_UP), FF("risen", FW_UP),
	FF("grow", FW_UP), FF("grew", FW_UP), FF("grown", FW_UP),
	FF("increase", FW_UP), FF("increased", FW_UP), FF("higher", FW_UP),
	FF("jump", FW_UP), FF("jumped", FW_UP), FF("climb", FW_UP),
	FF("climbed", FW_UP), FF("boost", FW_UP), FF("boosted", FW_UP),
	FF("gain", FW_UP), FF("gained", FW_UP), FF("more", FW_UP),
	FF("raise", FW_UP), FF("raised", FW_UP), FF("hike", FW_UP),
	FF("hiked", FW_UP), FF("spike", FW_UP), FF("spiked", FW_UP),
	FF("soar", FW_UP), FF("soared", FW_UP), FF("improve", FW_UP),
	FF("improved", FW_UP), FF("larger", FW_UP), FF("bigger", FW_UP),
	FF("added", FW_UP), FF("generated", FW_UP), FF("earned", FW_UP),
	FF("down", FW_DOWN), FF("drop", FW_DOWN), FF("dropped", FW_DOWN),
	FF("fall", FW_DOWN), FF("fell", FW_DOWN), FF("fallen", FW_DOWN),
	FF("cut", FW_DOWN | FW_SAVE), FF("reduce", FW_DOWN | FW_SAVE),
	FF("reduced", FW_DOWN | FW_SAVE), FF("shortened", FW_DOWN | FW_SAVE),
	FF("creep", FW_UP), FF("creeping", FW_UP),
	FF("decrease", FW_DOWN), FF("decreased", FW_DOWN), FF("lower", FW_DOWN),
	FF("lowered", FW_DOWN), FF("shrink", FW_DOWN), FF("shrank", FW_DOWN),
	FF("shrunk", FW_DOWN), FF("slash", FW_DOWN), FF("slashed", FW_DOWN),
	FF("less", FW_DOWN), FF("fewer", FW_DOWN), FF("decline", FW_DOWN),
	FF("declined", FW_DOWN), FF("shorter", FW_DOWN), FF("smaller", FW_DOWN),
	FF("trim", FW_DOWN | FW_SAVE), FF("trimmed", FW_DOWN | FW_SAVE),
	FF("halve", FW_DOWN | FW_SAVE), FF("halved", FW_DOWN | FW_SAVE),
	/* quantities: numbers are quantities too */
	FQ("twice", FW_UP, 2), FQ("double", FW_UP, 2), FQ("doubled", FW_UP, 2),
	FQ("triple", FW_UP, 3), FQ("tripled", FW_UP, 3),
	FQ("quadrupled", FW_UP, 4), FQ("doubling", FW_UP, 2), FQ("tripling", FW_UP, 3), FQ("half", FW_DOWN, 0.5),
	FQ("one", 0, 1), FQ("few", 0, 3), FQ("couple", 0, 2), FQ("third", 0, 1.0 / 3), FQ("quarter", 0, 0.25), FQ("fraction", FW_DOWN, 0.1),
	/* units of duration, in minutes */
	FU("second", 1.0 / 60), FU("minute", 1), FU("hour", 60), FU("day", 1440),
	FU("week", 10080), FU("month", 43200), FU("year", 525600),
	FU("morning", 240), FU("afternoon", 240), FU("evening", 240),
	FU("weekend", 2880), FU("fortnight", 20160), FU("summer", 129600),
	FU("winter", 129600),
	/* measures: moving the good way is a success indicator */
	FM("revenue", 1, "revenue", NULL), FM("sale", 1, "revenue", NULL),
	FM("arr", 1, "revenue", NULL), FM("mrr", 1, "revenue", NULL),
	FM("income", 1, "revenue", NULL), FM("profit", 1, "revenue", NULL),
	FM("margin", 1, "revenue", NULL), FM("upsell", 1, "revenue", NULL),
	FM("deal", 1, "revenue", NULL), FM("aov", 1, "revenue", NULL),
	FM("conversion", 1, "conversion", NULL), FM("signup", 1, "conversion", NULL),
	FM("lead", 1, "conversion", NULL), FM("ctr", 1, "conversion", NULL),
	FM("booking", 1, "revenue", NULL), FM("cancel", -1, "retention", NULL),
	FM("churn", -1, "retention", NULL), FM("renewal", 1, "retention", NULL),
	FM("retention", 1, "retention", NULL), FM("cancellation", -1, "retention", NULL),
	FM("cost", -1, "cost_savings", "pricing"), FM("bill", -1, "cost_savings", "pricing"),
	FM("spend", -1, "cost_savings", NULL), FM("spending", -1, "cost_savings", NULL),
	FM("expense", -1, "cost_savings", NULL), FM("price", -1, NULL, "pricing"),
	FM("fee", -1, NULL, "pricing"), FM("rate", 1, "conversion", NULL),
	FM("bounce", -1, NULL, NULL),
	FM("productivity", 1, "productivity", NULL), FM("output", 1, "productivity", NULL),
	FM("throughput", 1, "productivity", NULL), FM("ticket", 1, "productivity", NULL),
	FM("order", 1, "productivity", NULL), FM("velocity", 1, "productivity", NULL),
	FM("adoption", 1, "adoption", NULL), FM("user", 1, "adoption", NULL), FM("usage", 1, "adoption", NULL),
	FM("engagement", 1, "adoption", NULL), FM("roi", 1, "roi", NULL),
	{"time", FW_METRIC | FW_COUNT, 0, -1, "time_saved", "performance"}, FM("latency", -1, NULL, "performance"),
	FM("error", -1, NULL, "reliability"), FM("downtime", -1, NULL, "reliability"),
	/* the rest */
	FF("from", FW_FROM), FF("to", FW_TO), FF("instead", FW_INSTEAD),
	FF("used", FW_INSTEAD | FW_FROM), FF("now", FW_TO), FF("today", FW_TO),
	FF("setup", FW_START), FF("set", FW_START), FF("install", FW_START),
	FF("installed", FW_START), FF("live", FW_START), FF("running", FW_START),
	FF("onboard", FW_START), FF("onboarded", FW_START),
	FF("onboarding", FW_START), FF("configure", FW_START),
	FF("configured", FW_START), FF("implementation", FW_START),
	FF("rollout", FW_START), FF("deploy", FW_START), FF("deployed", FW_START),
	FF("started", FW_START), FF("migration", FW_START),
	FF("save", FW_SAVE), FF("saved", FW_SAVE), FF("saving", FW_SAVE),
	FF("free", FW_SAVE), FF("freed", FW_SAVE),
	FF("take", FW_TAKE), FF("took", FW_TAKE), FF("taking", FW_TAKE),
	FF("taken", FW_TAKE),
	FF("wait", FW_WAIT), FF("waited", FW_WAIT), FF("waiting", FW_WAIT),
	FF("reply", FW_REPLY), FF("replied", FW_REPLY), FF("response", FW_REPLY),
	FF("respond", FW_REPLY), FF("responded", FW_REPLY), FF("answer", FW_REPLY),
	FF("answered", FW_REPLY), FF("callback", FW_REPLY), FF("hear", FW_REPLY),
	FF("heard", FW_REPLY), FF("fixed", FW_REPLY), FF("resolved", FW_REPLY),
	FF("solved", FW_REPLY),
	FF("full", FW_FILL), FF("whole", FW_FILL), FF("entire", FW_FILL),
	FF("single", FW_FILL), FF("working", FW_FILL), FF("in", FW_IN),
	FF("within", FW_IN)
};

/* Emoticons, longest first; strict ones need a non-word byte before them. */
typedef struct TcEmoticon
{
	const char *text;
	const char *canon;
	bool		strict;
	unsigned char len;			/* of text */
	unsigned char clen;			/* of canon */
} TcEmoticon;

#define EM(t, c, strict) {t, c, strict, sizeof(t) - 1, sizeof(c) - 1}

static const TcEmoticon tc_emoticons[] = {
	EM(":'-(", ":'(", false), EM(">:(", ">:(", false), EM(":'(", ":'(", false),
	EM(":-)", ":)", false), EM(":-]", ":)", false), EM(":-D", ":d", true),
	EM(":-(", ":(", false), EM(":-[", ":(", false), EM(":-P", ":p", true),
	EM(":-p", ":p", true), EM(":-/", ":/", true), EM(":-\\", ":/", true),
	EM(":-|", ":|", false), EM(";-)", ";)", false), EM("</3", "</3", false),
	EM(":)", ":)", false), EM(":]", ":)", false), EM("=)", ":)", false),
	EM(":D", ":d", true), EM(":d", ":d", true), EM("=D", ":d", true),
	EM(":(", ":(", false),
	EM(":[", ":(", false), EM("=(", ":(", false), EM(":P", ":p", true),
	EM(":p", ":p", true), EM(":/", ":/", true), EM(":\\", ":/", true),
	EM(":|", ":|", false), EM(";)", ";)", false), EM("<3", "<3", false)
};

/* A short word and its length. */
typedef struct TcShort
{
	const char *w;
	size_t		n;
} TcShort;

#define SW(s) {s, sizeof(s) - 1}

/* Number words: numbers in text and terms alike ("takes five clicks"). */
static const TcShort tc_number_words[] = {
	SW("two"), SW("three"), SW("four"), SW("five"), SW("six"), SW("seven"),
	SW("eight"), SW("nine"), SW("ten"), SW("eleven"), SW("twelve"),
	SW("fifteen"), SW("twenty"), SW("thirty"), SW("forty"), SW("fifty"),
	SW("hundred"), SW("thousand"), SW("million"), SW("dozen")
};

/* The initials of tc_number_words (t f s e n h m d), one bit a letter. */
#define TC_NUMBER_INITIALS \
	((1u << ('t' - 'a')) | (1u << ('f' - 'a')) | (1u << ('s' - 'a')) | \
	 (1u << ('e' - 'a')) | (1u << ('n' - 'a')) | (1u << ('h' - 'a')) | \
	 (1u << ('m' - 'a')) | (1u << ('d' - 'a')))

/* The value of each number word, in the order of tc_number_words. */
static const double tc_number_values[] = {
	2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 20, 30, 40, 50, 100, 1000, 1e6, 12
};

/* Units a number may carry ("10x", "4k", "10h", "3rd"). */
static const TcShort tc_units[] = {
	SW("x"), SW("k"), SW("m"), SW("b"), SW("h"), SW("hr"), SW("hrs"),
	SW("min"), SW("mins"), SW("ms"), SW("s"), SW("sec"), SW("secs"), SW("d"),
	SW("w"), SW("wk"), SW("wks"), SW("mo"), SW("yr"), SW("yrs"), SW("am"),
	SW("pm"), SW("st"), SW("nd"), SW("rd"), SW("th"), SW("kb"), SW("mb"),
	SW("gb"), SW("tb")
};

/* Minutes in one of each duration unit a number may carry (others: 0). */
static const struct
{
	const char *u;
	double		minutes;
}			tc_unit_minutes[] = {
	{"h", 60}, {"hr", 60}, {"hrs", 60}, {"min", 1}, {"mins", 1}, {"s", 1.0 / 60},
	{"sec", 1.0 / 60}, {"secs", 1.0 / 60}, {"d", 1440}, {"w", 10080}, {"wk", 10080},
	{"wks", 10080}, {"mo", 43200}, {"yr", 525600}, {"yrs", 525600}
};

/* Value driver <-> pain point themes with different names, for negation. */
static const char *const tc_flip_names[][2] = {
	{"usability", "ease_of_use"},
	{"support", "support_quality"}
};

#define lengthof(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------------
 * Allocation
 */

/* Returns n * size bytes; asks for SIZE_MAX (refused) on overflow. */
static void *
tc_alloc(TcAllocator *a, size_t n, size_t size)
{
	size_t		total;

	if (size != 0 && n > SIZE_MAX / size)
		return a->alloc(a->ctx, SIZE_MAX);
	total = n * size;
	return a->alloc(a->ctx, total > 0 ? total : 1);
}

/* Returns a + b, or SIZE_MAX on overflow. */
static size_t
tc_add(size_t a, size_t b)
{
	return (a > SIZE_MAX - b) ? SIZE_MAX : a + b;
}

/* Returns the smallest power of two >= n and >= 16. */
static size_t
tc_pow2(size_t n)
{
	size_t		p = 16;

	while (p < n && p <= SIZE_MAX / 2)
		p *= 2;
	return p;
}

/* ---------------------------------------------------------------------
 * Characters
 */

/* Returns true for an ASCII letter. */
static inline bool
tc_is_alpha(unsigned int c)
{
	return (unsigned int) ((c | 0x20) - 'a') < 26;
}

/* Returns true for an ASCII digit. */
static inline bool
tc_is_digit(unsigned int c)
{
	return (unsigned int) (c - '0') < 10;
}

/* Returns true for an ASCII letter or digit. */
static inline bool
tc_is_alnum(unsigned int c)
{
	return tc_is_alpha(c) || tc_is_digit(c);
}

/* Decodes one UTF-8 sequence; returns its length, 0 if invalid. */
static int
tc_utf8(const unsigned char *p, size_t avail, uint32_t *cp)
{
	unsigned int c = p[0];

	if (c < 0x80)
	{
		*cp = c;
		return 1;
	}
	if (c < 0xC2 || c > 0xF4)
		return 0;
	if (c < 0xE0)
	{
		if (avail < 2 || (p[1] & 0xC0) != 0x80)
			return 0;
		*cp = ((c & 0x1F) << 6) | (p[1] & 0x3F);
		return 2;
	}
	if (c < 0xF0)
	{
		if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
			(c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
			return 0;
		*cp = ((c & 0x0F) << 12) | ((uint32_t) (p[1] & 0x3F) << 6) | (p[2] & 0x3F);
		return 3;
	}
	if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		(p[3] & 0xC0) != 0x80 || (c == 0xF0 && p[1] < 0x90) ||
		(c == 0xF4 && p[1] >= 0x90))
		return 0;
	*cp = ((uint32_t) (c & 0x07) << 18) | ((uint32_t) (p[1] & 0x3F) << 12) |
		((uint32_t) (p[2] & 0x3F) << 6) | (p[3] & 0x3F);
	return 4;
}

/* Returns the class of a code point >= 0x80. */
static int
tc_cp_class(uint32_t cp)
{
	if (cp < 0xC0)
	{
		switch (cp)
		{
			case 0xA1:
			case 0xAB:
			case 0xBB:
			case 0xBF:
				return CP_CLAUSE;
			case 0xA2:
			case 0xA3:
			case 0xA5:
				return CP_CURRENCY;
			case 0xB4:
				return CP_APOS;
			case 0xAA:
			case 0xB5:
			case 0xBA:
				return CP_LETTER;
			default:
				return CP_SPACE;	/* C1 controls, NBSP, symbols */
		}
	}
	if (cp == 0xD7 || cp == 0xF7)
		return CP_SPACE;
	if (cp == 0x2BC)
		return CP_APOS;
	if (cp < 0x2000)
		return CP_LETTER;
	if (cp < 0x2070)
	{
		switch (cp)
		{
			case 0x2018:
			case 0x2019:
				return CP_APOS;
			case 0x2026:
			case 0x203C:
			case 0x2047:
			case 0x2048:
			case 0x2049:
				return CP_SENT;
			case 0x2013:
			case 0x2014:
			case 0x2015:
			case 0x2039:
			case 0x203A:
				return CP_CLAUSE;
			default:
				return CP_SPACE;
		}
	}
	if (cp >= 0x20A0 && cp < 0x20D0)
		return CP_CURRENCY;
	if ((cp >= 0x2300 && cp < 0x2400) || (cp >= 0x2600 && cp < 0x27C0) ||
		(cp >= 0x2B00 && cp < 0x2C00))
		return CP_EMOJI;
	if (cp < 0x2C00)
		return CP_SPACE;		/* letterlike, arrows, math, shapes */
	if (cp >= 0x3000 && cp < 0x3040)
		return (cp == 0x3002) ? CP_SENT : (cp == 0x3001) ? CP_CLAUSE : CP_SPACE;
	if ((cp >= 0xFE00 && cp < 0xFE10) || cp == 0xFEFF)
		return CP_SPACE;		/* variation selectors, BOM */
	if (cp == 0xFF01 || cp == 0xFF0E || cp == 0xFF1B || cp == 0xFF1F)
		return CP_SENT;
	if (cp == 0xFF0C || cp == 0xFF1A)
		return CP_CLAUSE;
	if (cp >= 0x1F3FB && cp < 0x1F400)
		return CP_SPACE;		/* skin tones */
	if (cp >= 0x1F000 && cp < 0x1FB00)
		return CP_EMOJI;
	if (cp >= 0xE0000 && cp < 0xE0080)
		return CP_SPACE;		/* tags */
	return CP_LETTER;
}

/* ---------------------------------------------------------------------
 * Tokenizer
 */

typedef struct TcScan
{
	const unsigned char *p;
	size_t		len;
	size_t		pos;
	bool		term;			/* tokenizing a lexicon term */
	bool		started;		/* a token was returned */
	int			brk;			/* pending break level */
	/* the current token */
	int			kind;
	int			level;			/* of a break: 1 clause, 2 sentence */
	size_t		rlen;			/* bytes of raw[]; > TC_MAX_TOKEN_BYTES: too long */
	uint32_t	rhash;			/* tc_hash of raw[0..rlen-1], seed 0, if rhashed */
	bool		rhashed;		/* set by tc_lookup for the model to read */
	size_t		qlen;			/* bytes of sq[] */
	int			nupper;
	int			nlower;
	bool		elong;
	unsigned char raw[TC_BUF];	/* lowercased word, emoticon or emoji */
	unsigned char sq[TC_BUF];	/* runs of 3+ letters squeezed to 2 */
	unsigned char cut[TC_BUF];	/* sq[i] is the second of a squeezed run */
	/* of a number token */
	double		num;			/* its value (NaN if unknown) */
	double		num_minutes;	/* as a duration when it carries a unit, else 0 */
	bool		money;			/* after a currency sign */
	/* whole-text counts */
	size_t		nexcl;
	size_t		nquest;
	bool		qpend;			/* a question mark in the pending break */
	bool		question;		/* the current break ends a question */
} TcScan;

/* Starts scanning text[0..len-1]; term selects lexicon-term mode. */
static void
tc_scan_init(TcScan *s, const char *text, size_t len, bool term)
{
	s->p = (const unsigned char *) text;
	s->len = text ? len : 0;
	s->pos = 0;
	s->term = term;
	s->started = false;
	s->brk = 0;
	s->nexcl = 0;
	s->nquest = 0;
	s->qpend = false;
	s->question = false;
	s->rhashed = false;
}

/* Returns true (a break token is ready) if a break is due before a token. */
static inline bool
tc_break_first(TcScan *s)
{
	if (s->brk == 0)
		return false;
	if (!s->started || s->term)
	{
		s->brk = 0;
		s->qpend = false;
		return false;
	}
	s->kind = TK_BREAK;
	s->level = s->brk;
	s->question = s->qpend;
	s->brk = 0;
	s->qpend = false;
	return true;
}

/* Marks that a token was returned; returns true. */
static inline bool
tc_token_done(TcScan *s)
{
	s->started = true;
	return true;
}

/* Sets a token of fixed bytes (emoticon, emoji, number). */
static void
tc_set_token(TcScan *s, int kind, const unsigned char *b, size_t n)
{
	s->kind = kind;
	memcpy(s->raw, b, n);
	s->rlen = n;
	memcpy(s->sq, b, n);
	s->qlen = n;
	s->nupper = s->nlower = 0;
	s->elong = false;
}

/* Returns true if p[i] is an ASCII word character or a non-ASCII letter. */
static bool
tc_word_char_at(const unsigned char *p, size_t len, size_t i)
{
	uint32_t	cp;
	int			n;

	if (i >= len)
		return false;
	if (p[i] < 0x80)
		return tc_is_alnum(p[i]);
	n = tc_utf8(p + i, len - i, &cp);
	return n == 0 || tc_cp_class(cp) == CP_LETTER;
}

/* Returns the emoticon at p[i], or NULL. */
static const TcEmoticon *
tc_emoticon_at(const unsigned char *p, size_t len, size_t i)
{
	size_t		k;

	for (k = 0; k < lengthof(tc_emoticons); k++)
	{
		const TcEmoticon *e = &tc_emoticons[k];
		size_t		n = e->len;

		if (n > len - i || memcmp(p + i, e->text, n) != 0)
			continue;
		if (tc_word_char_at(p, len, i + n))
			continue;
		if (e->strict && i > 0 && tc_is_alnum(p[i - 1]))
			continue;
		return e;
	}
	return NULL;
}

/* Returns true if p[0..n-1] is a unit a number may carry. */
static bool
tc_is_unit(const unsigned char *p, size_t n)
{
	size_t		k;
	size_t		j;
	char		lower[5];

	if (n > 4)
		return false;
	for (j = 0; j < n; j++)
		lower[j] = (char) (p[j] | 0x20);
	for (k = 0; k < lengthof(tc_units); k++)
		if (tc_units[k].n == n && memcmp(tc_units[k].w, lower, n) == 0)
			return true;
	return false;
}

/* Returns the end of a number whose digits start at q, or 0 if none. */
static size_t
tc_number_end(const unsigned char *p, size_t len, size_t q)
{
	size_t		r;

	while (q < len && tc_is_digit(p[q]))
		q++;
	while (q + 1 < len &&
		   (p[q] == '.' || p[q] == ',' || p[q] == ':' || p[q] == '/') &&
		   tc_is_digit(p[q + 1]))
	{
		q += 2;
		while (q < len && tc_is_digit(p[q]))
			q++;
	}
	if (q < len && p[q] == '%')
		return q + 1;
	r = q;
	while (r < len && tc_is_alpha(p[r]) && r - q < 5)
		r++;
	if (tc_word_char_at(p, len, r))
		return 0;				/* "2fa", "365days": a word */
	if (r > q && !tc_is_unit(p + q, r - q))
		return 0;
	return r;
}

/* Returns the value of the digits at p[q..end-1] ("1,000", "3.5"), NaN if none. */
static double
tc_number_value(const unsigned char *p, size_t q, size_t end)
{
	double		v = 0;
	double		frac = 0;
	bool		any = false;

	for (; q < end; q++)
	{
		if (tc_is_digit(p[q]))
		{
			any = true;
			if (frac > 0)
				v += (p[q] - '0') * (frac /= 10);
			else
				v = v * 10 + (p[q] - '0');
		}
		else if (p[q] == '.' && frac == 0)
			frac = 1;
		else if (p[q] != ',')
			break;
	}
	return any ? v : NAN;
}

/* Scans a number whose digits start at q; returns false if it is none. */
static bool
tc_scan_number(TcScan *s, size_t q)
{
	size_t		end = tc_number_end(s->p, s->len, q);
	size_t		u = q;
	size_t		k;

	if (end == 0)
		return false;
	tc_set_token(s, TK_NUM, (const unsigned char *) "#", 1);
	s->pos = end;
	s->money = false;
	s->num = tc_number_value(s->p, q, end);
	s->num_minutes = 0;
	while (u < end && !tc_is_alpha(s->p[u]))
		u++;
	if (u < end && (s->p[u] | 0x20) == 'k' && end - u == 1)
		s->num *= 1000;
	for (k = 0; u < end && end - u <= 4 && k < lengthof(tc_unit_minutes); k++)
	{
		const char *w = tc_unit_minutes[k].u;
		size_t		j;

		for (j = 0; j < end - u && w[j] == (char) (s->p[u + j] | 0x20); j++)
			;
		if (j == end - u && w[j] == '\0')
			s->num_minutes = s->num * tc_unit_minutes[k].minutes;
	}
	return true;
}

/* Appends a byte to the raw and squeezed forms of the current word. */
static inline void
tc_put(TcScan *s, unsigned int c, bool letter)
{
	if (s->rlen < TC_BUF)
		s->raw[s->rlen] = (unsigned char) c;
	s->rlen++;
	if (letter && s->qlen >= 2 && s->qlen <= TC_BUF &&
		s->sq[s->qlen - 1] == c && s->sq[s->qlen - 2] == c)
	{
		s->elong = true;
		s->cut[s->qlen - 1] = 1;
		return;
	}
	if (s->qlen < TC_BUF)
	{
		s->sq[s->qlen] = (unsigned char) c;
		s->cut[s->qlen] = 0;
	}
	s->qlen++;
}

/*
 * Reduces a word to a simple singular in place and returns its length:
 * -ies -> -y, -sses/-xes/-ches/-shes lose -es, other -s (not -ss, -us,
 * -is) lose -s; words under four bytes are kept.  Text and terms go
 * through it alike, so it only has to be consistent, not correct English.
 */
static size_t
tc_singular(unsigned char *w, size_t n)
{
	if (n < 4 || w[n - 1] != 's' || w[n - 2] == 's' || w[n - 2] == 'u' ||
		w[n - 2] == 'i')
		return n;
	if (w[n - 2] == 'e' && w[n - 3] == 'i' && n >= 5)
	{
		w[n - 3] = 'y';
		return n - 2;
	}
	if (w[n - 2] == 'e' && n >= 5 &&
		((w[n - 3] == 's' && w[n - 4] == 's') || w[n - 3] == 'x' ||
		 (w[n - 3] == 'h' && (w[n - 4] == 'c' || w[n - 4] == 's'))))
		return n - 2;
	return n - 1;
}

/* Scans a word starting at s->pos. */
static void
tc_scan_word(TcScan *s)
{
	const unsigned char *p = s->p;
	size_t		len = s->len;
	size_t		q = s->pos;
	bool		letters;

	s->kind = TK_WORD;
	s->rlen = s->qlen = 0;
	s->nupper = s->nlower = 0;
	s->elong = false;
	while (q < len)
	{
		unsigned int c = p[q];

		if (c < 0x80)
		{
			if (tc_is_alpha(c))
			{
				if (c < 'a')
					s->nupper++;
				else
					s->nlower++;
				tc_put(s, c | 0x20, true);
				q++;
			}
			else if (tc_is_digit(c))
			{
				tc_put(s, c, false);
				q++;
			}
			else if ((c == '\'' || c == '`') && q + 1 < len && tc_is_alpha(p[q + 1]))
				q++;
			else
				break;
		}
		else
		{
			uint32_t	cp;
			int			n = tc_utf8(p + q, len - q, &cp);
			int			cl;
			int			k;

			if (n == 0)
			{
				tc_put(s, c, false);	/* not UTF-8: a letter of its own */
				q++;
				continue;
			}
			cl = tc_cp_class(cp);
			if (cl == CP_LETTER)
			{
				for (k = 0; k < n; k++)
					tc_put(s, p[q + k], false);
				q += n;
			}
			else if (cl == CP_APOS && q + n < len && tc_is_alpha(p[q + n]))
				q += n;
			else
				break;
		}
	}
	s->pos = q;
	if (s->nupper + s->nlower == 0 && s->rlen > 0 && s->rlen <= TC_MAX_TOKEN_BYTES)
	{
		size_t		k = 0;

		while (k < s->rlen && tc_is_digit(s->raw[k]))
			k++;
		if (k == s->rlen)
		{
			/* digits cut off a failed number ("2" of "2.0y") are a number too */
			s->num = tc_number_value(s->raw, 0, s->rlen);
			s->num_minutes = 0;
			s->money = false;
			tc_set_token(s, TK_NUM, (const unsigned char *) "#", 1);
			return;
		}
	}
	letters = (s->nupper + s->nlower == (int) s->rlen);
	/* not "41nds" to "41nd", which would read as a number */
	if (s->rlen <= TC_MAX_TOKEN_BYTES && !tc_is_digit(s->raw[0]))
		s->rlen = tc_singular(s->raw, s->rlen);
	if (letters && s->rlen >= 3 && s->rlen <= 8 && !s->elong &&
		s->raw[0] >= 'a' && s->raw[0] <= 'z' &&
		(TC_NUMBER_INITIALS & (1u << (s->raw[0] - 'a'))))
	{
		size_t		k;

		for (k = 0; k < lengthof(tc_number_words); k++)
			if (tc_number_words[k].n == s->rlen &&
				tc_number_words[k].w[0] == (char) s->raw[0] &&
				memcmp(tc_number_words[k].w, s->raw, s->rlen) == 0)
			{
				s->num = tc_number_values[k];
				s->num_minutes = 0;
				s->money = false;
				tc_set_token(s, TK_NUM, (const unsigned char *) "#", 1);
				break;
			}
	}
}

/* Returns the break level of a '-' at p[i]: dashes break, hyphens split. */
static int
tc_dash_level(const unsigned char *p, size_t len, size_t i)
{
	bool		space_before = (i == 0 || p[i - 1] == ' ' || p[i - 1] == '\t');
	bool		space_after = (i + 1 >= len || p[i + 1] == ' ' || p[i + 1] == '\t');

	if ((i + 1 < len && p[i + 1] == '-') || (i > 0 && p[i - 1] == '-'))
		return 1;
	return (space_before && space_after) ? 1 : 0;
}

/* Advances to the next token; returns false at the end of the text. */
static bool
tc_scan_next(TcScan *s)
{
	const unsigned char *p = s->p;
	size_t		len = s->len;

	while (s->pos < len)
	{
		size_t		i = s->pos;
		unsigned int c = p[i];
		size_t		n = 1;
		int			lvl = 0;

		if (c < 0x80)
		{
			if (tc_is_alnum(c))
			{
				if (tc_break_first(s))
					return true;
				if (tc_is_digit(c) && tc_scan_number(s, i))
					return tc_token_done(s);
				tc_scan_word(s);
				return tc_token_done(s);
			}
			if (c == ':' || c == ';' || c == '=' || c == '<' || c == '>')
			{
				const TcEmoticon *e = tc_emoticon_at(p, len, i);

				if (e)
				{
					if (tc_break_first(s))
						return true;
					tc_set_token(s, TK_SYM, (const unsigned char *) e->canon,
								 e->clen);
					s->pos = i + e->len;
					return tc_token_done(s);
				}
			}
			switch (c)
			{
				case '\n':
				case ';':
					lvl = 2;
					break;
				case '!':
					s->nexcl++;
					lvl = 2;
					break;
				case '?':
					s->nquest++;
					s->qpend = true;
					lvl = 2;
					break;
				case '.':
					if (!(i > 0 && tc_is_alnum(p[i - 1]) && i + 1 < len &&
						  tc_is_alnum(p[i + 1])))
						lvl = 2;
					break;
				case ',':
				case ':':
				case '(':
				case ')':
				case '[':
				case ']':
				case '{':
				case '}':
				case '|':
				case '/':
				case '\\':
					lvl = 1;
					break;
				case '-':
					lvl = tc_dash_level(p, len, i);
					break;
				case '$':
					if (i + 1 < len && tc_is_digit(p[i + 1]))
					{
						if (tc_break_first(s))
							return true;
						if (tc_scan_number(s, i + 1))
						{
							s->money = true;
							return tc_token_done(s);
						}
					}
					break;
				case '#':
					if (s->term)
					{
						tc_set_token(s, TK_NUM, (const unsigned char *) "#", 1);
						s->pos = i + 1;
						return tc_token_done(s);
					}
					break;
				default:
					break;
			}
		}
		else
		{
			uint32_t	cp = 0;
			int			k = tc_utf8(p + i, len - i, &cp);
			int			cl = (k == 0) ? CP_LETTER : tc_cp_class(cp);

			n = (k == 0) ? 1 : (size_t) k;
			switch (cl)
			{
				case CP_LETTER:
					if (tc_break_first(s))
						return true;
					tc_scan_word(s);
					return tc_token_done(s);
				case CP_EMOJI:
					if (tc_break_first(s))
						return true;
					tc_set_token(s, TK_SYM, p + i, n);
					s->pos = i + n;
					return tc_token_done(s);
				case CP_CURRENCY:
					if (i + n < len && tc_is_digit(p[i + n]))
					{
						if (tc_break_first(s))
							return true;
						if (tc_scan_number(s, i + n))
						{
							s->money = true;
							return tc_token_done(s);
						}
					}
					break;
				case CP_SENT:
					lvl = 2;
					break;
				case CP_CLAUSE:
					lvl = 1;
					break;
				default:
					break;
			}
		}
		if (lvl > s->brk)
			s->brk = lvl;
		s->pos = i + n;
	}
	return false;
}

/* ---------------------------------------------------------------------
 * Matcher data
 */

typedef struct TcWord
{
	const unsigned char *key;
	uint32_t	hash;
	uint32_t	klen;
	uint32_t	flags;			/* TW_* and FW_* */
	float		booster;
	bool		in_term;		/* a symbol of the automaton */
	bool		model_off;		/* a one-word term switched off: the model skips it */
	int16_t		frame;			/* index in tc_frame_words, or -1 */
	uint32_t	gram;			/* GW_* */
} TcWord;

typedef struct TcEdge
{
	int32_t		node;			/* -1: empty slot */
	int32_t		sym;
	int32_t		child;
} TcEdge;

/*
 * Complaint terms that wait for the end of their sentence: one with a
 * measured duration ("took # minutes") counts unless the sentence is
 * positive or a sentence rule fired; one with a direction or an unmeasured
 * duration ("went down", "take days") unless a sentence rule fired.
 */
#define TC_DEFER_RULE 1
#define TC_DEFER_MEASURED 2

typedef struct TcEntry
{
	unsigned char cat;			/* TcCategory */
	unsigned char slot;
	bool		cue;			/* a feature request cue */
	bool		aspect;			/* pain point or value driver without sentiment */
	unsigned char len;			/* tokens */
	unsigned char duration;		/* TC_DEFER_*: a complaint term that waits for
								 * the sentence rules */
	int32_t		theme;			/* index in themes, -1 if none */
	double		valence;		/* signed, for positive and negative */
} TcEntry;

typedef struct TcTheme
{
	const char *name;
	uint32_t	hash;
	int			cat;
	int32_t		flip;			/* theme reported when negated, or -1 */
	bool		own;			/* reported by a row of the deployment */
} TcTheme;

struct TcMatcher
{
	/* vocabulary: word index = automaton symbol */
	TcWord	   *words;
	int32_t		nwords;
	int32_t    *wslot;			/* open addressing, -1 empty */
	size_t		wmask;
	int32_t		num_word;		/* the number wildcard, or -1 */
	/* automaton */
	int32_t		nnodes;
	int32_t    *root_next;		/* per symbol */
	TcEdge	   *edges;
	size_t		emask;
	int32_t    *fail;
	int32_t    *dict;			/* nearest proper suffix with entries, 0 if none */
	int32_t    *efirst;
	unsigned char *ecount;
	unsigned char *depth;
	/* entries and themes */
	TcEntry    *entries;
	int32_t		nentries;
	TcTheme    *themes;
	int32_t		nthemes;
	int32_t		other_theme;	/* feature_request "other" */
	/* themes the sentence rules report (-1 if no entry defines them) */
	int32_t		fsuccess[lengthof(tc_frame_words)];
	int32_t		fpain[lengthof(tc_frame_words)];
	int32_t		th_time_saved;
	int32_t		th_cost_savings;
	int32_t		th_onboarding;	/* value driver */
	int32_t		th_onboarding_pain;
	int32_t		th_support_pain;
	int32_t		th_support_value;
	int32_t		th_performance_pain;	/* durations compared, longer */
	int32_t		th_productivity;	/* more work done */
	int32_t		th_ease;		/* learned within a day */
	int32_t		th_data_loss;	/* kept things missing */
	int32_t		th_time_value;	/* less time spent, not counted */
	/* sizes for tc_analyze */
	int			ring_size;		/* power of two > longest term + window */
	/* the model's themes (model.h) as themes of this matcher, -1 if none */
	int32_t		mtheme[TCM_MAXTHEME];
};

/* Bump allocator for the many small pieces of a matcher. */
typedef struct TcArena
{
	TcAllocator *a;
	unsigned char *cur;
	size_t		left;
} TcArena;

/* Returns size bytes carved from the arena's current chunk. */
static void *
tc_arena_alloc(TcArena *ar, size_t size)
{
	void	   *r;

	size = (size + 7) & ~(size_t) 7;
	if (size > ar->left)
	{
		size_t		chunk = size > 8192 ? size : 8192;

		ar->cur = tc_alloc(ar->a, chunk, 1);
		ar->left = chunk;
	}
	r = ar->cur;
	ar->cur += size;
	ar->left -= size;
	return r;
}

/* Returns the FNV-1a hash of k[0..n-1], mixed with seed. */
static uint32_t
tc_hash(const unsigned char *k, size_t n, uint32_t seed)
{
	uint32_t	h = 2166136261u ^ seed;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		h ^= k[i];
		h *= 16777619u;
	}
	return h ^ (h >> 15);
}

/* Returns the hash of a trie edge. */
static inline size_t
tc_edge_hash(int32_t node, int32_t sym)
{
	uint32_t	h = (uint32_t) node * 0x9E3779B1u ^ (uint32_t) sym * 0x85EBCA77u;

	return (size_t) (h ^ (h >> 16));
}

/* Returns the word index of key, whose tc_hash (seed 0) is h, or -1. */
static int32_t
tc_word_find_hashed(const TcMatcher *m, const unsigned char *k, size_t n, uint32_t h)
{
	size_t		i = h & m->wmask;

	for (;;)
	{
		int32_t		w = m->wslot[i];

		if (w < 0)
			return -1;
		if (m->words[w].hash == h && m->words[w].klen == n &&
			memcmp(m->words[w].key, k, n) == 0)
			return w;
		i = (i + 1) & m->wmask;
	}
}

/* Returns the word index of key, or -1. */
static int32_t
tc_word_find(const TcMatcher *m, const unsigned char *k, size_t n)
{
	return tc_word_find_hashed(m, k, n, tc_hash(k, n, 0));
}

/* Returns the word index of key, adding it (capacity is reserved). */
static int32_t
tc_word_intern(TcMatcher *m, TcArena *ar, const unsigned char *k, size_t n)
{
	uint32_t	h = tc_hash(k, n, 0);
	size_t		i = h & m->wmask;
	TcWord	   *w;
	unsigned char *copy;

	for (;;)
	{
		int32_t		x = m->wslot[i];

		if (x < 0)
			break;
		if (m->words[x].hash == h && m->words[x].klen == n &&
			memcmp(m->words[x].key, k, n) == 0)
			return x;
		i = (i + 1) & m->wmask;
	}
	copy = tc_arena_alloc(ar, n + 1);
	memcpy(copy, k, n);
	copy[n] = '\0';
	w = &m->words[m->nwords];
	w->key = copy;
	w->hash = h;
	w->klen = (uint32_t) n;
	w->flags = 0;
	w->booster = 0;
	w->in_term = false;
	w->model_off = false;
	w->frame = -1;
	w->gram = 0;
	m->wslot[i] = m->nwords;
	return m->nwords++;
}

/* Returns the trie child of node by sym, or -1. */
static inline int32_t
tc_goto(const TcMatcher *m, int32_t node, int32_t sym)
{
	size_t		i;

	if (node == 0)
		return m->root_next[sym];
	i = tc_edge_hash(node, sym) & m->emask;
	for (;;)
	{
		const TcEdge *e = &m->edges[i];

		if (e->node < 0)
			return -1;
		if (e->node == node && e->sym == sym)
			return e->child;
		i = (i + 1) & m->emask;
	}
}

/* ---------------------------------------------------------------------
 * Public helpers
 */

/* Returns the category of a lexicon category name, or -1. */
int
tc_category_from_name(const char *name)
{
	int			c;

	if (name == NULL)
		return -1;
	for (c = 0; c < TC_FEATURE; c++)
		if (strcmp(name, tc_category_names[c]) == 0)
			return c;
	return -1;
}

/* Returns the name of a category. */
const char *
tc_category_name(TcCategory category)
{
	if ((int) category < 0 || category >= TC_NUM_CATEGORIES)
		return "unknown";
	return tc_category_names[category];
}

/* Returns the label of a sentiment (thresholds +-0.05). */
const char *
tc_sentiment_label(double s)
{
	if (s >= 0.05)
		return "positive";
	if (s <= -0.05)
		return "negative";
	return "neutral";
}

/*
 * Counts the tokens of a term and their bytes joined by spaces; returns -1
 * if the term can never match.
 */
static int
tc_term_shape(const char *term, size_t len, size_t *bytes)
{
	TcScan		s;
	int			ntok = 0;

	*bytes = 0;
	tc_scan_init(&s, term, len, true);
	while (tc_scan_next(&s))
	{
		if (s.rlen > TC_MAX_TOKEN_BYTES || ++ntok > TC_MAX_TERM_TOKENS)
			return -1;
		*bytes += s.rlen + 1;
	}
	return ntok > 0 ? ntok : -1;
}

/* Stores the normalized form of a term; false if it can never match. */
bool
tc_normalize_term(const char *term, size_t len, TcAllocator *a, char **out)
{
	TcScan		s;
	size_t		bytes;
	size_t		o = 0;
	char	   *buf;

	*out = NULL;
	if (term == NULL || tc_term_shape(term, len, &bytes) < 0)
		return false;
	buf = tc_alloc(a, bytes, 1);
	tc_scan_init(&s, term, len, true);
	while (tc_scan_next(&s))
	{
		if (o > 0)
			buf[o++] = ' ';
		memcpy(buf + o, s.raw, s.rlen);
		o += s.rlen;
	}
	buf[o] = '\0';
	*out = buf;
	return true;
}

/* ---------------------------------------------------------------------
 * Building the matcher
 */

/* A (slot, phrase) pair kept on a trie node while building. */
typedef struct TcPending
{
	int			slot;
	int			phrase;
	struct TcPending *next;
} TcPending;

/* Returns the slot of a category, or -1 if it is none. */
static int
tc_slot_of(TcCategory c)
{
	switch (c)
	{
		case TC_PAIN_POINT:
			return SL_PAIN;
		case TC_FEATURE_REQUEST:
			return SL_REQUEST;
		case TC_VALUE_DRIVER:
			return SL_VALUE;
		case TC_SUCCESS_INDICATOR:
			return SL_SUCCESS;
		case TC_POSITIVE:
		case TC_NEGATIVE:
			return SL_SENTIMENT;
		case TC_FEATURE:
			return SL_FEATURE;
		default:
			return -1;
	}
}

/* Returns the theme index of (cat, name), adding it. */
static int32_t
tc_theme_intern(TcMatcher *m, TcArena *ar, int32_t *tslot, size_t tmask,
				int cat, const char *name, size_t n)
{
	uint32_t	h = tc_hash((const unsigned char *) name, n, (uint32_t) cat + 1);
	size_t		i = h & tmask;
	TcTheme    *t;
	char	   *copy;

	for (;;)
	{
		int32_t		x = tslot[i];

		if (x < 0)
			break;
		t = &m->themes[x];
		if (t->hash == h && t->cat == cat && strlen(t->name) == n &&
			memcmp(t->name, name, n) == 0)
			return x;
		i = (i + 1) & tmask;
	}
	copy = tc_arena_alloc(ar, n + 1);
	memcpy(copy, name, n);
	copy[n] = '\0';
	t = &m->themes[m->nthemes];
	t->name = copy;
	t->hash = h;
	t->cat = cat;
	t->flip = -1;
	t->own = false;
	tslot[i] = m->nthemes;
	return m->nthemes++;
}

/* Returns the theme index of (cat, name), or -1. */
static int32_t
tc_theme_find(const TcMatcher *m, const int32_t *tslot, size_t tmask,
			  int cat, const char *name)
{
	size_t		n = strlen(name);
	uint32_t	h = tc_hash((const unsigned char *) name, n, (uint32_t) cat + 1);
	size_t		i = h & tmask;

	for (;;)
	{
		int32_t		x = tslot[i];

		if (x < 0)
			return -1;
		if (m->themes[x].hash == h && m->themes[x].cat == cat &&
			strcmp(m->themes[x].name, name) == 0)
			return x;
		i = (i + 1) & tmask;
	}
}

/* Returns true if a weight disables its entry. */
static bool
tc_disabled(double w)
{
	return w == 0.0 || isnan(w);
}

/* Build-time state of tc_matcher_build. */
typedef struct TcBuild
{
	TcMatcher  *m;
	TcAllocator *a;
	TcArena		ar;
	const TcPhrase *phrases;
	int			n;
	int		   *ntok;			/* tokens of each term, -1 if it cannot match */
	size_t	   *soff;			/* where its symbols start in syms */
	int32_t    *syms;
	size_t		total;			/* symbols of all terms */
	int32_t    *child;			/* first child of each trie node */
	int32_t    *sibling;
	int32_t    *label;			/* symbol on the edge into each node */
	TcPending **pend;			/* (slot, last phrase) pairs ending at a node */
	int		   *ephrase;		/* phrase of each entry */
	int32_t    *tslot;			/* theme hash */
	size_t		tmask;
	int			maxlen;			/* tokens of the longest enabled term */
} TcBuild;

/* Returns the automaton state after sym from node (sym -1: the root). */
static inline int32_t
tc_step(const TcMatcher *m, int32_t node, int32_t sym)
{
	int32_t		next;

	if (sym < 0)
		return 0;
	while ((next = tc_goto(m, node, sym)) < 0 && node != 0)
		node = m->fail[node];
	return (next < 0) ? 0 : next;
}

/* Returns the vocabulary entry of a grammar word (ASCII, under 32 bytes), adding it. */
static TcWord *
tc_grammar_word(TcBuild *b, const char *word)
{
	unsigned char fw[32];
	size_t		fn = strlen(word);

	memcpy(fw, word, fn);
	fn = tc_singular(fw, fn);
	return &b->m->words[tc_word_intern(b->m, &b->ar, fw, fn)];
}

/* Vocabulary: grammar words, then the words of every term that can match. */
static void
tc_build_vocabulary(TcBuild *b)
{
	TcMatcher  *m = b->m;
	size_t		cap;
	size_t		k;
	int			i;

	b->ntok = tc_alloc(b->a, (size_t) b->n + 1, sizeof(int));
	b->soff = tc_alloc(b->a, (size_t) b->n + 1, sizeof(size_t));
	for (i = 0; i < b->n; i++)
	{
		const TcPhrase *ph = &b->phrases[i];
		size_t		bytes;

		b->ntok[i] = -1;
		if (ph->term == NULL || tc_slot_of(ph->category) < 0)
			continue;
		b->ntok[i] = tc_term_shape(ph->term, strlen(ph->term), &bytes);
		b->soff[i] = b->total;
		if (b->ntok[i] > 0)
			b->total = tc_add(b->total, (size_t) b->ntok[i]);
	}

	cap = tc_add(tc_add(b->total, lengthof(tc_func_words) + lengthof(tc_frame_words) +
						lengthof(tc_gram_words)), 1);
	m->words = tc_alloc(b->a, cap, sizeof(TcWord));
	m->wmask = tc_pow2(tc_add(cap, cap)) - 1;
	m->wslot = tc_alloc(b->a, m->wmask + 1, sizeof(int32_t));
	memset(m->wslot, 0xFF, (m->wmask + 1) * sizeof(int32_t));
	for (k = 0; k < lengthof(tc_func_words); k++)
	{
		TcWord	   *w = tc_grammar_word(b, tc_func_words[k].word);

		w->flags = tc_func_words[k].flags;
		w->booster = (float) tc_func_words[k].booster;
	}
	for (k = 0; k < lengthof(tc_frame_words); k++)
	{
		TcWord	   *w = tc_grammar_word(b, tc_frame_words[k].word);

		w->flags |= tc_frame_words[k].flags;
		w->frame = (int16_t) k;
	}
	for (k = 0; k < lengthof(tc_gram_words); k++)
		tc_grammar_word(b, tc_gram_words[k].word)->gram |= (uint32_t) tc_gram_words[k].gram;

	m->num_word = -1;
	b->syms = tc_alloc(b->a, b->total + 1, sizeof(int32_t));
	for (i = 0; i < b->n; i++)
	{
		TcScan		s;
		size_t		o = b->soff[i];

		if (b->ntok[i] <= 0)
			continue;
		tc_scan_init(&s, b->phrases[i].term, strlen(b->phrases[i].term), true);
		while (tc_scan_next(&s))
		{
			int32_t		w = tc_word_intern(m, &b->ar, s.raw, s.rlen);

			if (s.kind == TK_NUM)
				m->num_word = w;
			m->words[w].in_term = true;
			b->syms[o++] = w;
		}
	}
}

/* Returns the child of node by sym, adding it. */
static int32_t
tc_build_child(TcBuild *b, int32_t node, int32_t sym)
{
	TcMatcher  *m = b->m;
	int32_t		next = tc_goto(m, node, sym);

	if (next >= 0)
		return next;
	next = m->nnodes++;
	b->child[next] = -1;
	b->label[next] = sym;
	b->pend[next] = NULL;
	m->depth[next] = (unsigned char) (m->depth[node] + 1);
	b->sibling[next] = b->child[node];
	b->child[node] = next;
	if (node == 0)
		m->root_next[sym] = next;
	else
	{
		size_t		e = tc_edge_hash(node, sym) & m->emask;

		while (m->edges[e].node >= 0)
			e = (e + 1) & m->emask;
		m->edges[e].node = node;
		m->edges[e].sym = sym;
		m->edges[e].child = next;
	}
	return next;
}

/* Trie of the terms; each node keeps the last phrase of each slot ending there. */
static void
tc_build_trie(TcBuild *b)
{
	TcMatcher  *m = b->m;
	size_t		cap = tc_add(b->total, 1);
	size_t		k;
	int			i;

	b->child = tc_alloc(b->a, cap, sizeof(int32_t));
	b->sibling = tc_alloc(b->a, cap, sizeof(int32_t));
	b->label = tc_alloc(b->a, cap, sizeof(int32_t));
	b->pend = tc_alloc(b->a, cap, sizeof(TcPending *));
	m->depth = tc_alloc(b->a, cap, 1);
	m->root_next = tc_alloc(b->a, (size_t) m->nwords + 1, sizeof(int32_t));
	memset(m->root_next, 0xFF, ((size_t) m->nwords + 1) * sizeof(int32_t));
	m->emask = tc_pow2(tc_add(cap, cap)) - 1;
	m->edges = tc_alloc(b->a, m->emask + 1, sizeof(TcEdge));
	for (k = 0; k <= m->emask; k++)
		m->edges[k].node = -1;
	m->nnodes = 1;
	b->child[0] = b->sibling[0] = b->label[0] = -1;
	b->pend[0] = NULL;
	m->depth[0] = 0;
	for (i = 0; i < b->n; i++)
	{
		int32_t		node = 0;
		int			slot = tc_slot_of(b->phrases[i].category);
		int			t;
		TcPending  *pp;

		if (b->ntok[i] <= 0)
			continue;
		for (t = 0; t < b->ntok[i]; t++)
			node = tc_build_child(b, node, b->syms[b->soff[i] + (size_t) t]);
		for (pp = b->pend[node]; pp != NULL; pp = pp->next)
			if (pp->slot == slot)
				break;
		if (pp == NULL)
		{
			pp = tc_arena_alloc(&b->ar, sizeof(TcPending));
			pp->slot = slot;
			pp->next = b->pend[node];
			b->pend[node] = pp;
		}
		pp->phrase = i;			/* the last occurrence wins */
	}
}

/* Fills *e from phrase ph ending at node; returns false if it is disabled. */
static bool
tc_build_entry(TcBuild *b, const TcPhrase *ph, int slot, int32_t node,
			   TcEntry *e)
{
	const char *theme = ph->theme;
	char	   *norm = NULL;

	if (tc_disabled(ph->weight))
		return false;
	e->cat = (unsigned char) ph->category;
	e->slot = (unsigned char) slot;
	e->len = b->m->depth[node];
	e->cue = false;
	e->aspect = false;
	e->duration = 0;
	e->theme = -1;
	e->valence = 0;
	if (theme != NULL && theme[0] == '\0')
		theme = NULL;
	if (ph->category == TC_POSITIVE || ph->category == TC_SUCCESS_INDICATOR)
		e->valence = fmin(fabs(ph->weight), TC_MAX_WEIGHT);
	else if (ph->category == TC_NEGATIVE)
		e->valence = -fmin(fabs(ph->weight), TC_MAX_WEIGHT);
	if (ph->category == TC_FEATURE_REQUEST && theme == NULL)
		e->cue = true;
	else if (theme == NULL && ph->category != TC_POSITIVE &&
			 ph->category != TC_NEGATIVE)
	{
		(void) tc_normalize_term(ph->term, strlen(ph->term), b->a, &norm);
		theme = norm;
	}
	if (theme != NULL)
	{
		e->theme = tc_theme_intern(b->m, &b->ar, b->tslot, b->tmask,
								   ph->category, theme, strlen(theme));
		b->m->themes[e->theme].own |= ph->own;
	}
	return true;
}

/* Entries of every node, themes, and the negation flips between themes. */
static void
tc_build_entries(TcBuild *b)
{
	TcMatcher  *m = b->m;
	int32_t		node;
	int32_t		i;
	size_t		k;

	m->entries = tc_alloc(b->a, (size_t) b->n + 1, sizeof(TcEntry));
	b->ephrase = tc_alloc(b->a, (size_t) b->n + 1, sizeof(int));
	m->themes = tc_alloc(b->a, (size_t) b->n + 2, sizeof(TcTheme));
	b->tmask = tc_pow2(tc_add((size_t) b->n, (size_t) b->n) + 4) - 1;
	b->tslot = tc_alloc(b->a, b->tmask + 1, sizeof(int32_t));
	memset(b->tslot, 0xFF, (b->tmask + 1) * sizeof(int32_t));
	m->other_theme = tc_theme_intern(m, &b->ar, b->tslot, b->tmask,
									 TC_FEATURE_REQUEST, "other", 5);
	m->efirst = tc_alloc(b->a, (size_t) m->nnodes, sizeof(int32_t));
	m->ecount = tc_alloc(b->a, (size_t) m->nnodes, 1);
	for (node = 0; node < m->nnodes; node++)
	{
		TcPending  *pp;

		m->efirst[node] = m->nentries;
		m->ecount[node] = 0;
		for (pp = b->pend[node]; pp != NULL; pp = pp->next)
		{
			if (!tc_build_entry(b, &b->phrases[pp->phrase], pp->slot, node,
								&m->entries[m->nentries]))
			{
				/*
				 * A word switched off (weight 0, a tenant's "crash") means
				 * nothing to the model either: it would read the theme
				 * back from the word.
				 */
				if (m->depth[node] == 1)
					m->words[b->label[node]].model_off = true;
				continue;
			}
			if (m->depth[node] > b->maxlen)
				b->maxlen = m->depth[node];
			b->ephrase[m->nentries++] = pp->phrase;
			m->ecount[node]++;
		}
	}

	/* A negated pain point becomes the value driver, and vice versa. */
	for (i = 0; i < m->nthemes; i++)
	{
		TcTheme    *t = &m->themes[i];
		const char *to = t->name;
		int			other;

		if (t->cat == TC_PAIN_POINT)
			other = TC_VALUE_DRIVER;
		else if (t->cat == TC_VALUE_DRIVER)
			other = TC_PAIN_POINT;
		else
			continue;
		for (k = 0; k < lengthof(tc_flip_names); k++)
			if (strcmp(to, tc_flip_names[k][t->cat == TC_VALUE_DRIVER]) == 0)
				to = tc_flip_names[k][t->cat == TC_PAIN_POINT];
		t->flip = tc_theme_find(m, b->tslot, b->tmask, other, to);
	}
}

/* Failure and output links, breadth first. */
static void
tc_build_links(TcBuild *b)
{
	TcMatcher  *m = b->m;
	int32_t    *queue = tc_alloc(b->a, (size_t) m->nnodes, sizeof(int32_t));
	int32_t		qhead = 0;
	int32_t		qtail = 0;

	m->fail = tc_alloc(b->a, (size_t) m->nnodes, sizeof(int32_t));
	m->dict = tc_alloc(b->a, (size_t) m->nnodes, sizeof(int32_t));
	m->fail[0] = 0;
	m->dict[0] = 0;
	queue[qtail++] = 0;
	while (qhead < qtail)
	{
		int32_t		u = queue[qhead++];
		int32_t		v;

		for (v = b->child[u]; v >= 0; v = b->sibling[v])
		{
			int32_t		f = 0;

			if (u != 0)
			{
				int32_t		g;

				f = m->fail[u];
				while (f != 0 && tc_goto(m, f, b->label[v]) < 0)
					f = m->fail[f];
				g = tc_goto(m, f, b->label[v]);
				f = (g >= 0 && g != v) ? g : 0;
			}
			m->fail[v] = f;
			m->dict[v] = (m->ecount[f] > 0) ? f : m->dict[f];
			queue[qtail++] = v;
		}
	}
}

/*
 * Marks aspects: pain point and value driver terms with no sentiment term
 * inside them ("support", but not "easy to use"), found by running each
 * term through the finished automaton.
 */
static void
tc_build_aspects(TcBuild *b)
{
	TcMatcher  *m = b->m;
	int32_t		k;

	for (k = 0; k < m->nentries; k++)
	{
		TcEntry    *e = &m->entries[k];
		int			p = b->ephrase[k];
		int32_t		node = 0;
		int			t;
		bool		sentiment = false;

		for (t = 0; t < b->ntok[p] && (e->cat == TC_PAIN_POINT || e->cat == TC_NEGATIVE); t++)
		{
			uint32_t	fl = m->words[b->syms[b->soff[p] + (size_t) t]].flags;

			if ((fl & FW_UNIT) && t > 0 &&
				b->syms[b->soff[p] + (size_t) t - 1] == m->num_word)
				e->duration = TC_DEFER_MEASURED;
			else if ((fl & (FW_UP | FW_DOWN | FW_UNIT)) && e->duration == 0)
				e->duration = TC_DEFER_RULE;
		}
		if (e->cat != TC_PAIN_POINT && e->cat != TC_VALUE_DRIVER)
			continue;
		for (t = 0; t < b->ntok[p] && !sentiment; t++)
		{
			int32_t		out;

			node = tc_step(m, node, b->syms[b->soff[p] + (size_t) t]);
			for (out = (m->ecount[node] > 0) ? node : m->dict[node]; out > 0;
				 out = m->dict[out])
			{
				int32_t		j;

				for (j = 0; j < m->ecount[out]; j++)
					if (m->entries[m->efirst[out] + j].slot == SL_SENTIMENT)
						sentiment = true;
			}
		}
		e->aspect = !sentiment;
	}
}

/* Finds the themes the sentence rules report among those the entries define. */
static void
tc_build_frame_themes(TcBuild *b)
{
	TcMatcher  *m = b->m;
	size_t		k;

	for (k = 0; k < lengthof(tc_frame_words); k++)
	{
		const TcFrameWord *f = &tc_frame_words[k];

		m->fsuccess[k] = f->success ? tc_theme_find(m, b->tslot, b->tmask,
													TC_SUCCESS_INDICATOR, f->success) : -1;
		m->fpain[k] = f->pain ? tc_theme_find(m, b->tslot, b->tmask,
											  TC_PAIN_POINT, f->pain) : -1;
	}
	m->th_time_saved = tc_theme_find(m, b->tslot, b->tmask, TC_SUCCESS_INDICATOR,
									 "time_saved");
	m->th_cost_savings = tc_theme_find(m, b->tslot, b->tmask, TC_SUCCESS_INDICATOR,
									   "cost_savings");
	m->th_onboarding = tc_theme_find(m, b->tslot, b->tmask, TC_VALUE_DRIVER,
									 "onboarding");
	m->th_onboarding_pain = tc_theme_find(m, b->tslot, b->tmask, TC_PAIN_POINT,
										  "onboarding");
	m->th_support_pain = tc_theme_find(m, b->tslot, b->tmask, TC_PAIN_POINT,
									   "support");
	m->th_support_value = tc_theme_find(m, b->tslot, b->tmask, TC_VALUE_DRIVER,
										"support_quality");
	m->th_performance_pain = tc_theme_find(m, b->tslot, b->tmask, TC_PAIN_POINT,
										   "performance");
	m->th_productivity = tc_theme_find(m, b->tslot, b->tmask, TC_SUCCESS_INDICATOR,
									   "productivity");
	m->th_ease = tc_theme_find(m, b->tslot, b->tmask, TC_VALUE_DRIVER, "ease_of_use");
	m->th_data_loss = tc_theme_find(m, b->tslot, b->tmask, TC_PAIN_POINT, "data_loss");
	m->th_time_value = tc_theme_find(m, b->tslot, b->tmask, TC_VALUE_DRIVER,
									 "time_savings");
}

/*
 * Finds the model's themes among the matcher's: the model adds only a
 * theme some entry defines (a tenant may have disabled or renamed one).
 */
static void
tc_build_model_themes(TcBuild *b)
{
	int			i;

	for (i = 0; i < TCM_MAXTHEME; i++)
		b->m->mtheme[i] = (i < tcm_ntheme && b->tslot != NULL) ?
			tc_theme_find(b->m, b->tslot, b->tmask, tcm_theme_cat[i],
						  tcm_theme_name[i]) : -1;
}

/* Compiles phrases[0..n-1] into a matcher (see textcat.h). */
TcMatcher *
tc_matcher_build(const TcPhrase *phrases, int n, TcAllocator *a)
{
	TcBuild		b;

	memset(&b, 0, sizeof(TcBuild));
	b.a = a;
	b.ar.a = a;
	b.phrases = phrases;
	b.n = (phrases == NULL || n < 0) ? 0 : n;
	b.m = tc_arena_alloc(&b.ar, sizeof(TcMatcher));
	memset(b.m, 0, sizeof(TcMatcher));
	tc_build_vocabulary(&b);
	tc_build_trie(&b);
	tc_build_entries(&b);
	tc_build_links(&b);
	tc_build_aspects(&b);
	tc_build_frame_themes(&b);
	tc_build_model_themes(&b);
	/* look-back reaches TC_WINDOW words plus skipped articles */
	b.m->ring_size = (int) tc_pow2((size_t) b.maxlen + 2 * TC_WINDOW + 4);
	return b.m;
}

/* Returns the number of enabled entries. */
int
tc_matcher_entries(const TcMatcher *m)
{
	return m ? m->nentries : 0;
}

/* ---------------------------------------------------------------------
 * Analysis
 */

/* A token in the look-back ring. */
typedef struct TcTok
{
	uint32_t	flags;
	float		booster;
} TcTok;

/* A match waiting until no longer match can contain it. */
typedef struct TcMatch
{
	size_t		start;
	size_t		end;
	const TcEntry *e;
	double		v;				/* valence, boosters, negation; no caps */
	double		vcaps;			/* the all-caps part */
	double		mult;			/* contrast weight when found */
	size_t		epoch;			/* contrasts seen when found */
	bool		neg;
	bool		hidden;
} TcMatch;

/* A quantity of a sentence: its value and, for a duration, its minutes. */
typedef struct TcQty
{
	double		val;
	double		minutes;		/* 0 if not a duration */
	bool		set;
} TcQty;

/* What the sentence rules know of the current sentence (tc_frame_*). */
typedef struct TcFrame
{
	int			metric;			/* first measure named (tc_frame_words), -1 */
	int			dir;			/* +1 up, -1 down, 0 none (the last word says) */
	bool		qty;			/* a number or quantity word */
	int			nplain;			/* of them not durations: "20%", "twice" */
	bool		money;			/* a number after a currency sign */
	bool		start;
	bool		save;
	bool		saved;			/* a duration or money after a word of saving */
	bool		wait;
	bool		reply;
	bool		take;
	bool		load;			/* the product doing work: load, open, sync */
	bool		loading;		/* ... for a time: loading, spinning, exceeding */
	bool		dur_in;			/* a duration after "in", "within": how fast */
	bool		work;			/* a verb of work done: handle, manage, ship */
	bool		learn;			/* a verb of learning: learn, picked up */
	bool		success;		/* a success indicator term matched */
	size_t		in_at;			/* token after the last "in": "in half the time" */
	int			ndur;			/* durations */
	double		dur_max;		/* the longest, minutes */
	int			mode;			/* where a comparison stands (TC_CMP_*) */
	TcQty		a;				/* compared: from a */
	TcQty		b;				/* to b */
	TcQty		last;			/* the last quantity */
	TcQty		pend;			/* a quantity that a unit may still follow */
	size_t		pend_at;		/* token of pend */
	size_t		dur_at;			/* token of the last duration, + 1 (0: none) */
	size_t		art_at;			/* token of the last article, + 1 (0: none) */
	size_t		first_at;		/* token of the last "first", + 1 (0: none) */
	double		dur_v;			/* valence of TC_DEFER_MEASURED terms */
	int			dur_n;
	double		rule_v;			/* valence of TC_DEFER_RULE terms */
	int			rule_n;
} TcFrame;

/* Comparison states: "from A to B", "to B from A", "B instead of A". */
enum
{
	TC_CMP_NONE,
	TC_CMP_FROM,				/* "from": A next */
	TC_CMP_A,					/* A known: "to" next */
	TC_CMP_TO,					/* "to" after A: B next */
	TC_CMP_INSTEAD,				/* B known: A next */
	TC_CMP_DONE,
	TC_CMP_TO_FIRST,			/* "to" first: B next */
	TC_CMP_B,					/* B known: "from" next */
	TC_CMP_FROM_LAST			/* "from" after B: A next */
};

/* Theme flags of one call. */
#define TF_LISTED	0x01
#define TF_REQUESTED 0x02
#define TF_HELD		0x04
#define TF_ASPECT	0x08
#define TF_CLAUSE	0x10
#define TF_DUR		0x20
#define TF_DEFER	0x40
#define TF_AFTER	0x80		/* an aspect named after an outcome began */

typedef struct TcState
{
	const TcMatcher *m;
	TcAllocator *a;
	TcResult   *out;
	TcTok	   *ring;
	size_t		rmask;
	size_t		ntok;			/* tokens fed, breaks included */
	int32_t		node;
	TcMatch    *pend;
	size_t		phead;
	size_t		pn;
	size_t		pcap;
	double		s0;
	double		scaps;
	double		mult;
	size_t		epoch;
	int			nval;
	unsigned char *tflags;
	int			lcap[TC_NUM_CATEGORIES + 1];
	/* the current clause and sentence */
	double		sclause;		/* valence of the clause */
	int32_t    *clause;			/* its pain points and value drivers */
	int			nclause;
	int			clausecap;
	double		ssent;			/* valence of the sentence */
	double		ssucc;			/* the part of it that success indicators add:
								 * an outcome is not praise of an aspect */
	bool		cue;
	bool		topic;
	int32_t    *held;			/* topics and features waiting for a cue */
	int			nheld;
	int			heldcap;
	int32_t    *aspects;		/* aspects waiting for the sentence's sentiment */
	int			naspects;
	int			aspectcap;
	TcFrame		f;
	/* what the sentence-level rules know (tc_sentence_mood) */
	double		spos;			/* praise of the sentence, as added to s0 */
	double		sneg;			/* complaint of the sentence, as added to s0 */
	bool		spain;			/* a pain point term, not negated */
	bool		spraise_theme;	/* praise that names a value driver */
	size_t		sepoch;			/* contrasts seen when the sentence began */
	int			swords;			/* words of the sentence so far */
	bool		saux;			/* it begins with an auxiliary: a yes/no question */
	bool		swould;			/* "would" in it: a wish when praise follows */
	int			sevent;			/* words of an unwanted event (tc_event_word) */
	bool		prev_modal;		/* the previous word: can, could, to...: "so
								 * they can stop polling" is no event */
	int			prevev;			/* the previous token: 1 keep, 2 stop, 3 a number >= 2,
								 * 4 still */
	bool		question;		/* it ends with a question mark */
	bool		swhy;			/* it begins with "why" */
	bool		swhy_neg;		/* ... followed by a negator: "why not" */
	bool		sneg_word;		/* a negator in it */
	bool		ssince;			/* "since" in it */
	bool		sabsent;		/* missing, blank, empty, gone */
	bool		swhere;			/* it begins with "where" */
	bool		sdata;			/* a thing a user keeps: file, record, note */
	size_t		cneg_at;		/* clause-initial negator's token + 1, 0: none */
	bool		cstart;			/* no word of the clause yet */
	double		cpos;			/* praise of the clause */
	bool		cpain;			/* a pain point term of the clause */
	bool		cresolve;		/* a word of fixing: the complaint is over */
	int			cwords;			/* words of the clause */
	int			cplain;			/* of them interjections and boosters */
	int			ccover;			/* of them in praise terms */
	double		irony_same;		/* praise in a clause with a complaint */
	double		irony_alone;	/* praise alone in its clause ("Oh great,") */
	bool		prev_complaint;	/* the sentence before was negative */
	int32_t    *durp;			/* TC_DEFER_MEASURED pain points */
	int			ndurp;
	int			durpcap;
	int32_t    *rulep;			/* TC_DEFER_RULE pain points */
	int			nrulep;
	int			rulepcap;
	/* closing formulas ("Thanks, Maria", "Kind regards"): tc_break */
	double		brk_s0;			/* s0 and scaps when the clause began */
	double		brk_scaps;
	bool		cclose;			/* the clause so far: a closing formula */
	bool		cclose_head;	/* ... with its head word (thanks, regards) */
	bool		cclose_adv;		/* ... "in advance" */
	bool		cclose_name;	/* ... and a name ("Thanks Maria") */
	bool		sig;			/* a closing formula was seen */
	bool		sig_dead;		/* words after it that are no signature */
	bool		sig_name;		/* a name after it (or in it) */
	bool		sig_adv;		/* it thanked in advance */
	int			sig_nval;		/* sentiment terms counted up to its end */
	bool		prev_good;		/* the previous token was "good" */
	bool		last_though;	/* the last word was "though" */
	bool		greeting;		/* in the text's first clause, opened by "Dear", "Hi" */
	double		sent_s0;		/* s0 when the sentence began */
	double		sig_s0;			/* s0 and scaps before it */
	double		sig_scaps;
	/* the model's input (tc_model_word, tc_model_rules) */
	uint32_t   *mfeat;
	int			mn;
	int			mwords;			/* words read, up to TC_MODEL_MAX_WORDS */
	uint32_t	mprev;			/* hash of the previous token of the clause */
	int			mneg;			/* words left in a negator's scope */
	int			msent;			/* sentences with a word read */
	bool		msent_open;		/* a word read since the last sentence break */
	bool		mneg_seen;		/* a negator read */
	int			mframe;			/* the sentence rules' measured news: 1 good, 2 bad */
	uint32_t	mlast[TC_MODEL_MAX_LAST];	/* the last sentence's unigrams, marked */
	int			mnlast;
} TcState;

/* Appends name to a result list. */
static void
tc_list_add(TcState *st, TcThemeList *l, int *cap, const char *name)
{
	if (l->nthemes == *cap)
	{
		int			ncap = *cap ? *cap * 2 : 4;
		const char **nt = tc_alloc(st->a, (size_t) ncap, sizeof(char *));

		if (l->nthemes > 0)
			memcpy(nt, l->themes, (size_t) l->nthemes * sizeof(char *));
		l->themes = nt;
		*cap = ncap;
	}
	l->themes[l->nthemes++] = name;
}

/* Adds a theme to its category's result list, once. */
static void
tc_theme_add(TcState *st, int32_t theme)
{
	const TcTheme *t = &st->m->themes[theme];

	if (st->tflags[theme] & TF_LISTED)
		return;
	st->tflags[theme] |= TF_LISTED;
	tc_list_add(st, &st->out->themes[t->cat], &st->lcap[t->cat], t->name);
}

/* Adds a feature to the requested list, once. */
static void
tc_requested_add(TcState *st, int32_t theme)
{
	if (st->tflags[theme] & TF_REQUESTED)
		return;
	st->tflags[theme] |= TF_REQUESTED;
	tc_list_add(st, &st->out->requested, &st->lcap[TC_NUM_CATEGORIES],
				st->m->themes[theme].name);
}

/* Reports a request topic or a named feature of a sentence with a cue. */
static void
tc_request_topic(TcState *st, int32_t theme)
{
	if (st->m->themes[theme].cat == TC_FEATURE)
		tc_requested_add(st, theme);
	else
		tc_theme_add(st, theme);
}

/* Appends a theme to a list of held themes unless flag marks it held. */
static void
tc_hold_in(TcState *st, int32_t theme, unsigned char flag, int32_t **list,
		   int *n, int *cap)
{
	if (st->tflags[theme] & flag)
		return;
	if (*n == *cap)
	{
		int			ncap = *cap ? *cap * 2 : 8;
		int32_t    *nl = tc_alloc(st->a, (size_t) ncap, sizeof(int32_t));

		if (*n > 0)
			memcpy(nl, *list, (size_t) *n * sizeof(int32_t));
		*list = nl;
		*cap = ncap;
	}
	st->tflags[theme] |= flag;
	(*list)[(*n)++] = theme;
}

/* Keeps a topic until its sentence shows a cue. */
static void
tc_hold(TcState *st, int32_t theme)
{
	tc_hold_in(st, theme, TF_HELD, &st->held, &st->nheld, &st->heldcap);
}

/* Reports (cue) or forgets (end of sentence) the held topics. */
static void
tc_release(TcState *st, bool report)
{
	int			i;

	for (i = 0; i < st->nheld; i++)
	{
		st->tflags[st->held[i]] &= ~TF_HELD;
		if (report)
			tc_request_topic(st, st->held[i]);
	}
	st->nheld = 0;
}

/*
 * Keeps what irony needs of the clause that ends: its praise when the
 * clause names a complaint too, or when the praise stands alone in it
 * (nothing but praise words, interjections and boosters: "Oh great,",
 * "Perfect,").
 */
static void
tc_clause_mood(TcState *st)
{
	if (st->cpos > 0)
	{
		if (st->cpain && !st->cresolve)
			st->irony_same += st->cpos;
		else if (st->cwords <= st->ccover + st->cplain)
			st->irony_alone += st->cpos;
	}
	st->cpos = 0;
	st->cpain = false;
	st->cresolve = false;
	st->cwords = st->cplain = st->ccover = 0;
}

/*
 * Sentence-level readings of the praise in a sentence, applied before its
 * aspects take its sign:
 *
 * - a yes/no question (it begins with an auxiliary: "is", "can", "does",
 *   "will"... and ends with "?") asks about a good thing, it does not
 *   praise it: "Can it sync with Outlook reliably?" has no praise.  Its
 *   complaints stay ("Is the app slow for anyone else?").
 * - irony by incongruity: generic praise (no value driver or success
 *   indicator in the sentence) in the same clause as a complaint term
 *   (unless a word of fixing says the trouble is over: "thanks for fixing
 *   the crash so fast"), or
 *   alone in its clause ("Oh great,", "Perfect,") before a complaint of
 *   the same sentence, or alone in a sentence that follows a negative
 *   one, with no contrast between them, is read as ironic and counts
 *   against: "Oh great, another update that breaks the calendar",
 *   "Perfect timing for an outage", "Lost my notes. Really appreciated."
 *   A sentence that contrasts ("fast, but it crashes") is read by the
 *   contrast rule.
 */
static void
tc_sentence_mood(TcState *st)
{
	double		ironic;

	tc_clause_mood(st);
	ironic = st->irony_same + (st->spain ? st->irony_alone : 0);
	/* praise alone after a complaint: "Lost my notes again. Really appreciated." */
	if (!st->spain && st->prev_complaint && st->irony_alone >= st->spos)
		ironic = st->irony_alone;
	st->irony_same = st->irony_alone = 0;
	if (st->spos <= 0)
		return;
	if (st->question && st->saux)
	{
		st->s0 -= st->spos;
		st->ssent -= st->spos;
	}
	else if (ironic > 0 && !st->spraise_theme && st->epoch == st->sepoch)
	{
		st->s0 -= 2 * ironic;
		st->ssent -= 2 * ironic;
	}
}

/* Reports the clause's pain points and value drivers unless its sentiment contradicts them. */
static void
tc_clause_end(TcState *st)
{
	int			i;

	tc_clause_mood(st);
	for (i = 0; i < st->nclause; i++)
	{
		int32_t		t = st->clause[i];
		int			cat = st->m->themes[t].cat;

		st->tflags[t] &= ~TF_CLAUSE;
		if ((cat == TC_PAIN_POINT && st->sclause <= 0) ||
			(cat == TC_VALUE_DRIVER && st->sclause >= 0))
			tc_theme_add(st, t);
	}
	st->nclause = 0;
	st->sclause = 0;
}

/* Adds valence v found by a sentence rule. */
static void
tc_frame_valence(TcState *st, double v)
{
	st->s0 += v * st->mult;
	st->ssent += v * st->mult;
	if (v > 0)
		st->spraise_theme = true;
	else
		st->sneg += v * st->mult;
	st->nval++;
}

/* Returns b compared with a (-1, 0, +1), a duration if either one is. */
static int
tc_frame_compare(TcQty a, TcQty b)
{
	double		x = a.val;
	double		y = b.val;

	if (a.minutes > 0 && b.minutes == 0 && a.val > 0)
		b.minutes = b.val * a.minutes / a.val;	/* "from six days to two" */
	else if (b.minutes > 0 && a.minutes == 0 && b.val > 0)
		a.minutes = a.val * b.minutes / b.val;
	if (a.minutes > 0 && b.minutes > 0)
		x = a.minutes, y = b.minutes;
	if (isnan(x) || isnan(y) || x == y)
		return 0;
	return (y > x) ? 1 : -1;
}

/* A quantity of the sentence is complete: place it in a comparison. */
static void
tc_frame_commit(TcState *st)
{
	TcFrame    *f = &st->f;

	if (!f->pend.set)
		return;
	f->pend.set = false;
	switch (f->mode)
	{
		case TC_CMP_FROM:
			f->a = f->pend, f->mode = TC_CMP_A;
			break;
		case TC_CMP_TO:
			f->b = f->pend, f->mode = TC_CMP_DONE;
			break;
		case TC_CMP_INSTEAD:
			f->a = f->pend, f->mode = TC_CMP_DONE;
			break;
		case TC_CMP_TO_FIRST:
			f->b = f->pend, f->mode = TC_CMP_B;
			break;
		case TC_CMP_FROM_LAST:
			f->a = f->pend, f->mode = TC_CMP_DONE;
			break;
		default:
			break;
	}
	f->last = f->pend;
	f->last.set = true;
}

/* Records a duration of the sentence. */
static void
tc_frame_duration(TcState *st, double minutes)
{
	st->f.saved |= st->f.save;
	if (st->f.in_at > 0 && st->ntok + 1 - st->f.in_at <= 4)
		st->f.dur_in = true;
	st->f.ndur++;
	if (minutes > st->f.dur_max)
		st->f.dur_max = minutes;
	st->f.dur_at = st->ntok + 1;
}

/* Returns true if frame word k is a measure of what the customer pays. */
static bool
tc_frame_is_price(int k)
{
	const char *pain = tc_frame_words[k].pain;

	return pain != NULL && strcmp(pain, "pricing") == 0;
}

/* Reads one token of the text (w: its vocabulary word, or NULL) for the rules. */
static void
tc_frame_token(TcState *st, const TcScan *s, const TcWord *w)
{
	TcFrame    *f = &st->f;
	const TcFrameWord *fw = (w && w->frame >= 0) ? &tc_frame_words[w->frame] : NULL;
	uint32_t	fl = w ? w->flags : 0;

	if (w && (w->gram & GW_LOAD))
		st->f.load = true;
	if (w && (w->gram & GW_LOADING))
		st->f.loading = true;
	if (w && (w->gram & GW_WORK))
		st->f.work = true;
	if (w && (w->gram & GW_LEARN))
		st->f.learn = true;
	if (w && (w->gram & GW_FIRST))
		st->f.first_at = st->ntok + 1;
	if (s->kind == TK_NUM)
	{
		tc_frame_commit(st);
		f->qty = true;
		if (s->num_minutes == 0)
			f->nplain++;
		f->money |= s->money;
		f->saved |= f->save && s->money;
		f->pend.val = s->num;
		f->pend.minutes = s->num_minutes;
		f->pend.set = true;
		f->pend_at = st->ntok;
		if (s->num_minutes > 0)
		{
			tc_frame_duration(st, s->num_minutes);
			tc_frame_commit(st);
		}
		return;
	}
	if (fl & TW_SKIP)
	{
		f->art_at = st->ntok + 1;
		return;					/* "half a day": the article keeps the quantity open */
	}
	if (fl & FW_FILL)
		return;
	if ((fl & FW_UNIT) && fw != NULL)
	{
		if (f->pend.set && st->ntok - f->pend_at <= 3)
		{
			if (f->pend.minutes == 0 && f->nplain > 0)
				f->nplain--;	/* "two days": a duration, not a count */
			f->pend.minutes = f->pend.val * fw->value;
			tc_frame_duration(st, f->pend.minutes);
		}
		else if (f->first_at > 0 && st->ntok + 1 - f->first_at == 1)
		{
			/* "on their first day": one day */
			tc_frame_commit(st);
			f->pend.val = 1;
			f->pend.minutes = fw->value;
			f->pend.set = true;
			tc_frame_duration(st, fw->value);
		}
		else if (f->art_at > 0 && st->ntok + 1 - f->art_at <= 2 &&
				 (f->dur_at == 0 || st->ntok + 1 - f->dur_at > 4))
		{
			/* "a week" is one week, but not the rate in "two hours a week" */
			tc_frame_commit(st);
			f->pend.val = 1;
			f->pend.minutes = fw->value;
			f->pend.set = true;
			tc_frame_duration(st, fw->value);
		}
		tc_frame_commit(st);
		return;
	}
	tc_frame_commit(st);
	if (fw == NULL)
		return;
	if (fl & FW_QTY)
	{
		f->qty = true;
		f->nplain++;
		f->pend.val = fw->value;
		f->pend.minutes = 0;
		f->pend.set = true;
		f->pend_at = st->ntok;
	}
	if (fl & FW_UP)
		f->dir = 1;
	if (fl & FW_DOWN)
		f->dir = -1;
	if ((fl & FW_COUNT) && f->last.set && st->ntok - f->pend_at <= 2 &&
		(f->in_at == 0 || f->in_at != f->pend_at))
	{
		/* "three times", "the third time", "half the time": how often */
		f->qty = false;
		f->dir = 0;
		f->last.set = false;
	}
	else if ((fl & FW_METRIC) &&
			 (f->metric < 0 ||
			  (tc_frame_is_price(w->frame) && !tc_frame_is_price(f->metric)) ||
			  ((fl & FW_COUNT) && strncmp(tc_frame_words[f->metric].word, "spend", 5) == 0)))
		f->metric = w->frame;	/* a price named with another measure is the news:
								 * "the renewal price is 20% higher"; time
								 * spent is time: "spend less time on admin" */
	if (fl & FW_IN)
		f->in_at = st->ntok + 1;
	if (fl & FW_START)
		f->start = true;
	if (fl & FW_SAVE)
		f->save = true;
	if (fl & FW_WAIT)
		f->wait = true;
	if (fl & FW_REPLY)
		f->reply = true;
	if (fl & FW_TAKE)
		f->take = true;
	if ((fl & FW_INSTEAD) && f->last.set && f->mode != TC_CMP_DONE)
	{
		/* "a day now instead of a week", "a day now, it used to take a week" */
		f->b = f->last;
		f->mode = TC_CMP_INSTEAD;
	}
	else if (fl & FW_FROM)
		f->mode = (f->mode == TC_CMP_NONE) ? TC_CMP_FROM :
			(f->mode == TC_CMP_B) ? TC_CMP_FROM_LAST : f->mode;
	else if ((fl & FW_TO) && f->mode == TC_CMP_A)
		f->mode = TC_CMP_TO;	/* "from A to B", "used to take A, now B" */
	else if ((fl & FW_TO) && f->mode == TC_CMP_NONE && w->frame >= 0 &&
			 strcmp(tc_frame_words[w->frame].word, "to") == 0)
		f->mode = TC_CMP_TO_FIRST;	/* "down to B from A" */
}

/*
 * The sentence rules, at the end of a sentence without a success indicator
 * term of its own:
 *  - a measure, a direction and a quantity ("renewals rose from 81% to
 *    90%", "churn is down to 3%"): a success indicator when the measure
 *    moved the good way, bad news (and its pain point) when it did not;
 *  - two durations compared ("from six days to two", "three days instead
 *    of eight"): time saved when the second is shorter, a performance
 *    complaint when longer;
 *  - saving, then a duration or money ("saves us a day every week"): time
 *    saved or cost savings;
 *  - getting started and a duration: within a day, with nothing negative,
 *    is praise of onboarding (time to value); a week or more is an
 *    onboarding complaint;
 *  - something taking a minute or more, with nothing positive said and no
 *    other rule: a complaint (of no particular theme);
 *  - waiting on a reply a day or more (waiting half an hour): a support
 *    complaint; a reply, fix or answer within the hour: support praise.
 * A duration complaint term ("took # minutes") counts only when the
 * sentence ends up neither positive nor time-to-value praise.
 */
static void
tc_frame_sentence(TcState *st)
{
	const TcMatcher *m = st->m;
	TcFrame    *f = &st->f;
	int			cmp;
	int			dir;
	double		v = 0;
	int32_t		theme = -1;
	int			i;
	bool		measured;
	bool		v_said;

	tc_frame_commit(st);
	cmp = (f->mode == TC_CMP_DONE) ? tc_frame_compare(f->a, f->b) : 0;
	dir = cmp ? cmp : f->dir;
	if (!f->success)
	{
		if (f->metric >= 0 && dir != 0 &&
			(f->nplain > 0 || cmp ||
			 (f->qty && m->th_time_saved >= 0 &&
			  m->fsuccess[f->metric] == m->th_time_saved) ||
			 (tc_frame_words[f->metric].good < 0 && dir > 0 &&
							   tc_frame_words[f->metric].pain != NULL &&
							   strcmp(tc_frame_words[f->metric].pain, "pricing") == 0)))
		{
			/* unquantified, only a price going up is news: "price went up" */
			bool		good = dir * tc_frame_words[f->metric].good > 0;

			theme = good ? m->fsuccess[f->metric] : m->fpain[f->metric];
			v = good ? 1.5 : -1.5;
		}
		else if (cmp != 0 && (f->a.minutes > 0 || f->b.minutes > 0))
		{
			theme = (cmp < 0) ? m->th_time_saved : m->th_performance_pain;
			v = (cmp < 0) ? 1.5 : -1.5;
		}
		else if (f->metric < 0 && f->work && dir > 0 && (f->nplain > 0 || cmp) &&
				 f->ndur == 0 && !f->money && st->ssent >= 0)
		{
			/*
			 * More work done, counted, of any kind of thing: "each planner
			 * handles 40% more events", "manages 60 accounts instead of 40"
			 */
			theme = m->th_productivity;
			v = 1.5;
		}
		else if (f->saved && st->ssent >= 0 && !(f->start && !f->money))
		{
			theme = f->money ? m->th_cost_savings : m->th_time_saved;
			v = 1.5;
		}
	}
	if (v == 0 && !f->success && f->metric >= 0 && m->th_time_saved >= 0 &&
		m->fsuccess[f->metric] == m->th_time_saved && dir < 0 && f->nplain == 0 &&
		f->ndur == 0 && st->ssent >= 0)
	{
		/* less time spent, not counted: "our reps spend less time on admin" */
		theme = m->th_time_value;
		v = 1.0;
	}
	else if (v == 0 && f->ndur > 0 && f->learn && !f->start && !f->wait &&
			 f->dur_max <= 1440 && st->ssent >= 0)
	{
		/* learning it within a day: "the team picked it up in a day" */
		theme = m->th_ease;
		v = 1.0;
	}
	else if (v == 0 && f->ndur > 0 && f->start && !f->wait && !f->reply &&
		f->dur_max <= 1440 && st->ssent >= 0)
	{
		theme = m->th_onboarding;
		v = 1.0;
	}
	else if (v == 0 && f->ndur > 0 && f->start && f->dur_max >= 10080 &&
			 st->ssent <= 0)
	{
		theme = m->th_onboarding_pain;
		v = -1.5;
	}
	else if (v == 0 && f->ndur > 0 && (f->wait || f->reply) && st->ssent <= 0 &&
			 (f->dur_max >= 1440 || (f->wait && f->dur_max >= 30)))
	{
		theme = m->th_support_pain;
		v = -1.5;
	}
	else if (v == 0 && f->ndur > 0 && f->reply && !f->wait && f->dur_max <= 60 &&
			 st->ssent >= 0)
	{
		theme = m->th_support_value;
		v = 1.0;
	}
	else if (v == 0 && f->ndur > 0 && f->load && (f->take || f->loading) &&
			 !f->dur_in && !f->start &&
			 !f->reply && !f->wait && f->dur_max >= 5.0 / 60 &&
			 st->ssent <= 0 && f->dur_v == 0)
	{
		/*
		 * The product taking five seconds or more to load, open, sync or
		 * respond, or loading, spinning or processing for that long (not
		 * done "in" that time): "pages take 15 seconds to load", "reports
		 * exceeding 60 seconds": a performance complaint.
		 */
		theme = m->th_performance_pain;
		v = -1.5;
	}
	else if (v == 0 && f->ndur > 0 && f->take && !f->start && !f->reply &&
			 !f->wait && f->dur_max >= 1 && st->ssent <= 0 && f->dur_v == 0)
	{
		/* "uploading a file takes over ten minutes": bad news, theme unknown */
		v = -1.2;
	}
	if (v != 0)
	{
		tc_frame_valence(st, v);
		st->mframe |= (v > 0) ? 1 : 2;
	}
	if (v > 0 && theme >= 0 && m->themes[theme].cat == TC_SUCCESS_INDICATOR)
	{
		/* an outcome with a number is a success indicator only */
		int			k = 0;

		st->ssucc += v * st->mult;
		for (i = 0; i < st->nclause; i++)
		{
			if (m->themes[st->clause[i]].cat == TC_VALUE_DRIVER)
				st->tflags[st->clause[i]] &= ~TF_CLAUSE;
			else
				st->clause[k++] = st->clause[i];
		}
		st->nclause = k;
	}
	if (theme >= 0)
		tc_theme_add(st, theme);
	/* waiting complaint terms: a rule's or success term's finding says it better */
	v_said = (v != 0);
	if (f->success)
		v_said = true;
	measured = (st->ssent <= 0 && !v_said);
	if (!v_said && f->rule_v != 0)
	{
		st->s0 += f->rule_v;
		st->ssent += f->rule_v;
		st->nval += f->rule_n;
	}
	if (measured && f->dur_v != 0)
	{
		st->s0 += f->dur_v;
		st->ssent += f->dur_v;
		st->nval += f->dur_n;
	}
	for (i = 0; i < st->ndurp; i++)
	{
		st->tflags[st->durp[i]] &= ~TF_DUR;
		if (measured)
			tc_theme_add(st, st->durp[i]);
	}
	for (i = 0; i < st->nrulep; i++)
	{
		st->tflags[st->rulep[i]] &= ~TF_DEFER;
		if (!v_said)
			tc_theme_add(st, st->rulep[i]);
	}
	st->ndurp = 0;
	st->nrulep = 0;
	memset(f, 0, sizeof(TcFrame));
	f->metric = -1;
}

/* Reports the sentence's aspects that agree with its sentiment; resets it. */
static void
tc_sentence_end(TcState *st)
{
	int			i;

	tc_frame_sentence(st);
	/*
	 * A yes/no question about a topic asks for it ("Can I import contacts
	 * from a vCard file?", "Is there an endpoint for time entries?"), and
	 * so does a wish for a better product ("A search bar would make it
	 * much better"), and so does a question of a few words that names one
	 * ("Offline mode?", "Dark mode when?"); without a topic none is a
	 * request ("Can you check?" is no request "other").
	 */
	if (!st->cue && st->nheld > 0 &&
		((st->question && (st->saux || st->swords <= 3)) ||
		 (st->swould && st->spos > 0)))
		tc_release(st, true);
	/*
	 * Complaints told as events, without an opinion word: something that
	 * persists ("still"), repeats ("keeps asking", "sends it five times",
	 * "twice") or stopped ("stopped syncing").  They count against unless
	 * the sentence praises or reports a success ("still works great",
	 * "twice as fast").
	 */
	if (st->sevent > 0 && st->spos <= 0 && !st->spraise_theme && st->ssent <= 0 &&
		st->sneg == 0)
		tc_frame_valence(st, -1.2);
	/*
	 * A question opened by "why", without praise or "not" after it, asks the
	 * reason of something the writer did not want: "Why was I charged for
	 * a plan I downgraded?", "Why can a viewer see the billing page?" ("Why
	 * didn't we automate this years ago?" praises).  Something that has not
	 * happened since a time is a failure that lasts: "Nothing has synced
	 * since Tuesday" ("It hasn't crashed since the update" is praise, and
	 * stays so).
	 */
	else if (st->swhy && st->question && st->spos <= 0 && st->ssent <= 0 &&
			 !st->swhy_neg && st->sneg == 0)
		tc_frame_valence(st, -1.2);
	else if (st->ssince && st->sneg_word && st->spos <= 0 && st->ssent == 0 &&
			 !st->spraise_theme)
		tc_frame_valence(st, -1.2);
	/*
	 * What a user keeps, missing, blank or gone, is lost data: "Attachments
	 * older than 30 days show as missing files", "all custom fields are
	 * blank"; named after the thing, not before it ("Missing a field for
	 * VAT" asks for one), and not in a question.
	 */
	if (st->sabsent && !st->question && st->ssent <= 0 &&
		st->m->th_data_loss >= 0)
		tc_theme_add(st, st->m->th_data_loss);
	/* "Where did my saved filters go?": asking for kept things is losing them */
	else if (st->swhere && st->sdata && st->question && st->ssent <= 0 &&
			 st->m->th_data_loss >= 0)
	{
		tc_frame_valence(st, -1.2);
		tc_theme_add(st, st->m->th_data_loss);
	}
	tc_sentence_mood(st);
	tc_clause_end(st);
	/*
	 * A cue without a topic is a request for something unnamed ("would be
	 * nice to have widgets"), but not in a question ("Is there any way to
	 * get it back?" asks for help) nor in a complaint ("No way to reach a
	 * human" tells what is wrong).
	 */
	if (st->cue && !st->topic && !st->question && !st->spain && st->ssent >= 0)
		tc_theme_add(st, st->m->other_theme);
	tc_release(st, false);
	for (i = 0; i < st->naspects; i++)
	{
		int32_t		t = st->aspects[i];
		int			cat = st->m->themes[t].cat;

		st->tflags[t] &= ~TF_ASPECT;
		/*
		 * An aspect named before an outcome is its cause ("the automation
		 * saved us 5 hours"); one named after it is only context ("sales
		 * grew 25% after the rollout"): the outcome does not praise it.
		 */
		if ((cat == TC_PAIN_POINT && st->ssent < 0) ||
			(cat == TC_VALUE_DRIVER &&
			 ((st->tflags[t] & TF_AFTER) ? st->ssent - st->ssucc : st->ssent) > 0))
			tc_theme_add(st, t);
		st->tflags[t] &= ~TF_AFTER;
	}
	st->naspects = 0;
	st->prev_complaint = st->ssent < 0;
	st->ssent = 0;
	st->ssucc = 0;
	st->cue = false;
	st->topic = false;
	st->spos = 0;
	st->sneg = 0;
	st->spain = false;
	st->spraise_theme = false;
	st->sepoch = st->epoch;
	st->swords = 0;
	st->saux = false;
	st->swould = false;
	st->sevent = 0;
	st->question = false;
	st->swhy = false;
	st->swhy_neg = false;
	st->sabsent = false;
	st->swhere = false;
	st->sdata = false;
	st->sneg_word = false;
	st->ssince = false;
}

/* Applies a match that no longer match can hide. */
static void
tc_finalize(TcState *st, const TcMatch *mt)
{
	const TcEntry *e = mt->e;
	int32_t		theme = e->theme;

	if (mt->hidden)
		return;
	switch (e->cat)
	{
		case TC_POSITIVE:
		case TC_NEGATIVE:
		case TC_SUCCESS_INDICATOR:
			if (e->cat == TC_SUCCESS_INDICATOR && !mt->neg)
				st->f.success = true;
			if (e->valence != 0 && e->duration == TC_DEFER_MEASURED)
			{
				/* "took # minutes": a complaint unless the sentence is praise */
				st->f.dur_v += mt->v * mt->mult;
				st->f.dur_n++;
			}
			else if (e->valence != 0 && e->duration == TC_DEFER_RULE)
			{
				st->f.rule_v += mt->v * mt->mult;
				st->f.rule_n++;
			}
			else if (e->valence != 0)
			{
				size_t		later = st->epoch - mt->epoch;
				double		w = mt->mult * ldexp(1.0, -(int) (later < 1100 ? later : 1100));

				st->s0 += mt->v * w;
				st->scaps += mt->vcaps * w;
				st->ssent += mt->v * w;
				if (e->cat == TC_SUCCESS_INDICATOR && mt->v > 0)
					st->ssucc += mt->v * w;
				else if (mt->v > 0)
				{
					st->spos += mt->v * w;
					st->cpos += mt->v * w;
					st->ccover += (int) e->len;
				}
				else
					st->sneg += mt->v * w;
				st->sclause += mt->v * w;
				st->nval++;
			}
			if (theme >= 0 && !mt->neg)
			{
				tc_theme_add(st, theme);
				if (e->cat == TC_SUCCESS_INDICATOR)
					st->spraise_theme = true;
			}
			break;
		case TC_PAIN_POINT:
		case TC_VALUE_DRIVER:
			if (!e->aspect && !mt->neg)
			{
				if (e->cat == TC_PAIN_POINT)
					st->spain = st->cpain = true;
				else
					st->spraise_theme = true;
			}
			if (e->aspect && st->greeting)
				break;			/* "Dear Support team,": the addressee, no topic */
			if (e->aspect)
			{
				tc_hold_in(st, theme, TF_ASPECT, &st->aspects, &st->naspects,
						   &st->aspectcap);
				if (st->f.success || st->f.dir != 0 || st->f.qty)
					st->tflags[theme] |= TF_AFTER;
			}
			else if (e->duration == TC_DEFER_MEASURED && !mt->neg)
				tc_hold_in(st, theme, TF_DUR, &st->durp, &st->ndurp, &st->durpcap);
			else if (e->duration == TC_DEFER_RULE && !mt->neg)
				tc_hold_in(st, theme, TF_DEFER, &st->rulep, &st->nrulep, &st->rulepcap);
			else
			{
				if (mt->neg)
					theme = st->m->themes[theme].flip;
				if (theme >= 0)
					tc_hold_in(st, theme, TF_CLAUSE, &st->clause, &st->nclause,
							   &st->clausecap);
			}
			break;
		case TC_FEATURE_REQUEST:
			if (e->cue)
			{
				if (!mt->neg)
				{
					st->cue = true;
					tc_release(st, true);
				}
			}
			else
			{
				st->topic = true;
				if (st->cue)
					tc_theme_add(st, theme);
				else
					tc_hold(st, theme);
			}
			break;
		case TC_FEATURE:
			tc_theme_add(st, theme);
			st->topic = true;
			if (st->cue)
				tc_requested_add(st, theme);
			else
				tc_hold(st, theme);
			break;
		default:
			break;
	}
}

/* Finalizes queued matches that start before pos (all if pos is SIZE_MAX). */
static void
tc_flush(TcState *st, size_t pos)
{
	while (st->phead < st->pn && st->pend[st->phead].start < pos)
		tc_finalize(st, &st->pend[st->phead++]);
	if (st->phead == st->pn)
		st->phead = st->pn = 0;
}

/* Returns true if e is a feature request topic (not a cue). */
static inline bool
tc_is_topic(const TcEntry *e)
{
	return e->slot == SL_REQUEST && !e->cue;
}

/* Queues a match of entry e ending at token cur. */
static void
tc_match_new(TcState *st, const TcEntry *e, size_t cur)
{
	TcMatch		mt;
	size_t		start = cur + 1 - e->len;
	size_t		k;
	size_t		i;
	int			nneg = 0;
	double		boost = 0;
	double		bcaps = 0;
	bool		cneg_seen = false;

	/*
	 * Negators and boosters among the three words before, within the
	 * clause and after any earlier sentiment term; articles do not count.
	 */
	for (i = 1, k = 1; k <= TC_WINDOW && i <= start && i <= 2 * TC_WINDOW; i++)
	{
		const TcTok *t = &st->ring[(start - i) & st->rmask];

		if (t->flags & (TT_BREAK | TW_CONTRAST | TT_VALENCE))
			break;
		if (start - i + 1 == st->cneg_at)
			cneg_seen = true;
		if (t->flags & TW_SKIP)
			continue;
		if (t->flags & TW_NEG)
			nneg++;
		if (t->booster != 0)
		{
			double		scale = (k == 1) ? 1.0 : (k == 2) ? 0.95 : 0.9;
			double		b = t->booster;

			if (t->flags & TT_ELONG)
				b *= 2;
			boost += b * scale;
			if (t->flags & TT_CAPS)
				bcaps += TC_C_INCR * scale;
		}
		k++;
	}
	/*
	 * A clause that begins with "never", "not", "nobody", "nothing" or
	 * "none" is negated to its end, beyond the window: "Not once has it
	 * failed us", and with a second negator "Not a week goes by without a
	 * sync error" is a complaint (two negators cancel).
	 */
	if (st->cneg_at > 0 && st->cneg_at <= start && !cneg_seen)
		nneg++;
	mt.start = start;
	mt.end = cur;
	mt.e = e;
	mt.neg = (nneg & 1) != 0;
	mt.hidden = false;
	mt.v = 0;
	mt.vcaps = 0;
	mt.mult = st->mult;
	mt.epoch = st->epoch;
	if (e->valence != 0)
	{
		double		sign = (e->valence > 0) ? 1.0 : -1.0;
		bool		caps = true;
		bool		words = false;
		bool		elong = false;

		for (i = start; i <= cur; i++)
		{
			TcTok	   *t = &st->ring[i & st->rmask];

			t->flags |= TT_VALENCE;
			if (t->flags & TT_MULTI)
			{
				words = true;
				if (!(t->flags & TT_CAPS))
					caps = false;
			}
			if (t->flags & TT_ELONG)
				elong = true;
		}
		mt.v = e->valence + sign * boost + (elong ? sign * TC_B_INCR : 0);
		mt.vcaps = sign * bcaps + ((caps && words) ? sign * TC_C_INCR : 0);
		if (mt.neg)
		{
			mt.v *= TC_N_SCALAR;
			mt.vcaps *= TC_N_SCALAR;
			/*
			 * Litotes: denying an extreme is no praise ("not terrible", "not
			 * the worst tool we've used" are lukewarm), while denying a
			 * plain complaint is ("not bad").
			 */
			if (e->valence <= -TC_EXTREME)
				mt.v = mt.vcaps = 0;
		}
	}

	/* Hide contained matches, or this one if it is contained. */
	for (i = st->phead; i < st->pn; i++)
	{
		TcMatch    *p = &st->pend[i];

		/*
		 * A request topic on the words of a catalog feature is that feature
		 * ("custom fields" is the topic customization and the feature
		 * custom_fields): one request, reported as the feature.
		 */
		if (p->start <= cur && start <= p->end)
		{
			if (tc_is_topic(p->e) && e->slot == SL_FEATURE)
				p->hidden = true;
			else if (tc_is_topic(e) && p->e->slot == SL_FEATURE)
				mt.hidden = true;
		}
		if (p->start >= start && !(p->start == start && p->end == cur))
		{
			if (tc_hidden_by[p->e->slot] & (1 << e->slot))
				p->hidden = true;
		}
		else if (p->end == cur && p->start < start)
		{
			if (tc_hidden_by[e->slot] & (1 << p->e->slot))
				mt.hidden = true;
		}
	}

	if (st->pn == st->pcap)
	{
		if (st->phead >= st->pcap / 2)
		{
			memmove(st->pend, st->pend + st->phead,
					(st->pn - st->phead) * sizeof(TcMatch));
			st->pn -= st->phead;
			st->phead = 0;
		}
		else
		{
			size_t		ncap = st->pcap * 2;
			TcMatch    *np = tc_alloc(st->a, ncap, sizeof(TcMatch));

			memcpy(np, st->pend + st->phead, (st->pn - st->phead) * sizeof(TcMatch));
			st->pn -= st->phead;
			st->phead = 0;
			st->pend = np;
			st->pcap = ncap;
		}
	}
	st->pend[st->pn++] = mt;
}

/* Feeds a break: phrases, negation and boosters do not cross it. */
static void
tc_feed_break(TcState *st, int level)
{
	TcTok	   *t = &st->ring[st->ntok & st->rmask];

	t->flags = TT_BREAK;
	t->booster = 0;
	st->ntok++;
	st->node = 0;
	st->cneg_at = 0;
	st->cstart = true;
	tc_flush(st, SIZE_MAX);
	if (level >= 2)
		tc_sentence_end(st);
	else
		tc_clause_end(st);
}

/* Feeds a token with its automaton symbol (-1 if none). */
static void
tc_feed(TcState *st, int32_t sym, uint32_t flags, float booster)
{
	const TcMatcher *m = st->m;
	size_t		cur = st->ntok;
	TcTok	   *t = &st->ring[cur & st->rmask];
	int32_t		node = st->node;
	int32_t		out;

	if (cur > 0)
	{
		TcTok	   *pv = &st->ring[(cur - 1) & st->rmask];
		TcTok	   *pv2 = &st->ring[(cur - 2) & st->rmask];

		if ((flags & TW_OF) && (pv->flags & TW_KIND))
		{
			size_t		i;

			/* "kind of": a dampener, not the praise "kind" */
			pv->booster = (float) TC_B_DECR;
			pv->flags &= ~(uint32_t) TT_VALENCE;
			for (i = st->phead; i < st->pn; i++)
				if (st->pend[i].start == cur - 1 && st->pend[i].end == cur - 1 &&
					st->pend[i].e->slot == SL_SENTIMENT)
					st->pend[i].hidden = true;
		}
		if ((flags & TW_TO) && (pv->flags & TW_USED))
			pv->flags |= TW_NEG;
		if ((flags & TW_ONLY) && (pv->flags & TW_NOT))
			pv->flags &= ~(uint32_t) TW_NEG;
		/* "could be": a negator; "couldn't be", "should not be": none */
		if ((flags & TW_BE) && (pv->flags & TW_MODAL))
			pv->flags ^= TW_NEG;
		else if ((flags & TW_BE) && cur > 1 && (pv->flags & TW_NOT) &&
				 (pv2->flags & TW_MODAL))
			pv2->flags ^= TW_NEG;
	}
	t->flags = flags;
	t->booster = booster;
	st->ntok++;
	if (flags & TW_CONTRAST)
	{
		tc_flush(st, SIZE_MAX);
		tc_clause_end(st);
		st->s0 *= TC_BUT_BEFORE;
		st->scaps *= TC_BUT_BEFORE;
		st->ssent *= TC_BUT_BEFORE;
		st->ssucc *= TC_BUT_BEFORE;
		st->spos *= TC_BUT_BEFORE;
		st->sneg *= TC_BUT_BEFORE;
		st->cneg_at = 0;
		st->cstart = true;
		st->mult = TC_BUT_AFTER;
		st->epoch++;
	}

	node = tc_step(m, node, sym);
	st->node = node;

	for (out = (m->ecount[node] > 0) ? node : m->dict[node]; out > 0;
		 out = m->dict[out])
	{
		int32_t		j;

		for (j = 0; j < m->ecount[out]; j++)
			tc_match_new(st, &m->entries[m->efirst[out] + j], cur);
	}
	/* Matches starting before cur + 1 - depth can no longer be contained. */
	tc_flush(st, cur + 1 - m->depth[node]);
}

/*
 * Returns the word index of the stem of an unknown word w[0..n-1], -1 if
 * none is known: a dropped g ("crashin", "loggin" as "crashing",
 * "logging"), then -ing and -ed taken off, with a final e put back or a
 * doubled consonant undoubled ("freezing" -> "freeze", "stopped" ->
 * "stop", "deleted" -> "delete").  Not -ly: "roughly" is not "rough".  Only words the
 * lexicon does not know are stemmed, so an entry for "interested" and one
 * for "interest" keep their own meanings; lexicon words are written in
 * their base form (textcat_lexicon.c) and match every inflection.
 */
static int32_t
tc_lookup_stem(const TcMatcher *m, const unsigned char *w, size_t n)
{
	unsigned char form[TC_BUF + 1];
	bool		dropped_g;
	size_t		base;
	int32_t		x;
	unsigned char c;

	if (n < 5 || n > TC_MAX_TOKEN_BYTES - 1)
		return -1;
	dropped_g = w[n - 2] == 'i' && w[n - 1] == 'n';
	if (dropped_g)
		base = n - 2;
	else if (n >= 6 && w[n - 3] == 'i' && w[n - 2] == 'n' && w[n - 1] == 'g')
		base = n - 3;
	else if (w[n - 2] == 'e' && w[n - 1] == 'd')
		base = n - 2;
	else
		return -1;
	memcpy(form, w, n);
	if (dropped_g)
	{
		form[n] = 'g';
		x = tc_word_find(m, form, n + 1);
		if (x >= 0 || n < 6)
			return x;
	}
	x = tc_word_find(m, form, base);
	if (x < 0 && form[base - 1] != 'e')
	{
		form[base] = 'e';
		x = tc_word_find(m, form, base + 1);
	}
	c = form[base - 1];
	if (x < 0 && base >= 4 && c == form[base - 2] && c != 'a' && c != 'e' &&
		c != 'i' && c != 'o' && c != 'u' && c != 'l' && c != 's')
		x = tc_word_find(m, form, base - 1);
	return x;
}

/* Returns the word index of a text word, trying its other forms. */
static int32_t
tc_lookup(const TcMatcher *m, TcScan *s)
{
	unsigned char form[TC_BUF];
	const unsigned char *cand[3];
	size_t		clen[3];
	int			nc = 0;
	int			c;

	/* the hash of raw[] is kept: the model's input reads it (tc_model_word) */
	s->rhashed = s->kind != TK_NUM && s->rlen <= TC_MAX_TOKEN_BYTES;
	if (s->rhashed)
		s->rhash = tc_hash(s->raw, s->rlen, 0);
	if (s->kind != TK_WORD)
		return (s->kind == TK_NUM) ? m->num_word :
			s->rhashed ? tc_word_find_hashed(m, s->raw, s->rlen, s->rhash) :
			tc_word_find(m, s->raw, s->rlen);
	if (s->rlen <= TC_MAX_TOKEN_BYTES)
	{
		cand[nc] = s->raw;
		clen[nc++] = s->rlen;
	}
	if (s->elong && s->qlen <= TC_MAX_TOKEN_BYTES)
	{
		size_t		i;
		size_t		o = 0;

		for (i = 0; i < s->qlen; i++)
			if (!s->cut[i])
				form[o++] = s->sq[i];
		cand[nc] = s->sq;
		clen[nc++] = tc_singular(s->sq, s->qlen);
		cand[nc] = form;
		clen[nc++] = tc_singular(form, o);
	}
	for (c = 0; c < nc; c++)
	{
		int32_t		x = (c == 0 && s->rhashed) ?
			tc_word_find_hashed(m, cand[c], clen[c], s->rhash) :
			tc_word_find(m, cand[c], clen[c]);

		if (x >= 0)
			return x;
	}
	return (nc > 0) ? tc_lookup_stem(m, cand[0], clen[0]) : -1;
}

/*
 * Returns 1 if the token s completes a word of an unwanted event:
 * "twice", a gerund after "keep" ("keeps asking"), any word after "stop"
 * ("stopped syncing"), "times" after a number of at least two ("five
 * times"), "still" before anything but a gerund ("still has access",
 * "still not live"; "still evaluating" is the writer's own doing);
 * remembers in st->prevev what the next token needs.
 */
static int
tc_event_word(TcState *st, const TcScan *s, unsigned int gram)
{
	int			prev = st->prevev;
	bool		modal = st->prev_modal;
	bool		gerund = s->kind == TK_WORD && s->rlen > 5 &&
		s->rlen <= TC_MAX_TOKEN_BYTES && s->raw[s->rlen - 3] == 'i' && s->raw[s->rlen - 2] == 'n' &&
		s->raw[s->rlen - 1] == 'g';

	st->prevev = 0;
	st->prev_modal = (gram & GW_MODAL) != 0;
	if (s->kind == TK_NUM)
	{
		if (!isnan(s->num) && s->num >= 2 && s->num_minutes == 0)
			st->prevev = 3;
		return 0;
	}
	if (s->kind != TK_WORD)
		return 0;
	if (gram & GW_KEEP)
		st->prevev = 1;
	else if (((gram & GW_STOP) && !modal) || (gram & GW_STOPPED))
		st->prevev = 2;
	else if (gram & GW_STILL)
		st->prevev = 4;
	if (gram & GW_TWICE)
		return 1;
	if (prev == 1 && gerund && !(gram & GW_GOING))
		return 1;
	if (prev == 4 && !gerund)
		return 1;
	if (prev == 2 || (prev == 3 && (gram & GW_TIME)))
		return 1;
	return 0;
}

/*
 * Feeds a break and keeps what the closing-formula rule needs: a clause
 * made only of a closing formula ("Thanks", "Thank you in advance", "Kind
 * regards", "Best", "Thanks Maria") is remembered with the valence summed
 * before it; see tc_closing.
 */
static void
tc_break(TcState *st, int level)
{
	bool		closing = st->cclose && st->cclose_head;

	tc_feed_break(st, level);
	st->greeting = false;
	if (level >= 2)
	{
		/*
		 * "though" ending a sentence turns against what came before, like
		 * "but": "Great for collaboration. Pricing is out of control
		 * though."
		 */
		if (st->last_though && st->sent_s0 != 0)
			st->s0 = st->sent_s0 * TC_BUT_BEFORE + (st->s0 - st->sent_s0) * TC_BUT_AFTER;
		st->sent_s0 = st->s0;
	}
	st->last_though = false;
	if (closing && (!st->sig || st->sig_dead))
	{
		st->sig = true;
		st->sig_dead = false;
		st->sig_s0 = st->brk_s0;
		st->sig_scaps = st->brk_scaps;
		st->sig_nval = st->nval;
		st->sig_adv = st->cclose_adv;
		st->sig_name = st->cclose_name;
	}
	st->brk_s0 = st->s0;
	st->brk_scaps = st->scaps;
	st->cclose = true;
	st->cclose_head = st->cclose_adv = st->cclose_name = false;
}

/*
 * Reads a word for the closing-formula rule: the clause stays a closing
 * formula while its words are closing words, or names after its head; the
 * words after a closing formula are a signature while they are capitalized
 * (names, titles, companies) or "of", "and", "at", "the", "for".
 */
static void
tc_closing_word(TcState *st, const TcScan *s, unsigned int gram)
{
	bool		cap = s->nupper > 0;

	if (gram & GW_CLOSING)
		st->cclose_head = true;
	else if (gram & GW_CLOSEFILL)
	{
		if (s->rlen == 7 && memcmp(s->raw, "advance", 7) == 0)
			st->cclose_adv = true;
	}
	else if (cap && s->nlower > 0 && st->cclose_head)
		st->cclose_name = true;
	else
		st->cclose = false;
	if (st->sig)
	{
		if (cap)
			st->sig_name = true;
		else if (!(gram & GW_TITLE))
			st->sig_dead = true;
	}
}

/*
 * A closing formula is courtesy, not an opinion: "Thanks, Maria Lopez,
 * Operations Manager", "Kind regards, Ahmed", "Thanks in advance." say
 * nothing of the product.  When the text ends with one, followed by
 * nothing but a signature (at least one name, unless it thanks in
 * advance) and no further sentiment term, the valence it added is taken
 * back.  A bare "Thanks!" at the end stays (it may thank for a fix), and
 * so does thanks with a reason ("Thanks Priya for staying on it").
 */
static void
tc_closing(TcState *st)
{
	if (st->sig && !st->sig_dead && st->nval == st->sig_nval &&
		(st->sig_name || st->sig_adv))
	{
		st->s0 = st->sig_s0;
		st->scaps = st->sig_scaps;
	}
}

/* Hides the sentiment match of the last token fed, a single word. */
static void
tc_hide_last_word(TcState *st)
{
	size_t		i;

	if (st->ntok == 0)
		return;
	for (i = st->phead; i < st->pn; i++)
		if (st->pend[i].start == st->ntok - 1 && st->pend[i].end == st->ntok - 1 &&
			st->pend[i].e->slot == SL_SENTIMENT)
			st->pend[i].hidden = true;
}

/* ---------------------------------------------------------------------
 * The trained model (textcat.h; the tables in model.c, model.h)
 *
 * Its input is a list of 32-bit feature hashes: per word of the text a
 * unigram (its lowercased singular form, marked when a negator is among
 * the three words before it in its clause) and a bigram with the word
 * before it in its clause (or the clause's start), a question mark per
 * question; when the text has two sentences or more, the unigrams of the
 * last one (its first TC_MODEL_MAX_LAST words; none when it begins after
 * the TC_MODEL_MAX_WORDS words read) again with a mark of their own, since
 * a verdict is most often said last ("The app is fine.  Support never
 * answers."); then features of the rules' result (tc_model_rules).  The
 * training script sees the same list (tc_analyze_ex's features), so the
 * hashes only have to agree with themselves.
 */

/* Mixes a value with a feature kind into a hash that is never 0. */
static inline uint32_t
tc_model_mix(uint32_t v, uint32_t kind)
{
	uint32_t	h = (v ^ (kind * 0x9E3779B1u)) * 0x85EBCA6Bu;

	h ^= h >> 15;
	return h ? h : 1;
}

#define TCM_CLAUSE_START 0x5BD1E995u	/* mprev at a clause's start */

/* Appends a feature, if room is left for the rules' ones. */
static inline void
tc_model_put(TcState *st, uint32_t f, int reserve)
{
	if (st->mn < TC_MODEL_MAX_INPUT - reserve)
		st->mfeat[st->mn++] = f;
}

/* Reads a token (not a break) of the text into the model's input. */
static void
tc_model_word(TcState *st, const TcScan *s, uint32_t flags)
{
	uint32_t	h;
	bool		neg = st->mneg > 0;

	if (!st->msent_open)
	{
		st->msent++;
		st->mnlast = 0;
	}
	st->msent_open = true;
	if (st->mwords >= TC_MODEL_MAX_WORDS)
		return;
	st->mwords++;
	h = s->rhashed ? s->rhash :
		tc_hash(s->raw, s->rlen < TC_MAX_TOKEN_BYTES ? s->rlen : TC_MAX_TOKEN_BYTES, 0);
	if (st->mneg > 0)
		st->mneg--;
	if ((flags & TW_NEG) && !(flags & FW_DOWN))
	{
		st->mneg = TC_WINDOW;
		st->mneg_seen = true;
	}
	tc_model_put(st, tc_model_mix(h, neg ? 2 : 1), 64);
	tc_model_put(st, tc_model_mix(h ^ (st->mprev * 16777619u), 3), 64);
	if (st->mnlast < TC_MODEL_MAX_LAST)
		st->mlast[st->mnlast++] = tc_model_mix(h, neg ? 8 : 7);
	st->mprev = h;
}

/* Reads a break (level 1 clause, 2 sentence) into the model's input. */
static void
tc_model_break(TcState *st, int level, bool question)
{
	if (level >= 2)
		st->msent_open = false;
	st->mprev = TCM_CLAUSE_START;
	st->mneg = 0;
	if (question && st->mwords < TC_MODEL_MAX_WORDS)
		tc_model_put(st, tc_model_mix(1, 4), 64);
}

/* Returns the bin of a count: 0, 1, 2, 3 or more (up to max). */
static inline uint32_t
tc_model_bin(size_t n, size_t max)
{
	return (uint32_t) (n < max ? n : max);
}

/* Appends the features of the rules' result. */
static void
tc_model_rules(TcState *st, const TcScan *s)
{
	const TcResult *r = st->out;
	const char *label = tc_sentiment_label(r->sentiment);
	int			c;
	int			i;
	size_t		nt = r->ntokens;

	tc_model_put(st, tc_model_mix((uint32_t) label[2], 10), 0);	/* "sit", "gat", "utr" */
	tc_model_put(st, tc_model_mix((uint32_t) floor((r->sentiment + 1.0) * 5.0), 11), 0);
	for (c = 0; c < TCM_NCAT; c++)
	{
		const TcThemeList *l = &r->themes[c];

		tc_model_put(st, tc_model_mix((uint32_t) (c * 4) + tc_model_bin((size_t) l->nthemes, 2), 12), 0);
		for (i = 0; i < l->nthemes && i < 4; i++)
			tc_model_put(st, tc_model_mix(tc_hash((const unsigned char *) l->themes[i],
												  strlen(l->themes[i]), (uint32_t) c + 1), 13), 0);
	}
	tc_model_put(st, tc_model_mix(tc_model_bin((size_t) r->themes[TC_FEATURE].nthemes, 1), 14), 0);
	tc_model_put(st, tc_model_mix(tc_model_bin((size_t) r->requested.nthemes, 1), 15), 0);
	tc_model_put(st, tc_model_mix(tc_model_bin((size_t) st->nval, 3), 16), 0);
	tc_model_put(st, tc_model_mix(nt <= 3 ? 0 : nt <= 8 ? 1 : nt <= 16 ? 2 : nt <= 32 ? 3 : 4, 17), 0);
	tc_model_put(st, tc_model_mix(tc_model_bin(s->nexcl, 1), 18), 0);
	tc_model_put(st, tc_model_mix(tc_model_bin(s->nquest, 1), 19), 0);
	/* The rules' label on a plain text, which they seldom get wrong: one
	 * sentence without a contrast, a negator or a question. */
	if (st->msent <= 1 && st->epoch == 0 && !st->mneg_seen && s->nquest == 0)
		tc_model_put(st, tc_model_mix((uint32_t) label[2] * 2u +
									  (fabs(r->sentiment) >= TCM_STRONG), 20), 0);
	/* What a measured change meant to the rules ("the price doubled"): the
	 * words around it ("this year") do not say it as well. */
	if (st->mframe != 0)
		tc_model_put(st, tc_model_mix((uint32_t) st->mframe, 21), 0);
}

/* Returns the entry of a feature in the model, -1 if it has none. */
static inline int
tc_model_row(uint32_t f)
{
	uint32_t	mask = tcm_nslots - 1;
	uint32_t	i = f & mask;

	for (;;)
	{
		uint32_t	k = tcm_key[i];

		if (k == f)
			return (int) i;
		if (k == 0)
			return -1;
		i = (i + 1) & mask;
	}
}

/* Sets the scores of category cat's themes in score[] (indexed by model
 * theme): the bias plus the weights of the text's features (runs[0..nruns-1]
 * are where their theme runs start in tcm_tp), whose pairs of the category
 * are a run (model.h). */
static void
tc_model_scores(const uint32_t *runs, int nruns, int cat, float *score)
{
	int			t;
	int			i;

	for (t = 0; t < tcm_ntheme; t++)
		if (tcm_theme_cat[t] == cat)
			score[t] = tcm_theme_bias[t];
	for (i = 0; i < nruns; i++)
	{
		uint32_t	first = runs[i];
		uint32_t	head = tcm_tp[first];
		uint32_t	j = first + 1 + (cat > 0 ? (head >> (8 * (cat - 1))) & 0xFF : 0);
		uint32_t	end = first + 1 + ((head >> (8 * cat)) & 0xFF);

		for (; j < end; j++)
		{
			uint32_t	pair = tcm_tp[j];
			uint32_t	bits = pair & ~(uint32_t) 0xFF;
			float		w;

			memcpy(&w, &bits, sizeof(w));
			score[pair & 0xFF] += w;
		}
	}
}

/*
 * Sets mt[i] to the model theme of each theme of list l of category cat;
 * returns false, leaving the list to the rules, when one is a theme the
 * model does not know or one that a row of the deployment reports (a
 * tenant's "hijack" for security: words the model was not trained on).
 */
static bool
tc_model_map(const TcMatcher *m, const TcThemeList *l, int cat, int *mt)
{
	int			i;
	int			t;

	/* more themes than the model knows: one of them is not its */
	if (l->nthemes > TCM_MAXTHEME)
		return false;
	for (i = 0; i < l->nthemes; i++)
	{
		for (t = 0; t < tcm_ntheme; t++)
			if (tcm_theme_cat[t] == cat && m->mtheme[t] >= 0 &&
				m->themes[m->mtheme[t]].name == l->themes[i])
				break;
		if (t == tcm_ntheme || m->themes[m->mtheme[t]].own)
			return false;
		mt[i] = t;
	}
	return true;
}

/* Makes theme the only one of a category's list. */
static void
tc_model_only(TcState *st, TcThemeList *l, int32_t theme)
{
	l->nthemes = 0;
	st->tflags[theme] &= ~TF_LISTED;
	tc_theme_add(st, theme);
}

/*
 * Decides the themes of category cat that the model keeps or adds (model.h,
 * tcm_keep_min): score[] are the model's theme scores, a softmax over the
 * category's themes the matcher defines; mt[] the model themes of the
 * rules' ones (tc_model_map).
 */
static void
tc_model_themes(TcState *st, int cat, const float *score, const int *mt)
{
	const TcMatcher *m = st->m;
	TcThemeList *l = &st->out->themes[cat];
	float		sum = 0;
	int			best = -1;
	int			t;
	int			i;
	int			n = 0;
	bool		among = false;

	for (t = 0; t < tcm_ntheme; t++)
		if (tcm_theme_cat[t] == cat && m->mtheme[t] >= 0 &&
			(best < 0 || score[t] > score[best]))
			best = t;
	if (best < 0)
		return;
	if (l->nthemes == 0 ||
		(l->nthemes == 1 && l->themes[0] == m->themes[m->other_theme].name))
	{
		tc_model_only(st, l, m->mtheme[best]);
		return;
	}
	for (t = 0; t < tcm_ntheme; t++)
		if (tcm_theme_cat[t] == cat && m->mtheme[t] >= 0)
			sum += expf(score[t] - score[best]);
	for (i = 0; i < l->nthemes; i++)
		among |= mt[i] == best;
	/* the best theme's probability is 1 / sum */
	if (!among && 1.0 >= tcm_repl_min[cat] * sum)
	{
		tc_model_only(st, l, m->mtheme[best]);
		return;
	}
	for (i = 0; i < l->nthemes; i++)
		if (expf(score[mt[i]] - score[best]) >= tcm_keep_min[cat] * sum)
			l->themes[n++] = l->themes[i];
	if (n == 0)
		tc_model_only(st, l, m->mtheme[best]);
	else
		l->nthemes = n;
}

/* Applies the model to the rules' result in st->out (see textcat.h). */
static void
tc_model_apply(TcState *st)
{
	TcResult   *r = st->out;
	float		z[TCM_STRIDE];
	int			i;
	int			k;
	int			best = 0;
	int			rule;
	double		p[TCM_NSENT];
	double		psum = 0;
	const char *label = tc_sentiment_label(r->sentiment);
	uint32_t	runs[TC_MODEL_MAX_INPUT];	/* the features' theme runs */
	int			nruns = 0;
	float		score[TCM_MAXTHEME];	/* the themes' scores, per category */

	for (k = 0; k < TCM_STRIDE; k++)
		z[k] = tcm_bias[k];
	for (i = 0; i < st->mn; i++)
	{
		int			row = tc_model_row(st->mfeat[i]);

		if (row < 0)
			continue;
		if (tcm_w[row][TCM_NOUT] != 0)
			runs[nruns++] = (uint32_t) tcm_w[row][TCM_NOUT];
		for (k = 0; k < TCM_STRIDE; k++)
			z[k] += tcm_w[row][k];
	}

	/* the label: probabilities only when the model disagrees */
	for (k = 1; k < TCM_NSENT; k++)
		if (z[k] > z[best])
			best = k;
	rule = (label[0] == 'p') ? 0 : (label[2] == 'u') ? 1 : 2;
	if (best != rule)
	{
		for (k = 0; k < TCM_NSENT; k++)
			psum += (p[k] = exp((double) z[k] - z[best]));
		for (k = 0; k < TCM_NSENT; k++)
			p[k] /= psum;
	}
	if (best != rule && p[best] >= tcm_sent_min[fabs(r->sentiment) >= TCM_STRONG])
	{
		double		v = p[0] - p[2];

		if (best == 0)
			r->sentiment = fmax(v, 0.05);
		else if (best == 2)
			r->sentiment = fmin(v, -0.05);
		else
			r->sentiment = fmax(-0.04, fmin(v, 0.04));
	}

	/* the categories: thresholds on the logit; then the themes of those
	 * kept or added */
	for (k = 0; k < TCM_NCAT; k++)
	{
		float		zc = z[TCM_NSENT + k];
		TcThemeList *l = &r->themes[k];
		int			mt[TCM_MAXTHEME];

		if (!tc_model_map(st->m, l, k, mt))
			continue;
		if (l->nthemes > 0 && zc < tcm_drop[k])
			l->nthemes = 0;
		else if (l->nthemes > 0 || zc > tcm_add[k])
		{
			tc_model_scores(runs, nruns, k, score);
			tc_model_themes(st, k, score, mt);
		}
	}
}

/* Analyzes text[0..len-1] into *out (see textcat.h). */
void
tc_analyze(const TcMatcher *m, const char *text, size_t len, TcAllocator *a,
		   TcResult *out)
{
	tc_analyze_ex(m, text, len, a, out, true, NULL, NULL);
}

/* Analyzes text[0..len-1] into *out, with options (see textcat.h). */
void
tc_analyze_ex(const TcMatcher *m, const char *text, size_t len, TcAllocator *a,
			  TcResult *out, bool use_model, uint32_t *features, int *nfeatures)
{
	TcScan		s;
	TcState		st;
	size_t		nwords = 0;
	size_t		ncaps = 0;
	double		sum;

	memset(out, 0, sizeof(TcResult));
	memset(&st, 0, sizeof(TcState));
	st.m = m;
	st.a = a;
	st.out = out;
	st.rmask = (size_t) m->ring_size - 1;
	st.ring = tc_alloc(a, (size_t) m->ring_size, sizeof(TcTok));
	st.pcap = 16;
	st.pend = tc_alloc(a, st.pcap, sizeof(TcMatch));
	st.mult = 1.0;
	st.tflags = tc_alloc(a, (size_t) m->nthemes, 1);
	memset(st.tflags, 0, (size_t) m->nthemes);
	st.f.metric = -1;
	st.cstart = true;
	st.cclose = true;
	st.mfeat = features ? features : tc_alloc(a, TC_MODEL_MAX_INPUT, sizeof(uint32_t));
	st.mprev = TCM_CLAUSE_START;

	tc_scan_init(&s, text, len, false);
	while (tc_scan_next(&s))
	{
		int32_t		w;
		uint32_t	flags = 0;
		unsigned int gram;
		float		booster = 0;
		int32_t		sym = -1;

		if (s.kind == TK_BREAK)
		{
			st.prevev = 0;
			st.question = s.question;
			tc_break(&st, s.level);
			tc_model_break(&st, s.level, s.question);
			continue;
		}
		out->ntokens++;
		if (s.kind == TK_WORD && s.nupper + s.nlower >= 2)
		{
			flags |= TT_MULTI;
			nwords++;
			if (s.nlower == 0)
			{
				flags |= TT_CAPS;
				ncaps++;
			}
		}
		if (s.elong)
			flags |= TT_ELONG;
		w = tc_lookup(m, &s);
		tc_frame_token(&st, &s, (w >= 0) ? &m->words[w] : NULL);
		if (w >= 0)
		{
			flags |= m->words[w].flags;
			booster = m->words[w].booster;
			if (m->words[w].in_term)
				sym = w;
		}
		gram = (w >= 0) ? m->words[w].gram : 0;
		if (s.kind == TK_WORD)
			tc_closing_word(&st, &s, gram);
		/* "Good morning," greets: no praise */
		if ((gram & GW_DAYPART) && st.prev_good)
			tc_hide_last_word(&st);
		st.prev_good = (gram & GW_GOOD) != 0;
		st.last_though = (gram & GW_THOUGH) != 0;
		st.sevent += tc_event_word(&st, &s, gram);
		/*
		 * "yet", "although" and "whereas" opening a clause, and "except",
		 * contrast like "but": "Clunky, yet it saves me time", "Although
		 * setup was slow, it works well".  Not "not yet" (not a clause
		 * opener).  "though" is left alone: "excellent once it's running,
		 * though setup was a pain" is an afterthought as often as a turn.
		 */
		if ((st.cstart && (gram & GW_CONTRAST)) || (gram & GW_EXCEPT))
			flags |= TW_CONTRAST;
		if (s.kind == TK_WORD && !(flags & TW_SKIP))
		{
			st.cwords++;
			if (gram & GW_RESOLVE)
				st.cresolve = true;
			if (booster != 0 || (gram & GW_INTERJ))
				st.cplain++;
			if (st.ntok == 0 && (gram & GW_GREET))
				st.greeting = true;
			if (st.swords++ == 0)
			{
				st.saux = (gram & GW_AUX) != 0;
				st.swhy = (gram & GW_WHY) != 0;
				st.swhere = (gram & GW_WHERE) != 0;
			}
			if ((flags & TW_NEG) && !(flags & FW_DOWN))
			{
				/* a negator; "less", "fewer" count, they do not deny */
				st.sneg_word = true;
				if (st.swords == 2 && st.swhy)
					st.swhy_neg = true;
			}
			if (gram & GW_SINCE)
				st.ssince = true;
			if ((gram & GW_ABSENT) && st.sdata)
				st.sabsent = true;	/* after the thing: "files are missing" */
			if (gram & GW_DATA)
				st.sdata = true;
			if (gram & GW_WOULD)
				st.swould = true;
			if (st.cstart && (flags & TW_NEG) && (gram & GW_SCOPE))
				st.cneg_at = st.ntok + 1;
			st.cstart = false;
		}
		if (w < 0 || !m->words[w].model_off)
			tc_model_word(&st, &s, flags);
		tc_feed(&st, sym, flags, booster);
	}
	st.question = s.qpend;
	tc_break(&st, 2);
	tc_closing(&st);

	/* Caps emphasis counts only when the text is not all caps. */
	sum = st.s0 + ((ncaps > 0 && ncaps < nwords) ? st.scaps : 0);
	if (sum != 0)
	{
		double		punct = (double) (s.nexcl < TC_EP_MAX ? s.nexcl : TC_EP_MAX) * TC_EP_STEP;

		if (s.nquest > 1)
			punct += (s.nquest <= 3) ? (double) s.nquest * TC_QM_STEP : TC_QM_MAX;
		sum += (sum > 0) ? punct : -punct;
	}
	out->nvalence = st.nval;
	out->valence = sum;
	if (isnan(sum))
		out->sentiment = 0;
	else if (fabs(sum) > 1e100)
		out->sentiment = (sum > 0) ? 1.0 : -1.0;
	else
		out->sentiment = fmax(-1.0, fmin(1.0, sum / sqrt(sum * sum + TC_ALPHA)));

	if (st.msent >= 2)
	{
		int			i;

		for (i = 0; i < st.mnlast; i++)
			tc_model_put(&st, st.mlast[i], 64);
	}
	if (nfeatures)
		nfeatures[0] = st.mn;
	tc_model_rules(&st, &s);
	if (nfeatures)
		nfeatures[1] = st.mn;
	if (use_model)
		tc_model_apply(&st);
}
