#!/usr/bin/env bats
# Stage 04: clients that vanish mid-transfer, SIGPIPE (labs/04-sigpipe).
# Run by grading/grade, which sets SERVER_BIN to the student's TCPEchod.

setup() {
	STAGE=04-sigpipe
	load "$KIT_ROOT/grading/lib/suite.bash"
	start_stage_server
}

teardown() {
	stop_server
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
	expect_echo 127.0.0.1 "hello over IPv4" "Check" \
		"The child reads from the connected socket and writes back what it read."
	expect_echo ::1 "hello over IPv6" "Check" \
		"Listen with passiveTCP: one IPv6 socket that also takes IPv4 clients."
}

@test "echoes 1 MiB of binary data byte for byte" {
	expect_binary_echo "Check" \
		"Write back exactly the count read() returned, and loop until read() returns 0."
}

# The server's log lines before a point (lines_before) and after it,
# digits taken out (ports and PIDs differ from client to client), sorted.
log_lines_before() {
	head -n "$lines_before" "$SERVER_LOG" | tr -d '0-9' | sort -u
}

log_lines_after() {
	tail -n "+$((lines_before + 1))" "$SERVER_LOG" | tr -d '0-9' | sort -u
}

# Has the server reported the reset?  Either more lines than an ordinary
# client makes, or a line no ordinary client made.
reset_was_reported() {
	[ "$(wc -l <"$SERVER_LOG")" -gt $((lines_before + lines_per_client)) ] ||
		[ -n "$(comm -13 <(log_lines_before) <(log_lines_after))" ]
}

@test "reports a client that resets mid-transfer instead of dying silently of SIGPIPE" {
	local lines_before lines_per_client
	# A server may log every client: see what an ordinary client adds, so
	# that only a report beyond that counts.
	expect_echo 127.0.0.1 "first client" "Make SIGPIPE harmless" "The echo itself fails here: make the echo tests pass first."
	wait_until 3 eval '[ "$(count_live_children_of "$SERVER_PID")" -eq 0 ]' || true
	lines_before=$(wc -l <"$SERVER_LOG")
	expect_echo 127.0.0.1 "second client" "Make SIGPIPE harmless" "The echo itself fails here: make the echo tests pass first."
	wait_until 3 eval '[ "$(count_live_children_of "$SERVER_PID")" -eq 0 ]' || true
	lines_per_client=$(($(wc -l <"$SERVER_LOG") - lines_before))
	lines_before=$(wc -l <"$SERVER_LOG")
	# On a busy machine a reset now and then lands after the child has
	# echoed everything (nothing left to write, so no SIGPIPE to report):
	# give it three tries.  A child that dies silently never reports.
	local attempt
	for attempt in 1 2 3; do
		reset_clients 1
		wait_until 3 reset_was_reported && break
	done
	reset_was_reported ||
		lose_points_because "no report on the server's standard error within 3 s of each of 3 clients resetting mid-transfer$(reset_complaints)" \
			"Make SIGPIPE harmless" \
			"Writing to a reset connection raises SIGPIPE, which kills the child silently. Ignore SIGPIPE (write then fails with EPIPE) and report the error on stderr."
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
