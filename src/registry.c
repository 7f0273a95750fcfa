/*
 * registry.c: registration of unseen tenants and features.
 *
 * Every ingest statement names tenants and features; nearly all of them are
 * known already.  Each backend remembers which ones it has seen committed
 * (known_tenants, known_features with their names) and sends only the rest
 * to the catalog, in one INSERT ... ON CONFLICT DO NOTHING per table and
 * batch, with keys sorted so that concurrent registrations lock in the same
 * order.  A feature whose event carries a name that differs from the
 * catalog's is renamed by an UPDATE of its own, which locks only the rows
 * it changes: an upsert (ON CONFLICT DO UPDATE ... WHERE) would lock every
 * row it finds, even with its WHERE false, so that a transaction that was
 * first in its backend to see a feature would hold that feature's catalog
 * row until it ended, and make every other backend seeing the feature for
 * the first time (a new connection of a pool, for any tenant) wait for it.
 *
 * What a transaction registers becomes "known" only when it commits (a
 * rolled-back registration must be retried), and only if no invalidation of
 * the caches arrived meanwhile: a DELETE or TRUNCATE of adoption.tenants or
 * adoption.features fires adoption.invalidate_cache(), which empties the
 * caches of every backend.  The caches are an optimization only; an
 * unknown tenant costs one no-op upsert.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "helpers.h"
#include "citus.h"
#include "registry.h"

/* Beyond this many known keys a cache starts over rather than grow. */
#define REGISTRY_CACHE_MAX 1000000
/* Beyond this many registrations a transaction stops remembering them. */
#define REGISTRY_PENDING_MAX 100000

typedef struct KnownTenant
{
	char	   *tenant_id;		/* hash key */
} KnownTenant;

typedef struct KnownFeature
{
	char	   *feature_id;		/* hash key */
	char	   *feature_name;	/* NULL if the catalog has none */
	char	   *tenant_id;		/* in a batch: a tenant that sent it */
} KnownFeature;

/* A registration waiting for its transaction to commit. */
typedef struct PendingItem
{
	char	   *id;
	char	   *name;			/* features only */
	bool		is_feature;
} PendingItem;

struct RegistryBatch
{
	MemoryContext mcxt;
	HTAB	   *tenants;		/* KnownTenant entries to register */
	HTAB	   *features;		/* KnownFeature entries to register or rename */
};

static MemoryContext registry_mcxt = NULL;
static HTAB *known_tenants = NULL;
static HTAB *known_features = NULL;
static Oid	tenants_relid = InvalidOid;
static Oid	features_relid = InvalidOid;
static uint64 registry_invalidations = 0;

static MemoryContext pending_mcxt = NULL;
static List *pending = NIL;
static int	n_pending = 0;
static bool pending_overflow = false;
static uint64 pending_invalidations = 0;

static SPIPlanPtr register_tenants_plan = NULL;
static SPIPlanPtr register_features_plan = NULL;
static SPIPlanPtr rename_features_plan = NULL;

static const char *const register_tenants_sql =
"INSERT INTO adoption.tenants (tenant_id)"
" SELECT t FROM pg_catalog.unnest($1::pg_catalog.text[]) AS u(t)"
" ON CONFLICT (tenant_id) DO NOTHING";

static const char *const register_features_sql =
"INSERT INTO adoption.features AS f (feature_id, feature_name)"
" SELECT i, n FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])) AS u(i, n)"
" ON CONFLICT (feature_id) DO NOTHING";

/* The names that differ: only those rows are locked (a rename is rare). */
static const char *const rename_features_sql =
"UPDATE adoption.features AS f SET feature_name = u.n"
" FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])) AS u(i, n)"
" WHERE f.feature_id OPERATOR(pg_catalog.=) u.i AND u.n IS NOT NULL"
" AND f.feature_name IS DISTINCT FROM u.n";

/* Creates the known-key caches if needed. */
static void
ensure_caches(void)
{
	if (registry_mcxt == NULL)
		registry_mcxt = AllocSetContextCreate(TopMemoryContext,
											  "pg_adoption registry",
											  ALLOCSET_DEFAULT_SIZES);
	if (known_tenants == NULL)
	{
		MemoryContextReset(registry_mcxt);
		known_tenants = adoption_string_htab("pg_adoption known tenants",
											 sizeof(KnownTenant), 1024,
											 registry_mcxt);
		known_features = adoption_string_htab("pg_adoption known features",
											  sizeof(KnownFeature), 256,
											  registry_mcxt);
		tenants_relid = adoption_relid("tenants");
		features_relid = adoption_relid("features");
	}
}

/* Drops both caches (and what is pending publication). */
static void
reset_caches(void)
{
	known_tenants = NULL;
	known_features = NULL;
	registry_invalidations++;
}

/* Relcache callback part: empties the caches if relid is one of their tables. */
void
adoption_registry_invalidate(Oid relid)
{
	if (known_tenants == NULL)
	{
		registry_invalidations++;
		return;
	}
	if (relid == InvalidOid || relid == tenants_relid || relid == features_relid)
		reset_caches();
}

/* Starts a batch of registrations whose memory lives in mcxt. */
RegistryBatch *
adoption_registry_begin(MemoryContext mcxt)
{
	RegistryBatch *b = MemoryContextAllocZero(mcxt, sizeof(RegistryBatch));

	ensure_caches();
	/* The batch's own context, emptied at each flush. */
	b->mcxt = AllocSetContextCreate(mcxt, "pg_adoption registry batch",
									ALLOCSET_DEFAULT_SIZES);
	b->tenants = adoption_string_htab("pg_adoption new tenants",
									  sizeof(KnownTenant), 64, b->mcxt);
	b->features = adoption_string_htab("pg_adoption new features",
									   sizeof(KnownFeature), 64, b->mcxt);
	return b;
}

/*
 * Notes that an event names tenant_id and feature_id (and feature_name, or
 * NULL); remembers what the catalog does not have yet.  Returns the number
 * of keys the batch holds.
 */
long
adoption_registry_note(RegistryBatch *b, const char *tenant_id,
					   const char *feature_id, const char *feature_name)
{
	KnownFeature *kf;
	bool		found;

	ensure_caches();
	if (hash_search(known_tenants, &tenant_id, HASH_FIND, NULL) == NULL)
	{
		KnownTenant *t = hash_search(b->tenants, &tenant_id, HASH_ENTER, &found);

		if (!found)
			adoption_entry_set_key(t, tenant_id, b->mcxt);
	}

	kf = hash_search(known_features, &feature_id, HASH_FIND, NULL);
	if (kf == NULL || (feature_name != NULL &&
					   (kf->feature_name == NULL ||
						strcmp(kf->feature_name, feature_name) != 0)))
	{
		KnownFeature *f = hash_search(b->features, &feature_id, HASH_ENTER, &found);

		if (!found)
		{
			adoption_entry_set_key(f, feature_id, b->mcxt);
			f->feature_name = NULL;
			f->tenant_id = MemoryContextStrdup(b->mcxt, tenant_id);
		}
		/* The last name given in arrival order wins. */
		if (feature_name != NULL)
			f->feature_name = MemoryContextStrdup(b->mcxt, feature_name);
	}
	return hash_get_num_entries(b->tenants) + hash_get_num_entries(b->features);
}

static int
cmp_cstring_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Returns the keys of a string-keyed hash, sorted bytewise. */
static char **
sorted_keys(HTAB *htab, long *n)
{
	HASH_SEQ_STATUS seq;
	char	  **entry;
	char	  **keys;
	long		i = 0;

	*n = hash_get_num_entries(htab);
	keys = palloc(sizeof(char *) * Max(*n, 1));
	hash_seq_init(&seq, htab);
	while ((entry = hash_seq_search(&seq)) != NULL)
		keys[i++] = *entry;
	qsort(keys, *n, sizeof(char *), cmp_cstring_ptr);
	return keys;
}

/* Runs one registration statement (its parameters are text arrays). */
static void
run_plan(SPIPlanPtr *plan, const char *sql, int nargs, Datum *args, int expected)
{
	Oid			types[2] = {TEXTARRAYOID, TEXTARRAYOID};

	if (adoption_run_kept_plan(plan, sql, nargs, types, args, NULL) != expected)
		elog(ERROR, "pg_adoption: registration did not run as planned");
}

/* Remembers a registration for publication at commit. */
static void
add_pending(const char *id, const char *name, bool is_feature)
{
	PendingItem *p;
	MemoryContext old;

	/* A huge transaction registers without teaching the cache: memory stays bounded. */
	if (pending_overflow)
		return;
	if (n_pending >= REGISTRY_PENDING_MAX)
	{
		pending_overflow = true;
		pending = NIL;
		n_pending = 0;
		MemoryContextReset(pending_mcxt);
		return;
	}
	if (pending_mcxt == NULL)
		pending_mcxt = AllocSetContextCreate(TopMemoryContext,
											 "pg_adoption pending registrations",
											 ALLOCSET_DEFAULT_SIZES);
	if (pending == NIL)
		pending_invalidations = registry_invalidations;
	old = MemoryContextSwitchTo(pending_mcxt);
	p = palloc(sizeof(PendingItem));
	p->id = pstrdup(id);
	p->name = name ? pstrdup(name) : NULL;
	p->is_feature = is_feature;
	pending = lappend(pending, p);
	n_pending++;
	MemoryContextSwitchTo(old);
}

/*
 * Registers what the batch holds (the caller is connected to SPI) and
 * empties it.
 */
void
adoption_registry_flush(RegistryBatch *b)
{
	long		n;
	long		i;
	MemoryContext old = MemoryContextSwitchTo(b->mcxt);

	if (hash_get_num_entries(b->tenants) > 0)
	{
		char	  **ids = sorted_keys(b->tenants, &n);
		Datum		args[1];

		args[0] = adoption_text_array((const char *const *) ids, n);
		run_plan(&register_tenants_plan, register_tenants_sql, 1, args, SPI_OK_INSERT);
		for (i = 0; i < n; i++)
			add_pending(ids[i], NULL, false);
	}
	if (hash_get_num_entries(b->features) > 0)
	{
		char	  **ids = sorted_keys(b->features, &n);
		char	  **names = palloc(sizeof(char *) * Max(n, 1));
		char	  **tenants = palloc(sizeof(char *) * Max(n, 1));
		Datum		args[2];

		for (i = 0; i < n; i++)
		{
			KnownFeature *f = hash_search(b->features, &ids[i], HASH_FIND, NULL);

			names[i] = f->feature_name;
			tenants[i] = f->tenant_id;
		}
		args[0] = adoption_text_array((const char *const *) ids, n);
		args[1] = adoption_text_array((const char *const *) names, n);
		/* A Citus worker cannot write the catalog: the coordinator registers them. */
		if (adoption_citus_on_shard())
			adoption_citus_defer(n, (const char *const *) tenants, (const char *const *) ids,
								 (const char *const *) names, 0);
		else
		{
			bool		named = false;

			run_plan(&register_features_plan, register_features_sql, 2, args, SPI_OK_INSERT);
			for (i = 0; i < n && !named; i++)
				named = names[i] != NULL;
			if (named)
				run_plan(&rename_features_plan, rename_features_sql, 2, args, SPI_OK_UPDATE);
		}
		for (i = 0; i < n; i++)
			add_pending(ids[i], names[i], true);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(b->mcxt);
	b->tenants = adoption_string_htab("pg_adoption new tenants",
									  sizeof(KnownTenant), 64, b->mcxt);
	b->features = adoption_string_htab("pg_adoption new features",
									   sizeof(KnownFeature), 64, b->mcxt);
}

/*
 * At the end of a transaction: on commit, what it registered becomes known
 * (unless an invalidation arrived meanwhile); either way the list empties.
 */
void
adoption_registry_xact_end(bool commit)
{
	ListCell   *lc;

	pending_overflow = false;
	if (pending == NIL)
		return;
	if (commit && known_tenants != NULL &&
		pending_invalidations == registry_invalidations)
	{
		if (hash_get_num_entries(known_tenants) +
			hash_get_num_entries(known_features) > REGISTRY_CACHE_MAX)
			reset_caches();
		else
		{
			foreach(lc, pending)
			{
				PendingItem *p = lfirst(lc);
				bool		found;

				if (p->is_feature)
				{
					KnownFeature *f = hash_search(known_features, &p->id,
												  HASH_ENTER, &found);

					if (!found)
					{
						adoption_entry_set_key(f, p->id, registry_mcxt);
						f->feature_name = NULL;
					}
					/*
					 * The upsert keeps the catalog's name when none was sent;
					 * then the name stays unknown (NULL) and the next event
					 * that names the feature checks it again.
					 */
					if (p->name != NULL)
						f->feature_name = MemoryContextStrdup(registry_mcxt, p->name);
				}
				else
				{
					KnownTenant *t = hash_search(known_tenants, &p->id,
												 HASH_ENTER, &found);

					if (!found)
						adoption_entry_set_key(t, p->id, registry_mcxt);
				}
			}
		}
	}
	pending = NIL;
	n_pending = 0;
	MemoryContextReset(pending_mcxt);
}

/* A rolled-back savepoint may have undone registrations: publish none. */
void
adoption_registry_subxact_abort(void)
{
	if (pending != NIL)
	{
		pending = NIL;
		n_pending = 0;
		MemoryContextReset(pending_mcxt);
	}
}
