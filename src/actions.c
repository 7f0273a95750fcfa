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

#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
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

static SPIPlanPtr enqueue_plan = NULL;
static SPIPlanPtr enqueue_shard_plan = NULL;

/* The one path that queues actions (actions.sql); this backend notifies itself. */
static const char *const enqueue_sql =
"SELECT pg_catalog.count(*) FROM adoption.queue_actions($1, $2, $3, $4::pg_catalog.jsonb[], $5, $6,"
" NULL, false)";

/*
 * On a Citus shard queue_actions() cannot run (its statements name the
 * tables, not the shard's, and the play policy reads tables of every
 * kind): the same claim and queue, on the shard's tables through the
 * resolver, without the play policy (citus.c, docs/citus.md).
 */
static const char *const enqueue_shard_sql =
"WITH input AS ("
" SELECT pg_catalog.nextval('adoption.campaign_action_id_seq'::pg_catalog.regclass) AS id, k.*"
" FROM (SELECT pg_catalog.unnest($1::pg_catalog.text[]) AS t, pg_catalog.unnest($2::pg_catalog.text[]) AS tpl,"
"  pg_catalog.unnest($3::pg_catalog.text[]) AS dk, pg_catalog.unnest($4::pg_catalog.text[]) AS r,"
"  pg_catalog.unnest($5::pg_catalog.text[]) AS u, pg_catalog.unnest($6::pg_catalog.text[]) AS f) AS k"
"), claimed AS ("
" INSERT INTO adoption.campaign_action_keys (tenant_id, dedupe_key, action_id)"
" SELECT i.t, i.dk, i.id FROM input AS i"
" ON CONFLICT DO NOTHING RETURNING action_id"
")"
" INSERT INTO adoption.campaign_action_queue"
"  (action_id, tenant_id, user_id, feature_id, template_key, campaign_id, reason, dedupe_key)"
" SELECT i.id, i.t, i.u, i.f, i.tpl, ct.campaign_id, i.r::pg_catalog.jsonb, i.dk"
" FROM input AS i JOIN claimed AS c ON c.action_id OPERATOR(pg_catalog.=) i.id"
" JOIN adoption.campaign_templates AS ct ON ct.template_key OPERATOR(pg_catalog.=) i.tpl";

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
	Datum		args[6];
	Oid			types[6] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	TEXTARRAYOID, TEXTARRAYOID};
	const char **tpl = palloc(sizeof(char *) * Max(n, 1));
	const char **keys = palloc(sizeof(char *) * Max(n, 1));
	int			i;
	const char **t = palloc(sizeof(char *) * Max(n, 1));
	const char **u = palloc(sizeof(char *) * Max(n, 1));
	const char **f = palloc(sizeof(char *) * Max(n, 1));
	const char **r = palloc(sizeof(char *) * Max(n, 1));
	int			m = 0;
	bool		isnull;

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
	if (adoption_citus_on_shard())
	{
		int64		added;

		if (adoption_run_kept_plan(&enqueue_shard_plan, enqueue_shard_sql, 6, types, args,
								   NULL) != SPI_OK_INSERT)
			elog(ERROR, "pg_adoption: enqueueing actions did not insert");
		added = (int64) SPI_processed;
		if (added > 0)
			adoption_citus_defer(m, t, NULL, NULL, added);
		return added;
	}
	if (adoption_run_kept_plan(&enqueue_plan, enqueue_sql, 6, types, args, NULL) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "pg_adoption: enqueueing actions failed");
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
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
