/*
 * rebuild.c: adoption.rebuild(tenant_id), which recomputes the adoption
 * state of one tenant (or all) from the event log.
 *
 * It deletes the state and replays the events through the same engine the
 * ingest trigger uses (state.c), reading the log through a cursor so memory
 * stays bounded.  The state is a function of the set of events, so the
 * order of the replay does not change it; the replay goes tenant x feature
 * pair by pair (ORDER BY tenant_id, feature_id) so that a chunk of the
 * engine holds whole pairs and every key is loaded and written about once
 * (in arrival order, a log with more keys than a chunk had each key written
 * once per chunk its events fell in: 4M events took 15 times as long as
 * 1M).  The sort compares the ids bytewise (COLLATE "C"): only the grouping
 * matters.  At the end the engine evaluates every tenant replayed from its
 * first event (tenant.c), which reads each tenant's events once more, in
 * time order.
 *
 * It enqueues no actions: the actions of milestones reached before were
 * enqueued when they were reached (and campaign_action_keys remembers them).
 * A SHARE lock on the event log keeps ingest out until the transaction ends,
 * so no event is missed; the cursor is opened read-write so that, under READ
 * COMMITTED, it takes a snapshot after the lock was granted and sees every
 * committed event.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "helpers.h"
#include "citus.h"
#include "state.h"
#include "validate.h"

#define REBUILD_FETCH 10000

/* The state rebuild() recomputes (constant names, not user input). */
static const char *const state_tables[] = {
	"user_feature_state", "tenant_user_state", "tenant_feature_counts",
	"tenant_feature_milestones", "tenant_state"
};

PG_FUNCTION_INFO_V1(adoption_rebuild);

/* Returns the number of events replayed. */
Datum
adoption_rebuild(PG_FUNCTION_ARGS)
{
	char	   *tenant_id = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	const char *nulls = tenant_id ? " " : "n";
	Portal		portal;
	Engine	   *engine;
	int64		replayed = 0;
	MemoryContext mcxt;
	MemoryContext batch_mcxt;
	MemoryContext old;
	int			i;

	if (tenant_id != NULL && adoption_is_blank(tenant_id, (int) strlen(tenant_id)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tenant_id must not be empty"),
				 errhint("Pass NULL (or nothing) to rebuild every tenant.")));
	args[0] = tenant_id ? CStringGetTextDatum(tenant_id) : (Datum) 0;

	/* On a Citus coordinator: on each shard group, on its worker (citus.c). */
	if (adoption_citus_dispatching())
		PG_RETURN_INT64(adoption_citus_run_sum(tenant_id,
											   psprintf("SELECT adoption.rebuild(%s) AS n",
														tenant_id ? quote_literal_cstr(tenant_id) : "NULL")));

	mcxt = AllocSetContextCreate(CurrentMemoryContext, "pg_adoption rebuild",
								 ALLOCSET_DEFAULT_SIZES);
	/* The strings of one fetched batch; the engine copies what it keeps. */
	batch_mcxt = AllocSetContextCreate(mcxt, "pg_adoption rebuild batch",
									   ALLOCSET_DEFAULT_SIZES);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pg_adoption: SPI_connect failed");

	/* On a Citus shard: the shard's (citus.c). */
	if (SPI_execute(adoption_resolve_sql("LOCK TABLE adoption.feature_usage_events IN SHARE MODE"),
					false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "pg_adoption: could not lock the event log");
	for (i = 0; i < lengthof(state_tables); i++)
	{
		char	   *sql = psprintf("DELETE FROM adoption.%s"
								   " WHERE $1::pg_catalog.text IS NULL OR tenant_id OPERATOR(pg_catalog.=) $1",
								   state_tables[i]);

		if (SPI_execute_with_args(sql, 1, argtypes, args, nulls, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "pg_adoption: could not clear adoption.%s", state_tables[i]);
	}

	portal = SPI_cursor_open_with_args(NULL,
									   "SELECT tenant_id, user_id, feature_id, usage_timestamp,"
									   " session_duration, success_outcome"
									   " FROM adoption.feature_usage_events"
									   " WHERE $1::pg_catalog.text IS NULL OR tenant_id OPERATOR(pg_catalog.=) $1"
									   " ORDER BY tenant_id COLLATE \"C\", feature_id COLLATE \"C\"",
									   1, argtypes, args, nulls, false, 0);

	old = MemoryContextSwitchTo(mcxt);
	engine = adoption_engine_begin(false);
	MemoryContextSwitchTo(old);
	for (;;)
	{
		uint64		i;
		uint64		n;
		SPITupleTable *batch;

		SPI_cursor_fetch(portal, true, REBUILD_FETCH);
		if (SPI_processed == 0)
			break;

		/*
		 * The engine runs statements of its own when a chunk is full, which
		 * set SPI_processed and SPI_tuptable again: keep this batch's.
		 */
		n = SPI_processed;
		batch = SPI_tuptable;
		for (i = 0; i < n; i++)
		{
			HeapTuple	tup = batch->vals[i];
			TupleDesc	desc = batch->tupdesc;
			bool		isnull;

			old = MemoryContextSwitchTo(batch_mcxt);
			adoption_engine_add(engine,
								SPI_getvalue(tup, desc, 1),
								SPI_getvalue(tup, desc, 2),
								SPI_getvalue(tup, desc, 3),
								DatumGetTimestampTz(SPI_getbinval(tup, desc, 4, &isnull)),
								DatumGetInt32(SPI_getbinval(tup, desc, 5, &isnull)),
								DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull)));
			MemoryContextSwitchTo(old);
			replayed++;
		}
		SPI_freetuptable(batch);
		MemoryContextReset(batch_mcxt);
	}
	SPI_cursor_close(portal);
	old = MemoryContextSwitchTo(mcxt);
	adoption_engine_end(engine);
	MemoryContextSwitchTo(old);
	SPI_finish();
	MemoryContextDelete(mcxt);
	PG_RETURN_INT64(replayed);
}
