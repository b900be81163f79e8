#!/usr/bin/env bats
# labs/08-prefork: the starting point is stage 04's server, as its handout
# says: it reads -n, but still forks a child per client, and starts no
# worker.

setup_file() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	build_stage "$KIT_ROOT/labs/08-prefork"
}

setup() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	STAGE=$KIT_ROOT/labs/08-prefork
	PORT=$(pick_port)
}

teardown() {
	stop_holding
	stop_server
}

children_of() {
	ps -o pid= --ppid "$1" | tr -d ' ' | sort -n
}

@test "starting point 08 forks a child per client: 3 held clients are 3 children, new ones the next time" {
	local first second
	start_server_on "$PORT" "$STAGE/TCPEchod" "$PORT"
	hold_connections 3 -e
	first=$(children_of "$SERVER_PID")
	assert_equal "$(wc -l <<<"$first")" 3
	stop_holding
	wait_until 5 eval '[ "$(count_children_of "$SERVER_PID")" -eq 0 ]'
	hold_connections 3 -e
	second=$(children_of "$SERVER_PID")
	assert_equal "$(wc -l <<<"$second")" 3
	assert_equal "$(comm -12 <(echo "$first") <(echo "$second"))" ""
}

@test "starting point 08 takes -n 3 but starts no worker, and keeps no process after its clients" {
	start_server_on "$PORT" "$STAGE/TCPEchod" -n 3 "$PORT"
	sleep 0.5
	assert_equal "$(count_children_of "$SERVER_PID")" 0
	echo_clients_one_by_one 20
	wait_until 5 eval '[ "$(count_children_of "$SERVER_PID")" -eq 0 ]'
	assert_equal "$(count_children_of "$SERVER_PID")" 0
}
