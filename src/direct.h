/*
 * direct.h: one row of a state table, found by its primary key, locked and
 * updated without the executor (direct.c).
 */
#ifndef ADOPTION_DIRECT_H
#define ADOPTION_DIRECT_H

#include "postgres.h"

#include "executor/tuptable.h"
#include "nodes/lockoptions.h"
#include "utils/snapshot.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"

typedef struct DirectRow
{
	Relation	rel;
	TupleTableSlot *slot;		/* the locked version */
	Datum	   *values;			/* its columns: change them, then update */
	bool	   *isnull;
} DirectRow;

extern bool adoption_direct_usable(Oid relid);
extern Oid adoption_index_on(Relation rel, int nkeys, const AttrNumber *keys, bool partial);
extern DirectRow *adoption_row_lock(Oid relid, int nkeys, const char *const *keys, bool nowait);
extern DirectRow *adoption_row_try_lock(Oid relid, int nkeys, const char *const *keys,
										bool *blocked);
extern DirectRow *adoption_row_lock_id(Oid relid, const char *column, int64 id);
extern bool adoption_slot_lock(Relation rel, TupleTableSlot *slot, Snapshot snap,
							   LockWaitPolicy wait, bool *blocked, bool *traversed);
extern DirectRow *adoption_row_new(Oid relid);
extern bool adoption_row_insert(DirectRow *row);
extern int	adoption_row_col(DirectRow *row, const char *name);
extern Datum adoption_row_get(DirectRow *row, const char *name, bool *isnull);
extern void adoption_row_set(DirectRow *row, const char *name, Datum value, bool isnull);
extern void adoption_row_bound(DirectRow *row, const char *name, TimestampTz t, bool later);
extern void adoption_row_add(DirectRow *row, const char *name, int64 delta);
extern void adoption_row_update(DirectRow *row);
extern void adoption_row_delete(DirectRow *row);
extern void adoption_row_release(DirectRow *row);
extern int64 adoption_count_range(Oid relid, const char *key, const char *column,
								  const char *day, TimestampTz after, const TimestampTz *upto);
extern int32 adoption_utc_day(TimestampTz t);

#endif
