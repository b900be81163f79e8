#!/usr/bin/env bats
# labs/10-events: the starting point is stage 01's sequential server, as
# its handout says: it builds, serves one client at a time, is stuck by a
# client that never reads, and its listener blocks.

setup_file() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	build_stage "$KIT_ROOT/labs/10-events"
	make -s -C "$KIT_ROOT/psockets2" TCPHold TCPFlood >&2
}

setup() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	STAGE=$KIT_ROOT/labs/10-events
	start_stage_server "$STAGE"
}

teardown() {
	[ -z "${FLOOD_PID:-}" ] || kill "$FLOOD_PID" 2>/dev/null || true
	stop_server
}

@test "starting point 10 echoes, one client at a time: TCPHold's second connection gets no echo within 10 s" {
	run echo_line 127.0.0.1
	assert_output "hello over 127.0.0.1"
	run timeout 20 "$PSOCKETS/TCPHold" -n 2 -s 5 -e localhost "$PORT"
	assert_failure 1
	assert_output "TCPHold: connection 2: no echo within 10 s"
	assert_equal "$(count_children_of "$SERVER_PID")" 0
}

@test "starting point 10: a client that never reads (TCPFlood) keeps another from its echo" {
	"$PSOCKETS/TCPFlood" -m 16 -s 10 127.0.0.1 "$PORT" >/dev/null 2>&1 3>&- &
	FLOOD_PID=$!
	sleep 1
	run "$PSOCKETS/TCPEcho" -t 2 127.0.0.1 "$PORT" <<<"hello"
	assert_failure
	assert_output --partial "no reply from server"
}

@test "starting point 10's listener blocks (no O_NONBLOCK in fdinfo), and its TODO markers name steps 2 to 7" {
	local inode fd flags
	inode=$(ss -Hltne "sport = :$PORT" | grep -o 'ino:[0-9]*' | cut -d: -f2 | head -n 1)
	for fd in $(ls "/proc/$SERVER_PID/fd"); do
		[ "$(readlink "/proc/$SERVER_PID/fd/$fd")" != "socket:[$inode]" ] || break
	done
	flags=$(awk '/^flags:/ { print $2 }' "/proc/$SERVER_PID/fdinfo/$fd")
	[ $((8#$flags & 8#4000)) -eq 0 ]
	assert_equal "$(grep -o 'TODO (step [0-9]*' "$STAGE/TCPEchod.c" | grep -o '[0-9]*$' | sort -u | paste -sd' ')" "2 3 4 5 6 7"
}
