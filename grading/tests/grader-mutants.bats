#!/usr/bin/env bats
# The grader catches each bug of grading/mutants/ in the test named for it,
# and gives full marks to the correct alternatives there.
#
# grading/mutants/STAGE/NAME/ holds a self-contained TCPEchod.c and
# expected-failures: the exact names of the tests it must fail, one a line
# (empty for a correct alternative, named ok-*).  Each is graded with
# --lab STAGE only, in the reference solution's stage folder.

setup() {
	load "grader.bash"
}

# check_mutants_of STAGE: grades every mutant of STAGE, all at once (each
# stage runs in its own namespaces, so they cannot meet; and most of a
# broken server's grading is waiting); fails listing each mutant whose
# failed tests differ from its expected-failures, and each hint pointing
# to a handout section that does not exist.
check_mutants_of() {
	local stage=$1 mutant name submission pids=() names=() k status expected actual problems=
	for mutant in "$KIT_ROOT/grading/mutants/$stage"/*/; do
		name=$(basename "$mutant")
		submission=$(new_submission)
		hand_in "$submission" "$stage" "$mutant/TCPEchod.c"
		grade --lab "$stage" --format tap "$submission" >"$BATS_TEST_TMPDIR/$name.tap" 2>&1 &
		pids+=($!)
		names+=("$name")
	done
	for k in "${!pids[@]}"; do
		name=${names[k]}
		status=0
		wait "${pids[k]}" || status=$?
		expected=$(sort "$KIT_ROOT/grading/mutants/$stage/$name/expected-failures")
		actual=$(failed_tests_in_tap <"$BATS_TEST_TMPDIR/$name.tap")
		if [ "$actual" != "$expected" ]; then
			problems+="$name failed [${actual//$'\n'/; }], expected [${expected//$'\n'/; }]"$'\n'
		fi
		if [ -z "$expected" ] && [ "$status" -ne 0 ] || [ -n "$expected" ] && [ "$status" -ne 1 ]; then
			problems+="$name: grade exited with status $status"$'\n'
		fi
		while IFS=$'\t' read -r handout section; do
			handout_has_section "$handout" "$section" ||
				problems+="$name: a hint points to '$section' in $handout, which has no such section"$'\n'
		done < <(hinted_sections_in_tap <"$BATS_TEST_TMPDIR/$name.tap")
	done
	[ -z "$problems" ] || fail "$problems"
}

@test "stage 01 mutants lose points exactly where their bug is named; recv/send scores full" {
	check_mutants_of 01-sequential
}

@test "stage 02 mutants lose points exactly where their bug is named; SIG_IGN for SIGCHLD scores full" {
	check_mutants_of 02-fork
}

@test "stage 03 mutants lose points exactly where their bug is named; SIG_IGN and an EINTR loop score full" {
	check_mutants_of 03-reaper
}

@test "stage 04 mutants lose points exactly where their bug is named; a SIGPIPE handler scores full" {
	check_mutants_of 04-sigpipe
}

@test "stage 05 mutants lose points exactly where their bug is named; the descriptor in the pointer scores full" {
	check_mutants_of 05-threads
}
