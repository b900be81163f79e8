#!/usr/bin/env bats
# The grader's capture suites (grading/suites/0[124]-captures.bats) give the
# reference solutions' captures full marks and take the points, with a
# message naming what is missing, from a stage folder without them.

setup() {
	load "../lib/server.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	export KIT_ROOT
}

# run_capture_suite STAGE FOLDER: runs stage STAGE's capture suite as the
# grader would, on a student's stage FOLDER.
run_capture_suite() {
	run env SUBMISSION_STAGE_DIR="$2" SERVER_BIN=/nonexistent \
		bats --tap "$KIT_ROOT/grading/suites/$1-captures.bats"
}

@test "the solutions' captures get full marks in stages 01, 02 and 04" {
	run_capture_suite 01 "$KIT_ROOT/solutions/01-sequential"
	assert_success
	assert_output --partial "ok 1 handshake.pcap shows"
	run_capture_suite 02 "$KIT_ROOT/solutions/02-fork"
	assert_success
	assert_output --partial "ok 1 two-clients.pcap shows"
	run_capture_suite 04 "$KIT_ROOT/solutions/04-sigpipe"
	assert_success
	assert_output --partial "ok 1 reset.pcap shows"
}

@test "a stage folder without its capture loses the points and is told what is missing" {
	run_capture_suite 01 "$BATS_TEST_TMPDIR"
	assert_failure
	assert_output --partial "not ok 1 handshake.pcap shows"
	assert_output --partial "seen: handshake.pcap: missing"
	assert_output --partial "See labs/01-sequential/README.md, 'Capture the handshake and the close'."
}

@test "a capture of the wrong exchange loses the points with the checker's finding" {
	cp "$KIT_ROOT/solutions/01-sequential/handshake.pcap" "$BATS_TEST_TMPDIR/reset.pcap"
	run_capture_suite 04 "$BATS_TEST_TMPDIR"
	assert_failure
	assert_output --partial "not ok 1 reset.pcap shows"
	assert_output --partial "seen: reset.pcap: no connection was reset by its client"
	assert_output --partial "See labs/04-sigpipe/README.md, 'Capture the reset'."
}
