#!/usr/bin/env bats
# labs/09-superserver: the starting point is stage 04's server, as its
# handout says: it echoes by itself in a child of its own, runs no
# program, and ignores SIGPIPE.

setup_file() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	build_stage "$KIT_ROOT/labs/09-superserver"
}

setup() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	STAGE=$KIT_ROOT/labs/09-superserver
	PORT=$(pick_port)
}

teardown() {
	stop_holding
	stop_server
}

@test "starting point 09 echoes in children that are copies of itself, not a program" {
	start_server_on "$PORT" "$STAGE/TCPEchod" "$PORT"
	hold_connections 2 -e
	assert_equal "$(ps -o comm= --ppid "$SERVER_PID" | sort -u)" "TCPEchod"
}

@test "starting point 09 takes no program: a program after the port is a usage error" {
	run timeout 5 "$STAGE/TCPEchod" "$PORT" "$PSOCKETS/fdreport"
	assert_failure 1
	assert_output --partial "usage: TCPEchod [port]"
}

@test "starting point 09 still ignores SIGPIPE, as stage 04 did" {
	local ignored
	start_server_on "$PORT" "$STAGE/TCPEchod" "$PORT"
	ignored=$(awk '/^SigIgn:/ { print $2 }' "/proc/$SERVER_PID/status")
	[ $(( 0x$ignored >> 12 & 1 )) -eq 1 ]
}
