#!/usr/bin/env bats
# solutions/01-sequential: the claims its handout (labs/01-sequential/README.md)
# makes about the finished sequential server, checked with the real tools.

setup_file() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	build_stage "$KIT_ROOT/solutions/01-sequential"
}

setup() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	STAGE=$KIT_ROOT/solutions/01-sequential
	start_stage_server "$STAGE"
}

teardown() {
	[ -z "${SECOND_PID:-}" ] || kill -TERM "$SECOND_PID" 2>/dev/null || true
	stop_holding
	stop_server
}

@test "solution 01 echoes a line over IPv4 and over IPv6 (one dual-stack listener)" {
	run echo_line 127.0.0.1
	assert_success
	assert_output "hello over 127.0.0.1"
	run echo_line ::1
	assert_success
	assert_output "hello over ::1"
}

@test "solution 01 echoes 1 MiB of random bytes byte for byte" {
	head -c 1048576 /dev/urandom >"$BATS_TEST_TMPDIR/sent"
	"$PSOCKETS/TCPEcho" -t 10 127.0.0.1 "$PORT" <"$BATS_TEST_TMPDIR/sent" >"$BATS_TEST_TMPDIR/back"
	cmp "$BATS_TEST_TMPDIR/sent" "$BATS_TEST_TMPDIR/back"
}

@test "solution 01 lets a second client in (ESTABLISHED) but answers it only after the first leaves" {
	hold_connections 1 -e
	# The second client checks for an echo too: it says "holding" only
	# once its line has come back.
	setsid "$PSOCKETS/TCPHold" -n 1 -s 60 -e 127.0.0.1 "$PORT" \
		</dev/null >"$BATS_TEST_TMPDIR/second" 2>&1 3>&- &
	SECOND_PID=$!
	# The kernel completes the handshake: both connections are ESTABLISHED
	# on the server's side, though the server reads only from the first.
	wait_until 5 eval '[ "$(count_state "$PORT" ESTABLISHED server)" -eq 2 ]' || {
		echo "expected 2 ESTABLISHED server-side sockets; netstat says:"
		tcp_states | grep -w "$PORT"
		return 1
	}
	sleep 1
	if grep -q holding "$BATS_TEST_TMPDIR/second"; then
		echo "the second client was answered while the first was still connected"
		return 1
	fi
	stop_holding
	wait_until 5 grep -q "holding 1 connections" "$BATS_TEST_TMPDIR/second" || {
		echo "the second client got no echo after the first left; it said:"
		cat "$BATS_TEST_TMPDIR/second"
		return 1
	}
}

@test "solution 01 closes its side when the client leaves: TIME_WAIT on the client's side, no CLOSE_WAIT" {
	echo_line 127.0.0.1
	wait_until 5 eval '[ "$(count_state "$PORT" TIME_WAIT client)" -eq 1 ]' || {
		echo "expected the client's socket in TIME_WAIT; netstat says:"
		tcp_states | grep -w "$PORT"
		return 1
	}
	assert_equal "$(count_state "$PORT" TIME_WAIT server)" 0
	assert_equal "$(count_state "$PORT" CLOSE_WAIT server)" 0
}

@test "solution 01 restarts at once after being stopped with a client connected (SO_REUSEADDR)" {
	hold_connections 1 -e
	stop_server             # the server closes first ...
	stop_holding            # ... so TIME_WAIT lands on its side
	wait_until 5 eval '[ "$(count_state "$PORT" TIME_WAIT server)" -eq 1 ]' || {
		echo "expected the server's socket in TIME_WAIT; netstat says:"
		tcp_states | grep -w "$PORT"
		return 1
	}
	start_server_on "$PORT" "$STAGE/TCPEchod" "$PORT"
	run echo_line ::1
	assert_success
}

@test "solution 01 rejects a bad port with a message and a non-zero exit" {
	run "$STAGE/TCPEchod" 99999
	assert_failure
	assert_output --partial "bad port"
	run "$STAGE/TCPEchod" 1 2
	assert_failure
	assert_output --partial "usage"
}
