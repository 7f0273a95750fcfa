/*
 * queue.c: completing a claimed campaign action without the executor.
 *
 * A campaign worker completes every action it claims, one call each
 * (docs/action-queue.md).  In PL/pgSQL a completion was a DELETE on the
 * partitioned queue (its plan starting all 16 parts of the ring) and an
 * INSERT into the archive, each through SPI: a portal, a plan revalidation,
 * an executor start and end, more than the work, and half of the time of a
 * drain.  Here, when nothing asks for the executor, it is what the
 * statements do, through the direct paths of direct.c:
 *
 *   the row       the part of the ring that holds the action's own
 *                 generation (ADOPTION_RING_SLOTS parts, ids in blocks of
 *                 ADOPTION_GENERATION_IDS), its index on action_id, the row
 *                 locked FOR UPDATE as the DELETE's row lock would be
 *                 (adoption_row_lock_id: under READ COMMITTED the newest
 *                 version, under REPEATABLE READ a concurrent change is a
 *                 serialization failure);
 *   the check     claimed, by worker (when given), lease not expired: what
 *                 the DELETE of take_held_action() checks on that version;
 *   the writes    the row deleted (ExecSimpleRelationDelete) and its
 *                 archive row inserted, status done, completed_at now()
 *                 (ExecSimpleRelationInsert), in the function's
 *                 transaction: WAL, replication and crash safety are those
 *                 of the DELETE and INSERT.
 *
 * Anything else runs the SQL (take_held_action() and the INSERT into the
 * archive), which finds actions queued again in another part, raises the
 * errors, and is what runs on a Citus cluster (the queue is distributed
 * there), when row-level security applies to the function's owner, when
 * the owner lacks a privilege the statements need, and when a table has a
 * trigger: there the direct path would not do what the statements do.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_index.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "direct.h"
#include "helpers.h"
#include "queue.h"

/* The SQL way: the held action taken out of the queue, archived as done. */
static const char *const complete_sql =
"INSERT INTO adoption.campaign_action_archive"
" SELECT a.action_id, a.tenant_id, a.user_id, a.feature_id, a.template_key, a.campaign_id, a.reason,"
"  a.dedupe_key, 'done', a.attempts, a.available_at, a.claimed_by, a.lease_until, a.last_error,"
"  a.created_at, pg_catalog.now()"
" FROM adoption.take_held_action($1, $2) AS a";

/* The table of the ring's part slot: adoption.campaign_action_queue_<slot>. */
static Oid
ring_part(int slot)
{
	char		name[NAMEDATALEN];

	snprintf(name, sizeof(name), "campaign_action_queue_%d", slot);
	return adoption_relid(name);
}

/*
 * Whether the direct paths may stand for the SQL on the partitioned queue,
 * for a statement that needs the privileges mode on it: no Citus (its
 * catalog is absent), no row-level security for the current user, no
 * trigger on the queue.
 */
static bool
queue_direct_usable(AclMode mode)
{
	Oid			queue = adoption_relid("campaign_action_queue");
	Relation	rel;
	bool		ok;

	if (!OidIsValid(queue) ||
		OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)) ||
		pg_class_aclcheck(queue, GetUserId(), mode) != ACLCHECK_OK ||
		check_enable_rls(queue, InvalidOid, true) == RLS_ENABLED)
		return false;
	rel = table_open(queue, RowExclusiveLock);
	ok = rel->trigdesc == NULL;
	table_close(rel, NoLock);
	return ok;
}

/*
 * Whether the direct path may stand for the SQL on the queue's part and
 * the archive: the queue's conditions (queue_direct_usable) with DELETE
 * and SELECT on it, INSERT on the archive, and neither the part nor the
 * archive with a trigger or row-level security (adoption_direct_usable).
 */
static bool
complete_direct_usable(Oid part, Oid archive)
{
	return OidIsValid(part) && OidIsValid(archive) &&
		pg_class_aclcheck(archive, GetUserId(), ACL_INSERT) == ACLCHECK_OK &&
		adoption_direct_usable(part) && adoption_direct_usable(archive) &&
		queue_direct_usable(ACL_SELECT | ACL_DELETE);
}

/* Whether the locked row is claimed by worker (any, if NULL) and its lease runs. */
static bool
held_by(DirectRow *row, text *worker)
{
	bool		isnull;
	Datum		d;

	d = adoption_row_get(row, "status", &isnull);
	if (isnull || strcmp(TextDatumGetCString(d), "claimed") != 0)
		return false;
	d = adoption_row_get(row, "lease_until", &isnull);
	if (isnull || DatumGetTimestampTz(d) < GetCurrentTransactionStartTimestamp())
		return false;
	if (worker == NULL)
		return true;
	d = adoption_row_get(row, "claimed_by", &isnull);
	return !isnull && DatumGetBool(DirectFunctionCall2Coll(texteq, DEFAULT_COLLATION_OID,
														   d, PointerGetDatum(worker)));
}

/*
 * The archive row of the queue's row: every column of the archive by name
 * from the row, status and completed_at given.  False (nothing written)
 * when the archive cannot be written directly (adoption_row_insert).
 */
static bool
archive_row(DirectRow *row, Oid archive, const char *status)
{
	DirectRow  *out = adoption_row_new(archive);
	TupleDesc	from = RelationGetDescr(row->rel);
	TupleDesc	to = RelationGetDescr(out->rel);
	int			i;
	int			j;
	bool		ok;

	for (i = 0; i < to->natts; i++)
	{
		const char *name = NameStr(TupleDescAttr(to, i)->attname);

		if (TupleDescAttr(to, i)->attisdropped)
			continue;
		for (j = 0; j < from->natts; j++)
			if (!TupleDescAttr(from, j)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(from, j)->attname), name) == 0)
			{
				out->values[i] = row->values[j];
				out->isnull[i] = row->isnull[j];
				break;
			}
	}
	adoption_row_set(out, "status", CStringGetTextDatum(status), false);
	adoption_row_set(out, "completed_at", TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false);
	ok = adoption_row_insert(out);
	adoption_row_release(out);
	return ok;
}

/* Completes the action directly; false if the SQL must (nothing done then). */
static bool
complete_direct(int64 action_id, text *worker)
{
	Oid			part = ring_part(adoption_action_slot(action_id));
	Oid			archive = adoption_relid("campaign_action_archive");
	DirectRow  *row;
	bool		done;

	if (!complete_direct_usable(part, archive))
		return false;
	row = adoption_row_lock_id(part, "action_id", action_id);
	if (row == NULL)
		return false;
	if (!held_by(row, worker))
	{
		adoption_row_release(row);
		return false;
	}
	done = archive_row(row, archive, "done");
	if (done)
		adoption_row_delete(row);
	adoption_row_release(row);
	return done;
}

/* complete_action(action_id, worker): 'done', or an error. */
PG_FUNCTION_INFO_V1(adoption_complete_action);
Datum
adoption_complete_action(PG_FUNCTION_ARGS)
{
	Datum		args[2];
	char		nulls[2] = {' ', ' '};
	Oid			types[2] = {INT8OID, TEXTOID};

	if (!PG_ARGISNULL(0) &&
		complete_direct(PG_GETARG_INT64(0), PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1)))
		PG_RETURN_TEXT_P(cstring_to_text("done"));

	args[0] = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
	args[1] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	nulls[0] = PG_ARGISNULL(0) ? 'n' : ' ';
	nulls[1] = PG_ARGISNULL(1) ? 'n' : ' ';
	SPI_connect();
	/* Planned at each call, as PL/pgSQL's custom plans: Citus plans it no other way. */
	if (SPI_execute_with_args(complete_sql, 2, types, args, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "pg_adoption: could not archive campaign action");
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text("done"));
}

/* action_ring_slots(): the parts of the queue's ring. */
PG_FUNCTION_INFO_V1(adoption_action_ring_slots);
Datum
adoption_action_ring_slots(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT16(ADOPTION_RING_SLOTS);
}

/* action_generation_ids(): the ids in a generation of the ring. */
PG_FUNCTION_INFO_V1(adoption_action_generation_ids);
Datum
adoption_action_generation_ids(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(ADOPTION_GENERATION_IDS);
}

/*
 * Claiming.  claim_actions() hands out the due pending actions in the
 * order (available_at, action_id) over the live slots, FOR UPDATE SKIP
 * LOCKED, and marks them claimed.  As SQL that was one statement on the
 * partitioned queue: a Merge Append of the live parts' indexes of pending
 * actions under LockRows and a Limit, joined back to the queue for the
 * UPDATE, whose plan starts all 16 parts.  claim_pending() is that
 * statement without the executor: one snapshot for the whole claim (the
 * statement's); per live part, an index scan of its pending actions due
 * now (available_at <= now(), the statement's index condition; status
 * pending checked on the row, the statement's filter); the merge of the
 * parts by (available_at, action_id), as Merge Append; each row locked
 * with SKIP LOCKED (a row another session holds is passed over, as
 * LockRows does), a newer version checked again (still pending and due,
 * as EvalPlanQual would) and updated (claimed by the worker, lease, one
 * more attempt) through one result relation per part, as ModifyTable
 * does (ExecSimpleRelationUpdate: constraints, index entries, WAL of
 * heap_update); up to max rows.
 */

/* One live part of a claim: its scan, its write state, its current row. */
typedef struct ClaimPart
{
	Relation	rel;
	Relation	idx;
	IndexScanDesc scan;
	TupleTableSlot *slot;		/* the current row of the scan */
	TupleTableSlot *newslot;
	ResultRelInfo *rri;
	bool		has_row;
	TimestampTz available_at;	/* the current row's key */
	int64		action_id;
	AttrNumber	att_status;
	AttrNumber	att_available_at;
	AttrNumber	att_action_id;
	AttrNumber	att_claimed_by;
	AttrNumber	att_lease_until;
	AttrNumber	att_attempts;
	AttrNumber *out_att;		/* the part's column of each result column */
} ClaimPart;

/* Whether the text datum d is s. */
static bool
text_is(Datum d, const char *s)
{
	text	   *t = DatumGetTextPP(d);

	return VARSIZE_ANY_EXHDR(t) == strlen(s) && memcmp(VARDATA_ANY(t), s, strlen(s)) == 0;
}

/* The part's attribute named name (1-based), or an internal error. */
static AttrNumber
part_att(Relation rel, const char *name)
{
	AttrNumber	att = get_attnum(RelationGetRelid(rel), name);

	if (att == InvalidAttrNumber)
		elog(ERROR, "pg_adoption: table \"%s\" has no column \"%s\"", RelationGetRelationName(rel), name);
	return att;
}

/*
 * The write state of a part, made when a row of it is first claimed (most
 * claims write to one or two of the live parts): its result relation
 * (range table index rti) with its indexes open, the columns the claim
 * sets and those of the result.
 */
static void
claim_part_write(ClaimPart *p, EState *estate, Index rti, TupleDesc outdesc)
{
	int			j;

	p->att_claimed_by = part_att(p->rel, "claimed_by");
	p->att_lease_until = part_att(p->rel, "lease_until");
	p->att_attempts = part_att(p->rel, "attempts");
	p->out_att = palloc(sizeof(AttrNumber) * outdesc->natts);
	for (j = 0; j < outdesc->natts; j++)
		p->out_att[j] = part_att(p->rel, NameStr(TupleDescAttr(outdesc, j)->attname));
	p->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(p->rri, p->rel, rti, NULL, 0);
	ExecOpenIndices(p->rri, false);
	p->newslot = ExecInitExtraTupleSlot(estate, RelationGetDescr(p->rel), &TTSOpsVirtual);
}

/* Moves the part's scan to its next pending row; false at its end. */
static bool
part_next(ClaimPart *p)
{
	while (index_getnext_slot(p->scan, ForwardScanDirection, p->slot))
	{
		bool		isnull;
		Datum		d = slot_getattr(p->slot, p->att_status, &isnull);

		if (isnull || !text_is(d, "pending"))
			continue;
		p->available_at = DatumGetTimestampTz(slot_getattr(p->slot, p->att_available_at, &isnull));
		p->action_id = DatumGetInt64(slot_getattr(p->slot, p->att_action_id, &isnull));
		p->has_row = true;
		return true;
	}
	p->has_row = false;
	return false;
}

/* Whether the claim may run directly (see complete_direct_usable). */
static bool
claim_direct_usable(void)
{
	bool		ok = queue_direct_usable(ACL_SELECT | ACL_UPDATE);
	int			s;

	/* A part's own trigger (one made on the part alone). */
	for (s = 0; ok && s < ADOPTION_RING_SLOTS; s++)
	{
		HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(ring_part(s)));

		ok = HeapTupleIsValid(tup) && !((Form_pg_class) GETSTRUCT(tup))->relhastriggers;
		if (HeapTupleIsValid(tup))
			ReleaseSysCache(tup);
	}
	return ok;
}

/* claim_direct(): whether claim_pending() may claim (else claim_actions() runs its SQL). */
PG_FUNCTION_INFO_V1(adoption_claim_direct);
Datum
adoption_claim_direct(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(claim_direct_usable());
}

/*
 * claim_pending(worker, max, lease, live): the due pending actions claimed,
 * as rows of adoption.campaign_actions.  The caller (claim_actions()) has
 * checked the arguments and claim_direct().
 */
PG_FUNCTION_INFO_V1(adoption_claim_pending);
Datum
adoption_claim_pending(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *worker = PG_GETARG_TEXT_PP(0);
	int32		max = PG_GETARG_INT32(1);
	Interval   *lease = PG_GETARG_INTERVAL_P(2);
	ArrayType  *live = PG_GETARG_ARRAYTYPE_P(3);
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	Datum		lease_until = DirectFunctionCall2(timestamptz_pl_interval,
												  TimestampTzGetDatum(now), PointerGetDatum(lease));
	Datum	   *slots;
	bool	   *slot_nulls;
	int			nslots;
	bool		seen[ADOPTION_RING_SLOTS] = {0};
	ClaimPart  *parts;
	int			nparts = 0;
	EState	   *estate;
	EPQState	epq;
	Snapshot	snap;
	TupleDesc	outdesc;
	Datum	   *outvalues;
	bool	   *outnulls;
	ScanKeyData skey;
	int			claimed = 0;
	int			i;
	List	   *rtable = NIL;

	InitMaterializedSRF(fcinfo, 0);
	outdesc = rsinfo->setDesc;
	outvalues = palloc(sizeof(Datum) * outdesc->natts);
	outnulls = palloc(sizeof(bool) * outdesc->natts);
	deconstruct_array(live, INT2OID, 2, true, TYPALIGN_SHORT, &slots, &slot_nulls, &nslots);
	parts = palloc0(sizeof(ClaimPart) * ADOPTION_RING_SLOTS);

	/* The statement's snapshot, kept active while the scans run. */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	snap = GetActiveSnapshot();

	estate = CreateExecutorState();
	for (i = 0; i < nslots; i++)
	{
		int			s = slot_nulls[i] ? -1 : DatumGetInt16(slots[i]);

		if (s >= 0 && s < ADOPTION_RING_SLOTS && !seen[s])
		{
			RangeTblEntry *rte = makeNode(RangeTblEntry);

			seen[s] = true;
			rte->rtekind = RTE_RELATION;
			rte->relid = ring_part(s);
			rte->relkind = RELKIND_RELATION;
			rte->rellockmode = RowExclusiveLock;
			rtable = lappend(rtable, rte);
			parts[nparts++].rel = table_open(rte->relid, RowExclusiveLock);
		}
	}
	if (nparts > 0)
		ExecInitRangeTable(estate, rtable);
	estate->es_snapshot = snap;
	estate->es_output_cid = GetCurrentCommandId(true);
	EvalPlanQualInit(&epq, estate, NULL, NIL, -1);

	for (i = 0; i < nparts; i++)
	{
		ClaimPart  *p = &parts[i];
		Oid			idxid;
		AttrNumber	keys[2];

		p->att_status = part_att(p->rel, "status");
		p->att_available_at = part_att(p->rel, "available_at");
		p->att_action_id = part_att(p->rel, "action_id");
		keys[0] = p->att_available_at;
		keys[1] = p->att_action_id;
		/* its index of pending actions: (available_at, action_id) WHERE status = 'pending' */
		idxid = adoption_index_on(p->rel, 2, keys, true);
		if (!OidIsValid(idxid))
			elog(ERROR, "pg_adoption: \"%s\" has no index of pending actions", RelationGetRelationName(p->rel));
		p->idx = index_open(idxid, RowExclusiveLock);
		p->slot = table_slot_create(p->rel, NULL);
		ScanKeyInit(&skey, 1, BTLessEqualStrategyNumber, F_TIMESTAMPTZ_LE, TimestampTzGetDatum(now));
		p->scan = index_beginscan(p->rel, p->idx, snap, 1, 0);
		index_rescan(p->scan, &skey, 1, NULL, 0);
		part_next(p);
	}

	while (claimed < max)
	{
		ClaimPart  *p = NULL;
		bool		blocked;
		bool		traversed;
		TupleDesc	desc;
		int			natts;
		int			j;

		/* The earliest (available_at, action_id) of the parts' current rows. */
		for (i = 0; i < nparts; i++)
			if (parts[i].has_row &&
				(p == NULL || parts[i].available_at < p->available_at ||
				 (parts[i].available_at == p->available_at && parts[i].action_id < p->action_id)))
				p = &parts[i];
		if (p == NULL)
			break;
		CHECK_FOR_INTERRUPTS();

		if (adoption_slot_lock(p->rel, p->slot, snap, LockWaitSkip, &blocked, &traversed))
		{
			bool		isnull;
			bool		due = true;

			slot_getallattrs(p->slot);
			if (traversed)
			{
				/* a newer version: still pending and due? */
				Datum		st = slot_getattr(p->slot, p->att_status, &isnull);

				due = !isnull && text_is(st, "pending") &&
					DatumGetTimestampTz(slot_getattr(p->slot, p->att_available_at, &isnull)) <= now;
			}
			if (due)
			{
				int32		attempts;

				if (p->rri == NULL)
					claim_part_write(p, estate, (int) (p - parts) + 1, outdesc);
				desc = RelationGetDescr(p->rel);
				natts = desc->natts;
				ExecClearTuple(p->newslot);
				memcpy(p->newslot->tts_values, p->slot->tts_values, sizeof(Datum) * natts);
				memcpy(p->newslot->tts_isnull, p->slot->tts_isnull, sizeof(bool) * natts);
				p->newslot->tts_values[p->att_status - 1] = CStringGetTextDatum("claimed");
				p->newslot->tts_values[p->att_claimed_by - 1] = PointerGetDatum(worker);
				p->newslot->tts_isnull[p->att_claimed_by - 1] = false;
				p->newslot->tts_values[p->att_lease_until - 1] = lease_until;
				p->newslot->tts_isnull[p->att_lease_until - 1] = false;
				if (pg_add_s32_overflow(DatumGetInt32(p->slot->tts_values[p->att_attempts - 1]), 1, &attempts))
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("integer out of range")));
				p->newslot->tts_values[p->att_attempts - 1] = Int32GetDatum(attempts);
				ExecStoreVirtualTuple(p->newslot);
				ExecSimpleRelationUpdate(p->rri, estate, &epq, p->slot, p->newslot);

				for (j = 0; j < outdesc->natts; j++)
				{
					outvalues[j] = p->newslot->tts_values[p->out_att[j] - 1];
					outnulls[j] = p->newslot->tts_isnull[p->out_att[j] - 1];
				}
				tuplestore_putvalues(rsinfo->setResult, outdesc, outvalues, outnulls);
				claimed++;
			}
		}
		part_next(p);
	}

	for (i = 0; i < nparts; i++)
	{
		index_endscan(parts[i].scan);
		index_close(parts[i].idx, NoLock);
		if (parts[i].rri != NULL)
			ExecCloseIndices(parts[i].rri);
		ExecDropSingleTupleTableSlot(parts[i].slot);
		table_close(parts[i].rel, NoLock);
	}
	EvalPlanQualEnd(&epq);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	PopActiveSnapshot();
	return (Datum) 0;
}
