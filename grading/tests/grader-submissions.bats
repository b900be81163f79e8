#!/usr/bin/env bats
# The grader on the kit's own work: the reference solutions score full
# marks, and every starting point in labs/ builds and scores below full.
# Both are graded at once, in setup_file (each stage runs in its own
# namespaces), and each test checks one of the reports.

setup_file() {
	local kit_root
	kit_root=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	"$kit_root/grading/grade" --format json --output "$BATS_FILE_TMPDIR/solutions.json" \
		>"$BATS_FILE_TMPDIR/solutions.out" 2>&1 3>&- &
	local solutions=$!
	"$kit_root/grading/grade" --format tap "$kit_root/labs" \
		>"$BATS_FILE_TMPDIR/labs.tap" 2>&1 3>&- &
	local labs=$!
	local status=0
	wait "$solutions" || status=$?
	echo "$status" >"$BATS_FILE_TMPDIR/solutions.status"
	status=0
	wait "$labs" || status=$?
	echo "$status" >"$BATS_FILE_TMPDIR/labs.status"
}

setup() {
	load "grader.bash"
}

@test "solutions/ scores full marks in every stage (results.json)" {
	cat "$BATS_FILE_TMPDIR/solutions.out"
	[ "$(cat "$BATS_FILE_TMPDIR/solutions.status")" -eq 0 ]
	grep -qE '^[0-9]+ passed, 0 failed$' "$BATS_FILE_TMPDIR/solutions.out"
	run jq -r '[.score, ([.tests[].max_score] | add), (.tests | length),
		([.tests[] | select(.status != "passed") | .name] | join("; "))] | @tsv' \
		"$BATS_FILE_TMPDIR/solutions.json"
	assert_success
	IFS=$'\t' read -r score max tests failed <<<"$output"
	[ "$score" -eq "$max" ] && [ -z "$failed" ] ||
		fail "score $score of $max; failed: $failed"
	# Every rubric row was graded.
	[ "$tests" -ge "$(grep -vc '^#' "$KIT_ROOT/grading/rubric")" ]
}

@test "every starting point in labs/ builds and scores below full marks, without grader errors" {
	run cat "$BATS_FILE_TMPDIR/labs.tap"
	echo "$output"
	[ "$(cat "$BATS_FILE_TMPDIR/labs.status")" -eq 1 ]
	refute_output --partial "does not compile"
	refute_output --partial "not submitted"
	refute_output --partial "grader error"
	local stage score max stages=0
	while read -r stage score max; do
		stages=$((stages + 1))
		[ "$score" -lt "$max" ] || fail "labs/$stage scores full marks ($score/$max)"
	done < <(stage_scores_in_tap <<<"$output")
	[ "$stages" -eq "$(ls -d "$KIT_ROOT"/labs/[0-9]*/ | wc -l)" ]
}
