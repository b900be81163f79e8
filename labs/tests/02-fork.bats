#!/usr/bin/env bats
# labs/02-fork: the starting point is stage 01's sequential server, as its
# handout says: it echoes, but serves one client at a time.

setup_file() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	build_stage "$KIT_ROOT/labs/02-fork"
}

setup() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	start_stage_server "$KIT_ROOT/labs/02-fork"
}

teardown() {
	stop_holding
	stop_server
}

@test "starting point 02 echoes 1 MiB byte for byte" {
	head -c 1048576 /dev/urandom >"$BATS_TEST_TMPDIR/sent"
	"$PSOCKETS/TCPEcho" -t 10 ::1 "$PORT" <"$BATS_TEST_TMPDIR/sent" >"$BATS_TEST_TMPDIR/back"
	cmp "$BATS_TEST_TMPDIR/sent" "$BATS_TEST_TMPDIR/back"
}

@test "starting point 02 does not answer a second client while the first stays connected" {
	hold_connections 1 -e
	run bash -c "echo waiting | '$PSOCKETS/TCPEcho' -t 2 127.0.0.1 $PORT"
	assert_failure
	assert_output --partial "no reply from server"
	assert_equal "$(count_children_of "$SERVER_PID")" 0
}
