#!/usr/bin/env bats
# solutions/04-sigpipe: the claims its handout (labs/04-sigpipe/README.md)
# makes about the server that survives SIGPIPE, checked with the real tools.

setup_file() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	build_stage "$KIT_ROOT/solutions/04-sigpipe"
}

setup() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	start_stage_server "$KIT_ROOT/solutions/04-sigpipe"
}

teardown() {
	stop_holding
	stop_server
}

# count_reports: how many "Broken pipe" lines the server has written.
count_reports() {
	grep -c "Broken pipe" "$SERVER_LOG" || true
}

@test "solution 04 ignores SIGPIPE" {
	# SigIgn is the mask of ignored signals: signal N is bit N - 1, and
	# SIGPIPE is signal 13.
	local ignored
	ignored=$(awk '/^SigIgn:/ { print $2 }' "/proc/$SERVER_PID/status")
	[ $(( 0x$ignored >> 12 & 1 )) -eq 1 ]
}

@test "solution 04 reports a client that resets mid-transfer with one line on stderr" {
	"$PSOCKETS/TCPReset" 127.0.0.1 "$PORT"
	wait_until 5 eval '[ "$(count_reports)" -eq 1 ]' || {
		echo "expected one report; the server said:"
		cat "$SERVER_LOG"
		return 1
	}
	run grep -c "TCPEchod: write: Broken pipe" "$SERVER_LOG"
	assert_output 1
}

@test "solution 04 survives 20 resetting clients with a report for each, and keeps serving" {
	"$PSOCKETS/TCPReset" -n 20 127.0.0.1 "$PORT"
	wait_until 5 eval '[ "$(count_reports)" -eq 20 ]' || {
		echo "expected 20 reports, saw $(count_reports); the server said:"
		cat "$SERVER_LOG"
		return 1
	}
	server_is_running
	run echo_line ::1
	assert_success
}

@test "solution 04 leaves the other clients' children alone while 20 clients reset, and leaves no zombies" {
	hold_connections 3 -e
	"$PSOCKETS/TCPReset" -n 20 127.0.0.1 "$PORT"
	wait_until 5 eval '[ "$(count_children_of "$SERVER_PID")" -eq 3 ]' || {
		echo "expected only the 3 held clients' children; ps says:"
		ps -o pid,ppid,stat,cmd --ppid "$SERVER_PID"
		return 1
	}
	assert_equal "$(count_zombies_of "$SERVER_PID")" 0
	assert_equal "$(count_state "$PORT" ESTABLISHED server)" 3
	run echo_line 127.0.0.1
	assert_success
}
