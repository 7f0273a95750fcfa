/*
 * citus.c: pg_adoption on a Citus cluster: the shard scope (a shard group's
 * tables for every statement planned on a worker) and the coordinator's
 * statement hooks.
 *
 * Design.  adoption.distribute() (src/sql/citus.sql) distributes every
 * tenant table by tenant_id, co-located with the event log, so the event
 * log's shard k and shard k of every state table hold the same tenants on
 * the same worker.  The statement trigger adoption.track_events() then
 * fires on the worker, on the event log's shard (Citus copies the trigger
 * to the shards), with the statement's rows of that shard's tenants.  From
 * there a statement on a distributed table would be a distributed query,
 * which Citus refuses inside a shard query ("could not create distributed
 * plan"); so whatever runs on a shard works on the co-located shards
 * directly.
 *
 * One mechanism: the shard scope.  The triggers that fire on a shard (the
 * ingest trigger, the feedback, billing and profile triggers) and
 * adoption.citus_run(), which the coordinator delegates to the worker of a
 * shard group, enter the scope of that group
 * (adoption_citus_enter_relation, adoption.citus_enter_tenant()): its
 * ShardMap, read from Citus's metadata (pg_dist_shard, pg_dist_partition,
 * which Citus keeps on every node) once per shard and backend, lists every
 * table of the extension with its co-located shard, and every reference
 * table with this node's shard of it.  While the scope is set, the map is
 * applied at two places.  (1) The planner hook gives every statement
 * planned in this backend the shards in place of the tables, before
 * Citus's planner sees it; the extension's SQL functions are not inlined
 * meanwhile, so that their statements pass through the hook too: the play
 * policy (adoption.blocked_plays(), account_states()) that the queue
 * statement of actions.c calls is read from the group's shards this way,
 * for ingest as for the rest.  (2) The resolver gives the SQL text of the
 * ingest path's kept plans, its utility statements (LOCK, TRUNCATE) and
 * its direct table access the shards' names and OIDs
 * (adoption_resolve_sql, adoption_resolve_table, adoption_resolve_relid);
 * such a plan names its shards, so it is kept per (statement, shard)
 * (adoption_plan_slot) and stays valid in every scope.
 *
 * What a worker cannot do.  A worker cannot write a reference table (the
 * feature catalog), and a NOTIFY there would reach nobody (clients LISTEN on
 * the coordinator) and forbids the PREPARE TRANSACTION with which Citus
 * commits a statement that wrote to several workers.  So on a shard the
 * trigger writes what it would register or announce into the co-located
 * shard of adoption.citus_pending (adoption_citus_defer), in the same
 * transaction, and the coordinator moves it: adoption.citus_flush()
 * registers the features and sends the NOTIFY.  The coordinator runs
 * citus_flush() after every INSERT or COPY into the event log (the
 * executor and utility hooks below, when pg_adoption is in its
 * shared_preload_libraries), still inside the statement's transaction,
 * which sees the workers' uncommitted rows over the same connections.
 * Nothing waits in citus_pending past a commit unless the hook is missing;
 * adoption.citus_flush() then moves it at the next call.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/copy.h"
#include "commands/dbcommands.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "optimizer/planner.h"
#include "parser/parsetree.h"
#include "storage/lmgr.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "citus.h"
#include "helpers.h"

#define EVENT_LOG "feature_usage_events"

/* The co-located shards of one shard of the event log. */
typedef struct ShardMap
{
	int64		shardid;		/* hash key: a shard of the shard group */
	MemoryContext mcxt;			/* holds the arrays below */
	int			n;
	char	  **relnames;		/* logical tables (unqualified) */
	char	  **shards;			/* their shards, schema-qualified and quoted */
	Oid		   *logical;		/* the logical tables' OIDs */
	Oid		   *shardrel;		/* the shards' OIDs (InvalidOid: not on this node) */
	int64	   *shardids;		/* the shards' ids */
	bool	   *reference;		/* a reference table (its one shard), not co-located */
	bool	   *checked;		/* columns compared (scope_rte) */
} ShardMap;

/* A kept plan of one statement of the engine on one shard. */
typedef struct PlanSlotKey
{
	SPIPlanPtr *slot;			/* the statement's static slot */
	int64		shardid;
} PlanSlotKey;

typedef struct PlanSlot
{
	PlanSlotKey key;
	SPIPlanPtr	plan;
} PlanSlot;

static MemoryContext citus_mcxt = NULL;
static HTAB *shard_maps = NULL;
static HTAB *plan_slots = NULL;

/* The map of the current trigger call, NULL when not on a shard. */
static ShardMap *current = NULL;

/* Coordinator: whether the event log (this OID) is distributed; -1 unknown. */
static Oid	distributed_relid = InvalidOid;
static int	event_log_distributed = -1;
static bool in_flush = false;

/*
 * The shard scope (adoption_citus_enter_*): while scope_map is set, the
 * planner hook makes every statement planned in this backend use the
 * tables of that shard group.  scope_stack holds the scopes entered
 * before.  plans_stale: a cached plan may name what another scope would
 * not (a shard group's shards, or a Citus table planned outside a scope).
 */
#define SCOPE_MAX_DEPTH 16
static ShardMap *scope_map = NULL;
static ShardMap *scope_stack[SCOPE_MAX_DEPTH];
static ShardMap *scope_current_stack[SCOPE_MAX_DEPTH];
static int	scope_depth = 0;
static bool plans_stale = true;
/* The last shard map loaded: its logical tables are those of every map. */
static ShardMap *any_map = NULL;
/* A shard of a map changed (adoption_citus_invalidate): reload the maps. */
static bool maps_stale = false;

static planner_hook_type prev_planner = NULL;
static needs_fmgr_hook_type prev_needs_fmgr = NULL;
static ExecutorFinish_hook_type prev_executor_finish = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;

static SPIPlanPtr defer_plan = NULL;

static bool event_log_is_distributed(Oid relid);
static void scope_switch(ShardMap *map);

static const char *const defer_sql =
"INSERT INTO adoption.citus_pending (tenant_id, feature_id, feature_name, actions)"
" SELECT u.t, u.f, u.n, CASE WHEN u.o OPERATOR(pg_catalog.=) 1 THEN $4 ELSE 0 END"
" FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[]),"
"  pg_catalog.unnest($3::pg_catalog.text[])) WITH ORDINALITY AS u(t, f, n, o)";

/*
 * Relcache callback part: a shard of a map was dropped or changed (a shard
 * moved away, and maybe back under another OID), or every relation was:
 * the maps go before the next scope (ensure_hashes), not while one is in
 * use.
 */
void
adoption_citus_invalidate(Oid relid)
{
	HASH_SEQ_STATUS seq;
	ShardMap   *map;
	int			i;

	if (shard_maps == NULL || maps_stale)
		return;
	if (!OidIsValid(relid))
	{
		maps_stale = true;
		return;
	}
	hash_seq_init(&seq, shard_maps);
	while ((map = hash_seq_search(&seq)) != NULL)
		for (i = 0; i < map->n; i++)
			if (map->shardrel[i] == relid)
			{
				maps_stale = true;
				hash_seq_term(&seq);
				return;
			}
}

/* Forgets every shard map (outside any scope), and the plans made with them. */
static void
purge_maps(void)
{
	HASH_SEQ_STATUS seq;
	ShardMap   *map;

	hash_seq_init(&seq, shard_maps);
	while ((map = hash_seq_search(&seq)) != NULL)
	{
		MemoryContextDelete(map->mcxt);
		hash_search(shard_maps, &map->shardid, HASH_REMOVE, NULL);
	}
	any_map = NULL;
	plans_stale = true;
	maps_stale = false;
}

static void
ensure_hashes(void)
{
	HASHCTL		ctl;

	if (citus_mcxt == NULL)
		citus_mcxt = AllocSetContextCreate(TopMemoryContext, "pg_adoption citus",
										   ALLOCSET_SMALL_SIZES);
	if (shard_maps == NULL)
	{
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(ShardMap);
		ctl.hcxt = citus_mcxt;
		shard_maps = hash_create("pg_adoption shard maps", 64, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	else if (maps_stale && scope_depth == 0 && current == NULL)
		purge_maps();
	if (plan_slots == NULL)
	{
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(PlanSlotKey);
		ctl.entrysize = sizeof(PlanSlot);
		ctl.hcxt = citus_mcxt;
		plan_slots = hash_create("pg_adoption per-shard plans", 256, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
}

/*
 * Reads the shards co-located with shard shardid (of any distributed table
 * of the extension), and this node's shard of every reference table of the
 * extension (SPI-connected).
 */
static void
load_map(ShardMap *map)
{
	Oid			types[1] = {INT8OID};
	Datum		args[1];
	uint64		i;
	int			rc;
	int			distributed = 0;

	args[0] = Int64GetDatum(map->shardid);
	rc = SPI_execute_with_args(
		"SELECT c.relname::pg_catalog.text, pg_catalog.shard_name(s.logicalrelid, s.shardid),"
		"  p.logicalrelid::pg_catalog.oid,"
		"  pg_catalog.to_regclass(pg_catalog.shard_name(s.logicalrelid, s.shardid))::pg_catalog.oid,"
		"  s.shardid, false"
		" FROM pg_catalog.pg_dist_shard AS e"
		" JOIN pg_catalog.pg_dist_partition AS ep ON ep.logicalrelid OPERATOR(pg_catalog.=) e.logicalrelid"
		" JOIN pg_catalog.pg_dist_partition AS p ON p.colocationid OPERATOR(pg_catalog.=) ep.colocationid"
		" JOIN pg_catalog.pg_dist_shard AS s ON s.logicalrelid OPERATOR(pg_catalog.=) p.logicalrelid"
		"  AND s.shardminvalue OPERATOR(pg_catalog.=) e.shardminvalue"
		" JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) p.logicalrelid"
		" WHERE e.shardid OPERATOR(pg_catalog.=) $1"
		"  AND c.relnamespace OPERATOR(pg_catalog.=) 'adoption'::pg_catalog.regnamespace"
		" UNION ALL"
		" SELECT c.relname::pg_catalog.text, pg_catalog.shard_name(s.logicalrelid, s.shardid),"
		"  p.logicalrelid::pg_catalog.oid,"
		"  pg_catalog.to_regclass(pg_catalog.shard_name(s.logicalrelid, s.shardid))::pg_catalog.oid,"
		"  s.shardid, true"
		" FROM pg_catalog.pg_dist_partition AS p"
		" JOIN pg_catalog.pg_dist_shard AS s ON s.logicalrelid OPERATOR(pg_catalog.=) p.logicalrelid"
		" JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) p.logicalrelid"
		" WHERE p.partmethod OPERATOR(pg_catalog.=) 'n'"
		"  AND c.relnamespace OPERATOR(pg_catalog.=) 'adoption'::pg_catalog.regnamespace"
		"  AND EXISTS (SELECT FROM pg_catalog.pg_dist_shard AS x WHERE x.shardid OPERATOR(pg_catalog.=) $1)",
		1, types, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pg_adoption: could not read Citus's metadata");
	map->n = (int) SPI_processed;
	map->relnames = MemoryContextAlloc(map->mcxt, sizeof(char *) * map->n);
	map->shards = MemoryContextAlloc(map->mcxt, sizeof(char *) * map->n);
	map->logical = MemoryContextAlloc(map->mcxt, sizeof(Oid) * map->n);
	map->shardrel = MemoryContextAlloc(map->mcxt, sizeof(Oid) * map->n);
	map->shardids = MemoryContextAlloc(map->mcxt, sizeof(int64) * map->n);
	map->reference = MemoryContextAlloc(map->mcxt, sizeof(bool) * map->n);
	map->checked = MemoryContextAllocZero(map->mcxt, sizeof(bool) * map->n);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;

		map->relnames[i] = MemoryContextStrdup(map->mcxt, SPI_getvalue(tup, desc, 1));
		map->shards[i] = MemoryContextStrdup(map->mcxt, SPI_getvalue(tup, desc, 2));
		map->logical[i] = DatumGetObjectId(SPI_getbinval(tup, desc, 3, &isnull));
		d = SPI_getbinval(tup, desc, 4, &isnull);
		map->shardrel[i] = isnull ? InvalidOid : DatumGetObjectId(d);
		map->shardids[i] = DatumGetInt64(SPI_getbinval(tup, desc, 5, &isnull));
		map->reference[i] = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
		if (!map->reference[i])
			distributed++;
	}
	SPI_freetuptable(SPI_tuptable);
	if (distributed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("shard " INT64_FORMAT " of pg_adoption is not in Citus's metadata on this node",
						map->shardid),
				 errhint("Distribute pg_adoption with SELECT adoption.distribute() on the coordinator, and keep Citus's metadata synced to the workers.")));
}

/* Returns the (cached) map of the shard group of shard shardid (SPI-connected). */
static ShardMap *
map_for_shard(int64 shardid)
{
	ShardMap   *map;
	bool		found;

	ensure_hashes();
	map = hash_search(shard_maps, &shardid, HASH_ENTER, &found);
	if (!found)
	{
		map->n = 0;
		map->mcxt = AllocSetContextCreate(citus_mcxt, "pg_adoption shard map",
										  ALLOCSET_SMALL_SIZES);
		PG_TRY();
		{
			load_map(map);
		}
		PG_CATCH();
		{
			MemoryContextDelete(map->mcxt);
			hash_search(shard_maps, &shardid, HASH_REMOVE, NULL);
			PG_RE_THROW();
		}
		PG_END_TRY();
		any_map = map;
	}
	return map;
}

/* True while the trigger works on a shard of the event log. */
bool
adoption_citus_on_shard(void)
{
	return current != NULL;
}

/* Forgets the trigger call's shard (at the end of every transaction). */
void
adoption_citus_xact_end(void)
{
	current = NULL;
	scope_switch(NULL);
	scope_depth = 0;
}

/* Returns the shard of relname in the current map, or NULL. */
static const char *
map_lookup(const char *relname, int len)
{
	int			i;

	if (current == NULL)
		return NULL;
	for (i = 0; i < current->n; i++)
		if (!current->reference[i] && (int) strlen(current->relnames[i]) == len &&
			strncmp(current->relnames[i], relname, len) == 0)
			return current->shards[i];
	return NULL;
}

/*
 * Returns the relation to use for the logical table adoption.relname in
 * the current statement, schema-qualified: the table, or its co-located shard.
 */
char *
adoption_resolve_table(const char *relname)
{
	const char *shard = map_lookup(relname, (int) strlen(relname));

	if (shard != NULL)
		return pstrdup(shard);
	return psprintf(ADOPTION_SCHEMA ".%s", quote_identifier(relname));
}

/* Returns the OID of the relation adoption_resolve_table() names, or InvalidOid. */
Oid
adoption_resolve_relid(const char *relname)
{
	const char *shard = map_lookup(relname, (int) strlen(relname));

	if (shard == NULL)
		return adoption_relid(relname);
	return RangeVarGetRelid(makeRangeVarFromNameList(stringToQualifiedNameList(shard)),
							NoLock, true);
}

/*
 * Returns sql with every table adoption.<name> replaced by the relation
 * adoption_resolve_table() gives; sql itself when not on a shard.  Names
 * followed by "(" are functions and stay.
 */
const char *
adoption_resolve_sql(const char *sql)
{
	static const char prefix[] = ADOPTION_SCHEMA ".";
	StringInfoData out;
	const char *p = sql;
	const char *hit;

	if (current == NULL)
		return sql;
	initStringInfo(&out);
	while ((hit = strstr(p, prefix)) != NULL)
	{
		const char *id = hit + sizeof(prefix) - 1;
		const char *end = id;
		const char *shard;

		while ((*end >= 'a' && *end <= 'z') || (*end >= '0' && *end <= '9') || *end == '_')
			end++;
		shard = (*end == '(') ? NULL : map_lookup(id, (int) (end - id));
		/* Only a whole name: not the tail of a longer identifier. */
		if (hit > sql && (isalnum((unsigned char) hit[-1]) || hit[-1] == '_' || hit[-1] == '"'))
			shard = NULL;
		appendBinaryStringInfo(&out, p, (int) (hit - p));
		if (shard != NULL)
			appendStringInfoString(&out, shard);
		else
			appendBinaryStringInfo(&out, hit, (int) (end - hit));
		p = end;
	}
	appendStringInfoString(&out, p);
	return out.data;
}

/*
 * Returns the slot in which to keep the plan of the statement whose static
 * slot is slot: slot itself when not on a shard, else one slot per shard.
 */
SPIPlanPtr *
adoption_plan_slot(SPIPlanPtr *slot)
{
	PlanSlotKey key;
	PlanSlot   *entry;
	bool		found;

	if (current == NULL)
		return slot;
	ensure_hashes();
	memset(&key, 0, sizeof(key));
	key.slot = slot;
	key.shardid = current->shardid;
	entry = hash_search(plan_slots, &key, HASH_ENTER, &found);
	if (!found)
		entry->plan = NULL;
	return &entry->plan;
}

/*
 * The shard scope.
 *
 * The engine is C (the ingest path), SQL and PL/pgSQL (rescore(),
 * health_inputs(), enqueue_batch(), the play policy, the feedback
 * triggers' statements), which names adoption.<table>.  To run that code
 * unchanged on one shard group of a worker, adoption_citus_enter_*() sets a
 * scope, and the planner hook rewrites every statement planned meanwhile
 * before Citus's planner sees it: each range-table entry of a distributed
 * table of the extension gets the OID of its co-located shard, each
 * reference table the OID of this node's shard of it (which holds every
 * row), as Citus itself does when it plans a query on a shard (its worker
 * queries name the shards).  What is left is a plain PostgreSQL query on
 * local tables.
 *
 * Three things make that hold for every statement.  (1) The columns: a
 * Query names columns by number, so a shard must have the same columns at
 * the same numbers as its table (true of the shards Citus creates, which
 * have no dropped columns; checked once per table, scope_rte).  (2) SQL
 * functions: the planner inlines them after the hook has run, so in a
 * scope the extension's SQL functions are not inlined (needs_fmgr_hook,
 * the way PostgreSQL keeps a hooked function out of line) and their
 * statements pass through the hook when they run.  (3) Cached plans: a
 * plan made in one scope may name that scope's shards, and one made
 * outside a scope Citus's tables, so the cached plans are invalidated
 * (ResetPlanCache, as after DISCARD PLANS) when the scope changes after
 * such a plan was made (plans_stale).  The ingest path's kept plans name
 * their shards already and this node's copy of a reference table is the
 * same in every scope, so an ingest statement that enqueues nothing
 * leaves the cached plans alone.
 */

/* The index of the map entry of the relation relid, or -1. */
static int
scope_entry(ShardMap *map, Oid relid)
{
	int			i;

	for (i = 0; i < map->n; i++)
		if (map->logical[i] == relid)
			return i;
	return -1;
}

/* Errors out unless shard i has the columns of its table at the same numbers. */
static void
scope_check_columns(ShardMap *map, int i)
{
	Relation	l;
	Relation	r;
	TupleDesc	ld;
	TupleDesc	rd;
	int			a;
	bool		same;

	if (map->checked[i])
		return;
	l = table_open(map->logical[i], AccessShareLock);
	r = table_open(map->shardrel[i], AccessShareLock);
	ld = RelationGetDescr(l);
	rd = RelationGetDescr(r);
	same = (ld->natts == rd->natts);
	for (a = 0; same && a < ld->natts; a++)
	{
		Form_pg_attribute la = TupleDescAttr(ld, a);
		Form_pg_attribute ra = TupleDescAttr(rd, a);

		same = (la->attisdropped == ra->attisdropped &&
				(la->attisdropped || (la->atttypid == ra->atttypid &&
									  strcmp(NameStr(la->attname), NameStr(ra->attname)) == 0)));
	}
	table_close(r, NoLock);
	table_close(l, NoLock);
	if (!same)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("shard %s does not have the columns of adoption.%s at the same positions",
						map->shards[i], map->relnames[i]),
				 errdetail("pg_adoption runs its statements on a shard by giving them the shard's OID, which needs the same column numbers (a table with dropped columns does not have them)."),
				 errhint("Recreate the shard, e.g. move it with citus_move_shard_placement(), or restore the table without dropped columns.")));
	map->checked[i] = true;
}

/* Gives a range-table entry of a table of the extension its shard. */
static void
scope_rte(RangeTblEntry *rte)
{
	int			i;

	if (rte->rtekind != RTE_RELATION)
		return;
	i = scope_entry(scope_map, rte->relid);
	if (i < 0)
		return;
	if (!OidIsValid(scope_map->shardrel[i]))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("shard %s of adoption.%s is not on this node",
						scope_map->shards[i], scope_map->relnames[i]),
				 errhint("The work of a shard group runs on the node that holds it; call the function through the Citus coordinator.")));
	LockRelationOid(scope_map->shardrel[i], rte->rellockmode);
	scope_check_columns(scope_map, i);
	rte->relid = scope_map->shardrel[i];
	/* This node's copy of a reference table is the same in every scope. */
	if (!scope_map->reference[i])
		plans_stale = true;
}

/* ON CONFLICT ON CONSTRAINT names the table's constraint: the shard's has the shard id appended. */
static void
scope_on_conflict(Query *q)
{
	RangeTblEntry *rte;
	int			i;
	char	   *name;
	Oid			con;

	if (q->onConflict == NULL || !OidIsValid(q->onConflict->constraint) || q->resultRelation <= 0)
		return;
	rte = rt_fetch(q->resultRelation, q->rtable);
	if (rte->rtekind != RTE_RELATION || (i = scope_entry(scope_map, rte->relid)) < 0 ||
		!OidIsValid(scope_map->shardrel[i]))
		return;
	name = get_constraint_name(q->onConflict->constraint);
	if (name == NULL)
		return;
	con = get_relation_constraint_oid(scope_map->shardrel[i],
									  psprintf("%s_" INT64_FORMAT, name, scope_map->shardids[i]), true);
	if (!OidIsValid(con))
		con = get_relation_constraint_oid(scope_map->shardrel[i], name, false);
	q->onConflict->constraint = con;
}

static bool
scope_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
	{
		scope_rte((RangeTblEntry *) node);
		return false;
	}
	if (IsA(node, Query))
	{
		scope_on_conflict((Query *) node);
		return query_tree_walker((Query *) node, scope_walker, context, QTW_EXAMINE_RTES_BEFORE);
	}
	return expression_tree_walker(node, scope_walker, context);
}


/* True if fn is an SQL function of the extension. */
static bool
adoption_sql_function(Oid fn)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	bool		sql = false;

	if (HeapTupleIsValid(tup))
	{
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tup);

		sql = (proc->prolang == SQLlanguageId &&
			   proc->pronamespace == get_namespace_oid(ADOPTION_SCHEMA, true));
		ReleaseSysCache(tup);
	}
	return sql;
}

/* In a scope, the extension's SQL functions are not inlined (see above). */
static bool
adoption_needs_fmgr(Oid fn)
{
	if (prev_needs_fmgr && prev_needs_fmgr(fn))
		return true;
	return scope_map != NULL && adoption_sql_function(fn);
}

/*
 * Makes map the scope; the cached plans go (ResetPlanCache, as after
 * DISCARD PLANS) when the scope changes and one may have been made for
 * another scope (plans_stale).
 */
static void
scope_switch(ShardMap *map)
{
	if (map != scope_map && plans_stale)
	{
		ResetPlanCache();
		plans_stale = false;
	}
	scope_map = map;
}

/* Makes map the scope (NULL: none), saving the one before. */
static void
scope_push(ShardMap *map)
{
	if (scope_depth >= SCOPE_MAX_DEPTH)
		elog(ERROR, "pg_adoption: shard scopes nested too deeply");
	scope_stack[scope_depth] = scope_map;
	scope_current_stack[scope_depth] = current;
	scope_depth++;
	scope_switch(map);
	if (map != NULL)
		current = map;
}

/*
 * Enters the scope of the shard group of rel when rel is a shard of a
 * distributed table of the extension (its name is <table>_<shard id>);
 * else the scope stays as it is.  Either way adoption_citus_leave() ends
 * it.  Returns whether rel is a shard.  The caller is SPI-connected.
 */
bool
adoption_citus_enter_relation(Relation rel)
{
	const char *name = RelationGetRelationName(rel);
	const char *us = strrchr(name, '_');
	ShardMap   *map = NULL;

	if (RelationGetNamespace(rel) == get_namespace_oid(ADOPTION_SCHEMA, true) &&
		us != NULL && us[1] != '\0' && strspn(us + 1, "0123456789") == strlen(us + 1) &&
		OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)))
	{
		Oid			types[1] = {INT8OID};
		Datum		args[1];
		int64		shardid = pg_strtoint64(us + 1);

		/* A shard met before (every ingest statement on a worker) is known. */
		ensure_hashes();
		map = hash_search(shard_maps, &shardid, HASH_FIND, NULL);
		args[0] = Int64GetDatum(shardid);
		if (map == NULL && SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_dist_shard AS s"
								  " JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) s.logicalrelid"
								  " WHERE s.shardid OPERATOR(pg_catalog.=) $1"
								  " AND c.relnamespace OPERATOR(pg_catalog.=) 'adoption'::pg_catalog.regnamespace",
								  1, types, args, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "pg_adoption: could not read Citus's metadata");
		if (map == NULL && SPI_processed > 0)
			map = map_for_shard(shardid);
	}
	scope_push(map != NULL ? map : scope_map);
	return map != NULL;
}

/* Ends the scope the last adoption_citus_enter_*() started. */
void
adoption_citus_leave(void)
{
	if (scope_depth <= 0)
		return;
	scope_depth--;
	scope_switch(scope_stack[scope_depth]);
	current = scope_current_stack[scope_depth];
}

/* SQL: enters the scope of the shard group that holds tenant anchor; returns its shard of the event log. */
PG_FUNCTION_INFO_V1(adoption_citus_enter_tenant);
Datum
adoption_citus_enter_tenant(PG_FUNCTION_ARGS)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1];
	bool		isnull;
	int64		shardid;
	ShardMap   *map;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the tenant that names a shard group must not be NULL")));
	args[0] = PG_GETARG_DATUM(0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pg_adoption: SPI_connect failed");
	if (!OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("Citus is not installed in database %s", get_database_name(MyDatabaseId)),
				 errhint("Shard groups exist only on a Citus cluster after SELECT adoption.distribute().")));
	if (SPI_execute_with_args("SELECT pg_catalog.get_shard_id_for_distribution_column("
							  "'adoption.feature_usage_events'::pg_catalog.regclass, $1)",
							  1, types, args, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "pg_adoption: could not find the shard of a tenant");
	shardid = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	map = map_for_shard(shardid);
	SPI_finish();
	scope_push(map);
	PG_RETURN_INT64(shardid);
}

/* SQL: enters the scope of rel's shard group when rel is a shard (a trigger's TG_RELID); returns whether it is. */
PG_FUNCTION_INFO_V1(adoption_citus_enter_relid);
Datum
adoption_citus_enter_relid(PG_FUNCTION_ARGS)
{
	Relation	rel = relation_open(PG_GETARG_OID(0), AccessShareLock);
	bool		entered;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pg_adoption: SPI_connect failed");
	entered = adoption_citus_enter_relation(rel);
	SPI_finish();
	relation_close(rel, NoLock);
	PG_RETURN_BOOL(entered);
}

/* SQL: ends the scope of the last adoption.citus_enter(). */
PG_FUNCTION_INFO_V1(adoption_citus_leave_sql);
Datum
adoption_citus_leave_sql(PG_FUNCTION_ARGS)
{
	adoption_citus_leave();
	PG_RETURN_VOID();
}

/*
 * SQL: announces n enqueued actions: NOTIFY adoption_actions, or on a
 * shard a note in citus_pending (under tenant_id, one of the actions'
 * tenants) for the coordinator's citus_flush().
 */
PG_FUNCTION_INFO_V1(adoption_notify_actions_sql);
Datum
adoption_notify_actions_sql(PG_FUNCTION_ARGS)
{
	int64		n = PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1);
	char	   *tenant;

	if (n <= 0)
		PG_RETURN_VOID();
	if (!adoption_citus_on_shard() || PG_ARGISNULL(0))
	{
		char		payload[32];

		snprintf(payload, sizeof(payload), INT64_FORMAT, n);
		Async_Notify("adoption_actions", payload);
		PG_RETURN_VOID();
	}
	tenant = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pg_adoption: SPI_connect failed");
	adoption_citus_defer(1, (const char *const *) &tenant, NULL, NULL, n);
	SPI_finish();
	PG_RETURN_VOID();
}

/* True on a Citus node where the event log is distributed, outside a shard scope: the per-tenant work is dispatched. */
bool
adoption_citus_dispatching(void)
{
	Oid			event_log;

	if (adoption_citus_on_shard())
		return false;
	event_log = adoption_relid(EVENT_LOG);
	return OidIsValid(event_log) && event_log_is_distributed(event_log);
}

/*
 * Runs call (a query with a column n) on every shard group that holds a
 * tenant, or on tenant_id's, and returns the sum of n
 * (adoption.citus_run_sum()).  Not SPI-connected.
 */
int64
adoption_citus_run_sum(const char *tenant_id, const char *call)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		args[2];
	char		nulls[2] = {tenant_id ? ' ' : 'n', ' '};
	bool		isnull;
	int64		sum;

	args[0] = tenant_id ? CStringGetTextDatum(tenant_id) : (Datum) 0;
	args[1] = CStringGetTextDatum(call);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pg_adoption: SPI_connect failed");
	if (SPI_execute_with_args("SELECT adoption.citus_run_sum($1, $2)",
							  2, types, args, nulls, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "pg_adoption: could not run on the shard groups");
	sum = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return isnull ? 0 : sum;
}

/* SQL: the relation that names table relname of the extension now (adoption_resolve_table). */
PG_FUNCTION_INFO_V1(adoption_citus_table);
Datum
adoption_citus_table(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(adoption_resolve_table(text_to_cstring(PG_GETARG_TEXT_PP(0)))));
}

/* SQL: true while this backend works on one shard group. */
PG_FUNCTION_INFO_V1(adoption_citus_on_shard_sql);
Datum
adoption_citus_on_shard_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(adoption_citus_on_shard());
}

/*
 * On a shard: notes features to register (feature_ids non-NULL) or that
 * actions were enqueued (actions > 0; tenant_ids those of the candidate
 * actions) in the co-located shard of adoption.citus_pending, for the
 * coordinator's adoption.citus_flush().  The caller is SPI-connected.
 */
void
adoption_citus_defer(int n, const char *const *tenant_ids,
					 const char *const *feature_ids,
					 const char *const *feature_names, int64 actions)
{
	Oid			types[4] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT8OID};
	Datum		args[4];
	const char **none = palloc0(sizeof(char *) * Max(n, 1));

	if (n <= 0)
		return;
	args[0] = adoption_text_array(tenant_ids, n);
	args[1] = adoption_text_array(feature_ids ? feature_ids : none, n);
	args[2] = adoption_text_array(feature_names ? feature_names : none, n);
	args[3] = Int64GetDatum(actions);
	if (adoption_run_kept_plan(&defer_plan, defer_sql, 4, types, args, NULL) != SPI_OK_INSERT)
		elog(ERROR, "pg_adoption: noting for the coordinator did not insert");
}

/* Coordinator: true if the event log (relid) is a Citus table (cached). */
static bool
event_log_is_distributed(Oid relid)
{
	Oid			types[1] = {OIDOID};
	Datum		args[1];

	/* Distributing is one-way: only a yes is kept. */
	if (relid == distributed_relid && event_log_distributed == 1)
		return true;
	if (!OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
		return false;
	distributed_relid = relid;
	event_log_distributed = 0;
	args[0] = ObjectIdGetDatum(relid);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pg_adoption: SPI_connect failed");
	if (SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid OPERATOR(pg_catalog.=) $1",
							  1, types, args, NULL, true, 1) == SPI_OK_SELECT &&
		SPI_processed > 0)
		event_log_distributed = 1;
	SPI_finish();
	return event_log_distributed == 1;
}

/* Coordinator: runs adoption.citus_flush() after a statement that wrote into the event log or the feedback. */
static void
flush_after(Oid relid)
{
	Oid			event_log;

	if (in_flush || !OidIsValid(relid) || !IsTransactionState())
		return;
	event_log = adoption_relid(EVENT_LOG);
	/* The tables whose triggers note for the coordinator: the event log, the feedback. */
	if ((relid != event_log && relid != adoption_relid("feedback")) ||
		!event_log_is_distributed(event_log))
		return;
	in_flush = true;
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "pg_adoption: SPI_connect failed");
		if (SPI_execute("SELECT adoption.citus_flush()", false, 0) != SPI_OK_SELECT)
			elog(ERROR, "pg_adoption: adoption.citus_flush() failed");
		SPI_finish();
	}
	PG_FINALLY();
	{
		in_flush = false;
	}
	PG_END_TRY();
}

/* The relation an INSERT writes into, if any. */
static Oid
insert_target(QueryDesc *qd)
{
	ListCell   *lc;

	if (qd->operation != CMD_INSERT || qd->plannedstmt == NULL)
		return InvalidOid;
	foreach(lc, qd->plannedstmt->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (rte->rtekind == RTE_RELATION && (rte->requiredPerms & ACL_INSERT))
			return rte->relid;
	}
	return InvalidOid;
}

static void
adoption_executor_finish(QueryDesc *qd)
{
	if (prev_executor_finish)
		prev_executor_finish(qd);
	else
		standard_ExecutorFinish(qd);
	flush_after(insert_target(qd));
}

static void
adoption_process_utility(PlannedStmt *pstmt, const char *queryString,
						 bool readOnlyTree, ProcessUtilityContext context,
						 ParamListInfo params, QueryEnvironment *queryEnv,
						 DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *tree = pstmt->utilityStmt;
	Oid			relid = InvalidOid;

	if (IsA(tree, CopyStmt) && ((CopyStmt *) tree)->is_from &&
		((CopyStmt *) tree)->relation != NULL)
		relid = RangeVarGetRelid(((CopyStmt *) tree)->relation, NoLock, true);
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params,
							 queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
	flush_after(relid);
}

/*
 * Outside a scope (on a node that has entered one): true if the statement
 * names a Citus table of the extension, or an SQL function of it the
 * planner may inline (with tables), so that its plan is not for a scope.
 */
static bool
names_citus_table(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;
		ListCell   *lc;

		if (rte->rtekind == RTE_RELATION)
			return scope_entry(any_map, rte->relid) >= 0;
		if (rte->rtekind != RTE_FUNCTION)
			return false;
		foreach(lc, rte->functions)
		{
			Node	   *f = ((RangeTblFunction *) lfirst(lc))->funcexpr;

			if (IsA(f, FuncExpr) && adoption_sql_function(((FuncExpr *) f)->funcid))
				return true;
		}
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, names_citus_table, context, QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, names_citus_table, context);
}

/*
 * The planner hook: in a shard scope, every table of the extension the
 * statement names becomes its shard (scope_walker), before Citus's planner
 * sees the statement, which a query on a shard could not run as a query on
 * Citus tables ("could not create distributed plan").
 */
static PlannedStmt *
adoption_planner(Query *parse, const char *query_string, int cursor_options,
				 ParamListInfo bound_params)
{
	if (scope_map != NULL)
		(void) scope_walker((Node *) parse, NULL);
	else if (any_map != NULL && !plans_stale &&
			 names_citus_table((Node *) parse, NULL))
		plans_stale = true;
	if (prev_planner != NULL)
		return prev_planner(parse, query_string, cursor_options, bound_params);
	return standard_planner(parse, query_string, cursor_options, bound_params);
}

/* Installs the coordinator's hooks (from _PG_init). */
void
adoption_citus_init(void)
{
	adoption_plan_slot_hook = adoption_plan_slot;
	adoption_resolve_sql_hook = adoption_resolve_sql;
	prev_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = adoption_executor_finish;
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = adoption_process_utility;
	prev_planner = planner_hook;
	planner_hook = adoption_planner;
	prev_needs_fmgr = needs_fmgr_hook;
	needs_fmgr_hook = adoption_needs_fmgr;
}
