#!/usr/bin/env bats
# psockets2/watch-port: the TCP states of one port, sampled a bounded
# number of times, from netstat or (without net-tools) from ss.

setup() {
	load "../../grading/lib/server.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	PORT=$(pick_port)
	WATCH="$PSOCKETS/watch-port"
}

teardown() {
	stop_server
}

# A PATH with the commands watch-port needs but no netstat.
path_without_netstat() {
	local bin="$BATS_TEST_TMPDIR/bin" command
	mkdir -p "$bin"
	for command in bash awk ss date cut sleep id; do
		ln -sf "$(command -v "$command")" "$bin/$command"
	done
	echo "$bin"
}

@test "watch-port shows the listener, both ends of a connection, then TIME_WAIT on the client" {
	start_server_on "$PORT" "$PSOCKETS/TCPEchod" "$PORT"
	run "$WATCH" -n 1 "$PORT"
	assert_success
	assert_output --regexp "LISTEN +[^ ]*:$PORT .* listening"

	local client
	{ echo hello; sleep 2; } | "$PSOCKETS/TCPEcho" -t 5 127.0.0.1 "$PORT" >/dev/null 3>&- &
	client=$!
	wait_until 2 eval '[ "$(count_state "$PORT" ESTABLISHED)" -eq 1 ]'
	run "$WATCH" -n 1 "$PORT"
	assert_output --regexp "ESTABLISHED +127.0.0.1:$PORT +127.0.0.1:[0-9]+ +server side"
	assert_output --regexp "ESTABLISHED +127.0.0.1:[0-9]+ +127.0.0.1:$PORT +client side"

	wait "$client"
	run "$WATCH" -n 1 "$PORT"
	assert_output --regexp "TIME_WAIT +127.0.0.1:[0-9]+ +127.0.0.1:$PORT +client side"
}

@test "watch-port takes its states from ss when netstat is not installed" {
	start_server_on "$PORT" "$PSOCKETS/TCPEchod" "$PORT"
	echo hello | "$PSOCKETS/TCPEcho" -t 5 127.0.0.1 "$PORT" >/dev/null
	run env PATH="$(path_without_netstat)" "$WATCH" -n 1 "$PORT"
	assert_success
	assert_output --regexp "LISTEN +[^ ]*:$PORT .* listening"
	assert_output --regexp "TIME_WAIT +127.0.0.1:[0-9]+ +127.0.0.1:$PORT +client side"
}

# A client that connects and closes while the server is stopped (SIGSTOP:
# it accepts nothing): the kernel keeps the connection half-closed, so
# both in-between states last until the server runs again.
@test "watch-port shows CLOSE_WAIT on the server and FIN_WAIT2 on the client, netstat or ss" {
	local path client
	start_server_on "$PORT" "$PSOCKETS/TCPEchod" "$PORT"
	kill -STOP "$SERVER_PID"
	exec {client}<>"/dev/tcp/127.0.0.1/$PORT"
	exec {client}<&-
	for path in "$PATH" "$(path_without_netstat)"; do
		run env PATH="$path" "$WATCH" -n 1 "$PORT"
		assert_output --regexp "CLOSE_WAIT +[^ ]*:$PORT +[^ ]*:[0-9]+ +server side"
		assert_output --regexp "FIN_WAIT2 +127.0.0.1:[0-9]+ +127.0.0.1:$PORT +client side"
	done
	kill -CONT "$SERVER_PID"
	wait_until 2 eval '[ "$(count_state "$PORT" CLOSE_WAIT)" -eq 0 ]'
	run "$WATCH" -n 1 "$PORT"
	assert_output --regexp "TIME_WAIT +127.0.0.1:[0-9]+ +127.0.0.1:$PORT +client side"
}

@test "watch-port takes count samples, the interval apart, then stops" {
	SECONDS=0
	run "$WATCH" -n 3 -i 0.5 "$PORT"
	assert_success
	[ "$(grep -c "^--- .* port $PORT  (sample [1-3] of 3)" <<<"$output")" -eq 3 ]
	assert_line "  (no socket uses this port)"
	[ "$SECONDS" -ge 1 ] && [ "$SECONDS" -le 3 ]
}

@test "watch-port uses the labs' default port without an argument" {
	run env LAB_PORT="$PORT" "$WATCH" -n 1
	assert_success
	assert_output --partial "port $PORT  (sample 1 of 1)"
}

@test "watch-port rejects a bad count, interval or port with its usage" {
	for arguments in "-n 0" "-n 1001" "-n x" "-i 0.01" "-i 61" "-i" "70000" "80 81" "-x"; do
		# shellcheck disable=SC2086 # each case is several words
		run "$WATCH" $arguments
		assert_failure 1
		assert_output --partial "usage: watch-port [-n count] [-i seconds] [port]"
	done
}
