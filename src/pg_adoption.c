/*
 * pg_adoption.c: module start-up (the server setting, the callbacks) and
 * the cache invalidation trigger.  The helpers the concerns share are in
 * helpers.c.
 *
 * The module keeps backend-local caches (settings, known tenants and
 * features, milestone campaigns, the lexicon).  They are emptied by one
 * relcache callback: the tables behind them have statement triggers
 * (adoption.invalidate_cache) that call CacheInvalidateRelcache(), the
 * pattern pg_cron uses for its job cache, so every backend drops its copy
 * when the change commits, and the changing backend at its next command.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "actions.h"
#include "citus.h"
#include "feedback.h"
#include "registry.h"
#include "settings.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static bool callbacks_registered = false;

/* Relcache callback: empties the caches that depend on relid. */
static void
adoption_relcache_callback(Datum arg, Oid relid)
{
	adoption_settings_invalidate(relid);
	adoption_registry_invalidate(relid);
	adoption_actions_invalidate(relid);
	adoption_feedback_invalidate(relid);
	adoption_citus_invalidate(relid);
}

/* Transaction callback: publishes or drops what this transaction registered. */
static void
adoption_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			adoption_registry_xact_end(true);
			adoption_citus_xact_end();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			adoption_registry_xact_end(false);
			adoption_citus_xact_end();
			break;
		default:
			break;
	}
}

/* Subtransaction callback: a rolled-back savepoint may have undone registrations. */
static void
adoption_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		adoption_registry_subxact_abort();
}

void
_PG_init(void)
{
	if (callbacks_registered)
		return;
	DefineCustomIntVariable("pg_adoption.engine_chunk_keys",
							"Distinct user x feature keys the adoption engine holds before it writes their state.",
							"Bounds the ingest trigger's memory; a statement with more rows is fed to the engine in passes of about 70 % of this many keys, by tenant x feature pair.",
							&adoption_engine_chunk_keys,
							ADOPTION_ENGINE_CHUNK_KEYS, 100, 10000000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("pg_adoption");
	CacheRegisterRelcacheCallback(adoption_relcache_callback, (Datum) 0);
	RegisterXactCallback(adoption_xact_callback, NULL);
	RegisterSubXactCallback(adoption_subxact_callback, NULL);
	adoption_citus_init();
	callbacks_registered = true;
}

PG_FUNCTION_INFO_V1(adoption_invalidate_cache);

/*
 * Returns NULL after asking every backend to reload its copy of the table;
 * with a transition table, only if the statement changed a row.
 */
Datum
adoption_invalidate_cache(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Tuplestorestate *changed;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("adoption.invalidate_cache() must be a FOR EACH STATEMENT trigger")));
	changed = trigdata->tg_newtable ? trigdata->tg_newtable : trigdata->tg_oldtable;
	if (changed == NULL || tuplestore_tuple_count(changed) > 0)
		CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}

