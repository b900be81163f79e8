#!/usr/bin/env bats
# solutions/10-events: the claims its handout (labs/10-events/README.md)
# makes, checked on the three versions: poll (TCPEchod, graded), select
# (TCPEchod-select) and epoll (TCPEchod-epoll, Linux only).

setup_file() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	make -s -C "$KIT_ROOT/solutions/10-events" >&2
	make -s -C "$KIT_ROOT/psockets2" TCPHold TCPFlood TCPReset TCPBurst >&2
}

setup() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	SOLUTION=$KIT_ROOT/solutions/10-events
	VERSIONS="TCPEchod TCPEchod-select TCPEchod-epoll"
}

teardown() {
	[ -z "${FLOOD_PID:-}" ] || kill "$FLOOD_PID" 2>/dev/null || true
	stop_holding
	stop_server
}

# start_version NAME: the solution's NAME on a fresh port, started as the
# grader starts servers (descriptors 0, 1 and 2 only; room for 1024).
start_version() {
	PORT=$(pick_port)
	SERVER_OPEN_FILES=1024 SERVER_WRAPPER="$KIT_ROOT/grading/lib/contain-server" \
		start_server_on "$PORT" "$SOLUTION/$1" "$PORT"
}

@test "solution 10: each version holds 500 clients in one process, one thread, no child, 504 descriptors" {
	local version
	for version in $VERSIONS; do
		start_version "$version"
		hold_connections 500 -e
		assert_equal "$version: $(ps -o nlwp= -p "$SERVER_PID" | tr -d ' ')" "$version: 1"
		assert_equal "$version: $(count_children_of "$SERVER_PID")" "$version: 0"
		# 0, 1, 2, the listener, 500 clients (and epoll's own descriptor).
		if [ "$version" = TCPEchod-epoll ]; then
			assert_equal "$version: $(count_fds_of "$SERVER_PID")" "$version: 505"
		else
			assert_equal "$version: $(count_fds_of "$SERVER_PID")" "$version: 504"
		fi
		stop_holding
		stop_server
	done
}

@test "solution 10: next to a client that tries to send 16 MiB and never reads, another is echoed within 1 s and VmRSS grows less than 1 MiB" {
	local version before started elapsed
	for version in $VERSIONS; do
		start_version "$version"
		run echo_line 127.0.0.1
		before=$(rss_kb_of "$SERVER_PID")
		"$PSOCKETS/TCPFlood" -m 16 -s 3 127.0.0.1 "$PORT" >"$BATS_TEST_TMPDIR/flood" 2>&1 3>&- &
		FLOOD_PID=$!
		sleep 1
		started=$(date +%s%N)
		run echo_line 127.0.0.1
		elapsed=$((($(date +%s%N) - started) / 1000000))
		assert_output "hello over 127.0.0.1"
		[ "$elapsed" -lt 1000 ] || fail "$version: the echo took $elapsed ms"
		[ $(($(rss_kb_of "$SERVER_PID") - before)) -lt 1024 ] ||
			fail "$version: VmRSS grew from $before to $(rss_kb_of "$SERVER_PID") KiB"
		wait "$FLOOD_PID"
		FLOOD_PID=
		assert_equal "$(cut -d' ' -f1-2 "$BATS_TEST_TMPDIR/flood")" "TCPFlood: sent"
		stop_server
	done
}

@test "solution 10: idle with 100 clients, each version sleeps (STAT S) and uses no CPU time" {
	local version before after
	for version in $VERSIONS; do
		start_version "$version"
		hold_connections 100 -e
		before=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
		sleep 2
		after=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
		assert_equal "$version: $(ps -o stat= -p "$SERVER_PID" | cut -c1)" "$version: S"
		[ $((after - before)) -le 1 ] || fail "$version used $((after - before)) ticks in 2 s"
		stop_holding
		stop_server
	done
}

@test "solution 10: 20 resetting clients are reported (write: Broken pipe), and each version keeps serving" {
	local version
	for version in $VERSIONS; do
		start_version "$version"
		run timeout 30 "$PSOCKETS/TCPReset" -n 20 127.0.0.1 "$PORT"
		assert_success
		server_is_running
		run echo_line ::1
		assert_output "hello over ::1"
		grep -q "^TCPEchod: write: Broken pipe$" "$SERVER_LOG" ||
			fail "$version reported no broken pipe: $(sort "$SERVER_LOG" | uniq -c)"
		run timeout 20 "$PSOCKETS/TCPBurst" -n 200 -t 10 127.0.0.1 "$PORT"
		assert_success
		wait_until 3 eval '[ "$(count_fds_of "$SERVER_PID")" -le 5 ]' ||
			fail "$version holds $(count_fds_of "$SERVER_PID") descriptors after 200 clients left"
		stop_server
	done
}

@test "solution 10: the poll version's listener and clients are non-blocking; it ignores SIGPIPE" {
	local inode fd flags ignored
	start_version TCPEchod
	hold_connections 1 -e
	inode=$(ss -Hltne "sport = :$PORT" | grep -o 'ino:[0-9]*' | cut -d: -f2 | head -n 1)
	for fd in $(ls "/proc/$SERVER_PID/fd"); do
		[ "$(readlink "/proc/$SERVER_PID/fd/$fd")" != "socket:[$inode]" ] || break
	done
	flags=$(awk '/^flags:/ { print $2 }' "/proc/$SERVER_PID/fdinfo/$fd")
	[ $((8#$flags & 8#4000)) -ne 0 ] || fail "listener flags $flags"
	flags=$(awk '/^flags:/ { print $2 }' "/proc/$SERVER_PID/fdinfo/4")
	[ $((8#$flags & 8#4000)) -ne 0 ] || fail "client flags $flags"
	ignored=$(awk '/^SigIgn:/ { print $2 }' "/proc/$SERVER_PID/status")
	[ $(( 0x$ignored >> 12 & 1 )) -eq 1 ]
}

@test "solution 10: the select version refuses a client whose descriptor is FD_SETSIZE (1024) or more" {
	PORT=$(pick_port)
	SERVER_OPEN_FILES=1100 SERVER_WRAPPER="$KIT_ROOT/grading/lib/contain-server" \
		start_server_on "$PORT" "$SOLUTION/TCPEchod-select" "$PORT"
	[ "$(ulimit -H -n)" = unlimited ] || [ "$(ulimit -H -n)" -ge 1100 ] || skip "the hard limit on descriptors is below 1100"
	hold_connections 1000
	(ulimit -S -n 2048; timeout 20 "$PSOCKETS/TCPHold" -n 30 -s 1 127.0.0.1 "$PORT") >/dev/null 2>&1 || true
	wait_until 3 grep -q "is beyond FD_SETSIZE (1024): client dropped" "$SERVER_LOG" ||
		fail "no refusal: $(tail -n 3 "$SERVER_LOG")"
	server_is_running
}
