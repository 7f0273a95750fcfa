/*
 * state.c: the adoption engine.  It turns events, in arrival order, into
 * adoption.user_feature_state, adoption.tenant_feature_state and milestone
 * actions.  The ingest trigger feeds it the rows of a statement; rebuild()
 * feeds it the whole log in arrival order, so both run the same code.
 *
 * Design.  Events are gathered into chunks (at most engine_chunk_keys
 * distinct user x feature keys or ENGINE_CHUNK_EVENTS events) so memory
 * stays bounded for a COPY of any size.  A chunk is processed set-wise:
 *
 *   1. lock and load the state of every key of the chunk, in key order
 *      (SELECT ... FOR UPDATE, one index probe per key through a LATERAL
 *      join);
 *   2. pass 1 applies the events to the user states in arrival order and
 *      notes, per event, whether a user-level fact changed (the user
 *      activated, adopted, became habitual, or became active again after
 *      active_window without use) and the user's facts after it.  Users
 *      are independent here, so the users found in step 1 go first;
 *   3. the tenant x feature rows of the pairs with such a change, or with a
 *      user seen for the first time, are locked (in key order, all at
 *      once).  That lock is what makes first sight safe: a new user x
 *      feature row is only ever inserted under the lock of its pair, so
 *      after taking it the keys still missing are looked up again (a
 *      concurrent session may have created them meanwhile; that lookup
 *      never waits while the pair locks are held, see
 *      lock_pairs_and_unseen) and only those still missing are new; then
 *      pass 1 runs for those users;
 *   4. only the pairs with a user-level change are evaluated: the facts of
 *      all their users are loaded, and pass 2 replays the chunk's events of
 *      those pairs and, at each change, recounts active users, adopters and
 *      success rate, as of the pair's latest use, and checks the
 *      feature_adopted milestone.  Events that change nothing at user level
 *      never touch a tenant row, so concurrent sessions ingesting for one
 *      tenant do not serialize on it;
 *   5. one UPDATE writes the known user states and one INSERT the new ones,
 *      one UPDATE the tenant states (their rows exist since step 3), one
 *      INSERT enqueues the milestone actions (actions.c).
 *
 * The kept plans are generic (CURSOR_OPT_GENERIC_PLAN): their shape does not
 * depend on the arrays' contents, and a custom plan would be planned again
 * at every statement.  Each statement also has a scalar form, used when a
 * chunk has one row for it (a single-row INSERT), whose executor starts far
 * faster than unnest() over one-element arrays (see run_stmt).
 *
 * The result depends only on the events and their arrival order, not on
 * how they were split into statements or chunks (batch invariance), which
 * is what lets rebuild() reproduce the state.
 *
 * Milestones (SPEC 3), each reached at most once and then fixed:
 *   activated  the first event to arrive; activated_at is its time;
 *   adopted    the aha_successes-th successful use: adopted_at is the
 *              aha_successes-th smallest success time (the smallest ones are
 *              kept until then, so late events count where they belong);
 *   habitual   usage_velocity_threshold uses whose times span less than
 *              7 days; habitual_at is the time of the use completing the
 *              first such window.  Use times within HABITUAL_HORIZON of the
 *              latest are kept until then, so a late event is placed
 *              exactly unless it is more than HABITUAL_HORIZON minus 7 days
 *              older than the latest use.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/shortest_dec.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "pg_adoption.h"
#include "actions.h"
#include "state.h"
#include "velocity.h"

#define ENGINE_CHUNK_EVENTS	ADOPTION_ENGINE_CHUNK_EVENTS

#define HABITUAL_WINDOW		((int64) 7 * USECS_PER_DAY)
/*
 * A user who is not habitual has fewer than n uses in any 7 days, so a year
 * of their use times is at most 53 (n - 1) entries: keeping a year makes
 * bulk loads in any order (a file not sorted by time) find every window.
 * At most 4096 times (32 kB) are kept, whatever the threshold (it can be set
 * up to 1000): beyond that the oldest go first.
 */
#define HABITUAL_HORIZON	((int64) 366 * USECS_PER_DAY)
#define HABITUAL_MAX_TIMES(n) Min(53 * ((n) - 1) + 16, 4096)

typedef struct TfGroup TfGroup;

/* State of one user x feature while a chunk is processed. */
typedef struct UserState
{
	/* hash key: the three ids (tenant and feature strings belong to the group) */
	const char *tenant_id;
	const char *feature_id;
	const char *user_id;

	TfGroup	   *group;
	int			member;			/* position in group->members, or -1 */
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
	int			n_success;		/* smallest success times, until adopted */
	TimestampTz *success_times;
	int			n_recent;		/* recent use times, until habitual */
	int			cap_recent;
	TimestampTz *recent_times;
} UserState;

typedef struct UserKey
{
	const char *tenant_id;
	const char *feature_id;
	const char *user_id;
} UserKey;

/* A user's facts as the tenant recount needs them. */
typedef struct Member
{
	const char *user_id;
	TimestampTz last_used_at;
	int64		uses;
	int64		successes;
	uint8		flags;
	bool		active;			/* counted in the group's active sums */
} Member;

/* An entry of a group's min-heap of active members by last use. */
typedef struct ActiveEntry
{
	TimestampTz last_used_at;
	int			member;
} ActiveEntry;

/* One tenant x feature pair of the chunk. */
struct TfGroup
{
	const char *tenant_id;		/* hash key */
	const char *feature_id;		/* hash key */
	AdoptionSettings settings;	/* the tenant's */
	int			index;
	bool		needs_eval;
	bool		needs_lock;
	bool		created;		/* its tenant row was created by this chunk */

	/* loaded for evaluation */
	bool		feature_adopted;
	TimestampTz feature_adopted_at;
	Member	   *members;
	int			n_members;
	TimestampTz ref;			/* latest use among members */
	bool		has_ref;

	/*
	 * Running counts over the members, kept as the replay goes, so that a
	 * recount costs O(log n) instead of a pass over every user: the active
	 * members (last use less than active_window before ref) are summed, and
	 * a min-heap by last use finds those that fall out as ref advances.
	 */
	int			n_activated;
	int			n_adopted;
	int			n_habitual;
	int			n_active;
	int			n_active_adopters;
	int64		active_uses;
	int64		active_successes;
	ActiveEntry *heap;
	int			heap_n;
	int			heap_cap;

	/* result of the last evaluation */
	bool		evaluated;
	int			activated_users;
	int			adopted_users;
	int			habitual_users;
	int			active_users;
	int			active_adopters;
	double		adoption_rate;
	double		success_rate;
	bool		has_rates;
	TimestampTz evaluated_at;
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
	bool		changed;		/* a user-level fact changed */
	TimestampTz change_at;		/* when: the latest milestone time it set */
	TimestampTz after_last;
	int64		after_uses;
	int64		after_successes;
	uint8		after_flags;
} ChunkEvent;

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

static char *
json_time(TimestampTz t)
{
	char		buf[MAXDATELEN + 1];

	JsonEncodeDateTime(buf, TimestampTzGetDatum(t), TIMESTAMPTZOID, NULL);
	return psprintf("\"%s\"", buf);
}

static char *
json_float(double v)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(v, buf);
	return pstrdup(buf);
}

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
	if (len < 8 || ns < 0 || nr < 0 || ns > 1000000 || nr > 1000000 ||
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
	u->success_times = MemoryContextAlloc(mcxt, sizeof(TimestampTz) * (ns + 1));
	u->cap_recent = nr + 1;
	u->recent_times = MemoryContextAlloc(mcxt, sizeof(TimestampTz) * u->cap_recent);
	memcpy(u->success_times, p + 8, 8 * ns);
	memcpy(u->recent_times, p + 8 + 8 * ns, 8 * nr);
}

static bytea *
buffer_encode(UserState *u)
{
	int			ns = (u->flags & MILESTONE_ADOPTED) ? 0 : u->n_success;
	int			nr = (u->flags & MILESTONE_HABITUAL) ? 0 : u->n_recent;
	int			len = 8 + 8 * (ns + nr);
	bytea	   *b;
	int32		v;

	if (ns == 0 && nr == 0 &&
		(u->flags & (MILESTONE_ADOPTED | MILESTONE_HABITUAL)) ==
		(MILESTONE_ADOPTED | MILESTONE_HABITUAL))
		return NULL;
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
	e->max_keys = adoption_engine_chunk_keys;
	e->chunk_mcxt = AllocSetContextCreate(CurrentMemoryContext,
										  "pg_adoption engine chunk",
										  ALLOCSET_DEFAULT_SIZES);
	engine_reset_chunk(e);
	return e;
}

static void engine_flush(Engine *e);

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
			g->needs_eval = false;
			g->needs_lock = false;
			g->created = false;
			g->members = NULL;
			g->n_members = 0;
			g->evaluated = false;
			g->feature_adopted = false;
			g->has_ref = false;
		}
		memset(u, 0, sizeof(UserState));
		u->tenant_id = g->tenant_id;
		u->feature_id = g->feature_id;
		u->user_id = MemoryContextStrdup(e->chunk_mcxt, user_id);
		u->group = g;
		u->member = -1;
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
		engine_flush(e);
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
"INSERT INTO adoption.tenant_feature_state (tenant_id, feature_id)"
" SELECT pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])"
" ON CONFLICT DO NOTHING RETURNING tenant_id, feature_id";

static const char *const lock_groups_sql =
"SELECT k.n, s.feature_adopted_at"
" FROM (SELECT pg_catalog.unnest($1::pg_catalog.text[]) AS t, pg_catalog.unnest($2::pg_catalog.text[]) AS f,"
"  pg_catalog.generate_series(1::pg_catalog.int8, pg_catalog.cardinality($1::pg_catalog.text[])) AS n) AS k"
" CROSS JOIN LATERAL (SELECT * FROM adoption.tenant_feature_state AS x"
"  WHERE x.tenant_id OPERATOR(pg_catalog.=) k.t AND x.feature_id OPERATOR(pg_catalog.=) k.f"
"  FOR UPDATE) AS s";

static const char *const load_members_sql =
"SELECT k.n, s.user_id, s.last_used_at, s.uses, s.successes,"
" s.activated_at IS NOT NULL, s.adopted_at IS NOT NULL, s.habitual_at IS NOT NULL"
" FROM (SELECT pg_catalog.unnest($1::pg_catalog.text[]) AS t, pg_catalog.unnest($2::pg_catalog.text[]) AS f,"
"  pg_catalog.generate_series(1::pg_catalog.int8, pg_catalog.cardinality($1::pg_catalog.text[])) AS n) AS k"
" CROSS JOIN LATERAL (SELECT * FROM adoption.user_feature_state AS x"
"  WHERE x.tenant_id OPERATOR(pg_catalog.=) k.t AND x.feature_id OPERATOR(pg_catalog.=) k.f) AS s";

static const char *const write_groups_sql =
"UPDATE adoption.tenant_feature_state AS s SET"
" activated_users = k.act, adopted_users = k.adp, habitual_users = k.hab, active_users = k.active,"
" active_adopters = k.active_adp, adoption_rate = k.rate, success_rate = k.srate,"
" evaluated_at = k.evaluated, feature_adopted_at = k.adopted_at, updated_at = pg_catalog.now()"
" FROM (SELECT pg_catalog.unnest($1::pg_catalog.text[]) AS t, pg_catalog.unnest($2::pg_catalog.text[]) AS f,"
"  pg_catalog.unnest($3::pg_catalog.int4[]) AS act, pg_catalog.unnest($4::pg_catalog.int4[]) AS adp,"
"  pg_catalog.unnest($5::pg_catalog.int4[]) AS hab, pg_catalog.unnest($6::pg_catalog.int4[]) AS active,"
"  pg_catalog.unnest($7::pg_catalog.int4[]) AS active_adp, pg_catalog.unnest($8::pg_catalog.float8[]) AS rate,"
"  pg_catalog.unnest($9::pg_catalog.float8[]) AS srate, pg_catalog.unnest($10::pg_catalog.timestamptz[]) AS evaluated,"
"  pg_catalog.unnest($11::pg_catalog.timestamptz[]) AS adopted_at) AS k"
" WHERE s.tenant_id OPERATOR(pg_catalog.=) k.t AND s.feature_id OPERATOR(pg_catalog.=) k.f";

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
	"INSERT INTO adoption.tenant_feature_state (tenant_id, feature_id) VALUES ($1, $2)"
	" ON CONFLICT DO NOTHING RETURNING tenant_id, feature_id"};
static Stmt lock_groups_stmt = {&lock_groups_sql,
	"SELECT 1::pg_catalog.int8, s.feature_adopted_at FROM adoption.tenant_feature_state AS s"
	" WHERE s.tenant_id OPERATOR(pg_catalog.=) $1 AND s.feature_id OPERATOR(pg_catalog.=) $2"
	" FOR UPDATE"};
static Stmt load_members_stmt = {&load_members_sql,
	"SELECT 1::pg_catalog.int8, s.user_id, s.last_used_at, s.uses, s.successes,"
	" s.activated_at IS NOT NULL, s.adopted_at IS NOT NULL, s.habitual_at IS NOT NULL"
	" FROM adoption.user_feature_state AS s"
	" WHERE s.tenant_id OPERATOR(pg_catalog.=) $1 AND s.feature_id OPERATOR(pg_catalog.=) $2"};
static Stmt write_groups_stmt = {&write_groups_sql,
	"UPDATE adoption.tenant_feature_state SET activated_users = $3, adopted_users = $4,"
	" habitual_users = $5, active_users = $6, active_adopters = $7, adoption_rate = $8,"
	" success_rate = $9, evaluated_at = $10, feature_adopted_at = $11, updated_at = pg_catalog.now()"
	" WHERE tenant_id OPERATOR(pg_catalog.=) $1 AND feature_id OPERATOR(pg_catalog.=) $2"};

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
	{
		nestlevel = NewGUCNestLevel();
		(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		(void) set_config_option("enable_hashjoin", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		(void) set_config_option("enable_mergejoin", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}
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

static TimestampTz
get_ts(HeapTuple tup, TupleDesc desc, int col, bool *isnull)
{
	return DatumGetTimestampTz(SPI_getbinval(tup, desc, col, isnull));
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
		bool		isnull;
		int64		pos = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		UserState  *u;
		Datum		d;

		if (pos < 1 || pos > n)
			elog(ERROR, "pg_adoption: unexpected state row %ld", (long) pos);
		u = users[pos - 1];
		u->loaded = true;
		u->first_used_at = get_ts(tup, desc, 2, &isnull);
		u->last_used_at = get_ts(tup, desc, 3, &isnull);
		u->uses = DatumGetInt64(SPI_getbinval(tup, desc, 4, &isnull));
		u->successes = DatumGetInt64(SPI_getbinval(tup, desc, 5, &isnull));
		u->total_duration = DatumGetInt64(SPI_getbinval(tup, desc, 6, &isnull));
		u->count = DatumGetFloat8(SPI_getbinval(tup, desc, 7, &isnull)) / M_LN2;
		u->flags = 0;
		u->activated_at = get_ts(tup, desc, 8, &isnull);
		if (!isnull)
			u->flags |= MILESTONE_ACTIVATED;
		u->adopted_at = get_ts(tup, desc, 9, &isnull);
		if (!isnull)
			u->flags |= MILESTONE_ADOPTED;
		u->habitual_at = get_ts(tup, desc, 10, &isnull);
		if (!isnull)
			u->flags |= MILESTONE_HABITUAL;
		d = SPI_getbinval(tup, desc, 11, &isnull);
		if (!isnull)
			buffer_decode(u, DatumGetByteaPP(d), e->chunk_mcxt);
		else
		{
			u->n_success = 0;
			u->n_recent = 0;
		}
	}
	SPI_freetuptable(SPI_tuptable);
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
					 milestone, json_time(reached_at), u->uses, u->successes,
					 json_time(u->first_used_at));
	if (strcmp(milestone, "adopted") == 0)
		appendStringInfo(r, ", \"aha_successes\": %d", s->aha_successes);
	else if (strcmp(milestone, "habitual") == 0)
		appendStringInfo(r, ", \"usage_velocity_threshold\": %d, \"window\": \"7 days\", \"window_start\": %s, \"velocity_per_week\": %s",
						 s->usage_velocity_threshold, json_time(window_start),
						 json_float(u->count * M_LN2));
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

/* Drops recent use times that can no longer form a window, and the excess. */
static void
prune_recent(UserState *u, int n)
{
	TimestampTz latest = u->recent_times[u->n_recent - 1];
	int			drop = 0;

	while (drop < u->n_recent &&
		   adoption_ts_sub(latest, u->recent_times[drop]) > HABITUAL_HORIZON)
		drop++;
	if (u->n_recent - drop > HABITUAL_MAX_TIMES(n))
		drop = u->n_recent - HABITUAL_MAX_TIMES(n);
	if (drop > 0)
	{
		memmove(u->recent_times, u->recent_times + drop,
				sizeof(TimestampTz) * (u->n_recent - drop));
		u->n_recent -= drop;
	}
}

/* Applies one event to its user; returns true if a user-level fact changed. */
static bool
apply_event(Engine *e, ChunkEvent *ev)
{
	UserState  *u = ev->user;
	const AdoptionSettings *s = &u->group->settings;
	bool		changed = false;
	bool		first = (u->uses == 0);

	ev->change_at = ev->ts;
	if (first)
		u->first_used_at = ev->ts;
	else
	{
		if (ev->ts < u->first_used_at)
			u->first_used_at = ev->ts;
		/* Active again after a gap longer than active_window. */
		if (adoption_ts_sub(ev->ts, u->last_used_at) > s->active_window)
			changed = true;
	}
	velocity_add_use(&u->count, &u->last_used_at, !first, ev->ts);
	u->uses++;
	u->total_duration += ev->duration;
	if (ev->success)
		u->successes++;

	if (first)
	{
		u->activated_at = ev->ts;
		u->flags |= MILESTONE_ACTIVATED;
		changed = true;
		if (e->enqueue && adoption_milestone_enabled("activated"))
			add_action(e, u->tenant_id, u->user_id, u->feature_id, "activated",
					   reason_user("activated", u, s, ev->ts, ev->ts));
	}

	if (ev->success && !(u->flags & MILESTONE_ADOPTED))
	{
		int			k = s->aha_successes;

		u->success_times = u->success_times == NULL ?
			MemoryContextAlloc(e->chunk_mcxt, sizeof(TimestampTz) * (k + 1)) :
			repalloc(u->success_times, sizeof(TimestampTz) * (Max(u->n_success, k) + 1));
		insert_sorted(u->success_times, &u->n_success, ev->ts);
		if (u->n_success > k)
			u->n_success = k;	/* keep the k smallest */
		if (u->successes >= k)
		{
			u->adopted_at = u->success_times[Min(k, u->n_success) - 1];
			u->flags |= MILESTONE_ADOPTED;
			u->n_success = 0;
			changed = true;
			ev->change_at = Max(ev->change_at, u->adopted_at);
			if (e->enqueue && adoption_milestone_enabled("adopted"))
				add_action(e, u->tenant_id, u->user_id, u->feature_id, "adopted",
						   reason_user("adopted", u, s, u->adopted_at, u->adopted_at));
		}
	}

	if (!(u->flags & MILESTONE_HABITUAL))
	{
		int			n = s->usage_velocity_threshold;
		int			i;
		TimestampTz at = 0;
		TimestampTz start = 0;

		if (u->recent_times == NULL || u->n_recent + 1 > u->cap_recent)
		{
			u->cap_recent = Max(8, 2 * (u->n_recent + 1));
			u->recent_times = u->recent_times == NULL ?
				MemoryContextAlloc(e->chunk_mcxt, sizeof(TimestampTz) * u->cap_recent) :
				repalloc(u->recent_times, sizeof(TimestampTz) * u->cap_recent);
		}
		i = insert_sorted(u->recent_times, &u->n_recent, ev->ts);
		if (habitual_window(u, i, n, &at, &start))
		{
			u->habitual_at = at;
			u->flags |= MILESTONE_HABITUAL;
			u->n_recent = 0;
			changed = true;
			ev->change_at = Max(ev->change_at, at);
			if (e->enqueue && adoption_milestone_enabled("habitual"))
				add_action(e, u->tenant_id, u->user_id, u->feature_id, "habitual",
						   reason_user("habitual", u, s, at, start));
		}
		else
			prune_recent(u, n);
	}
	return changed;
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

static int
cmp_members(const void *a, const void *b)
{
	return strcmp(((const Member *) a)->user_id, ((const Member *) b)->user_id);
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
 * lock), which spares them the lookups that follow.
 */
static void
lock_groups(Engine *e, TfGroup **groups, int n)
{
	Oid			types[2] = {TEXTARRAYOID, TEXTARRAYOID};
	Datum		args[2];
	TfGroup   **old = palloc(sizeof(TfGroup *) * n);
	int			n_old = 0;
	uint64		i;
	int			j;
	TupleDesc	desc;

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
			elog(ERROR, "pg_adoption: created an unknown tenant state row");
		g->created = true;
		g->feature_adopted = false;
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
	desc = SPI_tuptable->tupdesc;
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		pos = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], desc, 1, &isnull));
		TfGroup    *g = old[pos - 1];

		g->feature_adopted_at = get_ts(SPI_tuptable->vals[i], desc, 2, &isnull);
		g->feature_adopted = !isnull;
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * Loads the facts of all users of the groups (locked by lock_groups): those
 * with a row, as the row is before this chunk, and the chunk's new users,
 * with no use yet.
 */
static void
load_members(Engine *e, TfGroup **groups, int n, UserState **users, int n_users)
{
	Oid			types[2] = {TEXTARRAYOID, TEXTARRAYOID};
	Datum		args[2];
	int		   *counts = palloc0(sizeof(int) * n);
	TfGroup   **old = palloc(sizeof(TfGroup *) * n);
	int			n_old = 0;
	uint64		i;
	uint64		n_rows = 0;
	int			j;
	TupleDesc	desc = NULL;
	SPITupleTable *rows = NULL;
	MemoryContext oldcxt;

	for (j = 0; j < n; j++)
		if (!groups[j]->created)
			old[n_old++] = groups[j];
	if (n_old > 0)
	{
		args[0] = group_keys(old, n_old, false);
		args[1] = group_keys(old, n_old, true);
		run_stmt(&load_members_stmt, n_old, 2, types, args);
		rows = SPI_tuptable;
		n_rows = SPI_processed;
		desc = rows->tupdesc;
	}
	for (i = 0; i < n_rows; i++)
	{
		bool		isnull;
		int64		pos = DatumGetInt64(SPI_getbinval(rows->vals[i], desc, 1, &isnull));

		counts[old[pos - 1]->index]++;
	}
	for (j = 0; j < n_users; j++)
		if (!users[j]->loaded && users[j]->group->needs_eval)
			counts[users[j]->group->index]++;

	oldcxt = MemoryContextSwitchTo(e->chunk_mcxt);
	for (j = 0; j < n; j++)
	{
		groups[j]->members = palloc(sizeof(Member) * Max(counts[j], 1));
		groups[j]->n_members = 0;
	}
	for (i = 0; i < n_rows; i++)
	{
		HeapTuple	tup = rows->vals[i];
		bool		isnull;
		int64		pos = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		TfGroup    *g = old[pos - 1];
		Member	   *m = &g->members[g->n_members++];

		m->user_id = pstrdup(SPI_getvalue(tup, desc, 2));
		m->last_used_at = get_ts(tup, desc, 3, &isnull);
		m->uses = DatumGetInt64(SPI_getbinval(tup, desc, 4, &isnull));
		m->successes = DatumGetInt64(SPI_getbinval(tup, desc, 5, &isnull));
		m->flags = 0;
		if (DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull)))
			m->flags |= MILESTONE_ACTIVATED;
		if (DatumGetBool(SPI_getbinval(tup, desc, 7, &isnull)))
			m->flags |= MILESTONE_ADOPTED;
		if (DatumGetBool(SPI_getbinval(tup, desc, 8, &isnull)))
			m->flags |= MILESTONE_HABITUAL;
		if (m->uses > 0 && (!g->has_ref || m->last_used_at > g->ref))
		{
			g->ref = m->last_used_at;
			g->has_ref = true;
		}
	}
	for (j = 0; j < n_users; j++)
	{
		UserState  *u = users[j];

		if (!u->loaded && u->group->needs_eval)
		{
			Member	   *m = &u->group->members[u->group->n_members++];

			m->user_id = u->user_id;
			m->last_used_at = 0;
			m->uses = 0;
			m->successes = 0;
			m->flags = 0;
		}
	}
	MemoryContextSwitchTo(oldcxt);
	if (rows != NULL)
		SPI_freetuptable(rows);
	for (j = 0; j < n; j++)
		qsort(groups[j]->members, groups[j]->n_members, sizeof(Member), cmp_members);
}

/* Returns the index of user_id among the group's members. */
static int
find_member(TfGroup *g, const char *user_id)
{
	int			lo = 0;
	int			hi = g->n_members - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strcmp(g->members[mid].user_id, user_id);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	elog(ERROR, "pg_adoption: user \"%s\" missing from tenant state load", user_id);
	return -1;					/* keep compiler quiet */
}

/* --- the running counts of a group --- */

static void
heap_push(Engine *e, TfGroup *g, TimestampTz last, int member)
{
	int			i;

	if (g->heap_n == g->heap_cap)
	{
		g->heap_cap = Max(16, 2 * g->heap_cap);
		g->heap = g->heap == NULL ?
			MemoryContextAlloc(e->chunk_mcxt, sizeof(ActiveEntry) * g->heap_cap) :
			repalloc(g->heap, sizeof(ActiveEntry) * g->heap_cap);
	}
	i = g->heap_n++;
	while (i > 0 && g->heap[(i - 1) / 2].last_used_at > last)
	{
		g->heap[i] = g->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	g->heap[i].last_used_at = last;
	g->heap[i].member = member;
}

static void
heap_pop(TfGroup *g)
{
	ActiveEntry last = g->heap[--g->heap_n];
	int			i = 0;

	for (;;)
	{
		int			c = 2 * i + 1;

		if (c >= g->heap_n)
			break;
		if (c + 1 < g->heap_n && g->heap[c + 1].last_used_at < g->heap[c].last_used_at)
			c++;
		if (g->heap[c].last_used_at >= last.last_used_at)
			break;
		g->heap[i] = g->heap[c];
		i = c;
	}
	if (g->heap_n > 0)
		g->heap[i] = last;
}

/* Adds (sign 1) or removes (sign -1) a member from the counts of all members. */
static void
count_flags(TfGroup *g, Member *m, int sign)
{
	if (m->uses == 0)
		return;
	if (m->flags & MILESTONE_ACTIVATED)
		g->n_activated += sign;
	if (m->flags & MILESTONE_ADOPTED)
		g->n_adopted += sign;
	if (m->flags & MILESTONE_HABITUAL)
		g->n_habitual += sign;
}

static void
count_active(TfGroup *g, Member *m, int sign)
{
	g->n_active += sign;
	g->active_uses += sign * m->uses;
	g->active_successes += sign * m->successes;
	if (m->flags & MILESTONE_ADOPTED)
		g->n_active_adopters += sign;
}

/* Drops from the active sums the members whose last use fell out of the window. */
static void
expire_active(TfGroup *g)
{
	while (g->heap_n > 0 &&
		   adoption_ts_sub(g->ref, g->heap[0].last_used_at) >= g->settings.active_window)
	{
		Member	   *m = &g->members[g->heap[0].member];

		/* Entries of a member that changed since are stale. */
		if (m->active && m->last_used_at == g->heap[0].last_used_at)
		{
			count_active(g, m, -1);
			m->active = false;
		}
		heap_pop(g);
	}
}

/* Counts the members as loaded, before the chunk's events. */
static void
init_counts(Engine *e, TfGroup *g)
{
	int			i;

	g->n_activated = g->n_adopted = g->n_habitual = 0;
	g->n_active = g->n_active_adopters = 0;
	g->active_uses = g->active_successes = 0;
	g->heap = NULL;
	g->heap_n = g->heap_cap = 0;
	for (i = 0; i < g->n_members; i++)
	{
		Member	   *m = &g->members[i];

		m->active = false;
		count_flags(g, m, 1);
		if (m->uses > 0 &&
			adoption_ts_sub(g->ref, m->last_used_at) < g->settings.active_window)
		{
			m->active = true;
			count_active(g, m, 1);
			heap_push(e, g, m->last_used_at, i);
		}
	}
}

/* Gives member i of g the facts a user has after one of its events. */
static void
update_member(Engine *e, TfGroup *g, int i, const ChunkEvent *ev)
{
	Member	   *m = &g->members[i];

	count_flags(g, m, -1);
	if (m->active)
	{
		count_active(g, m, -1);
		m->active = false;
	}
	m->last_used_at = ev->after_last;
	m->uses = ev->after_uses;
	m->successes = ev->after_successes;
	m->flags = ev->after_flags;
	count_flags(g, m, 1);
	if (!g->has_ref || m->last_used_at > g->ref)
	{
		g->ref = m->last_used_at;
		g->has_ref = true;
	}
	if (adoption_ts_sub(g->ref, m->last_used_at) < g->settings.active_window)
	{
		m->active = true;
		count_active(g, m, 1);
		heap_push(e, g, m->last_used_at, i);
	}
	expire_active(g);
}

/*
 * Takes the counts of a group as of its latest use; checks the
 * feature_adopted milestone, which is reached at "at", the time of the user
 * milestone (or use) that triggered the recount.
 */
#ifdef USE_ASSERT_CHECKING
/* Checks the running counts against a plain recount of every member. */
static void
check_counts(TfGroup *g)
{
	int			i;
	int			activated = 0,
				adopted = 0,
				habitual = 0,
				active = 0,
				active_adopters = 0;
	int64		uses = 0,
				successes = 0;

	for (i = 0; i < g->n_members; i++)
	{
		Member	   *m = &g->members[i];

		if (m->uses == 0)
			continue;
		activated += (m->flags & MILESTONE_ACTIVATED) != 0;
		adopted += (m->flags & MILESTONE_ADOPTED) != 0;
		habitual += (m->flags & MILESTONE_HABITUAL) != 0;
		if (adoption_ts_sub(g->ref, m->last_used_at) < g->settings.active_window)
		{
			active++;
			uses += m->uses;
			successes += m->successes;
			active_adopters += (m->flags & MILESTONE_ADOPTED) != 0;
		}
	}
	Assert(activated == g->n_activated && adopted == g->n_adopted &&
		   habitual == g->n_habitual && active == g->n_active &&
		   active_adopters == g->n_active_adopters &&
		   uses == g->active_uses && successes == g->active_successes);
}
#endif

static void
evaluate_group(Engine *e, TfGroup *g, TimestampTz at)
{
	const AdoptionSettings *s = &g->settings;
	int64		active_uses = g->active_uses;
	int64		active_successes = g->active_successes;

#ifdef USE_ASSERT_CHECKING
	check_counts(g);
#endif

	g->activated_users = g->n_activated;
	g->adopted_users = g->n_adopted;
	g->habitual_users = g->n_habitual;
	g->active_users = g->n_active;
	g->active_adopters = g->n_active_adopters;
	g->evaluated = true;
	g->evaluated_at = g->ref;
	g->has_rates = g->active_users > 0 && active_uses > 0;
	if (g->has_rates)
	{
		g->adoption_rate = (double) g->active_adopters / (double) g->active_users;
		g->success_rate = (double) active_successes / (double) active_uses;
	}
	if (!g->feature_adopted && g->has_rates &&
		g->adoption_rate >= s->feature_adoption_threshold &&
		g->success_rate >= s->success_outcome_rate)
	{
		g->feature_adopted = true;
		g->feature_adopted_at = at;
		if (e->enqueue && adoption_milestone_enabled("feature_adopted"))
		{
			StringInfo	r = reason_buffer();

			appendStringInfo(r, "{\"milestone\": \"feature_adopted\", \"reached_at\": %s, "
							 "\"active_users\": %d, \"active_adopters\": %d, "
							 "\"adoption_rate\": %s, \"feature_adoption_threshold\": %s, "
							 "\"success_rate\": %s, \"success_outcome_rate\": %s, "
							 "\"active_window\": \"%s\"}",
							 json_time(at), g->active_users, g->active_adopters,
							 json_float(g->adoption_rate),
							 json_float(s->feature_adoption_threshold),
							 json_float(g->success_rate),
							 json_float(s->success_outcome_rate),
							 adoption_usecs_text(s->active_window));
			add_action(e, g->tenant_id, NULL, g->feature_id, "feature_adopted", pstrdup(r->data));
		}
	}
}

static void
write_groups(TfGroup **groups, int n)
{
	Oid			types[11] = {TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID, INT4ARRAYOID,
		INT4ARRAYOID, INT4ARRAYOID, INT4ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID,
	TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID};
	DatumArray	a[9];
	Datum		args[11];
	int			i;
	int			k;

	for (k = 0; k < 9; k++)
		da_init(&a[k], n);
	for (i = 0; i < n; i++)
	{
		TfGroup	   *g = groups[i];

		da_add(&a[0], Int32GetDatum(g->activated_users), false);
		da_add(&a[1], Int32GetDatum(g->adopted_users), false);
		da_add(&a[2], Int32GetDatum(g->habitual_users), false);
		da_add(&a[3], Int32GetDatum(g->active_users), false);
		da_add(&a[4], Int32GetDatum(g->active_adopters), false);
		da_add(&a[5], Float8GetDatum(g->adoption_rate), !g->has_rates);
		da_add(&a[6], Float8GetDatum(g->success_rate), !g->has_rates);
		da_add(&a[7], TimestampTzGetDatum(g->evaluated_at), false);
		da_add(&a[8], TimestampTzGetDatum(g->feature_adopted_at), !g->feature_adopted);
	}
	args[0] = group_keys(groups, n, false);
	args[1] = group_keys(groups, n, true);
	args[2] = da_array(&a[0], INT4OID);
	args[3] = da_array(&a[1], INT4OID);
	args[4] = da_array(&a[2], INT4OID);
	args[5] = da_array(&a[3], INT4OID);
	args[6] = da_array(&a[4], INT4OID);
	args[7] = da_array(&a[5], FLOAT8OID);
	args[8] = da_array(&a[6], FLOAT8OID);
	args[9] = da_array(&a[7], TIMESTAMPTZOID);
	args[10] = da_array(&a[8], TIMESTAMPTZOID);
	run_stmt(&write_groups_stmt, n, 11, types, args);
}

/* --- step 5: write --- */

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

	if (n == 0)
		return;
	for (k = 0; k < 10; k++)
		da_init(&a[k], n);
	for (i = 0; i < n; i++)
	{
		UserState  *u = users[i];
		bytea	   *buf = buffer_encode(u);

		da_add(&a[0], TimestampTzGetDatum(u->first_used_at), false);
		da_add(&a[1], TimestampTzGetDatum(u->last_used_at), false);
		da_add(&a[2], Int64GetDatum(u->uses), false);
		da_add(&a[3], Int64GetDatum(u->successes), false);
		da_add(&a[4], Int64GetDatum(u->total_duration), false);
		da_add(&a[5], Float8GetDatum(u->count * M_LN2), false);
		da_add(&a[6], TimestampTzGetDatum(u->activated_at), !(u->flags & MILESTONE_ACTIVATED));
		da_add(&a[7], TimestampTzGetDatum(u->adopted_at), !(u->flags & MILESTONE_ADOPTED));
		da_add(&a[8], TimestampTzGetDatum(u->habitual_at), !(u->flags & MILESTONE_HABITUAL));
		da_add(&a[9], PointerGetDatum(buf), buf == NULL);
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

/* Pass 1 for the events of users that are loaded (or new) and not done yet. */
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
		e->current_seq = i;
		ev->changed = apply_event(e, ev);
		ev->after_last = u->last_used_at;
		ev->after_uses = u->uses;
		ev->after_successes = u->successes;
		ev->after_flags = u->flags;
		if (ev->changed)
			u->group->needs_eval = true;
	}
}

/* Collects the groups for which keep(g) holds, sorted by key. */
static TfGroup **
collect_groups(Engine *e, bool lock, int *n)
{
	HASH_SEQ_STATUS seq;
	TfGroup    *g;
	TfGroup   **out = palloc(sizeof(TfGroup *) * Max(hash_get_num_entries(e->groups), 1));
	int			i;

	*n = 0;
	hash_seq_init(&seq, e->groups);
	while ((g = hash_seq_search(&seq)) != NULL)
		if (lock ? g->needs_lock : g->needs_eval)
			out[(*n)++] = g;
	qsort(out, *n, sizeof(TfGroup *), cmp_groups);
	for (i = 0; i < *n; i++)
		out[i]->index = i;
	return out;
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
			lock_groups(e, groups, n_groups);
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
		int			i;
		bool		locked = true;

		for (i = 0; i < n_groups; i++)
			groups[i]->created = false;
		if (!adoption_subxact_allowed())
		{
			/* a long transaction: wait for the rows with the pair locks held */
			if (n_groups > 0)
				lock_groups(e, groups, n_groups);
			lock_users(e, unseen, unseen_users(missing, n_missing, unseen), false);
			return;
		}

		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(mcxt);
		PG_TRY();
		{
			if (n_groups > 0)
				lock_groups(e, groups, n_groups);
			n_unseen = unseen_users(missing, n_missing, unseen);
			lock_users(e, unseen, n_unseen, true);
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(mcxt);
			CurrentResourceOwner = owner;
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
		if (locked)
			return;
		ereport(DEBUG1,
				(errmsg_internal("pg_adoption: %d unseen users of this statement, one of them locked by another session: waiting without tenant x feature locks",
								 (int) n_unseen)));
		lock_users(e, unseen, (int) n_unseen, false);
	}
}

/* Processes the gathered chunk and starts a new one. */
static void
engine_flush(Engine *e)
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

	/* 2. pass 1 for them */
	pass1(e, true);
	for (i = 0; i < n_users; i++)
		if (users[i]->loaded)
			users[i]->applied = true;

	/* 3. lock the pairs that changed or have unseen users; then the rest */
	missing = palloc(sizeof(UserState *) * n_users);
	for (i = 0; i < n_users; i++)
	{
		u = users[i];
		if (!u->loaded)
		{
			missing[n_missing++] = u;
			u->group->needs_lock = true;
		}
		else if (u->group->needs_eval)
			u->group->needs_lock = true;
	}
	groups = collect_groups(e, true, &n_groups);
	lock_pairs_and_unseen(e, groups, n_groups, missing, n_missing);
	pass1(e, false);

	/* 4. evaluate the pairs with a user-level change */
	groups = collect_groups(e, false, &n_groups);
	if (n_groups > 0)
	{
		load_members(e, groups, n_groups, users, n_users);
		for (i = 0; i < n_users; i++)
			if (users[i]->group->needs_eval)
				users[i]->member = find_member(users[i]->group, users[i]->user_id);
		for (i = 0; i < n_groups; i++)
			init_counts(e, groups[i]);
		for (i = 0; i < e->n_events; i++)
		{
			ChunkEvent *ev = &e->events[i];
			TfGroup    *eg = ev->user->group;

			if (!eg->needs_eval)
				continue;
			update_member(e, eg, ev->user->member, ev);
			e->current_seq = i;
			if (ev->changed)
				evaluate_group(e, eg, ev->change_at);
		}
		write_groups(groups, n_groups);
	}

	/* 5. write: known users updated, new ones inserted, actions enqueued */
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
	if (e->enqueue)
		flush_actions(e);

	MemoryContextSwitchTo(old);
	engine_reset_chunk(e);
}

/* Processes what is left; returns the number of actions enqueued. */
int64
adoption_engine_end(Engine *e)
{
	engine_flush(e);
	MemoryContextDelete(e->chunk_mcxt);
	return e->enqueued;
}
