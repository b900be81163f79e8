#!/usr/bin/env bats
# TCPEchod, the reference server: concurrency, reaping, descriptors,
# resetting clients, and its port argument.

setup() {
	load "../../grading/lib/server.bash"
	load clients.bash
	bats_load_library bats-support
	bats_load_library bats-assert
	PORT=$(pick_port)
}

teardown() {
	stop_holding || true
	stop_server
}

start_echod() {
	start_server_on "$PORT" "$PSOCKETS/TCPEchod" "$PORT"
}

@test "TCPEchod serves two clients at the same time, one child each" {
	start_echod
	start_holding -n 2 -e -s 30 127.0.0.1 "$PORT"
	wait_until_holding 2 || fail "TCPHold -e did not get both echoes: $(cat "$HOLD_OUTPUT")"
	assert_equal "$(count_children_of "$SERVER_PID")" 2
}

@test "TCPEchod leaves no zombie after 30 clients disconnect at once" {
	start_echod
	run timeout 30 "$PSOCKETS/TCPBurst" -n 30 -t 10 127.0.0.1 "$PORT"
	assert_success
	wait_until 5 eval '[ "$(count_children_of "$SERVER_PID")" -eq 0 ]' ||
		fail "children left 5 s after the burst: $(ps -o pid,stat,cmd --ppid "$SERVER_PID")"
	assert_equal "$(count_zombies_of "$SERVER_PID")" 0
}

@test "TCPEchod's descriptor count is the same before and after 100 clients" {
	start_echod
	local before after
	before=$(count_fds_of "$SERVER_PID")
	for round in 1 2; do
		run timeout 30 "$PSOCKETS/TCPBurst" -n 50 -t 10 127.0.0.1 "$PORT"
		assert_success
	done
	wait_until 5 eval '[ "$(count_children_of "$SERVER_PID")" -eq 0 ]'
	after=$(count_fds_of "$SERVER_PID")
	[ "$after" -eq "$before" ] ||
		fail "the server had $before descriptors before 100 clients and $after after: does the parent close each connected socket?"
}

@test "TCPEchod survives resetting clients, reports each on stderr, and keeps serving" {
	start_echod
	run timeout 30 "$PSOCKETS/TCPReset" -n 3 127.0.0.1 "$PORT"
	assert_success
	wait_until 5 eval '[ "$(grep -cE "TCPEchod: write: (Broken pipe|Connection reset by peer)" "$SERVER_LOG")" -eq 3 ]' ||
		fail "expected 3 reports of a broken connection; the server's output: $(cat "$SERVER_LOG")"
	server_is_running || fail "TCPEchod died after the resets"
	run timeout 10 "$PSOCKETS/TCPEcho" -t 5 127.0.0.1 "$PORT" <<<"still here"
	assert_success
	assert_output "still here"
}

@test "TCPEchod without a port listens on \$LAB_PORT" {
	export LAB_PORT="$PORT"
	start_server_on "$PORT" "$PSOCKETS/TCPEchod"
	run timeout 10 "$PSOCKETS/TCPEcho" -t 5 127.0.0.1 <<<"default port"
	assert_success
	assert_output "default port"
}

@test "TCPEchod --help shows the default port: \$LAB_PORT, else 8000 + uid % 1000" {
	LAB_PORT= run timeout 10 "$PSOCKETS/TCPEchod" --help
	assert_success
	assert_output --partial "usage: TCPEchod [port]"
	assert_output --partial "(here: $((8000 + $(id -u) % 1000)))"
	LAB_PORT=12345 run timeout 10 "$PSOCKETS/TCPEchod" --help
	assert_output --partial "(here: 12345)"
}

@test "TCPEchod with a bad port or too many arguments says so and exits 1" {
	run timeout 10 "$PSOCKETS/TCPEchod" 65536
	assert_failure 1
	assert_output --partial 'bad port "65536"'
	run timeout 10 "$PSOCKETS/TCPEchod" "$PORT" extra
	assert_failure 1
	assert_output --partial "usage: TCPEchod [port]"
	run timeout 10 "$PSOCKETS/TCPEchod" -x
	assert_failure 1
	assert_output --partial "usage: TCPEchod [port]"
}

@test "a second TCPEchod on a port in use reports bind: Address already in use" {
	start_echod
	run timeout 10 "$PSOCKETS/TCPEchod" "$PORT"
	assert_failure 1
	assert_output --partial "bind to port $PORT: Address already in use"
}
