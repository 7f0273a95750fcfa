/*
 * actions.h: enqueueing campaign actions for milestones.
 */
#ifndef ADOPTION_ACTIONS_H
#define ADOPTION_ACTIONS_H

#include "postgres.h"

extern bool adoption_milestone_enabled(const char *milestone);
extern void adoption_actions_invalidate(Oid relid);
extern int64 adoption_enqueue_milestones(int n, const char *const *tenant_ids,
										 const char *const *user_ids,
										 const char *const *feature_ids,
										 const char *const *milestones,
										 const char *const *reasons);
extern void adoption_notify_actions(int64 count);

#endif							/* ADOPTION_ACTIONS_H */
