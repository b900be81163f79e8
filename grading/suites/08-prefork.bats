#!/usr/bin/env bats
# Stage 08: a preforked pool of workers (labs/08-prefork).
# Run by grading/grade, which sets SERVER_BIN to the student's TCPEchod.
#
# Which process served a client is seen from outside, never from what the
# server prints: ss -p names the process that holds the server's end of
# the client's connection.

setup() {
	STAGE=08-prefork
	SERVER_GONE_SECTION="Replace a worker that dies"
	SERVER_GONE_HINT="Only the parent's own failures may end it: it outlives every worker and every client."
	load "$KIT_ROOT/grading/lib/suite.bash"
	start_stage_server
	DEFAULT_WORKERS=4
}

teardown() {
	close_held_clients
	stop_stage_server
}

# --- what the pool looks like from outside -----------------------------

# The server's live processes: the parent and all its descendants (a
# worker's own children included), zombies left out; one PID a line.
processes_of_the_server() {
	ps -e -o pid=,ppid=,stat= | awk -v root="$SERVER_PID" '
		$3 !~ /^Z/ { parent[$1] = $2 }
		END {
			if (!(root in parent)) exit
			found[root] = 1; print root
			do {
				more = 0
				for (pid in parent)
					if (!(pid in found) && (parent[pid] in found)) {
						found[pid] = 1; print pid; more = 1
					}
			} while (more)
		}'
}

count_processes_of_the_server() {
	processes_of_the_server | wc -l
}

# The parent's live children, one PID a line: its workers.
workers_of_the_server() {
	ps -o pid=,stat= --ppid "$SERVER_PID" | awk '$2 !~ /^Z/ { print $1 }'
}

count_workers() {
	workers_of_the_server | wc -l
}

# wait_for_pool N: waits (3 s at most) until the parent has N workers, or
# loses the points.
wait_for_pool() {
	local expected=$1
	wait_until 3 eval '[ "$(count_workers)" -eq "$expected" ]' ||
		lose_points_because "the server had $(count_workers) worker(s) 3 s after it started, not $expected ($(describe_the_server))" \
			"Fork the workers ahead of time" \
			"The parent forks the workers as soon as it listens, and each one loops on accept()."
}

# "parent P, its descendants: A B C" (or none), for a message.
describe_the_server() {
	local others
	others=$(processes_of_the_server | grep -vxF "$SERVER_PID" | paste -sd' ')
	echo "parent $SERVER_PID, its descendants: ${others:-none}"
}

# clients_in_turn_and_who_served_them PORT COUNT: COUNT clients in turn,
# each sending a line and reading its echo; while it is still connected,
# ss -p names the processes that hold the server's end of its connection
# (ss reads every process's descriptors): those served it.  Prints a line
# per client, its number and those processes' PIDs; stops at the first
# client without its echo, with the line: k no echo.
# Run in a bash of its own (see run_in_plain_bash): bats traces every
# command of a test, which would make 200 clients take most of the
# test's time on a loaded machine.
clients_in_turn_and_who_served_them() {
	local port=$1 count=$2 client reply fd holders
	trap '' PIPE    # a reset connection fails the write, not this shell
	for client in $(seq 1 "$count"); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$port" || { echo "$client no echo"; return; }
		reply=
		printf 'client %s\n' "$client" >&"$fd" 2>/dev/null
		IFS= read -r -t 3 reply <&"$fd"
		if [ "$reply" != "client $client" ]; then
			echo "$client no echo"
			return
		fi
		holders=$(ss -Htnp state established "( sport = :$port )")
		printf '%s' "$client"
		while [[ $holders =~ pid=([0-9]+) ]]; do
			printf ' %s' "${BASH_REMATCH[1]}"
			holders=${holders#*pid="${BASH_REMATCH[1]}"}
		done
		printf '\n'
		exec {fd}>&-
	done
}

# run_in_plain_bash FUNCTION ARGS...: runs FUNCTION in a new bash, free of
# bats' tracing.
run_in_plain_bash() {
	bash -c "$(declare -f "$1"); $1 \"\$@\"" "$1" "${@:2}"
}

# open_waiting_clients COUNT: connects COUNT more clients and sends a line
# on each ("client K", K from 1 in HELD's order), without waiting for the
# echo.  Their descriptors join HELD.
open_waiting_clients() {
	local k
	for k in $(seq 1 "$1"); do
		open_client
		HELD+=("$CLIENT")
		(trap '' PIPE; printf 'client %s\n' "${#HELD[@]}" >&"$CLIENT") 2>/dev/null || true
	done
}

# collect_answers: reads the echo of every held client that has one ready
# (at most once each) and counts them in ANSWERED_COUNT; an answer that is
# not the client's own line goes to WRONG_ANSWERS.
collect_answers() {
	local k reply
	for k in "${!HELD[@]}"; do
		[ -z "${ANSWERED[k]:-}" ] || continue
		read -r -t 0 -u "${HELD[k]}" || continue
		reply=
		IFS= read -r -t 1 -u "${HELD[k]}" reply || true
		ANSWERED[k]=yes
		ANSWERED_COUNT=$((ANSWERED_COUNT + 1))
		[ "$reply" = "client $((k + 1))" ] || WRONG_ANSWERS+="client $((k + 1)) got \"$reply\"; "
	done
	[ "$ANSWERED_COUNT" -ge "${1:-0}" ]
}

# --- the tests ---------------------------------------------------------

@test "echoes a line of text over IPv4 and IPv6" {
	expect_echo_over_ipv4_and_ipv6 "Fork the workers ahead of time" \
		"A worker reads from the connected socket and writes back what it read." \
		"Fork the workers ahead of time" \
		"After the first client left, a second one (over ::1) got no echo: does each worker go back to accept() when its client leaves?"
}

@test "echoes 1 MiB of binary data byte for byte" {
	expect_binary_echo "Fork the workers ahead of time" \
		"Write back exactly the count read() returned, and loop until read() returns 0."
}

@test "runs exactly 3 workers and the parent with -n 3, idle and under load" {
	local seen k
	stop_server
	PORT=$(pick_port)
	start_server_on "$PORT" "$SERVER_BIN" -n 3 "$PORT" ||
		fail "the server did not start with -n 3: see the output above"
	wait_until 3 eval '[ "$(count_processes_of_the_server)" -eq 4 ]' ||
		lose_points_because "started with -n 3, the server ran $(count_processes_of_the_server) process(es) after 3 s, not 4 ($(describe_the_server))" \
			"Fork the workers ahead of time" \
			"The parent forks exactly -n workers when it starts, and no more: the workers serve every client."
	# Three clients served and held, three more waiting in the backlog.
	hold_clients 3 ||
		lose_points_because "3 clients did not all get an echo from a pool of 3 workers" \
			"Fork the workers ahead of time" \
			"Each worker serves one client at a time: 3 workers serve 3 clients at once."
	open_waiting_clients 3
	for k in 1 2 3 4 5; do
		seen=$(count_processes_of_the_server)
		[ "$seen" -eq 4 ] ||
			lose_points_because "with 3 clients served and 3 waiting, the server ran $seen processes, not 4 ($(describe_the_server))" \
				"Fork the workers ahead of time" \
				"A worker serves its client itself, in its own process: no fork per client in a pool."
		sleep 0.2
	done
}

# Which process served each client: the one holding the server's end of
# its connection (see clients_in_turn_and_who_served_them).
@test "200 clients in turn are served by at most 4 processes, all of them workers" {
	local workers served no_echo others
	wait_for_pool "$DEFAULT_WORKERS"
	workers=$(workers_of_the_server)
	served=$(run_in_plain_bash clients_in_turn_and_who_served_them "$PORT" 200)
	no_echo=$(grep -m 1 ' no echo$' <<<"$served" | cut -d' ' -f1)
	# A run cut short without saying why (the shell itself failed): the
	# client after the last one reported is the one that got nothing.
	if [ -z "$no_echo" ] && [ "$(grep -c . <<<"$served")" -ne 200 ]; then
		no_echo=$(($(grep -c . <<<"$served") + 1))
	fi
	[ -z "$no_echo" ] ||
		lose_points_because "client $no_echo of 200 got no echo (within 3 s)" \
			"Fork the workers ahead of time" \
			"When its client leaves, a worker closes the connection and goes back to accept()."
	# Field 1 is the client's number: the processes that served it follow
	# (cut -s skips a line with no such process).
	! cut -s -d' ' -f2- <<<"$served" | grep -qw "$SERVER_PID" ||
		lose_points_because "the parent ($SERVER_PID) itself held the connection of $(cut -s -d' ' -f2- <<<"$served" | grep -cw "$SERVER_PID") of the 200 clients (ss -tnp)" \
			"The parent only supervises" \
			"The parent never calls accept(): it waits for its workers to die, and only the workers serve clients."
	others=$(cut -s -d' ' -f2- <<<"$served" | tr ' ' '\n' | grep . | sort -un | grep -vxF -f <(echo "$workers") || true)
	[ -z "$others" ] ||
		lose_points_because "$(wc -l <<<"$others") processes other than the 4 workers present at the start ($(echo $workers)) held the 200 clients' connections (ss -tnp), among them $(head -n 5 <<<"$others" | paste -sd' '); now: $(describe_the_server)" \
			"Fork the workers ahead of time" \
			"A worker serves its client itself, in its own process: no fork per client in a pool."
	[ "$(grep -c ' ' <<<"$served")" -eq 200 ] ||
		lose_points_because "for $(grep -vc ' ' <<<"$served") of the 200 clients, no process held the server's end of the connection while the client was connected (ss -tnp)" \
			"Fork the workers ahead of time" \
			"A worker keeps the connection open until its client has left."
}

@test "with 4 workers, 4 of 7 clients at once are served and the others as soon as a worker frees" {
	local k
	ANSWERED=()
	ANSWERED_COUNT=0
	WRONG_ANSWERS=
	wait_for_pool "$DEFAULT_WORKERS"
	HELD=()
	open_waiting_clients 7
	wait_until 5 collect_answers 4 ||
		lose_points_because "only $ANSWERED_COUNT of 7 clients connected at once got an echo within 5 s" \
			"Fork the workers ahead of time" \
			"Each of the 4 workers serves one client: 4 clients at once get their echo."
	# Give the others a second to be served, as they should not be.
	sleep 1
	collect_answers
	[ "$ANSWERED_COUNT" -eq 4 ] ||
		lose_points_because "$ANSWERED_COUNT of 7 clients connected at once got an echo at once, with 4 workers: at most 4 should ($(describe_the_server))" \
			"Client N+1 waits in the backlog" \
			"Only the workers serve, one client each: with 4 workers, the 5th client waits in the backlog. Neither fork per client, nor let the parent accept."
	[ -z "$WRONG_ANSWERS" ] ||
		lose_points_because "clients got another client's line: $WRONG_ANSWERS" \
			"Fork the workers ahead of time" \
			"A worker reads from the connected socket and writes back what it read."
	# The 4 served clients leave: the 3 waiting ones must now be served.
	for k in "${!HELD[@]}"; do
		if [ -n "${ANSWERED[k]:-}" ]; then
			close_client "${HELD[k]}"
			unset 'HELD[k]'
		fi
	done
	wait_until 5 collect_answers 7 ||
		lose_points_because "$((7 - ANSWERED_COUNT)) of the 3 waiting clients got no echo within 5 s after the 4 served clients left" \
			"Client N+1 waits in the backlog" \
			"When its client leaves, a worker closes the connection and goes back to accept(), which takes the next client from the backlog."
}

@test "a worker killed with SIGKILL is replaced within 1 s and the pool keeps serving" {
	local victim
	wait_for_pool "$DEFAULT_WORKERS"
	victim=$(workers_of_the_server | head -n 1)
	kill -KILL "$victim"
	wait_until 1 eval '[ "$(count_workers)" -eq 4 ] && ! workers_of_the_server | grep -qxF "$victim"' ||
		lose_points_because "1 s after worker $victim was killed with SIGKILL, the server had $(count_workers) live worker(s), not 4 ($(describe_the_server))" \
			"Replace a worker that dies" \
			"On SIGCHLD, the parent reaps every dead worker with waitpid() and forks a new one in its place."
	hold_clients 4 ||
		lose_points_because "after a worker was killed and replaced, 4 clients at once did not all get an echo from the 4 workers" \
			"Replace a worker that dies" \
			"The new worker runs the same loop as the others: accept() on the listener the parent kept."
}

@test "no zombie remains after 3 workers are killed at once" {
	local zombies
	wait_for_pool "$DEFAULT_WORKERS"
	kill -KILL $(workers_of_the_server | head -n 3)
	wait_until 3 eval '[ "$(count_zombies_of "$SERVER_PID")" -eq 0 ]' || true
	zombies=$(count_zombies_of "$SERVER_PID")
	[ "$zombies" -eq 0 ] ||
		lose_points_because "$zombies zombie(s) of the parent 3 s after 3 of its workers were killed at once" \
			"Replace a worker that dies" \
			"A dead worker stays a zombie until the parent waits for it. One SIGCHLD may stand for several deaths: loop on waitpid(-1, ..., WNOHANG)."
}

@test "SIGTERM to the parent ends every worker, leaving no process and no zombie" {
	local before left zombies
	wait_for_pool "$DEFAULT_WORKERS"
	hold_clients 2 ||
		lose_points_because "2 clients did not both get an echo" \
			"Fork the workers ahead of time" \
			"Each worker serves one client at a time: 4 workers serve 2 clients at once."
	before=$(processes_of_the_server)
	# The parent is meant to end here: lose_points_pointing_to, not
	# lose_points_because (which blames a server that is gone).
	kill -TERM "$SERVER_PID"
	# shellcheck disable=SC2086
	wait_until 3 eval '[ -z "$(still_running $before)" ]' || true
	left=$(still_running $before)
	zombies=$(count_zombies_of "$SERVER_PID")
	if [ -n "$left" ] && ! grep -qxF "$SERVER_PID" <<<"$left"; then
		lose_points_pointing_to "$HANDOUT" "3 s after SIGTERM to the parent, it had exited but these of its processes still ran: $(describe_processes $left | sed 's/; $//')" \
			"Stop the pool with the server" \
			"On SIGTERM, the parent sends SIGTERM to each of its workers and waits for them before it exits: orphaned workers go on serving."
	fi
	[ -z "$left" ] ||
		lose_points_pointing_to "$HANDOUT" "3 s after SIGTERM to the parent, it still ran, with $(count_workers) live worker(s) and $zombies zombie(s)" \
			"Stop the pool with the server" \
			"On SIGTERM, the parent sends SIGTERM to each of its workers, waits for each (no zombie is left), and exits."
}

# still_running PID...: those of the PIDs that still run (zombies do
# not); one ps for all.
still_running() {
	local pids
	pids=$(IFS=,; echo "$*")
	[ -n "$pids" ] || return 0
	ps -o pid=,stat= -p "$pids" | awk '$2 !~ /^Z/ { print $1 }'
}
