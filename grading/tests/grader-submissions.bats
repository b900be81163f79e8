#!/usr/bin/env bats
# The grader on the kit's own work: the reference solutions score full
# marks, and every starting point in labs/ builds and scores below full.

setup() {
	load "grader.bash"
}

@test "solutions/ scores full marks in every stage (results.json)" {
	run grade --format json --output "$BATS_TEST_TMPDIR/results.json"
	echo "$output"
	assert_success
	assert_output --regexp '^[0-9]+ passed, 0 failed$'
	run jq -r '[.score, ([.tests[].max_score] | add), (.tests | length),
		([.tests[] | select(.status != "passed")] | length)] | @tsv' "$BATS_TEST_TMPDIR/results.json"
	assert_success
	read -r score max tests failed <<<"$output"
	[ "$score" -eq "$max" ] && [ "$failed" -eq 0 ] ||
		fail "score $score of $max, $failed of $tests tests failed"
	# Every rubric row was graded.
	[ "$tests" -ge "$(grep -vc '^#' "$KIT_ROOT/grading/rubric")" ]
}

@test "every starting point in labs/ builds and scores below full marks, without grader errors" {
	run grade --format tap "$KIT_ROOT/labs"
	echo "$output"
	assert_failure 1
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
