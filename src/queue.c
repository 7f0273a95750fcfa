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

#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"

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
 * Whether the direct path may stand for the SQL on the queue's part and
 * the archive: no Citus (its catalog is absent), no row-level security for
 * the current user and no trigger on the queue or the archive, and the
 * privileges the statements need (DELETE and SELECT on the queue, INSERT
 * on the archive).
 */
static bool
complete_direct_usable(Oid part, Oid archive)
{
	Oid			queue = adoption_relid("campaign_action_queue");
	Relation	rel;
	bool		ok;

	if (!OidIsValid(part) || !OidIsValid(queue) || !OidIsValid(archive) ||
		OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)) ||
		pg_class_aclcheck(queue, GetUserId(), ACL_SELECT | ACL_DELETE) != ACLCHECK_OK ||
		pg_class_aclcheck(archive, GetUserId(), ACL_INSERT) != ACLCHECK_OK ||
		check_enable_rls(queue, InvalidOid, true) == RLS_ENABLED ||
		!adoption_direct_usable(part) || !adoption_direct_usable(archive))
		return false;
	rel = table_open(queue, RowExclusiveLock);
	ok = rel->trigdesc == NULL;
	table_close(rel, NoLock);
	return ok;
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
