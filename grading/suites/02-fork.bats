#!/usr/bin/env bats
# Stage 02: one child process per client (labs/02-fork).
# Run by grading/grade, which sets SERVER_BIN to the student's TCPEchod.

setup() {
	STAGE=02-fork
	load "$KIT_ROOT/grading/lib/suite.bash"
	start_stage_server
}

teardown() {
	stop_stage_server
}

@test "echoes a line of text over IPv4 and IPv6" {
	expect_echo_over_ipv4_and_ipv6 "Fork a child per client" \
		"The child reads from the connected socket and writes back what it read." \
		"Fork a child per client" \
		"After the first client left, a second one (over ::1) got no echo: does the server go on accepting?"
}

@test "echoes 1 MiB of binary data byte for byte" {
	expect_binary_echo "Fork a child per client" \
		"Write back exactly the count read() returned, and loop until read() returns 0."
}

@test "serves two clients at the same time" {
	open_client
	client_gets_echo "$CLIENT" "first client, staying" ||
		lose_points_because "the first client got no echo" "Fork a child per client" "The echo itself fails here: make the echo tests pass first."
	expect_echo 127.0.0.1 "second client" "Fork a child per client" \
		"While one client is connected, a second must be served too: fork() after accept() and let the child echo while the parent goes back to accept()."
}

@test "the parent closes each connected socket (no CLOSE_WAIT, no descriptor growth over 20 clients)" {
	local fds_before fds_after close_waits
	serve_clients_in_turn 1 || true
	fds_before=$(count_fds_of "$SERVER_PID")
	serve_clients_in_turn 20 ||
		lose_points_because "of 20 clients one after another, one got no echo" "Who holds which descriptor" "The echo itself fails here: make the echo tests pass first."
	wait_until 3 eval '[ "$(count_state "$PORT" CLOSE_WAIT)" -eq 0 ]' || true
	close_waits=$(count_state "$PORT" CLOSE_WAIT)
	fds_after=$(count_fds_of "$SERVER_PID")
	[ "$close_waits" -eq 0 ] && [ "$fds_after" -le "$fds_before" ] ||
		lose_points_because "after 20 clients: $close_waits connection(s) in CLOSE_WAIT, the parent's descriptors went from $fds_before to $fds_after" \
			"Who holds which descriptor" \
			"After fork() the parent must close() its copy of the connected socket, or the connection is never fully closed."
}

@test "each child closes the listening socket" {
	local child inode
	open_client
	client_gets_echo "$CLIENT" "who holds the listener?" ||
		lose_points_because "a client got no echo" "Who holds which descriptor" "The echo itself fails here: make the echo tests pass first."
	for child in $(ps -o pid= --ppid "$SERVER_PID"); do
		for inode in $(listening_socket_inodes); do
			! holds_socket "$child" "$inode" ||
				lose_points_because "the child $child serving a client still holds the listening socket (socket:[$inode])" \
					"Who holds which descriptor" \
					"The child serves one client only: close() the listening socket first thing in the child."
		done
	done
}

@test "each child exits when its client leaves (none falls back into the accept loop)" {
	local live
	serve_clients_in_turn 3 ||
		lose_points_because "of 3 clients one after another, one got no echo" "Fork a child per client" "The echo itself fails here: make the echo tests pass first."
	wait_until 3 eval '[ "$(count_live_children_of "$SERVER_PID")" -eq 0 ]' || true
	live=$(count_live_children_of "$SERVER_PID")
	[ "$live" -eq 0 ] ||
		lose_points_because "$live child(ren) still running 3 s after their 3 clients left: $(ps -o pid=,stat=,wchan:20= --ppid "$SERVER_PID" | tr '\n' ';')" \
			"Fork a child per client" \
			"End the child with _exit() once its client has gone, or it returns into the parent's accept loop."
}
