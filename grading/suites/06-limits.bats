#!/usr/bin/env bats
# Stage 06: a server within its limits (labs/06-limits): the listen
# backlog, running out of processes and of descriptors, and -m MAX_CHILDREN.
# Run by grading/grade, which sets SERVER_BIN to the student's TCPEchod.
#
# The limits are put on the running server with prlimit --pid: lowering a
# limit needs no privilege, and putting it back (up to the hard limit) lets
# a test check the server serves again.  RLIMIT_NPROC counts every process
# of the server's user, so the tests lower it to 1: no fork can succeed,
# however many processes that user runs elsewhere.

setup() {
	STAGE=06-limits
	load "$KIT_ROOT/grading/lib/suite.bash"
}

teardown() {
	close_held_clients
	stop_stage_server
}

# The cap every -m test uses, and how many clients they hold: as many
# again wait in the backlog.
CAP=5

# start_capped_server: the student's server with -m $CAP.  A server that
# does not know -m exits at once: no need to wait long for it.
start_capped_server() {
	PORT=$(pick_port)
	start_server "$SERVER_BIN" -m "$CAP" "$PORT"
	wait_until 5 eval 'is_listening "$PORT" || ! server_is_running' &&
		is_listening "$PORT" ||
		lose_points_because "the server did not listen on port $PORT when started as TCPEchod -m $CAP $PORT; it said: $(tail -c 300 "$SERVER_LOG" | tr '\n' ' ')" \
			"Cap the children" \
			"Read -m MAX_CHILDREN with getopt before the port."
}

# open_clients_sending N: connects N clients in turn, each sending the
# line "client K" at once; their descriptors go to HELD, in order.
open_clients_sending() {
	local k
	HELD=()
	for k in $(seq 1 "$1"); do
		open_client
		HELD+=("$CLIENT")
		(trap '' PIPE; printf 'client %s\n' "$k" >&"$CLIENT") 2>/dev/null || true
	done
}

# echo_arrives K SECONDS: held client K gets its line back within SECONDS.
echo_arrives() {
	local reply=
	IFS= read -r -t "$2" reply <&"${HELD[$1 - 1]}" || true
	[ "$reply" = "client $1" ]
}

# hold_clients_at_cap: 2 x CAP clients, the first CAP of them echoed.
hold_clients_at_cap() {
	local k
	open_clients_sending $((2 * CAP))
	for k in $(seq 1 "$CAP"); do
		echo_arrives "$k" "$ECHO_WAIT" ||
			lose_points_because "with -m $CAP, client $k of $((2 * CAP)) got no echo within $ECHO_WAIT s" \
				"Cap the children" \
				"Below the cap the server serves as before: accept, fork, count the child."
	done
}

# as_server_user COMMAND...: runs COMMAND as the user the server runs as.
# prlimit --pid on another user's process needs CAP_SYS_RESOURCE, which a
# container's root may lack; on a process of one's own user it needs none.
as_server_user() {
	if [ -n "${SERVER_USER:-}" ] && [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid="$SERVER_USER" --regid="$SERVER_GROUP" --clear-groups -- "$@"
	else
		"$@"
	fi
}

# The server's own log, one line, for a message.
server_said() {
	tail -c 300 "$SERVER_LOG" | tr '\n' ' '
}

# --- the cap --------------------------------------------------------

@test "echoes a line of text over IPv4 and IPv6" {
	start_stage_server
	expect_echo_over_ipv4_and_ipv6 "Check" \
		"The child reads from the connected socket and writes back what it read." \
		"Check" \
		"After the first client left, a second one (over ::1) got no echo: does the server go on accepting?"
}

@test "with -m 5 and 10 clients held, never more than 5 children at once" {
	local sample children most=0
	start_capped_server
	hold_clients_at_cap
	for sample in $(seq 1 10); do
		children=$(count_live_children_of "$SERVER_PID")
		[ "$children" -le "$most" ] || most=$children
		sleep 0.1
	done
	[ "$most" -le "$CAP" ] ||
		lose_points_because "$most children of the server at once with -m $CAP and $((2 * CAP)) clients held" \
			"Cap the children" \
			"Count each child the parent forks, and at the cap stop accepting until one exits."
}

@test "with -m 5, each waiting client gets its echo within 2 s of a holder leaving" {
	local k
	start_capped_server
	hold_clients_at_cap
	for k in $(seq 1 "$CAP"); do
		close_client "${HELD[k - 1]}"
		echo_arrives $((CAP + k)) 2 ||
			lose_points_because "with -m $CAP, $((k - 1)) of the $CAP waiting clients were served; the next got no echo within 2 s of holder $k leaving" \
				"Wait without a race" \
				"The SIGCHLD handler must take one from the count for each child it reaps, and the wait at the cap must wake up when it does: block SIGCHLD around the check and wait with sigsuspend."
	done
}

@test "with -m 5, waiting clients stay in the backlog (no descriptor growth at the cap)" {
	local before after
	start_capped_server
	before=$(count_fds_of "$SERVER_PID")
	hold_clients_at_cap
	sleep 0.5                   # time to accept a client it should not
	after=$(count_fds_of "$SERVER_PID")
	[ "$after" -le "$before" ] ||
		lose_points_because "the server held $before descriptors before the clients and $after with $CAP clients waiting at the cap" \
			"Cap the children" \
			"At the cap, wait before accept, not after: a client accepted and not served waits in silence, and costs a descriptor."
}

@test "with -m 5, no busy loop at the cap (under 0.1 s of CPU in 3 s)" {
	local ticks
	start_capped_server
	hold_clients_at_cap
	ticks=$(cpu_ticks_over 3)
	[ "$ticks" != died ] ||
		lose_points_because "the server exited at the cap; it said: $(server_said)" \
			"Wait without a race" "At the cap, wait for SIGCHLD with sigsuspend."
	[ "$ticks" -lt "$(tenth_of_a_second_in_ticks)" ] ||
		lose_points_because "the server used $(ticks_as_seconds "$ticks") s of CPU in 3 s at the cap" \
			"Wait without a race" \
			"Waiting at the cap must sleep, not loop: sigsuspend sleeps until a signal comes. The count is read again after each wake-up only if it is volatile sig_atomic_t."
}

# --- out of processes -----------------------------------------------

# held_then_out_of_processes: a server serving 2 held clients, then
# allowed no new process (its soft RLIMIT_NPROC lowered to 1; the old
# soft limit in NPROC_BEFORE).
held_then_out_of_processes() {
	start_stage_server
	open_clients_sending 2
	echo_arrives 1 "$ECHO_WAIT" && echo_arrives 2 "$ECHO_WAIT" ||
		lose_points_because "a client got no echo before any limit was lowered" "Check" \
			"The echo itself fails here: make the echo tests pass first."
	NPROC_BEFORE=$(soft_limit_of "$SERVER_PID" processes)
	as_server_user prlimit --pid "$SERVER_PID" --nproc=1: ||
		grader_fault "prlimit could not lower the server's process limit"
}

@test "out of processes, a client the server cannot fork for gets end-of-file within 2 s" {
	local k status reply
	held_then_out_of_processes
	for k in 1 2 3; do
		# Refused: the server is gone (the next test says so), and a
		# refused client does not wait.
		open_client 2>/dev/null || continue
		# It sends nothing: a server that closes with data unread
		# resets the connection instead (the client then reads
		# ECONNRESET, not end-of-file).
		status=0
		IFS= read -r -t 2 reply <&"$CLIENT" || status=$?
		close_client "$CLIENT"
		# read: 1 at end-of-file, above 128 when its time is up.
		[ "$status" -le 128 ] ||
			lose_points_because "client $k, connecting while fork could not succeed, waited 2 s without end-of-file; the server said: $(server_said)" \
				"Run out of processes" \
				"When fork fails, report it and close that client's connection at once: the client then sees end-of-file instead of waiting forever."
	done
}

@test "out of processes, the server survives and serves again once processes free up" {
	local k
	held_then_out_of_processes
	for k in 1 2 3; do
		echo_round_trip 127.0.0.1 "over the limit" >/dev/null || true
	done
	server_is_running ||
		lose_points_because "the server exited when fork failed; it said: $(server_said)" \
			"Run out of processes" \
			"A failed fork concerns one client: drop that client and go back to accept."
	as_server_user prlimit --pid "$SERVER_PID" --nproc="$NPROC_BEFORE": ||
		grader_fault "prlimit could not put the server's process limit back"
	expect_echo 127.0.0.1 "after the limit" "Run out of processes" \
		"Once fork can succeed again, new clients must be served as before."
}

# --- out of descriptors ---------------------------------------------

# The number of the highest descriptor PID holds.
highest_fd_of() {
	ls "/proc/$1/fd" | sort -n | tail -n 1
}

# out_of_descriptors: a server whose open-files limit is lowered to the
# descriptors it holds (the old soft limit in NOFILE_BEFORE), then a client
# that it cannot accept.  The limit bounds descriptor numbers: a new one
# must be below it.
out_of_descriptors() {
	start_stage_server
	NOFILE_BEFORE=$(soft_limit_of "$SERVER_PID" "open files")
	as_server_user prlimit --pid "$SERVER_PID" --nofile="$(($(highest_fd_of "$SERVER_PID") + 1))": ||
		grader_fault "prlimit could not lower the server's open-files limit"
	open_clients_sending 1
	sleep 0.3                   # time for accept to fail
}

@test "out of descriptors, no busy loop (under 0.1 s of CPU in 3 s while accept fails with EMFILE)" {
	local ticks
	out_of_descriptors
	ticks=$(cpu_ticks_over 3)
	[ "$ticks" != died ] ||
		lose_points_because "the server exited while accept failed with EMFILE; it said: $(server_said)" \
			"Run out of descriptors" \
			"EMFILE concerns the server, not one client: do not exit, and do not log at full speed."
	[ "$ticks" -lt "$(tenth_of_a_second_in_ticks)" ] ||
		lose_points_because "the server used $(ticks_as_seconds "$ticks") s of CPU in 3 s while out of descriptors" \
			"Run out of descriptors" \
			"After EMFILE the client is still in the backlog, so accept fails again at once: pause before retrying (or use a reserve descriptor)."
}

@test "out of descriptors, the server serves again once descriptors free up" {
	out_of_descriptors
	sleep 1
	as_server_user prlimit --pid "$SERVER_PID" --nofile="$NOFILE_BEFORE": ||
		lose_points_because "the server is gone after accept failed with EMFILE; it said: $(server_said)" \
			"Run out of descriptors" \
			"EMFILE concerns the server, not one client: do not exit, and do not log at full speed."
	expect_echo 127.0.0.1 "after the limit" "Run out of descriptors" \
		"Once accept can succeed again, new clients must be served as before."
}

# --- the backlog ----------------------------------------------------

@test "500 clients connecting at once each get their echo within 5 s" {
	local started elapsed_ms complaint
	start_stage_server
	started=$(date +%s%N)
	complaint=$(timeout 7 "$PSOCKETS/TCPBurst" -f -n 500 -t 5 127.0.0.1 "$PORT" 2>&1 >/dev/null) ||
		complaint=${complaint:-TCPBurst was stopped after 7 s}
	elapsed_ms=$((($(date +%s%N) - started) / 1000000))
	[ -z "$complaint" ] && [ "$elapsed_ms" -le 5000 ] ||
		lose_points_because "500 clients connecting at once took $elapsed_ms ms${complaint:+; the clients said: ${complaint:0:200}}" \
			"Raise the backlog" \
			"A small listen backlog overflows: the kernel drops the SYNs of the clients it has no room for, and they try again only a second or more later. Ask listen for SOMAXCONN."
}
