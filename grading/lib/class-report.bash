# class-report.bash - what grading/grade-class writes: each student's
# reports, the gradebook (grades.csv) and the class picture (summary.md).
#
# A student's results are grading/grade's Gradescope JSON; the human report
# is made from it, so each student is graded once.  The caller sets
# selected_stages (an array) and kit_root.

# stage_max STAGE: the most points STAGE can score, from the rubric.
stage_max() {
	awk -F'\t' -v stage="$1" '!/^#/ && $1 == stage { sum += $2 } END { print sum + 0 }' \
		"$kit_root/grading/rubric"
}

# write_not_graded_json REASON: a results.json for a student whose work
# could not be graded (nothing handed in, a refused archive, a grader
# error): score 0, the reason as its output, no tests.
write_not_graded_json() {
	jq -n --arg reason "$1" '{score: 0, execution_time: 0, output: $reason, tests: []}'
}

# stage_scores_in JSON: each selected stage's score, tab-separated, then
# the total.
stage_scores_in() {
	jq -r --args '. as $root | [$ARGS.positional[] as $stage
		| [$root.tests[] | select(.tags[0] == $stage) | .score] | add // 0]
		| . + [add // 0] | @tsv' "${selected_stages[@]}" <"$1"
}

# write_human_report JSON STUDENT HANDED_IN FOUND_IN STATUS MAX: the report a
# person reads, from the student's JSON.  A stage whose tests all failed
# for one reason (not submitted, does not compile, never listened) says
# the reason once.
write_human_report() {
	jq -r --arg student "$2" --arg handed_in "$3" --arg found_in "$4" --arg status "$5" --arg max "$6" '
	def indent($prefix): split("\n") | map($prefix + .) | join("\n");
	"Student: \($student)",
	"Handed in: \($handed_in)",
	(if $found_in != "" then "Stage folders found in: \($found_in)" else empty end),
	"Status: \($status)",
	"",
	(if (.tests | length) == 0 then .output, "" else empty end),
	(.tests | group_by(.tags[0])[] | . as $tests
		| ([$tests[] | select(.status != "passed") | .output] | unique) as $reasons
		| (($tests | all(.status != "passed")) and ($reasons | length) == 1
			and ($reasons[0] | test("hint:") | not)) as $one_reason
		| "\($tests[0].tags[0]): \([$tests[].score] | add)/\([$tests[].max_score] | add)",
		(if $one_reason then "  ✗ " + ($reasons[0] | indent("    ") | ltrimstr("    ")) else empty end),
		($tests[]
			| "  \(if .status == "passed" then "✓" else "✗" end) \(.name | sub("^[^:]*: "; ""))  \(.score)/\(.max_score)",
			(if .status != "passed" and ($one_reason | not) and .output != "" then .output | indent("      ") else empty end)),
		""),
	"Total: \(.score)/\([.tests[].max_score] | add // $max)",
	"\([.tests[] | select(.status == "passed")] | length) passed, \([.tests[] | select(.status != "passed")] | length) failed"
	' "$1"
}

# AWK_CSV: csv_field turns one value into a CSV field.  A value holding a
# comma, a quote or spaces at an end is quoted; one that a spreadsheet
# would take for a formula (=, +, -, @ first) gets a leading apostrophe.
AWK_CSV='
function csv_field(field) {
	if (field ~ /^[=+@-]/ && field !~ /^-?[0-9]+$/) field = "\047" field
	if (field ~ /[",]|^ | $/) { gsub(/"/, "\"\"", field); field = "\"" field "\"" }
	return field
}
'

# csv_row FIELD...: one CSV line.
csv_row() {
	awk "$AWK_CSV"'BEGIN {
		for (i = 1; i < ARGC; i++) printf "%s%s", (i > 1 ? "," : ""), csv_field(ARGV[i])
		printf "\n"
	}' "$@"
}

# write_gradebook ROWS_FOLDER CSV: grades.csv from the row files (one per
# student: name, status, stage scores, total, max, tab-separated; a score
# may be empty), sorted by name.  Written whole, then moved, so that a
# reader never sees half of it.
write_gradebook() {
	local rows=$1 csv=$2
	{
		csv_row student "${selected_stages[@]}" total max status
		find "$rows" -maxdepth 1 -type f ! -name '.*' -exec cat {} + 2>/dev/null |
			LC_ALL=C sort -t $'\t' -k1,1 |
			awk -F'\t' "$AWK_CSV"'{
				# Stored as name, status, scores..., total, max.
				line = csv_field($1)
				for (i = 3; i <= NF; i++) line = line "," csv_field($i)
				print line "," csv_field($2)
			}'
	} >"$csv.part"
	mv "$csv.part" "$csv"
}

# write_class_summary ROWS_FOLDER STUDENTS_FOLDER CLASS SUMMARY: SUMMARY, the
# class picture: who was graded, each stage's score distribution, and
# every test ordered by how many students lost it, with the handout
# section its hint names.
write_class_summary() {
	local rows=$1 students=$2 class=$3 summary=$4 name status graded=()
	while IFS=$'\t' read -r name status _; do
		[ "$status" != graded ] || graded+=("$students/$name.json")
	done < <(find "$rows" -maxdepth 1 -type f ! -name '.*' -exec cat {} + 2>/dev/null | LC_ALL=C sort)
	{
		cat <<EOF
# Class summary

Class: \`$class\`, graded on $(date '+%Y-%m-%d %H:%M') with \`grading/grade-class\`.
Stages: ${selected_stages[*]}.

EOF
		find "$rows" -maxdepth 1 -type f ! -name '.*' -exec cat {} + 2>/dev/null |
			awk -F'\t' '
			{ students++; status = $2; sub(/:.*/, "", status); count[status]++ }
			$2 !~ /^graded$/ { others = others "- " $1 ": " $2 "\n" }
			END {
				printf "%d students: %d graded, %d not submitted, %d refused, %d grader errors.\n\n", \
					students, count["graded"], count["not submitted"], count["refused"], count["grader error"]
				if (others != "") printf "Not graded:\n\n%s\n", others
			}'
		if [ ${#graded[@]} -gt 0 ]; then
			jq -n -r --args '[inputs] as $class | $ARGS.positional as $stages | ($class | length) as $n |
			def percent($score; $max): if $max == 0 then 100 else ($score * 100 / $max) end;
			def bucket($p): if $p >= 100 then 0 elif $p >= 75 then 1 elif $p >= 50 then 2
				elif $p >= 25 then 3 elif $p > 0 then 4 else 5 end;
			# Why a test did not run: the reason grading/grade gives for the whole stage.
			def not_run_reason: if test("^not submitted") then "not submitted"
				elif test("^does not compile") then "does not compile"
				elif test("^(never listened|listened on port)") then "failed the gate"
				elif test("^did not run") then "stopped by a time limit"
				else null end;
			"## Scores per stage",
			"",
			"Students per band of the stage'"'"'s points ('"'"'full'"'"' is full marks).",
			"",
			"| stage | max | full | 75-99 % | 50-74 % | 25-49 % | 1-24 % | 0 | mean |",
			"|---|---:|---:|---:|---:|---:|---:|---:|---:|",
			($stages[] as $stage
				| [$class[] | [.tests[] | select(.tags[0] == $stage)]
					| {score: ([.[].score] | add // 0), max: ([.[].max_score] | add // 0)}] as $scores
				| ($scores[0].max) as $max
				| [range(6) as $b | [$scores[] | select(bucket(percent(.score; .max)) == $b)] | length] as $bands
				| "| \($stage) | \($max) | \($bands | map(tostring) | join(" | ")) | \(([$scores[].score] | add) / $n | . * 10 | round / 10) |"),
			"",
			"## What the class lost",
			"",
			"Every test, by how many student servers failed it; then by how many lost it",
			"because the stage did not run (not submitted, no build, failed the gate).",
			"The section is what the test'"'"'s hint names: the next lecture.",
			"",
			"| failed it | lost it, not run | test | points | read |",
			"|---:|---:|---|---:|---|",
			([$class[].tests[]] | group_by(.name) | map({
				name: .[0].name, points: .[0].max_score,
				failed: [.[] | select(.status != "passed" and (.output | not_run_reason) == null)] | length,
				not_run: [.[] | select(.status != "passed" and (.output | not_run_reason) != null)] | length,
				section: ([.[] | .output | capture("See (?<handout>labs/[^ ]+/README\\.md), '"'"'(?<section>[^'"'"']+)'"'"'")?
					| "\(.handout), '"'"'\(.section)'"'"'"] | first // "")})
				| sort_by(-.failed, -.not_run, .name)[]
				| "| \(.failed)/\($n) | \(.not_run) | \(.name | gsub("\\|"; "\\|")) | \(.points) | \(.section) |"),
			"",
			"## Stages that did not run",
			"",
			"| stage | not submitted | does not compile | failed the gate | stopped by a time limit |",
			"|---|---:|---:|---:|---:|",
			($stages[] as $stage
				| [$class[] | [.tests[] | select(.tags[0] == $stage and .status != "passed") | .output | not_run_reason]
					| map(select(. != null)) | first // empty] as $reasons
				| "| \($stage) | \(["not submitted", "does not compile", "failed the gate", "stopped by a time limit"]
					| map(. as $r | [$reasons[] | select(. == $r)] | length | tostring) | join(" | ")) |")
			' "${selected_stages[@]}" < <(cat "${graded[@]}")
		fi
	} >"$summary.part"
	mv "$summary.part" "$summary"
}
