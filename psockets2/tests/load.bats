#!/usr/bin/env bats
# TCPLoad, the load generator of make bench: its figures against the
# reference server, its checks against servers that misbehave on purpose,
# and its answers to bad options.

setup() {
	load "../../grading/lib/server.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	PORT=$(pick_port)
}

teardown() {
	# A stopped server (SIGSTOP) would take SIGTERM only once continued.
	[ -z "${SERVER_PGID:-}" ] || kill -CONT -- "-$SERVER_PGID" 2>/dev/null || true
	stop_server
}

start_echod() {
	start_server_on "$PORT" "$PSOCKETS/TCPEchod" "$PORT"
}

# A sequential echo server in Python that breaks the echo one way:
#   close-early: sends back half of what it reads, then closes;
#   corrupt:     flips one bit of the first byte of every read.
start_faulty_server() {
	start_server_on "$PORT" python3 -c '
import socket, sys
fault, port = sys.argv[1], int(sys.argv[2])
listener = socket.create_server(("127.0.0.1", port), backlog=128)
while True:
    conn, _ = listener.accept()
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            if fault == "close-early":
                conn.sendall(data[: len(data) // 2])
                break
            conn.sendall(bytes([data[0] ^ 1]) + data[1:])
' "$1" "$PORT"
}

# figure NAME: the value of NAME=... in $output (TCPLoad's line).
figure() {
	sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $output"
}

@test "rate mode: 8 clients for 1 s, every echo checked, no error" {
	start_echod
	run timeout 30 "$PSOCKETS/TCPLoad" -m rate -c 8 -t 1 127.0.0.1 "$PORT"
	assert_success
	assert_output --partial "mode=rate clients=8"
	assert_output --partial " errors=0 "
	[ "$(figure connections)" -gt 100 ] ||
		fail "expected more than 100 connections in 1 s, saw $(figure connections)"
	# 64 bytes echoed a connection, each one checked.
	[ "$(figure bytes)" -ge $(($(figure connections) * 64)) ] ||
		fail "expected at least 64 bytes checked a connection: $output"
}

@test "rate mode over IPv6 with a 100 kB request: no error" {
	start_echod
	run timeout 30 "$PSOCKETS/TCPLoad" -m rate -c 4 -r 100000 -t 1 ::1 "$PORT"
	assert_success
	assert_output --partial " errors=0 "
}

@test "bulk mode streams megabytes through one connection, no error" {
	start_echod
	run timeout 30 "$PSOCKETS/TCPLoad" -m bulk -t 1 127.0.0.1 "$PORT"
	assert_success
	assert_output --partial " errors=0 "
	awk -v mb="$(figure mb_per_s)" 'BEGIN { exit !(mb > 10) }' ||
		fail "expected more than 10 MB/s on loopback, saw $(figure mb_per_s)"
}

@test "hold mode: 200 clients held at once, each still echoing" {
	start_echod
	run timeout 30 "$PSOCKETS/TCPLoad" -m hold -c 200 -t 10 127.0.0.1 "$PORT"
	assert_success
	assert_output --partial " held=200 "
	assert_output --partial " still_echoing=200 "
	assert_output --partial " errors=0 "
}

@test "with -p, the server's CPU time includes its children's" {
	# TCPEchod forks a child per client: the parent alone uses far less.
	start_echod
	run timeout 30 "$PSOCKETS/TCPLoad" -m rate -c 8 -t 1 -p "$SERVER_PID" 127.0.0.1 "$PORT"
	assert_success
	[ "$(figure server_cpu_ms)" -gt 0 ] ||
		fail "expected some CPU time for the server, saw: $output"
	awk -v us="$(figure cpu_us_per_conn)" 'BEGIN { exit !(us > 0) }' ||
		fail "expected CPU microseconds per connection above 0: $output"
}

@test "a server that closes before the whole echo is an error of kind closed_early" {
	start_faulty_server close-early
	run timeout 30 "$PSOCKETS/TCPLoad" -m rate -c 2 -t 0.5 127.0.0.1 "$PORT"
	assert_failure 1
	[ "$(figure closed_early)" -gt 0 ] || fail "expected closed_early > 0: $output"
	assert_output --partial " corrupt=0 "
}

@test "a server that changes a byte is an error of kind corrupt" {
	start_faulty_server corrupt
	run timeout 30 "$PSOCKETS/TCPLoad" -m rate -c 2 -t 0.5 127.0.0.1 "$PORT"
	assert_failure 1
	[ "$(figure corrupt)" -gt 0 ] || fail "expected corrupt > 0: $output"
	assert_output --partial " closed_early=0 "
}

@test "no server listening is an error of kind refused" {
	run timeout 30 "$PSOCKETS/TCPLoad" -m rate -c 1 -t 0.2 127.0.0.1 "$PORT"
	assert_failure 1
	[ "$(figure refused)" -gt 0 ] || fail "expected refused > 0: $output"
}

@test "a server that never answers is an error of kind timeout" {
	start_echod
	kill -STOP "$SERVER_PID"
	run timeout 30 "$PSOCKETS/TCPLoad" -m rate -c 2 -t 0.2 127.0.0.1 "$PORT"
	assert_failure 1
	[ "$(figure timeout)" = 2 ] || fail "expected timeout=2 (both clients): $output"
}

@test "bad options: a clear message and exit 1" {
	run timeout 10 "$PSOCKETS/TCPLoad" -m fast 127.0.0.1 "$PORT"
	assert_failure 1
	assert_output --partial 'bad mode "fast"'
	run timeout 10 "$PSOCKETS/TCPLoad" -c 0 127.0.0.1 "$PORT"
	assert_failure 1
	assert_output --partial 'bad client count "0"'
	run timeout 10 "$PSOCKETS/TCPLoad" -t 1x 127.0.0.1 "$PORT"
	assert_failure 1
	assert_output --partial 'bad time "1x"'
	run timeout 10 "$PSOCKETS/TCPLoad" -m bulk -r 100000 127.0.0.1 "$PORT"
	assert_failure 1
	assert_output --partial "bulk writes at most 65536 bytes"
	run timeout 10 "$PSOCKETS/TCPLoad"
	assert_failure 1
	assert_output --partial "usage: TCPLoad"
}

@test "-p with a PID that does not exist: a clear message and exit 1" {
	start_echod
	run timeout 10 "$PSOCKETS/TCPLoad" -t 0.2 -p 999999999 127.0.0.1 "$PORT"
	assert_failure 1
	assert_output --partial "-p 999999999: no such process"
}
