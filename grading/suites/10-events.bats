#!/usr/bin/env bats
# Stage 10: one process, many clients, with poll (labs/10-events).  Run by
# grading/grade, which sets SERVER_BIN to the student's TCPEchod.
#
# Everything is seen from outside: threads and children in /proc and ps,
# descriptors and their flags in /proc/PID/fd and fdinfo, memory (VmRSS)
# and CPU time in /proc/PID/status and stat, and what each client got
# back.  What the server prints counts for nothing.

setup() {
	STAGE=10-events
	SERVER_GONE_SECTION="Clients that leave or vanish"
	SERVER_GONE_HINT="The server is the only process: nothing may end it but you. Ignore SIGPIPE (a write to a reset client then fails with EPIPE), and drop the client whose read or write fails, never the server."
	# 500 clients in one process: contain-server raises the server's soft
	# limit on descriptors to this, if it is lower.
	export SERVER_OPEN_FILES=1024
	load "$KIT_ROOT/grading/lib/suite.bash"
	start_stage_server
}

teardown() {
	stop_client_group HOLD_PGID
	stop_client_group FLOOD_PGID
	close_held_clients
	stop_stage_server
}

# --- clients of our own -----------------------------------------------

# start_client_group VARIABLE OUTPUT PROGRAM [ARGS...]: runs a kit client
# in the background, in its own process group (stored in VARIABLE), with
# descriptor 3 closed and room for 1000 descriptors; what it says goes to
# OUTPUT.
start_client_group() {
	local variable=$1 output=$2
	shift 2
	(ulimit -S -n 1024 2>/dev/null || true
	 exec setsid timeout --kill-after=2 30 "$@" </dev/null >"$output" 2>&1 3>&-) &
	printf -v "$variable" %s "$!"
}

# stop_client_group VARIABLE: SIGTERM to the group, then waits for it.
stop_client_group() {
	local pgid=${!1:-}
	[ -n "$pgid" ] || return 0
	kill -TERM -- "-$pgid" 2>/dev/null || kill -TERM "$pgid" 2>/dev/null || true
	wait "$pgid" 2>/dev/null || true
	printf -v "$1" %s ""
}

# hold_echoed_clients N: TCPHold opens N connections, checks each is
# echoed, and holds them (30 s at most).  Fails if it does not say it holds
# them all within 12 s; what it said is then in HOLD_SAID.
hold_echoed_clients() {
	local output="$BATS_TEST_TMPDIR/hold.out" count=$1
	start_client_group HOLD_PGID "$output" "$PSOCKETS/TCPHold" -n "$count" -s 30 -e 127.0.0.1 "$PORT"
	wait_until 12 eval 'grep -q "^holding $count connections" "$output" || ! kill -0 "$HOLD_PGID" 2>/dev/null' || true
	HOLD_SAID=$(head -c 300 "$output" | tr '\n' ' ')
	grep -q "^holding $count connections" "$output"
}

# start_flood: a client that tries to send 16 MiB and never reads its echo, for
# 10 s at most (TCPFlood); its last words go to FLOOD_OUTPUT.
start_flood() {
	FLOOD_OUTPUT="$BATS_TEST_TMPDIR/flood.out"
	start_client_group FLOOD_PGID "$FLOOD_OUTPUT" "$PSOCKETS/TCPFlood" -m 16 -s 10 127.0.0.1 "$PORT"
}

# expect_flood_still_connected SECTION: the flooding client is stopped;
# it must have kept its connection to the end (it says how it ended).
expect_flood_still_connected() {
	local said
	stop_client_group FLOOD_PGID
	said=$(head -c 300 "$FLOOD_OUTPUT" | tr '\n' ' ')
	grep -q "^TCPFlood: sent " "$FLOOD_OUTPUT" ||
		lose_points_because "the server broke the connection of the client that never reads (it said: ${said:-nothing})" \
			"$1" \
			"A client that does not read is slow, not wrong: stop reading from it while its echo waits, and keep its connection."
}

milliseconds_now() {
	echo $(($(date +%s%N) / 1000000))
}

# --- the tests --------------------------------------------------------

@test "echoes a line of text over IPv4 and IPv6" {
	expect_echo_over_ipv4_and_ipv6 "One loop for every client" \
		"Read from a client when poll says it is readable, and write back what you read."
}

@test "echoes 1 MiB of binary data byte for byte" {
	expect_binary_echo "Echo at once, keep only the rest" \
		"A non-blocking write may take fewer bytes than asked, or none (EAGAIN): keep the rest, ask for POLLOUT, and write it when there is room, in order."
}

@test "holds 500 clients in one process with one thread and no children, each echoed" {
	local threads children descriptors
	[ "$(soft_limit_of "$SERVER_PID" "open files")" -ge 520 ] ||
		grader_fault "the server may hold $(soft_limit_of "$SERVER_PID" "open files") descriptors only (ulimit -n): this machine's hard limit is too low for 500 clients"
	hold_echoed_clients 500 ||
		lose_points_because "500 clients connected one after another, each checking its echo within 10 s; the client said: ${HOLD_SAID:-nothing}" \
			"One loop for every client" \
			"Wait in poll for the listener and every client at once, and serve whichever is ready: a loop that serves one client until it leaves keeps the next one waiting."
	threads=$(awk '/^Threads:/ { print $2 }' "/proc/$SERVER_PID/status")
	children=$(count_children_of "$SERVER_PID")
	descriptors=$(count_fds_of "$SERVER_PID")
	[ "$threads" -eq 1 ] && [ "$children" -eq 0 ] ||
		lose_points_because "with 500 clients held, the server has $threads thread(s) and $children child process(es)" \
			"One loop for every client" \
			"One process, one thread: no fork, no pthread_create. One poll loop serves every client."
	[ "$descriptors" -gt 500 ] ||
		lose_points_because "500 clients are connected and echoed, but the server holds $descriptors descriptors" \
			"One loop for every client" \
			"The server itself must hold each client's socket, in its poll set, until the client leaves."
}

@test "a client that tries to send 16 MiB and never reads does not delay another client's echo beyond 1 s" {
	local started reply elapsed
	start_flood
	sleep 0.5       # by then the flood has filled every buffer on its way
	started=$(milliseconds_now)
	reply=$(echo_round_trip 127.0.0.1 "while another floods") || true
	elapsed=$(($(milliseconds_now) - started))
	[ "$reply" = "while another floods" ] && [ "$elapsed" -lt 1000 ] ||
		lose_points_because "while a client sent 16 MiB and read nothing, another client got back \"${reply:-nothing}\" after $elapsed ms" \
			"Echo at once, keep only the rest" \
			"Make every client's socket non-blocking: a write to a client that does not read must fail with EAGAIN (keep the rest for later), never wait while the others starve."
	expect_flood_still_connected "Stop reading from a client that does not read"
}

@test "the server's memory grows less than 8 MiB while a client tries to send 16 MiB and never reads" {
	local before most=0 rss sample
	expect_echo 127.0.0.1 "before the flood" "One loop for every client" \
		"Read from a client when poll says it is readable, and write back what you read."
	before=$(rss_kb_of "$SERVER_PID")
	start_flood
	for sample in $(seq 1 10); do
		sleep 0.1
		rss=$(rss_kb_of "$SERVER_PID" 2>/dev/null) || break
		[ "$rss" -le "$most" ] || most=$rss
	done
	[ $((most - before)) -lt 8192 ] ||
		lose_points_because "the server's VmRSS grew from $before KiB to $most KiB while a client sent 16 MiB and read nothing" \
			"Stop reading from a client that does not read" \
			"Keep at most one read's worth for each client: while something waits to be written to a client, do not ask for POLLIN on it. TCP then holds the sender back."
	expect_flood_still_connected "Stop reading from a client that does not read"
}

@test "no busy loop: under 0.1 s of CPU in 5 s with 100 idle clients, after 20 others left" {
	local complaint ticks
	# Held first, so the 20 that leave had the highest descriptors: none
	# of theirs is reused by a client that stays.
	hold_echoed_clients 100 ||
		lose_points_because "100 clients connected one after another, each checking its echo; the client said: ${HOLD_SAID:-nothing}" \
			"One loop for every client" \
			"Wait in poll for the listener and every client at once, and serve whichever is ready."
	complaint=$(timeout 15 "$PSOCKETS/TCPBurst" -n 20 -t 5 127.0.0.1 "$PORT" 2>&1) ||
		lose_points_because "20 clients at once were not all echoed: ${complaint:0:300}" \
			"One loop for every client" \
			"Wait in poll for the listener and every client at once, and serve whichever is ready."
	ticks=$(cpu_ticks_over 5)
	[ "$ticks" != died ] ||
		lose_points_because "the server died while 100 clients sat idle$(server_last_words)" \
			"Clients that leave or vanish" \
			"Nothing the clients do may end the server."
	[ "$ticks" -lt "$(tenth_of_a_second_in_ticks)" ] ||
		lose_points_because "the server used $(ticks_as_seconds "$ticks") s of CPU in 5 s while its 100 clients sent nothing" \
			"From select to poll" \
			"poll with a timeout of -1 sleeps until something is ready; a timeout of 0 returns at once and the loop spins. A descriptor closed but left in the set is ready at once too (POLLNVAL): remove each client you close."
}

@test "50 clients resetting mid-transfer do not disturb the others" {
	local fd k started elapsed slowest=0 reset_pids=() stream
	hold_clients 5 ||
		lose_points_because "5 clients held open did not each get their echo" \
			"One loop for every client" \
			"Wait in poll for the listener and every client at once, and serve whichever is ready."
	# 25 streams of 2: fast, and many resets at the same moment.
	for stream in $(seq 1 25); do
		"$PSOCKETS/TCPReset" -n 2 127.0.0.1 "$PORT" >/dev/null 2>&1 3>&- &
		reset_pids+=($!)
	done
	# While they reset: one held client after another, each its echo.
	for k in $(seq 1 8); do
		started=$(milliseconds_now)
		client_gets_echo "${HELD[k % 5]}" "while others reset $k" ||
			lose_points_because "while 50 clients reset mid-transfer, held client $((k % 5 + 1)) got no echo of its line $k" \
				"Clients that leave or vanish" \
				"A failed read or write (ECONNRESET, EPIPE) concerns that client only: close it, remove it from the set, and go on serving the others."
		elapsed=$(($(milliseconds_now) - started))
		[ "$elapsed" -le "$slowest" ] || slowest=$elapsed
		sleep 0.05
	done
	for stream in "${reset_pids[@]}"; do
		wait "$stream" || true
	done
	[ "$slowest" -lt 1000 ] ||
		lose_points_because "while 50 clients reset mid-transfer, a held client waited $slowest ms for its echo" \
			"Echo at once, keep only the rest" \
			"Never wait for one client: non-blocking sockets, and a write that would block keeps the rest for POLLOUT."
	for k in 1 2 3 4 5; do
		client_gets_echo "${HELD[k - 1]}" "after the resets $k" ||
			lose_points_because "after 50 clients reset mid-transfer, held client $k got no echo" \
				"Clients that leave or vanish" \
				"A failed read or write (ECONNRESET, EPIPE) concerns that client only: close it, remove it from the set, and go on serving the others."
	done
	server_is_running ||
		lose_points_because "the server is gone after 50 clients reset mid-transfer" \
			"Clients that leave or vanish" \
			"Ignore SIGPIPE: a write to a reset connection then fails with EPIPE instead of killing the one process that serves everyone."
}

@test "descriptors return to their baseline after 200 clients" {
	local baseline complaint now
	expect_echo 127.0.0.1 "before 200 clients" "One loop for every client" \
		"Read from a client when poll says it is readable, and write back what you read."
	baseline=$(count_fds_of "$SERVER_PID")
	complaint=$(timeout 20 "$PSOCKETS/TCPBurst" -n 200 -t 10 127.0.0.1 "$PORT" 2>&1) ||
		lose_points_because "200 clients at once were not all echoed: ${complaint:0:300}" \
			"One loop for every client" \
			"Wait in poll for the listener and every client at once, and serve whichever is ready."
	wait_until 3 eval '[ "$(count_fds_of "$SERVER_PID")" -le "$baseline" ]' || true
	now=$(count_fds_of "$SERVER_PID")
	[ "$now" -le "$baseline" ] ||
		lose_points_because "the server held $baseline descriptors before 200 clients came and left, and $now 3 s after they closed" \
			"Clients that leave or vanish" \
			"When read returns 0 (the client closed) or fails, close the client's socket and remove it from the set."
}

@test "the listening socket is non-blocking (O_NONBLOCK in /proc/PID/fdinfo)" {
	local inode fd flags
	inode=$(listening_socket_inodes | head -n 1)
	for fd in $(ls "/proc/$SERVER_PID/fd"); do
		[ "$(readlink "/proc/$SERVER_PID/fd/$fd" 2>/dev/null)" != "socket:[$inode]" ] || break
	done
	[ -n "$inode" ] && [ "$(readlink "/proc/$SERVER_PID/fd/$fd" 2>/dev/null)" = "socket:[$inode]" ] ||
		grader_fault "the listening socket on port $PORT is not among the server's descriptors"
	flags=$(awk '/^flags:/ { print $2 }' "/proc/$SERVER_PID/fdinfo/$fd")
	# O_NONBLOCK is 04000 (octal) on Linux; fdinfo prints the flags in octal.
	(((8#$flags & 8#4000) != 0)) ||
		lose_points_because "the listening socket (descriptor $fd) has flags $flags: no O_NONBLOCK (04000)" \
			"Non-blocking sockets, the listener too" \
			"fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) after F_GETFL: then accept fails with EAGAIN rather than waiting when the client that poll announced is gone."
}
