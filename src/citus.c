/*
 * citus.c: pg_adoption on a Citus cluster; the ingest path's table resolver
 * and the coordinator's statement hook.
 *
 * Design.  adoption.distribute() (src/sql/citus.sql) distributes every
 * tenant table by tenant_id, co-located with the event log, so the event
 * log's shard k and shard k of every state table hold the same tenants on
 * the same worker.  The statement trigger adoption.track_events() then
 * fires on the worker, on the event log's shard (Citus copies the trigger
 * to the shards), with the statement's rows of that shard's tenants.  From
 * there a statement on a distributed table would be a distributed query,
 * which Citus refuses inside a shard query ("could not create distributed
 * plan"); so the trigger works on the co-located shards directly.
 *
 * The resolver.  Every table the ingest path names goes through one
 * function: adoption_resolve_table() maps a logical table of the engine to
 * the relation to use for the current statement: the table itself on a
 * single node (and on the coordinator), its co-located shard when the
 * trigger fires on a shard, and for a reference table its shard on this
 * node (a statement with parameters that names a Citus table cannot be
 * planned inside a shard query; every node holds a copy of a reference
 * table, read only: the trigger never writes one on a shard, see below).
 * adoption_resolve_sql() applies it to every adoption.<table> of an SQL
 * text (functions stay), adoption_resolve_relid() gives the
 * relation's OID for direct table access.  adoption_citus_statement()
 * chooses the mapping at the start of each trigger call from the name of
 * the trigger's relation (feature_usage_events_<shardid>) and Citus's
 * metadata (pg_dist_shard, pg_dist_partition, which Citus keeps on every
 * node), cached per shard.  Kept SPI plans are per shard: a plan names its
 * relations, so adoption_plan_slot() turns a plan's static slot into one
 * slot per (statement, shard).
 *
 * What a worker cannot do.  A worker cannot write a reference table (the
 * feature catalog), and a NOTIFY there would reach nobody (clients LISTEN on
 * the coordinator) and forbids the PREPARE TRANSACTION with which Citus
 * commits a statement that wrote to several workers.  So on a shard the
 * trigger writes what it would register or announce into the co-located
 * shard of adoption.citus_pending (adoption_citus_defer), in the same
 * transaction, and the coordinator moves it: adoption.citus_flush()
 * registers the features and sends the NOTIFY.  The play policy is applied
 * on a shard: while the queue statement (actions.c) is planned there, the
 * planner hook below inlines the SQL functions of the policy and puts this
 * node's shards for every table they read (adoption_citus_localize).  The
 * coordinator runs citus_flush() after every INSERT or COPY into the
 * event log (the executor and utility hooks below, when pg_adoption is in
 * its shared_preload_libraries), still inside the statement's transaction,
 * which sees the workers' uncommitted rows over the same connections.
 * Nothing waits in citus_pending past a commit unless the hook is missing;
 * adoption.citus_flush() then moves it at the next call.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/copy.h"
#include "executor/executor.h"
#include "lib/stringinfo.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "optimizer/planner.h"
#include "parser/parsetree.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/varlena.h"

#include "citus.h"
#include "helpers.h"

#define EVENT_LOG "feature_usage_events"

/* The co-located shards of one shard of the event log. */
typedef struct ShardMap
{
	int64		shardid;		/* hash key: the event log's shard */
	int			n;
	char	  **relnames;		/* logical tables (unqualified) */
	char	  **shards;			/* their shards, schema-qualified and quoted */
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

static ExecutorFinish_hook_type prev_executor_finish = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;
static planner_hook_type prev_planner = NULL;

/* While true (adoption_citus_localize), the planner puts shards for tables. */
static bool localizing = false;

static SPIPlanPtr defer_plan = NULL;

static const char *const defer_sql =
"INSERT INTO adoption.citus_pending (tenant_id, feature_id, feature_name, actions)"
" SELECT u.t, u.f, u.n, CASE WHEN u.o OPERATOR(pg_catalog.=) 1 THEN $4 ELSE 0 END"
" FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[]),"
"  pg_catalog.unnest($3::pg_catalog.text[])) WITH ORDINALITY AS u(t, f, n, o)";

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
 * Reads the co-located shards of event log shard shardid and the local
 * shard of each reference table (every node holds one; a statement with
 * parameters that names a reference table cannot be planned inside a shard
 * query) (SPI-connected).
 */
static void
load_map(ShardMap *map)
{
	Oid			types[1] = {INT8OID};
	Datum		args[1];
	uint64		i;
	int			rc;

	args[0] = Int64GetDatum(map->shardid);
	rc = SPI_execute_with_args(
		"SELECT c.relname::pg_catalog.text, pg_catalog.shard_name(s.logicalrelid, s.shardid)"
		" FROM pg_catalog.pg_dist_shard AS e"
		" JOIN pg_catalog.pg_dist_partition AS ep ON ep.logicalrelid OPERATOR(pg_catalog.=) e.logicalrelid"
		" JOIN pg_catalog.pg_dist_partition AS p ON p.colocationid OPERATOR(pg_catalog.=) ep.colocationid"
		" JOIN pg_catalog.pg_dist_shard AS s ON s.logicalrelid OPERATOR(pg_catalog.=) p.logicalrelid"
		"  AND s.shardminvalue OPERATOR(pg_catalog.=) e.shardminvalue"
		" JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) p.logicalrelid"
		" WHERE e.shardid OPERATOR(pg_catalog.=) $1"
		"  AND c.relnamespace OPERATOR(pg_catalog.=) 'adoption'::pg_catalog.regnamespace"
		" UNION ALL"
		" SELECT c.relname::pg_catalog.text, pg_catalog.shard_name(s.logicalrelid, s.shardid)"
		" FROM pg_catalog.pg_dist_partition AS p"
		" JOIN pg_catalog.pg_dist_shard AS s ON s.logicalrelid OPERATOR(pg_catalog.=) p.logicalrelid"
		" JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) p.logicalrelid"
		" WHERE p.partmethod OPERATOR(pg_catalog.=) 'n'"
		"  AND c.relnamespace OPERATOR(pg_catalog.=) 'adoption'::pg_catalog.regnamespace",
		1, types, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT || SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("shard " INT64_FORMAT " of adoption.feature_usage_events is not in Citus's metadata on this node",
						map->shardid),
				 errdetail("The ingest trigger fired on a shard of the event log and looks up the co-located shards of the state tables in pg_dist_shard."),
				 errhint("Distribute pg_adoption with SELECT adoption.distribute() on the coordinator, and keep Citus's metadata synced to the workers.")));
	map->n = (int) SPI_processed;
	map->relnames = MemoryContextAlloc(citus_mcxt, sizeof(char *) * map->n);
	map->shards = MemoryContextAlloc(citus_mcxt, sizeof(char *) * map->n);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];

		map->relnames[i] = MemoryContextStrdup(citus_mcxt, SPI_getvalue(tup, SPI_tuptable->tupdesc, 1));
		map->shards[i] = MemoryContextStrdup(citus_mcxt, SPI_getvalue(tup, SPI_tuptable->tupdesc, 2));
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * Chooses the tables of the trigger call on event_rel: the tables
 * themselves, or the shards co-located with event_rel when it is a shard
 * (adoption.feature_usage_events_<shardid>).  The caller is SPI-connected.
 */
void
adoption_citus_statement(Relation event_rel)
{
	const char *name = RelationGetRelationName(event_rel);
	size_t		len = strlen(EVENT_LOG);
	const char *p;
	int64		shardid;
	ShardMap   *map;
	bool		found;

	current = NULL;
	if (strncmp(name, EVENT_LOG "_", len + 1) != 0)
		return;
	p = name + len + 1;
	if (*p == '\0' || strspn(p, "0123456789") != strlen(p))
		return;
	shardid = pg_strtoint64(p);
	ensure_hashes();
	map = hash_search(shard_maps, &shardid, HASH_ENTER, &found);
	if (!found)
	{
		map->n = 0;
		PG_TRY();
		{
			load_map(map);
		}
		PG_CATCH();
		{
			hash_search(shard_maps, &shardid, HASH_REMOVE, NULL);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	current = map;
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
	localizing = false;
}

/* Returns the shard of relname in the current map, or NULL. */
static const char *
map_lookup(const char *relname, int len)
{
	int			i;

	if (current == NULL)
		return NULL;
	for (i = 0; i < current->n; i++)
		if ((int) strlen(current->relnames[i]) == len &&
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

/* Coordinator: runs adoption.citus_flush() after a statement that wrote into the event log. */
static void
flush_after(Oid relid)
{
	Oid			event_log;

	if (in_flush || !OidIsValid(relid) || !IsTransactionState())
		return;
	event_log = adoption_relid(EVENT_LOG);
	if (relid != event_log || !event_log_is_distributed(event_log))
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
 * Puts the shard of the current map for the relation of rte, if it has one
 * (a table of the extension that is co-located, or a reference table).
 * The shard has the table's columns with the same numbers (Citus creates
 * it from the table's definition); checked, since the query's Vars keep
 * their numbers.
 */
static void
localize_rte(RangeTblEntry *rte)
{
	char	   *relname;
	const char *shard;
	Oid			shard_relid;
	AttrNumber	a;

	if (get_rel_namespace(rte->relid) != get_namespace_oid(ADOPTION_SCHEMA, false))
		return;
	relname = get_rel_name(rte->relid);
	shard = relname ? map_lookup(relname, (int) strlen(relname)) : NULL;
	if (shard == NULL)
		return;
	shard_relid = RangeVarGetRelid(makeRangeVarFromNameList(stringToQualifiedNameList(shard)),
								   rte->rellockmode, false);
	for (a = 1;; a++)
	{
		char	   *n1 = get_attname(rte->relid, a, true);
		char	   *n2 = get_attname(shard_relid, a, true);

		if (n1 == NULL && n2 == NULL)
			break;
		if (n1 == NULL || n2 == NULL || strcmp(n1, n2) != 0 ||
			get_atttype(rte->relid, a) != get_atttype(shard_relid, a))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("shard %s of adoption.%s does not number its columns as the table does",
							shard, relname),
					 errdetail("The play policy is read from the shards on a Citus worker, with the table's column numbers (a column was dropped from the table after it was distributed)."),
					 errhint("Undistribute and distribute the table again (undistribute_table(), then adoption.distribute()).")));
	}
	rte->relid = shard_relid;
	rte->relkind = get_rel_relkind(shard_relid);
}

/*
 * Walks a query tree: inlines the SQL functions in FROM the planner would
 * inline (so that their tables are seen here), then puts the shards for
 * the tables, in every subquery, CTE and sub-select.
 */
static bool
localize_walker(Node *node, PlannerInfo *root)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		Query	   *q = (Query *) node;
		ListCell   *lc;

		foreach(lc, q->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

			if (rte->rtekind == RTE_FUNCTION)
			{
				Query	   *body;

				/* As preprocess_function_rtes() does (planner.c). */
				rte->functions = (List *) eval_const_expressions(root, (Node *) rte->functions);
				body = inline_set_returning_function(root, rte);
				if (body != NULL)
				{
					rte->rtekind = RTE_SUBQUERY;
					rte->subquery = body;
					rte->security_barrier = false;
					rte->functions = NIL;
					rte->funcordinality = false;
				}
			}
			else if (rte->rtekind == RTE_RELATION)
				localize_rte(rte);
		}
		return query_tree_walker(q, localize_walker, root, 0);
	}
	return expression_tree_walker(node, localize_walker, root);
}

/*
 * The planner hook: while localizing, the statement (the queue statement
 * with the play policy, and the functions it calls) reads the shards of
 * this node instead of the Citus tables, which a query on a shard cannot
 * read ("could not create distributed plan").  Citus's planner then sees
 * plain tables.
 */
static PlannedStmt *
adoption_planner(Query *parse, const char *query_string, int cursor_options,
				 ParamListInfo bound_params)
{
	if (localizing && current != NULL)
	{
		PlannerInfo root;
		PlannerGlobal glob;

		MemSet(&root, 0, sizeof(root));
		MemSet(&glob, 0, sizeof(glob));
		root.type = T_PlannerInfo;
		glob.type = T_PlannerGlobal;
		glob.boundParams = bound_params;
		root.glob = &glob;
		root.parse = parse;
		(void) localize_walker((Node *) parse, &root);
	}
	if (prev_planner != NULL)
		return prev_planner(parse, query_string, cursor_options, bound_params);
	return standard_planner(parse, query_string, cursor_options, bound_params);
}

/*
 * Starts (on) or ends (off) the span in which statements planned on a
 * shard read this node's shards for every table of the extension, the
 * tables inside the SQL functions they call included.
 */
void
adoption_citus_localize(bool on)
{
	localizing = on;
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
}
