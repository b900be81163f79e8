#!/usr/bin/env bats
# Stage 03: reaping children with a SIGCHLD handler (labs/03-reaper).
# Run by grading/grade, which sets SERVER_BIN to the student's TCPEchod.

setup() {
	STAGE=03-reaper
	# A server that is gone after a child ended was most likely ended by
	# an accept() that failed with EINTR.
	SERVER_GONE_SECTION="Fix it twice"
	SERVER_GONE_HINT="SIGCHLD interrupts accept(), which then fails with EINTR: retry it (loop, or SA_RESTART in sa_flags) rather than exit."
	load "$KIT_ROOT/grading/lib/suite.bash"
	start_stage_server
}

teardown() {
	stop_stage_server
}

# Waits (3 s at most) until the server has no child left, zombie or not;
# on failure says how many zombies remain.
expect_no_children_after() {
	local zombies
	wait_until 3 eval '[ "$(count_children_of "$SERVER_PID")" -eq 0 ]' && return 0
	zombies=$(count_zombies_of "$SERVER_PID")
	lose_points_because "$zombies zombie(s) and $(count_live_children_of "$SERVER_PID") live child(ren) of the server 3 s after $1" \
		"$2" "$3"
}

@test "echoes a line of text over IPv4 and IPv6" {
	expect_echo_over_ipv4_and_ipv6 "Write the reaper" \
		"The child reads from the connected socket and writes back what it read." \
		"Fix it twice" \
		"A second client gets no echo after the first left: is accept() retried when a signal interrupts it?"
}

@test "echoes 1 MiB of binary data byte for byte" {
	expect_binary_echo "Write the reaper" \
		"Write back exactly the count read() returned, and loop until read() returns 0."
}

@test "serves two clients at the same time" {
	open_client
	client_gets_echo "$CLIENT" "first client, staying" ||
		lose_points_because "the first client got no echo" "Write the reaper" "The echo itself fails here: make the echo tests pass first."
	expect_echo 127.0.0.1 "second client" "Write the reaper" \
		"While one client is connected, a second must be served too: one child per client."
}

# first_client_reaped SECTION: one client comes and goes, and its child
# is reaped: the handler has run once.  The tests then check that it
# runs again: a handler installed with signal() under the strict C11
# flags (System V semantics) runs once, then SIGCHLD is back to its
# default and every later child stays a zombie.
first_client_reaped() {
	expect_echo 127.0.0.1 "first client" "$1" "The echo itself fails here: make the echo tests pass first."
	expect_no_children_after "the first client left" "Write the reaper" \
		"Install a SIGCHLD handler that calls waitpid(), so the parent collects each exited child."
}

@test "no zombie remains after each of two clients leaves in turn" {
	first_client_reaped "Write the reaper"
	expect_echo 127.0.0.1 "second client" "Write the reaper" "The echo itself fails here: make the echo tests pass first."
	expect_no_children_after "the second client left (the first one's child was reaped)" \
		'`signal()` means different things' \
		"The handler ran for the first child only. Install it with sigaction(), which keeps it installed; signal() with the strict C11 flags uninstalls it after one run."
}

@test "no zombies remain after 30 clients disconnect at once" {
	local complaint
	first_client_reaped "One wait per signal leaves zombies"
	complaint=$("$PSOCKETS/TCPBurst" -n 30 -t "$ECHO_WAIT" 127.0.0.1 "$PORT" 2>&1) ||
		lose_points_because "30 clients at once: $complaint" "One wait per signal leaves zombies" "The echo itself fails here: make the echo tests pass first."
	expect_no_children_after "30 clients closed at once (after a first client's child was reaped)" "One wait per signal leaves zombies" \
		"Signals are not queued: one SIGCHLD may stand for many children. Does your SIGCHLD handler loop on waitpid(-1, ..., WNOHANG)? Is it still installed after its first run (sigaction, not signal)?"
}

@test "keeps serving while another client stays connected (the handler never blocks)" {
	open_client
	client_gets_echo "$CLIENT" "first client, staying" ||
		lose_points_because "the first client got no echo" "A blocking handler freezes the server" "The echo itself fails here: make the echo tests pass first."
	expect_echo 127.0.0.1 "second client, leaving" "A blocking handler freezes the server" "The echo itself fails here: make the echo tests pass first."
	# Let the second client's child exit and its SIGCHLD be handled.
	wait_until 2 eval '[ "$(count_children_of "$SERVER_PID")" -le 1 ]' || true
	expect_echo 127.0.0.1 "third client" "A blocking handler freezes the server" \
		"While a client is still connected, the handler must not wait for its child: pass WNOHANG to waitpid()."
}

@test "keeps accepting after a child exits (accept retried on EINTR)" {
	expect_echo 127.0.0.1 "first client" "Fix it twice" "The echo itself fails here: make the echo tests pass first."
	wait_until 3 eval '[ "$(count_live_children_of "$SERVER_PID")" -eq 0 ]' || true
	server_is_running ||
		lose_points_because "the server exited once its first client's child ended; it said: $(tail -c 300 "$SERVER_LOG")" \
			"Fix it twice" \
			"SIGCHLD interrupts accept(), which fails with EINTR: retry it (loop, or SA_RESTART in sa_flags)."
	expect_echo 127.0.0.1 "second client" "Fix it twice" \
		"SIGCHLD interrupts accept(), which fails with EINTR: retry it (loop, or SA_RESTART in sa_flags)."
}
