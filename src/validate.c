/*
 * validate.c: adoption.check_input(), the BEFORE ROW trigger of the input
 * tables other than the event log (whose rows the ingest trigger checks
 * while it reads them anyway, see ingest.c).
 *
 * The tables also carry CHECK constraints for the same rules, so the rules
 * hold when triggers are bypassed (session_replication_role = replica); the
 * trigger runs first and says which column and value are wrong, which a
 * CHECK constraint cannot.  These tables take tens of rows per second, not
 * thousands, so a row trigger costs nothing that matters here.
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "helpers.h"
#include "validate.h"

typedef struct RowCheck
{
	const char *table;
	Relation	rel;
	HeapTuple	tuple;
} RowCheck;

static const char *const feedback_channels[] =
{"nps", "csat", "survey", "support", "interview", "social", "review", NULL};
static const char *const ticket_severities[] =
{"low", "medium", "high", "urgent", NULL};
static const char *const billing_kinds[] =
{"payment_succeeded", "payment_failed", "invoice_overdue", "downgrade",
"upgrade", "refund", "cancellation", NULL};
static const char *const feature_tiers[] = {"core", "advanced", "premium", NULL};

/* Returns column col of the row, or (Datum) 0 with *isnull set. */
static Datum
row_value(RowCheck *rc, const char *col, bool *isnull)
{
	TupleDesc	desc = RelationGetDescr(rc->rel);
	int			attnum = SPI_fnumber(desc, col);

	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column %s of adoption.%s is missing", col, rc->table),
				 errhint("The table was altered by hand; re-create the extension.")));
	return heap_getattr(rc->tuple, attnum, desc, isnull);
}

/* Returns text column col as a C string, or NULL. */
static char *
row_text(RowCheck *rc, const char *col)
{
	bool		isnull;
	Datum		d = row_value(rc, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* Rejects an empty or blank identifier; NULL is left to NOT NULL constraints. */
static void
check_id(RowCheck *rc, const char *col)
{
	char	   *v = row_text(rc, col);

	if (v != NULL && adoption_is_blank(v, (int) strlen(v)))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("%s must not be empty", col),
				 errdetail("A row for adoption.%s has %s \"%s\".", rc->table, col, v),
				 errhint("Send the identifier, or NULL where the column allows it.")));
}

/* Rejects a value of col outside the NULL-terminated list allowed. */
static char *
check_one_of(RowCheck *rc, const char *col, const char *const *allowed)
{
	char	   *v = row_text(rc, col);
	StringInfoData list;
	int			i;

	if (v == NULL)
		return NULL;
	for (i = 0; allowed[i] != NULL; i++)
		if (strcmp(v, allowed[i]) == 0)
			return v;

	initStringInfo(&list);
	for (i = 0; allowed[i] != NULL; i++)
		appendStringInfo(&list, "%s%s", i ? ", " : "", allowed[i]);
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("invalid %s \"%s\" for adoption.%s", col, adoption_msg_value(v), rc->table),
			 errdetail("%s must be one of: %s.", col, list.data),
			 errhint("Values are lower case.")));
	return NULL;				/* keep compiler quiet */
}

/* Rejects infinite timestamps: every window and decay needs a real time. */
static void
check_finite_time(RowCheck *rc, const char *col)
{
	bool		isnull;
	Datum		d = row_value(rc, col, &isnull);

	if (!isnull && TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(d)))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be a finite time, not %s", col,
						TIMESTAMP_IS_NOBEGIN(DatumGetTimestampTz(d)) ? "-infinity" : "infinity"),
				 errdetail("A row for adoption.%s has an infinite %s.", rc->table, col)));
}

/* Rejects a negative (or NaN, or infinite) numeric or integer column. */
static void
check_not_negative(RowCheck *rc, const char *col, bool is_numeric)
{
	bool		isnull;
	Datum		d = row_value(rc, col, &isnull);

	if (isnull)
		return;
	if (is_numeric)
	{
		Numeric		n = DatumGetNumeric(d);
		char	   *text = DatumGetCString(DirectFunctionCall1(numeric_out, d));

		if (numeric_is_nan(n) || numeric_is_inf(n))
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("%s must be a finite number, not %s", col, text),
					 errdetail("A row for adoption.%s has %s %s.", rc->table, col, text)));
		if (text[0] == '-')
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("%s must not be negative: %s", col, text),
					 errdetail("A row for adoption.%s has %s %s.", rc->table, col, text)));
	}
	else if (DatumGetInt32(d) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("%s must not be negative: %d", col, DatumGetInt32(d)),
				 errdetail("A row for adoption.%s has %s %d.", rc->table, col, DatumGetInt32(d))));
}

/* Rejects NaN or infinite amounts; negative amounts (refunds) are fine. */
static void
check_finite_numeric(RowCheck *rc, const char *col)
{
	bool		isnull;
	Datum		d = row_value(rc, col, &isnull);
	Numeric		n;

	if (isnull)
		return;
	n = DatumGetNumeric(d);
	if (numeric_is_nan(n) || numeric_is_inf(n))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("%s must be a finite number, not %s", col,
						DatumGetCString(DirectFunctionCall1(numeric_out, d))),
				 errdetail("A row for adoption.%s has a non-finite %s.", rc->table, col)));
}

/* Feedback scores: NPS 0-10, CSAT and reviews 1-5, other channels 0-10. */
static void
check_feedback_score(RowCheck *rc, const char *channel)
{
	bool		isnull;
	Datum		d = row_value(rc, "score", &isnull);
	int			score;
	int			lo = 0;
	int			hi = 10;

	if (isnull || channel == NULL)
		return;
	score = DatumGetInt16(d);
	if (strcmp(channel, "csat") == 0 || strcmp(channel, "review") == 0)
		lo = 1, hi = 5;
	if (score < lo || score > hi)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("score %d is out of range for %s feedback", score, channel),
				 errdetail("Scores of %s feedback are between %d and %d.", channel, lo, hi),
				 errhint("NPS answers are 0 to 10, CSAT answers and reviews 1 to 5, other channels 0 to 10; send NULL when there is no score.")));
}

static void
check_tenants(RowCheck *rc)
{
	check_id(rc, "tenant_id");
	check_not_negative(rc, "seats_licensed", false);
	check_not_negative(rc, "arr", true);
	check_finite_time(rc, "created_at");
}

static void
check_features(RowCheck *rc)
{
	char	   *id = row_text(rc, "feature_id");
	char	   *upgrade = row_text(rc, "upgrade_feature_id");

	check_id(rc, "feature_id");
	check_id(rc, "feature_name");
	check_one_of(rc, "tier", feature_tiers);
	check_finite_time(rc, "launched_at");
	if (id != NULL && upgrade != NULL && strcmp(id, upgrade) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("feature \"%s\" cannot be its own upgrade_feature_id", adoption_msg_value(id)),
				 errhint("upgrade_feature_id names the advanced feature a user of this one is offered.")));
}

static void
check_launches(RowCheck *rc)
{
	bool		isnull;
	Datum		d;

	check_id(rc, "launch_id");
	check_id(rc, "feature_id");
	check_id(rc, "campaign_id");
	check_finite_time(rc, "launched_at");
	d = row_value(rc, "target_adoption", &isnull);
	if (!isnull && !(DatumGetFloat4(d) > 0 && DatumGetFloat4(d) <= 1))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("target_adoption must be greater than 0 and at most 1, not %g",
						(double) DatumGetFloat4(d)),
				 errhint("target_adoption is the share of tenants expected to adopt, e.g. 0.30.")));
	d = row_value(rc, "target_days", &isnull);
	if (!isnull && DatumGetInt32(d) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("target_days must be positive, not %d", DatumGetInt32(d))));
}

static void
check_feedback(RowCheck *rc)
{
	char	   *channel;

	check_id(rc, "tenant_id");
	check_id(rc, "feedback_id");
	check_id(rc, "user_id");
	check_id(rc, "feature_id");
	check_id(rc, "campaign_id");
	channel = check_one_of(rc, "channel", feedback_channels);
	check_feedback_score(rc, channel);
	check_finite_time(rc, "created_at");
}

static void
check_support_tickets(RowCheck *rc)
{
	bool		null_open,
				null_close;
	Datum		opened,
				closed;

	check_id(rc, "tenant_id");
	check_id(rc, "ticket_id");
	check_id(rc, "status");
	check_one_of(rc, "severity", ticket_severities);
	check_finite_time(rc, "opened_at");
	check_finite_time(rc, "closed_at");
	opened = row_value(rc, "opened_at", &null_open);
	closed = row_value(rc, "closed_at", &null_close);
	if (!null_open && !null_close &&
		DatumGetTimestampTz(closed) < DatumGetTimestampTz(opened))
	{
		/* ticket_id may still be NULL: NOT NULL is checked after this trigger */
		char	   *ticket = row_text(rc, "ticket_id");

		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("closed_at %s is before opened_at %s",
						pstrdup(timestamptz_to_str(DatumGetTimestampTz(closed))),
						pstrdup(timestamptz_to_str(DatumGetTimestampTz(opened)))),
				 ticket ? errdetail("Ticket \"%s\" cannot close before it opens.",
									adoption_msg_value(ticket)) :
				 errdetail("A ticket cannot close before it opens.")));
	}
}

static void
check_billing_events(RowCheck *rc)
{
	check_id(rc, "tenant_id");
	check_id(rc, "event_id");
	check_one_of(rc, "kind", billing_kinds);
	check_finite_time(rc, "occurred_at");
	check_finite_numeric(rc, "amount");
}

static void
check_campaign_touches(RowCheck *rc)
{
	check_id(rc, "tenant_id");
	check_id(rc, "user_id");
	check_id(rc, "campaign_id");
	check_finite_time(rc, "touched_at");
}

typedef struct InputKind
{
	const char *name;
	void		(*check) (RowCheck *rc);
} InputKind;

static const InputKind input_kinds[] =
{
	{"tenants", check_tenants},
	{"features", check_features},
	{"launches", check_launches},
	{"feedback", check_feedback},
	{"support_tickets", check_support_tickets},
	{"billing_events", check_billing_events},
	{"campaign_touches", check_campaign_touches},
	{NULL, NULL}
};

PG_FUNCTION_INFO_V1(adoption_check_input);

/* Returns the row unchanged if it is valid; raises an error naming what is wrong. */
Datum
adoption_check_input(PG_FUNCTION_ARGS)
{
	RowCheck	rc;
	TriggerData *trigdata = adoption_before_row_trigger(fcinfo, "adoption.check_input()", &rc.tuple);
	Trigger    *trigger = trigdata->tg_trigger;
	int			i;

	if (trigger->tgnargs != 1)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("adoption.check_input() takes one argument, the table kind")));
	rc.rel = trigdata->tg_relation;
	for (i = 0; input_kinds[i].name != NULL; i++)
	{
		if (strcmp(input_kinds[i].name, trigger->tgargs[0]) == 0)
		{
			rc.table = input_kinds[i].name;
			input_kinds[i].check(&rc);
			return PointerGetDatum(rc.tuple);
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
			 errmsg("adoption.check_input() does not know table kind \"%s\"",
					trigger->tgargs[0])));
	PG_RETURN_NULL();			/* keep compiler quiet */
}
