# test/reference/compare_lib.sh: shared by test/tap/order_freedom.sh,
# test/tap/order_edges.sh and test/tap/persona_oracle.sh (sourced, not run;
# the last sets tables=feedback_profile); the TAP helpers come from
# test/lib/tap.sh.  The comparison of adoption state between databases: each state table is
# copied into table snap of database $master as (tag, table, key, row as
# jsonb without updated_at, milestone_buffer, activity, evidence), and two
# tags are compared field by field, velocity_per_week within 1e-9 relative.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

tables="user_feature_state tenant_user_state tenant_state tenant_feature_counts tenant_feature_milestones tenant_feature_state"

# Creates table snap and functions same_field() and diff() in $master.
snap_setup() {
	q -d "$master" <<'SQL'
CREATE TABLE snap (tag text, tbl text, key jsonb, val jsonb, PRIMARY KEY (tag, tbl, key));
-- Equal fields: equal, or for velocity_per_week within 1e-9 relative.
CREATE FUNCTION same_field(k text, a jsonb, b jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN k = 'velocity_per_week' AND jsonb_typeof(a) = 'number' AND jsonb_typeof(b) = 'number'
		THEN abs(a::float8 - b::float8) <= 1e-9 * greatest(abs(a::float8), abs(b::float8))
		ELSE a IS NOT DISTINCT FROM b END
$$;
-- The rows of table t that differ between tags a and b, with the fields that differ.
CREATE FUNCTION diff(a text, b text, t text) RETURNS TABLE (key jsonb, what text) LANGUAGE sql AS $$
	SELECT coalesce(x.key, y.key),
		CASE WHEN x.key IS NULL THEN 'only in ' || b || ': ' || y.val::text
			WHEN y.key IS NULL THEN 'only in ' || a || ': ' || x.val::text
			ELSE (SELECT string_agg(format('%s: %s %s, %s %s', k, a, coalesce(x.val -> k, 'null'), b,
					coalesce(y.val -> k, 'null')), '; ' ORDER BY k)
				FROM (SELECT jsonb_object_keys(x.val) UNION SELECT jsonb_object_keys(y.val)) AS f (k)
				WHERE NOT same_field(k, x.val -> k, y.val -> k)) END
	FROM (SELECT s.key, s.val FROM snap AS s WHERE s.tag = a AND s.tbl = t) AS x
	FULL JOIN (SELECT s.key, s.val FROM snap AS s WHERE s.tag = b AND s.tbl = t) AS y ON x.key = y.key
	WHERE x.key IS NULL OR y.key IS NULL
		OR EXISTS (SELECT 1 FROM (SELECT jsonb_object_keys(x.val) UNION SELECT jsonb_object_keys(y.val)) AS f (k)
			WHERE NOT same_field(k, x.val -> k, y.val -> k))
	ORDER BY 1
$$;
SQL
}

# Prints the COPY of schema $1's state tables as snapshot rows of tag $2.
export_sql() {
	local schema=$1 tag=$2 t keys sel="" sep=""
	for t in $tables; do
		case $t in
		user_feature_state) keys="'tenant_id', x.tenant_id, 'feature_id', x.feature_id, 'user_id', x.user_id" ;;
		tenant_user_state) keys="'tenant_id', x.tenant_id, 'user_id', x.user_id" ;;
		tenant_state) keys="'tenant_id', x.tenant_id" ;;
		feedback_profile) keys="'tenant_id', x.tenant_id, 'category', x.category, 'item', x.item, 'month', x.month" ;;
		*) keys="'tenant_id', x.tenant_id, 'feature_id', x.feature_id" ;;
		esac
		sel="$sel$sep SELECT '$tag', '$t', jsonb_build_object($keys), to_jsonb(x) - '{updated_at,milestone_buffer,activity,evidence}'::text[] FROM $schema.$t AS x"
		sep=" UNION ALL"
	done
	echo "SET TimeZone = 'UTC'; COPY ($sel) TO STDOUT"
}

# snapshot DB SCHEMA TAG: the state of DB (schema adoption, or ref) into snap.
snapshot() {
	q -d "$1" -c "$(export_sql "$2" "$3")" | q -d "$master" -c "COPY snap FROM STDIN"
}

# Rows of table $3 that differ between tags $1 and $2, one a line.
differences() {
	q -d "$master" -c "SELECT key::text || ' ' || what FROM diff('$1', '$2', '$3')"
}

# compare TAG AGAINST LABEL: one TAP line per table.
compare() {
	local tag=$1 against=$2 label=$3 t rows d
	for t in $tables; do
		d=$(differences "$against" "$tag" "$t")
		rows=$(q -d "$master" -c "SELECT count(*) FROM snap WHERE tag = '$tag' AND tbl = '$t'")
		if [ -z "$d" ]; then
			ok 0 "$tag: $t ($rows rows) equals $label"
		else
			ok 1 "$tag: $t ($rows rows) equals $label ($(printf '%s\n' "$d" | wc -l) rows differ)"
			printf '%s\n' "$d" | comment 10
		fi
	done
}

# compare_all TAG AGAINST LABEL: one TAP line for all the tables.
compare_all() {
	local tag=$1 against=$2 label=$3 t d all=""
	for t in $tables; do
		d=$(differences "$against" "$tag" "$t")
		[ -n "$d" ] && all="$all$(printf '%s\n' "$d" | sed "s/^/$t /")"$'\n'
	done
	if [ -z "$all" ]; then
		ok 0 "$tag: all six state tables and views equal $label"
	else
		ok 1 "$tag: all six state tables and views equal $label ($(printf '%s' "$all" | wc -l) rows differ)"
		printf '%s' "$all" | comment 10
	fi
}
