/*
 * feedback.h: the server side of the feedback categorizer (feedback.c).
 */
#ifndef ADOPTION_FEEDBACK_H
#define ADOPTION_FEEDBACK_H

#include "postgres.h"

/* Empties the lexicon cache if relid is adoption.lexicon (or everything changed). */
extern void adoption_feedback_invalidate(Oid relid);

#endif							/* ADOPTION_FEEDBACK_H */
