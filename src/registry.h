/*
 * registry.h: registration of unseen tenants and features by the ingest path.
 */
#ifndef ADOPTION_REGISTRY_H
#define ADOPTION_REGISTRY_H

#include "postgres.h"

typedef struct RegistryBatch RegistryBatch;

extern RegistryBatch *adoption_registry_begin(MemoryContext mcxt);
extern long adoption_registry_note(RegistryBatch *b, const char *tenant_id,
								   const char *feature_id,
								   const char *feature_name);
extern void adoption_registry_flush(RegistryBatch *b);

/* Cache callbacks (pg_adoption.c registers them). */
extern void adoption_registry_invalidate(Oid relid);
extern void adoption_registry_xact_end(bool commit);
extern void adoption_registry_subxact_abort(void);

#endif							/* ADOPTION_REGISTRY_H */
