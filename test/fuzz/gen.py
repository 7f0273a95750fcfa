#!/usr/bin/env python3
"""Bad-input fuzz generator: writes a psql script of N hostile calls to stdout.

Reads the catalog description that sql_fuzz.sh extracts (one line per public
function: kind, regprocedure, argument names and types; one line per input
table: name, columns and types) and emits, deterministically for a seed, one
statement per call: a function call (aggregates are called over one row), a
one- to three-row INSERT, or a COPY FROM STDIN whose data lines may hold
malformed fields or bytes that are not UTF-8.  psql runs the script with
ON_ERROR_ROLLBACK so that each statement is isolated by a savepoint, and
VERBOSITY sqlstate so that every error line carries its SQLSTATE.  Values are
SQL expressions, not literals, so that a 1 MB string costs a few bytes.
"""
import random
import sys

seed = int(sys.argv[1])
calls = int(sys.argv[2])
catalog = sys.argv[3]
batch = int(sys.argv[4]) if len(sys.argv) > 4 else 200
rng = random.Random(seed)

funcs = []
tables = []
with open(catalog, encoding="utf-8") as f:
    for line in f:
        parts = line.rstrip("\n").split("|")
        if parts[0] == "f":
            # f|kind|proc name|argname:type;argname:type
            args = []
            if parts[3]:
                for a in parts[3].split(";"):
                    n, t = a.split(":", 1)
                    args.append((n, t))
            funcs.append((parts[1], parts[2], args))
        elif parts[0] == "t":
            cols = []
            for a in parts[2].split(";"):
                n, t = a.split(":", 1)
                cols.append((n, t))
            tables.append((parts[1], cols))

# Valid-looking values by argument or column name, so that calls get past the
# first check and into the logic behind it.
POOLS = {
    "tenant_id": ["t1", "t2", "t3", "acme"],
    "user_id": ["u1", "u2", "u3", "u4"],
    "feature_id": ["f1", "f2", "core1", "adv"],
    "upgrade_feature_id": ["f1", "f2", "core1", "adv"],
    "feature_name": ["Feature one", "Dashboards"],
    "launch_id": ["l1", "l2"],
    "campaign_id": ["c1", "c2"],
    "template_key": ["adoption_success", "adoption_nudge", "win_back", "launch_announcement"],
    "dedupe_key": ["k1", "k2", '["habitual","f1","u1"]'],
    "channel": ["nps", "csat", "survey", "support", "interview", "social", "review", "email"],
    "severity": ["low", "medium", "high", "urgent"],
    "kind": ["payment_succeeded", "payment_failed", "invoice_overdue", "downgrade", "upgrade", "refund", "cancellation"],
    "tier": ["core", "advanced", "premium"],
    "category": ["pain_point", "feature_request", "value_driver", "success_indicator", "positive", "negative"],
    "status": ["open", "closed", "pending"],
    "period": ["day", "week", "month", "quarter", "year", "hour"],
    "actor": ["user", "tenant"],
    "mode": ["on", "on_or_after", "off"],
    "model": ["first_touch", "last_touch", "linear", "time_decay", "position_based"],
    "worker": ["w1", "w2"],
    "term": ["slow", "crash", "love it", "flaky sync", ":)"],
    "theme": ["performance", "integrations"],
    "body": ["It is slow and crashes", "Love it, great value :)", "export broken again"],
    "plan": ["free", "growth", "enterprise"],
    "segment": ["smb", "enterprise"],
    "schedule": ["*/15 * * * *", "@hourly", "bogus"],
}

TEXT_ODD = [
    "NULL", "''", "' '", "repeat('x', 1048576)", "repeat('slow crash ', 100000)",
    "repeat('a', 300)", "'O''Brien; DROP TABLE x'", "E'tab\\there\\nnewline'",
    "'%s %n %%'", "'\u00e9\u00e8 \u65e5\u672c \U0001F600'", "convert_from('\\xc328'::bytea, 'UTF8')",
    "convert_from('\\xff'::bytea, 'UTF8')", "convert_from('\\xed\\xa0\\x80'::bytea, 'UTF8')",
    "chr(0)", "chr(1114111)", "E'\\\\'", "'[\"a\",1]'", "'{}'", "upper(md5(random()::text))",
    "repeat('word ', 5000)", "repeat(':) ', 1000)", "'1e400'", "'-0'", "'NaN'",
]
INT_ODD = ["NULL", "0", "-1", "1", "2", "7", "120", "121", "2147483647", "-2147483648", "32767", "-32768"]
BIGINT_ODD = ["NULL", "0", "-1", "1", "9223372036854775807", "(-9223372036854775807 - 1)", "2147483648"]
FLOAT_ODD = ["NULL", "'NaN'", "'Infinity'", "'-Infinity'", "0", "'-0'", "1e308", "-1e308", "5e-324", "1", "0.3", "-0.5", "100", "101"]
TS_ODD = [
    "NULL", "'infinity'", "'-infinity'", "'4713-01-01 00:00:00+00 BC'", "'294276-12-31 23:59:59+00'",
    "'2000-01-01 00:00+00'", "'1970-01-01 00:00+00'", "now()", "now() + interval '1 day'",
    "now() - interval '400 days'", "now() + interval '1 hour'", "'2026-02-29 00:00+00'",
]
DATE_ODD = [
    "NULL", "'infinity'", "'-infinity'", "'4713-01-01 BC'", "'5874897-12-31'", "current_date",
    "current_date - 30", "current_date - 400", "'2000-02-29'", "current_date + 1",
]
INTERVAL_ODD = [
    "NULL", "'0'", "'-1 day'", "'1 microsecond'", "'178000000 years'", "'-178000000 years'",
    "'1 mon -30 days'", "'2147483647 days'", "'-2147483648 months'", "'30 days'", "'7 days'",
    "'-1 microsecond'", "'1 day -24 hours'", "'5 minutes'",
]
JSONB_ODD = [
    "NULL", "'{}'", "'[]'", "'1'", "'\"s\"'", "'null'", "'true'", "'[1, 2]'",
    "repeat('[', 3000) || repeat(']', 3000)", "repeat('{\"a\":', 2000) || '1' || repeat('}', 2000)",
    "'{\"source\": \"web\", \"campaign_influence\": \"c1\"}'", "'{\"campaign_influence\": null}'",
    "'{\"campaign_influence\": [1, 2]}'", "'{\"marketing_attribution\": {\"x\": 1e400}}'",
    "(SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 10000) i)::text",
    "'[{\"tenant_id\": \"t1\", \"template_key\": \"win_back\", \"dedupe_key\": \"d1\"}]'",
    "'[{\"tenant_id\": null}, 1, \"x\", {}]'",
    "'{\"\\u0000\": 1}'", "'\"\\ud800\"'",
]
BOOL_ODD = ["NULL", "true", "false"]
VARBIT_ODD = [
    "NULL", "B''", "B'1'", "B'0'", "B'101'", "repeat('1', 100000)::varbit", "repeat('10', 400)::varbit",
    "B'1' || repeat('0', 5000)::varbit",
]
NUMERIC_ODD = ["NULL", "'NaN'", "'Infinity'", "'-Infinity'", "0", "-0.5", "1e100", "-1e100", "99.5", "1e-100"]


def rand_elem(t):
    if t in ("integer", "smallint"):
        return rng.choice(INT_ODD[1:] + [str(rng.randint(-1000, 1000))])
    if t == "bigint":
        return rng.choice(BIGINT_ODD[1:] + [str(rng.randint(-10**12, 10**12))])
    if t in ("double precision", "real"):
        return rng.choice(FLOAT_ODD[1:] + [repr(rng.uniform(-1e6, 1e6))])
    if t == "text":
        return rng.choice(["''", "'a'", "'t1'", "'f1'", "'core1'", "repeat('z', 10000)", "'\u00e9'"])
    return "NULL"


def array_expr(t):
    """An expression of array type t[] (one-dimensional, NULL-laden, long,
    multidimensional, with a lower bound other than 1, empty, or NULL)."""
    r = rng.random()
    if r < 0.06:
        return "NULL::%s[]" % t
    if r < 0.12:
        return "'{}'::%s[]" % t
    if r < 0.18:
        return "array_fill(%s::%s, ARRAY[%d])" % (rng.choice(["NULL", rand_elem(t)]), t, rng.choice([1, 100000, 1000000]))
    if r < 0.26:
        rows, cols = rng.randint(1, 4), rng.randint(1, 5)
        inner = ", ".join("ARRAY[%s]" % ", ".join("%s::%s" % (rand_elem(t), t) for _ in range(cols)) for _ in range(rows))
        return "ARRAY[%s]::%s[]" % (inner, t)
    if r < 0.32:
        n = rng.randint(1, 6)
        return "'[%d:%d]={%s}'::%s[]" % (-3, -3 + n - 1, ",".join(["1"] * n), t)
    n = rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 20, 50])
    elems = []
    for _ in range(n):
        elems.append("NULL" if rng.random() < 0.08 else rand_elem(t))
    return "ARRAY[%s]::%s[]" % (", ".join("%s::%s" % (e, t) for e in elems), t)


def value(name, t):
    """An SQL expression of type t for an argument or column called name."""
    if t.endswith("[]"):
        return array_expr(t[:-2])
    if rng.random() < 0.05:
        return "NULL::%s" % t
    if t == "text":
        pool = POOLS.get(name)
        if pool and rng.random() < 0.6:
            return "'%s'" % rng.choice(pool).replace("'", "''")
        if rng.random() < 0.15:
            return "'%s'" % rng.choice(["t%d" % rng.randint(1, 30), "u%d" % rng.randint(1, 50), "f%d" % rng.randint(1, 10)])
        return rng.choice(TEXT_ODD)
    if t in ("integer", "smallint"):
        if rng.random() < 0.4:
            return str(rng.randint(-5, 130))
        return "(%s)::%s" % (rng.choice(INT_ODD), t)
    if t == "bigint":
        if rng.random() < 0.5:
            return str(rng.randint(-5, 200))
        return "(%s)::bigint" % rng.choice(BIGINT_ODD)
    if t in ("double precision", "real"):
        if rng.random() < 0.3:
            return "%r::%s" % (rng.uniform(-2, 2), t)
        return "(%s)::%s" % (rng.choice(FLOAT_ODD), t)
    if t == "numeric":
        return "(%s)::numeric" % rng.choice(NUMERIC_ODD)
    if t == "timestamp with time zone":
        if rng.random() < 0.5:
            return "(now() - interval '%d minutes')" % rng.randint(-120, 200000)
        return "(%s)::timestamptz" % rng.choice(TS_ODD)
    if t == "date":
        if rng.random() < 0.4:
            return "(current_date - %d)" % rng.randint(-5, 400)
        return "(%s)::date" % rng.choice(DATE_ODD)
    if t == "interval":
        return "(%s)::interval" % rng.choice(INTERVAL_ODD)
    if t == "jsonb":
        return "(%s)::jsonb" % rng.choice(JSONB_ODD)
    if t == "boolean":
        return "%s::boolean" % rng.choice(BOOL_ODD)
    if t == "bit varying":
        if rng.random() < 0.4:
            return "B'%s'::varbit" % "".join(rng.choice("01") for _ in range(rng.randint(1, 80)))
        return "(%s)::varbit" % rng.choice(VARBIT_ODD)
    if t == "uuid":
        if rng.random() < 0.9:
            return "'%08x-0000-4000-8000-%012x'::uuid" % (rng.randint(0, 50), rng.randint(0, 2**48 - 1) if rng.random() < 0.5 else 1)
        return "NULL::uuid"
    return "NULL::%s" % t


def copy_field(name, t):
    """One field of a COPY text-format line (or \\N), sometimes malformed."""
    r = rng.random()
    if r < 0.08:
        return b"\\N"
    if r < 0.12:
        return rng.choice([b"", b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\\x", b"\\0", b"x" * 1048576,
                           b"infinity", b"-infinity", b"NaN", b"4713-01-01 BC", b"294276-12-31 23:59:59+00",
                           b"{\"a\":", b"9999999999999999999999", b"\\\\", b"\\t"])
    if t == "text":
        pool = POOLS.get(name)
        if pool and rng.random() < 0.7:
            return rng.choice(pool).encode()
        return rng.choice([b"t1", b"u1", b"f1", b" ", "\u00e9\U0001F600".encode(), b"a\\tb", b"slow crash"])
    if t in ("integer", "smallint", "bigint"):
        return str(rng.choice([0, -1, 1, 5, 2147483647, -2147483648, 32768, 9223372036854775807, rng.randint(0, 300)])).encode()
    if t in ("double precision", "real", "numeric"):
        return rng.choice([b"0", b"0.5", b"1", b"NaN", b"Infinity", b"-Infinity", b"1e308", b"-3"])
    if t == "timestamp with time zone":
        return rng.choice([b"2026-11-01 10:00+00", b"infinity", b"-infinity", b"4713-01-01 00:00+00 BC",
                           b"2026-11-23 00:00+00", b"2025-06-01 00:00+00", b"2100-01-01 00:00+00"])
    if t == "interval":
        return rng.choice([b"1 day", b"-1 day", b"178000000 years", b"0"])
    if t == "jsonb":
        return rng.choice([b"{}", b"[]", b"1", b"null", b"{\"source\": \"copy\"}", b"[" * 2000 + b"]" * 2000])
    if t == "boolean":
        return rng.choice([b"t", b"f", b"maybe"])
    if t == "uuid":
        return ("%08x-0000-4000-8000-%012x" % (rng.randint(0, 50), rng.randint(0, 2**48 - 1))).encode()
    if t.endswith("[]"):
        return rng.choice([b"{}", b"{a,NULL}", b"{{a},{b}}", b"[2:3]={x,y}"])
    return b"\\N"


out = sys.stdout.buffer
w = out.write
w(b"\\set ON_ERROR_ROLLBACK on\n\\set VERBOSITY sqlstate\n\\set SHOW_CONTEXT never\n")
w(b"SET client_min_messages = error;\nSET statement_timeout = '20s';\nSET search_path = pg_catalog, pg_temp;\n")
w(b"BEGIN;\n")
for i in range(calls):
    if i and i % batch == 0:
        w(b"COMMIT;\nBEGIN;\n")
    r = rng.random()
    if r < 0.6 and funcs:
        kind, proc, args = rng.choice(funcs)
        vals = [value(n, t) for n, t in args]
        call = "%s(%s)" % (proc, ", ".join(vals))
        w(("SELECT count(*) FROM (SELECT %s) AS fuzz;\n" % call).encode())
    elif r < 0.9:
        table, cols = rng.choice(tables)
        chosen = [c for c in cols if rng.random() < 0.8] or cols[:1]
        rows = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            rows.append("(%s)" % ", ".join(value(n, t) for n, t in chosen))
        conflict = " ON CONFLICT DO NOTHING" if rng.random() < 0.3 else ""
        w(("INSERT INTO adoption.%s (%s) VALUES %s%s;\n" % (
            table, ", ".join(n for n, _ in chosen), ", ".join(rows), conflict)).encode())
    else:
        table, cols = rng.choice(tables)
        chosen = [c for c in cols if rng.random() < 0.8] or cols[:1]
        w(("COPY adoption.%s (%s) FROM STDIN;\n" % (table, ", ".join(n for n, _ in chosen))).encode())
        for _ in range(rng.randint(1, 5)):
            fields = [copy_field(n, t) for n, t in chosen]
            if rng.random() < 0.05:
                fields = fields[:-1] if len(fields) > 1 else fields + [b"extra"]
            w(b"\t".join(fields) + b"\n")
        w(b"\\.\n")
w(b"COMMIT;\n")
