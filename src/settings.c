/*
 * settings.c: the backend-local cache of adoption.settings, and the server
 * setting pg_adoption.engine_chunk_keys.
 *
 * The table is small (a defaults row plus per-tenant overrides) and read by
 * every ingest statement, so each backend loads it once into a hash of
 * effective settings per tenant and keeps it until a relcache invalidation
 * of adoption.settings arrives (see pg_adoption.c).  The rows come resolved
 * by adoption.settings_in_force(), the one implementation of "the tenant's
 * override, else the default" that the SQL side uses too; the columns read
 * are those ADOPTION_TENANT_SETTINGS lists (settings.h), found by name.
 * Callers get a copy of the struct, never a pointer into the cache, because
 * SPI calls they make afterwards may process an invalidation and free the
 * cache.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "helpers.h"
#include "settings.h"

/* pg_adoption.engine_chunk_keys (defined as a GUC by _PG_init). */
int			adoption_engine_chunk_keys = ADOPTION_ENGINE_CHUNK_KEYS;

typedef struct SettingsEntry
{
	char	   *tenant_id;		/* hash key */
	AdoptionSettings settings;
} SettingsEntry;

/* A column the C code reads: its name, type and place in AdoptionSettings. */
typedef struct SettingColumn
{
	const char *name;
	Oid			type;
	size_t		offset;
} SettingColumn;

#define ADOPTION_SETTING_OID_INT4		INT4OID
#define ADOPTION_SETTING_OID_FLOAT8		FLOAT8OID
#define ADOPTION_SETTING_OID_INTERVAL	INTERVALOID

static const SettingColumn setting_columns[] = {
#define ADOPTION_SETTING_COLUMN(name, kind) \
	{#name, ADOPTION_SETTING_OID_##kind, offsetof(AdoptionSettings, name)},
	ADOPTION_TENANT_SETTINGS(ADOPTION_SETTING_COLUMN)
#undef ADOPTION_SETTING_COLUMN
};

#define N_SETTING_COLUMNS lengthof(setting_columns)

static MemoryContext settings_mcxt = NULL;
static HTAB *settings_by_tenant = NULL;
static AdoptionSettings default_settings;
static bool settings_valid = false;
static uint64 settings_invalidations = 0;
static Oid	settings_relid = InvalidOid;

/*
 * The defaults row and every override row, resolved.  The rows go in as
 * ROW(d.*)::adoption.settings: on a Citus worker d is a row of the
 * reference table's shard, of another type (views.sql).
 */
static const char *const load_query =
"SELECT s.* FROM adoption.settings AS d"
" JOIN adoption.settings AS o ON d.tenant_id IS NULL"
" CROSS JOIN LATERAL adoption.settings_in_force(o.tenant_id, ROW(d.*)::adoption.settings,"
" ROW(o.*)::adoption.settings) AS s"
" ORDER BY s.tenant_id NULLS FIRST";

/*
 * The same while ALTER EXTENSION ... UPDATE runs the scripts of a version
 * older than 0.4.0, whose adoption.rebuild() call loads the settings
 * before adoption.settings_in_force() exists: that function's body, inline
 * (used only then, see load_settings).
 */
static const char *const load_query_before_0_4 =
"SELECT s.* FROM adoption.settings AS d"
" JOIN adoption.settings AS o ON d.tenant_id IS NULL"
" CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(d,"
" coalesce(pg_catalog.jsonb_strip_nulls(pg_catalog.to_jsonb(o)), '{}')) AS s"
" ORDER BY s.tenant_id NULLS FIRST";

static const char *const have_function_query =
"SELECT pg_catalog.to_regprocedure("
"'adoption.settings_in_force(text, adoption.settings, adoption.settings)') IS NOT NULL";

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

/*
 * Finds each column of setting_columns in the result and checks its type
 * (a mismatch is a bug: settings.h out of step with the table).  While
 * ALTER EXTENSION ... UPDATE runs an older version's script (which may
 * rebuild the state), a column a later script adds is not there yet: it
 * reads 0 (attnum 0) until then.
 */
static void
find_columns(TupleDesc desc, int *attnums)
{
	int			i;

	for (i = 0; i < (int) N_SETTING_COLUMNS; i++)
	{
		attnums[i] = SPI_fnumber(desc, setting_columns[i].name);
		if (attnums[i] <= 0 && creating_extension)
		{
			attnums[i] = 0;
			continue;
		}
		if (attnums[i] <= 0)
			elog(ERROR, "pg_adoption: adoption.settings has no column %s",
				 setting_columns[i].name);
		if (SPI_gettypeid(desc, attnums[i]) != setting_columns[i].type)
			elog(ERROR, "pg_adoption: column %s of adoption.settings has type %s, not %s",
				 setting_columns[i].name, SPI_gettype(desc, attnums[i]),
				 format_type_be(setting_columns[i].type));
	}
}

/* Fills *s from one resolved row; a NULL (event_retention: none) reads 0. */
static void
read_row(HeapTuple tup, TupleDesc desc, const int *attnums, AdoptionSettings *s)
{
	int			i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < (int) N_SETTING_COLUMNS; i++)
	{
		char	   *field = (char *) s + setting_columns[i].offset;
		bool		isnull;
		Datum		d;

		if (attnums[i] == 0)
			continue;
		d = SPI_getbinval(tup, desc, attnums[i], &isnull);
		if (isnull)
			continue;
		switch (setting_columns[i].type)
		{
			case INT4OID:
				*(int32 *) field = DatumGetInt32(d);
				break;
			case FLOAT8OID:
				*(double *) field = DatumGetFloat8(d);
				break;
			case INTERVALOID:
				*(int64 *) field = adoption_interval_usecs(DatumGetIntervalP(d));
				break;
		}
	}
}

/* Loads adoption.settings into the cache. */
static void
load_settings(void)
{
	uint64		i;
	bool		have_defaults = false;
	uint64		invalidations_before = settings_invalidations;
	int			attnums[N_SETTING_COLUMNS];
	bool		have_function;
	bool		isnull;
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
	if (SPI_execute(have_function_query, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "pg_adoption: could not look up adoption.settings_in_force()");
	have_function = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 1, &isnull));
	if (!have_function && !creating_extension)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function adoption.settings_in_force() does not exist"),
				 errhint("Run ALTER EXTENSION pg_adoption UPDATE: the installed library is newer than the extension's objects.")));
	if (SPI_execute(have_function ? load_query : load_query_before_0_4,
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "pg_adoption: could not read adoption.settings");

	memset(&default_settings, 0, sizeof(default_settings));
	settings_by_tenant = adoption_string_htab("pg_adoption settings",
											  sizeof(SettingsEntry),
											  Max(SPI_processed, 16),
											  settings_mcxt);
	find_columns(SPI_tuptable->tupdesc, attnums);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *tenant_id = SPI_getvalue(tup, desc, SPI_fnumber(desc, "tenant_id"));

		if (tenant_id == NULL)
		{
			read_row(tup, desc, attnums, &default_settings);
			have_defaults = true;
		}
		else
		{
			SettingsEntry *e;
			bool		found;

			e = hash_search(settings_by_tenant, &tenant_id, HASH_ENTER, &found);
			adoption_entry_set_key(e, tenant_id, settings_mcxt);
			read_row(tup, desc, attnums, &e->settings);
		}
	}
	SPI_finish();

	if (!have_defaults)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("adoption.settings has no defaults row"),
				 errdetail("The row with tenant_id NULL holds the default thresholds and windows, and it was deleted."),
				 errhint("Insert it again with a value for every setting (docs/reference.md lists the defaults of the extension under Settings), or restore it from a dump.")));

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
