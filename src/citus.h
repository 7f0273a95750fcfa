/*
 * citus.h: the table resolver of the ingest path (src/citus.c).
 */
#ifndef ADOPTION_CITUS_H
#define ADOPTION_CITUS_H

#include "postgres.h"

#include "executor/spi.h"
#include "utils/rel.h"

extern bool adoption_citus_on_shard(void);
extern char *adoption_resolve_table(const char *relname);
extern Oid	adoption_resolve_relid(const char *relname);
extern const char *adoption_resolve_sql(const char *sql);
extern SPIPlanPtr *adoption_plan_slot(SPIPlanPtr *slot);
extern void adoption_citus_defer(int n, const char *const *tenant_ids,
								 const char *const *feature_ids,
								 const char *const *feature_names, int64 actions);
extern bool adoption_citus_enter_relation(Relation rel);
extern void adoption_citus_leave(void);
extern bool adoption_citus_dispatching(void);
extern int64 adoption_citus_run_sum(const char *tenant_id, const char *call);
extern void adoption_citus_invalidate(Oid relid);
extern void adoption_citus_xact_end(void);
extern void adoption_citus_init(void);

#endif							/* ADOPTION_CITUS_H */
