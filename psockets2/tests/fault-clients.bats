#!/usr/bin/env bats
# The fault-injecting clients TCPBurst, TCPHold and TCPReset: each does
# what it says, against the reference server or a stopped one.

setup() {
	load "../../grading/lib/server.bash"
	load clients.bash
	bats_load_library bats-support
	bats_load_library bats-assert
	PORT=$(pick_port)
}

teardown() {
	stop_holding || true
	if [ -n "${BURST_PGID:-}" ]; then
		kill -TERM -- "-$BURST_PGID" 2>/dev/null || true
		wait "$BURST_PGID" 2>/dev/null || true
	fi
	# A stopped server (SIGSTOP) would take SIGTERM only once continued.
	[ -z "${SERVER_PGID:-}" ] || kill -CONT -- "-$SERVER_PGID" 2>/dev/null || true
	stop_server
}

start_echod() {
	start_server_on "$PORT" "$PSOCKETS/TCPEchod" "$PORT"
}

# A stopped server: the kernel still completes connections and takes
# data, but nothing is ever echoed.
start_silent_server() {
	start_echod
	kill -STOP "$SERVER_PID"
}

@test "TCPBurst -n 30 reports that all 30 clients got their own line back" {
	start_echod
	run timeout 30 "$PSOCKETS/TCPBurst" -n 30 -t 10 127.0.0.1 "$PORT"
	assert_success
	assert_output "TCPBurst: all 30 clients got their own line back"
}

@test "TCPBurst holds all N connections open at once" {
	start_silent_server
	setsid timeout 30 "$PSOCKETS/TCPBurst" -n 20 -t 5 ::1 "$PORT" >/dev/null 2>&1 3>&- &
	BURST_PGID=$!
	wait_until 4 eval '[ "$(count_state "$PORT" ESTABLISHED client)" -eq 20 ]' ||
		fail "expected 20 connections open at once, saw $(count_state "$PORT" ESTABLISHED client)"
}

@test "TCPBurst -f sends each line and FIN as soon as its connection is open" {
	# A stopped server never echoes; the kernel still takes each line and
	# FIN, so every connection of the server's side ends in CLOSE_WAIT
	# while TCPBurst still waits for its echoes.
	start_silent_server
	setsid timeout 30 "$PSOCKETS/TCPBurst" -f -n 20 -t 5 127.0.0.1 "$PORT" >/dev/null 2>&1 3>&- &
	BURST_PGID=$!
	wait_until 4 eval '[ "$(count_state "$PORT" CLOSE_WAIT server)" -eq 20 ]' ||
		fail "expected 20 connections in CLOSE_WAIT on the server's side, saw $(count_state "$PORT" CLOSE_WAIT server)"
}

@test "TCPBurst -f -n 30 reports that all 30 clients got their own line back" {
	start_echod
	run timeout 30 "$PSOCKETS/TCPBurst" -f -n 30 -t 10 127.0.0.1 "$PORT"
	assert_success
	assert_output "TCPBurst: all 30 clients got their own line back"
}

@test "TCPBurst counts the clients that got no echo, within -t seconds, and exits 1" {
	start_silent_server
	SECONDS=0
	run timeout 30 "$PSOCKETS/TCPBurst" -n 5 -t 1 127.0.0.1 "$PORT"
	assert_failure 1
	assert_output "TCPBurst: 0 of 5 clients got a wrong echo and 5 got no echo within 1 s"
	[ "$SECONDS" -le 5 ] || fail "TCPBurst -t 1 took $SECONDS s"
}

@test "TCPBurst rejects bad arguments with exit 1 and shows usage on --help" {
	# Nothing listens on $PORT: a bad argument taken as good would show as
	# "Connection refused", not as the message we look for.
	for args in "-n 0" "-n 1001" "-n x" "-t 0" "-t 3601" "-q"; do
		# shellcheck disable=SC2086 # split the argument list on purpose
		run timeout 10 "$PSOCKETS/TCPBurst" $args 127.0.0.1 "$PORT"
		assert_failure 1
		assert_output --regexp 'TCPBurst: bad (count|timeout) |usage: TCPBurst'
	done
	for args in "" "a b c"; do
		# shellcheck disable=SC2086 # split the argument list on purpose
		run timeout 10 "$PSOCKETS/TCPBurst" $args
		assert_failure 1
		assert_output --partial "usage: TCPBurst"
	done
	run timeout 10 "$PSOCKETS/TCPBurst" --help
	assert_success
	assert_output --partial "usage: TCPBurst [-n N] [-t seconds] [-f] host [port]"
}

@test "TCPHold holds N connections, visible as ESTABLISHED, and releases them on SIGTERM" {
	start_echod
	start_holding -n 5 -s 60 127.0.0.1 "$PORT"
	wait_until_holding 5 || fail "no \"holding 5 connections\" line: $(cat "$HOLD_OUTPUT")"
	wait_until 5 eval '[ "$(count_state "$PORT" ESTABLISHED)" -eq 5 ]' ||
		fail "expected 5 ESTABLISHED on the server's side, saw $(count_state "$PORT" ESTABLISHED)"
	assert_equal "$(count_state "$PORT" ESTABLISHED client)" 5
	SECONDS=0
	stop_holding || fail "TCPHold exited with status $? on SIGTERM, not 0"
	[ "$SECONDS" -le 5 ] || fail "TCPHold took $SECONDS s to stop on SIGTERM"
	wait_until 5 eval '[ "$(count_state "$PORT" ESTABLISHED)" -eq 0 ]' ||
		fail "connections still ESTABLISHED after TCPHold stopped"
}

@test "TCPHold -s 1 closes its connections by itself after a second" {
	start_echod
	run timeout 10 "$PSOCKETS/TCPHold" -n 3 -s 1 -e ::1 "$PORT"
	assert_success
	assert_output "holding 3 connections"
	wait_until 5 eval '[ "$(count_state "$PORT" ESTABLISHED)" -eq 0 ]'
}

@test "TCPHold -e fails with a message when a connection is not echoed within 10 s" {
	start_silent_server
	run timeout 30 "$PSOCKETS/TCPHold" -n 2 -s 1 -e 127.0.0.1 "$PORT"
	assert_failure 1
	assert_output "TCPHold: connection 1: no echo within 10 s"
}

@test "TCPHold rejects bad arguments with exit 1 and shows usage on --help" {
	for args in "-n 0" "-n 1001" "-s 0" "-s 3601" "-s x" "-q"; do
		# shellcheck disable=SC2086 # split the argument list on purpose
		run timeout 10 "$PSOCKETS/TCPHold" $args 127.0.0.1 "$PORT"
		assert_failure 1
		assert_output --regexp 'TCPHold: bad (count|time) |usage: TCPHold'
	done
	for args in "" "a b c"; do
		# shellcheck disable=SC2086 # split the argument list on purpose
		run timeout 10 "$PSOCKETS/TCPHold" $args
		assert_failure 1
		assert_output --partial "usage: TCPHold"
	done
	run timeout 10 "$PSOCKETS/TCPHold" --help
	assert_success
	assert_output --partial "usage: TCPHold [-n N] [-s seconds] [-e] host [port]"
}

@test "TCPReset breaks each connection while the child writes: the server reports Broken pipe" {
	start_echod
	run timeout 30 "$PSOCKETS/TCPReset" -n 5 127.0.0.1 "$PORT"
	assert_success
	assert_output "TCPReset: sent 5 resets"
	# EPIPE (not ECONNRESET) shows the RST came after the FIN: the timing
	# that makes a child with default SIGPIPE die of it (labs/04-sigpipe).
	wait_until 5 eval '[ "$(grep -c "TCPEchod: write: Broken pipe" "$SERVER_LOG")" -eq 5 ]' ||
		fail "expected 5 \"write: Broken pipe\" lines; the server's output: $(cat "$SERVER_LOG")"
	server_is_running
}

@test "TCPReset rejects bad arguments with exit 1 and shows usage on --help" {
	for args in "-n 0" "-n 1001" "-n x" "-t 1"; do
		# shellcheck disable=SC2086 # split the argument list on purpose
		run timeout 10 "$PSOCKETS/TCPReset" $args 127.0.0.1 "$PORT"
		assert_failure 1
		assert_output --regexp 'TCPReset: bad count |usage: TCPReset'
	done
	for args in "" "a b c"; do
		# shellcheck disable=SC2086 # split the argument list on purpose
		run timeout 10 "$PSOCKETS/TCPReset" $args
		assert_failure 1
		assert_output --partial "usage: TCPReset"
	done
	run timeout 10 "$PSOCKETS/TCPReset" --help
	assert_success
	assert_output --partial "usage: TCPReset [-n N] host [port]"
}

@test "TCPFlood sends without reading: to a stopped server it sends what the buffers hold, keeps the connection, and says so after -s seconds" {
	local sent
	start_silent_server
	SECONDS=0
	run timeout 10 "$PSOCKETS/TCPFlood" -m 64 -s 1 127.0.0.1 "$PORT"
	assert_success
	assert_output --regexp '^TCPFlood: sent [0-9]+ of 67108864 bytes in 1 s, read none$'
	sent=$(sed 's/^TCPFlood: sent \([0-9]*\) of.*/\1/' <<<"$output")
	[ "$sent" -gt 0 ] && [ "$sent" -lt 67108864 ] || fail "sent $sent bytes to a stopped server"
	[ "$SECONDS" -le 3 ] || fail "TCPFlood -s 1 took $SECONDS s"
}

@test "TCPFlood sends all of -m to a server that reads, never reads the echo, and stops early on SIGTERM" {
	start_echod
	setsid timeout 30 "$PSOCKETS/TCPFlood" -m 1 -s 20 127.0.0.1 "$PORT" >"$BATS_TEST_TMPDIR/flood" 2>&1 3>&- &
	BURST_PGID=$!
	wait_until 5 eval '[ "$(count_state "$PORT" ESTABLISHED client)" -eq 1 ]' ||
		fail "TCPFlood is not connected"
	sleep 1
	kill -TERM -- "-$BURST_PGID"
	wait "$BURST_PGID" || fail "TCPFlood exited with status $? on SIGTERM"
	BURST_PGID=
	assert_equal "$(cat "$BATS_TEST_TMPDIR/flood")" "TCPFlood: sent 1048576 of 1048576 bytes in 1 s, read none"
}

@test "TCPFlood rejects bad arguments with exit 1 and shows usage on --help" {
	for args in "-m 0" "-m 1025" "-s 0" "-s 3601" "-q"; do
		# shellcheck disable=SC2086 # split the argument list on purpose
		run timeout 10 "$PSOCKETS/TCPFlood" $args 127.0.0.1 "$PORT"
		assert_failure 1
		assert_output --regexp 'TCPFlood: bad (size|time) |usage: TCPFlood'
	done
	run timeout 10 "$PSOCKETS/TCPFlood"
	assert_failure 1
	run timeout 10 "$PSOCKETS/TCPFlood" --help
	assert_success
	assert_output --partial "usage: TCPFlood [-m MiB] [-s seconds] host [port]"
}
