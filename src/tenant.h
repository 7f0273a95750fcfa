/*
 * tenant.h: per tenant state (adoption.tenant_user_state's activity spans,
 * adoption.tenant_state) and the tenant milestone feature_adopted.
 */
#ifndef ADOPTION_TENANT_H
#define ADOPTION_TENANT_H

#include "utils/timestamp.h"

#include "pg_adoption.h"

/* Activity spans of sorted event times times[0..n), merged within window. */
extern bytea *adoption_activity_build(const TimestampTz *times, int n, int64 window);

/*
 * Locks the tenant's row of adoption.tenant_state (creating it), then
 * brings the tenant's state and feature_adopted milestones up to date for
 * events at or after since (the earliest event time the statement added);
 * returns the number of actions enqueued.
 */
extern int64 adoption_tenant_evaluate(const char *tenant_id, TimestampTz since,
									  const AdoptionSettings *s, bool enqueue);

/* JSON text of a timestamp and of a double, for evidence. */
extern char *adoption_json_time(TimestampTz t);
extern char *adoption_json_float(double v);

#endif							/* ADOPTION_TENANT_H */
