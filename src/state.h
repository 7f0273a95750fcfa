/*
 * state.h: the adoption engine, shared by the ingest trigger and rebuild().
 */
#ifndef ADOPTION_STATE_H
#define ADOPTION_STATE_H

#include "utils/timestamp.h"

typedef struct Engine Engine;

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
