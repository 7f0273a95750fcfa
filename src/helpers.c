/*
 * helpers.c: small helpers shared by the concerns of the extension (hash
 * tables keyed by strings, catalog look-ups, values for error messages,
 * intervals, arrays, trigger and aggregate calls, kept plans,
 * subtransactions).  Module start-up and the cache callbacks are in
 * pg_adoption.c.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "helpers.h"

/* Subtransaction ids of the backend's cache that ingest leaves to other code. */
#define ADOPTION_SUBXID_RESERVE 16

/*
 * Whether ingest may open one more subtransaction (to retry after a
 * deadlock or a locked row).  Its row locks give it a subtransaction id,
 * and a backend caches at most PGPROC_MAX_CACHED_SUBXIDS of those per
 * transaction: past that, every snapshot taken on the server while the
 * transaction runs has to search pg_subtrans.  So a transaction of many
 * ingest statements stops taking them while the cache still has
 * ADOPTION_SUBXID_RESERVE entries for savepoints and PL/pgSQL blocks.
 */
bool
adoption_subxact_allowed(void)
{
	return !MyProc->subxidStatus.overflowed &&
		MyProc->subxidStatus.count < PGPROC_MAX_CACHED_SUBXIDS - ADOPTION_SUBXID_RESERVE;
}

/*
 * For PG_CATCH after BeginInternalSubTransaction: copies the error into
 * mcxt, rolls the subtransaction back (before anything is re-thrown, as
 * PL/pgSQL does) and makes mcxt and owner current again.
 */
ErrorData *
adoption_subxact_rollback(MemoryContext mcxt, ResourceOwner owner)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(mcxt);
	edata = CopyErrorData();
	FlushErrorState();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(mcxt);
	CurrentResourceOwner = owner;
	return edata;
}

/* Hash and match functions for tables keyed by a NUL-terminated string pointer. */
static uint32
string_ptr_hash(const void *key, Size keysize)
{
	const char *s = *(const char *const *) key;

	return hash_bytes((const unsigned char *) s, (int) strlen(s));
}

static int
string_ptr_match(const void *key1, const void *key2, Size keysize)
{
	return strcmp(*(const char *const *) key1, *(const char *const *) key2);
}

/*
 * Creates a hash table whose entries start with a "char *" key.  Keys of any
 * length work (dynahash's HASH_STRINGS would truncate them to keysize).
 */
HTAB *
adoption_string_htab(const char *name, Size entrysize, long nelem,
					 MemoryContext mcxt)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(char *);
	ctl.entrysize = entrysize;
	ctl.hash = string_ptr_hash;
	ctl.match = string_ptr_match;
	ctl.hcxt = mcxt;
	return hash_create(name, nelem, &ctl,
					   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/*
 * After HASH_ENTER created an entry, points its key at a copy of key that
 * lives in mcxt (dynahash copied only the caller's pointer).
 */
char *
adoption_entry_set_key(void *entry, const char *key, MemoryContext mcxt)
{
	char	   *copy = MemoryContextStrdup(mcxt, key);

	*(char **) entry = copy;
	return copy;
}

/* Returns the OID of adoption.relname, or InvalidOid if it does not exist. */
Oid
adoption_relid(const char *relname)
{
	Oid			nspid = get_namespace_oid(ADOPTION_SCHEMA, true);

	if (!OidIsValid(nspid))
		return InvalidOid;
	return get_relname_relid(relname, nspid);
}

/*
 * Returns a user's value fit for an error message: cut after
 * ADOPTION_MSG_VALUE_MAX characters (on a character boundary) with "...".
 */
char *
adoption_msg_value(const char *value)
{
	int			len = (int) strlen(value);
	int			cut;

	if (len <= ADOPTION_MSG_VALUE_MAX)
		return pstrdup(value);
	cut = pg_mbcliplen(value, len, ADOPTION_MSG_VALUE_MAX);
	return psprintf("%.*s...", cut, value);
}

/*
 * Returns an interval as microseconds, a month counting 30 days as
 * interval comparison does (interval_cmp_value in utils/adt/timestamp.c).
 */
int64
adoption_interval_usecs(const Interval *span)
{
	int64		days = (int64) span->month * DAYS_PER_MONTH + span->day;
	int64		usecs;

	/* Saturate instead of overflowing: such spans mean "forever" anyway. */
	if (pg_mul_s64_overflow(days, USECS_PER_DAY, &usecs) ||
		pg_add_s64_overflow(usecs, span->time, &usecs))
		return (days < 0) ? PG_INT64_MIN : PG_INT64_MAX;
	return usecs;
}

/* Returns a span of microseconds as interval text, e.g. "1 day". */
char *
adoption_usecs_text(int64 usecs)
{
	Interval   *span = palloc0(sizeof(Interval));

	span->day = (int32) (usecs / USECS_PER_DAY);
	span->time = usecs % USECS_PER_DAY;
	return DatumGetCString(DirectFunctionCall1(interval_out,
											   IntervalPGetDatum(span)));
}

/*
 * Returns the trigger data of a BEFORE INSERT OR UPDATE ... FOR EACH ROW
 * trigger call, and the row it is about in *row; errors out naming
 * function otherwise.
 */
TriggerData *
adoption_before_row_trigger(FunctionCallInfo fcinfo, const char *function, HeapTuple *row)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be a BEFORE INSERT OR UPDATE ... FOR EACH ROW trigger", function)));
	*row = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
	return trigdata;
}

/*
 * Returns array argument argno of an aggregate support function, writable:
 * in place when called as part of an aggregate (nodeAgg owns the state),
 * else a copy (a user calling the function by hand keeps its value).
 */
ArrayType *
adoption_writable_array(FunctionCallInfo fcinfo, int argno)
{
	if (AggCheckCallContext(fcinfo, NULL))
		return PG_GETARG_ARRAYTYPE_P(argno);
	return PG_GETARG_ARRAYTYPE_P_COPY(argno);
}

/* Builds a text[] from n C strings (NULL elements allowed). */
Datum
adoption_text_array(const char *const *values, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int			i;

	for (i = 0; i < n; i++)
	{
		nulls[i] = (values[i] == NULL);
		elems[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(values[i]);
	}
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
											  TEXTOID, -1, false, TYPALIGN_INT));
}

adoption_plan_slot_fn adoption_plan_slot_hook = NULL;
adoption_resolve_sql_fn adoption_resolve_sql_hook = NULL;

/*
 * Runs a statement whose plan is prepared on first use and kept for the
 * backend (a generic plan: the statements of the extension take arrays or
 * keys, whose values do not change the plan's shape).  The caller is
 * SPI-connected.  Returns the SPI result code; raises on failure.
 *
 * SPI returns in its procedure context, which lives until SPI_finish, i.e.
 * the end of the statement that called the extension; the caller's context
 * is restored so that its per-chunk allocations are freed with the chunk.
 */
int
adoption_run_kept_plan(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types,
					   Datum *args, const char *nulls)
{
	MemoryContext caller = CurrentMemoryContext;
	int			rc;

	/* Citus: one plan per shard, naming the shard's relations (citus.c). */
	if (adoption_plan_slot_hook != NULL)
		plan = adoption_plan_slot_hook(plan);
	if (*plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare_cursor(adoption_resolve_sql_hook != NULL ?
										   adoption_resolve_sql_hook(sql) : sql,
										   nargs, types, CURSOR_OPT_GENERIC_PLAN);

		if (p == NULL)
			elog(ERROR, "pg_adoption: SPI_prepare failed: %s",
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		*plan = p;
	}
	rc = SPI_execute_plan(*plan, args, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "pg_adoption: statement failed: %s", SPI_result_code_string(rc));
	MemoryContextSwitchTo(caller);
	return rc;
}

/*
 * Starts a GUC nest level in which the planner avoids sequential scans,
 * hash and merge joins and sorts, for the first run of a kept generic plan
 * that looks keys up (see run_stmt in state.c); returns the level, which
 * the caller ends with AtEOXact_GUC(true, level).
 */
int
adoption_index_plans_begin(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("enable_hashjoin", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("enable_mergejoin", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("enable_sort", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}
