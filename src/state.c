/*
 * state.c: the adoption engine.  It turns the events of a statement (or of
 * the whole log, for rebuild()) into adoption.user_feature_state,
 * adoption.tenant_user_state, the pair counts of
 * adoption.tenant_feature_counts and milestone actions, and then has
 * tenant.c bring each tenant touched up to date (adoption.tenant_state and
 * the milestone feature_adopted).  The ingest trigger and rebuild() run the
 * same code.
 *
 * State is a function of the set of events: every column is a merge of the
 * events that is the same in any order (minimum, maximum, counts, sums, the
 * decayed velocity), or is derived from a buffer that is:
 *
 *   activated  the earliest use (activated_at = first_used_at);
 *   adopted    the aha_successes-th earliest successful use: the
 *              aha_successes earliest success times are kept, so a late
 *              success takes its place among them;
 *   habitual   the earliest use that completes usage_velocity_threshold
 *              uses spanning less than 7 days.  The use times before
 *              habitual_at are kept (all of them before it is reached): a
 *              late use can only complete a window at or after its own
 *              time, out of uses before habitual_at, so with those times
 *              every earlier window is found.  Before habitual_at a user has
 *              fewer than usage_velocity_threshold uses in any 7 days, so
 *              the times kept are few; past HABITUAL_MAX_TIMES the oldest
 *              go (then only a use older than all kept ones can be missed).
 *
 * So application order does not matter, and neither does how a statement
 * was cut into chunks, how events were cut into statements, or which of
 * several concurrent sessions commits first.
 *
 * Events are gathered into chunks (at most engine_chunk_keys distinct user
 * x feature keys or ENGINE_CHUNK_EVENTS events) so memory stays bounded for
 * a COPY of any size.  A chunk is processed set-wise:
 *
 *   1. lock and load the state of every key of the chunk, in key order
 *      (SELECT ... FOR UPDATE, one index probe per key through a LATERAL
 *      join);
 *   2. merge the events into the user states found in step 1;
 *   3. the pair rows (tenant_feature_counts) of the pairs where a user
 *      reached a milestone, or with a user seen for the first time, are
 *      locked (in key order, all at once).  That lock is what makes first
 *      sight safe: a new user x feature row is only ever inserted under the
 *      lock of its pair, so after taking it the keys still missing are
 *      looked up again (a concurrent session may have created them
 *      meanwhile; that lookup never waits while the pair locks are held,
 *      see lock_pairs_and_unseen) and only those still missing are new;
 *      then their events are merged;
 *   4. one UPDATE writes the known user states and one INSERT the new ones,
 *      one UPDATE adds the users who reached a milestone to the pair
 *      counts, one INSERT ... ON CONFLICT merges the chunk's tenant x user
 *      facts and activity spans (adoption.merge_activity), and one INSERT
 *      enqueues the user milestone actions (actions.c): each milestone
 *      reached for the first time, once (its dedupe key has no time, so a
 *      milestone that a late event moves keeps its one action).
 *
 * When the statement's events are all in, each tenant it touched is
 * evaluated (tenant.c), in tenant order, from the earliest event time the
 * statement added for it.  Locks are taken in the order user x feature
 * rows, pair rows, tenant x user rows, tenant rows.
 *
 * The kept plans are generic (CURSOR_OPT_GENERIC_PLAN): their shape does not
 * depend on the arrays' contents, and a custom plan would be planned again
 * at every statement.  Each statement also has a scalar form, used when a
 * chunk has one row for it (a single-row INSERT), whose executor starts far
 * faster than unnest() over one-element arrays (see run_stmt).  Faster
 * still, a chunk of one user x feature (a single-row INSERT's) locks, reads,
 * inserts and updates its user, pair, tenant x user and tenant rows without
 * SQL, through direct.c, wherever that gives what the SQL would.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "pg_adoption.h"
#include "citus.h"
#include "actions.h"
#include "direct.h"
#include "state.h"
#include "tenant.h"
#include "velocity.h"

#define ENGINE_CHUNK_EVENTS	ADOPTION_ENGINE_CHUNK_EVENTS

#define HABITUAL_WINDOW		((int64) 7 * USECS_PER_DAY)
/* The most use times kept before habitual_at (512 kB). */
#define HABITUAL_MAX_TIMES	65536

typedef struct TfGroup TfGroup;

/* State of one user x feature while a chunk is processed. */
typedef struct UserState
{
	/* hash key: the three ids (tenant and feature strings belong to the group) */
	const char *tenant_id;
	const char *feature_id;
	const char *user_id;

	TfGroup	   *group;
	bool		loaded;			/* its row was found (and locked) */
	bool		applied;		/* pass 1 done for its events */

	/* the row */
	TimestampTz first_used_at;
	TimestampTz last_used_at;
	int64		uses;
	int64		successes;
	int64		total_duration;
	double		count;			/* decayed count as of last_used_at */
	TimestampTz activated_at;
	TimestampTz adopted_at;
	TimestampTz habitual_at;
	uint8		flags;			/* MILESTONE_* reached */
	uint8		flags_before;	/* MILESTONE_* reached before this chunk */
	int			seq[3];			/* event that first reached each milestone */
	char	   *reason[3];		/* evidence of its action, if one is enqueued */
	int			n_success;		/* the aha_successes earliest success times */
	int			cap_success;
	TimestampTz *success_times;
	int			n_recent;		/* the use times before habitual_at */
	int			cap_recent;
	TimestampTz *recent_times;
	DirectRow  *row;			/* its row, locked by adoption_row_lock */
} UserState;

typedef struct UserKey
{
	const char *tenant_id;
	const char *feature_id;
	const char *user_id;
} UserKey;

/* One tenant x feature pair of the chunk. */
struct TfGroup
{
	const char *tenant_id;		/* hash key */
	const char *feature_id;		/* hash key */
	AdoptionSettings settings;	/* the tenant's */
	int			index;
	bool		needs_lock;
	bool		created;		/* its pair row was created by this chunk */
	int			reached[3];		/* users who reached each milestone */
	int			adopted_users;	/* its pair row's, once write_groups ran */
	DirectRow  *row;			/* its row, locked by adoption_row_lock */
};

typedef struct TfGroupKey
{
	const char *tenant_id;
	const char *feature_id;
} TfGroupKey;

/* One event of the chunk, and what pass 1 learned from it. */
typedef struct ChunkEvent
{
	UserState  *user;
	TimestampTz ts;
	int32		duration;
	bool		success;
} ChunkEvent;

/* A tenant the statement touched: evaluated at its end (tenant.c). */
typedef struct TouchedTenant
{
	char	   *tenant_id;		/* hash key */
	TenantDelta delta;			/* what the statement added */
	AdoptionSettings settings;
} TouchedTenant;

/* A milestone action waiting to be enqueued. */
typedef struct PendingAction
{
	int			seq;			/* event that reached it, for arrival order */
	int			order;			/* tie breaker */
	const char *tenant_id;
	const char *user_id;		/* NULL for tenant milestones */
	const char *feature_id;
	const char *milestone;
	char	   *reason;
} PendingAction;

struct Engine
{
	bool		enqueue;
	MemoryContext mcxt;			/* the engine's, for the whole statement */
	HTAB	   *tenants;		/* TouchedTenant by tenant_id */
	long		max_keys;		/* pg_adoption.engine_chunk_keys when it began */
	MemoryContext chunk_mcxt;	/* reset after each chunk */
	HTAB	   *users;
	HTAB	   *groups;
	ChunkEvent *events;
	int			n_events;
	int			cap_events;
	PendingAction *actions;
	int			n_actions;
	int			cap_actions;
	int			current_seq;	/* event being processed */
	int			n_flushes;		/* chunks processed */
	int64		enqueued;
};

/* --- hashing of composite string keys --- */

static uint32
hash_str(const char *s, uint32 seed)
{
	return hash_combine(seed, hash_bytes((const unsigned char *) s, (int) strlen(s)));
}

static uint32
user_key_hash(const void *key, Size keysize)
{
	const UserKey *k = key;

	return hash_str(k->user_id, hash_str(k->feature_id, hash_str(k->tenant_id, 0)));
}

static int
user_key_match(const void *a, const void *b, Size keysize)
{
	const UserKey *x = a;
	const UserKey *y = b;

	if (strcmp(x->user_id, y->user_id) != 0)
		return 1;
	if (strcmp(x->feature_id, y->feature_id) != 0)
		return 1;
	return strcmp(x->tenant_id, y->tenant_id);
}

static uint32
group_key_hash(const void *key, Size keysize)
{
	const TfGroupKey *k = key;

	return hash_str(k->feature_id, hash_str(k->tenant_id, 0));
}

static int
group_key_match(const void *a, const void *b, Size keysize)
{
	const TfGroupKey *x = a;
	const TfGroupKey *y = b;

	if (strcmp(x->feature_id, y->feature_id) != 0)
		return 1;
	return strcmp(x->tenant_id, y->tenant_id);
}

static void
engine_reset_chunk(Engine *e)
{
	HASHCTL		ctl;

	MemoryContextReset(e->chunk_mcxt);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(UserKey);
	ctl.entrysize = sizeof(UserState);
	ctl.hash = user_key_hash;
	ctl.match = user_key_match;
	ctl.hcxt = e->chunk_mcxt;
	e->users = hash_create("pg_adoption chunk users", 1024, &ctl,
						   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(TfGroupKey);
	ctl.entrysize = sizeof(TfGroup);
	ctl.hash = group_key_hash;
	ctl.match = group_key_match;
	ctl.hcxt = e->chunk_mcxt;
	e->groups = hash_create("pg_adoption chunk groups", 256, &ctl,
							HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);

	e->cap_events = 1024;
	e->n_events = 0;
	e->events = MemoryContextAlloc(e->chunk_mcxt, sizeof(ChunkEvent) * e->cap_events);
	e->cap_actions = 64;
	e->n_actions = 0;
	e->actions = MemoryContextAlloc(e->chunk_mcxt, sizeof(PendingAction) * e->cap_actions);
}

/* --- small helpers --- */

static void
add_action(Engine *e, const char *tenant_id, const char *user_id,
		   const char *feature_id, const char *milestone, char *reason)
{
	PendingAction *a;

	if (e->n_actions == e->cap_actions)
	{
		e->cap_actions *= 2;
		e->actions = repalloc(e->actions, sizeof(PendingAction) * e->cap_actions);
	}
	a = &e->actions[e->n_actions];
	a->seq = e->current_seq;
	a->order = e->n_actions++;
	a->tenant_id = tenant_id;
	a->user_id = user_id;
	a->feature_id = feature_id;
	a->milestone = milestone;
	a->reason = reason;
}

/* Inserts t into the sorted array times[0..*n), which has room for one more. */
static int
insert_sorted(TimestampTz *times, int *n, TimestampTz t)
{
	int			i = *n;

	while (i > 0 && times[i - 1] > t)
	{
		times[i] = times[i - 1];
		i--;
	}
	times[i] = t;
	(*n)++;
	return i;
}

/* --- the milestone buffer: bytea of int32 n_success, int32 n_recent, times --- */

static void
buffer_decode(UserState *u, bytea *b, MemoryContext mcxt)
{
	char	   *p = VARDATA_ANY(b);
	int			len = VARSIZE_ANY_EXHDR(b);
	int32		ns = 0,
				nr = 0;

	if (len >= 8)
	{
		memcpy(&ns, p, 4);
		memcpy(&nr, p + 4, 4);
	}
	if (len < 8 || ns < 0 || nr < 0 || ns > 1000000 || nr > HABITUAL_MAX_TIMES ||
		len != 8 + 8 * (ns + nr))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("milestone_buffer of user \"%s\" and feature \"%s\" of tenant \"%s\" is not valid",
						adoption_msg_value(u->user_id), adoption_msg_value(u->feature_id),
						adoption_msg_value(u->tenant_id)),
				 errdetail("The column is internal to pg_adoption and was changed by hand."),
				 errhint("Run SELECT adoption.rebuild('%s') to recompute the tenant's state.",
						 adoption_msg_value(u->tenant_id))));
	u->n_success = ns;
	u->n_recent = nr;
	u->cap_success = ns + 1;
	u->success_times = MemoryContextAlloc(mcxt, sizeof(TimestampTz) * u->cap_success);
	u->cap_recent = nr + 1;
	u->recent_times = MemoryContextAlloc(mcxt, sizeof(TimestampTz) * u->cap_recent);
	memcpy(u->success_times, p + 8, 8 * ns);
	memcpy(u->recent_times, p + 8 + 8 * ns, 8 * nr);
}

static bytea *
buffer_encode(UserState *u)
{
	int			ns = u->n_success;
	int			nr = u->n_recent;
	int			len = 8 + 8 * (ns + nr);
	bytea	   *b;
	int32		v;

	b = palloc(VARHDRSZ + len);
	SET_VARSIZE(b, VARHDRSZ + len);
	v = ns;
	memcpy(VARDATA(b), &v, 4);
	v = nr;
	memcpy(VARDATA(b) + 4, &v, 4);
	memcpy(VARDATA(b) + 8, u->success_times, 8 * ns);
	memcpy(VARDATA(b) + 8 + 8 * ns, u->recent_times, 8 * nr);
	return b;
}

/* --- gathering events --- */

Engine *
adoption_engine_begin(bool enqueue_actions)
{
	Engine	   *e = palloc0(sizeof(Engine));

	e->enqueue = enqueue_actions;
	e->mcxt = CurrentMemoryContext;
	e->tenants = adoption_string_htab("pg_adoption touched tenants", sizeof(TouchedTenant),
									  64, e->mcxt);
	e->max_keys = adoption_engine_chunk_keys;
	e->chunk_mcxt = AllocSetContextCreate(CurrentMemoryContext,
										  "pg_adoption engine chunk",
										  ALLOCSET_DEFAULT_SIZES);
	engine_reset_chunk(e);
	return e;
}

static void engine_flush(Engine *e, bool last);
static int	cmp_tenants(const void *a, const void *b);

void
adoption_engine_add(Engine *e, const char *tenant_id, const char *user_id,
					const char *feature_id, TimestampTz ts, int32 duration,
					bool success)
{
	UserKey		ukey;
	UserState  *u;
	ChunkEvent *ev;
	bool		found;

	ukey.tenant_id = tenant_id;
	ukey.feature_id = feature_id;
	ukey.user_id = user_id;
	u = hash_search(e->users, &ukey, HASH_ENTER, &found);
	if (!found)
	{
		TfGroupKey	gkey;
		TfGroup	   *g;
		bool		gfound;

		gkey.tenant_id = tenant_id;
		gkey.feature_id = feature_id;
		g = hash_search(e->groups, &gkey, HASH_ENTER, &gfound);
		if (!gfound)
		{
			g->tenant_id = MemoryContextStrdup(e->chunk_mcxt, tenant_id);
			g->feature_id = MemoryContextStrdup(e->chunk_mcxt, feature_id);
			adoption_get_settings(tenant_id, &g->settings);
			g->needs_lock = false;
			g->created = false;
			g->row = NULL;
			memset(g->reached, 0, sizeof(g->reached));
		}
		memset(u, 0, sizeof(UserState));
		u->tenant_id = g->tenant_id;
		u->feature_id = g->feature_id;
		u->user_id = MemoryContextStrdup(e->chunk_mcxt, user_id);
		u->group = g;
	}

	if (e->n_events == e->cap_events)
	{
		e->cap_events *= 2;
		e->events = repalloc(e->events, sizeof(ChunkEvent) * e->cap_events);
	}
	ev = &e->events[e->n_events++];
	memset(ev, 0, sizeof(ChunkEvent));
	ev->user = u;
	ev->ts = ts;
	ev->duration = duration;
	ev->success = success;

	if (hash_get_num_entries(e->users) >= e->max_keys ||
		e->n_events >= ENGINE_CHUNK_EVENTS)
		engine_flush(e, false);
}

/* --- step 1: lock and load user states --- */

static int
cmp_users(const void *a, const void *b)
{
	const UserState *x = *(UserState *const *) a;
	const UserState *y = *(UserState *const *) b;
	int			c = strcmp(x->tenant_id, y->tenant_id);

	if (c == 0)
		c = strcmp(x->feature_id, y->feature_id);
	if (c == 0)
		c = strcmp(x->user_id, y->user_id);
	return c;
}


/*
 * The arrays are unnested in a select list (a ProjectSet node streams their
 * elements in step) rather than with ROWS FROM (a function scan first copies
 * every element into a tuplestore, which spills beyond work_mem): the same
 * rows, in the same order, for about half the cost.  The ordinality, where
 * a statement needs it, comes from generate_series() in the same step.
 */
#define LOCK_USERS_SQL(wait) \
"SELECT k.n, s.first_used_at, s.last_used_at, s.uses, s.successes, s.total_duration," \
" s.velocity_per_week, s.activated_at, s.adopted_at, s.habitual_at, s.milestone_buffer" \
" FROM (SELECT pg_catalog.unnest($1::pg_catalog.text[]) AS t, pg_catalog.unnest($2::pg_catalog.text[]) AS f," \
"  pg_catalog.unnest($3::pg_catalog.text[]) AS u," \
"  pg_catalog.generate_series(1::pg_catalog.int8, pg_catalog.cardinality($1::pg_catalog.text[])) AS n) AS k" \
" CROSS JOIN LATERAL (SELECT * FROM adoption.user_feature_state AS x" \
"  WHERE x.tenant_id OPERATOR(pg_catalog.=) k.t AND x.feature_id OPERATOR(pg_catalog.=) k.f" \
"  AND x.user_id OPERATOR(pg_catalog.=) k.u FOR UPDATE" wait ") AS s"
#define LOCK_USER_SQL(wait) \
"SELECT 1::pg_catalog.int8, s.first_used_at, s.last_used_at, s.uses, s.successes, s.total_duration," \
" s.velocity_per_week, s.activated_at, s.adopted_at, s.habitual_at, s.milestone_buffer" \
" FROM adoption.user_feature_state AS s" \
" WHERE s.tenant_id OPERATOR(pg_catalog.=) $1 AND s.feature_id OPERATOR(pg_catalog.=) $2" \
" AND s.user_id OPERATOR(pg_catalog.=) $3 FOR UPDATE" wait

static const char *const lock_users_sql = LOCK_USERS_SQL("");
static const char *const lock_users_nowait_sql = LOCK_USERS_SQL(" NOWAIT");

#define USER_ARRAYS \
" FROM (SELECT pg_catalog.unnest($1::pg_catalog.text[]) AS t, pg_catalog.unnest($2::pg_catalog.text[]) AS f," \
"  pg_catalog.unnest($3::pg_catalog.text[]) AS u, pg_catalog.unnest($4::pg_catalog.timestamptz[]) AS first," \
"  pg_catalog.unnest($5::pg_catalog.timestamptz[]) AS last, pg_catalog.unnest($6::pg_catalog.int8[]) AS uses," \
"  pg_catalog.unnest($7::pg_catalog.int8[]) AS succ, pg_catalog.unnest($8::pg_catalog.int8[]) AS dur," \
"  pg_catalog.unnest($9::pg_catalog.float8[]) AS vel, pg_catalog.unnest($10::pg_catalog.timestamptz[]) AS act," \
"  pg_catalog.unnest($11::pg_catalog.timestamptz[]) AS adp, pg_catalog.unnest($12::pg_catalog.timestamptz[]) AS hab," \
"  pg_catalog.unnest($13::pg_catalog.bytea[]) AS buf) AS k"

static const char *const insert_users_sql =
"INSERT INTO adoption.user_feature_state (tenant_id, feature_id, user_id, first_used_at,"
" last_used_at, uses, successes, total_duration, velocity_per_week, activated_at, adopted_at,"
" habitual_at, milestone_buffer, updated_at)"
" SELECT k.t, k.f, k.u, k.first, k.last, k.uses, k.succ, k.dur, k.vel, k.act, k.adp, k.hab, k.buf,"
"  pg_catalog.now()"
USER_ARRAYS;

static const char *const update_users_sql =
"UPDATE adoption.user_feature_state AS s SET"
" first_used_at = k.first, last_used_at = k.last, uses = k.uses, successes = k.succ,"
" total_duration = k.dur, velocity_per_week = k.vel, activated_at = k.act, adopted_at = k.adp,"
" habitual_at = k.hab, milestone_buffer = k.buf, updated_at = pg_catalog.now()"
USER_ARRAYS
" WHERE s.tenant_id OPERATOR(pg_catalog.=) k.t AND s.feature_id OPERATOR(pg_catalog.=) k.f"
" AND s.user_id OPERATOR(pg_catalog.=) k.u";

static const char *const create_groups_sql =
"INSERT INTO adoption.tenant_feature_counts (tenant_id, feature_id)"
" SELECT pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])"
" ON CONFLICT DO NOTHING RETURNING tenant_id, feature_id";

static const char *const lock_groups_sql =
"SELECT k.n"
" FROM (SELECT pg_catalog.unnest($1::pg_catalog.text[]) AS t, pg_catalog.unnest($2::pg_catalog.text[]) AS f,"
"  pg_catalog.generate_series(1::pg_catalog.int8, pg_catalog.cardinality($1::pg_catalog.text[])) AS n) AS k"
" CROSS JOIN LATERAL (SELECT * FROM adoption.tenant_feature_counts AS x"
"  WHERE x.tenant_id OPERATOR(pg_catalog.=) k.t AND x.feature_id OPERATOR(pg_catalog.=) k.f"
"  FOR UPDATE) AS s";

static const char *const write_groups_sql =
"UPDATE adoption.tenant_feature_counts AS s SET"
" activated_users = s.activated_users OPERATOR(pg_catalog.+) k.act,"
" adopted_users = s.adopted_users OPERATOR(pg_catalog.+) k.adp,"
" habitual_users = s.habitual_users OPERATOR(pg_catalog.+) k.hab, updated_at = pg_catalog.now()"
" FROM (SELECT pg_catalog.unnest($1::pg_catalog.text[]) AS t, pg_catalog.unnest($2::pg_catalog.text[]) AS f,"
"  pg_catalog.unnest($3::pg_catalog.int4[]) AS act, pg_catalog.unnest($4::pg_catalog.int4[]) AS adp,"
"  pg_catalog.unnest($5::pg_catalog.int4[]) AS hab,"
"  pg_catalog.generate_series(1::pg_catalog.int8, pg_catalog.cardinality($1::pg_catalog.text[])) AS n) AS k"
" WHERE s.tenant_id OPERATOR(pg_catalog.=) k.t AND s.feature_id OPERATOR(pg_catalog.=) k.f"
" RETURNING k.n, s.adopted_users";

/*
 * The chunk's tenant x user facts, merged into the rows (which ON CONFLICT
 * locks, in the order given: key order).
 */
#define MERGE_TENANT_USERS_SET \
" ON CONFLICT (tenant_id, user_id) DO UPDATE SET" \
" first_seen_at = LEAST(s.first_seen_at, EXCLUDED.first_seen_at)," \
" last_seen_at = GREATEST(s.last_seen_at, EXCLUDED.last_seen_at)," \
" uses = s.uses OPERATOR(pg_catalog.+) EXCLUDED.uses," \
" successes = s.successes OPERATOR(pg_catalog.+) EXCLUDED.successes," \
" activity = adoption.merge_activity(s.activity, EXCLUDED.activity), updated_at = EXCLUDED.updated_at" \
" RETURNING s.tenant_id, s.xmax OPERATOR(pg_catalog.=) '0'::pg_catalog.xid AS inserted"

/*
 * The same, and the statement's totals per tenant merged into tenant_state
 * (which locks its rows after the tenant x user rows): one statement instead
 * of two when a statement's events fit one chunk, as a single-row INSERT's do.
 */
#define MERGE_TENANTS_SET ADOPTION_TENANT_STATE_MERGE " RETURNING s.tenant_id, " ADOPTION_TENANT_ROW_COLUMNS

/* The tenant x user merge over arrays $1..$7, and over one row. */
#define MERGE_TENANT_USERS_N \
"INSERT INTO adoption.tenant_user_state AS s (tenant_id, user_id, first_seen_at, last_seen_at," \
" uses, successes, activity, updated_at)" \
" SELECT pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])," \
"  pg_catalog.unnest($3::pg_catalog.timestamptz[]), pg_catalog.unnest($4::pg_catalog.timestamptz[])," \
"  pg_catalog.unnest($5::pg_catalog.int8[]), pg_catalog.unnest($6::pg_catalog.int8[])," \
"  pg_catalog.unnest($7::pg_catalog.bytea[]), pg_catalog.now()" \
MERGE_TENANT_USERS_SET
#define MERGE_TENANT_USERS_1 \
"INSERT INTO adoption.tenant_user_state AS s (tenant_id, user_id, first_seen_at, last_seen_at," \
" uses, successes, activity, updated_at)" \
" VALUES ($1, $2, $3, $4, $5, $6, $7, pg_catalog.now())" \
MERGE_TENANT_USERS_SET

/*
 * The new users of each tenant are counted once over tu (an aggregate
 * joined to the tenants), not by a subquery per tenant, which read all of
 * tu again for each tenant: a chunk's tenants times its tenant x user rows
 * (a fifth of an incremental COPY's time).  The aggregate reads all of tu
 * before the first tenant row is written, so the tenant x user rows are
 * still locked first.
 */
static const char *const merge_both_sql =
"WITH tu AS (" MERGE_TENANT_USERS_N "),"
" n AS (SELECT tu.tenant_id, pg_catalog.count(*) FILTER (WHERE tu.inserted)::pg_catalog.int4 AS users"
"  FROM tu GROUP BY tu.tenant_id),"
" d AS (SELECT pg_catalog.unnest($8::pg_catalog.text[]) AS t, pg_catalog.unnest($9::pg_catalog.timestamptz[]) AS since,"
"  pg_catalog.unnest($10::pg_catalog.timestamptz[]) AS latest, pg_catalog.unnest($11::pg_catalog.int8[]) AS uses,"
"  pg_catalog.unnest($12::pg_catalog.int8[]) AS succ)"
" INSERT INTO adoption.tenant_state AS s (tenant_id, first_event_at, last_event_at, users, active_users,"
" uses, successes, updated_at)"
" SELECT d.t, d.since, d.latest, COALESCE(n.users, 0), 0, d.uses, d.succ, pg_catalog.now()"
" FROM d LEFT JOIN n ON n.tenant_id OPERATOR(pg_catalog.=) d.t"
MERGE_TENANTS_SET;

static const char *const merge_tenant_users_sql =
MERGE_TENANT_USERS_N;

/* A statement in two forms: over arrays of keys, and over one key. */
typedef struct Stmt
{
	const char *const *sql_n;	/* parameters are arrays */
	const char *sql_1;			/* the same over scalars, for one row */
	SPIPlanPtr	plan_n;
	SPIPlanPtr	plan_1;
	bool		planned_n;		/* has run with its generic plan */
	bool		planned_1;
} Stmt;

#define USER_COLS "first_used_at = $4, last_used_at = $5, uses = $6, successes = $7," \
" total_duration = $8, velocity_per_week = $9, activated_at = $10, adopted_at = $11," \
" habitual_at = $12, milestone_buffer = $13, updated_at = pg_catalog.now()"

static Stmt lock_users_stmt = {&lock_users_sql, LOCK_USER_SQL("")};
static Stmt lock_users_nowait_stmt = {&lock_users_nowait_sql, LOCK_USER_SQL(" NOWAIT")};
static Stmt insert_users_stmt = {&insert_users_sql,
	"INSERT INTO adoption.user_feature_state (tenant_id, feature_id, user_id, first_used_at,"
	" last_used_at, uses, successes, total_duration, velocity_per_week, activated_at, adopted_at,"
	" habitual_at, milestone_buffer, updated_at)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, pg_catalog.now())"};
static Stmt update_users_stmt = {&update_users_sql,
	"UPDATE adoption.user_feature_state SET " USER_COLS
	" WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND feature_id OPERATOR(pg_catalog.=) $2"
	" AND user_id OPERATOR(pg_catalog.=) $3"};
static Stmt create_groups_stmt = {&create_groups_sql,
	"INSERT INTO adoption.tenant_feature_counts (tenant_id, feature_id) VALUES ($1, $2)"
	" ON CONFLICT DO NOTHING RETURNING tenant_id, feature_id"};
static Stmt lock_groups_stmt = {&lock_groups_sql,
	"SELECT 1::pg_catalog.int8 FROM adoption.tenant_feature_counts AS s"
	" WHERE s.tenant_id OPERATOR(pg_catalog.=) $1 AND s.feature_id OPERATOR(pg_catalog.=) $2"
	" FOR UPDATE"};
static Stmt write_groups_stmt = {&write_groups_sql,
	"UPDATE adoption.tenant_feature_counts SET"
	" activated_users = activated_users OPERATOR(pg_catalog.+) $3,"
	" adopted_users = adopted_users OPERATOR(pg_catalog.+) $4,"
	" habitual_users = habitual_users OPERATOR(pg_catalog.+) $5, updated_at = pg_catalog.now()"
	" WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND feature_id OPERATOR(pg_catalog.=) $2"
	" RETURNING 1::pg_catalog.int8, adopted_users"};
static Stmt merge_both_stmt = {&merge_both_sql,
	"WITH tu AS (" MERGE_TENANT_USERS_1 ")"
	" INSERT INTO adoption.tenant_state AS s (tenant_id, first_event_at, last_event_at, users, active_users,"
	" uses, successes, updated_at)"
	" SELECT $8, $9, $10, (SELECT pg_catalog.count(*)::pg_catalog.int4 FROM tu WHERE tu.inserted), 0, $11, $12,"
	"  pg_catalog.now()"
	MERGE_TENANTS_SET};
static Stmt merge_tenant_users_stmt = {&merge_tenant_users_sql,
	MERGE_TENANT_USERS_1};

/*
 * Runs stmt over n rows, given as one array per parameter (types are the
 * array types); for one row, runs the scalar form, whose plan is far
 * cheaper to start than unnest() over thirteen one-element arrays.
 *
 * Every statement here looks up keys it is given, which only an index
 * probe per key does well whatever the size of the table.  A generic plan
 * is made once, possibly while the table is still empty, when a sequential
 * scan or hash join looks cheaper and would then stay in the backend's plan
 * as the table grows.  So the first run of a plan (and any run after an
 * invalidation, which replans) happens with sequential scans and hash and
 * merge joins disabled, in a GUC nest level of its own.
 *
 * Preparing, keeping and running the plan is adoption_run_kept_plan's.
 */
static int
run_stmt(Stmt *stmt, int n, int nargs, Oid *types, Datum *args)
{
	bool		one = (n == 1 && stmt->sql_1 != NULL);
	SPIPlanPtr *plan = one ? &stmt->plan_1 : &stmt->plan_n;
	bool	   *planned = one ? &stmt->planned_1 : &stmt->planned_n;
	Oid			scalar_types[16];
	Datum		scalar_args[16];
	char		scalar_nulls[16];
	int			nestlevel = -1;
	int			rc;
	int			i;

	Assert(nargs <= 16);
	if (one)
	{
		for (i = 0; i < nargs; i++)
		{
			ArrayType  *a = DatumGetArrayTypeP(args[i]);
			int16		typlen;
			bool		typbyval;
			char		typalign;
			Datum	   *elems;
			bool	   *elemnulls;
			int			nelems;

			scalar_types[i] = get_element_type(types[i]);
			get_typlenbyvalalign(scalar_types[i], &typlen, &typbyval, &typalign);
			deconstruct_array(a, scalar_types[i], typlen, typbyval, typalign,
							  &elems, &elemnulls, &nelems);
			if (nelems != 1)
				elog(ERROR, "pg_adoption: expected one element, got %d", nelems);
			scalar_args[i] = elems[0];
			scalar_nulls[i] = elemnulls[0] ? 'n' : ' ';
		}
		types = scalar_types;
		args = scalar_args;
	}

	if (*plan == NULL || !*planned || !SPI_plan_is_valid(*plan))
		nestlevel = adoption_index_plans_begin();
	rc = adoption_run_kept_plan(plan, one ? stmt->sql_1 : *stmt->sql_n, nargs, types,
								args, one ? scalar_nulls : NULL);
	*planned = true;
	if (nestlevel >= 0)
		AtEOXact_GUC(true, nestlevel);
	return rc;
}

/* A growable one-dimensional array of Datums with nulls. */
typedef struct DatumArray
{
	Datum	   *values;
	bool	   *nulls;
	int			n;
} DatumArray;

static void
da_init(DatumArray *a, int cap)
{
	a->values = palloc(sizeof(Datum) * Max(cap, 1));
	a->nulls = palloc(sizeof(bool) * Max(cap, 1));
	a->n = 0;
}

static void
da_add(DatumArray *a, Datum v, bool isnull)
{
	a->values[a->n] = isnull ? (Datum) 0 : v;
	a->nulls[a->n] = isnull;
	a->n++;
}

static Datum
da_array(DatumArray *a, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1] = {a->n};
	int			lbs[1] = {1};

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(a->values, a->nulls, 1, dims, lbs,
											  elemtype, typlen, typbyval, typalign));
}

static Datum
text_keys(UserState **users, int n, int which)
{
	const char **v = palloc(sizeof(char *) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		v[i] = which == 0 ? users[i]->tenant_id :
			which == 1 ? users[i]->feature_id : users[i]->user_id;
	return adoption_text_array(v, n);
}

/* The columns of a user state, in the order of LOCK_USERS_SQL and write_users. */
#define USER_STATE_COLUMNS 10
static const char *const user_state_columns[USER_STATE_COLUMNS] = {
	"first_used_at", "last_used_at", "uses", "successes", "total_duration",
	"velocity_per_week", "activated_at", "adopted_at", "habitual_at", "milestone_buffer"
};

/* Fills user u from its row's columns (user_state_columns). */
static void
load_user(Engine *e, UserState *u, const Datum *v, const bool *isnull)
{
	u->loaded = true;
	u->first_used_at = DatumGetTimestampTz(v[0]);
	u->last_used_at = DatumGetTimestampTz(v[1]);
	u->uses = DatumGetInt64(v[2]);
	u->successes = DatumGetInt64(v[3]);
	u->total_duration = DatumGetInt64(v[4]);
	u->count = DatumGetFloat8(v[5]) / M_LN2;
	u->flags = 0;
	u->activated_at = DatumGetTimestampTz(v[6]);
	if (!isnull[6])
		u->flags |= MILESTONE_ACTIVATED;
	u->adopted_at = DatumGetTimestampTz(v[7]);
	if (!isnull[7])
		u->flags |= MILESTONE_ADOPTED;
	u->habitual_at = DatumGetTimestampTz(v[8]);
	if (!isnull[8])
		u->flags |= MILESTONE_HABITUAL;
	u->flags_before = u->flags;
	if (!isnull[9])
		buffer_decode(u, DatumGetByteaPP(v[9]), e->chunk_mcxt);
	else
	{
		u->n_success = 0;
		u->n_recent = 0;
	}
}

/* Fills the users of the result rows (k.n = 1-based position in users[]). */
static void
read_user_rows(Engine *e, UserState **users, int n)
{
	uint64		i;
	TupleDesc	desc = SPI_tuptable->tupdesc;

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull[USER_STATE_COLUMNS];
		Datum		v[USER_STATE_COLUMNS];
		int64		pos = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull[0]));
		int			c;

		if (pos < 1 || pos > n)
			elog(ERROR, "pg_adoption: unexpected state row %ld", (long) pos);
		for (c = 0; c < USER_STATE_COLUMNS; c++)
			v[c] = SPI_getbinval(tup, desc, c + 2, &isnull[c]);
		load_user(e, users[pos - 1], v, isnull);
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * A row of table relid locked without SQL (see direct.c), waiting for it,
 * or (blocked not NULL) as SKIP LOCKED, setting *blocked when another
 * session holds it.  Its table reference and lock are taken for resource
 * owner owner: inside lock_pairs_and_unseen's subtransaction that is the
 * statement's, so the row outlives the subtransaction's end, while the row
 * lock itself is the subtransaction's (its rollback gives the lock up, and
 * the caller then lets the row go: release_group_rows).
 */
static DirectRow *
row_lock_for(ResourceOwner owner, Oid relid, int nkeys, const char *const *keys,
			 bool *blocked)
{
	ResourceOwner save = CurrentResourceOwner;
	DirectRow  *row;

	CurrentResourceOwner = owner;
	row = blocked != NULL ? adoption_row_try_lock(relid, nkeys, keys, blocked) :
		adoption_row_lock(relid, nkeys, keys, false);
	CurrentResourceOwner = save;
	return row;
}

/*
 * Locks and loads the row of u without SQL, if the direct path may be used
 * (false: the caller runs the SQL); a missing row leaves u not loaded.
 * With blocked, does not wait (row_lock_for).
 */
static bool
lock_user_direct(Engine *e, UserState *u, ResourceOwner owner, bool *blocked)
{
	Oid			relid = adoption_resolve_relid("user_feature_state");
	const char *keys[3];
	DirectRow  *row;
	Datum		v[USER_STATE_COLUMNS];
	bool		isnull[USER_STATE_COLUMNS];
	int			c;

	if (!adoption_direct_usable(relid))
		return false;
	keys[0] = u->tenant_id;
	keys[1] = u->feature_id;
	keys[2] = u->user_id;
	row = row_lock_for(owner, relid, 3, keys, blocked);
	if (row == NULL)
		return true;
	for (c = 0; c < USER_STATE_COLUMNS; c++)
	{
		int			col = adoption_row_col(row, user_state_columns[c]);

		v[c] = row->values[col];
		isnull[c] = row->isnull[col];
	}
	load_user(e, u, v, isnull);
	u->row = row;
	return true;
}

/*
 * Locks and loads the rows of users[0..n) that exist (in key order); with
 * nowait, fails with ERRCODE_LOCK_NOT_AVAILABLE rather than wait for one.
 */
static void
lock_users(Engine *e, UserState **users, int n, bool nowait)
{
	Oid			types[3] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		args[3];

	if (n == 0)
		return;
	/*
	 * One user, waiting: without SQL.  (A NOWAIT lookup of one user is made
	 * without SQL by lock_pairs_and_unseen itself, as SKIP LOCKED.)
	 */
	if (n == 1 && !nowait && lock_user_direct(e, users[0], CurrentResourceOwner, NULL))
		return;
	args[0] = text_keys(users, n, 0);
	args[1] = text_keys(users, n, 1);
	args[2] = text_keys(users, n, 2);
	run_stmt(nowait ? &lock_users_nowait_stmt : &lock_users_stmt, n, 3, types, args);
	read_user_rows(e, users, n);
}

/* --- step 2: pass 1, the user milestones --- */

/*
 * The evidence of a milestone is built in one buffer per backend and copied
 * out at its exact size: a fresh StringInfo per action would hold 1 kB each.
 */
static StringInfo
reason_buffer(void)
{
	static StringInfo buf = NULL;

	if (buf == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		buf = makeStringInfo();
		MemoryContextSwitchTo(old);
	}
	resetStringInfo(buf);
	return buf;
}

static char *
reason_user(const char *milestone, UserState *u, const AdoptionSettings *s,
			TimestampTz reached_at, TimestampTz window_start)
{
	StringInfo	r = reason_buffer();

	appendStringInfo(r, "{\"milestone\": \"%s\", \"reached_at\": %s, \"uses\": " INT64_FORMAT
					 ", \"successes\": " INT64_FORMAT ", \"first_used_at\": %s",
					 milestone, adoption_json_time(reached_at), u->uses, u->successes,
					 adoption_json_time(u->first_used_at));
	if (strcmp(milestone, "adopted") == 0)
		appendStringInfo(r, ", \"aha_successes\": %d", s->aha_successes);
	else if (strcmp(milestone, "habitual") == 0)
		appendStringInfo(r, ", \"usage_velocity_threshold\": %d, \"window\": \"7 days\", \"window_start\": %s, \"velocity_per_week\": %s",
						 s->usage_velocity_threshold, adoption_json_time(window_start),
						 adoption_json_float(u->count * M_LN2));
	appendStringInfoChar(r, '}');
	return pstrdup(r->data);
}

/*
 * Checks whether the use just placed at recent_times[i] completes a window
 * of n uses spanning less than 7 days; returns the earliest completing use
 * time through *at and the window's first use through *start.
 */
static bool
habitual_window(UserState *u, int i, int n, TimestampTz *at, TimestampTz *start)
{
	int			j;
	bool		found = false;

	for (j = Max(0, i - n + 1); j <= i && j + n - 1 < u->n_recent; j++)
	{
		TimestampTz first = u->recent_times[j];
		TimestampTz last = u->recent_times[j + n - 1];

		if (adoption_ts_sub(last, first) < HABITUAL_WINDOW && (!found || last < *at))
		{
			*at = last;
			*start = first;
			found = true;
		}
	}
	return found;
}

/* The user milestones, in the order of their bits (MILESTONE_*). */
static const char *const milestone_names[3] = {"activated", "adopted", "habitual"};

/* The index of adopted in milestone_names and TfGroup.reached. */
#define MILESTONE_BIT_ADOPTED 1
StaticAssertDecl((1 << MILESTONE_BIT_ADOPTED) == MILESTONE_ADOPTED,
				 "MILESTONE_BIT_ADOPTED is the bit of MILESTONE_ADOPTED");

/* Makes room for one more time in a growable array of n times. */
static TimestampTz *
times_room(Engine *e, TimestampTz *times, int n, int *cap)
{
	if (times != NULL && n + 1 <= *cap)
		return times;
	*cap = Max(8, 2 * (n + 1));
	return times == NULL ?
		MemoryContextAlloc(e->chunk_mcxt, sizeof(TimestampTz) * *cap) :
		repalloc(times, sizeof(TimestampTz) * *cap);
}

/*
 * Notes that u reached a milestone in event seq, if it had not before, and
 * the evidence of its action as of that event (at: the milestone's time,
 * start: the first use of its window).  Events are merged in arrival order,
 * so the evidence is the same however the events were cut into statements.
 */
static void
reach(Engine *e, UserState *u, uint8 milestone, int bit, int seq,
	  TimestampTz at, TimestampTz start)
{
	if (u->flags & milestone)
		return;
	u->flags |= milestone;
	u->seq[bit] = seq;
	u->group->needs_lock = true;
	u->reason[bit] = NULL;
	if (e->enqueue && adoption_milestone_enabled(milestone_names[bit]))
	{
		MemoryContext old = MemoryContextSwitchTo(e->chunk_mcxt);

		u->reason[bit] = reason_user(milestone_names[bit], u, &u->group->settings, at, start);
		MemoryContextSwitchTo(old);
	}
}

/* Merges one event (number seq of the chunk) into its user's state. */
static void
apply_event(Engine *e, ChunkEvent *ev, int seq)
{
	UserState  *u = ev->user;
	const AdoptionSettings *s = &u->group->settings;
	bool		first = (u->uses == 0);

	if (first || ev->ts < u->first_used_at)
		u->first_used_at = ev->ts;
	velocity_add_use(&u->count, &u->last_used_at, !first, ev->ts);
	u->uses++;
	u->total_duration += ev->duration;
	if (ev->success)
		u->successes++;
	u->activated_at = u->first_used_at;
	reach(e, u, MILESTONE_ACTIVATED, 0, seq, u->activated_at, u->activated_at);

	if (ev->success)
	{
		int			k = s->aha_successes;

		if (u->n_success > k)
			u->n_success = k;	/* aha_successes was lowered */
		if (u->n_success < k || ev->ts < u->success_times[k - 1])
		{
			u->success_times = times_room(e, u->success_times, u->n_success, &u->cap_success);
			insert_sorted(u->success_times, &u->n_success, ev->ts);
			if (u->n_success > k)
				u->n_success = k;	/* keep the k earliest */
			if (u->n_success == k)
			{
				u->adopted_at = u->success_times[k - 1];
				reach(e, u, MILESTONE_ADOPTED, 1, seq, u->adopted_at, u->adopted_at);
			}
		}
	}

	/* A use at or after habitual_at cannot complete an earlier window. */
	if (!(u->flags & MILESTONE_HABITUAL) || ev->ts < u->habitual_at)
	{
		int			n = s->usage_velocity_threshold;
		int			i;
		TimestampTz at = 0;
		TimestampTz start = 0;

		u->recent_times = times_room(e, u->recent_times, u->n_recent, &u->cap_recent);
		i = insert_sorted(u->recent_times, &u->n_recent, ev->ts);
		if (habitual_window(u, i, n, &at, &start) &&
			(!(u->flags & MILESTONE_HABITUAL) || at < u->habitual_at))
		{
			u->habitual_at = at;
			reach(e, u, MILESTONE_HABITUAL, 2, seq, at, start);
			/* only uses before habitual_at can form an earlier window */
			while (u->n_recent > 0 && u->recent_times[u->n_recent - 1] >= at)
				u->n_recent--;
		}
		else if (u->n_recent > HABITUAL_MAX_TIMES)
		{
			memmove(u->recent_times, u->recent_times + 1,
					sizeof(TimestampTz) * (u->n_recent - 1));
			u->n_recent--;
		}
	}
}

/* Counts the milestones u reached in this chunk and queues their actions. */
static void
user_actions(Engine *e, UserState *u)
{
	uint8		reached = u->flags & ~u->flags_before;
	int			bit;

	for (bit = 0; bit < 3; bit++)
	{
		if (!(reached & (1 << bit)))
			continue;
		u->group->reached[bit]++;
		if (u->reason[bit] == NULL)
			continue;
		e->current_seq = u->seq[bit];
		add_action(e, u->tenant_id, u->user_id, u->feature_id, milestone_names[bit], u->reason[bit]);
	}
}

/* --- step 3: tenant level --- */

static int
cmp_groups(const void *a, const void *b)
{
	const TfGroup *x = *(TfGroup *const *) a;
	const TfGroup *y = *(TfGroup *const *) b;
	int			c = strcmp(x->tenant_id, y->tenant_id);

	return c != 0 ? c : strcmp(x->feature_id, y->feature_id);
}

static Datum
group_keys(TfGroup **groups, int n, bool feature)
{
	const char **v = palloc(sizeof(char *) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		v[i] = feature ? groups[i]->feature_id : groups[i]->tenant_id;
	return adoption_text_array(v, n);
}

/*
 * Locks the tenant rows of the groups, in key order.  Missing rows are
 * created, which locks them too: such groups are marked created, and have
 * no users in the table yet (a user row is only inserted under its group's
 * lock), which spares them the lookups that follow.  One group whose row
 * exists (a single-row INSERT's) is locked without SQL, for owner
 * (row_lock_for); write_groups then writes it without SQL.
 */
static void
lock_groups(Engine *e, TfGroup **groups, int n, ResourceOwner owner)
{
	Oid			types[2] = {TEXTARRAYOID, TEXTARRAYOID};
	Datum		args[2];
	TfGroup   **old;
	int			n_old = 0;
	uint64		i;
	int			j;
	TupleDesc	desc;

	if (n == 1)
	{
		Oid			relid = adoption_resolve_relid("tenant_feature_counts");

		if (adoption_direct_usable(relid))
		{
			const char *keys[2];

			keys[0] = groups[0]->tenant_id;
			keys[1] = groups[0]->feature_id;
			groups[0]->row = row_lock_for(owner, relid, 2, keys, NULL);
			if (groups[0]->row != NULL)
				return;
		}
	}
	old = palloc(sizeof(TfGroup *) * n);

	args[0] = group_keys(groups, n, false);
	args[1] = group_keys(groups, n, true);
	run_stmt(&create_groups_stmt, n, 2, types, args);
	desc = SPI_tuptable->tupdesc;
	for (i = 0; i < SPI_processed; i++)
	{
		TfGroupKey	key;
		TfGroup    *g;

		key.tenant_id = SPI_getvalue(SPI_tuptable->vals[i], desc, 1);
		key.feature_id = SPI_getvalue(SPI_tuptable->vals[i], desc, 2);
		g = hash_search(e->groups, &key, HASH_FIND, NULL);
		if (g == NULL)
			elog(ERROR, "pg_adoption: created an unknown tenant x feature row");
		g->created = true;
	}
	SPI_freetuptable(SPI_tuptable);

	for (j = 0; j < n; j++)
		if (!groups[j]->created)
			old[n_old++] = groups[j];
	if (n_old == 0)
		return;
	args[0] = group_keys(old, n_old, false);
	args[1] = group_keys(old, n_old, true);
	run_stmt(&lock_groups_stmt, n_old, 2, types, args);
	SPI_freetuptable(SPI_tuptable);
}

/* write_groups for a pair row lock_groups locked without SQL; lets the row go. */
static void
write_group_direct(TfGroup *g)
{
	DirectRow  *row = g->row;
	bool		isnull;
	int			k;

	/* as write_groups_sql: each milestone's users, in the order of the bits */
	for (k = 0; k < 3; k++)
		adoption_row_add(row, psprintf("%s_users", milestone_names[k]), g->reached[k]);
	adoption_row_set(row, "updated_at", TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
					 false);
	adoption_row_update(row);
	g->adopted_users = DatumGetInt32(adoption_row_get(row, "adopted_users", &isnull));
	adoption_row_release(row);
	g->row = NULL;
}

/* Lets go of the pair rows locked without SQL (their locks were rolled back). */
static void
release_group_rows(TfGroup **groups, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		if (groups[i]->row != NULL)
			adoption_row_release(groups[i]->row);
		groups[i]->row = NULL;
	}
}

/* Adds the users who reached a milestone to the pair counts. */
static void
write_groups(TfGroup **all, int n_all)
{
	Oid			types[5] = {TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID, INT4ARRAYOID,
	INT4ARRAYOID};
	DatumArray	a[3];
	Datum		args[5];
	TfGroup   **groups = palloc(sizeof(TfGroup *) * Max(n_all, 1));
	int			n = 0;
	int			i;
	int			k;

	/* the rows locked without SQL are written without SQL */
	for (i = 0; i < n_all; i++)
	{
		if (all[i]->row != NULL)
			write_group_direct(all[i]);
		else
			groups[n++] = all[i];
	}
	if (n == 0)
		return;
	for (k = 0; k < 3; k++)
		da_init(&a[k], n);
	for (i = 0; i < n; i++)
		for (k = 0; k < 3; k++)
			da_add(&a[k], Int32GetDatum(groups[i]->reached[k]), false);
	args[0] = group_keys(groups, n, false);
	args[1] = group_keys(groups, n, true);
	for (k = 0; k < 3; k++)
		args[2 + k] = da_array(&a[k], INT4OID);
	run_stmt(&write_groups_stmt, n, 5, types, args);
	if (SPI_processed != (uint64) n)
		elog(ERROR, "pg_adoption: wrote " UINT64_FORMAT " pair rows instead of %d",
			 SPI_processed, n);
	/* each pair's adopters, for its tenant's evaluation (count_adoptions) */
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		pos = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));

		if (pos < 1 || pos > n)
			elog(ERROR, "pg_adoption: unexpected pair row %ld", (long) pos);
		groups[pos - 1]->adopted_users = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
}

/* --- step 5: write --- */

/* A user's row values, in the order of user_state_columns. */
static void
user_values(UserState *u, Datum *v, bool *isnull)
{
	bytea	   *buf = buffer_encode(u);

	memset(isnull, 0, sizeof(bool) * USER_STATE_COLUMNS);
	v[0] = TimestampTzGetDatum(u->first_used_at);
	v[1] = TimestampTzGetDatum(u->last_used_at);
	v[2] = Int64GetDatum(u->uses);
	v[3] = Int64GetDatum(u->successes);
	v[4] = Int64GetDatum(u->total_duration);
	v[5] = Float8GetDatum(u->count * M_LN2);
	v[6] = TimestampTzGetDatum(u->activated_at);
	isnull[6] = !(u->flags & MILESTONE_ACTIVATED);
	v[7] = TimestampTzGetDatum(u->adopted_at);
	isnull[7] = !(u->flags & MILESTONE_ADOPTED);
	v[8] = TimestampTzGetDatum(u->habitual_at);
	isnull[8] = !(u->flags & MILESTONE_HABITUAL);
	v[9] = PointerGetDatum(buf);
	isnull[9] = buf == NULL;
}

/* Sets the state columns of row to u's, and updated_at to now(). */
static void
set_user_values(DirectRow *row, UserState *u)
{
	Datum		v[USER_STATE_COLUMNS];
	bool		isnull[USER_STATE_COLUMNS];
	int			c;

	user_values(u, v, isnull);
	for (c = 0; c < USER_STATE_COLUMNS; c++)
		adoption_row_set(row, user_state_columns[c], v[c], isnull[c]);
	adoption_row_set(row, "updated_at", TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
					 false);
}

/* Writes the state of a user whose row lock_user_direct locked, and lets the row go. */
static void
write_user_direct(UserState *u)
{
	DirectRow  *row = u->row;

	set_user_values(row, u);
	adoption_row_update(row);
	adoption_row_release(row);
	u->row = NULL;
}

/*
 * Inserts the row of one new user without SQL, if the direct path may be
 * used (false: nothing written, the caller runs the SQL).
 */
static bool
insert_user_direct(UserState *u)
{
	Oid			relid = adoption_resolve_relid("user_feature_state");
	DirectRow  *row;
	bool		done;

	if (!adoption_direct_usable(relid) ||
		pg_class_aclcheck(relid, GetUserId(), ACL_INSERT) != ACLCHECK_OK)
		return false;
	row = adoption_row_new(relid);
	adoption_row_set(row, "tenant_id", CStringGetTextDatum(u->tenant_id), false);
	adoption_row_set(row, "feature_id", CStringGetTextDatum(u->feature_id), false);
	adoption_row_set(row, "user_id", CStringGetTextDatum(u->user_id), false);
	set_user_values(row, u);
	done = adoption_row_insert(row);
	adoption_row_release(row);
	return done;
}

/* Writes users[0..n) with an UPDATE (existing rows) or an INSERT (new ones). */
static void
write_users(UserState **users, int n, bool insert)
{
	Oid			types[13] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
		TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
		FLOAT8ARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID,
	BYTEAARRAYOID};
	DatumArray	a[10];
	Datum		args[13];
	int			i;
	int			k;

	/* the rows locked without SQL are written without SQL */
	for (i = 0, k = 0; i < n; i++)
	{
		if (users[i]->row != NULL)
			write_user_direct(users[i]);
		else
			users[k++] = users[i];
	}
	n = k;
	if (n == 0 || (insert && n == 1 && insert_user_direct(users[0])))
		return;
	for (k = 0; k < 10; k++)
		da_init(&a[k], n);
	for (i = 0; i < n; i++)
	{
		Datum		v[USER_STATE_COLUMNS];
		bool		isnull[USER_STATE_COLUMNS];

		user_values(users[i], v, isnull);
		for (k = 0; k < USER_STATE_COLUMNS; k++)
			da_add(&a[k], v[k], isnull[k]);
	}
	args[0] = text_keys(users, n, 0);
	args[1] = text_keys(users, n, 1);
	args[2] = text_keys(users, n, 2);
	args[3] = da_array(&a[0], TIMESTAMPTZOID);
	args[4] = da_array(&a[1], TIMESTAMPTZOID);
	args[5] = da_array(&a[2], INT8OID);
	args[6] = da_array(&a[3], INT8OID);
	args[7] = da_array(&a[4], INT8OID);
	args[8] = da_array(&a[5], FLOAT8OID);
	args[9] = da_array(&a[6], TIMESTAMPTZOID);
	args[10] = da_array(&a[7], TIMESTAMPTZOID);
	args[11] = da_array(&a[8], TIMESTAMPTZOID);
	args[12] = da_array(&a[9], BYTEAOID);
	if (insert)
		run_stmt(&insert_users_stmt, n, 13, types, args);
	else
		run_stmt(&update_users_stmt, n, 13, types, args);
	if (SPI_processed != (uint64) n)
		elog(ERROR, "pg_adoption: wrote " UINT64_FORMAT " user states instead of %d",
			 SPI_processed, n);
}

static int
cmp_actions(const void *a, const void *b)
{
	const PendingAction *x = a;
	const PendingAction *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->order < y->order ? -1 : (x->order > y->order ? 1 : 0);
}

static void
flush_actions(Engine *e)
{
	const char **t;
	const char **u;
	const char **f;
	const char **m;
	const char **r;
	int			i;
	int			n = e->n_actions;

	if (n == 0)
		return;
	qsort(e->actions, n, sizeof(PendingAction), cmp_actions);
	t = palloc(sizeof(char *) * n);
	u = palloc(sizeof(char *) * n);
	f = palloc(sizeof(char *) * n);
	m = palloc(sizeof(char *) * n);
	r = palloc(sizeof(char *) * n);
	for (i = 0; i < n; i++)
	{
		t[i] = e->actions[i].tenant_id;
		u[i] = e->actions[i].user_id;
		f[i] = e->actions[i].feature_id;
		m[i] = e->actions[i].milestone;
		r[i] = e->actions[i].reason;
	}
	e->enqueued += adoption_enqueue_milestones(n, t, u, f, m, r);
}

/* Merges the events of users that are loaded (or new) and not done yet. */
static void
pass1(Engine *e, bool only_loaded)
{
	int			i;

	for (i = 0; i < e->n_events; i++)
	{
		ChunkEvent *ev = &e->events[i];
		UserState  *u = ev->user;

		if (u->applied || (only_loaded && !u->loaded))
			continue;
		apply_event(e, ev, i);
	}
}

/* Collects the groups that need their pair row locked, sorted by key. */
static TfGroup **
collect_groups(Engine *e, int *n)
{
	HASH_SEQ_STATUS seq;
	TfGroup    *g;
	TfGroup   **out = palloc(sizeof(TfGroup *) * Max(hash_get_num_entries(e->groups), 1));
	int			i;

	*n = 0;
	hash_seq_init(&seq, e->groups);
	while ((g = hash_seq_search(&seq)) != NULL)
		if (g->needs_lock)
			out[(*n)++] = g;
	qsort(out, *n, sizeof(TfGroup *), cmp_groups);
	for (i = 0; i < *n; i++)
		out[i]->index = i;
	return out;
}

/* The chunk's facts of one tenant x user. */
typedef struct TenantUser
{
	const char *tenant_id;		/* hash key, with user_id */
	const char *user_id;
	const AdoptionSettings *settings;
	TimestampTz first;
	TimestampTz last;
	int64		uses;
	int64		successes;
	TimestampTz *times;
	int			n_times;
	int			cap_times;
} TenantUser;

static int
cmp_tenant_users(const void *a, const void *b)
{
	const TenantUser *x = *(TenantUser *const *) a;
	const TenantUser *y = *(TenantUser *const *) b;
	int			c = strcmp(x->tenant_id, y->tenant_id);

	return c != 0 ? c : strcmp(x->user_id, y->user_id);
}

static int
cmp_times(const void *a, const void *b)
{
	TimestampTz x = *(const TimestampTz *) a;
	TimestampTz y = *(const TimestampTz *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * Runs merge_both_stmt: the tenant x user arguments args[0..7) as given
 * (n rows), the statement's tenants (all of them: its events are this
 * chunk) in key order, and notes each tenant's row as merged.
 */
static void
merge_with_tenants(Engine *e, int n, Oid *types, Datum *args)
{
	HASH_SEQ_STATUS seq;
	TouchedTenant *tt;
	TouchedTenant **ts = palloc(sizeof(TouchedTenant *) * Max(hash_get_num_entries(e->tenants), 1));
	const char **ids;
	DatumArray	a[4];
	int			m = 0;
	int			i;

	hash_seq_init(&seq, e->tenants);
	while ((tt = hash_seq_search(&seq)) != NULL)
		ts[m++] = tt;
	qsort(ts, m, sizeof(TouchedTenant *), cmp_tenants);
	ids = palloc(sizeof(char *) * Max(m, 1));
	for (i = 0; i < 4; i++)
		da_init(&a[i], m);
	for (i = 0; i < m; i++)
	{
		ids[i] = ts[i]->tenant_id;
		da_add(&a[0], TimestampTzGetDatum(ts[i]->delta.since), false);
		da_add(&a[1], TimestampTzGetDatum(ts[i]->delta.latest), false);
		da_add(&a[2], Int64GetDatum(ts[i]->delta.uses), false);
		da_add(&a[3], Int64GetDatum(ts[i]->delta.successes), false);
	}
	args[7] = adoption_text_array(ids, m);
	args[8] = da_array(&a[0], TIMESTAMPTZOID);
	args[9] = da_array(&a[1], TIMESTAMPTZOID);
	args[10] = da_array(&a[2], INT8OID);
	args[11] = da_array(&a[3], INT8OID);
	/* one tenant x user means one tenant: the scalar form applies to both */
	run_stmt(&merge_both_stmt, n, 12, types, args);
	if (SPI_processed != (uint64) m)
		elog(ERROR, "pg_adoption: merged " UINT64_FORMAT " tenant_state rows instead of %d",
			 SPI_processed, m);
	for (i = 0; i < (int) SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		char	   *tenant_id = SPI_getvalue(tup, SPI_tuptable->tupdesc, 1);

		tt = hash_search(e->tenants, &tenant_id, HASH_FIND, NULL);
		if (tt == NULL)
			elog(ERROR, "pg_adoption: merged the tenant_state row of an unknown tenant");
		tt->delta.merged = true;
		tt->delta.one_user = false;
		adoption_tenant_row(tup, SPI_tuptable->tupdesc, 2, &tt->delta.stored);
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * merge_with_tenants for one tenant x user, without SQL (direct.c), when
 * its row exists: the row is locked and merged as MERGE_TENANT_USERS_SET
 * merges it, then the tenant's row as ADOPTION_TENANT_STATE_MERGE (the
 * same order of locks as the statement).  Returns false, having changed
 * nothing, when the tenant x user row is missing or the direct path does
 * not apply: the statement then runs.
 */
static bool
merge_both_direct(Engine *e, TenantUser *t, Datum activity)
{
	Oid			relid = adoption_resolve_relid("tenant_user_state");
	const char *keys[2];
	char	   *tenant_id = (char *) t->tenant_id;
	TouchedTenant *tt = hash_search(e->tenants, &tenant_id, HASH_FIND, NULL);
	DirectRow  *r;
	bool		isnull;
	bool		first;
	bool		merged;
	TimestampTz seen;

	if (tt == NULL)
		elog(ERROR, "pg_adoption: a tenant x user row of an unknown tenant");
	if (!adoption_direct_usable(relid))
		return false;
	keys[0] = t->tenant_id;
	keys[1] = t->user_id;
	r = adoption_row_lock(relid, 2, keys, false);
	if (r == NULL)
		return false;
	first = !tt->delta.merged;
	seen = DatumGetTimestampTz(adoption_row_get(r, "last_seen_at", &isnull));
	if (isnull)
		elog(ERROR, "pg_adoption: the last_seen_at of tenant x user (\"%s\", \"%s\") is NULL",
			 t->tenant_id, t->user_id);
	adoption_row_bound(r, "first_seen_at", t->first, false);
	adoption_row_bound(r, "last_seen_at", t->last, true);
	adoption_row_add(r, "uses", t->uses);
	adoption_row_add(r, "successes", t->successes);
	adoption_row_set(r, "activity",
					 DirectFunctionCall2(adoption_merge_activity,
										 adoption_row_get(r, "activity", &isnull), activity),
					 false);
	if (isnull)
		elog(ERROR, "pg_adoption: the activity of tenant x user (\"%s\", \"%s\") is NULL",
			 t->tenant_id, t->user_id);
	adoption_row_set(r, "updated_at", TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
					 false);
	adoption_row_update(r);
	adoption_row_release(r);
	/* without its row, the tenant is merged when it is evaluated (merge_tenant) */
	merged = adoption_tenant_merge_direct(t->tenant_id, &tt->delta);
	tt->delta.one_user = first && merged;
	tt->delta.prior_seen_at = seen;
	return true;
}

/*
 * Merges the chunk's tenant x user facts and activity spans into
 * adoption.tenant_user_state, and notes the earliest event time of each
 * tenant for its evaluation at the end of the statement.
 */
static void
merge_tenant_users(Engine *e, bool with_tenants)
{
	HASHCTL		ctl;
	HTAB	   *tu;
	HASH_SEQ_STATUS seq;
	TenantUser *t;
	TenantUser **rows;
	int			n = 0;
	int			i;
	Oid			types[12] = {TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID,
		TIMESTAMPTZARRAYOID, INT8ARRAYOID, INT8ARRAYOID, BYTEAARRAYOID,
		TEXTARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID, INT8ARRAYOID, INT8ARRAYOID};
	Datum		args[12];
	DatumArray	a[5];
	const char **tenants;
	const char **users;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(TfGroupKey);
	ctl.entrysize = sizeof(TenantUser);
	ctl.hash = group_key_hash;
	ctl.match = group_key_match;
	ctl.hcxt = e->chunk_mcxt;
	tu = hash_create("pg_adoption chunk tenant users", 1024, &ctl,
					 HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	for (i = 0; i < e->n_events; i++)
	{
		ChunkEvent *ev = &e->events[i];
		TfGroupKey	key;
		bool		found;

		key.tenant_id = ev->user->tenant_id;
		key.feature_id = ev->user->user_id;
		t = hash_search(tu, &key, HASH_ENTER, &found);
		if (!found)
		{
			t->settings = &ev->user->group->settings;
			t->first = ev->ts;
			t->last = ev->ts;
			t->uses = 0;
			t->successes = 0;
			t->times = NULL;
			t->n_times = 0;
			t->cap_times = 0;
		}
		t->first = Min(t->first, ev->ts);
		t->last = Max(t->last, ev->ts);
		t->uses++;
		t->successes += ev->success ? 1 : 0;
		t->times = times_room(e, t->times, t->n_times, &t->cap_times);
		t->times[t->n_times++] = ev->ts;
	}

	rows = palloc(sizeof(TenantUser *) * Max(hash_get_num_entries(tu), 1));
	hash_seq_init(&seq, tu);
	while ((t = hash_seq_search(&seq)) != NULL)
		rows[n++] = t;
	qsort(rows, n, sizeof(TenantUser *), cmp_tenant_users);

	tenants = palloc(sizeof(char *) * Max(n, 1));
	users = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < 5; i++)
		da_init(&a[i], n);
	for (i = 0; i < n; i++)
	{
		TouchedTenant *tt;
		bool		found;
		char	   *tenant_id;

		t = rows[i];
		tenants[i] = t->tenant_id;
		users[i] = t->user_id;
		qsort(t->times, t->n_times, sizeof(TimestampTz), cmp_times);
		da_add(&a[0], TimestampTzGetDatum(t->first), false);
		da_add(&a[1], TimestampTzGetDatum(t->last), false);
		da_add(&a[2], Int64GetDatum(t->uses), false);
		da_add(&a[3], Int64GetDatum(t->successes), false);
		da_add(&a[4], PointerGetDatum(adoption_activity_build(t->times, t->n_times,
															   t->settings->active_window)),
			   false);

		tenant_id = (char *) t->tenant_id;
		tt = hash_search(e->tenants, &tenant_id, HASH_ENTER, &found);
		if (!found)
		{
			adoption_entry_set_key(tt, t->tenant_id, e->mcxt);
			memset(&tt->delta, 0, sizeof(TenantDelta));
			tt->delta.since = t->first;
			tt->delta.latest = t->last;
			tt->settings = *t->settings;
		}
		tt->delta.since = Min(tt->delta.since, t->first);
		tt->delta.latest = Max(tt->delta.latest, t->last);
		tt->delta.uses += t->uses;
		tt->delta.successes += t->successes;
	}
	args[0] = adoption_text_array(tenants, n);
	args[1] = adoption_text_array(users, n);
	args[2] = da_array(&a[0], TIMESTAMPTZOID);
	args[3] = da_array(&a[1], TIMESTAMPTZOID);
	args[4] = da_array(&a[2], INT8OID);
	args[5] = da_array(&a[3], INT8OID);
	args[6] = da_array(&a[4], BYTEAOID);
	if (with_tenants)
	{
		if (n == 1 && merge_both_direct(e, rows[0], a[4].values[0]))
			return;
		merge_with_tenants(e, n, types, args);
		return;
	}
	run_stmt(&merge_tenant_users_stmt, n, 7, types, args);

	/* The rows it created are the tenants' new users. */
	for (i = 0; i < (int) SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;
		char	   *tenant_id;
		TouchedTenant *tt;

		if (!DatumGetBool(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull)))
			continue;
		tenant_id = SPI_getvalue(tup, SPI_tuptable->tupdesc, 1);
		tt = hash_search(e->tenants, &tenant_id, HASH_FIND, NULL);
		if (tt == NULL)
			elog(ERROR, "pg_adoption: a tenant x user row of an unknown tenant");
		tt->delta.new_users++;
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * Collects into unseen the users of missing still without a row whose pair
 * existed before this statement (a pair it created has no users yet).
 */
static int
unseen_users(UserState **missing, int n_missing, UserState **unseen)
{
	int			i;
	int			n = 0;

	for (i = 0; i < n_missing; i++)
		if (!missing[i]->loaded && !missing[i]->group->created)
			unseen[n++] = missing[i];
	return n;
}

/*
 * Step 3: locks the pairs (creating the new ones), then looks again for the
 * unseen users (missing[0..n_missing), in key order) of pairs that existed:
 * another session may have created them meanwhile, and they are locked too.
 *
 * A user found that way may be locked by a session that got it in its step
 * 1 and now waits for one of our pairs: waiting for that row would
 * deadlock.  So the second lookup does not wait (NOWAIT), and it runs with
 * the pair locks in a subtransaction.  If a row is locked, the
 * subtransaction is rolled back, which gives up its pair locks and the
 * pairs it created; then the unseen users are locked, waiting, while this
 * session holds no pair (the other one can finish), and the pairs are
 * locked again.  Every retry has found at least one more user, so it ends.
 * The rollback-and-retry is how PL/pgSQL runs an exception block
 * (exec_stmt_block in pl_exec.c).  A transaction that has used most of the
 * backend's subtransaction id cache (adoption_subxact_allowed) waits with
 * the pair locks held instead, and may then deadlock.
 */
static void
lock_pairs_and_unseen(Engine *e, TfGroup **groups, int n_groups,
					  UserState **missing, int n_missing)
{
	MemoryContext mcxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	UserState **unseen;

	if (n_missing == 0)
	{
		if (n_groups > 0)
			lock_groups(e, groups, n_groups, owner);
		return;
	}
	unseen = palloc(sizeof(UserState *) * n_missing);
	for (;;)
	{
		/*
		 * Set inside PG_TRY and read after a longjmp into PG_CATCH: it must
		 * be volatile, or the compiler may keep it in a register that the
		 * longjmp restores to 0 (then nothing is waited for and the loop
		 * spins, allocating, forever).
		 */
		volatile int n_unseen = 0;
		volatile bool blocked = false;
		int			i;
		bool		locked = true;

		for (i = 0; i < n_groups; i++)
			groups[i]->created = false;
		if (!adoption_subxact_allowed())
		{
			/* a long transaction: wait for the rows with the pair locks held */
			if (n_groups > 0)
				lock_groups(e, groups, n_groups, owner);
			lock_users(e, unseen, unseen_users(missing, n_missing, unseen), false);
			return;
		}

		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(mcxt);
		PG_TRY();
		{
			bool		skipped = false;

			if (n_groups > 0)
				lock_groups(e, groups, n_groups, owner);
			n_unseen = unseen_users(missing, n_missing, unseen);
			/* one user: without SQL, and without an error to catch */
			if (n_unseen != 1 || !lock_user_direct(e, unseen[0], owner, &skipped))
				lock_users(e, unseen, n_unseen, true);
			blocked = skipped;
			if (!blocked)
			{
				ReleaseCurrentSubTransaction();
				MemoryContextSwitchTo(mcxt);
				CurrentResourceOwner = owner;
			}
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			edata = adoption_subxact_rollback(mcxt, owner);
			/* only the NOWAIT lookup of unseen users is retried */
			if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE || n_unseen == 0)
				ReThrowError(edata);
			FreeErrorData(edata);
			locked = false;
		}
		PG_END_TRY();
		if (blocked)
		{
			/* what the NOWAIT failure does, without the error */
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(mcxt);
			CurrentResourceOwner = owner;
			locked = false;
		}
		if (locked)
			return;
		release_group_rows(groups, n_groups);
		ereport(DEBUG1,
				(errmsg_internal("pg_adoption: %d unseen users of this statement, one of them locked by another session: waiting without tenant x feature locks",
								 (int) n_unseen)));
		lock_users(e, unseen, (int) n_unseen, false);
	}
}

/*
 * Adds the users who adopted a feature in this chunk to their tenants'
 * deltas (a pair where a user reached a milestone is among those locked).
 */
static void
count_adoptions(Engine *e, TfGroup **groups, int n_groups)
{
	int			i;

	for (i = 0; i < n_groups; i++)
	{
		char	   *tenant_id = (char *) groups[i]->tenant_id;
		TouchedTenant *tt;

		if (groups[i]->reached[MILESTONE_BIT_ADOPTED] == 0)
			continue;
		tt = hash_search(e->tenants, &tenant_id, HASH_FIND, NULL);
		if (tt == NULL)
			elog(ERROR, "pg_adoption: an adoption in tenant \"%s\", which the statement did not merge",
				 groups[i]->tenant_id);
		tt->delta.adoptions += groups[i]->reached[MILESTONE_BIT_ADOPTED];
		adoption_tenant_note_adopted(&tt->delta, groups[i]->feature_id,
									 groups[i]->adopted_users, e->mcxt);
	}
}

/* Processes the gathered chunk and starts a new one. */
static void
engine_flush(Engine *e, bool last)
{
	MemoryContext old;
	HASH_SEQ_STATUS seq;
	UserState  *u;
	UserState **users;
	UserState **missing;
	UserState **known;
	TfGroup   **groups;
	int			n_users;
	int			n_missing = 0;
	int			n_known = 0;
	int			n_groups;
	int			i;

	if (e->n_events == 0)
		return;
	old = MemoryContextSwitchTo(e->chunk_mcxt);

	/* 1. lock and load the users that have a row, in key order */
	n_users = (int) hash_get_num_entries(e->users);
	users = palloc(sizeof(UserState *) * n_users);
	i = 0;
	hash_seq_init(&seq, e->users);
	while ((u = hash_seq_search(&seq)) != NULL)
		users[i++] = u;
	qsort(users, n_users, sizeof(UserState *), cmp_users);
	lock_users(e, users, n_users, false);

	/* 2. merge their events */
	pass1(e, true);
	for (i = 0; i < n_users; i++)
		if (users[i]->loaded)
			users[i]->applied = true;

	/* 3. lock the pairs where a user reached a milestone or was unseen; then the rest */
	missing = palloc(sizeof(UserState *) * n_users);
	for (i = 0; i < n_users; i++)
	{
		u = users[i];
		if (!u->loaded)
		{
			missing[n_missing++] = u;
			u->group->needs_lock = true;
		}
	}
	groups = collect_groups(e, &n_groups);
	lock_pairs_and_unseen(e, groups, n_groups, missing, n_missing);
	pass1(e, false);

	/* 4. write: users, pair counts, tenant x user facts, actions */
	for (i = 0; i < n_users; i++)
		user_actions(e, users[i]);
	known = palloc(sizeof(UserState *) * n_users);
	n_missing = 0;
	for (i = 0; i < n_users; i++)
	{
		if (users[i]->loaded)
			known[n_known++] = users[i];
		else
			missing[n_missing++] = users[i];
	}
	write_users(known, n_known, false);
	write_users(missing, n_missing, true);
	write_groups(groups, n_groups);
	/* the statement's only chunk: its tenants are merged in the same statement */
	merge_tenant_users(e, last && e->n_flushes == 0);
	count_adoptions(e, groups, n_groups);
	e->n_flushes++;
	if (e->enqueue)
		flush_actions(e);

	MemoryContextSwitchTo(old);
	engine_reset_chunk(e);
}

static int
cmp_tenants(const void *a, const void *b)
{
	return strcmp((*(TouchedTenant *const *) a)->tenant_id,
				  (*(TouchedTenant *const *) b)->tenant_id);
}

/*
 * Processes what is left, then evaluates the tenants the statement touched,
 * in key order; returns the number of actions enqueued.
 */
int64
adoption_engine_end(Engine *e)
{
	HASH_SEQ_STATUS seq;
	TouchedTenant *t;
	TouchedTenant **tenants;
	int			n = 0;
	int			i;

	engine_flush(e, true);
	MemoryContextDelete(e->chunk_mcxt);

	tenants = palloc(sizeof(TouchedTenant *) * Max(hash_get_num_entries(e->tenants), 1));
	hash_seq_init(&seq, e->tenants);
	while ((t = hash_seq_search(&seq)) != NULL)
		tenants[n++] = t;
	qsort(tenants, n, sizeof(TouchedTenant *), cmp_tenants);
	for (i = 0; i < n; i++)
		e->enqueued += adoption_tenant_evaluate(tenants[i]->tenant_id, &tenants[i]->delta,
												&tenants[i]->settings, e->enqueue);
	hash_destroy(e->tenants);
	return e->enqueued;
}
