/*
 * inputs.sql: the tables the application writes besides the event log.
 *
 * Each has CHECK constraints (which hold even when triggers are bypassed, as
 * on a logical-replication subscriber) and a C BEFORE ROW trigger,
 * adoption.check_input(kind), that rejects the same bad rows first with a
 * message naming the column and the value.
 */

CREATE FUNCTION adoption.check_input()
RETURNS trigger
AS 'MODULE_PATHNAME', 'adoption_check_input'
LANGUAGE C;
COMMENT ON FUNCTION adoption.check_input() IS 'BEFORE ROW trigger: validates a row of an input table (argument: the table kind)';

CREATE TRIGGER tenants_check_input
	BEFORE INSERT OR UPDATE ON adoption.tenants
	FOR EACH ROW EXECUTE FUNCTION adoption.check_input('tenants');
CREATE TRIGGER features_check_input
	BEFORE INSERT OR UPDATE ON adoption.features
	FOR EACH ROW EXECUTE FUNCTION adoption.check_input('features');
/*
 * features.upgrade_feature_id names a feature of the catalog: what a foreign
 * key to the table itself would do (DEFERRABLE INITIALLY DEFERRED, ON DELETE
 * SET NULL), done by triggers, because pg_dump cannot order the rows of a
 * self-referencing table ("circular foreign-key constraints") and a plain
 * dump would need --disable-triggers.  As in ri_triggers.c, the check locks
 * the upgrade feature FOR KEY SHARE, so that a concurrent DELETE of it waits
 * and the later of the two sees the other.
 */
CREATE FUNCTION adoption.check_upgrade_feature()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	upgrade text;
	found_it boolean;
BEGIN
	/*
	 * Deferred to commit: check the row as it is then (if it still exists).
	 * In the table the trigger fired on (TG_RELID): on Citus, the shard of
	 * the reference table on this node, which holds every row.
	 */
	EXECUTE format('SELECT f.upgrade_feature_id FROM %s AS f WHERE f.feature_id OPERATOR(pg_catalog.=) $1',
		TG_RELID::regclass) INTO upgrade USING NEW.feature_id;
	IF upgrade IS NULL THEN
		RETURN NULL;
	END IF;
	EXECUTE format('SELECT true FROM %s AS f WHERE f.feature_id OPERATOR(pg_catalog.=) $1 FOR KEY SHARE',
		TG_RELID::regclass) INTO found_it USING upgrade;
	IF found_it IS NULL THEN
		RAISE EXCEPTION 'upgrade_feature_id "%" of feature "%" is not in adoption.features', upgrade, NEW.feature_id
			USING ERRCODE = 'foreign_key_violation',
				HINT = 'Insert that feature first (in the same transaction is enough: the check runs at commit), or set upgrade_feature_id to NULL.';
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION adoption.check_upgrade_feature() IS 'Deferred constraint trigger: a feature''s upgrade_feature_id names a feature of the catalog';

CREATE CONSTRAINT TRIGGER features_upgrade_feature_exists
	AFTER INSERT OR UPDATE OF feature_id, upgrade_feature_id ON adoption.features
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW WHEN (NEW.upgrade_feature_id IS NOT NULL)
	EXECUTE FUNCTION adoption.check_upgrade_feature();

CREATE FUNCTION adoption.release_upgrade_feature()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	/* ON DELETE SET NULL, and the same when the key itself changes. */
	/* In the table the trigger fired on: on Citus, this node's shard of the reference table. */
	EXECUTE format('UPDATE %1$s AS f SET upgrade_feature_id = NULL'
		' WHERE f.upgrade_feature_id OPERATOR(pg_catalog.=) $1'
		' AND NOT EXISTS (SELECT FROM %1$s AS g WHERE g.feature_id OPERATOR(pg_catalog.=) $1)',
		TG_RELID::regclass) USING OLD.feature_id;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION adoption.release_upgrade_feature() IS 'AFTER DELETE trigger: the features whose upgrade_feature_id named a deleted (or renamed) feature get NULL';

CREATE TRIGGER features_release_upgrade_feature
	AFTER DELETE OR UPDATE OF feature_id ON adoption.features
	FOR EACH ROW EXECUTE FUNCTION adoption.release_upgrade_feature();

CREATE TRIGGER launches_check_input
	BEFORE INSERT OR UPDATE ON adoption.launches
	FOR EACH ROW EXECUTE FUNCTION adoption.check_input('launches');

/*
 * What a feedback text says, as adoption.categorize_feedback() returns it
 * (feedback.sql).  The table adoption.feedback stores it with each row:
 * its last columns are this type's (LIKE), so the two cannot drift apart.
 */
CREATE TYPE adoption.feedback_insight AS (
	sentiment real,
	sentiment_label text,
	nps_category text,
	themes text[],
	pain_points text[],
	feature_requests text[],
	value_drivers text[],
	success_indicators text[],
	features text[]
);
COMMENT ON TYPE adoption.feedback_insight IS 'What a feedback text says: sentiment in [-1, 1] and its label, NPS category, and the themes matched per category';

CREATE TABLE adoption.feedback (
	tenant_id text NOT NULL,
	feedback_id text NOT NULL DEFAULT (pg_catalog.gen_random_uuid())::text,
	user_id text,
	feature_id text,
	channel text NOT NULL CHECK (channel IN ('nps', 'csat', 'survey', 'support', 'interview', 'social', 'review')),
	score smallint,
	body text,
	campaign_id text,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	ingested_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	/* The insight, filled on insert by adoption.feedback_insight() (feedback.sql). */
	LIKE adoption.feedback_insight,
	PRIMARY KEY (tenant_id, feedback_id),
	CONSTRAINT feedback_score_range CHECK (score IS NULL OR CASE channel
		WHEN 'csat' THEN score BETWEEN 1 AND 5
		WHEN 'review' THEN score BETWEEN 1 AND 5
		ELSE score BETWEEN 0 AND 10 END)
);
COMMENT ON TABLE adoption.feedback IS 'Customer feedback: NPS and CSAT answers, surveys, support messages, interviews, social posts, reviews';
CREATE TRIGGER feedback_check_input
	BEFORE INSERT OR UPDATE ON adoption.feedback
	FOR EACH ROW EXECUTE FUNCTION adoption.check_input('feedback');
/* adoption.rescore() finds the tenants with rows ingested since its last run. */
CREATE INDEX feedback_ingested_at ON adoption.feedback USING brin (ingested_at);
COMMENT ON COLUMN adoption.feedback.ingested_at IS 'When the row arrived (leave it to its default): adoption.rescore() rescores tenants with rows ingested since its last run';
SELECT pg_catalog.pg_extension_config_dump('adoption.feedback', '');

CREATE TABLE adoption.support_tickets (
	tenant_id text NOT NULL,
	ticket_id text NOT NULL,
	opened_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	severity text NOT NULL DEFAULT 'medium' CHECK (severity IN ('low', 'medium', 'high', 'urgent')),
	status text NOT NULL DEFAULT 'open',
	closed_at timestamptz,
	ingested_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, ticket_id),
	CONSTRAINT support_tickets_closed_after_opened CHECK (closed_at IS NULL OR closed_at >= opened_at)
);
COMMENT ON TABLE adoption.support_tickets IS 'Support tickets, weighted by severity in the support component of health';
CREATE TRIGGER support_tickets_check_input
	BEFORE INSERT OR UPDATE ON adoption.support_tickets
	FOR EACH ROW EXECUTE FUNCTION adoption.check_input('support_tickets');
/* adoption.rescore() finds the tenants with rows ingested since its last run. */
CREATE INDEX support_tickets_ingested_at ON adoption.support_tickets USING brin (ingested_at);
COMMENT ON COLUMN adoption.support_tickets.ingested_at IS 'When the row arrived (leave it to its default): adoption.rescore() rescores tenants with rows ingested since its last run';
SELECT pg_catalog.pg_extension_config_dump('adoption.support_tickets', '');

CREATE TABLE adoption.billing_events (
	tenant_id text NOT NULL,
	event_id text NOT NULL,
	occurred_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	kind text NOT NULL CHECK (kind IN ('payment_succeeded', 'payment_failed', 'invoice_overdue', 'downgrade', 'upgrade', 'refund', 'cancellation')),
	amount numeric,
	ingested_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, event_id)
);
COMMENT ON TABLE adoption.billing_events IS 'Billing events; failures, downgrades, refunds and cancellations lower the billing component of health';
CREATE TRIGGER billing_events_check_input
	BEFORE INSERT OR UPDATE ON adoption.billing_events
	FOR EACH ROW EXECUTE FUNCTION adoption.check_input('billing_events');
/* adoption.rescore() finds the tenants with rows ingested since its last run. */
CREATE INDEX billing_events_ingested_at ON adoption.billing_events USING brin (ingested_at);
COMMENT ON COLUMN adoption.billing_events.ingested_at IS 'When the row arrived (leave it to its default): adoption.rescore() rescores tenants with rows ingested since its last run';
SELECT pg_catalog.pg_extension_config_dump('adoption.billing_events', '');

CREATE TABLE adoption.campaign_touches (
	tenant_id text NOT NULL,
	touch_id bigint GENERATED BY DEFAULT AS IDENTITY,
	user_id text,
	campaign_id text NOT NULL,
	channel text,
	touched_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, touch_id)
);
CREATE INDEX campaign_touches_user_idx ON adoption.campaign_touches (tenant_id, user_id, touched_at);
COMMENT ON TABLE adoption.campaign_touches IS 'Marketing touches (an email sent, an in-app message shown) of a tenant or one of its users';
CREATE TRIGGER campaign_touches_check_input
	BEFORE INSERT OR UPDATE ON adoption.campaign_touches
	FOR EACH ROW EXECUTE FUNCTION adoption.check_input('campaign_touches');
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_touches', '');
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_touches_touch_id_seq', '');
