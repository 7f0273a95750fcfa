/*
 * state.h: the adoption engine, shared by the ingest trigger and rebuild().
 */
#ifndef ADOPTION_STATE_H
#define ADOPTION_STATE_H

#include "utils/timestamp.h"

typedef struct Engine Engine;

/*
 * The engine writes a chunk's state when it holds pg_adoption.engine_chunk_keys
 * distinct user x feature keys (default ADOPTION_ENGINE_CHUNK_KEYS, settings.h) or
 * ADOPTION_ENGINE_CHUNK_EVENTS events: the bound on its memory.  A key whose
 * events fall in several chunks is read and written once per chunk.
 */
#define ADOPTION_ENGINE_CHUNK_EVENTS	500000

/* Milestones, in the order of their bits in a user's flags. */
#define MILESTONE_ACTIVATED	0x01
#define MILESTONE_ADOPTED	0x02
#define MILESTONE_HABITUAL	0x04

extern Engine *adoption_engine_begin(bool enqueue_actions);
extern void adoption_engine_add(Engine *e, const char *tenant_id,
								const char *user_id, const char *feature_id,
								TimestampTz ts, int32 duration, bool success);
extern int64 adoption_engine_end(Engine *e);

#endif							/* ADOPTION_STATE_H */
