/*
 * actions.c: enqueueing the campaign actions that milestones call for.
 *
 * The engine (state.c) collects milestone actions while it processes a
 * chunk of events and hands them here as arrays, which go to
 * adoption.queue_actions() (actions.sql), the one path that queues actions
 * (enqueue_batch() and enqueue_action() use it too): it claims each
 * action's dedupe key in adoption.campaign_action_keys (a key in use is
 * not used again) and queues the rest, except the plays the play policy
 * forbids for the account's state (plays.sql).  The statement that
 * enqueued anything sends one NOTIFY adoption_actions at its end, never
 * one per event: NOTIFY takes a cluster-wide lock at commit.
 *
 * Which template each milestone enqueues is cached per backend,
 * invalidated like the settings when adoption.milestone_campaigns or
 * adoption.campaign_templates change, so that the engine builds no
 * evidence for milestones no campaign listens to.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "citus.h"
#include "helpers.h"
#include "actions.h"

typedef struct MilestoneCampaign
{
	char		milestone[NAMEDATALEN];
	char	   *template_key;
} MilestoneCampaign;

#define MAX_MILESTONES 8

static bool map_valid = false;
static uint64 map_invalidations = 0;
static Oid	milestone_campaigns_relid = InvalidOid;
static Oid	campaign_templates_relid = InvalidOid;
static MilestoneCampaign map[MAX_MILESTONES];
static int	map_len = 0;
static MemoryContext map_mcxt = NULL;

/* Kept plans of the queue statement: the engine's (reasons as text[]) and queue_actions()'s. */
static SPIPlanPtr engine_queue_plan = NULL;
static SPIPlanPtr sql_queue_plan = NULL;

/*
 * The one statement that queues actions: the input ($1..$7, parallel
 * arrays: tenant, template, dedupe key, reason, user, feature,
 * available_at), the pairs the play policy forbids (plays.sql), the first
 * action of each (tenant, dedupe key) whose template exists and that is
 * not forbidden, the claim of the keys and the queue, each action in the
 * slot of the ring of its id's generation (actions.sql).  On a Citus shard
 * the statement runs in the scope of the shard group (citus.c): its
 * tables and those of the play policy's functions are the group's shards.
 */
static const char *const queue_sql =
"WITH i AS MATERIALIZED ("
" SELECT * FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[]),"
"  pg_catalog.unnest($3::pg_catalog.text[]), pg_catalog.unnest($4::pg_catalog.jsonb[]),"
"  pg_catalog.unnest($5::pg_catalog.text[]), pg_catalog.unnest($6::pg_catalog.text[]),"
"  pg_catalog.unnest($7::pg_catalog.timestamptz[])) WITH ORDINALITY"
"  AS i(tenant_id, template_key, dedupe_key, reason, user_id, feature_id, available_at, ord)"
"), blocked AS ("
" SELECT b.tenant_id, b.template_key FROM adoption.blocked_plays($1::pg_catalog.text[], $2::pg_catalog.text[]) AS b"
"), c AS ("
" SELECT DISTINCT ON (i.tenant_id, i.dedupe_key) i.tenant_id, i.user_id, i.feature_id, i.template_key,"
"  t.campaign_id, COALESCE(i.reason, '{}'::pg_catalog.jsonb) AS reason, i.dedupe_key,"
"  COALESCE(i.available_at, pg_catalog.now()) AS available_at, i.ord"
" FROM i JOIN adoption.campaign_templates AS t ON t.template_key OPERATOR(pg_catalog.=) i.template_key"
" WHERE NOT EXISTS (SELECT FROM blocked WHERE blocked.tenant_id OPERATOR(pg_catalog.=) i.tenant_id"
"  AND blocked.template_key OPERATOR(pg_catalog.=) i.template_key)"
" ORDER BY i.tenant_id, i.dedupe_key, i.ord"
"), ordered AS MATERIALIZED ("
" SELECT * FROM c ORDER BY c.ord"
"), k AS ("
" INSERT INTO adoption.campaign_action_keys AS k (tenant_id, dedupe_key, action_id)"
" SELECT o.tenant_id, o.dedupe_key, pg_catalog.nextval('adoption.campaign_action_id_seq'::pg_catalog.regclass)"
" FROM ordered AS o ON CONFLICT DO NOTHING"
" RETURNING k.tenant_id, k.dedupe_key, k.action_id"
"), q AS ("
" INSERT INTO adoption.campaign_action_queue AS q (action_id, tenant_id, user_id, feature_id,"
"  template_key, campaign_id, reason, dedupe_key, available_at, slot)"
" SELECT k.action_id, o.tenant_id, o.user_id, o.feature_id, o.template_key, o.campaign_id,"
"  o.reason, o.dedupe_key, o.available_at, adoption.action_slot(adoption.action_generation(k.action_id))"
" FROM k JOIN ordered AS o ON o.tenant_id OPERATOR(pg_catalog.=) k.tenant_id"
"  AND o.dedupe_key OPERATOR(pg_catalog.=) k.dedupe_key"
" RETURNING q.tenant_id, q.template_key, q.action_id"
")"
" SELECT q.tenant_id, q.template_key, q.action_id FROM q";

/*
 * Runs the queue statement on args (7 arrays; reasons of type reasons_type,
 * text[] or jsonb[]) with the plan kept in *slot; returns how many actions
 * it queued, whose rows it sets *queued to.  The caller is SPI-connected.
 * On a Citus shard it notes them for the coordinator's NOTIFY (citus.c).
 */
static int64
queue_actions_run(SPIPlanPtr *slot, Oid reasons_type, Datum *args, const char *nulls,
				  SPITupleTable **queued)
{
	Oid			types[7] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, reasons_type,
	TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID};
	int64		added;

	/*
	 * The transaction's id before the ids of the actions: the ring's
	 * barrier (adoption.advance_action_ring()) counts on every writer of a
	 * generation having one from before it took an id of it.
	 */
	(void) GetTopTransactionId();
	if (adoption_run_kept_plan(slot, queue_sql, 7, types, args, nulls) != SPI_OK_SELECT)
		elog(ERROR, "pg_adoption: queueing actions did not run its statement");
	added = (int64) SPI_processed;
	*queued = SPI_tuptable;
	if (adoption_citus_on_shard() && added > 0)
	{
		const char **tenants = palloc(sizeof(char *) * added);
		int64		i;

		for (i = 0; i < added; i++)
			tenants[i] = SPI_getvalue((*queued)->vals[i], (*queued)->tupdesc, 1);
		/* another statement: SPI_tuptable is its result from here on */
		adoption_citus_defer((int) added, tenants, NULL, NULL, added);
	}
	return added;
}

/* Relcache callback part: forget the map if its tables changed. */
void
adoption_actions_invalidate(Oid relid)
{
	if (relid == InvalidOid || relid == milestone_campaigns_relid ||
		relid == campaign_templates_relid)
	{
		map_valid = false;
		map_invalidations++;
	}
}

/* Loads the enabled milestone campaigns (caller is SPI-connected). */
static void
load_map(void)
{
	uint64		before = map_invalidations;
	uint64		i;
	MemoryContext caller = CurrentMemoryContext;

	milestone_campaigns_relid = adoption_relid("milestone_campaigns");
	campaign_templates_relid = adoption_relid("campaign_templates");
	if (map_mcxt == NULL)
		map_mcxt = AllocSetContextCreate(TopMemoryContext, "pg_adoption milestone campaigns",
										 ALLOCSET_SMALL_SIZES);
	MemoryContextReset(map_mcxt);
	map_len = 0;
	if (SPI_execute("SELECT m.milestone, m.template_key"
					" FROM adoption.milestone_campaigns AS m"
					" JOIN adoption.campaign_templates AS t"
					"  ON t.template_key OPERATOR(pg_catalog.=) m.template_key"
					" WHERE m.enabled", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "pg_adoption: could not read adoption.milestone_campaigns");
	for (i = 0; i < SPI_processed && map_len < MAX_MILESTONES; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		MilestoneCampaign *mc = &map[map_len++];

		strlcpy(mc->milestone, SPI_getvalue(tup, desc, 1), NAMEDATALEN);
		mc->template_key = MemoryContextStrdup(map_mcxt, SPI_getvalue(tup, desc, 2));
	}
	SPI_freetuptable(SPI_tuptable);
	MemoryContextSwitchTo(caller);
	map_valid = (before == map_invalidations);
}

/* Returns the enabled campaign of milestone, or NULL (caller is SPI-connected). */
static MilestoneCampaign *
milestone_campaign(const char *milestone)
{
	int			i;

	if (!map_valid)
		load_map();
	for (i = 0; i < map_len; i++)
		if (strcmp(map[i].milestone, milestone) == 0)
			return &map[i];
	return NULL;
}

/* True if reaching milestone enqueues an action (the caller is SPI-connected). */
bool
adoption_milestone_enabled(const char *milestone)
{
	return milestone_campaign(milestone) != NULL;
}

/*
 * Returns the dedupe key of a milestone of a subject: the JSON array
 * [milestone, feature_id, user_id], written as jsonb writes it, so that
 * SQL can compute the same key with jsonb_build_array(...)::text.
 */
static char *
dedupe_key(const char *milestone, const char *feature_id, const char *user_id)
{
	StringInfoData k;

	initStringInfo(&k);
	appendStringInfoChar(&k, '[');
	escape_json(&k, milestone);
	appendStringInfoString(&k, ", ");
	if (feature_id)
		escape_json(&k, feature_id);
	else
		appendStringInfoString(&k, "null");
	appendStringInfoString(&k, ", ");
	if (user_id)
		escape_json(&k, user_id);
	else
		appendStringInfoString(&k, "null");
	appendStringInfoChar(&k, ']');
	return k.data;
}

/*
 * Enqueues n milestone actions (parallel arrays; user_ids may hold NULLs)
 * whose milestones are enabled; returns how many were new.  The caller is
 * SPI-connected.
 */
int64
adoption_enqueue_milestones(int n, const char *const *tenant_ids,
							const char *const *user_ids,
							const char *const *feature_ids,
							const char *const *milestones,
							const char *const *reasons)
{
	Datum		args[7];
	const char **tpl = palloc(sizeof(char *) * Max(n, 1));
	const char **keys = palloc(sizeof(char *) * Max(n, 1));
	int			i;
	const char **t = palloc(sizeof(char *) * Max(n, 1));
	const char **u = palloc(sizeof(char *) * Max(n, 1));
	const char **f = palloc(sizeof(char *) * Max(n, 1));
	const char **r = palloc(sizeof(char *) * Max(n, 1));
	int			m = 0;
	SPITupleTable *queued;

	/*
	 * A milestone whose campaign was disabled since it was reached (the map
	 * is reloaded after an invalidation) enqueues nothing.
	 */
	for (i = 0; i < n; i++)
	{
		MilestoneCampaign *mc = milestone_campaign(milestones[i]);

		if (mc == NULL)
			continue;
		t[m] = tenant_ids[i];
		u[m] = user_ids[i];
		f[m] = feature_ids[i];
		r[m] = reasons[i];
		tpl[m] = mc->template_key;
		keys[m] = dedupe_key(milestones[i], feature_ids[i], user_ids[i]);
		m++;
	}
	if (m == 0)
		return 0;
	args[0] = adoption_text_array(t, m);
	args[1] = adoption_text_array(tpl, m);
	args[2] = adoption_text_array(keys, m);
	args[3] = adoption_text_array(r, m);
	args[4] = adoption_text_array(u, m);
	args[5] = adoption_text_array(f, m);
	args[6] = (Datum) 0;
	return queue_actions_run(&engine_queue_plan, TEXTARRAYOID, args, "      n", &queued);
}

/* Sends the one notification of a statement that enqueued count actions. */
void
adoption_notify_actions(int64 count)
{
	char		payload[32];

	/* On a Citus shard the coordinator notifies (citus.c). */
	if (count <= 0 || adoption_citus_on_shard())
		return;
	snprintf(payload, sizeof(payload), INT64_FORMAT, count);
	Async_Notify("adoption_actions", payload);
}

/*
 * adoption.queue_actions(tenant_ids, template_keys, dedupe_keys, reasons,
 * user_ids, feature_ids, available_ats, notify): the one path that queues
 * actions, for enqueue_action() and enqueue_batch() (actions.sql).
 * Returns the actions it queued (tenant_id, template_key, action_id); with
 * notify, one NOTIFY adoption_actions (payload the count) if any.
 */
PG_FUNCTION_INFO_V1(adoption_queue_actions);
Datum
adoption_queue_actions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		args[7];
	char		nulls[8] = "       ";
	bool		notify = !PG_ARGISNULL(7) && PG_GETARG_BOOL(7);
	int64		added;
	int64		i;
	int			a;
	SPITupleTable *queued;

	InitMaterializedSRF(fcinfo, 0);
	for (a = 0; a < 7; a++)
	{
		args[a] = PG_ARGISNULL(a) ? (Datum) 0 : PG_GETARG_DATUM(a);
		nulls[a] = PG_ARGISNULL(a) ? 'n' : ' ';
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pg_adoption: SPI_connect failed");
	added = queue_actions_run(&sql_queue_plan, JSONBARRAYOID, args, nulls, &queued);
	for (i = 0; i < added; i++)
	{
		Datum		values[3];
		bool		isnull[3];

		for (a = 0; a < 3; a++)
			values[a] = SPI_getbinval(queued->vals[i], queued->tupdesc, a + 1, &isnull[a]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, isnull);
	}
	SPI_finish();
	if (notify)
		adoption_notify_actions(added);
	PG_RETURN_NULL();
}
