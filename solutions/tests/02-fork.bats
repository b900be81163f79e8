#!/usr/bin/env bats
# solutions/02-fork: the claims its handout (labs/02-fork/README.md) makes
# about the forking server, checked with the real tools.

setup_file() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	build_stage "$KIT_ROOT/solutions/02-fork"
}

setup() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	start_stage_server "$KIT_ROOT/solutions/02-fork"
}

teardown() {
	stop_holding
	stop_server
}

@test "solution 02 echoes a line over IPv4 and over IPv6" {
	run echo_line 127.0.0.1
	assert_output "hello over 127.0.0.1"
	run echo_line ::1
	assert_output "hello over ::1"
}

@test "solution 02 serves a third client while two others stay connected, one child each" {
	hold_connections 2 -e
	assert_equal "$(count_children_of "$SERVER_PID")" 2
	run echo_line 127.0.0.1
	assert_success
}

@test "solution 02 leaves a zombie per client that has left, as its handout says (stage 03 fixes it)" {
	"$PSOCKETS/TCPBurst" -n 5 127.0.0.1 "$PORT"
	wait_until 5 eval '[ "$(count_zombies_of "$SERVER_PID")" -eq 5 ]' || {
		echo "expected 5 zombies; ps says:"
		ps -o pid,ppid,stat,cmd --ppid "$SERVER_PID"
		return 1
	}
	run ps -o stat=,cmd= --ppid "$SERVER_PID"
	assert_output --partial "<defunct>"
}

@test "solution 02's parent closes each connected socket: no CLOSE_WAIT, no descriptor growth over 20 clients" {
	echo_line 127.0.0.1 >/dev/null
	local before
	before=$(count_fds_of "$SERVER_PID")
	echo_clients_one_by_one 20
	assert_equal "$(count_fds_of "$SERVER_PID")" "$before"
	assert_equal "$(count_state "$PORT" CLOSE_WAIT server)" 0
}

@test "solution 02's children do not hold the listening socket" {
	hold_connections 3 -e
	# ss lists every process that holds the listening socket: only the parent.
	run ss -Htlnp "sport = :$PORT"
	assert_output --partial "pid=$SERVER_PID,"
	refute_output --regexp "pid=[0-9]+,.*pid="
}

@test "solution 02's children exit when their clients leave (none falls back into the accept loop)" {
	hold_connections 3 -e
	stop_holding
	# Exited but not reaped: every child is a zombie, none is still running.
	wait_until 5 eval '[ "$(count_zombies_of "$SERVER_PID")" -eq 3 ]' || {
		echo "expected 3 exited children; ps says:"
		ps -o pid,ppid,stat,cmd --ppid "$SERVER_PID"
		return 1
	}
	assert_equal "$(count_children_of "$SERVER_PID")" 3
}
