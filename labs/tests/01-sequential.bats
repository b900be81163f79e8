#!/usr/bin/env bats
# labs/01-sequential: the starting point builds and runs, but lacks what the
# handout's steps add (the echo loop, SO_REUSEADDR), as the handout says.

setup_file() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	build_stage "$KIT_ROOT/labs/01-sequential"
}

setup() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	STAGE=$KIT_ROOT/labs/01-sequential
	start_stage_server "$STAGE"
}

teardown() {
	stop_holding
	stop_server
}

@test "starting point 01 runs and answers a single line" {
	run echo_line 127.0.0.1
	assert_success
	assert_output "hello over 127.0.0.1"
}

@test "starting point 01 does not echo 1 MiB: it answers one read and hangs up" {
	head -c 1048576 /dev/urandom >"$BATS_TEST_TMPDIR/sent"
	run "$PSOCKETS/TCPEcho" -t 5 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/sent"
	assert_failure
}

@test "starting point 01 cannot restart while its own side is in TIME_WAIT (no SO_REUSEADDR)" {
	hold_connections 1 -e
	stop_server
	stop_holding
	wait_until 5 eval '[ "$(count_state "$PORT" TIME_WAIT server)" -eq 1 ]'
	start_server "$STAGE/TCPEchod" "$PORT"
	wait_until 5 eval '! server_is_running'
	# Its output reaches the log through a pipe: let it arrive.
	wait_until 2 grep -q "Address already in use" "$SERVER_LOG" || true
	run cat "$SERVER_LOG"
	assert_output --partial "bind to port $PORT: Address already in use"
}
