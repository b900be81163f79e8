#!/usr/bin/env bats
# solutions/03-reaper: the claims its handout (labs/03-reaper/README.md)
# makes about the reaping server, checked with the real tools.

setup_file() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	build_stage "$KIT_ROOT/solutions/03-reaper"
}

setup() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	start_stage_server "$KIT_ROOT/solutions/03-reaper"
}

teardown() {
	stop_holding
	stop_server
}

# Fails, showing ps, unless the server's zombies reach 0 within 5 s.
expect_no_zombies() {
	wait_until 5 eval '[ "$(count_zombies_of "$SERVER_PID")" -eq 0 ]' || {
		echo "zombies remain; ps says (see the handout, step 2):"
		ps -o pid,ppid,stat,cmd --ppid "$SERVER_PID"
		return 1
	}
}

@test "solution 03 catches SIGCHLD (a handler is installed)" {
	# SigCgt is the mask of caught signals: signal N is bit N - 1, and
	# SIGCHLD is signal 17 on Linux.
	local caught
	caught=$(awk '/^SigCgt:/ { print $2 }' "/proc/$SERVER_PID/status")
	[ $(( 0x$caught >> 16 & 1 )) -eq 1 ]
}

@test "solution 03 leaves no zombie after a client leaves" {
	echo_line 127.0.0.1
	expect_no_zombies
}

@test "solution 03 leaves no zombies after 30 clients disconnect at once" {
	"$PSOCKETS/TCPBurst" -n 30 127.0.0.1 "$PORT"
	expect_no_zombies
	assert_equal "$(count_children_of "$SERVER_PID")" 0
}

@test "solution 03 keeps serving while another client stays connected (its handler never blocks)" {
	hold_connections 1 -e
	# Each client that leaves raises SIGCHLD while the held child still runs.
	local client
	for client in 1 2 3; do
		run echo_line 127.0.0.1
		assert_success
	done
	assert_equal "$(count_children_of "$SERVER_PID")" 1
}

@test "solution 03 keeps accepting after children exit, without an accept error" {
	echo_clients_one_by_one 10
	run cat "$SERVER_LOG"
	refute_output --partial "accept"
}

@test "solution 03 keeps its descriptor count flat over 100 clients" {
	echo_line 127.0.0.1 >/dev/null
	local before
	before=$(count_fds_of "$SERVER_PID")
	echo_clients_one_by_one 100
	assert_equal "$(count_fds_of "$SERVER_PID")" "$before"
	expect_no_zombies
}
