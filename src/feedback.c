/*
 * feedback.c: the server side of feedback categorization (docs/design.md §4).
 *
 * The categorizer itself (tokenizer, phrase automaton, sentiment) is the
 * server-independent textcat.c; this file gives it a lexicon and a home:
 *
 *   - the lexicon cache: the built-in phrases, then the rows of
 *     adoption.lexicon without a tenant, then the catalog features (by id
 *     and by name), compiled once per backend into one matcher; a tenant
 *     with rows of its own gets its own matcher (built-ins, global rows,
 *     its rows: textcat lets the last entry of a term win), built on first
 *     use.  Tenants without rows share the global matcher, so the cache
 *     grows with the tenants that customize, not with all tenants.  A
 *     change to adoption.lexicon or adoption.features sends a relcache
 *     invalidation (adoption.invalidate_cache), and the next call rebuilds.
 *     The cache is loaded as the owner of adoption.lexicon, so that it holds
 *     every tenant's rows whichever role fills it first (row-level security
 *     would otherwise leave the rows a tenant role may not see out of the
 *     matchers the triggers use later in the same backend), and
 *     categorize_feedback() gives a caller subject to row-level security a
 *     tenant's own terms only if it may see that tenant's rows (as
 *     ri_triggers.c checks as the owner and reports what the user may see);
 *   - adoption.categorize_feedback(body, score, tenant_id);
 *   - the BEFORE ROW trigger that stores the insight with each feedback row
 *     (pure C per row: no SPI once the cache is built);
 *   - the AFTER STATEMENT trigger that enqueues case_study and
 *     pain_point_followup actions from the statement's transition table in
 *     one set-based statement;
 *   - the BEFORE ROW validator of adoption.lexicon.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "helpers.h"
#include "feedback.h"
#include "citus.h"
#include "textcat.h"

/* Columns of adoption.feedback_insight, in order. */
enum
{
	I_SENTIMENT,
	I_LABEL,
	I_NPS,
	I_THEMES,
	I_PAIN_POINTS,
	I_FEATURE_REQUESTS,
	I_VALUE_DRIVERS,
	I_SUCCESS_INDICATORS,
	I_FEATURES,
	N_INSIGHT
};

static const char *const insight_columns[N_INSIGHT] = {
	"sentiment", "sentiment_label", "nps_category", "themes", "pain_points",
	"feature_requests", "value_drivers", "success_indicators", "features"
};

/* A tenant with lexicon rows of its own. */
typedef struct TenantLexicon
{
	char	   *tenant_id;		/* hash key */
	TcPhrase   *rows;
	int			nrows;
	int			capacity;
	TcMatcher  *matcher;		/* built on first use */
} TenantLexicon;

static MemoryContext lexicon_mcxt = NULL;
static bool lexicon_valid = false;
static Oid	lexicon_relid = InvalidOid;
static Oid	features_relid = InvalidOid;
static TcPhrase *global_phrases = NULL;
static int	n_global = 0;
static TcMatcher *global_matcher = NULL;
static HTAB *tenant_lexicons = NULL;

/* TcAllocator callback: palloc in the context passed as ctx. */
static void *
tc_palloc(void *ctx, size_t size)
{
	if (size > MaxAllocHugeSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("feedback text is too large to categorize")));
	return MemoryContextAllocHuge((MemoryContext) ctx, size);
}

/* Relcache callback part: the next call rebuilds if relid is the lexicon's or the catalog's. */
void
adoption_feedback_invalidate(Oid relid)
{
	if (relid == InvalidOid || relid == lexicon_relid || relid == features_relid)
		lexicon_valid = false;
}

/* Copies SPI value column col of row i into mcxt; NULL stays NULL. */
static char *
spi_text(int i, int col, MemoryContext mcxt)
{
	char	   *v = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, col);

	return v == NULL ? NULL : MemoryContextStrdup(mcxt, v);
}

/* Returns the owner of adoption.lexicon (lexicon_relid). */
static Oid
lexicon_owner(void)
{
	HeapTuple	tp = SearchSysCache1(RELOID, ObjectIdGetDatum(lexicon_relid));
	Oid			owner;

	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for relation %u", lexicon_relid);
	owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
	ReleaseSysCache(tp);
	return owner;
}

/* Returns whether the current user, under row-level security, sees a lexicon row of tenant_id. */
static bool
lexicon_rows_visible(const char *tenant_id)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		isnull;
	bool		visible;

	args[0] = CStringGetTextDatum(tenant_id);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT EXISTS (SELECT FROM adoption.lexicon AS l"
							  " WHERE l.tenant_id OPERATOR(pg_catalog.=) $1)",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read adoption.lexicon");
	visible = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return visible && !isnull;
}

/* Loads the lexicon rows and the catalog features and compiles the global matcher. */
static void
load_lexicon(void)
{
	TcAllocator alloc;
	const TcPhrase *builtin;
	int			n_builtin;
	int			n_features;
	TcPhrase   *phrases;
	int			n = 0;
	int			cap;
	int			i;
	uint64		nrows;
	Oid			save_userid;
	int			save_sec_context;

	if (lexicon_mcxt != NULL)
		MemoryContextDelete(lexicon_mcxt);
	lexicon_mcxt = AllocSetContextCreate(CacheMemoryContext, "pg_adoption lexicon",
										 ALLOCSET_DEFAULT_SIZES);
	global_matcher = NULL;
	tenant_lexicons = NULL;
	alloc.alloc = tc_palloc;
	alloc.ctx = lexicon_mcxt;
	lexicon_relid = adoption_relid("lexicon");
	features_relid = adoption_relid("features");
	/* A change arriving while loading makes the next call load again. */
	lexicon_valid = true;

	builtin = tc_builtin_phrases(&n_builtin);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* Read as the table's owner (an error restores the user at abort). */
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(lexicon_owner(),
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	if (SPI_execute("SELECT f.feature_id, f.feature_name FROM adoption.features AS f"
					" ORDER BY f.feature_id COLLATE \"C\"", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read adoption.features");
	n_features = (int) SPI_processed;
	cap = n_builtin + 2 * n_features;
	phrases = MemoryContextAlloc(lexicon_mcxt, sizeof(TcPhrase) * Max(cap, 1));
	memcpy(phrases, builtin, sizeof(TcPhrase) * n_builtin);
	n = n_builtin;
	for (i = 0; i < n_features; i++)
	{
		char	   *id = spi_text(i, 1, lexicon_mcxt);
		char	   *name = spi_text(i, 2, lexicon_mcxt);

		phrases[n].term = id;
		phrases[n].category = TC_FEATURE;
		phrases[n].theme = id;
		phrases[n].weight = 1;
		phrases[n].own = true;
		n++;
		if (name != NULL)
		{
			phrases[n].term = name;
			phrases[n].category = TC_FEATURE;
			phrases[n].theme = id;
			phrases[n].weight = 1;
			phrases[n].own = true;
			n++;
		}
	}

	/* Global rows first (tenant_id NULL), then each tenant's, in a stable order. */
	if (SPI_execute("SELECT l.tenant_id, l.term, l.category, l.theme, l.weight::float8::text"
					" FROM adoption.lexicon AS l"
					" ORDER BY l.tenant_id COLLATE \"C\" NULLS FIRST, l.term COLLATE \"C\", l.category COLLATE \"C\"",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read adoption.lexicon");
	nrows = SPI_processed;
	SetUserIdAndSecContext(save_userid, save_sec_context);

	tenant_lexicons = adoption_string_htab("pg_adoption tenant lexicons",
										   sizeof(TenantLexicon), 16, lexicon_mcxt);
	phrases = repalloc(phrases, sizeof(TcPhrase) * Max(n + (int) nrows, 1));
	for (i = 0; i < (int) nrows; i++)
	{
		char	   *tenant = spi_text(i, 1, lexicon_mcxt);
		char	   *category = spi_text(i, 3, lexicon_mcxt);
		char	   *weight = spi_text(i, 5, lexicon_mcxt);
		int			c = category == NULL ? -1 : tc_category_from_name(category);
		TcPhrase	p;

		if (c < 0)
			continue;			/* the table's CHECK keeps this from happening */
		p.term = spi_text(i, 2, lexicon_mcxt);
		p.category = (TcCategory) c;
		p.theme = spi_text(i, 4, lexicon_mcxt);
		p.weight = weight == NULL ? 1.0 : strtod(weight, NULL);
		p.own = true;
		if (p.term == NULL)
			continue;
		if (tenant == NULL)
			phrases[n++] = p;
		else
		{
			bool		found;
			TenantLexicon *t = hash_search(tenant_lexicons, &tenant, HASH_ENTER, &found);

			if (!found)
			{
				adoption_entry_set_key(t, tenant, lexicon_mcxt);
				t->capacity = 8;
				t->rows = MemoryContextAlloc(lexicon_mcxt, sizeof(TcPhrase) * t->capacity);
				t->nrows = 0;
				t->matcher = NULL;
			}
			else if (t->nrows == t->capacity)
			{
				t->capacity *= 2;
				t->rows = repalloc(t->rows, sizeof(TcPhrase) * t->capacity);
			}
			t->rows[t->nrows++] = p;
		}
	}
	SPI_finish();

	global_phrases = phrases;
	n_global = n;
	global_matcher = tc_matcher_build(global_phrases, n_global, &alloc);
}

/* Returns the matcher for tenant_id (NULL: the global one). */
static const TcMatcher *
get_matcher(const char *tenant_id)
{
	TenantLexicon *t;

	if (!lexicon_valid || global_matcher == NULL)
		load_lexicon();
	if (tenant_id == NULL)
		return global_matcher;
	t = hash_search(tenant_lexicons, &tenant_id, HASH_FIND, NULL);
	if (t == NULL)
		return global_matcher;
	if (t->matcher == NULL)
	{
		TcAllocator alloc;
		MemoryContext build = AllocSetContextCreate(lexicon_mcxt, "pg_adoption tenant lexicon",
													ALLOCSET_DEFAULT_SIZES);
		TcPhrase   *all = MemoryContextAlloc(build, sizeof(TcPhrase) * (n_global + t->nrows));

		memcpy(all, global_phrases, sizeof(TcPhrase) * n_global);
		memcpy(all + n_global, t->rows, sizeof(TcPhrase) * t->nrows);
		alloc.alloc = tc_palloc;
		alloc.ctx = build;
		t->matcher = tc_matcher_build(all, n_global + t->nrows, &alloc);
	}
	return t->matcher;
}

/* Returns the NPS category of a 0-10 score. */
static const char *
nps_category(int score)
{
	if (score >= 9)
		return "promoter";
	if (score >= 7)
		return "passive";
	return "detractor";
}

/* Appends the themes of list not yet in out[0..*n-1]. */
static void
append_distinct(const char **out, int *n, const TcThemeList *list)
{
	int			i,
				j;

	for (i = 0; i < list->nthemes; i++)
	{
		for (j = 0; j < *n; j++)
			if (strcmp(out[j], list->themes[i]) == 0)
				break;
		if (j == *n)
			out[(*n)++] = list->themes[i];
	}
}

/*
 * Fills values/nulls[N_INSIGHT] with the insight of body (NULL: no text;
 * then sentiment and label are NULL) for tenant_id; nps is the NPS category
 * or NULL.  Allocates in the current memory context.
 */
static void
insight_values(const text *body, const char *tenant_id, const char *nps,
			   Datum *values, bool *nulls)
{
	const TcMatcher *m = get_matcher(tenant_id);
	TcResult	r;
	TcAllocator alloc;
	const char **requests;
	const char **themes;
	int			nreq = 0;
	int			nthemes = 0;

	alloc.alloc = tc_palloc;
	alloc.ctx = CurrentMemoryContext;
	memset(nulls, 0, sizeof(bool) * N_INSIGHT);
	if (body != NULL)
		tc_analyze(m, VARDATA_ANY(body), VARSIZE_ANY_EXHDR(body), &alloc, &r);
	else
	{
		tc_analyze(m, "", 0, &alloc, &r);
		nulls[I_SENTIMENT] = nulls[I_LABEL] = true;
	}
	values[I_SENTIMENT] = Float4GetDatum((float4) r.sentiment);
	values[I_LABEL] = CStringGetTextDatum(tc_sentiment_label(r.sentiment));
	nulls[I_NPS] = (nps == NULL);
	values[I_NPS] = nps == NULL ? (Datum) 0 : CStringGetTextDatum(nps);

	/* Feature requests: the request themes, then the catalog features requested. */
	requests = palloc(sizeof(char *) * Max(r.themes[TC_FEATURE_REQUEST].nthemes + r.requested.nthemes, 1));
	append_distinct(requests, &nreq, &r.themes[TC_FEATURE_REQUEST]);
	append_distinct(requests, &nreq, &r.requested);

	themes = palloc(sizeof(char *) * Max(r.themes[TC_PAIN_POINT].nthemes + nreq +
										 r.themes[TC_VALUE_DRIVER].nthemes +
										 r.themes[TC_SUCCESS_INDICATOR].nthemes, 1));
	append_distinct(themes, &nthemes, &r.themes[TC_PAIN_POINT]);
	append_distinct(themes, &nthemes, &r.themes[TC_FEATURE_REQUEST]);
	append_distinct(themes, &nthemes, &r.requested);
	append_distinct(themes, &nthemes, &r.themes[TC_VALUE_DRIVER]);
	append_distinct(themes, &nthemes, &r.themes[TC_SUCCESS_INDICATOR]);

	values[I_THEMES] = adoption_text_array(themes, nthemes);
	values[I_PAIN_POINTS] = adoption_text_array(r.themes[TC_PAIN_POINT].themes,
												r.themes[TC_PAIN_POINT].nthemes);
	values[I_FEATURE_REQUESTS] = adoption_text_array(requests, nreq);
	values[I_VALUE_DRIVERS] = adoption_text_array(r.themes[TC_VALUE_DRIVER].themes,
												  r.themes[TC_VALUE_DRIVER].nthemes);
	values[I_SUCCESS_INDICATORS] = adoption_text_array(r.themes[TC_SUCCESS_INDICATOR].themes,
													   r.themes[TC_SUCCESS_INDICATOR].nthemes);
	values[I_FEATURES] = adoption_text_array(r.themes[TC_FEATURE].themes,
											 r.themes[TC_FEATURE].nthemes);
}

PG_FUNCTION_INFO_V1(adoption_categorize_feedback);

/* Returns adoption.feedback_insight of body, an NPS score (or NULL) and a tenant's lexicon. */
Datum
adoption_categorize_feedback(PG_FUNCTION_ARGS)
{
	text	   *body = PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0);
	char	   *tenant_id = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	const char *nps = NULL;
	TupleDesc	desc;
	Datum		values[N_INSIGHT];
	bool		nulls[N_INSIGHT];

	if (!PG_ARGISNULL(1))
	{
		int32		score = PG_GETARG_INT32(1);

		if (score < 0 || score > 10)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("score %d is not an NPS score", score),
					 errdetail("categorize_feedback reads score as an NPS answer, 0 to 10."),
					 errhint("Pass NULL as the score of other scales (CSAT and reviews are 1 to 5).")));
		nps = nps_category(score);
	}
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "adoption.categorize_feedback must return a composite type");
	desc = BlessTupleDesc(desc);
	/* The cache holds every tenant's terms: give them only to a caller who may see them. */
	if (tenant_id != NULL &&
		check_enable_rls(adoption_relid("lexicon"), InvalidOid, true) == RLS_ENABLED &&
		!lexicon_rows_visible(tenant_id))
		tenant_id = NULL;
	insight_values(body, tenant_id, nps, values, nulls);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

PG_FUNCTION_INFO_V1(adoption_feedback_insight);

/* BEFORE INSERT OR UPDATE row trigger of adoption.feedback: returns the row with its insight. */
Datum
adoption_feedback_insight(PG_FUNCTION_ARGS)
{
	HeapTuple	tuple;
	TriggerData *trigdata = adoption_before_row_trigger(fcinfo, "adoption.feedback_insight()", &tuple);
	Relation	rel = trigdata->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	int			cols[N_INSIGHT];
	Datum		values[N_INSIGHT];
	bool		nulls[N_INSIGHT];
	int			att_body,
				att_score,
				att_channel,
				att_tenant;
	bool		isnull;
	Datum		d;
	text	   *body;
	char	   *channel = NULL;
	char	   *tenant_id = NULL;
	const char *nps = NULL;
	int			i;

	att_body = SPI_fnumber(desc, "body");
	att_score = SPI_fnumber(desc, "score");
	att_channel = SPI_fnumber(desc, "channel");
	att_tenant = SPI_fnumber(desc, "tenant_id");
	for (i = 0; i < N_INSIGHT; i++)
		cols[i] = SPI_fnumber(desc, insight_columns[i]);
	if (att_body <= 0 || att_score <= 0 || att_channel <= 0 || att_tenant <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("adoption.feedback_insight() needs columns tenant_id, channel, score and body")));
	for (i = 0; i < N_INSIGHT; i++)
		if (cols[i] <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column %s of adoption.feedback is missing", insight_columns[i]),
					 errhint("Re-create the extension: a table of the extension was altered.")));

	/*
	 * A row inserted with its insight (pg_restore sends it so) keeps it: the
	 * lexicon it was computed with may not be restored yet.
	 */
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		(void) heap_getattr(tuple, cols[I_THEMES], desc, &isnull);
		if (!isnull)
			return PointerGetDatum(tuple);
	}

	d = heap_getattr(tuple, att_body, desc, &isnull);
	body = isnull ? NULL : DatumGetTextPP(d);
	d = heap_getattr(tuple, att_channel, desc, &isnull);
	if (!isnull)
		channel = TextDatumGetCString(d);
	d = heap_getattr(tuple, att_tenant, desc, &isnull);
	if (!isnull)
		tenant_id = TextDatumGetCString(d);
	d = heap_getattr(tuple, att_score, desc, &isnull);
	/* The validator ran first (trigger order) and checked the range per channel. */
	if (!isnull && channel != NULL && strcmp(channel, "nps") == 0)
	{
		int			score = DatumGetInt16(d);

		if (score >= 0 && score <= 10)
			nps = nps_category(score);
	}

	insight_values(body, tenant_id, nps, values, nulls);
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, N_INSIGHT, cols, values, nulls));
}

/*
 * The actions of a feedback statement, from its transition table: one
 * case_study per tenant and 30 days for positive feedback scoring at least
 * 8 of 10 (5 of 5 on the 1-5 channels), one pain_point_followup per tenant,
 * theme and 30 days; only for feedback created within the last 30 days (a
 * backfill of old answers is history, not a reason to call a customer).
 * adoption.campaign_followups remembers when each was last enqueued; its
 * upsert makes two concurrent statements enqueue one action.
 */
static const char *const feedback_actions_sql =
"WITH due AS ("
"  (SELECT DISTINCT ON (f.tenant_id) f.tenant_id, 'case_study'::text AS kind, ''::text AS theme,"
"    f.feedback_id, f.user_id, f.feature_id, f.channel, f.score, f.sentiment, f.value_drivers, f.success_indicators"
"  FROM new_feedback AS f"
"  WHERE f.sentiment_label OPERATOR(pg_catalog.=) 'positive'"
"    AND f.created_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) interval '30 days')"
"    AND CASE WHEN f.channel OPERATOR(pg_catalog.=) ANY ('{csat,review}'::text[])"
"      THEN f.score OPERATOR(pg_catalog.>=) 5 ELSE f.score OPERATOR(pg_catalog.>=) 8 END"
"  ORDER BY f.tenant_id, f.score DESC, f.sentiment DESC, f.feedback_id)"
"  UNION ALL"
"  (SELECT DISTINCT ON (f.tenant_id, p.theme) f.tenant_id, 'pain_point_followup', p.theme,"
"    f.feedback_id, f.user_id, f.feature_id, f.channel, f.score, f.sentiment, NULL, NULL"
"  FROM new_feedback AS f, pg_catalog.unnest(f.pain_points) AS p(theme)"
"  WHERE f.created_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) interval '30 days')"
"  ORDER BY f.tenant_id, p.theme, f.sentiment, f.feedback_id)"
"), fresh AS ("
"  INSERT INTO adoption.campaign_followups AS x (tenant_id, kind, theme, feedback_id, enqueued_at)"
"  SELECT due.tenant_id, due.kind, due.theme, due.feedback_id, pg_catalog.now() FROM due"
"  ON CONFLICT (tenant_id, kind, theme) DO UPDATE"
"    SET feedback_id = excluded.feedback_id, enqueued_at = excluded.enqueued_at"
"    WHERE x.enqueued_at OPERATOR(pg_catalog.<=) (excluded.enqueued_at OPERATOR(pg_catalog.-) interval '30 days')"
"  RETURNING x.tenant_id, x.kind, x.theme"
")"
"SELECT pg_catalog.count(*) FROM adoption.enqueue_batch(("
"  SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
"    'tenant_id', due.tenant_id, 'user_id', due.user_id, 'feature_id', due.feature_id,"
"    'template_key', due.kind,"
"    'dedupe_key', pg_catalog.jsonb_build_array(due.kind, due.theme, due.feedback_id)::text,"
"    'reason', pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object("
"      'feedback_id', due.feedback_id, 'channel', due.channel, 'score', due.score,"
"      'sentiment', pg_catalog.round(due.sentiment::numeric, 3),"
"      'theme', CASE WHEN due.theme OPERATOR(pg_catalog.=) '' THEN NULL ELSE due.theme END, 'value_drivers', due.value_drivers,"
"      'success_indicators', due.success_indicators))))"
"  FROM due JOIN fresh ON fresh.tenant_id OPERATOR(pg_catalog.=) due.tenant_id"
"    AND fresh.kind OPERATOR(pg_catalog.=) due.kind AND fresh.theme OPERATOR(pg_catalog.=) due.theme))";

PG_FUNCTION_INFO_V1(adoption_feedback_actions);

/* AFTER INSERT statement trigger of adoption.feedback (transition table new_feedback). */
Datum
adoption_feedback_actions(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) ||
		trigdata->tg_newtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("adoption.feedback_actions() must be an AFTER INSERT ... REFERENCING NEW TABLE AS new_feedback FOR EACH STATEMENT trigger")));
	if (tuplestore_tuple_count(trigdata->tg_newtable) == 0)
		return PointerGetDatum(NULL);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_register_trigger_data(trigdata) != SPI_OK_TD_REGISTER)
		elog(ERROR, "could not register the transition table of adoption.feedback_actions()");
	/* On a Citus shard: the statements run on its shard group (citus.c). */
	adoption_citus_enter_relation(trigdata->tg_relation);
	PG_TRY();
	{
		if (SPI_execute(feedback_actions_sql, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not enqueue the actions of feedback");
	}
	PG_FINALLY();
	{
		adoption_citus_leave();
	}
	PG_END_TRY();
	SPI_finish();
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(adoption_check_lexicon);

/* BEFORE INSERT OR UPDATE row trigger of adoption.lexicon: rejects terms that can never match, stores them normalized. */
Datum
adoption_check_lexicon(PG_FUNCTION_ARGS)
{
	HeapTuple	tuple;
	TriggerData *trigdata = adoption_before_row_trigger(fcinfo, "adoption.check_lexicon()", &tuple);
	TupleDesc	desc = RelationGetDescr(trigdata->tg_relation);
	bool		isnull;
	Datum		d;
	char	   *term;
	char	   *normalized;
	TcAllocator alloc;

	d = heap_getattr(tuple, SPI_fnumber(desc, "term"), desc, &isnull);
	if (isnull)
		return PointerGetDatum(tuple);	/* NOT NULL reports it */
	term = TextDatumGetCString(d);
	alloc.alloc = tc_palloc;
	alloc.ctx = CurrentMemoryContext;
	if (!tc_normalize_term(term, strlen(term), &alloc, &normalized))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("lexicon term \"%s\" has no word to match", adoption_msg_value(term)),
				 errdetail("A term needs at least one word, number or emoticon, at most %d of them, each at most %d bytes.",
						   TC_MAX_TERM_TOKENS, TC_MAX_TOKEN_BYTES),
				 errhint("Terms match whole words, case-insensitively, e.g. 'too slow' or 'please add'.")));
	if (strcmp(term, normalized) != 0)
	{
		/* Stored normalized, so that the unique index sees "Slow" and "slow" as one term. */
		int			col = SPI_fnumber(desc, "term");
		Datum		value = CStringGetTextDatum(normalized);
		bool		null = false;

		tuple = heap_modify_tuple_by_cols(tuple, desc, 1, &col, &value, &null);
	}
	return PointerGetDatum(tuple);
}

PG_FUNCTION_INFO_V1(adoption_builtin_lexicon);

/* Returns the built-in phrases: term, category, theme, weight. */
Datum
adoption_builtin_lexicon(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const TcPhrase *phrases;
	int			n;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	phrases = tc_builtin_phrases(&n);
	for (i = 0; i < n; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(phrases[i].term);
		values[1] = CStringGetTextDatum(tc_category_name(phrases[i].category));
		nulls[2] = phrases[i].theme == NULL || phrases[i].theme[0] == '\0';
		values[2] = nulls[2] ? (Datum) 0 : CStringGetTextDatum(phrases[i].theme);
		values[3] = Float8GetDatum(phrases[i].weight);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
