#!/usr/bin/env bats
# Stage 01: a sequential echo server (labs/01-sequential).
# Run by grading/grade, which sets SERVER_BIN to the student's TCPEchod.

setup() {
	STAGE=01-sequential
	load "$KIT_ROOT/grading/lib/suite.bash"
	start_stage_server
}

teardown() {
	stop_stage_server
}

@test "echoes a line of text over IPv4" {
	expect_echo 127.0.0.1 "hello over IPv4" "The echo loop" \
		"Read from the connected socket and write back what you read."
}

@test "echoes a line of text over IPv6 (the listener is dual-stack)" {
	expect_echo ::1 "hello over IPv6" "The listening socket" \
		"Does the server listen with passiveTCP (an IPv6 socket with IPV6_V6ONLY off)?"
}

@test "echoes 1 MiB of binary data byte for byte" {
	expect_binary_echo "The echo loop" \
		"Bytes are not strings: write back exactly the count read() returned, NUL bytes included (no strlen, no printf %s)."
}

@test "keeps echoing until the client closes, not just the first read" {
	local reply
	reply=$({ echo "first line"; sleep 0.3; echo "second line"; } |
		"$PSOCKETS/TCPEcho" -t "$ECHO_WAIT" 127.0.0.1 "$PORT" 2>&1) || true
	[ "$reply" = "first line
second line" ] ||
		lose_points_because "two lines sent 0.3 s apart on one connection, got back: ${reply:-nothing}" \
			"The echo loop" \
			"Loop on read() until it returns 0 (end-of-file): one read is one piece of the stream, not the whole message."
}

@test "serves clients one after another" {
	serve_clients_in_turn 5 ||
		lose_points_because "of 5 clients one after another, one got no echo" \
			"The echo loop" \
			"After one client leaves, close its socket and go back to accept() for the next."
}

@test "restarts on the same port right after serving a client (SO_REUSEADDR)" {
	# The server must close first to leave TIME_WAIT on its port: stop it
	# while a client is connected, then let the client close.
	open_client
	client_gets_echo "$CLIENT" "before the restart" ||
		lose_points_because "a client got no echo" "TIME_WAIT sits on the side that closed first" "The echo itself fails here: make the echo tests pass first."
	stop_server
	close_client "$CLIENT"
	wait_until 2 eval '[ "$(count_state "$PORT" TIME_WAIT)" -gt 0 ]' || true
	start_server "$SERVER_BIN" "$PORT"
	wait_until 3 is_listening "$PORT" ||
		lose_points_because "restarted while its port had a connection in TIME_WAIT, it did not listen; it said: $(head -c 300 "$SERVER_LOG")" \
			"TIME_WAIT sits on the side that closed first" \
			"Set SO_REUSEADDR on the listening socket before bind()."
	expect_echo 127.0.0.1 "after the restart" "TIME_WAIT sits on the side that closed first" \
		"The restarted server listens but does not echo."
}

@test "closes its side when the client leaves (no CLOSE_WAIT on the server)" {
	open_client
	client_gets_echo "$CLIENT" "leaving now" ||
		lose_points_because "a client got no echo" "The echo loop" "The echo itself fails here: make the echo tests pass first."
	close_client "$CLIENT"
	wait_until 3 eval '[ "$(count_state "$PORT" CLOSE_WAIT)" -eq 0 ]' ||
		lose_points_because "$(count_state "$PORT" CLOSE_WAIT) connection(s) in CLOSE_WAIT on the server's port 3 s after the client closed" \
			"The echo loop" \
			"When read() returns 0 the client has closed: close() the connected socket."
	# Both sides closed: the one that closed first holds a TIME_WAIT.
	wait_until 3 eval '[ $(($(count_state "$PORT" TIME_WAIT) + $(count_state "$PORT" TIME_WAIT client))) -gt 0 ]' ||
		lose_points_because "no connection in TIME_WAIT on either side: the server never finished closing" \
			"The echo loop" \
			"When read() returns 0 the client has closed: close() the connected socket."
}
