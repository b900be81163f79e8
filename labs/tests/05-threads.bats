#!/usr/bin/env bats
# labs/05-threads: the starting point is stage 04's forking server, as its
# handout says: a process per client, not a thread.

setup_file() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	build_stage "$KIT_ROOT/labs/05-threads"
}

setup() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	start_stage_server "$KIT_ROOT/labs/05-threads"
}

teardown() {
	stop_holding
	stop_server
}

@test "starting point 05 serves each client in a child process, with one thread each" {
	hold_connections 3 -e
	assert_equal "$(count_children_of "$SERVER_PID")" 3
	assert_equal "$(count_threads_of "$SERVER_PID")" 1
}

@test "starting point 05 keeps serving the others when one client's child crashes" {
	hold_connections 3 -e
	local child
	child=$(ps -o pid= --ppid "$SERVER_PID" | head -n 1 | tr -d ' ')
	kill -SEGV "$child"
	wait_until 5 eval '[ "$(count_children_of "$SERVER_PID")" -eq 2 ]'
	server_is_running
	assert_equal "$(count_state "$PORT" ESTABLISHED server)" 2
	run echo_line 127.0.0.1
	assert_success
}
