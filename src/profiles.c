/*
 * profiles.c: persona profiles of feedback (the seeds' updatePersonaProfiles).
 *
 * adoption.feedback_profile holds, per tenant, month (UTC) of created_at,
 * category and item, what the feedback of that month says: rows mentioning
 * the item, their summed sentiment (numeric, so that a sum is exact whatever
 * the order rows arrive or leave in), their NPS categories and the latest
 * time.  Categories are the four theme categories, 'feature' (catalog
 * features named), 'campaign' (the campaign_id the feedback answered) and
 * 'all' (item '': every feedback row).  The persona views (profiles.sql)
 * read it per tenant and per segment.
 *
 * It is kept current by statement triggers of adoption.feedback, in the
 * same transaction as the feedback:
 *
 *   - INSERT adds the statement's rows (transition table new_feedback) in
 *     one set-based upsert: counts and sums add, the latest time is the
 *     greater;
 *   - UPDATE and DELETE subtract the old rows (old_feedback) and add the new
 *     ones (new_feedback) in one upsert; where an old row held the latest
 *     time, they take it again from adoption.feedback (a maximum cannot be
 *     taken back: a scan of those tenant-months only); and they drop the
 *     rows no feedback mentions any more; under a SHARE ROW EXCLUSIVE lock
 *     of the profile table, so that no concurrent insert changes a slice in
 *     between;
 *   - TRUNCATE empties it.
 *
 * Why deltas rather than recomputing the slices from adoption.feedback: an
 * INSERT ... ON CONFLICT DO UPDATE fires the AFTER UPDATE statement trigger
 * first, then the AFTER INSERT one (MERGE: update, delete, then insert;
 * nodeModifyTable.c, fireASTriggers), so a recount would already see the
 * statement's inserted rows that the insert trigger then adds again.  Sums
 * of deltas count each row once whatever the order of the triggers; the
 * latest time taken from the table may include those rows early, which the
 * insert trigger's GREATEST leaves as it is.
 *
 * adoption.rebuild_feedback_profiles() recomputes it from adoption.feedback
 * with the very same aggregate (profile_rows), which is why a rebuild equals
 * the incremental result: both are sums of the same per-row terms, and the
 * sums are exact.  The table is derived data: it is not dumped, and a
 * restore rebuilds it as the restored feedback passes the insert trigger.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "helpers.h"
#include "citus.h"

/* The month of a feedback row (f), as stored in feedback_profile.month. */
#define PROFILE_MONTH \
	"(pg_catalog.date_trunc('month', f.created_at AT TIME ZONE 'UTC'))::date"

/*
 * The profile rows of the feedback rows of a source (%1$s, aliased f) that
 * pass a condition (%2$s): one per tenant, category, item and month.
 */
static const char *const profile_rows =
"SELECT f.tenant_id, c.category, c.item, " PROFILE_MONTH " AS month,"
"  pg_catalog.count(*),"
"  COALESCE(pg_catalog.sum(f.sentiment::numeric), 0),"
"  pg_catalog.count(f.sentiment),"
"  pg_catalog.count(*) FILTER (WHERE f.nps_category OPERATOR(pg_catalog.=) 'promoter'),"
"  pg_catalog.count(*) FILTER (WHERE f.nps_category OPERATOR(pg_catalog.=) 'passive'),"
"  pg_catalog.count(*) FILTER (WHERE f.nps_category OPERATOR(pg_catalog.=) 'detractor'),"
"  pg_catalog.max(f.created_at)"
" FROM %1$s AS f"
" CROSS JOIN LATERAL ("
"  SELECT 'all'::text, ''::text"
"  UNION ALL SELECT 'pain_point', t FROM pg_catalog.unnest(f.pain_points) AS t"
"  UNION ALL SELECT 'feature_request', t FROM pg_catalog.unnest(f.feature_requests) AS t"
"  UNION ALL SELECT 'value_driver', t FROM pg_catalog.unnest(f.value_drivers) AS t"
"  UNION ALL SELECT 'success_indicator', t FROM pg_catalog.unnest(f.success_indicators) AS t"
"  UNION ALL SELECT 'feature', t FROM pg_catalog.unnest(f.features) AS t"
"  UNION ALL SELECT 'campaign', f.campaign_id WHERE f.campaign_id IS NOT NULL"
" ) AS c(category, item)"
" WHERE %2$s"
" GROUP BY 1, 2, 3, 4"
" ORDER BY 1, 2, 3, 4";

/* Inserting profile rows (%s: a profile_rows query); an existing row adds them. */
static const char *const profile_upsert =
"INSERT INTO adoption.feedback_profile AS p (tenant_id, category, item, month, mentions,"
"  sentiment_sum, sentiment_n, promoters, passives, detractors, last_at) %s"
" ON CONFLICT (tenant_id, category, item, month) DO UPDATE SET"
"  mentions = p.mentions OPERATOR(pg_catalog.+) excluded.mentions,"
"  sentiment_sum = p.sentiment_sum OPERATOR(pg_catalog.+) excluded.sentiment_sum,"
"  sentiment_n = p.sentiment_n OPERATOR(pg_catalog.+) excluded.sentiment_n,"
"  promoters = p.promoters OPERATOR(pg_catalog.+) excluded.promoters,"
"  passives = p.passives OPERATOR(pg_catalog.+) excluded.passives,"
"  detractors = p.detractors OPERATOR(pg_catalog.+) excluded.detractors,"
"  last_at = GREATEST(p.last_at, excluded.last_at)";

/* The columns of a profile_rows query, to select from it. */
#define PROFILE_COLUMNS \
	"(tenant_id, category, item, month, mentions, sentiment_sum, sentiment_n, promoters, passives, detractors, last_at)"

/*
 * The change of the profile an update or delete makes: the rows of
 * new_feedback added (the first %s: this query of the new rows, or one of
 * none), those of old_feedback (the second) taken away; the latest time is
 * that of the new rows (-infinity without any), which the upsert's
 * GREATEST keeps only if it is later.
 */
static const char *const profile_delta =
"SELECT d.tenant_id, d.category, d.item, d.month, pg_catalog.sum(d.mentions), pg_catalog.sum(d.sentiment_sum),"
"  pg_catalog.sum(d.sentiment_n), pg_catalog.sum(d.promoters), pg_catalog.sum(d.passives),"
"  pg_catalog.sum(d.detractors), COALESCE(pg_catalog.max(d.last_at), '-infinity'::pg_catalog.timestamptz)"
" FROM (SELECT * FROM (%s) AS n " PROFILE_COLUMNS
"  UNION ALL SELECT o.tenant_id, o.category, o.item, o.month, OPERATOR(pg_catalog.-) o.mentions,"
"   OPERATOR(pg_catalog.-) o.sentiment_sum, OPERATOR(pg_catalog.-) o.sentiment_n, OPERATOR(pg_catalog.-) o.promoters,"
"   OPERATOR(pg_catalog.-) o.passives, OPERATOR(pg_catalog.-) o.detractors, NULL"
"  FROM (%s) AS o " PROFILE_COLUMNS
" ) AS d GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4";

/* The (tenant, month) slices of a transition table (%s). */
#define SLICES_OF(tbl) \
	"SELECT f.tenant_id, " PROFILE_MONTH " AS month FROM " tbl " AS f"

/* Runs one statement of profile maintenance; expected is its SPI result code. */
static void
profile_exec(const char *sql, int expected)
{
	/* On a Citus shard, LOCK and TRUNCATE name the shards themselves (citus.c). */
	int			rc = SPI_execute(adoption_resolve_sql(sql), false, 0);

	if (rc != expected)
		elog(ERROR, "feedback profile statement failed: %s", SPI_result_code_string(rc));
}

/*
 * Applies an update or delete: the rows of old_feedback out, those of
 * new_feedback in (has_new false: a delete); then, for the profile rows
 * whose latest time an old row held (and no new row passed), the latest
 * time again from adoption.feedback (a scan of those tenant-months only);
 * and the rows of the slices it touched (a query of (tenant_id, month))
 * left without mentions dropped.  A row taken out of a profile already
 * emptied (forget_tenant() deletes the profile before the feedback) leaves
 * a row below zero: dropped too.
 */
static void
profile_apply_change(bool has_new, const char *slices)
{
	char	   *old_rows = psprintf(profile_rows, "old_feedback", "true");
	char	   *added = has_new ? psprintf(profile_rows, "new_feedback", "true") :
		psprintf(profile_rows, "adoption.feedback", "false");
	char	   *keys = psprintf("(f.tenant_id, " PROFILE_MONTH ") IN ("
							   "SELECT o.tenant_id, o.month FROM (%s) AS o " PROFILE_COLUMNS
							   " JOIN adoption.feedback_profile AS q ON q.tenant_id OPERATOR(pg_catalog.=) o.tenant_id"
							   "  AND q.category OPERATOR(pg_catalog.=) o.category AND q.item OPERATOR(pg_catalog.=) o.item"
							   "  AND q.month OPERATOR(pg_catalog.=) o.month"
							   " WHERE o.last_at OPERATOR(pg_catalog.>=) q.last_at)", old_rows);

	profile_exec("LOCK TABLE adoption.feedback_profile IN SHARE ROW EXCLUSIVE MODE",
				 SPI_OK_UTILITY);
	profile_exec(psprintf(profile_upsert, psprintf(profile_delta, added, old_rows)),
				 SPI_OK_INSERT);
	profile_exec(psprintf("UPDATE adoption.feedback_profile AS p SET last_at = r.last_at"
						  " FROM (%s) AS r " PROFILE_COLUMNS
						  " WHERE p.tenant_id OPERATOR(pg_catalog.=) r.tenant_id"
						  "  AND p.category OPERATOR(pg_catalog.=) r.category"
						  "  AND p.item OPERATOR(pg_catalog.=) r.item AND p.month OPERATOR(pg_catalog.=) r.month"
						  "  AND p.last_at OPERATOR(pg_catalog.<>) r.last_at",
						  psprintf(profile_rows, "adoption.feedback", keys)),
				 SPI_OK_UPDATE);
	profile_exec(psprintf("DELETE FROM adoption.feedback_profile AS p"
						  " WHERE (p.tenant_id, p.month) IN (%s) AND p.mentions OPERATOR(pg_catalog.<=) 0", slices),
				 SPI_OK_DELETE);
}

PG_FUNCTION_INFO_V1(adoption_feedback_profiles);

/* AFTER statement trigger of adoption.feedback: keeps adoption.feedback_profile current. */
Datum
adoption_feedback_profiles(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TriggerEvent ev;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) ||
		(!TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event) &&
		 (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) ?
		  trigdata->tg_oldtable == NULL : trigdata->tg_newtable == NULL)) ||
		(TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) && trigdata->tg_oldtable == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("adoption.feedback_profiles() must be an AFTER ... FOR EACH STATEMENT trigger of adoption.feedback with its transition tables (old_feedback, new_feedback)")));
	ev = trigdata->tg_event;
	if (TRIGGER_FIRED_BY_INSERT(ev) && tuplestore_tuple_count(trigdata->tg_newtable) == 0)
		return PointerGetDatum(NULL);
	if ((TRIGGER_FIRED_BY_DELETE(ev) || TRIGGER_FIRED_BY_UPDATE(ev)) &&
		tuplestore_tuple_count(trigdata->tg_oldtable) == 0)
		return PointerGetDatum(NULL);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_register_trigger_data(trigdata) != SPI_OK_TD_REGISTER)
		elog(ERROR, "could not register the transition tables of adoption.feedback_profiles()");
	/* On a Citus shard: the statements run on its shard group (citus.c). */
	adoption_citus_enter_relation(trigdata->tg_relation);
	PG_TRY();
	{
		if (TRIGGER_FIRED_BY_TRUNCATE(ev))
			profile_exec("TRUNCATE adoption.feedback_profile", SPI_OK_UTILITY);
		else if (TRIGGER_FIRED_BY_INSERT(ev))
			profile_exec(psprintf(profile_upsert,
								  psprintf(profile_rows, "new_feedback", "true")),
						 SPI_OK_INSERT);
		else if (TRIGGER_FIRED_BY_DELETE(ev))
			profile_apply_change(false, SLICES_OF("old_feedback"));
		else
			profile_apply_change(true, SLICES_OF("old_feedback") " UNION " SLICES_OF("new_feedback"));
	}
	PG_FINALLY();
	{
		adoption_citus_leave();
	}
	PG_END_TRY();
	SPI_finish();
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(adoption_rebuild_feedback_profiles);

/* Returns the profile rows of one tenant (or all) after recomputing them from adoption.feedback. */
Datum
adoption_rebuild_feedback_profiles(PG_FUNCTION_ARGS)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	char		nulls[1] = {' '};
	const char *cond = "true";
	int64		n;

	if (!PG_ARGISNULL(0))
	{
		args[0] = PG_GETARG_DATUM(0);
		cond = "f.tenant_id OPERATOR(pg_catalog.=) $1";
	}
	else
		args[0] = (Datum) 0;

	/* On a Citus coordinator: on each shard group, on its worker (citus.c). */
	if (adoption_citus_dispatching())
		PG_RETURN_INT64(adoption_citus_run_sum(PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0)),
											   psprintf("SELECT adoption.rebuild_feedback_profiles(%s) AS n",
														PG_ARGISNULL(0) ? "NULL" :
														quote_literal_cstr(text_to_cstring(PG_GETARG_TEXT_PP(0))))));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* No feedback may change while its profile is recomputed. */
	profile_exec("LOCK TABLE adoption.feedback IN SHARE MODE", SPI_OK_UTILITY);
	profile_exec("LOCK TABLE adoption.feedback_profile IN SHARE ROW EXCLUSIVE MODE",
				 SPI_OK_UTILITY);
	if (SPI_execute_with_args(PG_ARGISNULL(0) ? "DELETE FROM adoption.feedback_profile" :
							  "DELETE FROM adoption.feedback_profile WHERE tenant_id OPERATOR(pg_catalog.=) $1",
							  PG_ARGISNULL(0) ? 0 : 1, argtypes, args, nulls, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not clear the feedback profile");
	if (SPI_execute_with_args(psprintf("%s RETURNING 1",
									   psprintf(profile_upsert,
												psprintf(profile_rows, "adoption.feedback", cond))),
							  PG_ARGISNULL(0) ? 0 : 1, argtypes, args, nulls, false, 0) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "could not rebuild the feedback profile");
	n = (int64) SPI_processed;
	SPI_finish();
	PG_RETURN_INT64(n);
}
