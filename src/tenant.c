/*
 * tenant.c: the tenant level of the adoption engine: who of a tenant is
 * active when, adoption.tenant_state, and the tenant milestone
 * feature_adopted.
 *
 * Definitions (README, "Adoption state").  A user is active at time T if
 * they have an event of any feature in (T - active_window, T].  At T the
 * adoption rate of feature f is the share of the tenant's active users
 * whose aha_successes-th earliest successful use of f is at or before T,
 * and its success rate is successes / uses of f up to T by those active
 * users.  feature_adopted is reached at the earliest event time T of the
 * tenant at which, over the events up to T, the adoption rate is at least
 * feature_adoption_threshold and the success rate at least
 * success_outcome_rate.
 *
 * That is a function of the set of events, but not one that can be kept by
 * adding events up: a late event can make the condition hold earlier, or
 * (a new active user who has not adopted) stop it holding where it held.
 * So after a statement the tenant is evaluated again from the earliest
 * event time it added, since: the condition at times before since depends
 * only on events before since, which did not change, so a milestone reached
 * before since stays, and every other one is recomputed by a sweep over the
 * times from since on.  The sweep needs at each time
 *
 *   - who is active: each user's activity spans (tenant_user_state.activity,
 *     the union of [e, e + active_window) over the user's event times e,
 *     merged by the ingest trigger in any order), so the log is not read
 *     for it;
 *   - per candidate feature and active user, adopted or not (adopted_at of
 *     user_feature_state, exact for the whole set) and the uses and
 *     successes up to T: the state's totals less the events from since on,
 *     which the sweep reads from the log in time order (the key
 *     (tenant_id, usage_timestamp, event_id) of each partition) and adds
 *     back as it passes them.
 *
 * Most features never reach the threshold: a feature with a adopters in
 * all can have a rate above a / (fewest active users at any time from
 * since on), which the spans give without the log; a feature below the
 * threshold that way is not a candidate and its milestone (if it was at or
 * after since) is removed without reading anything more.  An in-order
 * statement of an established tenant thus reads the tenant's users and
 * feature counts and, only for the few candidate features, its own events
 * back from the log.
 *
 * The tenant's row of adoption.tenant_state is locked first and written
 * last: concurrent statements of one tenant evaluate one after the other,
 * each seeing the events the others committed (READ COMMITTED takes a new
 * snapshot per statement; under REPEATABLE READ the row lock fails with a
 * serialization error rather than evaluate an old snapshot).  The milestone
 * rows are only written under that lock, never under the locks of the user
 * or pair rows taken before it, so the locks are always taken in the same
 * order: user x feature rows, pair rows, tenant x user rows, tenant rows.
 *
 * A milestone that moves keeps its one action: the action is enqueued when
 * the milestone is first reached (its dedupe key has no time), and not
 * withdrawn if a late event removes the milestone.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/shortest_dec.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "pg_adoption.h"
#include "citus.h"
#include "actions.h"
#include "direct.h"
#include "tenant.h"
#include "velocity.h"

#define SWEEP_FETCH 10000

/* One activity span: the user is active in [start, end + window). */
typedef struct Span
{
	TimestampTz start;
	TimestampTz end;
} Span;

/* --- activity spans: bytea of int64 window, int32 n, int32 0, n spans --- */

#define ACTIVITY_HEADER 16

static void
activity_invalid(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("activity value is not valid: %s", why),
			 errdetail("adoption.tenant_user_state.activity is internal to pg_adoption and was changed by hand."),
			 errhint("Run SELECT adoption.rebuild(tenant_id) to recompute the tenant's state.")));
}

/* Returns the spans of an activity value (validated), its window and count. */
static Span *
activity_decode(bytea *b, int64 *window, int *n)
{
	const char *p = VARDATA_ANY(b);
	Size		len = VARSIZE_ANY_EXHDR(b);
	int64		w;
	int32		cnt;
	Span	   *spans;
	int			i;

	if (len < ACTIVITY_HEADER)
		activity_invalid("too short");
	memcpy(&w, p, sizeof(int64));
	memcpy(&cnt, p + 8, sizeof(int32));
	if (w <= 0)
		activity_invalid("window not positive");
	if (cnt < 0 || (Size) cnt > (MaxAllocSize - ACTIVITY_HEADER) / sizeof(Span) ||
		len != ACTIVITY_HEADER + (Size) cnt * sizeof(Span))
		activity_invalid("length does not match its span count");
	spans = palloc(sizeof(Span) * Max(cnt, 1));
	memcpy(spans, p + ACTIVITY_HEADER, sizeof(Span) * cnt);
	for (i = 0; i < cnt; i++)
	{
		if (spans[i].start > spans[i].end)
			activity_invalid("a span ends before it starts");
		if (i > 0 && spans[i].start <= spans[i - 1].end)
			activity_invalid("spans out of order");
	}
	*window = w;
	*n = cnt;
	return spans;
}

static bytea *
activity_encode(const Span *spans, int n, int64 window)
{
	Size		len = ACTIVITY_HEADER + sizeof(Span) * n;
	bytea	   *b = palloc(VARHDRSZ + len);
	int32		cnt = n;
	int32		zero = 0;

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), &window, sizeof(int64));
	memcpy(VARDATA(b) + 8, &cnt, sizeof(int32));
	memcpy(VARDATA(b) + 12, &zero, sizeof(int32));
	memcpy(VARDATA(b) + ACTIVITY_HEADER, spans, sizeof(Span) * n);
	return b;
}

static int
cmp_spans(const void *a, const void *b)
{
	const Span *x = a;
	const Span *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : (x->end > y->end ? 1 : 0);
}

/* Merges spans[0..n) (sorted by start) in place where they touch; returns the count. */
static int
spans_coalesce(Span *spans, int n, int64 window)
{
	int			out = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (out > 0 && adoption_ts_sub(spans[i].start, spans[out - 1].end) <= window)
		{
			if (spans[i].end > spans[out - 1].end)
				spans[out - 1].end = spans[i].end;
		}
		else
			spans[out++] = spans[i];
	}
	return out;
}

bytea *
adoption_activity_build(const TimestampTz *times, int n, int64 window)
{
	Span	   *spans = palloc(sizeof(Span) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
	{
		spans[i].start = times[i];
		spans[i].end = times[i];
	}
	return activity_encode(spans, spans_coalesce(spans, n, window), window);
}

PG_FUNCTION_INFO_V1(adoption_merge_activity);

/* Returns the union of two activity values, merged within the newer one's window. */
Datum
adoption_merge_activity(PG_FUNCTION_ARGS)
{
	int64		w1,
				w2;
	int			n1,
				n2;
	Span	   *s1 = activity_decode(PG_GETARG_BYTEA_PP(0), &w1, &n1);
	Span	   *s2 = activity_decode(PG_GETARG_BYTEA_PP(1), &w2, &n2);
	Span	   *all = palloc(sizeof(Span) * Max(n1 + n2, 1));

	memcpy(all, s1, sizeof(Span) * n1);
	memcpy(all + n1, s2, sizeof(Span) * n2);
	qsort(all, n1 + n2, sizeof(Span), cmp_spans);
	PG_RETURN_BYTEA_P(activity_encode(all, spans_coalesce(all, n1 + n2, w2), w2));
}

/* --- JSON of evidence --- */

char *
adoption_json_time(TimestampTz t)
{
	char		buf[MAXDATELEN + 1];

	JsonEncodeDateTime(buf, TimestampTzGetDatum(t), TIMESTAMPTZOID, NULL);
	return psprintf("\"%s\"", buf);
}

char *
adoption_json_float(double v)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(v, buf);
	return pstrdup(buf);
}

/* --- the sweep --- */

/* A user of the tenant. */
typedef struct SweepUser
{
	char	   *user_id;		/* hash key */
	int			idx;
} SweepUser;

typedef struct UserInfo
{
	bool		active;
	int			entries;		/* first of its entries, or -1 */
} UserInfo;

/* A user x candidate feature. */
typedef struct Entry
{
	int			user;
	int			cand;
	int			next;			/* next entry of the same user, or -1 */
	int64		uses;			/* up to the sweep's time */
	int64		successes;
	bool		adopted;		/* adopted_at passed */
} Entry;

typedef struct EntryKey
{
	int			user;
	int			cand;
} EntryKey;

typedef struct EntryRef
{
	EntryKey	key;
	int			entry;
} EntryRef;

/* A feature of the tenant. */
typedef struct Cand
{
	char	   *feature_id;
	int			adopted_users;
	bool		had;			/* milestone before this evaluation */
	TimestampTz had_at;
	bool		reeval;			/* not reached before since: evaluated again */
	bool		candidate;		/* could be reached from since on */
	bool		found;
	TimestampTz at;
	int64		active_users;
	int64		adopters;		/* running, over active users */
	int64		uses;
	int64		successes;
	char	   *evidence;
} Cand;

/* A change of the sweep's running counts. */
typedef enum PointKind
{
	POINT_LEAVE,
	POINT_ENTER,
	POINT_ADOPT
} PointKind;

typedef struct Point
{
	TimestampTz at;
	PointKind	kind;
	int			who;			/* user, or entry for POINT_ADOPT */
} Point;

typedef struct Sweep
{
	const AdoptionSettings *s;
	HTAB	   *users;			/* user_id -> SweepUser */
	UserInfo   *info;
	int			n_users;
	Cand	   *cands;
	int			n_cands;
	HTAB	   *features;		/* feature_id -> index in cands */
	Entry	   *entries;
	int			n_entries;
	HTAB	   *entry_index;	/* (user, cand) -> entry */
	Point	   *points;
	int			n_points;
	int			next_point;
	int64		active;			/* active users now */
	int			unresolved;		/* candidates not found yet */
	SPITupleTable *tab;			/* the users and the features, from load_users */
	uint64		tab_rows;
	uint64		first_feature_row;
	TimestampTz stop;			/* no candidate's rate reaches the threshold from here */
	bool		stop_unbounded; /* ... or one does until the end */
} Sweep;

/* What load_users learns of the tenant as a whole. */
typedef struct TenantTotals
{
	TimestampTz latest;			/* latest event time */
	int			active;			/* active users then */
} TenantTotals;

typedef struct FeatureRef
{
	char	   *feature_id;		/* hash key */
	int			cand;
} FeatureRef;

static int
cmp_points(const void *a, const void *b)
{
	const Point *x = a;
	const Point *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return (int) x->kind - (int) y->kind;
}

static void
add_point(Sweep *w, int *cap, TimestampTz at, PointKind kind, int who)
{
	if (w->n_points == *cap)
	{
		*cap *= 2;
		w->points = repalloc_huge(w->points, sizeof(Point) * *cap);
	}
	w->points[w->n_points].at = at;
	w->points[w->n_points].kind = kind;
	w->points[w->n_points].who = who;
	w->n_points++;
}

/* Adds (sign 1) or takes away (-1) an active user's entries from the features' sums. */
static void
count_user(Sweep *w, int user, int sign)
{
	int			e;

	for (e = w->info[user].entries; e >= 0; e = w->entries[e].next)
	{
		Entry	   *en = &w->entries[e];
		Cand	   *c = &w->cands[en->cand];

		c->uses += sign * en->uses;
		c->successes += sign * en->successes;
		if (en->adopted)
			c->adopters += sign;
	}
}

static void
apply_point(Sweep *w, const Point *p)
{
	switch (p->kind)
	{
		case POINT_ENTER:
			Assert(!w->info[p->who].active);
			w->info[p->who].active = true;
			w->active++;
			count_user(w, p->who, 1);
			break;
		case POINT_LEAVE:
			Assert(w->info[p->who].active);
			count_user(w, p->who, -1);
			w->info[p->who].active = false;
			w->active--;
			break;
		case POINT_ADOPT:
			{
				Entry	   *en = &w->entries[p->who];

				en->adopted = true;
				if (w->info[en->user].active)
					w->cands[en->cand].adopters++;
				break;
			}
	}
}

/* Applies the points at or before t. */
static void
advance(Sweep *w, TimestampTz t)
{
	while (w->next_point < w->n_points && w->points[w->next_point].at <= t)
		apply_point(w, &w->points[w->next_point++]);
}

#ifdef USE_ASSERT_CHECKING
/* Recounts the running sums from the users and entries. */
static void
check_sweep(Sweep *w)
{
	int64		active = 0;
	int64	   *adopters = palloc0(sizeof(int64) * Max(w->n_cands, 1));
	int64	   *uses = palloc0(sizeof(int64) * Max(w->n_cands, 1));
	int64	   *successes = palloc0(sizeof(int64) * Max(w->n_cands, 1));
	int			i;

	for (i = 0; i < w->n_users; i++)
	{
		int			e;

		if (!w->info[i].active)
			continue;
		active++;
		for (e = w->info[i].entries; e >= 0; e = w->entries[e].next)
		{
			adopters[w->entries[e].cand] += w->entries[e].adopted ? 1 : 0;
			uses[w->entries[e].cand] += w->entries[e].uses;
			successes[w->entries[e].cand] += w->entries[e].successes;
		}
	}
	Assert(active == w->active);
	for (i = 0; i < w->n_cands; i++)
		Assert(adopters[i] == w->cands[i].adopters && uses[i] == w->cands[i].uses &&
			   successes[i] == w->cands[i].successes);
	pfree(adopters);
	pfree(uses);
	pfree(successes);
}
#endif

/* Checks the candidates not found yet at event time t. */
static void
evaluate_at(Sweep *w, TimestampTz t)
{
	int			i;

	Assert(w->active > 0);
#ifdef USE_ASSERT_CHECKING
	check_sweep(w);
#endif
	for (i = 0; i < w->n_cands; i++)
	{
		Cand	   *c = &w->cands[i];
		double		rate;
		double		srate;

		if (!c->candidate || c->found || c->uses <= 0 || w->active <= 0)
			continue;
		rate = (double) c->adopters / (double) w->active;
		srate = (double) c->successes / (double) c->uses;
		if (rate >= w->s->feature_adoption_threshold && srate >= w->s->success_outcome_rate)
		{
			c->found = true;
			c->at = t;
			c->evidence = psprintf("{\"active_users\": " INT64_FORMAT ", \"active_adopters\": " INT64_FORMAT
								   ", \"adoption_rate\": %s, \"active_uses\": " INT64_FORMAT
								   ", \"active_successes\": " INT64_FORMAT ", \"success_rate\": %s}",
								   w->active, c->adopters, adoption_json_float(rate),
								   c->uses, c->successes, adoption_json_float(srate));
			w->unresolved--;
		}
	}
}

/* --- statements --- */

static SPIPlanPtr lock_plan;
static SPIPlanPtr users_plan;
static SPIPlanPtr since_counts_plan;
static SPIPlanPtr entries_plan;
static SPIPlanPtr slice_plan;
static bool slice_planned;
static SPIPlanPtr write_tenant_plan;
static SPIPlanPtr count_active_plan;
static SPIPlanPtr open_adopted_plan;
static SPIPlanPtr upsert_milestones_plan;
static SPIPlanPtr delete_milestones_plan;

/*
 * Runs a kept plan; its first run (when it is planned) has sequential
 * scans and hash and merge joins off, so that the generic plan probes the
 * indexes whatever the tables held then (see run_stmt in state.c).
 */
static int
run_plan(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types, Datum *args,
		 const char *nulls)
{
	int			nestlevel = -1;
	int			rc;

	if (*plan == NULL || !SPI_plan_is_valid(*plan))
		nestlevel = adoption_index_plans_begin();
	rc = adoption_run_kept_plan(plan, sql, nargs, types, args, nulls);
	if (nestlevel >= 0)
		AtEOXact_GUC(true, nestlevel);
	return rc;
}

/* Reads the ADOPTION_TENANT_ROW_COLUMNS of a RETURNING list, from column first on. */
void
adoption_tenant_row(HeapTuple tup, TupleDesc desc, int first, TenantRow *row)
{
	bool		isnull;

	row->last_event_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, first, &isnull));
	row->active_users = DatumGetInt32(SPI_getbinval(tup, desc, first + 1, &isnull));
	row->open_adopters = DatumGetInt32(SPI_getbinval(tup, desc, first + 2, &isnull));
	row->last_feature_adopted_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, first + 3, &isnull));
	row->has_milestone = !isnull;
}

/*
 * Merges the statement's delta into the tenant's row of adoption.tenant_state,
 * creating it: INSERT ... ON CONFLICT DO UPDATE locks the row (waiting for a
 * session that holds it) and, under REPEATABLE READ, fails with a
 * serialization error if a concurrent transaction changed it.  Returns the
 * row as merged.
 */
static TenantRow
merge_tenant(const char *tenant_id, const TenantDelta *d)
{
	Oid			types[6] = {TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID, INT8OID, INT8OID};
	Datum		args[6];
	TenantRow	row;

	args[0] = CStringGetTextDatum(tenant_id);
	args[1] = TimestampTzGetDatum(d->since);
	args[2] = TimestampTzGetDatum(d->latest);
	args[3] = Int32GetDatum(d->new_users);
	args[4] = Int64GetDatum(d->uses);
	args[5] = Int64GetDatum(d->successes);
	run_plan(&lock_plan,
			 "INSERT INTO adoption.tenant_state AS s (tenant_id, first_event_at, last_event_at, users,"
			 " active_users, uses, successes, updated_at)"
			 " VALUES ($1, $2, $3, $4, 0, $5, $6, pg_catalog.now())"
			 ADOPTION_TENANT_STATE_MERGE
			 " RETURNING " ADOPTION_TENANT_ROW_COLUMNS,
			 6, types, args, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "pg_adoption: could not merge the tenant_state row of \"%s\"", tenant_id);
	adoption_tenant_row(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &row);
	SPI_freetuptable(SPI_tuptable);
	return row;
}

/* The TenantRow of a row of tenant_state locked by adoption_row_lock. */
static void
tenant_row_direct(DirectRow *r, TenantRow *row)
{
	bool		isnull;

	row->last_event_at = DatumGetTimestampTz(adoption_row_get(r, "last_event_at", &isnull));
	row->active_users = DatumGetInt32(adoption_row_get(r, "active_users", &isnull));
	row->open_adopters = DatumGetInt32(adoption_row_get(r, "open_adopters", &isnull));
	row->last_feature_adopted_at =
		DatumGetTimestampTz(adoption_row_get(r, "last_feature_adopted_at", &isnull));
	row->has_milestone = !isnull;
}

/*
 * merge_tenant without SQL (direct.c) when the tenant's row exists: locks
 * it, adds the delta as ADOPTION_TENANT_STATE_MERGE does and notes the row
 * in d.  Returns false, having changed nothing, when the row is missing or
 * the direct path does not apply (merge_tenant's INSERT then creates it).
 */
bool
adoption_tenant_merge_direct(const char *tenant_id, TenantDelta *d)
{
	Oid			relid = adoption_resolve_relid("tenant_state");
	DirectRow  *r;

	if (!adoption_direct_usable(relid))
		return false;
	r = adoption_row_lock(relid, 1, &tenant_id, false);
	if (r == NULL)
		return false;
	if (!d->merged)
	{
		bool		isnull;

		d->prior_event_at = DatumGetTimestampTz(adoption_row_get(r, "last_event_at", &isnull));
		if (isnull)
			elog(ERROR, "pg_adoption: the last_event_at of tenant \"%s\" is NULL", tenant_id);
	}
	adoption_row_bound(r, "first_event_at", d->since, false);
	adoption_row_bound(r, "last_event_at", d->latest, true);
	adoption_row_add(r, "users", d->new_users);
	adoption_row_add(r, "uses", d->uses);
	adoption_row_add(r, "successes", d->successes);
	adoption_row_set(r, "updated_at", TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
					 false);
	adoption_row_update(r);
	tenant_row_direct(r, &d->stored);
	adoption_row_release(r);
	d->merged = true;
	return true;
}

/*
 * Writes what the evaluation learned into the tenant's row, if it differs
 * from what the row holds.
 */
static void
write_tenant(const char *tenant_id, const TenantRow *stored, const TenantRow *now)
{
	Oid			relid = adoption_resolve_relid("tenant_state");
	Oid			types[4] = {TEXTOID, INT4OID, INT4OID, TIMESTAMPTZOID};
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};

	if (now->active_users == stored->active_users && now->open_adopters == stored->open_adopters &&
		now->has_milestone == stored->has_milestone &&
		(!now->has_milestone || now->last_feature_adopted_at == stored->last_feature_adopted_at))
		return;
	if (adoption_direct_usable(relid))
	{
		/* the row is this transaction's: merge_tenant locked it */
		DirectRow  *r = adoption_row_lock(relid, 1, &tenant_id, false);

		if (r == NULL)
			elog(ERROR, "pg_adoption: the tenant_state row of \"%s\" is gone", tenant_id);
		adoption_row_set(r, "active_users", Int32GetDatum(now->active_users), false);
		adoption_row_set(r, "open_adopters", Int32GetDatum(now->open_adopters), false);
		adoption_row_set(r, "last_feature_adopted_at",
						 TimestampTzGetDatum(now->last_feature_adopted_at), !now->has_milestone);
		adoption_row_update(r);
		adoption_row_release(r);
		return;
	}
	args[0] = CStringGetTextDatum(tenant_id);
	args[1] = Int32GetDatum(now->active_users);
	args[2] = Int32GetDatum(now->open_adopters);
	args[3] = TimestampTzGetDatum(now->last_feature_adopted_at);
	if (!now->has_milestone)
		nulls[3] = 'n';
	run_plan(&write_tenant_plan,
			 "UPDATE adoption.tenant_state SET active_users = $2, open_adopters = $3,"
			 " last_feature_adopted_at = $4 WHERE tenant_id OPERATOR(pg_catalog.=) $1",
			 4, types, args, nulls);
}

/* The start of the active window that ends at t (t itself where it would underflow). */
static TimestampTz
window_start(TimestampTz t, int64 window)
{
	return t > PG_INT64_MIN + window ? t - window : t;
}

/* The tenant's users active at t, its latest event time (no event after t). */
static int
count_active(const char *tenant_id, TimestampTz t, int64 window)
{
	Oid			relid = adoption_resolve_relid("tenant_user_state");
	Oid			types[2] = {TEXTOID, TIMESTAMPTZOID};
	Datum		args[2];
	bool		isnull;
	int64		n;
	TimestampTz after = window_start(t, window);

	if (adoption_direct_usable(relid))
		return (int) adoption_count_range(relid, tenant_id, "last_seen_at", "last_seen_day",
										  after, NULL);
	args[0] = CStringGetTextDatum(tenant_id);
	args[1] = TimestampTzGetDatum(after);
	run_plan(&count_active_plan,
			 "SELECT pg_catalog.count(*) FROM adoption.tenant_user_state"
			 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND last_seen_at OPERATOR(pg_catalog.>) $2",
			 2, types, args, NULL);
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return (int) n;
}

/*
 * The tenant's users active at t = d->since, its latest event time, when
 * the statement merged one existing user row by row (d->one_user): the
 * stored count is of the users active at the tenant's previous latest
 * event time t0 <= t (row->active_users, not yet rewritten).  Of those, the
 * ones whose last event fell out of the window between t0 and t (last
 * event in (t0 - W, t - W]) are no longer active; the statement's user,
 * whose last event is now t, is, whether or not it was counted at t0.  The
 * users leaving are read through the index on (tenant_id, last_seen_day):
 * in order, the users last seen on a day or two, not the tenant's every
 * user.  The count is exact when the stored one is, which holds as long as
 * active_window is the one it was counted with (after a change, rebuild():
 * see docs).
 */
static int
active_from_stored(const char *tenant_id, const TenantDelta *d, const TenantRow *row,
				   int64 window)
{
	TimestampTz t = d->since;
	TimestampTz t0 = d->prior_event_at;
	int64		n = row->active_users;

	if (t0 > t)
		elog(ERROR, "pg_adoption: tenant \"%s\" counted at a later time than its latest event",
			 tenant_id);
	if (d->prior_seen_at > window_start(t0, window))
		n--;					/* counted at t0 */
	if (t > t0)
	{
		TimestampTz upto = window_start(t, window);

		n -= adoption_count_range(adoption_resolve_relid("tenant_user_state"), tenant_id,
								  "last_seen_at", "last_seen_day", window_start(t0, window),
								  &upto);
	}
	n++;
	if (n < 1)
		elog(ERROR, "pg_adoption: tenant \"%s\" would have " INT64_FORMAT " active users",
			 tenant_id, n);
	return (int) n;
}

/*
 * Notes that users of the statement adopted feature_id, which now has
 * adopted_users adopters (its pair row is locked until the transaction
 * ends, so the count stays exact).  A feature noted twice (two chunks)
 * keeps the later, larger count.
 */
void
adoption_tenant_note_adopted(TenantDelta *d, const char *feature_id, int adopted_users,
							 MemoryContext mcxt)
{
	int			i;

	for (i = 0; i < d->n_adopted; i++)
	{
		if (strcmp(d->adopted_features[i], feature_id) == 0)
		{
			d->adopted_counts[i] = Max(d->adopted_counts[i], adopted_users);
			return;
		}
	}
	if (d->n_adopted == d->cap_adopted)
	{
		d->cap_adopted = Max(8, d->cap_adopted * 2);
		if (d->adopted_features == NULL)
		{
			d->adopted_features = MemoryContextAlloc(mcxt, sizeof(char *) * d->cap_adopted);
			d->adopted_counts = MemoryContextAlloc(mcxt, sizeof(int) * d->cap_adopted);
		}
		else
		{
			d->adopted_features = repalloc(d->adopted_features, sizeof(char *) * d->cap_adopted);
			d->adopted_counts = repalloc(d->adopted_counts, sizeof(int) * d->cap_adopted);
		}
	}
	d->adopted_features[d->n_adopted] = MemoryContextStrdup(mcxt, feature_id);
	d->adopted_counts[d->n_adopted] = adopted_users;
	d->n_adopted++;
}

/*
 * The most adopters of a feature the statement adopted that has not
 * reached feature_adopted (0 if none).  Read under the tenant's row lock:
 * milestones are only written under it, so what it reads is current.
 */
static int
open_adopted(const char *tenant_id, const TenantDelta *d)
{
	Oid			types[3] = {TEXTOID, TEXTARRAYOID, INT4ARRAYOID};
	Datum		args[3];
	Datum	   *counts = palloc(sizeof(Datum) * Max(d->n_adopted, 1));
	bool		isnull;
	int			n;
	int			i;

	for (i = 0; i < d->n_adopted; i++)
		counts[i] = Int32GetDatum(d->adopted_counts[i]);
	args[0] = CStringGetTextDatum(tenant_id);
	args[1] = adoption_text_array(d->adopted_features, d->n_adopted);
	args[2] = PointerGetDatum(construct_array(counts, d->n_adopted, INT4OID, sizeof(int32), true,
											  TYPALIGN_INT));
	run_plan(&open_adopted_plan,
			 "SELECT COALESCE(pg_catalog.max(a.c), 0)"
			 " FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.text[]), pg_catalog.unnest($3::pg_catalog.int4[])) AS a(f, c)"
			 " WHERE NOT EXISTS (SELECT 1 FROM adoption.tenant_feature_milestones AS m"
			 "  WHERE m.tenant_id OPERATOR(pg_catalog.=) $1 AND m.feature_id OPERATOR(pg_catalog.=) a.f)",
			 3, types, args, NULL);
	n = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return n;
}

/*
 * The common case of an event arriving in time order, settled without the
 * sweep: when all the statement's events of the tenant share one time t,
 * which is now the tenant's latest (so no stored event is later), the only
 * event time whose counts changed is t.  Milestones reached before t stay
 * (the counts before t did not change).  A feature without the milestone
 * has at most open_adopters adopters, or, if the statement adopted it, the
 * adopters its pair row now counts (an adopter count only grows, and every
 * adoption of the statement is at t): so if the most of those over the
 * users active at t is below feature_adoption_threshold, no feature
 * reaches the milestone at t, and the only changes are the tenant's active
 * users and open_adopters.  Returns false, having changed nothing, when
 * the evaluation must run.
 */
static bool
settled_in_order(const char *tenant_id, const TenantDelta *d, const TenantRow *row,
				 const AdoptionSettings *s)
{
	TenantRow	now;

	if (d->since != d->latest || row->last_event_at != d->since)
		return false;
	if (row->has_milestone && row->last_feature_adopted_at >= d->since)
		return false;
	if (d->adoptions > 0 && d->n_adopted == 0)
		elog(ERROR, "pg_adoption: tenant \"%s\" has adoptions but no adopted feature", tenant_id);
	now = *row;
	if (d->n_adopted > 0)
		now.open_adopters = Max(now.open_adopters, open_adopted(tenant_id, d));
	now.active_users = d->one_user ? active_from_stored(tenant_id, d, row, s->active_window)
		: count_active(tenant_id, d->since, s->active_window);
	if (now.open_adopters > 0 &&
		!(now.active_users > 0 &&
		  (double) now.open_adopters / (double) now.active_users < s->feature_adoption_threshold))
		return false;
	write_tenant(tenant_id, row, &now);
	return true;
}

static bool
get_bool(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return !isnull && DatumGetBool(d);
}

static int64
get_int64(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

static TimestampTz
get_time(HeapTuple tup, TupleDesc desc, int col, bool *isnull)
{
	return DatumGetTimestampTz(SPI_getbinval(tup, desc, col, isnull));
}

/*
 * Loads the tenant's users with their spans; fills the tenant totals and the
 * enter and leave points; returns the fewest active users at any time in
 * [since, latest] at which some user is active.
 */
static int64
load_users(Sweep *w, const char *tenant_id, TimestampTz since, int *cap_points,
		   TenantTotals *tot)
{
	Oid			types[2] = {TEXTOID, TIMESTAMPTZOID};
	Datum		args[2];
	uint64		i;
	uint64		n;
	SPITupleTable *tab;
	TimestampTz *last_seen;
	int64		window = w->s->active_window;
	int64		count;
	int64		fewest;
	int			p;
	bool		isnull;

	/*
	 * The users (kind 0) who can be active at since or later (an event after
	 * since - active_window; no other user matters from since on), then the
	 * features with an adopter (kind 1, for load_features; a feature without
	 * one neither has nor reaches the milestone).
	 */
	args[0] = CStringGetTextDatum(tenant_id);
	args[1] = TimestampTzGetDatum(window_start(since, window));
	run_plan(&users_plan,
			 "SELECT 0, user_id, last_seen_at, activity, NULL::pg_catalog.int4, NULL::pg_catalog.timestamptz"
			 " FROM adoption.tenant_user_state"
			 " WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND last_seen_at OPERATOR(pg_catalog.>) $2"
			 " UNION ALL"
			 " SELECT 1, c.feature_id, NULL, NULL, c.adopted_users, m.feature_adopted_at"
			 " FROM adoption.tenant_feature_counts AS c"
			 " LEFT JOIN adoption.tenant_feature_milestones AS m"
			 "  ON m.tenant_id OPERATOR(pg_catalog.=) c.tenant_id AND m.feature_id OPERATOR(pg_catalog.=) c.feature_id"
			 " WHERE c.tenant_id OPERATOR(pg_catalog.=) $1 AND c.adopted_users OPERATOR(pg_catalog.>) 0",
			 2, types, args, NULL);
	tab = SPI_tuptable;
	w->tab = tab;
	w->tab_rows = SPI_processed;
	for (n = 0; n < w->tab_rows && DatumGetInt32(SPI_getbinval(tab->vals[n], tab->tupdesc, 1, &isnull)) == 0; n++)
		;
	w->first_feature_row = n;
	if (n == 0)
		elog(ERROR, "pg_adoption: tenant \"%s\" has no users", tenant_id);
	if (n > (uint64) (MaxAllocSize / sizeof(UserInfo)))
		elog(ERROR, "pg_adoption: tenant \"%s\" has too many users", tenant_id);
	w->n_users = (int) n;
	w->info = palloc(sizeof(UserInfo) * n);
	last_seen = palloc(sizeof(TimestampTz) * n);
	memset(tot, 0, sizeof(TenantTotals));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = tab->vals[i];
		TupleDesc	desc = tab->tupdesc;
		char	   *user_id = SPI_getvalue(tup, desc, 2);
		SweepUser  *u;
		bool		found;
		bool		isnull;
		Span	   *spans;
		int64		span_window;
		int			n_spans;
		int			k;

		u = hash_search(w->users, &user_id, HASH_ENTER, &found);
		u->user_id = user_id;
		u->idx = (int) i;
		w->info[i].active = false;
		w->info[i].entries = -1;
		last_seen[i] = get_time(tup, desc, 3, &isnull);
		if (i == 0 || last_seen[i] > tot->latest)
			tot->latest = last_seen[i];
		spans = activity_decode(DatumGetByteaPP(SPI_getbinval(tup, desc, 4, &isnull)),
								&span_window, &n_spans);

		/*
		 * Spans kept with another active_window (the setting changed) are
		 * merged with this one: exact when it grew; adoption.rebuild()
		 * recomputes them when it shrank.
		 */
		n_spans = spans_coalesce(spans, n_spans, window);
		for (k = 0; k < n_spans; k++)
		{
			add_point(w, cap_points, spans[k].start, POINT_ENTER, (int) i);
			if (spans[k].end <= PG_INT64_MAX - window)
				add_point(w, cap_points, spans[k].end + window, POINT_LEAVE, (int) i);
		}
	}

	/* Active at the latest event time: an event in (latest - window, latest]. */
	for (i = 0; i < n; i++)
		if (adoption_ts_sub(tot->latest, last_seen[i]) < window)
			tot->active++;

	/* The fewest active users over [since, latest], where not 0. */
	qsort(w->points, w->n_points, sizeof(Point), cmp_points);
	count = 0;
	fewest = 0;
	for (p = 0; p < w->n_points; p++)
	{
		const Point *pt = &w->points[p];

		count += pt->kind == POINT_ENTER ? 1 : -1;
		if (pt->at > tot->latest)
			break;
		/* the count holds from pt->at to the next point */
		if ((p + 1 < w->n_points && w->points[p + 1].at == pt->at))
			continue;
		if (count > 0 && (p + 1 >= w->n_points || w->points[p + 1].at > since) &&
			(fewest == 0 || count < fewest))
			fewest = count;
	}
	w->active = 0;
	return fewest;
}

/* Reads the tenant's features and milestones load_users fetched; marks the candidates. */
static void
load_features(Sweep *w, TimestampTz since, int64 fewest)
{
	uint64		i;
	uint64		n;
	SPITupleTable *tab;

	tab = w->tab;
	n = w->tab_rows - w->first_feature_row;
	w->cands = palloc0(sizeof(Cand) * Max(n, 1));
	w->n_cands = (int) n;
	w->unresolved = 0;
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = tab->vals[w->first_feature_row + i];
		TupleDesc	desc = tab->tupdesc;
		Cand	   *c = &w->cands[i];
		bool		isnull;
		FeatureRef *ref;
		bool		found;

		c->feature_id = SPI_getvalue(tup, desc, 2);
		c->adopted_users = DatumGetInt32(SPI_getbinval(tup, desc, 5, &isnull));
		c->had_at = get_time(tup, desc, 6, &isnull);
		c->had = !isnull;

		/*
		 * A milestone reached before since stays.  Otherwise the feature is
		 * a candidate unless its rate cannot reach the threshold even with
		 * every adopter active at the time with the fewest active users.
		 */
		c->reeval = !(c->had && c->had_at < since);
		c->candidate = c->reeval && fewest > 0 &&
			(double) c->adopted_users / (double) fewest >= w->s->feature_adoption_threshold;
		if (c->candidate)
			w->unresolved++;
		ref = hash_search(w->features, &c->feature_id, HASH_ENTER, &found);
		ref->feature_id = c->feature_id;
		ref->cand = (int) i;
	}
	/* done with the rows load_users fetched (the strings were copied) */
	SPI_freetuptable(w->tab);
	w->tab = NULL;
}

/* Returns the index of a loaded user, or -1. */
static int
lookup_user(Sweep *w, char *user_id)
{
	SweepUser  *u = hash_search(w->users, &user_id, HASH_FIND, NULL);

	return u == NULL ? -1 : u->idx;
}

static int
find_user(Sweep *w, char *user_id)
{
	int			idx = lookup_user(w, user_id);

	if (idx < 0)
		elog(ERROR, "pg_adoption: user \"%s\" has events from the evaluation's start but was not loaded",
			 user_id);
	return idx;
}

static int
find_cand(Sweep *w, char *feature_id)
{
	FeatureRef *f = hash_search(w->features, &feature_id, HASH_FIND, NULL);

	return f == NULL ? -1 : f->cand;
}

static int
find_entry(Sweep *w, int user, int cand)
{
	EntryKey	key;
	EntryRef   *r;

	key.user = user;
	key.cand = cand;
	r = hash_search(w->entry_index, &key, HASH_FIND, NULL);
	return r == NULL ? -1 : r->entry;
}

/* Fills args[0..3): the tenant, the candidate features, a time. */
static void
candidate_args(Sweep *w, const char *tenant_id, TimestampTz t, Datum *args)
{
	const char **ids = palloc(sizeof(char *) * Max(w->n_cands, 1));
	int			n_ids = 0;
	int			i;

	for (i = 0; i < w->n_cands; i++)
		if (w->cands[i].candidate)
			ids[n_ids++] = w->cands[i].feature_id;
	args[0] = CStringGetTextDatum(tenant_id);
	args[1] = adoption_text_array(ids, n_ids);
	args[2] = TimestampTzGetDatum(t);
}

/*
 * Loads the candidates' user x feature states, less the events from since
 * on (the sweep adds them back), and the points where users adopted.
 */
static void
load_entries(Sweep *w, const char *tenant_id, TimestampTz since, int *cap_points)
{
	Oid			types[3] = {TEXTOID, TEXTARRAYOID, TIMESTAMPTZOID};
	Datum		args[3];
	uint64		i;
	uint64		n;
	SPITupleTable *tab;
	HASHCTL		ctl;
	int			cap;

	candidate_args(w, tenant_id, since, args);

	run_plan(&entries_plan,
			 "SELECT s.user_id, s.feature_id, s.uses, s.successes, s.adopted_at"
			 " FROM adoption.user_feature_state AS s"
			 " WHERE s.tenant_id OPERATOR(pg_catalog.=) $1"
			 " AND s.feature_id OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[])",
			 2, types, args, NULL);
	n = SPI_processed;
	tab = SPI_tuptable;
	cap = (int) Max(n, 1);
	w->entries = palloc(sizeof(Entry) * cap);
	w->n_entries = 0;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(EntryKey);
	ctl.entrysize = sizeof(EntryRef);
	ctl.hcxt = CurrentMemoryContext;
	w->entry_index = hash_create("pg_adoption sweep entries", Max(n, 16), &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = tab->vals[i];
		TupleDesc	desc = tab->tupdesc;
		Entry	   *en = &w->entries[w->n_entries];
		EntryKey	key;
		EntryRef   *r;
		bool		found;
		bool		isnull;
		TimestampTz adopted_at;

		/* a user not loaded is never active from since on */
		en->user = lookup_user(w, SPI_getvalue(tup, desc, 1));
		en->cand = find_cand(w, SPI_getvalue(tup, desc, 2));
		if (en->user < 0 || en->cand < 0)
			continue;
		en->uses = get_int64(tup, desc, 3);
		en->successes = get_int64(tup, desc, 4);
		en->adopted = false;
		adopted_at = get_time(tup, desc, 5, &isnull);
		if (!isnull)
			add_point(w, cap_points, adopted_at, POINT_ADOPT, w->n_entries);
		en->next = w->info[en->user].entries;
		w->info[en->user].entries = w->n_entries;
		key.user = en->user;
		key.cand = en->cand;
		r = hash_search(w->entry_index, &key, HASH_ENTER, &found);
		r->entry = w->n_entries;
		w->n_entries++;
	}

	SPI_freetuptable(tab);
	qsort(w->points, w->n_points, sizeof(Point), cmp_points);
}

/* Takes the uses of the candidates from start on away from their entries. */
static void
subtract_from(Sweep *w, const char *tenant_id, TimestampTz start)
{
	Oid			types[3] = {TEXTOID, TEXTARRAYOID, TIMESTAMPTZOID};
	Datum		args[3];
	uint64		i;
	uint64		n;
	SPITupleTable *tab;

	candidate_args(w, tenant_id, start, args);
	run_plan(&since_counts_plan,
			 "SELECT x.user_id, x.feature_id, pg_catalog.count(*),"
			 " pg_catalog.count(*) FILTER (WHERE x.success_outcome)"
			 " FROM adoption.feature_usage_events AS x"
			 " WHERE x.tenant_id OPERATOR(pg_catalog.=) $1"
			 " AND x.feature_id OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[])"
			 " AND x.usage_timestamp OPERATOR(pg_catalog.>=) $3"
			 " GROUP BY x.user_id, x.feature_id",
			 3, types, args, NULL);
	n = SPI_processed;
	tab = SPI_tuptable;
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = tab->vals[i];
		TupleDesc	desc = tab->tupdesc;
		int			user = find_user(w, SPI_getvalue(tup, desc, 1));
		int			cand = find_cand(w, SPI_getvalue(tup, desc, 2));
		int			e = cand < 0 ? -1 : find_entry(w, user, cand);

		if (e < 0)
			elog(ERROR, "pg_adoption: events without a user x feature state in tenant \"%s\"",
				 tenant_id);
		w->entries[e].uses -= get_int64(tup, desc, 3);
		w->entries[e].successes -= get_int64(tup, desc, 4);
		if (w->entries[e].uses < 0 || w->entries[e].successes < 0)
			elog(ERROR, "pg_adoption: user x feature state of tenant \"%s\" counts fewer events than the log",
				 tenant_id);
	}
	SPI_freetuptable(tab);
}

/* Puts the sweep back before its first point. */
static void
reset_sweep(Sweep *w)
{
	int			i;

	w->next_point = 0;
	w->active = 0;
	for (i = 0; i < w->n_users; i++)
		w->info[i].active = false;
	for (i = 0; i < w->n_entries; i++)
		w->entries[i].adopted = false;
	for (i = 0; i < w->n_cands; i++)
	{
		w->cands[i].adopters = 0;
		w->cands[i].uses = 0;
		w->cands[i].successes = 0;
	}
}

/*
 * The adoption rate of a feature at any time is known exactly from the
 * activity spans and adoption times alone: this pass over them keeps as
 * candidates only the features whose rate reaches the threshold at some
 * time from since on, and returns the earliest such time (the sweep reads
 * the log from there); *any is false if there is none.
 */
static TimestampTz
narrow_candidates(Sweep *w, TimestampTz since, bool *any)
{
	bool	   *reaches = palloc0(sizeof(bool) * Max(w->n_cands, 1));
	TimestampTz start = 0;
	int			p = 0;
	int			i;

	*any = false;
	w->stop = 0;
	w->stop_unbounded = false;
	reset_sweep(w);
	while (p < w->n_points)
	{
		TimestampTz t = w->points[p].at;
		TimestampTz from;

		while (p < w->n_points && w->points[p].at == t)
			apply_point(w, &w->points[p++]);
		/* the counts hold on [t, next point): does that reach since? */
		if (p < w->n_points && w->points[p].at <= since)
			continue;
		if (w->active <= 0)
			continue;
		from = Max(t, since);
		for (i = 0; i < w->n_cands; i++)
		{
			Cand	   *c = &w->cands[i];

			if (!c->candidate)
				continue;
			if ((double) c->adopters / (double) w->active >= w->s->feature_adoption_threshold)
			{
				if (!reaches[i] && (!*any || from < start))
					start = from;
				reaches[i] = true;
				*any = true;
				/* no event at or after the next point can satisfy it here */
				if (p >= w->n_points)
					w->stop_unbounded = true;
				else if (w->points[p].at > w->stop)
					w->stop = w->points[p].at;
			}
		}
	}
	w->unresolved = 0;
	for (i = 0; i < w->n_cands; i++)
	{
		w->cands[i].candidate = w->cands[i].candidate && reaches[i];
		if (w->cands[i].candidate)
			w->unresolved++;
	}
	reset_sweep(w);
	return start;
}

/* Sweeps the tenant's events from since on in time order. */
static void
sweep(Sweep *w, const char *tenant_id, TimestampTz since)
{
	Oid			types[2] = {TEXTOID, TIMESTAMPTZOID};
	Datum		args[2];
	Portal		portal;
	bool		have_t = false;
	TimestampTz t = 0;
	MemoryContext batch_mcxt = AllocSetContextCreate(CurrentMemoryContext,
													 "pg_adoption sweep batch",
													 ALLOCSET_DEFAULT_SIZES);
	const char *sql =
		"SELECT x.usage_timestamp, x.user_id, x.feature_id, x.success_outcome"
		" FROM adoption.feature_usage_events AS x"
		" WHERE x.tenant_id OPERATOR(pg_catalog.=) $1 AND x.usage_timestamp OPERATOR(pg_catalog.>=) $2"
		" ORDER BY x.usage_timestamp";
	int			nestlevel = -1;
	SPIPlanPtr *plan;

	args[0] = CStringGetTextDatum(tenant_id);
	args[1] = TimestampTzGetDatum(since);
	/* Citus: the plan of this shard, reading this shard (citus.c). */
	plan = adoption_plan_slot(&slice_plan);
	if (*plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare_cursor(adoption_resolve_sql(sql), 2, types,
										   CURSOR_OPT_GENERIC_PLAN);

		if (p == NULL)
			elog(ERROR, "pg_adoption: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		*plan = p;
	}
	if (!SPI_plan_is_valid(*plan) || !slice_planned || plan != &slice_plan)
		nestlevel = adoption_index_plans_begin();
	slice_planned = true;
	portal = SPI_cursor_open(NULL, *plan, args, NULL, false);
	if (nestlevel >= 0)
		AtEOXact_GUC(true, nestlevel);

	while (w->unresolved > 0)
	{
		uint64		i;
		uint64		n;
		SPITupleTable *tab;

		SPI_cursor_fetch(portal, true, SWEEP_FETCH);
		n = SPI_processed;
		tab = SPI_tuptable;
		if (n == 0)
			break;
		for (i = 0; i < n && w->unresolved > 0; i++)
		{
			HeapTuple	tup = tab->vals[i];
			TupleDesc	desc = tab->tupdesc;
			bool		isnull;
			TimestampTz at = get_time(tup, desc, 1, &isnull);
			MemoryContext old;
			int			user;
			int			cand;

			if (have_t && at != t)
				evaluate_at(w, t);
			if (w->unresolved == 0)
				break;
			/* past the last time a candidate's rate reached the threshold */
			if (!w->stop_unbounded && at >= w->stop)
			{
				have_t = false;
				w->unresolved = 0;
				break;
			}
			t = at;
			have_t = true;
			advance(w, t);

			old = MemoryContextSwitchTo(batch_mcxt);
			user = find_user(w, SPI_getvalue(tup, desc, 2));
			cand = find_cand(w, SPI_getvalue(tup, desc, 3));
			MemoryContextSwitchTo(old);
			if (cand >= 0 && w->cands[cand].candidate)
			{
				int			e = find_entry(w, user, cand);
				bool		success = get_bool(tup, desc, 4);

				if (e < 0)
					elog(ERROR, "pg_adoption: an event without a user x feature state in tenant \"%s\"",
						 tenant_id);
				w->entries[e].uses++;
				w->entries[e].successes += success ? 1 : 0;
				if (w->info[user].active)
				{
					w->cands[cand].uses++;
					w->cands[cand].successes += success ? 1 : 0;
				}
			}
			MemoryContextReset(batch_mcxt);
		}
		SPI_freetuptable(tab);
	}
	if (have_t && w->unresolved > 0)
		evaluate_at(w, t);
	SPI_cursor_close(portal);
	MemoryContextDelete(batch_mcxt);
}

/*
 * Writes the milestones evaluated again (found: written with their
 * evidence; not found but reached before: removed) and enqueues the
 * actions of those reached for the first time; returns how many.
 */
static int64
write_milestones(Sweep *w, const char *tenant_id, bool enqueue)
{
	int			cap = Max(w->n_cands, 1);
	const char **up_ids = palloc(sizeof(char *) * cap);
	const char **up_evidence = palloc(sizeof(char *) * cap);
	Datum	   *up_at = palloc(sizeof(Datum) * cap);
	const char **del_ids = palloc(sizeof(char *) * cap);
	const char **a_tenant = palloc(sizeof(char *) * cap);
	const char **a_user = palloc(sizeof(char *) * cap);
	const char **a_feature = palloc(sizeof(char *) * cap);
	const char **a_milestone = palloc(sizeof(char *) * cap);
	const char **a_reason = palloc(sizeof(char *) * cap);
	int			n_up = 0;
	int			n_del = 0;
	int			n_actions = 0;
	int			i;
	bool		enabled = enqueue && adoption_milestone_enabled("feature_adopted");
	Oid			types[4] = {TEXTOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID, TEXTARRAYOID};
	Datum		args[4];

	for (i = 0; i < w->n_cands; i++)
	{
		Cand	   *c = &w->cands[i];

		if (!c->reeval)
			continue;
		if (c->found)
		{
			up_ids[n_up] = c->feature_id;
			up_evidence[n_up] = c->evidence;
			up_at[n_up] = TimestampTzGetDatum(c->at);
			n_up++;
			if (!c->had && enabled)
			{
				a_tenant[n_actions] = tenant_id;
				a_user[n_actions] = NULL;
				a_feature[n_actions] = c->feature_id;
				a_milestone[n_actions] = "feature_adopted";
				a_reason[n_actions] = psprintf("{\"milestone\": \"feature_adopted\", \"reached_at\": %s, "
											   "\"evidence\": %s, \"feature_adoption_threshold\": %s, "
											   "\"success_outcome_rate\": %s, \"active_window\": \"%s\"}",
											   adoption_json_time(c->at), c->evidence,
											   adoption_json_float(w->s->feature_adoption_threshold),
											   adoption_json_float(w->s->success_outcome_rate),
											   adoption_usecs_text(w->s->active_window));
				n_actions++;
			}
		}
		else if (c->had)
			del_ids[n_del++] = c->feature_id;
	}

	args[0] = CStringGetTextDatum(tenant_id);
	if (n_up > 0)
	{
		int			dims[1] = {n_up};
		int			lbs[1] = {1};

		args[1] = adoption_text_array(up_ids, n_up);
		args[2] = PointerGetDatum(construct_md_array(up_at, NULL, 1, dims, lbs, TIMESTAMPTZOID,
													 sizeof(TimestampTz), true, TYPALIGN_DOUBLE));
		args[3] = adoption_text_array(up_evidence, n_up);
		run_plan(&upsert_milestones_plan,
				 "INSERT INTO adoption.tenant_feature_milestones AS m"
				 " (tenant_id, feature_id, feature_adopted_at, evidence, updated_at)"
				 " SELECT $1, pg_catalog.unnest($2::pg_catalog.text[]),"
				 "  pg_catalog.unnest($3::pg_catalog.timestamptz[]),"
				 "  pg_catalog.unnest($4::pg_catalog.text[])::pg_catalog.jsonb, pg_catalog.now()"
				 " ON CONFLICT (tenant_id, feature_id) DO UPDATE SET"
				 " feature_adopted_at = EXCLUDED.feature_adopted_at, evidence = EXCLUDED.evidence,"
				 " updated_at = EXCLUDED.updated_at",
				 4, types, args, NULL);
	}
	if (n_del > 0)
	{
		args[1] = adoption_text_array(del_ids, n_del);
		run_plan(&delete_milestones_plan,
				 "DELETE FROM adoption.tenant_feature_milestones"
				 " WHERE tenant_id OPERATOR(pg_catalog.=) $1"
				 " AND feature_id OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[])",
				 2, types, args, NULL);
	}
	if (n_actions == 0)
		return 0;
	return adoption_enqueue_milestones(n_actions, a_tenant, a_user, a_feature,
									   a_milestone, a_reason);
}

int64
adoption_tenant_evaluate(const char *tenant_id, const TenantDelta *delta,
						 const AdoptionSettings *s, bool enqueue)
{
	MemoryContext mcxt = AllocSetContextCreate(CurrentMemoryContext,
											   "pg_adoption tenant evaluation",
											   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(mcxt);
	Sweep		w;
	int			cap_points = 64;
	TenantTotals tot;
	TimestampTz since = delta->since;
	TenantRow	stored;
	TenantRow	now;
	int64		fewest;
	int64		enqueued;
	int			i;

	stored = delta->merged ? delta->stored : merge_tenant(tenant_id, delta);
	if (settled_in_order(tenant_id, delta, &stored, s))
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(mcxt);
		return 0;
	}

	memset(&w, 0, sizeof(w));
	w.s = s;
	w.users = adoption_string_htab("pg_adoption sweep users", sizeof(SweepUser), 256, mcxt);
	w.features = adoption_string_htab("pg_adoption sweep features", sizeof(FeatureRef), 64, mcxt);
	w.points = palloc(sizeof(Point) * cap_points);

	fewest = load_users(&w, tenant_id, since, &cap_points, &tot);
	load_features(&w, since, fewest);
	if (w.unresolved > 0)
	{
		bool		any;
		TimestampTz start;

		load_entries(&w, tenant_id, since, &cap_points);
		start = narrow_candidates(&w, since, &any);
		if (any)
		{
			subtract_from(&w, tenant_id, start);
			sweep(&w, tenant_id, start);
		}
	}
	enqueued = write_milestones(&w, tenant_id, enqueue);

	/* the row's active users, and what settled_in_order needs of the features */
	now = stored;
	now.active_users = tot.active;
	now.open_adopters = 0;
	now.has_milestone = false;
	for (i = 0; i < w.n_cands; i++)
	{
		Cand	   *c = &w.cands[i];
		bool		reached = c->reeval ? c->found : c->had;
		TimestampTz at = c->reeval ? c->at : c->had_at;

		if (!reached)
			now.open_adopters = Max(now.open_adopters, c->adopted_users);
		else if (!now.has_milestone || at > now.last_feature_adopted_at)
		{
			now.has_milestone = true;
			now.last_feature_adopted_at = at;
		}
	}
	write_tenant(tenant_id, &stored, &now);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(mcxt);
	return enqueued;
}
