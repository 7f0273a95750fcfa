/*
 * tenant.h: per tenant state (adoption.tenant_user_state's activity spans,
 * adoption.tenant_state) and the tenant milestone feature_adopted.
 */
#ifndef ADOPTION_TENANT_H
#define ADOPTION_TENANT_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "utils/timestamp.h"

#include "pg_adoption.h"

/* Activity spans of sorted event times times[0..n), merged within window. */
extern bytea *adoption_activity_build(const TimestampTz *times, int n, int64 window);

/* What adoption.tenant_state holds of a tenant once a statement merged into it. */
typedef struct TenantRow
{
	TimestampTz last_event_at;
	int			active_users;
	int			open_adopters;
	bool		has_milestone;	/* last_feature_adopted_at is not NULL */
	TimestampTz last_feature_adopted_at;
} TenantRow;

/* What one statement added to a tenant: merged into adoption.tenant_state. */
typedef struct TenantDelta
{
	TimestampTz since;			/* earliest event time */
	TimestampTz latest;			/* latest event time */
	int64		uses;
	int64		successes;
	int64		adoptions;		/* users who adopted a feature of the tenant */
	int			n_adopted;		/* the features they adopted, with each one's */
	int			cap_adopted;	/* adopted_users after the statement */
	const char **adopted_features;
	int		   *adopted_counts;
	int			new_users;		/* tenant_user_state rows it created */
	bool		merged;			/* already merged into tenant_state (locked) */
	TenantRow	stored;			/* if merged: the row */

	/*
	 * Set when the statement's only merge was of one existing user, row by
	 * row (state.c's direct path): the tenant's last_event_at and the
	 * user's last_seen_at before it.  settled_in_order then counts the
	 * active users from the stored count instead of reading every user.
	 */
	bool		one_user;
	TimestampTz prior_event_at;
	TimestampTz prior_seen_at;
} TenantDelta;

/*
 * The columns of adoption.tenant_state (aliased s) that TenantRow holds, in
 * its order, for a RETURNING list; adoption_tenant_row reads them from
 * column first on.
 */
#define ADOPTION_TENANT_ROW_COLUMNS \
"s.last_event_at, s.active_users, s.open_adopters, s.last_feature_adopted_at"
extern void adoption_tenant_row(HeapTuple tup, TupleDesc desc, int first, TenantRow *row);
extern bool adoption_tenant_merge_direct(const char *tenant_id, TenantDelta *d);
extern void adoption_tenant_note_adopted(TenantDelta *d, const char *feature_id, int adopted_users,
										 MemoryContext mcxt);
extern Datum adoption_merge_activity(PG_FUNCTION_ARGS);

/*
 * Merges the statement's delta into the tenant's row of
 * adoption.tenant_state (which locks it) unless the engine did, then brings the tenant's active
 * users and feature_adopted milestones up to date for events at or after
 * delta->since; returns the number of actions enqueued.
 */
extern int64 adoption_tenant_evaluate(const char *tenant_id, const TenantDelta *delta,
									  const AdoptionSettings *s, bool enqueue);

/*
 * The merge of a statement's totals into an existing adoption.tenant_state
 * row (aliased s): the engine's single-chunk statement (state.c) and
 * merge_tenant (tenant.c) both use it.
 */
#define ADOPTION_TENANT_STATE_MERGE \
" ON CONFLICT (tenant_id) DO UPDATE SET" \
" first_event_at = LEAST(s.first_event_at, EXCLUDED.first_event_at)," \
" last_event_at = GREATEST(s.last_event_at, EXCLUDED.last_event_at)," \
" users = s.users OPERATOR(pg_catalog.+) EXCLUDED.users," \
" uses = s.uses OPERATOR(pg_catalog.+) EXCLUDED.uses," \
" successes = s.successes OPERATOR(pg_catalog.+) EXCLUDED.successes," \
" updated_at = EXCLUDED.updated_at"

/* JSON text of a timestamp and of a double, for evidence. */
extern char *adoption_json_time(TimestampTz t);
extern char *adoption_json_float(double v);

#endif							/* ADOPTION_TENANT_H */
