/*
 * helpers.h: small helpers shared by the concerns of the extension
 * (helpers.c).
 */
#ifndef ADOPTION_HELPERS_H
#define ADOPTION_HELPERS_H

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

/*
 * Set by citus.c on a Citus node: the plan slot of a kept statement on the
 * current shard, and its SQL naming that shard's tables (NULL elsewhere).
 * Hooks rather than a call, so that these helpers depend on nothing.
 */
typedef SPIPlanPtr *(*adoption_plan_slot_fn) (SPIPlanPtr *slot);
typedef const char *(*adoption_resolve_sql_fn) (const char *sql);
extern adoption_plan_slot_fn adoption_plan_slot_hook;
extern adoption_resolve_sql_fn adoption_resolve_sql_hook;

#endif							/* ADOPTION_HELPERS_H */
