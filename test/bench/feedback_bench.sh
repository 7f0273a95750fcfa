#!/usr/bin/env bash
# feedback_bench.sh: how fast is adoption.categorize_feedback, alone and
# against the SQL a user would write instead?
#
#   test/bench/feedback_bench.sh [n_texts]      (default 100000)
#
# The texts: the bodies of test/textcat/feedback_labelled.tsv (real-looking
# NPS comments, support messages, reviews...), repeated to n_texts rows of
# a table.  ROUNDS rounds (default 3), alternating, each in a new session:
#
#   c      SELECT adoption.categorize_feedback(body) for every row: sentiment
#          (negation, intensifiers, contrast, emphasis), the themes of the
#          four categories and the catalog features, in C;
#   regex  what a user writes without the extension: one case-insensitive
#          regular expression (~*) per theme, built from the same built-in
#          phrases (adoption.builtin_lexicon(); \m...\M word boundaries, a
#          number wildcard as [0-9][0-9.,%]*), joined to the texts, plus a
#          positive and a negative word regex (all the built-in words of
#          each) whose matches make a sentiment sign.  The join applies each regex to every text
#          (regexes outer), so each is compiled once (PostgreSQL caches 32).
#
# The regex SQL runs on the first REGEX_TEXTS texts (default 1000): it is
# slow, and both costs are linear in the number of texts, so texts/s compare.
# Reported: median seconds, texts/s, and c/regex texts/s.  Goals (issue 5):
# >= 50,000 texts/s, >= 10x the regex SQL.
#
# Runs its own cluster "bench" on port 54322, database adoption_bench.
# Results: stdout and test/bench/out/feedback_bench.md.
source "$(dirname "$0")/bench_lib.sh"
need_root "$@"

bench_usage_text="$0 [n_texts]    (a positive integer, default 100000)"
bench_args "$bench_usage_text" n=100000 -- "$@"
bench_env rounds ROUNDS 3
n_regex=${REGEX_TEXTS:-1000}
((n_regex > n)) && n_regex=$n
tsv=$REPO/test/textcat/feedback_labelled.tsv

bench_start
say "loading $n texts"
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION pg_adoption"
q -c "CREATE TABLE labelled (channel text, score text, expected_label text, expected_themes text, body text)"
q -c "\\copy labelled FROM '$tsv' WITH (FORMAT text, HEADER true)"
q <<SQL
SET client_min_messages = warning;
CREATE TABLE texts AS
SELECT i AS id, l.body
FROM generate_series(0, $n - 1) AS i
JOIN (SELECT row_number() OVER (ORDER BY body) - 1 AS k, body FROM labelled) AS l
	ON l.k = i % (SELECT count(*) FROM labelled);
-- One regex per (category, theme) of the built-in phrases.
CREATE TABLE regexes AS
SELECT category, CASE WHEN category IN ('positive', 'negative') THEN category ELSE coalesce(theme, term) END AS theme,
	'\\m(' || string_agg(replace(regexp_replace(term, '([.^\$*+?()\\[\\]{}|\\\\])', '\\\\\\1', 'g'), '#', '[0-9][0-9.,%]*'), '|') || ')\\M' AS re
FROM adoption.builtin_lexicon()
WHERE category IN ('pain_point', 'feature_request', 'value_driver', 'success_indicator', 'positive', 'negative')
GROUP BY 1, 2;
CREATE TABLE regex_texts AS SELECT * FROM texts WHERE id < $n_regex;
VACUUM ANALYZE texts;
VACUUM ANALYZE regex_texts;
VACUUM ANALYZE regexes;
SQL
read -r n_texts n_regexes < <(q -tA -F ' ' -c "SELECT (SELECT count(*) FROM texts), (SELECT count(*) FROM regexes)")
echo "$n_texts texts (the regex SQL runs on the first $n_regex: it is slow), $n_regexes regular expressions"

c_sql="SELECT count(*) FROM texts AS t, LATERAL adoption.categorize_feedback(t.body) AS c WHERE c.sentiment_label IS NOT NULL"
regex_sql="SET enable_hashjoin = off; SET enable_mergejoin = off;
SELECT count(*) FROM (
	SELECT t.id,
		array_agg(r.theme) FILTER (WHERE r.category = 'pain_point') AS pain_points,
		array_agg(r.theme) FILTER (WHERE r.category = 'feature_request') AS feature_requests,
		array_agg(r.theme) FILTER (WHERE r.category = 'value_driver') AS value_drivers,
		array_agg(r.theme) FILTER (WHERE r.category = 'success_indicator') AS success_indicators,
		sign(count(*) FILTER (WHERE r.category = 'positive') - count(*) FILTER (WHERE r.category = 'negative')) AS sentiment
	FROM (SELECT * FROM regexes OFFSET 0) AS r
	JOIN regex_texts AS t ON t.body ~* r.re
	GROUP BY t.id
) AS s"

# Times SQL $1 in a new session; prints seconds.
timed() {
	local output ms
	output=$(q -c '\timing on' -c "SET jit = off" -c "$1")
	ms=$(printf '%s\n' "$output" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1)
	calc "$ms / 1000"
}

say "warming up"
timed "$c_sql" >/dev/null
declare -a t_c=() t_regex=()
for ((r = 1; r <= rounds; r++)); do
	if ((r % 2)); then order="c regex"; else order="regex c"; fi
	for v in $order; do
		if [ "$v" = c ]; then
			s=$(timed "$c_sql"); t_c+=("$s"); k=$n_texts
		else
			s=$(timed "$regex_sql"); t_regex+=("$s"); k=$n_regex
		fi
		printf 'round %d  %-6s %6d texts %8.3f s  %10.0f texts/s\n' "$r" "$v" "$k" "$s" "$(calc "$k / $s")"
	done
done
m_c=$(median "${t_c[@]}")
m_regex=$(median "${t_regex[@]}")
tps_c=$(calc "$n_texts / $m_c")
tps_regex=$(calc "$n_regex / $m_regex")
ratio=$(calc "$tps_c / $tps_regex")
run_info

table=$(
	printf '| variant | median s | texts/s | rounds (s) |\n'
	printf '|---|---:|---:|---|\n'
	printf '| categorize_feedback (C), %d texts | %.3f | %.0f | %s |\n' "$n_texts" "$m_c" "$tps_c" "${t_c[*]}"
	printf '| regex SQL (%d regexes, ~*), %d texts | %.3f | %.0f | %s |\n' "$n_regexes" "$n_regex" "$m_regex" "$tps_regex" "${t_regex[*]}"
)
say "categorizing $n_texts texts, median of $rounds rounds"
printf '%s\n' "$table"
printf 'categorize_feedback: %.0f texts/s (goal >= 50000); %.1fx the regex SQL (goal >= 10)\n' "$tps_c" "$ratio"
mkdir -p "$out_dir"
cat >"$out_dir/feedback_bench.md" <<MD
## Feedback categorization: C against regular expressions

$when, commit $commit, PostgreSQL $pgver, $cpus CPUs.
$n_texts texts (the bodies of \`test/textcat/feedback_labelled.tsv\`, repeated), one backend, median of $rounds rounds.

$table

**categorize_feedback texts/s = $(printf '%.0f' "$tps_c")** (goal >= 50,000)

**speedup over the regex SQL = $(printf '%.1f' "$ratio")** (goal >= 10)

Reproduce: \`test/bench/feedback_bench.sh $n\`.
MD
echo "results: $out_dir/feedback_bench.md"
