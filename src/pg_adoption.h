/*
 * pg_adoption.h: declarations shared by the C module's concerns.
 */
#ifndef PG_ADOPTION_H
#define PG_ADOPTION_H

#include "postgres.h"

#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/hsearch.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#define ADOPTION_SCHEMA "adoption"

/* Longest piece of a user's value quoted back in an error message. */
#define ADOPTION_MSG_VALUE_MAX 64

/* Effective settings of one tenant: the defaults row merged with its overrides. */
typedef struct AdoptionSettings
{
	int32		aha_successes;
	int32		usage_velocity_threshold;
	double		feature_adoption_threshold;
	double		success_outcome_rate;
	int64		active_window;		/* microseconds */
	int64		nudge_after;		/* microseconds */
	int64		dormant_after;		/* microseconds */
	int64		max_future_skew;	/* microseconds */
	int32		max_attempts;
	int64		event_retention;	/* microseconds; 0 = keep forever */
	double		weight_usage_trend;
	double		weight_adoption;
	double		weight_support;
	double		weight_billing;
	double		weight_feedback;
} AdoptionSettings;

/* pg_adoption.c */
extern int	adoption_engine_chunk_keys;
extern bool adoption_subxact_allowed(void);
extern ErrorData *adoption_subxact_rollback(MemoryContext mcxt, ResourceOwner owner);
extern HTAB *adoption_string_htab(const char *name, Size entrysize,
								  long nelem, MemoryContext mcxt);
extern char *adoption_entry_set_key(void *entry, const char *key,
									MemoryContext mcxt);
extern Oid	adoption_relid(const char *relname);
extern char *adoption_msg_value(const char *value);
extern int64 adoption_interval_usecs(const Interval *span);
extern char *adoption_usecs_text(int64 usecs);
extern Datum adoption_text_array(const char *const *values, int n);
extern ArrayType *adoption_writable_array(FunctionCallInfo fcinfo, int argno);
extern TriggerData *adoption_before_row_trigger(FunctionCallInfo fcinfo,
											   const char *function, HeapTuple *row);
extern int	adoption_index_plans_begin(void);
extern int	adoption_run_kept_plan(SPIPlanPtr *plan, const char *sql, int nargs,
								   Oid *types, Datum *args, const char *nulls);

/* settings.c */
extern void adoption_get_settings(const char *tenant_id, AdoptionSettings *out);
extern void adoption_settings_invalidate(Oid relid);

/* feedback.c */
extern void adoption_feedback_invalidate(Oid relid);

/* registry.c */
extern void adoption_registry_invalidate(Oid relid);
extern void adoption_registry_xact_end(bool commit);
extern void adoption_registry_subxact_abort(void);

#endif							/* PG_ADOPTION_H */
