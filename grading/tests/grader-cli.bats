#!/usr/bin/env bats
# grading/grade's command line: arguments, formats, exit status, and a
# missing stage.

setup() {
	load "grader.bash"
}

@test "an unknown lab is a usage error: exit 2, usage on stderr" {
	run grade --lab 42
	assert_failure 2
	assert_output --partial "usage: grading/grade"
	assert_output --partial 'unknown lab "42"'
}

@test "an unknown option or format, or two submissions, is a usage error" {
	run grade --colour
	assert_failure 2
	run grade --format xml
	assert_failure 2
	run grade "$KIT_ROOT/labs" "$KIT_ROOT/solutions"
	assert_failure 2
	run grade --help
	assert_success
	assert_output --partial "--lab NAME"
}

@test "json output is a valid results.json even when the grader itself fails" {
	run env GRADE_SANDBOX=broken "$GRADE" --format json --output "$BATS_TEST_TMPDIR/results.json" 3>&-
	assert_failure 2
	run jq -e '.score == 0 and (.tests | length) == 0 and (.output | test("grader"))' "$BATS_TEST_TMPDIR/results.json"
	assert_success
	# A usage error too, on standard output this time.
	run bash -c '"$0" --format json --lab 42 2>/dev/null | jq -e ".score == 0"' "$GRADE"
	assert_success
}

@test "a missing stage scores 0 as not submitted; the others are graded; human, junit and tap agree" {
	local submission
	submission=$(new_submission)
	hand_in "$submission" 01-sequential "$KIT_ROOT/solutions/01-sequential/TCPEchod.c"
	run grade --lab 01 --lab 02-fork --format human "$submission"
	echo "$output"
	assert_failure 1
	assert_output --partial "✓ echoes a line of text over IPv4  10/10"
	assert_output --partial "✗ not submitted (no 02-fork/TCPEchod.c in the submission)"
	assert_output --partial "01-sequential: $(stage_max 01-sequential)/$(stage_max 01-sequential) "
	assert_output --partial "02-fork: 0/$(stage_max 02-fork) "
	assert_line --index -1 --regexp '^[0-9]+ passed, [1-9][0-9]* failed$'
	local summary=${lines[-1]}

	run grade --lab 01 --lab 02 --format junit --output "$BATS_TEST_TMPDIR/report.xml" "$submission"
	assert_failure 1
	assert_output "$summary"
	run xmllint --noout "$BATS_TEST_TMPDIR/report.xml"
	assert_success
	run grep -c '<failure type="failure">' "$BATS_TEST_TMPDIR/report.xml"
	assert_output "$(echo "$summary" | sed 's/.* \([0-9]*\) failed/\1/')"

	run grade --lab 02 --lab 01 --format tap "$submission"
	assert_failure 1
	assert_line --index 0 --regexp '^1\.\.[0-9]+$'
	assert_line --index -1 "$summary"
	assert_output --partial "# 02-fork: 0/$(stage_max 02-fork)"
}

@test "a failed test says what was seen and points to the handout" {
	local submission
	submission=$(new_submission)
	hand_in_mutant "$submission" 01-sequential ipv4-only
	run grade --lab 01-sequential --format human "$submission"
	echo "$output"
	assert_failure 1
	assert_output --partial "built with the kit's strict flags"
	assert_output --partial "✗ echoes a line of text over IPv6 (the listener is dual-stack)  0/15"
	assert_output --partial "seen: a client on ::1 sent"
	assert_output --regexp "hint: .* See labs/01-sequential/README.md, '[^']+'\."
	refute_output --partial "in test file"
}

@test "a stage cut off by its backstop (above the sum of its tests' bounds) is a grader error: exit 2, and says why" {
	local started elapsed
	started=$(date +%s)
	run env GRADE_STAGE_TIME_LIMIT=4 "$GRADE" --lab 04 --format tap 3>&-
	elapsed=$(($(date +%s) - started))
	echo "$output"
	assert_failure 2
	assert_output --partial "# grader error: the stage was stopped after 4 s"
	[ "$elapsed" -le 30 ] || fail "grading took $elapsed s with a 4 s stage limit"
}
