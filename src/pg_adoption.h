/*
 * pg_adoption.h: the headers of the helpers and the settings together, for
 * the files that include them in one line (the ingest trigger, the engine,
 * the tenant level).  New code includes the header of each concern it
 * calls instead.  Module start-up (pg_adoption.c) has no header: nothing
 * calls it.
 */
#ifndef PG_ADOPTION_H
#define PG_ADOPTION_H

#include "helpers.h"
#include "settings.h"

#endif							/* PG_ADOPTION_H */
