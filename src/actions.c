/*
 * actions.c: enqueueing the campaign actions that milestones call for.
 *
 * The engine (state.c) collects milestone actions while it processes a
 * chunk of events and hands them here as arrays; one INSERT maps each
 * milestone to its template (adoption.milestone_campaigns), claims its
 * dedupe key in adoption.campaign_action_keys (ON CONFLICT DO NOTHING: a key
 * ever used is never used again) and queues the rest.  The statement that
 * enqueued anything sends one NOTIFY adoption_actions at its end, never one
 * per event: NOTIFY takes a cluster-wide lock at commit.
 *
 * Which milestones enqueue anything is cached per backend (invalidated like
 * the settings), so that the engine does not build evidence for milestones
 * no campaign listens to.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "pg_adoption.h"
#include "actions.h"

static bool enabled_valid = false;
static uint64 enabled_invalidations = 0;
static Oid	milestone_campaigns_relid = InvalidOid;
static char *enabled_milestones = NULL;	/* "|activated|habitual|" */

static SPIPlanPtr enqueue_plan = NULL;

static const char *const enqueue_sql =
"WITH input AS ("
" SELECT pg_catalog.nextval('adoption.campaign_action_id_seq'::pg_catalog.regclass) AS id, o.*"
" FROM (SELECT k.t, k.u, k.f, k.m, k.r::pg_catalog.jsonb AS r, m.template_key, tpl.campaign_id,"
"   pg_catalog.jsonb_build_array(k.m, k.f, k.u)::pg_catalog.text AS dedupe_key"
"  FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[]),"
"   pg_catalog.unnest($3::pg_catalog.text[]), pg_catalog.unnest($4::pg_catalog.text[]),"
"   pg_catalog.unnest($5::pg_catalog.text[])) WITH ORDINALITY AS k(t, u, f, m, r, n)"
"  JOIN adoption.milestone_campaigns AS m ON m.milestone OPERATOR(pg_catalog.=) k.m AND m.enabled"
"  JOIN adoption.campaign_templates AS tpl ON tpl.template_key OPERATOR(pg_catalog.=) m.template_key"
"  ORDER BY k.n) AS o"
"), claimed AS ("
" INSERT INTO adoption.campaign_action_keys (tenant_id, dedupe_key, action_id)"
" SELECT i.t, i.dedupe_key, i.id FROM input AS i"
" ON CONFLICT DO NOTHING RETURNING tenant_id, dedupe_key"
")"
" INSERT INTO adoption.campaign_action_queue"
"  (action_id, tenant_id, user_id, feature_id, template_key, campaign_id, reason, dedupe_key)"
" SELECT i.id, i.t, i.u, i.f, i.template_key, i.campaign_id, i.r, i.dedupe_key"
" FROM input AS i JOIN claimed AS c"
"  ON c.tenant_id OPERATOR(pg_catalog.=) i.t AND c.dedupe_key OPERATOR(pg_catalog.=) i.dedupe_key";

/* Relcache callback part: forget the enabled milestones if their table changed. */
void
adoption_actions_invalidate(Oid relid)
{
	if (relid == InvalidOid || relid == milestone_campaigns_relid)
	{
		enabled_valid = false;
		enabled_invalidations++;
	}
}

/* Loads the milestones that have an enabled campaign (caller is SPI-connected). */
static void
load_enabled(void)
{
	uint64		before = enabled_invalidations;
	StringInfoData buf;
	uint64		i;

	milestone_campaigns_relid = adoption_relid("milestone_campaigns");
	if (SPI_execute("SELECT milestone FROM adoption.milestone_campaigns WHERE enabled",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "pg_adoption: could not read adoption.milestone_campaigns");
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '|');
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *m = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

		appendStringInfo(&buf, "%s|", m);
	}
	if (enabled_milestones != NULL)
		pfree(enabled_milestones);
	enabled_milestones = MemoryContextStrdup(TopMemoryContext, buf.data);
	pfree(buf.data);
	enabled_valid = (before == enabled_invalidations);
}

/* True if reaching milestone enqueues an action (the caller is SPI-connected). */
bool
adoption_milestone_enabled(const char *milestone)
{
	char		probe[64];

	if (!enabled_valid)
		load_enabled();
	snprintf(probe, sizeof(probe), "|%s|", milestone);
	return strstr(enabled_milestones, probe) != NULL;
}

/*
 * Enqueues n milestone actions (parallel arrays; user_ids may hold NULLs);
 * returns how many were new.  The caller is SPI-connected.
 */
int64
adoption_enqueue_milestones(int n, const char *const *tenant_ids,
							const char *const *user_ids,
							const char *const *feature_ids,
							const char *const *milestones,
							const char *const *reasons)
{
	Datum		args[5];
	Oid			types[5] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	int			rc;

	if (n == 0)
		return 0;
	if (enqueue_plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(enqueue_sql, 5, types);

		if (p == NULL)
			elog(ERROR, "pg_adoption: SPI_prepare failed: %s",
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		enqueue_plan = p;
	}
	args[0] = adoption_text_array(tenant_ids, n);
	args[1] = adoption_text_array(user_ids, n);
	args[2] = adoption_text_array(feature_ids, n);
	args[3] = adoption_text_array(milestones, n);
	args[4] = adoption_text_array(reasons, n);
	rc = SPI_execute_plan(enqueue_plan, args, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "pg_adoption: enqueueing actions failed: %s",
			 SPI_result_code_string(rc));
	return (int64) SPI_processed;
}

/* Sends the one notification of a statement that enqueued count actions. */
void
adoption_notify_actions(int64 count)
{
	char		payload[32];

	if (count <= 0)
		return;
	snprintf(payload, sizeof(payload), INT64_FORMAT, count);
	Async_Notify("adoption_actions", payload);
}
