-- test/reference/edge_events.sql: the hand-worked events of
-- test/pgtap/09_reference.sql (their final set: steps 1 to 3 with the late
-- events of step 2) and one more tenant, q, as a data set for
-- test/tap/order_edges.sh, which sends them through the ingest engine in
-- several orders.  Creates schema edge: edge.events (seq: the order listed,
-- which is the order the pgTAP file inserts them) and edge.settings.
-- Tenant q: o failed f six times (Jan 1-6 2025) and then succeeded three
-- times (Jan 7-9: adopted, 3/9); a succeeds with f on Mar 1, 2, 3 10:00
-- (adopted Mar 3 10:00); o uses g on Mar 3 09:00.  At Mar 3 10:00 both
-- are active and adopted (rate 1), but f's successes over them are
-- 3/3 + 3/9 = 6/12 < 0.8: no milestone (without o's g event, a alone
-- would reach it at Mar 3 10:00).  o's old uses of f, long before the
-- window, count: all its uses up to T.
-- Tenants r1 and r2 (feature_adoption_threshold 1, aha_successes 1) are
-- the edges of an event arriving at its tenant's latest time, which the
-- engine settles without the sweep when it can (docs/adoption-state.md).
-- r1: u2 fails y May 1, u1 adopts x May 2 (rate 1/2), u1 fails y Jun 10
-- 10:00, when u2 has left the window (30 days): rate 1/1, successes 1/1,
-- x reached Jun 10 10:00 at an event that adopted nothing.  r2: u1 adopts x
-- May 2 10:00 (1/1: reached), then u2 fails y at the same time: at that
-- only time the rate is 1/2, so there is no milestone.
-- Milestones by hand (09_reference.sql): a/f Oct 15 09:00, b/x Oct 3 10:00,
-- d/z Nov 9 10:00, e/z Oct 2 11:00, f/z Oct 2 10:00, k3/y Sep 11 10:00,
-- k4/z Aug 10 10:00, r1/x Jun 10 10:00; none for c, k, k2, h, q, r2.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS edge CASCADE;
CREATE SCHEMA edge;
CREATE TABLE edge.settings (tenant_id text, aha_successes integer, usage_velocity_threshold integer,
	feature_adoption_threshold float8);
INSERT INTO edge.settings VALUES ('f', 2, 2, 0.5), ('r1', 1, 5, 1.0), ('r2', 1, 5, 1.0);
CREATE TABLE edge.events (seq serial PRIMARY KEY, event_id uuid NOT NULL DEFAULT gen_random_uuid(),
	tenant_id text NOT NULL, user_id text NOT NULL, feature_id text NOT NULL, usage_timestamp timestamptz NOT NULL,
	success_outcome boolean NOT NULL, session_duration integer NOT NULL DEFAULT 0);
INSERT INTO edge.events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome, session_duration) VALUES
	('a', 'u1', 'f', '2025-10-10 12:00+00', true, 100), ('a', 'u1', 'f', '2025-10-11 12:00+00', true, 200),
	('a', 'u1', 'f', '2025-10-12 12:00+00', true, 300), ('a', 'u1', 'f', '2025-10-01 12:00+00', true, 400),
	('a', 'u2', 'f', '2025-10-21 09:00+00', true, 10), ('a', 'u2', 'f', '2025-10-01 09:00+00', true, 20),
	('a', 'u2', 'f', '2025-10-16 09:00+00', false, 30), ('a', 'u2', 'f', '2025-10-25 09:00+00', true, 40),
	('a', 'u2', 'f', '2025-10-03 09:00+00', false, 50), ('a', 'u2', 'f', '2025-10-15 09:00+00', true, 60),
	('a', 'u2', 'f', '2025-10-21 09:00+00', true, 70), ('a', 'u2', 'f', '2025-10-14 09:00+00', true, 80),
	('a', 'u2', 'f', '2025-10-18 09:00+00', true, 90),
	('b', 'p', 'x', '2025-10-01 10:00+00', true, 0), ('b', 'p', 'x', '2025-10-02 10:00+00', true, 0),
	('b', 'p', 'x', '2025-10-03 10:00+00', true, 0), ('b', 'q', 'y', '2025-10-05 10:00+00', true, 0),
	('c', 'r', 'z', '2025-10-10 10:00+00', true, 0), ('c', 'r', 'z', '2025-10-11 10:00+00', true, 0),
	('c', 'r', 'z', '2025-10-12 10:00+00', true, 0),
	('d', 'r', 'z', '2025-10-10 10:00+00', true, 0), ('d', 'r', 'z', '2025-10-11 10:00+00', true, 0),
	('d', 'r', 'z', '2025-10-12 10:00+00', true, 0), ('d', 's', 'w', '2025-10-10 10:00+00', false, 0),
	('d', 'r', 'w', '2025-11-09 10:00+00', true, 0),
	('e', 'old', 'z', '2025-08-01 10:00+00', false, 0), ('e', 'old', 'z', '2025-08-02 10:00+00', false, 0),
	('e', 'm', 'z', '2025-10-01 10:00+00', true, 0), ('e', 'm', 'z', '2025-10-02 10:00+00', true, 0),
	('e', 'm', 'z', '2025-10-02 12:00+00', false, 0), ('e', 'm', 'z', '2025-10-03 10:00+00', true, 0),
	('e', 'm', 'z', '2025-10-04 10:00+00', true, 0),
	('f', 'g', 'z', '2025-10-01 10:00+00', true, 0), ('f', 'h', 'v', '2025-10-01 11:00+00', false, 0),
	('f', 'g', 'z', '2025-10-02 10:00+00', true, 0),
	('h', 'uh', 'hx', '2025-10-01 09:00+00', false, 0), ('h', 'uh', 'hx', '2025-10-09 10:00+00', false, 0),
	('h', 'uh', 'hx', '2025-10-03 09:00+00', false, 0), ('h', 'uh', 'hx', '2025-10-08 09:00+00', false, 0),
	('h', 'uh', 'hx', '2025-10-02 09:00+00', false, 0), ('h', 'uh', 'hx', '2025-10-09 09:00+00', false, 0),
	('h', 'uh', 'hx', '2025-10-04 09:00+00', false, 0),
	-- Step 2's late events.
	('c', 's', 'w', '2025-10-09 10:00+00', false, 0), ('e', 'm', 'z', '2025-10-02 11:00+00', true, 0),
	-- Step 3.
	('k', 'v', 'y', '2025-07-01 10:00+00', true, 0), ('k2', 'v', 'y', '2025-07-01 10:00+00', true, 0),
	('k3', 'v', 'y', '2025-07-01 10:00+00', true, 0), ('k', 'v', 'y', '2025-07-02 10:00+00', true, 0),
	('k2', 'v', 'y', '2025-07-02 10:00+00', true, 0), ('k3', 'v', 'y', '2025-07-02 10:00+00', true, 0),
	('k', 'v', 'y', '2025-07-03 10:00+00', false, 0), ('k2', 'v', 'y', '2025-07-03 10:00+00', false, 0),
	('k3', 'v', 'y', '2025-07-03 10:00+00', false, 0), ('k', 'v', 'y', '2025-09-10 10:00+00', true, 0),
	('k2', 'v', 'y', '2025-09-10 10:00+00', true, 0), ('k3', 'v', 'y', '2025-09-10 10:00+00', true, 0),
	('k', 'w', 'x', '2025-09-09 10:00+00', true, 0), ('k3', 'v', 'y', '2025-09-11 10:00+00', true, 0),
	('k4', 'v', 'z', '2025-07-05 10:00+00', false, 0), ('k4', 'v', 'z', '2025-07-06 10:00+00', false, 0),
	('k4', 'v', 'z', '2025-07-07 10:00+00', false, 0), ('k4', 'v', 'z', '2025-07-08 10:00+00', false, 0),
	('k4', 'w', 'z', '2025-07-20 10:00+00', true, 0), ('k4', 'w', 'z', '2025-07-21 10:00+00', true, 0),
	('k4', 'w', 'z', '2025-07-22 10:00+00', true, 0), ('k4', 'w', 'z', '2025-08-10 10:00+00', true, 0),
	-- Tenant q.
	('q', 'o', 'f', '2025-01-01 10:00+00', false, 0), ('q', 'o', 'f', '2025-01-02 10:00+00', false, 0),
	('q', 'o', 'f', '2025-01-03 10:00+00', false, 0), ('q', 'o', 'f', '2025-01-04 10:00+00', false, 0),
	('q', 'o', 'f', '2025-01-05 10:00+00', false, 0), ('q', 'o', 'f', '2025-01-06 10:00+00', false, 0),
	('q', 'o', 'f', '2025-01-07 10:00+00', true, 0), ('q', 'o', 'f', '2025-01-08 10:00+00', true, 0),
	('q', 'o', 'f', '2025-01-09 10:00+00', true, 0), ('q', 'a', 'f', '2025-03-01 10:00+00', true, 0),
	('q', 'a', 'f', '2025-03-02 10:00+00', true, 0), ('q', 'a', 'f', '2025-03-03 10:00+00', true, 0),
	('q', 'o', 'g', '2025-03-03 09:00+00', true, 0),
	-- Tenants r1 and r2 (theta 1, one success adopts).
	('r1', 'u2', 'y', '2025-05-01 10:00+00', false, 0), ('r1', 'u1', 'x', '2025-05-02 10:00+00', true, 0),
	('r1', 'u1', 'y', '2025-06-10 10:00+00', false, 0),
	('r2', 'u1', 'x', '2025-05-02 10:00+00', true, 0), ('r2', 'u2', 'y', '2025-05-02 10:00+00', false, 0);
-- Fixed ids, so that every load sends the same events.
UPDATE edge.events SET event_id = md5('edge-event:' || seq)::uuid;
