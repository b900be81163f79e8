#!/usr/bin/env bats
# The grader's own faults are never a student's zero: a missing piece, a
# suite bats cannot run, a sandbox that cannot be made each end in exit
# status 2 with the reason.  A slow test fails alone, at its own time
# bound, and the tests after it still run.  And a child killed by
# SIGPIPE is seen as such in every sandbox mode.
#
# The faults in the grader's suites are made in a copy of the kit, in
# this test's own folder.

setup() {
	load "grader.bash"
}

# copy_of_the_kit: prints the path of a copy of the parts of the kit the
# grader uses, to break at will.
copy_of_the_kit() {
	local copy="$BATS_TEST_TMPDIR/kit"
	mkdir -p "$copy"
	cp -r "$KIT_ROOT/grading" "$KIT_ROOT/labs" "$KIT_ROOT/psockets2" "$KIT_ROOT/solutions" "$copy/"
	echo "$copy"
}

# A folder the user nobody can read, for a submission graded as nobody.
readable_folder() {
	local folder
	folder=$(mktemp -d /tmp/grader-faults.XXXXXX)
	chmod 755 "$folder"
	echo "$folder"
}

@test "a missing bats library is the grader's fault: exit 2 and one line naming it and make setup, no test scored" {
	run env BATS_LIB_PATH="$BATS_TEST_TMPDIR/no-libraries" "$GRADE" --lab 01 --format tap 3>&-
	echo "$output"
	assert_failure 2
	assert_output --regexp "grade: .*bats-support.*make setup"
	refute_output --partial "not ok"
	[ "${#lines[@]}" -eq 1 ] || fail "expected one line, got ${#lines[@]}"
}

@test "a GRADE_TOOLS folder without the grader's tools is the grader's fault: exit 2 with the reason" {
	mkdir "$BATS_TEST_TMPDIR/tools"
	run env GRADE_TOOLS="$BATS_TEST_TMPDIR/tools" "$GRADE" --lab 01 --format tap 3>&-
	assert_failure 2
	assert_output --partial "GRADE_TOOLS=$BATS_TEST_TMPDIR/tools does not hold the grader's tools"
	refute_output --partial "not ok"
}

@test "a suite that bats cannot run is the grader's fault: exit 2 with the reason, not a student's 0" {
	local kit
	kit=$(copy_of_the_kit)
	printf '\n@test "a test that does not parse" {\n\tif true; then\n}\n' >>"$kit/grading/suites/01-sequential.bats"
	run "$kit/grading/grade" --lab 01 --format tap "$kit/solutions" 3>&-
	echo "$output"
	assert_failure 2
	assert_output --partial "grader error: bats could not run the stage's tests"
	assert_output --partial "01-sequential.bats"
}

@test "a sandbox that cannot be made is the grader's fault: exit 2 with the reason" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to become another user"
	id nobody >/dev/null 2>&1 || skip "no user nobody to run as"
	run setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups env -u GRADE_WORKDIR \
		HOME=/nonexistent GRADE_SANDBOX=root "$GRADE" --lab 01 --format tap 3>&-
	echo "$output"
	assert_failure 2
	assert_output --partial "the sandbox (root) cannot be made here: it needs root"
	refute_output --partial "not ok"
}

@test "a test that takes too long fails alone at its own bound, and the tests after it still run" {
	local kit started elapsed
	kit=$(copy_of_the_kit)
	# Two slow tests first: one bats can stop, one it cannot (a command
	# substitution whose grandchild holds the pipe), so that run-stage's
	# watchdog must: without it, the stage would wait for its backstop,
	# minutes later.
	awk '/^@test / && !done {
		print "@test \"sleeps for a minute\" {\n\tsleep 60\n}\n"
		print "@test \"is stuck for ten minutes\" {\n\tlocal stuck\n\tstuck=$(sleep 600; echo)\n}\n"
		done = 1 }
		{ print }' "$KIT_ROOT/grading/suites/01-sequential.bats" >"$kit/grading/suites/01-sequential.bats"
	started=$(date +%s)
	run env GRADE_TEST_TIME_LIMIT=3 "$kit/grading/grade" --lab 01 --format tap "$kit/solutions" 3>&-
	elapsed=$(($(date +%s) - started))
	echo "$output"
	assert_failure 1
	assert_output --regexp "not ok [0-9]+ 01-sequential: sleeps for a minute \(0/0 points\)"$'\n'"# .*"$'\n'"# took longer than 3 s"
	assert_output --regexp "not ok [0-9]+ 01-sequential: is stuck for ten minutes \(0/0 points\)"$'\n'"# .*"$'\n'"# took longer than 3 s"
	# Every test of the rubric still ran, and passed.
	assert_output --partial "# 01-sequential: $(stage_max 01-sequential)/$(stage_max 01-sequential)"
	[ "$elapsed" -le 90 ] || fail "grading took $elapsed s"
}

@test "a child killed by SIGPIPE fails in every sandbox mode, whatever the server prints, and a correct server passes" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to grade as nobody and without namespaces"
	id nobody >/dev/null 2>&1 || skip "no user nobody to run as"
	local folder chatty userns none solution
	folder=$(readable_folder)
	hand_in_mutant "$folder" 04-sigpipe chatty-dies-of-sigpipe
	chmod -R a+rX "$folder"
	setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups env -u GRADE_WORKDIR HOME=/nonexistent \
		"$GRADE" --lab 04 --format tap "$folder" >"$BATS_TEST_TMPDIR/userns.tap" 2>&1 3>&- &
	userns=$!
	GRADE_SANDBOX=none "$GRADE" --lab 04 --format tap "$folder" >"$BATS_TEST_TMPDIR/none.tap" 2>&1 3>&- &
	none=$!
	GRADE_SANDBOX=none "$GRADE" --lab 04 --format tap >"$BATS_TEST_TMPDIR/solution.tap" 2>&1 3>&- &
	solution=$!
	wait "$userns" || true
	wait "$none" || true
	wait "$solution" || true
	rm -rf "$folder"
	for mode in userns none; do
		run cat "$BATS_TEST_TMPDIR/$mode.tap"
		echo "$output"
		assert_output --regexp "not ok [0-9]+ 04-sigpipe: no child is killed by SIGPIPE when clients reset mid-transfer \(0/30 points\)"$'\n'"# seen: [0-9]+ of the server's children were killed by SIGPIPE"
		assert_output --partial "# 04-sigpipe: $(($(stage_max 04-sigpipe) - 30))/$(stage_max 04-sigpipe)"
	done
	run cat "$BATS_TEST_TMPDIR/solution.tap"
	echo "$output"
	assert_output --partial "# 04-sigpipe: $(stage_max 04-sigpipe)/$(stage_max 04-sigpipe)"
}
