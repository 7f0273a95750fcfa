/*
 * rebuild.sql: recomputing adoption state from the event log.
 */
CREATE FUNCTION adoption.rebuild(tenant_id text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'adoption_rebuild'
LANGUAGE C;
COMMENT ON FUNCTION adoption.rebuild(text) IS 'Recomputes user and tenant adoption state of one tenant (or all) by replaying the event log in arrival order through the ingest engine; enqueues no action; blocks ingest until the transaction ends; returns the number of events replayed';
