-- pg_adoption's Citus functions on a node without Citus (docs/citus.md):
-- distribute() says why it cannot, the shard scope is a no-op or an error
-- that names Citus, and the per-tenant functions take the one-node path.
SET client_min_messages = warning;
SELECT * FROM adoption.distribute();
SELECT adoption.citus_distributed() AS distributed, adoption.citus_on_shard() AS on_shard,
	adoption.citus_table('tenants') AS tenants_table;
SELECT adoption.citus_enter_tenant('acme');
SELECT adoption.citus_enter_tenant(NULL);
-- Not a shard: nothing changes, and the scope ends cleanly.
SELECT adoption.citus_enter_shard('adoption.tenants') AS entered, adoption.citus_on_shard() AS on_shard;
SELECT adoption.citus_leave();
SELECT adoption.citus_table('feature_usage_events') AS event_log;
