#!/usr/bin/env bats
# labs/06-limits: the starting point is stage 04's server, as its handout
# says: a backlog of 32 that a burst overflows, no -m; it already drops a
# client it cannot fork for, and pauses when accept fails with EMFILE.

setup_file() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	build_stage "$KIT_ROOT/labs/06-limits"
}

setup() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	load "../../solutions/tests/limits.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	STAGE=$KIT_ROOT/labs/06-limits
	PORT=$(pick_port)
}

teardown() {
	[ -z "${SERVER_PID:-}" ] || kill -CONT "$SERVER_PID" 2>/dev/null || true
	stop_holding
	stop_server
}

@test "starting point 06, stopped, lets 33 clients into its queue of 32 and no more" {
	start_server_on "$PORT" "$STAGE/TCPEchod" "$PORT"
	kill -STOP "$SERVER_PID"
	hold_silently 40 5
	wait_until 5 eval '[ "$(listener_queue)" = "33 32" ]' ||
		fail "expected Recv-Q 33 and Send-Q 32 on the listener, saw: $(listener_queue)"
	sleep 1
	assert_equal "$(listener_queue)" "33 32"
	assert_equal "$(count_state "$PORT" ESTABLISHED client)" 33
}

@test "starting point 06 makes a burst of 500 clients wait over a second (its queue overflows)" {
	local elapsed
	start_server_on "$PORT" "$STAGE/TCPEchod" "$PORT"
	elapsed=$(burst_milliseconds) || fail "a client of the burst got no echo"
	# A dropped SYN is sent again after 1 s at the soonest.
	[ "$elapsed" -ge 1000 ] || fail "the burst took only $elapsed ms"
}

@test "starting point 06 does not know -m: usage and exit status 1" {
	run "$STAGE/TCPEchod" -m 5 "$PORT"
	assert_failure 1
	assert_output --partial "usage: TCPEchod [port]"
}

@test "starting point 06 closes at once a client it cannot fork for, and says why" {
	start_server_on "$PORT" "$STAGE/TCPEchod" "$PORT"
	as_server_user prlimit --pid "$SERVER_PID" --nproc=1:
	run timeout 5 bash -c 'echo hello | "$1" -t 3 127.0.0.1 "$2"' _ "$PSOCKETS/TCPEcho" "$PORT"
	assert_failure 1
	# A reset if the line arrived before the server closed, else end-of-file.
	assert_output --regexp "Connection reset by peer|server closed the connection"
	run cat "$SERVER_LOG"
	assert_output --partial "TCPEchod: fork: Resource temporarily unavailable"
	server_is_running
}

@test "starting point 06 pauses when accept fails with EMFILE: a line a second, no busy loop" {
	local before
	start_server_on "$PORT" "$STAGE/TCPEchod" "$PORT"
	as_server_user prlimit --pid "$SERVER_PID" --nofile=4:
	hold_silently 3 10
	sleep 0.5
	before=$(cpu_ticks_of "$SERVER_PID")
	sleep 3
	[ $(($(cpu_ticks_of "$SERVER_PID") - before)) -lt 10 ] ||
		fail "the server used $(($(cpu_ticks_of "$SERVER_PID") - before)) ticks in 3 s"
	run grep -c "accept: Too many open files" "$SERVER_LOG"
	[ "$output" -ge 2 ] && [ "$output" -le 6 ] || fail "expected about 4 lines in 4 s, saw $output"
}

@test "without its pause, starting point 06 spins on EMFILE: its log grows by megabytes" {
	local spinner=$BATS_TEST_TMPDIR/spinner
	sed '/TODO (step 5)/,/sleep(1);/ s|sleep(1);|/* sleep(1); */|' "$STAGE/TCPEchod.c" >"$spinner.c"
	cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -I"$PSOCKETS" -o "$spinner" "$spinner.c" "$PSOCKETS/libpsockets.a"
	chmod 755 "$BATS_TEST_TMPDIR"
	# Its output straight to a file, as in the handout's step (start_server
	# would keep only the first and last 64 KiB of it).
	setsid ${SERVER_WRAPPER:-} "$spinner" "$PORT" </dev/null >"$spinner.log" 2>&1 3>&- &
	SERVER_PGID=$!
	SERVER_PID=$!
	wait_until 5 is_listening "$PORT" || fail "the spinner did not listen"
	as_server_user prlimit --pid "$SERVER_PID" --nofile=4:
	hold_silently 3 10
	sleep 3
	[ "$(stat -c %s "$spinner.log")" -gt 1000000 ] ||
		fail "the log holds only $(stat -c %s "$spinner.log") bytes after 3 s"
	[ "$(ps -o stat= -p "$SERVER_PID" | cut -c1)" = R ] ||
		[ "$(cpu_ticks_of "$SERVER_PID")" -gt 10 ]
}
