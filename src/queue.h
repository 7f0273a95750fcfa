/*
 * queue.h: the ring of the campaign action queue (docs/action-queue.md):
 * its size, the one place it is stated (actions.sql reads it through
 * adoption.action_ring_slots() and adoption.action_generation_ids()).
 */
#ifndef ADOPTION_QUEUE_H
#define ADOPTION_QUEUE_H

#include "postgres.h"

/* Parts of the ring, and ids in a generation. */
#define ADOPTION_RING_SLOTS 16
#define ADOPTION_GENERATION_IDS 16384

/* The slot of the ring that holds the generation of action_id. */
static inline int
adoption_action_slot(int64 action_id)
{
	return (int) ((action_id / ADOPTION_GENERATION_IDS) % ADOPTION_RING_SLOTS);
}

#endif							/* ADOPTION_QUEUE_H */
