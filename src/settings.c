/*
 * settings.c: the backend-local cache of adoption.settings.
 *
 * The table is small (a defaults row plus per-tenant overrides) and read by
 * every ingest statement, so each backend loads it once into a hash of
 * effective settings per tenant and keeps it until a relcache invalidation
 * of adoption.settings arrives (see pg_adoption.c).  Callers get a copy of
 * the struct, never a pointer into the cache, because SPI calls they make
 * afterwards may process an invalidation and free the cache.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "pg_adoption.h"

typedef struct SettingsEntry
{
	char	   *tenant_id;		/* hash key */
	AdoptionSettings settings;
} SettingsEntry;

static MemoryContext settings_mcxt = NULL;
static HTAB *settings_by_tenant = NULL;
static AdoptionSettings default_settings;
static bool settings_valid = false;
static uint64 settings_invalidations = 0;
static Oid	settings_relid = InvalidOid;

/* Columns in the order of the loading query. */
enum
{
	COL_TENANT_ID = 1,
	COL_AHA_SUCCESSES,
	COL_VELOCITY_THRESHOLD,
	COL_ADOPTION_THRESHOLD,
	COL_SUCCESS_RATE,
	COL_ACTIVE_WINDOW,
	COL_NUDGE_AFTER,
	COL_DORMANT_AFTER,
	COL_MAX_FUTURE_SKEW,
	COL_MAX_ATTEMPTS,
	COL_EVENT_RETENTION,
	COL_W_USAGE_TREND,
	COL_W_ADOPTION,
	COL_W_SUPPORT,
	COL_W_BILLING,
	COL_W_FEEDBACK
};

static const char *const load_query =
"SELECT tenant_id, aha_successes, usage_velocity_threshold,"
" feature_adoption_threshold, success_outcome_rate, active_window,"
" nudge_after, dormant_after, max_future_skew, max_attempts,"
" event_retention, weight_usage_trend, weight_adoption, weight_support,"
" weight_billing, weight_feedback"
" FROM adoption.settings"
" ORDER BY tenant_id NULLS FIRST";

/* Empties the cache if relid is adoption.settings (or everything changed). */
void
adoption_settings_invalidate(Oid relid)
{
	if (relid == InvalidOid || relid == settings_relid)
	{
		settings_valid = false;
		settings_invalidations++;
	}
}

/* Overwrites *field with column col of the row, unless it is NULL. */
static void
merge_int32(HeapTuple tup, TupleDesc desc, int col, int32 *field)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	if (!isnull)
		*field = DatumGetInt32(d);
}

static void
merge_float8(HeapTuple tup, TupleDesc desc, int col, double *field)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	if (!isnull)
		*field = DatumGetFloat8(d);
}

static void
merge_interval(HeapTuple tup, TupleDesc desc, int col, int64 *field)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	if (!isnull)
		*field = adoption_interval_usecs(DatumGetIntervalP(d));
}

/* Applies the non-NULL columns of one settings row on top of *s. */
static void
merge_row(HeapTuple tup, TupleDesc desc, AdoptionSettings *s)
{
	merge_int32(tup, desc, COL_AHA_SUCCESSES, &s->aha_successes);
	merge_int32(tup, desc, COL_VELOCITY_THRESHOLD, &s->usage_velocity_threshold);
	merge_float8(tup, desc, COL_ADOPTION_THRESHOLD, &s->feature_adoption_threshold);
	merge_float8(tup, desc, COL_SUCCESS_RATE, &s->success_outcome_rate);
	merge_interval(tup, desc, COL_ACTIVE_WINDOW, &s->active_window);
	merge_interval(tup, desc, COL_NUDGE_AFTER, &s->nudge_after);
	merge_interval(tup, desc, COL_DORMANT_AFTER, &s->dormant_after);
	merge_interval(tup, desc, COL_MAX_FUTURE_SKEW, &s->max_future_skew);
	merge_int32(tup, desc, COL_MAX_ATTEMPTS, &s->max_attempts);
	merge_interval(tup, desc, COL_EVENT_RETENTION, &s->event_retention);
	merge_float8(tup, desc, COL_W_USAGE_TREND, &s->weight_usage_trend);
	merge_float8(tup, desc, COL_W_ADOPTION, &s->weight_adoption);
	merge_float8(tup, desc, COL_W_SUPPORT, &s->weight_support);
	merge_float8(tup, desc, COL_W_BILLING, &s->weight_billing);
	merge_float8(tup, desc, COL_W_FEEDBACK, &s->weight_feedback);
}

/* Loads adoption.settings into the cache. */
static void
load_settings(void)
{
	uint64		i;
	bool		have_defaults = false;
	uint64		invalidations_before = settings_invalidations;
	Oid			relid = adoption_relid("settings");

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table adoption.settings does not exist"),
				 errhint("Run CREATE EXTENSION pg_adoption in this database.")));

	if (settings_mcxt == NULL)
		settings_mcxt = AllocSetContextCreate(TopMemoryContext,
											  "pg_adoption settings",
											  ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(settings_mcxt);
	settings_by_tenant = NULL;
	settings_relid = relid;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pg_adoption: SPI_connect failed");
	if (SPI_execute(load_query, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "pg_adoption: could not read adoption.settings");

	memset(&default_settings, 0, sizeof(default_settings));
	settings_by_tenant = adoption_string_htab("pg_adoption settings",
											  sizeof(SettingsEntry),
											  Max(SPI_processed, 16),
											  settings_mcxt);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *tenant_id = SPI_getvalue(tup, desc, COL_TENANT_ID);

		if (tenant_id == NULL)
		{
			merge_row(tup, desc, &default_settings);
			have_defaults = true;
		}
		else
		{
			SettingsEntry *e;
			bool		found;

			/* Defaults come first (ORDER BY ... NULLS FIRST), overrides on top. */
			e = hash_search(settings_by_tenant, &tenant_id, HASH_ENTER, &found);
			adoption_entry_set_key(e, tenant_id, settings_mcxt);
			e->settings = default_settings;
			merge_row(tup, desc, &e->settings);
		}
	}
	SPI_finish();

	if (!have_defaults)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("adoption.settings has no defaults row"),
				 errdetail("The row with tenant_id NULL holds the default thresholds and windows, and it was deleted."),
				 errhint("Insert it again, e.g. INSERT INTO adoption.settings (tenant_id, aha_successes, usage_velocity_threshold, feature_adoption_threshold, success_outcome_rate, active_window, nudge_after, dormant_after, max_future_skew, max_attempts, weight_usage_trend, weight_adoption, weight_support, weight_billing, weight_feedback, health_healthy_min, health_at_risk_min, action_cooldown, seat_utilization_threshold) VALUES (NULL, 3, 5, 0.70, 0.80, '30 days', '7 days', '30 days', '1 day', 5, 0.30, 0.30, 0.15, 0.15, 0.10, 70, 40, '30 days', 0.90).")));

	/*
	 * Valid unless an invalidation arrived while the query ran; then the next
	 * caller loads again.  An error above leaves the cache invalid.
	 */
	settings_valid = (settings_invalidations == invalidations_before);
}

/*
 * Copies the effective settings of tenant_id (the defaults when it has no
 * override row, or when tenant_id is NULL) into *out.
 */
void
adoption_get_settings(const char *tenant_id, AdoptionSettings *out)
{
	SettingsEntry *e = NULL;

	if (!settings_valid)
		load_settings();
	if (tenant_id != NULL && settings_by_tenant != NULL)
		e = hash_search(settings_by_tenant, &tenant_id, HASH_FIND, NULL);
	*out = e ? e->settings : default_settings;
}
