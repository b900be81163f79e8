#!/usr/bin/env bats
# labs/03-reaper: the starting point is stage 02's forking server, as its
# handout says: concurrent, but it leaves a zombie per client.

setup_file() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	build_stage "$KIT_ROOT/labs/03-reaper"
}

setup() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	start_stage_server "$KIT_ROOT/labs/03-reaper"
}

teardown() {
	stop_holding
	stop_server
}

@test "starting point 03 serves a client while two others stay connected" {
	hold_connections 2 -e
	run echo_line ::1
	assert_success
}

@test "starting point 03 leaves 30 zombies after 30 clients disconnect at once" {
	"$PSOCKETS/TCPBurst" -n 30 127.0.0.1 "$PORT"
	wait_until 5 eval '[ "$(count_zombies_of "$SERVER_PID")" -eq 30 ]' || {
		echo "expected 30 zombies; ps says:"
		ps -o pid,ppid,stat,cmd --ppid "$SERVER_PID"
		return 1
	}
}
