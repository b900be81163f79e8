#!/usr/bin/env bats
# labs/04-sigpipe: the starting point is stage 03's server, as its handout
# says: a child whose client resets dies of SIGPIPE, without a word.

setup_file() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	build_stage "$KIT_ROOT/labs/04-sigpipe"
}

setup() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	STAGE=$KIT_ROOT/labs/04-sigpipe
	PORT=$(pick_port)
}

teardown() {
	stop_holding
	stop_server
}

@test "starting point 04's child is killed by SIGPIPE when its client resets, and nothing is reported" {
	# strace -f runs the server and says how each of its processes ends.
	# It slows the server down, so a child may now and then read end-of-
	# file before its write fails: with three resets, one dies of SIGPIPE
	# all but surely.
	SERVER_WRAPPER="strace -f -e trace=none -o $BATS_TEST_TMPDIR/strace"
	start_server_on "$PORT" "$STAGE/TCPEchod" "$PORT"
	"$PSOCKETS/TCPReset" -n 3 127.0.0.1 "$PORT"
	wait_until 5 grep -q "killed by SIGPIPE" "$BATS_TEST_TMPDIR/strace" || {
		echo "expected a child killed by SIGPIPE; strace says:"
		cat "$BATS_TEST_TMPDIR/strace"
		return 1
	}
	# The server's output reaches its log through a pipe: let it arrive.
	wait_until 2 grep -q "listening" "$SERVER_LOG" || true
	run cat "$SERVER_LOG"
	assert_output "TCPEchod: listening on port $PORT"
}

@test "starting point 04's parent and other clients outlive 20 resetting clients" {
	start_server_on "$PORT" "$STAGE/TCPEchod" "$PORT"
	hold_connections 3 -e
	"$PSOCKETS/TCPReset" -n 20 127.0.0.1 "$PORT"
	wait_until 5 eval '[ "$(count_children_of "$SERVER_PID")" -eq 3 ]'
	run echo_line 127.0.0.1
	assert_success
	run cat "$SERVER_LOG"
	refute_output --partial "Broken pipe"
}
