/*
 * settings.h: the tenant settings (adoption.settings, settings.c) and the
 * server setting pg_adoption.engine_chunk_keys.
 *
 * ADOPTION_TENANT_SETTINGS lists every column of adoption.settings the C
 * code reads, with how it is held: INT4 (int32), FLOAT8 (double) or
 * INTERVAL (int64 microseconds, a month counting 30 days; NULL, i.e. none,
 * reads 0).  It makes the fields of AdoptionSettings and the loader's
 * column table.  The values come already resolved (the tenant's override,
 * else the default) from adoption.settings_in_force(), so the list holds no
 * defaults.  Adding a setting the C code reads: one line here (see
 * docs/development.md, "Adding a tenant setting").
 */
#ifndef ADOPTION_SETTINGS_H
#define ADOPTION_SETTINGS_H

#include "postgres.h"

#define ADOPTION_TENANT_SETTINGS(X) \
	X(aha_successes, INT4) \
	X(usage_velocity_threshold, INT4) \
	X(feature_adoption_threshold, FLOAT8) \
	X(success_outcome_rate, FLOAT8) \
	X(active_window, INTERVAL) \
	X(nudge_after, INTERVAL) \
	X(dormant_after, INTERVAL) \
	X(max_future_skew, INTERVAL) \
	X(max_attempts, INT4) \
	X(event_retention, INTERVAL) \
	X(weight_usage_trend, FLOAT8) \
	X(weight_adoption, FLOAT8) \
	X(weight_support, FLOAT8) \
	X(weight_billing, FLOAT8) \
	X(weight_feedback, FLOAT8)

#define ADOPTION_SETTING_CTYPE_INT4		int32
#define ADOPTION_SETTING_CTYPE_FLOAT8	double
#define ADOPTION_SETTING_CTYPE_INTERVAL	int64

/* Effective settings of one tenant: its overrides, else the defaults. */
typedef struct AdoptionSettings
{
#define ADOPTION_SETTING_FIELD(name, kind) ADOPTION_SETTING_CTYPE_##kind name;
	ADOPTION_TENANT_SETTINGS(ADOPTION_SETTING_FIELD)
#undef ADOPTION_SETTING_FIELD
} AdoptionSettings;

extern void adoption_get_settings(const char *tenant_id, AdoptionSettings *out);
extern void adoption_settings_invalidate(Oid relid);

/*
 * pg_adoption.engine_chunk_keys: the user x feature keys the engine holds
 * before it writes their state (see state.h); defined by _PG_init.
 */
#define ADOPTION_ENGINE_CHUNK_KEYS		100000
extern int	adoption_engine_chunk_keys;

#endif							/* ADOPTION_SETTINGS_H */
