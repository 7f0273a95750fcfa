/*
 * registry.h: registration of unseen tenants and features by the ingest path.
 */
#ifndef ADOPTION_REGISTRY_H
#define ADOPTION_REGISTRY_H

typedef struct RegistryBatch RegistryBatch;

extern RegistryBatch *adoption_registry_begin(MemoryContext mcxt);
extern long adoption_registry_note(RegistryBatch *b, const char *tenant_id,
								   const char *feature_id,
								   const char *feature_name);
extern void adoption_registry_flush(RegistryBatch *b);

#endif							/* ADOPTION_REGISTRY_H */
