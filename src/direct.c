/*
 * direct.c: rows of the state tables read, locked and updated without the
 * executor, for the statements of one key that most single-row INSERTs
 * run (the scalar forms in state.c and tenant.c).  Through SPI each of them
 * costs a portal, a plan revalidation and an executor start and end, more
 * than the work; here it is an index probe and a heap operation.
 *
 * What each path mirrors in PostgreSQL 15:
 *
 *   adoption_row_lock     SELECT ... WHERE <primary key> = ... FOR UPDATE
 *                         as the executor runs it: an index scan of the
 *                         primary key under a new snapshot (taken as SPI
 *                         takes one for each statement: CommandCounter-
 *                         Increment, then the transaction snapshot with the
 *                         current command id), then table_tuple_lock as
 *                         ExecLockRows calls it: under READ COMMITTED the
 *                         update chain is followed to the newest version
 *                         (and the key checked again, as EvalPlanQual
 *                         would), a concurrently deleted row is not found;
 *                         under REPEATABLE READ and SERIALIZABLE a row
 *                         changed since the snapshot is a serialization
 *                         failure.  NOWAIT is LockWaitError.
 *   adoption_row_try_lock the same FOR UPDATE SKIP LOCKED (LockWaitSkip):
 *                         a row another session holds is reported, not
 *                         waited for and not an error.
 *   adoption_row_insert   INSERT INTO ... VALUES (every column) as the
 *                         logical replication apply worker's insert
 *                         (ExecSimpleRelationInsert): constraints checked,
 *                         the tuple inserted with the current command id,
 *                         its index entries made with their uniqueness
 *                         checked (a duplicate key fails as the INSERT
 *                         would); WAL is heap_insert's.
 *   adoption_row_update   the logical replication apply worker's update
 *                         (worker.c, execReplication.c): an EState with one
 *                         result relation, its indexes opened, and
 *                         ExecSimpleRelationUpdate, which checks the
 *                         constraints, updates the tuple (HOT when it can)
 *                         and inserts the index entries a non-HOT update
 *                         needs; WAL is heap_update's, so crash recovery,
 *                         physical and logical replication see a plain
 *                         UPDATE.
 *   adoption_count_range  SELECT count(*) ... WHERE <first key column> = ...
 *                         AND column > ... [AND column <= ...]: an index
 *                         scan, counting, of an index on (that key column,
 *                         the day of column) if the table has one, with the
 *                         condition checked on the rows of those days, else
 *                         of the primary key with the condition checked.
 *
 * The paths are used only where they give what the statement would:
 * adoption_direct_usable says no (and the caller runs the SQL) when the
 * table has triggers, when row-level security applies to the current user,
 * or when the user lacks SELECT and UPDATE on it (the SQL then raises the
 * error the executor would); an insert also needs INSERT.  Row locks are
 * taken in the callers' order, the same as the SQL's, so deadlock detection
 * and the deadlock retry of the trigger see the same waits.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "direct.h"

static DirectRow *row_lock(Oid relid, int nkeys, const char *const *keys,
						   LockWaitPolicy wait, bool *blocked);
static DirectRow *found_row(Relation rel, TupleTableSlot *slot, bool found);
static DirectRow *lock_by_index(Relation rel, Relation idx, ScanKey skey, int nkeys,
								LockWaitPolicy wait, bool *blocked,
								bool (*matches) (TupleTableSlot *slot, const void *arg),
								const void *arg);

/* Whether the direct paths may stand for SQL on table relid. */
bool
adoption_direct_usable(Oid relid)
{
	Relation	rel;
	bool		ok;

	if (!OidIsValid(relid) ||
		pg_class_aclcheck(relid, GetUserId(), ACL_SELECT | ACL_UPDATE) != ACLCHECK_OK ||
		check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		return false;
	rel = table_open(relid, RowExclusiveLock);
	ok = rel->rd_rel->relkind == RELKIND_RELATION && rel->trigdesc == NULL &&
		OidIsValid(RelationGetPrimaryKeyIndex(rel));
	table_close(rel, NoLock);
	return ok;
}

/* A new snapshot for one operation, as SPI takes one for each statement. */
static Snapshot
begin_operation(void)
{
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	return GetActiveSnapshot();
}

/*
 * A scan key on column col of index idx: the column <strategy> value, value
 * of type type (the column's operator class must be for that type).
 */
static void
column_key(ScanKey skey, Relation idx, int col, StrategyNumber strategy, Oid type, Datum value)
{
	Oid			op = get_opfamily_member(idx->rd_opfamily[col - 1], type, type, strategy);

	if (idx->rd_opcintype[col - 1] != type || !OidIsValid(op))
		elog(ERROR, "pg_adoption: column %d of index \"%s\" is not of type %s",
			 col, RelationGetRelationName(idx), format_type_be(type));
	ScanKeyInit(skey, col, strategy, get_opcode(op), value);
	skey->sk_collation = idx->rd_indcollation[col - 1];
}

/* Equality scan keys on the first nkeys (text) columns of index idx. */
static void
key_init(ScanKey skey, Relation idx, int nkeys, const char *const *keys)
{
	int			i;

	for (i = 0; i < nkeys; i++)
		column_key(&skey[i], idx, i + 1, BTEqualStrategyNumber, TEXTOID,
				   CStringGetTextDatum(keys[i]));
}

/* The primary key a row_lock looks for. */
typedef struct PrimaryKey
{
	Relation	idx;
	int			nkeys;
	const char *const *keys;
} PrimaryKey;

/* Whether the row in slot still has the key (after following an update). */
static bool
key_matches(TupleTableSlot *slot, const void *arg)
{
	const PrimaryKey *pk = arg;
	Relation	idx = pk->idx;
	int			nkeys = pk->nkeys;
	const char *const *keys = pk->keys;
	int			i;

	for (i = 0; i < nkeys; i++)
	{
		bool		isnull;
		Datum		d = slot_getattr(slot, idx->rd_index->indkey.values[i], &isnull);
		text	   *t;

		if (isnull)
			return false;
		t = DatumGetTextPP(d);
		if (VARSIZE_ANY_EXHDR(t) != strlen(keys[i]) ||
			memcmp(VARDATA_ANY(t), keys[i], VARSIZE_ANY_EXHDR(t)) != 0)
			return false;
	}
	return true;
}

/* Locks the row the index scan found in slot; false if it is gone. */
static bool
lock_found(Relation rel, TupleTableSlot *slot, Snapshot snap, LockWaitPolicy wait,
		   bool *blocked, bool (*matches) (TupleTableSlot *slot, const void *arg),
		   const void *arg)
{
	TM_FailureData tmfd;
	TM_Result	res;
	bool		xact_snapshot = IsolationUsesXactSnapshot();

	res = table_tuple_lock(rel, &slot->tts_tid, snap, slot, GetCurrentCommandId(false),
						   LockTupleExclusive, wait,
						   xact_snapshot ? 0 : TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
	switch (res)
	{
		case TM_Ok:
			return !tmfd.traversed || matches(slot, arg);
		case TM_WouldBlock:
			/* LockWaitSkip: another session holds it */
			*blocked = true;
			return false;
		case TM_SelfModified:
			/* changed by a later command of this transaction: not this statement's */
			return false;
		case TM_Updated:
			if (xact_snapshot)
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("could not serialize access due to concurrent update")));
			elog(ERROR, "pg_adoption: unexpected concurrent update of a row of \"%s\"",
				 RelationGetRelationName(rel));
			break;
		case TM_Deleted:
			if (xact_snapshot)
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("could not serialize access due to concurrent delete")));
			return false;
		default:
			elog(ERROR, "pg_adoption: unexpected table_tuple_lock status %d", (int) res);
	}
	return false;
}

/*
 * Finds the row of table relid whose primary key is keys[0..nkeys) and
 * locks it FOR UPDATE (with nowait, fails with ERRCODE_LOCK_NOT_AVAILABLE
 * instead of waiting).  Returns NULL when there is none.  The caller has
 * checked adoption_direct_usable.
 */
DirectRow *
adoption_row_lock(Oid relid, int nkeys, const char *const *keys, bool nowait)
{
	bool		blocked = false;

	return row_lock(relid, nkeys, keys, nowait ? LockWaitError : LockWaitBlock, &blocked);
}

/*
 * The same, as FOR UPDATE SKIP LOCKED: a row another session holds is not
 * waited for; then it returns NULL and sets *blocked (where NOWAIT would
 * fail, without an error to catch).
 */
DirectRow *
adoption_row_try_lock(Oid relid, int nkeys, const char *const *keys, bool *blocked)
{
	*blocked = false;
	return row_lock(relid, nkeys, keys, LockWaitSkip, blocked);
}

static DirectRow *
row_lock(Oid relid, int nkeys, const char *const *keys, LockWaitPolicy wait, bool *blocked)
{
	Relation	rel = table_open(relid, RowExclusiveLock);
	Relation	idx = index_open(RelationGetPrimaryKeyIndex(rel), RowExclusiveLock);
	ScanKeyData skey[INDEX_MAX_KEYS];
	PrimaryKey	pk = {idx, nkeys, keys};

	if (nkeys != IndexRelationGetNumberOfKeyAttributes(idx))
		elog(ERROR, "pg_adoption: the primary key of \"%s\" does not have %d columns",
			 RelationGetRelationName(rel), nkeys);
	key_init(skey, idx, nkeys, keys);
	return lock_by_index(rel, idx, skey, nkeys, wait, blocked, key_matches, &pk);
}

/*
 * The first row of rel that an index scan of idx by skey (nkeys keys)
 * finds under a new snapshot, locked as lock_found locks it (matches
 * checking a newer version), as a DirectRow; NULL if there is none or it
 * is gone (rel then closed).  Closes idx.
 */
static DirectRow *
lock_by_index(Relation rel, Relation idx, ScanKey skey, int nkeys, LockWaitPolicy wait,
			  bool *blocked, bool (*matches) (TupleTableSlot *slot, const void *arg),
			  const void *arg)
{
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	Snapshot	snap = begin_operation();
	IndexScanDesc scan = index_beginscan(rel, idx, snap, nkeys, 0);
	bool		found = false;

	index_rescan(scan, skey, nkeys, NULL, 0);
	if (index_getnext_slot(scan, ForwardScanDirection, slot))
		found = lock_found(rel, slot, snap, wait, blocked, matches, arg);
	index_endscan(scan);
	PopActiveSnapshot();
	index_close(idx, NoLock);
	return found_row(rel, slot, found);
}

/*
 * The DirectRow of the row locked in slot (found), or NULL (the slot
 * dropped and rel closed).
 */
static DirectRow *
found_row(Relation rel, TupleTableSlot *slot, bool found)
{
	DirectRow  *row;
	int			natts = RelationGetDescr(rel)->natts;

	if (!found)
	{
		ExecDropSingleTupleTableSlot(slot);
		table_close(rel, NoLock);
		return NULL;
	}

	ExecMaterializeSlot(slot);
	slot_getallattrs(slot);
	row = palloc(sizeof(DirectRow));
	row->rel = rel;
	row->slot = slot;
	row->values = palloc(sizeof(Datum) * natts);
	row->isnull = palloc(sizeof(bool) * natts);
	memcpy(row->values, slot->tts_values, sizeof(Datum) * natts);
	memcpy(row->isnull, slot->tts_isnull, sizeof(bool) * natts);
	return row;
}

/* A match callback that accepts the newer version and notes that there was one. */
static bool
note_traversed(TupleTableSlot *slot, const void *arg)
{
	*(bool *) arg = true;
	return true;
}

/*
 * Locks the row version an index scan of rel put in slot, FOR UPDATE with
 * wait (LockWaitSkip: SKIP LOCKED), as lock_found does; true when locked,
 * slot then holding the newest version and *traversed set if that is not
 * the one found (the caller checks its conditions again, as EvalPlanQual
 * would).  snap is the scan's snapshot.
 */
bool
adoption_slot_lock(Relation rel, TupleTableSlot *slot, Snapshot snap, LockWaitPolicy wait,
				   bool *blocked, bool *traversed)
{
	*traversed = false;
	*blocked = false;
	return lock_found(rel, slot, snap, wait, blocked, note_traversed, traversed);
}

/* The int8 column an id lock looks for, and its value. */
typedef struct IdKey
{
	AttrNumber	att;
	int64		id;
} IdKey;

/* Whether the row in slot still has the id (after following an update). */
static bool
id_matches(TupleTableSlot *slot, const void *arg)
{
	const IdKey *k = arg;
	bool		isnull;
	Datum		d = slot_getattr(slot, k->att, &isnull);

	return !isnull && DatumGetInt64(d) == k->id;
}

/*
 * An index of rel whose key columns are keys[0..nkeys), in that order, with
 * no expression, valid, partial or not as asked (InvalidOid if none): read
 * from the syscache, no index opened.
 */
Oid
adoption_index_on(Relation rel, int nkeys, const AttrNumber *keys, bool partial)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	Oid			found = InvalidOid;

	foreach(lc, indexes)
	{
		HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		Form_pg_index ix;
		int			k;

		if (!HeapTupleIsValid(tup))
			continue;
		ix = (Form_pg_index) GETSTRUCT(tup);
		if (ix->indisvalid && ix->indnkeyatts == nkeys &&
			heap_attisnull(tup, Anum_pg_index_indpred, NULL) != partial &&
			heap_attisnull(tup, Anum_pg_index_indexprs, NULL))
		{
			for (k = 0; k < nkeys && ix->indkey.values[k] == keys[k]; k++)
				;
			if (k == nkeys)
				found = ix->indexrelid;
		}
		ReleaseSysCache(tup);
		if (OidIsValid(found))
			break;
	}
	list_free(indexes);
	return found;
}

/*
 * Finds the row of table relid whose bigint column is id (through an index
 * on that column alone) and locks it FOR UPDATE, waiting for another
 * holder, as row_lock does by a primary key.  Returns NULL when there is
 * none, or when the table has no such index.  The caller has checked
 * adoption_direct_usable.
 */
DirectRow *
adoption_row_lock_id(Oid relid, const char *column, int64 id)
{
	Relation	rel = table_open(relid, RowExclusiveLock);
	IdKey		key = {get_attnum(relid, column), id};
	Oid			idxid = OidIsValid(key.att) ? adoption_index_on(rel, 1, &key.att, false) : InvalidOid;
	Relation	idx;
	ScanKeyData skey;
	bool		blocked = false;

	if (!OidIsValid(idxid))
	{
		table_close(rel, NoLock);
		return NULL;
	}
	idx = index_open(idxid, RowExclusiveLock);
	column_key(&skey, idx, 1, BTEqualStrategyNumber, INT8OID, Int64GetDatum(id));
	return lock_by_index(rel, idx, &skey, 1, LockWaitBlock, &blocked, id_matches, &key);
}

/* The index into values of column name. */
int
adoption_row_col(DirectRow *row, const char *name)
{
	AttrNumber	att = get_attnum(RelationGetRelid(row->rel), name);

	if (att == InvalidAttrNumber)
		elog(ERROR, "pg_adoption: table \"%s\" has no column \"%s\"",
			 RelationGetRelationName(row->rel), name);
	return att - 1;
}

/* Column name of the row. */
Datum
adoption_row_get(DirectRow *row, const char *name, bool *isnull)
{
	int			col = adoption_row_col(row, name);

	*isnull = row->isnull[col];
	return row->values[col];
}

/* Sets column name of the row (written by adoption_row_update). */
void
adoption_row_set(DirectRow *row, const char *name, Datum value, bool isnull)
{
	int			col = adoption_row_col(row, name);

	row->values[col] = value;
	row->isnull[col] = isnull;
}

/*
 * Sets timestamptz column name to the earlier (later: the later) of its
 * value and t, as LEAST / GREATEST would (a NULL column takes t).
 */
void
adoption_row_bound(DirectRow *row, const char *name, TimestampTz t, bool later)
{
	int			col = adoption_row_col(row, name);
	TimestampTz v = DatumGetTimestampTz(row->values[col]);

	if (row->isnull[col] || (later ? t > v : t < v))
	{
		row->values[col] = TimestampTzGetDatum(t);
		row->isnull[col] = false;
	}
}

/*
 * Adds delta to integer or bigint column name, failing as the SQL "+"
 * would on overflow.
 */
void
adoption_row_add(DirectRow *row, const char *name, int64 delta)
{
	int			col = adoption_row_col(row, name);
	Oid			type = TupleDescAttr(RelationGetDescr(row->rel), col)->atttypid;

	if (row->isnull[col])
		return;					/* NULL + x is NULL */
	if (type == INT4OID)
	{
		int32		sum;

		if (delta < PG_INT32_MIN || delta > PG_INT32_MAX ||
			pg_add_s32_overflow(DatumGetInt32(row->values[col]), (int32) delta, &sum))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("integer out of range")));
		row->values[col] = Int32GetDatum(sum);
	}
	else if (type == INT8OID)
	{
		int64		sum;

		if (pg_add_s64_overflow(DatumGetInt64(row->values[col]), delta, &sum))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("bigint out of range")));
		row->values[col] = Int64GetDatum(sum);
	}
	else
		elog(ERROR, "pg_adoption: column \"%s\" of \"%s\" is not an integer",
			 name, RelationGetRelationName(row->rel));
}

/*
 * The executor state of one write into rel, as the apply worker sets it up
 * (create_edata_for_relation): one range table entry, one result relation
 * with its indexes open, a snapshot for the operation.
 */
static EState *
begin_write(Relation rel, ResultRelInfo **rri_out)
{
	EState	   *estate = CreateExecutorState();
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	ResultRelInfo *rri = makeNode(ResultRelInfo);

	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(estate, list_make1(rte));
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	estate->es_snapshot = begin_operation();
	estate->es_output_cid = GetCurrentCommandId(true);
	ExecOpenIndices(rri, false);
	*rri_out = rri;
	return estate;
}

static void
end_write(EState *estate, ResultRelInfo *rri)
{
	ExecCloseIndices(rri);
	PopActiveSnapshot();
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
}

/*
 * Writes values and isnull as the row's new version; the row then stands
 * for that version (it stays locked: the transaction holds it).
 */
void
adoption_row_update(DirectRow *row)
{
	Relation	rel = row->rel;
	TupleDesc	desc = RelationGetDescr(rel);
	ResultRelInfo *rri;
	EState	   *estate = begin_write(rel, &rri);
	EPQState	epq;
	TupleTableSlot *newslot;

	EvalPlanQualInit(&epq, estate, NULL, NIL, -1);

	newslot = ExecInitExtraTupleSlot(estate, desc, &TTSOpsVirtual);
	ExecClearTuple(newslot);
	memcpy(newslot->tts_values, row->values, sizeof(Datum) * desc->natts);
	memcpy(newslot->tts_isnull, row->isnull, sizeof(bool) * desc->natts);
	ExecStoreVirtualTuple(newslot);
	ExecSimpleRelationUpdate(rri, estate, &epq, row->slot, newslot);

	/* the row is now the new version */
	ExecCopySlot(row->slot, newslot);
	row->slot->tts_tid = newslot->tts_tid;

	EvalPlanQualEnd(&epq);
	end_write(estate, rri);
}

/*
 * A new row of table relid, every column NULL: set its columns with
 * adoption_row_set, then write it with adoption_row_insert.  The caller has
 * checked adoption_direct_usable and that it may INSERT.
 */
DirectRow *
adoption_row_new(Oid relid)
{
	Relation	rel = table_open(relid, RowExclusiveLock);
	int			natts = RelationGetDescr(rel)->natts;
	DirectRow  *row = palloc(sizeof(DirectRow));

	row->rel = rel;
	row->slot = table_slot_create(rel, NULL);
	row->values = palloc0(sizeof(Datum) * natts);
	row->isnull = palloc(sizeof(bool) * natts);
	memset(row->isnull, true, sizeof(bool) * natts);
	return row;
}

/*
 * Inserts the row (values and isnull) as ExecSimpleRelationInsert does for
 * the logical replication apply worker: constraints checked, the tuple
 * inserted, its index entries made (a duplicate key fails as the INSERT
 * would).  The row then stands for the version written.  Only an INSERT
 * that names every column is written so: a column left NULL that has a
 * default, an identity or a generation expression (one a user added, say)
 * would get one from the INSERT, so then nothing is written and false
 * returned (the caller runs the SQL).
 */
bool
adoption_row_insert(DirectRow *row)
{
	Relation	rel = row->rel;
	TupleDesc	desc = RelationGetDescr(rel);
	TupleTableSlot *slot = row->slot;
	ResultRelInfo *rri;
	EState	   *estate;
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (row->isnull[i] && !att->attisdropped &&
			(att->atthasdef || att->attidentity || att->attgenerated))
			return false;
	}

	estate = begin_write(rel, &rri);
	ExecClearTuple(slot);
	memcpy(slot->tts_values, row->values, sizeof(Datum) * desc->natts);
	memcpy(slot->tts_isnull, row->isnull, sizeof(bool) * desc->natts);
	ExecStoreVirtualTuple(slot);
	ExecSimpleRelationInsert(rri, estate, slot);
	ExecMaterializeSlot(slot);
	end_write(estate, rri);
	return true;
}

/*
 * Deletes the row (its locked version) as ExecSimpleRelationDelete does
 * for the logical replication apply worker; the row must not be updated
 * or deleted again.
 */
void
adoption_row_delete(DirectRow *row)
{
	ResultRelInfo *rri;
	EState	   *estate = begin_write(row->rel, &rri);
	EPQState	epq;

	EvalPlanQualInit(&epq, estate, NULL, NIL, -1);
	ExecSimpleRelationDelete(rri, estate, &epq, row->slot);
	EvalPlanQualEnd(&epq);
	end_write(estate, rri);
}

/* Closes the row's table (its lock stays until the transaction ends). */
void
adoption_row_release(DirectRow *row)
{
	ExecDropSingleTupleTableSlot(row->slot);
	table_close(row->rel, NoLock);
	pfree(row->values);
	pfree(row->isnull);
	pfree(row);
}

/*
 * An index of rel whose first two key columns are its primary key's first
 * column and column att, as btree (InvalidOid if none).
 */
static Oid
range_index(Relation rel, Relation pkey, AttrNumber att)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	Oid			found = InvalidOid;

	foreach(lc, indexes)
	{
		Relation	idx = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index ix = idx->rd_index;

		if (idx->rd_rel->relam == BTREE_AM_OID && ix->indisvalid && ix->indnkeyatts >= 2 &&
			RelationGetIndexPredicate(idx) == NIL && RelationGetIndexExpressions(idx) == NIL &&
			ix->indkey.values[0] == pkey->rd_index->indkey.values[0] &&
			ix->indkey.values[1] == att)
			found = RelationGetRelid(idx);
		index_close(idx, AccessShareLock);
		if (OidIsValid(found))
			break;
	}
	list_free(indexes);
	return found;
}

/*
 * The UTC day of t as adoption.utc_day() computes it: floor(epoch / 86400)
 * (t is in microseconds since 2000-01-01), for every finite time.
 */
int32
adoption_utc_day(TimestampTz t)
{
	int64		day;

	/* beyond every day (adoption.utc_day() is NULL there, which no bound passes) */
	if (TIMESTAMP_IS_NOBEGIN(t))
		return PG_INT32_MIN;
	if (TIMESTAMP_IS_NOEND(t))
		return PG_INT32_MAX;
	day = t / USECS_PER_DAY;
	if (t % USECS_PER_DAY < 0)
		day--;					/* floor, not truncation */
	/* days from 2000-01-01 to days from 1970-01-01: no overflow, unlike microseconds */
	return (int32) (day + (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE));
}

PG_FUNCTION_INFO_V1(adoption_utc_day_sql);

/*
 * Returns the UTC day of a time (adoption.utc_day), NULL for an infinite
 * time.  C, not SQL: it is the stored generated column last_seen_day of
 * tenant_user_state, which every update of a user's row computes, and the
 * SQL function (not inlinable: strict, with a CASE) was planned again at
 * each one (fmgr_sql under ExecComputeStoredGenerated: 9 % of a
 * single-row INSERT's time).
 */
Datum
adoption_utc_day_sql(PG_FUNCTION_ARGS)
{
	TimestampTz t = PG_GETARG_TIMESTAMPTZ(0);

	if (TIMESTAMP_NOT_FINITE(t))
		PG_RETURN_NULL();
	PG_RETURN_INT32(adoption_utc_day(t));
}

/*
 * The number of rows of table relid whose first primary key column is key
 * and whose (timestamptz) column is in (after, upto] (no upper bound when
 * upto is NULL).  With an index on (that key column, day), day being the
 * (integer) column that holds the UTC day of column (adoption_utc_day), as
 * tenant_user_state has, it reads only the rows of the days in the range,
 * as the executor's index scan of "WHERE key = ... AND day >= ... AND day
 * <= ..." would, and checks the column; otherwise it reads every row of
 * the key through the primary key and checks the column.
 */
int64
adoption_count_range(Oid relid, const char *key, const char *column, const char *day,
					 TimestampTz after, const TimestampTz *upto)
{
	Relation	rel = table_open(relid, AccessShareLock);
	Relation	pkey = index_open(RelationGetPrimaryKeyIndex(rel), AccessShareLock);
	AttrNumber	att = get_attnum(relid, column);
	AttrNumber	day_att = get_attnum(relid, day);
	Oid			ranged = InvalidOid;
	Relation	idx;
	ScanKeyData skey[3];
	int			nkeys = 1;
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	IndexScanDesc scan;
	int64		n = 0;

	if (att == InvalidAttrNumber)
		elog(ERROR, "pg_adoption: table \"%s\" has no column \"%s\"",
			 RelationGetRelationName(rel), column);
	if (day_att != InvalidAttrNumber)
		ranged = range_index(rel, pkey, day_att);
	idx = OidIsValid(ranged) ? index_open(ranged, AccessShareLock) : pkey;
	key_init(skey, idx, 1, &key);
	if (OidIsValid(ranged))
	{
		column_key(&skey[nkeys++], idx, 2, BTGreaterEqualStrategyNumber, INT4OID,
				   Int32GetDatum(adoption_utc_day(after)));
		if (upto != NULL)
			column_key(&skey[nkeys++], idx, 2, BTLessEqualStrategyNumber, INT4OID,
					   Int32GetDatum(adoption_utc_day(*upto)));
	}
	scan = index_beginscan(rel, idx, begin_operation(), nkeys, 0);
	index_rescan(scan, skey, nkeys, NULL, 0);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		TimestampTz t = DatumGetTimestampTz(slot_getattr(slot, att, &isnull));

		CHECK_FOR_INTERRUPTS();
		if (!isnull && t > after && (upto == NULL || t <= *upto))
			n++;
	}
	index_endscan(scan);
	PopActiveSnapshot();
	ExecDropSingleTupleTableSlot(slot);
	if (idx != pkey)
		index_close(idx, NoLock);
	index_close(pkey, NoLock);
	table_close(rel, NoLock);
	return n;
}
