#!/usr/bin/env bats
# Stage 05: one thread per client (labs/05-threads).
# Run by grading/grade, which sets SERVER_BIN to the student's TCPEchod.

setup() {
	STAGE=05-threads
	load "$KIT_ROOT/grading/lib/suite.bash"
	start_stage_server
}

teardown() {
	stop_stage_server
}

@test "echoes a line of text over IPv4 and IPv6" {
	expect_echo_over_ipv4_and_ipv6 "The thread" \
		"The thread reads from its connected socket and writes back what it read." \
		"The thread" \
		"After the first client left, a second one (over ::1) got no echo: does the server go on accepting?"
}

@test "echoes 1 MiB of binary data byte for byte" {
	expect_binary_echo "The thread" \
		"Write back exactly the count read() returned, and loop until read() returns 0."
}

@test "serves two clients at the same time" {
	open_client
	client_gets_echo "$CLIENT" "first client, staying" ||
		lose_points_because "the first client got no echo" "The thread" "The echo itself fails here: make the echo tests pass first."
	expect_echo 127.0.0.1 "second client" "The thread" \
		"While one client is connected, a second must be served too: one thread per client."
}

@test "50 simultaneous clients each get their own echo back" {
	local round complaint
	# The race is between accept() and the new thread reading its argument:
	# three rounds make a lost race all but certain to show.
	for round in 1 2 3; do
		complaint=$("$PSOCKETS/TCPBurst" -n 50 -t "$ECHO_WAIT" 127.0.0.1 "$PORT" 2>&1) ||
			lose_points_because "round $round of 50 clients at once: $complaint" \
				"Share one variable" \
				"Do you pass &conn_fd to pthread_create? The next accept() overwrites it before the thread reads it: give each thread its own copy (malloc an int, or pass the value in the pointer)."
	done
}

@test "threads are detached or joined (memory stays flat over 200 clients)" {
	local size_before size_after
	# Warm up first: the C library sets up its per-thread memory pools
	# for the first clients, then reuses them.
	serve_clients_in_turn 20 || true
	size_before=$(vm_size_kb_of "$SERVER_PID")
	serve_clients_in_turn 200 ||
		lose_points_because "of 200 clients one after another, one got no echo" \
			"Detach" "The echo itself fails here: make the echo tests pass first."
	size_after=$(vm_size_kb_of "$SERVER_PID")
	# A thread neither detached nor joined keeps its stack (8 MiB by
	# default) mapped after it ends: 200 of them are over 1.5 GiB.
	[ $((size_after - size_before)) -lt 102400 ] ||
		lose_points_because "the server's VmSize grew from $((size_before / 1024)) MiB to $((size_after / 1024)) MiB over 200 clients" \
			"Detach" \
			"A thread that ends is not freed until someone joins it: call pthread_detach() (or create it detached)."
}

@test "every client thread ends when its client leaves" {
	local threads_before threads_held children threads_after
	threads_before=$(count_threads_of "$SERVER_PID")
	hold_clients 5 ||
		lose_points_because "one of 5 clients got no echo" "The thread" \
			"The echo itself fails here: make the echo tests pass first."
	threads_held=$(count_threads_of "$SERVER_PID")
	children=$(count_children_of "$SERVER_PID")
	[ "$threads_held" -ge $((threads_before + 5)) ] ||
		lose_points_because "with 5 clients connected the server had $threads_held thread(s) and $children child process(es), $threads_before thread(s) before" \
			"Threads, not children" \
			"Serve each client in a thread of its own (pthread_create), not in a child process."
	close_held_clients
	wait_until 3 eval '[ "$(count_threads_of "$SERVER_PID")" -le "$threads_before" ]' || true
	threads_after=$(count_threads_of "$SERVER_PID")
	[ "$threads_after" -le "$threads_before" ] ||
		lose_points_because "$threads_after threads 3 s after 5 clients left, $threads_before before they came" \
			"The thread" \
			"When read() returns 0 the client has gone: close the socket and return from the thread function."
}
