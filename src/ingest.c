/*
 * ingest.c: adoption.track_events(), the statement-level AFTER INSERT
 * trigger of the event log.
 *
 * Design.  The trigger is called once per statement (INSERT, multi-row
 * INSERT, INSERT ... SELECT, INSERT ... ON CONFLICT DO NOTHING, COPY) with
 * the rows the statement actually inserted in the transition table
 * new_events, in arrival order; a resent event that ON CONFLICT skipped is
 * not in it, so it is neither stored nor counted twice.  One pass over the
 * rows:
 *
 *   1. validates each event (the row is already in the table, and an error
 *      here aborts the statement, so nothing of it stays);
 *   2. notes the tenants and features it names, so that the unseen ones are
 *      registered with one set-based upsert per table (registry.c);
 *   3. hands the event to the adoption engine (state.c), which maintains
 *      the user and tenant state and enqueues milestone actions, set-wise
 *      per chunk of events.
 * If the statement enqueued actions, it sends one NOTIFY adoption_actions.
 *
 * All of it runs in a subtransaction, so that a statement chosen as the
 * victim of a deadlock over state rows can give up its locks and do the
 * work again instead of failing (see adoption_track_events).
 *
 * Validation lives here rather than in a row trigger because the pass reads
 * every column it needs anyway; a BEFORE ROW trigger would add a function
 * call per row on the hottest path.
 *
 * Memory is bounded whatever the size of the statement: each row is read in
 * a per-row context that is reset, and the registration batch is flushed
 * whenever it holds INGEST_FLUSH_KEYS keys, so a COPY of tens of millions of
 * rows holds at most that many keys at once, and so does the engine (the
 * transition table itself spills to disk beyond work_mem).
 *
 * Big statements are split by tenant x feature pair.  The engine holds at
 * most pg_adoption.engine_chunk_keys user x feature keys; when a statement
 * names more, a key whose events are spread over the file is read and
 * written once per chunk it falls in, up to once per event: the trigger's
 * share of a COPY of 4M events over 300k keys took six times longer per
 * event than that of 1M events over 93k keys.  So a statement with more
 * rows than that first makes one pass that validates, registers and
 * estimates its distinct keys (a HyperLogLog sketch, 4 kB); if they may
 * not fit one chunk, the rows are fed to the engine in n passes over the
 * transition table, pass p taking the pairs whose hash is p modulo n, each
 * pass about engine_chunk_keys * INGEST_PART_FILL keys.  Every state and
 * milestone of a pair depends only on that pair's events in arrival order
 * (state.c), which each pass keeps, so the result is the same as one pass;
 * only the order in which actions of different pairs are enqueued differs.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"
#include "utils/wait_event.h"

#include "pg_adoption.h"
#include "actions.h"
#include "citus.h"
#include "registry.h"
#include "state.h"
#include "validate.h"

/* Registration keys held before a batch is flushed. */
#define INGEST_FLUSH_KEYS 10000

/* Times a statement chosen as a deadlock's victim does its work again. */
#define INGEST_DEADLOCK_RETRIES 3

/* Before retry n, the victim sleeps n times this plus up to this again, ms. */
#define INGEST_DEADLOCK_BACKOFF_MS 20

/* Share of the engine's chunk a pass aims at (room for the sketch's error and skew). */
#define INGEST_PART_FILL 0.7

/* The key sketch: 2^12 one-byte HyperLogLog registers, about 1.6 % error. */
#define SKETCH_BITS 12
#define SKETCH_REGISTERS (1 << SKETCH_BITS)

/* Attribute numbers of the event log's columns. */
typedef struct EventColumns
{
	AttrNumber	event_id;
	AttrNumber	tenant_id;
	AttrNumber	user_id;
	AttrNumber	feature_id;
	AttrNumber	feature_name;
	AttrNumber	usage_timestamp;
	AttrNumber	session_duration;
	AttrNumber	success_outcome;
	AttrNumber	integration_context;
	AttrNumber	max_attnum;
} EventColumns;

/* One event as read from the transition table. */
typedef struct IngestEvent
{
	char	   *tenant_id;
	char	   *user_id;
	char	   *feature_id;
	char	   *feature_name;	/* NULL if not sent */
	TimestampTz usage_timestamp;
	int32		session_duration;
	bool		success_outcome;
} IngestEvent;

/* Returns the attribute number of column name, which must exist. */
static AttrNumber
event_column(TupleDesc desc, const char *name)
{
	int			attnum = SPI_fnumber(desc, name);

	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column %s of adoption.feature_usage_events is missing", name),
				 errhint("The event log was altered by hand; re-create the extension.")));
	return (AttrNumber) attnum;
}

static void
event_columns(TupleDesc desc, EventColumns *cols)
{
	cols->event_id = event_column(desc, "event_id");
	cols->tenant_id = event_column(desc, "tenant_id");
	cols->user_id = event_column(desc, "user_id");
	cols->feature_id = event_column(desc, "feature_id");
	cols->feature_name = event_column(desc, "feature_name");
	cols->usage_timestamp = event_column(desc, "usage_timestamp");
	cols->session_duration = event_column(desc, "session_duration");
	cols->success_outcome = event_column(desc, "success_outcome");
	cols->integration_context = event_column(desc, "integration_context");
	cols->max_attnum = Max(Max(Max(cols->event_id, cols->tenant_id),
							   Max(cols->user_id, cols->feature_id)),
						   Max(Max(cols->feature_name, cols->usage_timestamp),
							   Max(Max(cols->session_duration, cols->success_outcome),
								   cols->integration_context)));
}

/* Returns the event's id for error details. */
static char *
event_ident(TupleTableSlot *slot, const EventColumns *cols)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out,
											   slot->tts_values[cols->event_id - 1]));
}

/* Returns an id column as a C string, rejecting an empty or blank one. */
static char *
event_id_text(TupleTableSlot *slot, const EventColumns *cols, AttrNumber att,
			  const char *col)
{
	text	   *t;

	if (slot->tts_isnull[att - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("%s must not be null", col)));
	t = DatumGetTextPP(slot->tts_values[att - 1]);
	if (adoption_is_blank(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("%s must not be empty", col),
				 errdetail("The event with event_id %s has %s \"%s\".",
						   event_ident(slot, cols), col, text_to_cstring(t)),
				 errhint("Every event names its tenant (account), user and feature with non-empty text ids.")));
	return text_to_cstring(t);
}

/*
 * Reads and validates the event in slot into *ev.  now is the wall-clock
 * time of the statement, against which max_future_skew is measured.
 */
static void
read_event(TupleTableSlot *slot, const EventColumns *cols, TimestampTz now,
		   IngestEvent *ev)
{
	Jsonb	   *context;

	slot_getsomeattrs(slot, cols->max_attnum);

	ev->tenant_id = event_id_text(slot, cols, cols->tenant_id, "tenant_id");
	ev->user_id = event_id_text(slot, cols, cols->user_id, "user_id");
	ev->feature_id = event_id_text(slot, cols, cols->feature_id, "feature_id");
	ev->feature_name = NULL;
	if (!slot->tts_isnull[cols->feature_name - 1])
		ev->feature_name = event_id_text(slot, cols, cols->feature_name, "feature_name");

	ev->session_duration = DatumGetInt32(slot->tts_values[cols->session_duration - 1]);
	if (ev->session_duration < 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("session_duration must not be negative: %d", ev->session_duration),
				 errdetail("The event with event_id %s of tenant \"%s\" has session_duration %d.",
						   event_ident(slot, cols), adoption_msg_value(ev->tenant_id),
						   ev->session_duration),
				 errhint("session_duration counts seconds spent in the feature; send 0 when it is unknown.")));

	ev->success_outcome = DatumGetBool(slot->tts_values[cols->success_outcome - 1]);

	ev->usage_timestamp = DatumGetTimestampTz(slot->tts_values[cols->usage_timestamp - 1]);
	if (TIMESTAMP_NOT_FINITE(ev->usage_timestamp))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("usage_timestamp must be a finite time, not %s",
						TIMESTAMP_IS_NOBEGIN(ev->usage_timestamp) ? "-infinity" : "infinity"),
				 errdetail("The event with event_id %s of tenant \"%s\" has an infinite usage_timestamp.",
						   event_ident(slot, cols), adoption_msg_value(ev->tenant_id))));
	if (ev->usage_timestamp > now)
	{
		AdoptionSettings s;

		adoption_get_settings(ev->tenant_id, &s);
		if (ev->usage_timestamp - now > s.max_future_skew)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("usage_timestamp %s is too far in the future",
							pstrdup(timestamptz_to_str(ev->usage_timestamp))),
					 errdetail("The event with event_id %s of tenant \"%s\" is more than max_future_skew (%s) ahead of the current time %s.",
							   event_ident(slot, cols), adoption_msg_value(ev->tenant_id),
							   adoption_usecs_text(s.max_future_skew),
							   pstrdup(timestamptz_to_str(now))),
					 errhint("Send the time the feature was used; check the client's clock and time zone, or raise max_future_skew in adoption.settings.")));
	}

	context = DatumGetJsonbP(slot->tts_values[cols->integration_context - 1]);
	if (!JB_ROOT_IS_OBJECT(context) || JB_ROOT_IS_SCALAR(context))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("integration_context must be a JSON object, not %s",
						adoption_msg_value(JsonbToCString(NULL, &context->root,
														  VARSIZE(context)))),
				 errdetail("The event with event_id %s of tenant \"%s\" has a non-object integration_context.",
						   event_ident(slot, cols), adoption_msg_value(ev->tenant_id)),
				 errhint("Send an object such as {\"source\": \"web\", \"campaign_influence\": \"spring_launch\"}, or {} for none.")));
}

/* Adds a 64-bit key hash to a HyperLogLog sketch. */
static inline void
sketch_add(uint8 *registers, uint64 h)
{
	int			index = (int) (h >> (64 - SKETCH_BITS));
	uint64		rest = (h << SKETCH_BITS) | ((uint64) 1 << (SKETCH_BITS - 1));
	uint8		rank = (uint8) (64 - pg_leftmost_one_pos64(rest));

	if (rank > registers[index])
		registers[index] = rank;
}

/*
 * Returns the sketch's estimate of the distinct keys added (Flajolet et al.
 * 2007, with linear counting for small numbers; 64-bit hashes need no
 * large-range correction).
 */
static double
sketch_estimate(const uint8 *registers)
{
	double		m = SKETCH_REGISTERS;
	double		sum = 0;
	double		estimate;
	int			zeros = 0;
	int			i;

	for (i = 0; i < SKETCH_REGISTERS; i++)
	{
		sum += ldexp(1.0, -registers[i]);
		if (registers[i] == 0)
			zeros++;
	}
	estimate = (0.7213 / (1.0 + 1.079 / m)) * m * m / sum;
	if (estimate <= 2.5 * m && zeros > 0)
		estimate = m * log(m / zeros);
	return estimate;
}

/* Returns the 64-bit hash of an event's user x feature key. */
static uint64
event_key_hash(const IngestEvent *ev)
{
	uint64		h;

	h = hash_bytes_extended((const unsigned char *) ev->tenant_id, (int) strlen(ev->tenant_id), 0);
	h = hash_bytes_extended((const unsigned char *) ev->feature_id, (int) strlen(ev->feature_id), h);
	return hash_bytes_extended((const unsigned char *) ev->user_id, (int) strlen(ev->user_id), h);
}

/* Returns the pass (0..n_parts-1) of the event's tenant x feature pair. */
static int
event_part(TupleTableSlot *slot, const EventColumns *cols, int n_parts)
{
	text	   *t;
	uint32		h;

	slot_getsomeattrs(slot, Max(cols->tenant_id, cols->feature_id));
	t = DatumGetTextPP(slot->tts_values[cols->tenant_id - 1]);
	h = hash_bytes((const unsigned char *) VARDATA_ANY(t), (int) VARSIZE_ANY_EXHDR(t));
	t = DatumGetTextPP(slot->tts_values[cols->feature_id - 1]);
	h = hash_combine(h, hash_bytes((const unsigned char *) VARDATA_ANY(t),
								   (int) VARSIZE_ANY_EXHDR(t)));
	return (int) (h % (uint32) n_parts);
}

/*
 * Validates, registers and tracks the rows of newtable (read through slot),
 * allocating in work_mcxt.  Everything it writes (registrations, state,
 * actions) can be rolled back and done again: see adoption_track_events.
 */
static void
track_statement(Tuplestorestate *newtable, TupleTableSlot *slot,
				EventColumns *cols, TimestampTz now, MemoryContext work_mcxt)
{
	MemoryContext row_mcxt;
	RegistryBatch *registry;
	Engine	   *engine;
	bool		split;
	uint8	   *registers = NULL;

	MemoryContextSwitchTo(work_mcxt);
	row_mcxt = AllocSetContextCreate(work_mcxt, "pg_adoption ingest row",
									 ALLOCSET_SMALL_SIZES);
	registry = adoption_registry_begin(work_mcxt);
	engine = adoption_engine_begin(true);
	split = tuplestore_tuple_count(newtable) > adoption_engine_chunk_keys;
	if (split)
		registers = palloc0(SKETCH_REGISTERS);

	/* Validate and register every row; feed the engine too unless split. */
	tuplestore_rescan(newtable);
	while (tuplestore_gettupleslot(newtable, true, false, slot))
	{
		IngestEvent ev;
		long		held;

		MemoryContextReset(row_mcxt);
		MemoryContextSwitchTo(row_mcxt);
		read_event(slot, cols, now, &ev);
		if (split)
			sketch_add(registers, event_key_hash(&ev));
		MemoryContextSwitchTo(work_mcxt);
		held = adoption_registry_note(registry, ev.tenant_id, ev.feature_id,
									  ev.feature_name);
		if (held >= INGEST_FLUSH_KEYS)
			adoption_registry_flush(registry);
		if (!split)
			adoption_engine_add(engine, ev.tenant_id, ev.user_id, ev.feature_id,
								ev.usage_timestamp, ev.session_duration,
								ev.success_outcome);
	}
	adoption_registry_flush(registry);

	/* A big statement: the engine gets its pairs in passes of a chunk each. */
	if (split)
	{
		double		keys = sketch_estimate(registers);
		int			n_parts = (int) Min(ceil(keys / (adoption_engine_chunk_keys * INGEST_PART_FILL)),
										 1024.0);
		int			part;

		n_parts = Max(n_parts, 1);
		elog(DEBUG1, "pg_adoption: %lld events, about %.0f user x feature keys, in %d pass%s",
			 (long long) tuplestore_tuple_count(newtable), keys, n_parts,
			 n_parts == 1 ? "" : "es");
		for (part = 0; part < n_parts; part++)
		{
			tuplestore_rescan(newtable);
			while (tuplestore_gettupleslot(newtable, true, false, slot))
			{
				IngestEvent ev;

				if (n_parts > 1 && event_part(slot, cols, n_parts) != part)
					continue;
				MemoryContextReset(row_mcxt);
				MemoryContextSwitchTo(row_mcxt);
				read_event(slot, cols, now, &ev);
				MemoryContextSwitchTo(work_mcxt);
				adoption_engine_add(engine, ev.tenant_id, ev.user_id, ev.feature_id,
									ev.usage_timestamp, ev.session_duration,
									ev.success_outcome);
			}
		}
	}
	adoption_notify_actions(adoption_engine_end(engine));
}

/*
 * Tracks the statement's new events, in a subtransaction when one is
 * allowed, again after a deadlock (see adoption_track_events).
 */
static void
track_with_retries(Tuplestorestate *newtable, TupleTableSlot *slot,
				   EventColumns *cols, TimestampTz now,
				   MemoryContext stmt_mcxt, MemoryContext work_mcxt,
				   ResourceOwner owner)
{
	int			attempt;

	for (attempt = 1;; attempt++)
	{
		bool		subxact = adoption_subxact_allowed();
		bool		deadlocked = false;

		if (subxact)
			BeginInternalSubTransaction(NULL);
		PG_TRY();
		{
			track_statement(newtable, slot, cols, now, work_mcxt);
			if (subxact)
			{
				ReleaseCurrentSubTransaction();
				CurrentResourceOwner = owner;
			}
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			if (!subxact)
				PG_RE_THROW();
			edata = adoption_subxact_rollback(stmt_mcxt, owner);
			if (edata->sqlerrcode != ERRCODE_T_R_DEADLOCK_DETECTED ||
				attempt > INGEST_DEADLOCK_RETRIES)
				ReThrowError(edata);
			FreeErrorData(edata);
			deadlocked = true;
		}
		PG_END_TRY();
		MemoryContextSwitchTo(stmt_mcxt);
		if (!deadlocked)
			break;
		ereport(DEBUG1,
				(errmsg_internal("pg_adoption: deadlock while tracking %lld events, their state locks given up: attempt %d",
								 (long long) tuplestore_tuple_count(newtable), attempt + 1)));
		MemoryContextReset(work_mcxt);

		/*
		 * Let the other session take the rows first: it was waiting for
		 * them, but a retry at once can lock them again before it is even
		 * scheduled (seen on a loaded machine: the same deadlock 3 times).
		 */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 INGEST_DEADLOCK_BACKOFF_MS * attempt +
						 (long) pg_prng_uint64_range(&pg_global_prng_state, 0,
													 INGEST_DEADLOCK_BACKOFF_MS),
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

PG_FUNCTION_INFO_V1(adoption_track_events);

/*
 * Returns NULL after validating and tracking the statement's new events.
 *
 * The work runs in a subtransaction.  Two sessions that lock the same state
 * rows in opposite orders (transactions of several statements, a statement
 * that meets a user another session has just created, see state.c) wait for
 * each other, and PostgreSQL aborts one of them with 40P01; the aborted one
 * rolls its subtransaction back, which gives up every state row it locked,
 * so the other can finish, and then does the work again (the statement's
 * rows are already in the table, outside the subtransaction), up to
 * INGEST_DEADLOCK_RETRIES times.  Any other error aborts the statement.
 * A transaction of many statements stops doing so (adoption_subxact_allowed).
 */
Datum
adoption_track_events(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Tuplestorestate *newtable;
	TupleDesc	desc;
	TupleTableSlot *slot;
	EventColumns cols;
	MemoryContext stmt_mcxt;
	MemoryContext work_mcxt;
	MemoryContext old;
	ResourceOwner owner = CurrentResourceOwner;
	TimestampTz now = GetCurrentTimestamp();

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		trigdata->tg_newtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("adoption.track_events() must be an AFTER INSERT ... REFERENCING NEW TABLE ... FOR EACH STATEMENT trigger")));

	newtable = trigdata->tg_newtable;
	desc = RelationGetDescr(trigdata->tg_relation);
	event_columns(desc, &cols);

	stmt_mcxt = AllocSetContextCreate(CurrentMemoryContext,
									  "pg_adoption ingest statement",
									  ALLOCSET_DEFAULT_SIZES);
	work_mcxt = AllocSetContextCreate(stmt_mcxt, "pg_adoption ingest work",
									  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(stmt_mcxt);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pg_adoption: SPI_connect failed");
	slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);

	/*
	 * Citus: on a shard of the event log, the call works in the scope of its
	 * shard group (citus.c): the co-located shards and this node's copy of
	 * the reference tables, the play policy's functions included.
	 */
	adoption_citus_enter_relation(trigdata->tg_relation);
	PG_TRY();
	{
		track_with_retries(newtable, slot, &cols, now, stmt_mcxt, work_mcxt, owner);
	}
	PG_FINALLY();
	{
		adoption_citus_leave();
	}
	PG_END_TRY();
	ExecDropSingleTupleTableSlot(slot);

	SPI_finish();
	MemoryContextSwitchTo(old);
	MemoryContextDelete(stmt_mcxt);
	return PointerGetDatum(NULL);
}
