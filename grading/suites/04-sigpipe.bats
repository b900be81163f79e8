#!/usr/bin/env bats
# Stage 04: clients that vanish mid-transfer, SIGPIPE (labs/04-sigpipe).
# Run by grading/grade, which sets SERVER_BIN to the student's TCPEchod.

setup() {
	STAGE=04-sigpipe
	SERVER_GONE_SECTION="Make SIGPIPE harmless"
	SERVER_GONE_HINT="Only the child serving a vanished client may end; the parent keeps accepting."
	load "$KIT_ROOT/grading/lib/suite.bash"
	start_stage_server
}

teardown() {
	stop_stage_server
}

# reset_clients N: N clients reset their connection mid-transfer, in four
# streams at once when N divides by four (faster, and harder on the server).
# What the clients said when they failed goes to RESET_COMPLAINTS: each
# test then checks what its name promises.
reset_clients() {
	local count=$1 streams=1 stream pids=()
	RESET_COMPLAINTS=
	[ $((count % 4)) -ne 0 ] || streams=4
	for stream in $(seq 1 "$streams"); do
		"$PSOCKETS/TCPReset" -n "$((count / streams))" 127.0.0.1 "$PORT" \
			>"$BATS_TEST_TMPDIR/reset.$stream" 2>&1 &
		pids+=($!)
	done
	for stream in $(seq 1 "$streams"); do
		wait "${pids[stream - 1]}" ||
			RESET_COMPLAINTS+="$(tr '\n' ' ' <"$BATS_TEST_TMPDIR/reset.$stream")"
	done
}

# What the resetting clients said, if they failed, for a test's message.
reset_complaints() {
	[ -z "$RESET_COMPLAINTS" ] || echo " (the resetting clients said: ${RESET_COMPLAINTS:0:300})"
}

@test "echoes a line of text over IPv4 and IPv6" {
	expect_echo_over_ipv4_and_ipv6 "Check" \
		"The child reads from the connected socket and writes back what it read." \
		"Check" \
		"After the first client left, a second one (over ::1) got no echo: does the server go on accepting?"
}

@test "echoes 1 MiB of binary data byte for byte" {
	expect_binary_echo "Check" \
		"Write back exactly the count read() returned, and loop until read() returns 0."
}

# How the server's processes ended is seen directly: the test runs the
# server under strace -f (start_traced_stage_server), which records every
# process a signal killed.  What the server prints counts for nothing.
@test "no child is killed by SIGPIPE when clients reset mid-transfer" {
	local killed_by_sigpipe server_killed
	stop_server
	start_traced_stage_server
	reset_clients 8
	# Let every child end before reading how they ended.
	wait_until 3 eval '[ "$(count_live_children_of "$SERVER_PID")" -eq 0 ]' || true
	killed_by_sigpipe=$(processes_killed_by_signals | awk -v server="$SERVER_PID" -v signal=SIGPIPE '$2 == signal && $1 != server' | wc -l)
	server_killed=$(processes_killed_by_signals | awk -v server="$SERVER_PID" '$1 == server { print $2 }')
	server_is_running ||
		lose_points_because "the server is gone after 8 clients reset mid-transfer$(reset_complaints)" \
			"Make SIGPIPE harmless" \
			"Only the child serving a vanished client may end; the parent keeps accepting."
	[ -z "$server_killed" ] ||
		lose_points_because "the server itself was killed by $server_killed while 8 clients reset$(reset_complaints)" \
			"Make SIGPIPE harmless" \
			"Only the child serving a vanished client may end: is the parent writing to a client?"
	[ "$killed_by_sigpipe" -eq 0 ] ||
		lose_points_because "$killed_by_sigpipe of the server's children were killed by SIGPIPE while 8 clients reset mid-transfer (strace -f: \"+++ killed by SIGPIPE +++\")" \
			"Make SIGPIPE harmless" \
			"Writing to a reset connection raises SIGPIPE, whose default action kills the child without a word. Ignore SIGPIPE (the write then fails with EPIPE) and report the error on stderr."
}

@test "the server survives 20 resetting clients and keeps serving" {
	reset_clients 20
	server_is_running ||
		lose_points_because "the server exited while 20 clients reset$(reset_complaints); it said: $(tail -c 300 "$SERVER_LOG" | tr '\n' ' ')" \
			"Make SIGPIPE harmless" \
			"Only the child serving a vanished client may end; the parent keeps accepting."
	expect_echo 127.0.0.1 "after the resets" "Make SIGPIPE harmless" \
		"Only the child serving a vanished client may end; the parent keeps accepting."
}

@test "other clients are undisturbed while 20 clients reset" {
	open_client
	client_gets_echo "$CLIENT" "before the resets" ||
		lose_points_because "a client got no echo" "The others are never affected" "The echo itself fails here: make the echo tests pass first."
	reset_clients 20
	client_gets_echo "$CLIENT" "after the resets" ||
		lose_points_because "a client connected throughout got no echo after 20 other clients reset$(reset_complaints)" \
			"The others are never affected" \
			"A reset concerns one connection: handle it in the child serving that client, and end only that child."
}

@test "no zombies remain after 20 resetting clients" {
	local zombies
	reset_clients 20
	wait_until 3 eval '[ "$(count_children_of "$SERVER_PID")" -eq 0 ]' || true
	zombies=$(count_zombies_of "$SERVER_PID")
	[ "$zombies" -eq 0 ] && [ "$(count_children_of "$SERVER_PID")" -eq 0 ] ||
		lose_points_because "$zombies zombie(s) and $(count_live_children_of "$SERVER_PID") live child(ren) 3 s after 20 clients reset$(reset_complaints)" \
			"Make SIGPIPE harmless" \
			"Children that end on an error must be reaped too: keep the SIGCHLD handler of stage 03."
}
