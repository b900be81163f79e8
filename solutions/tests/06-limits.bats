#!/usr/bin/env bats
# solutions/06-limits: the claims its handout (labs/06-limits/README.md)
# makes about the server within its limits, checked with the real tools.

setup_file() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	build_stage "$KIT_ROOT/solutions/06-limits"
}

setup() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	load "limits.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	STAGE=$KIT_ROOT/solutions/06-limits
	PORT=$(pick_port)
}

teardown() {
	stop_holding
	stop_server
}

start_capped() {
	start_server_on "$PORT" "$STAGE/TCPEchod" -m 5 "$PORT"
}

@test "solution 06 listens with the kernel's largest backlog (Send-Q is net.core.somaxconn)" {
	start_server_on "$PORT" "$STAGE/TCPEchod" "$PORT"
	assert_equal "$(listener_queue)" "0 $(sysctl -n net.core.somaxconn)"
}

@test "solution 06 serves a burst of 500 clients in under 3 s, with and without -m 5" {
	local elapsed
	start_server_on "$PORT" "$STAGE/TCPEchod" "$PORT"
	elapsed=$(burst_milliseconds) || fail "a client of the burst got no echo"
	[ "$elapsed" -lt 3000 ] || fail "the burst took $elapsed ms"
	stop_server
	start_capped
	elapsed=$(burst_milliseconds) || fail "a client of the burst got no echo with -m 5"
	[ "$elapsed" -lt 3000 ] || fail "the burst took $elapsed ms with -m 5"
}

@test "solution 06 rejects a bad -m with a message and exit status 1" {
	local value
	for value in 0 x 5x -1 10001; do
		run "$STAGE/TCPEchod" -m "$value" "$PORT"
		assert_failure 1
		assert_output "TCPEchod: bad MAX_CHILDREN \"$value\": give a number from 1 to 10000"
	done
	run "$STAGE/TCPEchod" -m
	assert_failure 1
	assert_output --partial "usage: TCPEchod [-m MAX_CHILDREN] [port]"
	run "$STAGE/TCPEchod" -m 5 "$PORT" extra
	assert_failure 1
}

@test "solution 06 with -m 5 and 10 clients: 5 children, 5 clients in the queue, no new descriptor, asleep" {
	local before descriptors
	start_capped
	descriptors=$(count_fds_of "$SERVER_PID")
	hold_connections 10
	wait_until 5 eval '[ "$(listener_queue)" = "5 $(sysctl -n net.core.somaxconn)" ]' ||
		fail "expected 5 clients waiting in the queue, saw: $(listener_queue)"
	assert_equal "$(count_children_of "$SERVER_PID")" 5
	assert_equal "$(count_state "$PORT" ESTABLISHED server)" 10
	assert_equal "$(count_fds_of "$SERVER_PID")" "$descriptors"
	before=$(cpu_ticks_of "$SERVER_PID")
	sleep 2
	assert_equal "$(ps -o stat= -p "$SERVER_PID" | cut -c1)" S
	[ $(($(cpu_ticks_of "$SERVER_PID") - before)) -lt 5 ]
}

@test "solution 06 with -m 5 serves a waiting client as soon as the held ones leave" {
	start_capped
	hold_connections 10 -e -s 3 || true
	hold_silently 5 3
	wait_until 5 eval '[ "$(count_children_of "$SERVER_PID")" -eq 5 ]'
	SECONDS=0
	run echo_line 127.0.0.1
	assert_success
	assert_output "hello over 127.0.0.1"
	[ "$SECONDS" -le 5 ] || fail "served after $SECONDS s"
}

@test "solution 06 out of processes: reports the fork, resets the client, keeps the others, serves again" {
	start_server_on "$PORT" "$STAGE/TCPEchod" "$PORT"
	hold_connections 3 -e
	as_server_user prlimit --pid "$SERVER_PID" --nproc=1:
	run timeout 5 bash -c 'echo hello | "$1" -t 3 127.0.0.1 "$2"' _ "$PSOCKETS/TCPEcho" "$PORT"
	assert_failure 1
	# A reset if the line arrived before the server closed, else end-of-file.
	assert_output --regexp "Connection reset by peer|server closed the connection"
	run grep -c "TCPEchod: fork: Resource temporarily unavailable" "$SERVER_LOG"
	assert_output 1
	assert_equal "$(count_children_of "$SERVER_PID")" 3
	as_server_user prlimit --pid "$SERVER_PID" --nproc="$(soft_process_limit)":
	run echo_line 127.0.0.1
	assert_success
}

@test "solution 06 out of descriptors: a line a second, no busy loop, serves the waiting clients after" {
	local before
	start_server_on "$PORT" "$STAGE/TCPEchod" "$PORT"
	as_server_user prlimit --pid "$SERVER_PID" --nofile=4:
	hold_connections 3
	before=$(cpu_ticks_of "$SERVER_PID")
	sleep 3
	[ $(($(cpu_ticks_of "$SERVER_PID") - before)) -lt 10 ] || fail "a busy loop"
	run grep -c "TCPEchod: accept: Too many open files" "$SERVER_LOG"
	[ "$output" -ge 2 ] && [ "$output" -le 6 ] || fail "expected about 3 lines in 3 s, saw $output"
	as_server_user prlimit --pid "$SERVER_PID" --nofile="$(soft_open_files_limit)":
	wait_until 3 eval '[ "$(count_children_of "$SERVER_PID")" -eq 3 ]' ||
		fail "the 3 waiting clients were not served: $(count_children_of "$SERVER_PID") children"
	run echo_line 127.0.0.1
	assert_success
}
