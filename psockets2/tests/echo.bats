#!/usr/bin/env bats
# TCPEcho against TCPEchod: the reference client and server together.

setup() {
	load "../../grading/lib/server.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	PORT=$(pick_port)
	start_server_on "$PORT" "$PSOCKETS/TCPEchod" "$PORT"
}

teardown() {
	# A stopped server (SIGSTOP) would take SIGTERM only once continued.
	[ -z "${SERVER_PGID:-}" ] || kill -CONT -- "-$SERVER_PGID" 2>/dev/null || true
	stop_server
}

@test "a line of text comes back unchanged over IPv4" {
	run bash -c "echo 'hello, echo' | '$PSOCKETS/TCPEcho' -t 5 127.0.0.1 $PORT"
	assert_success
	assert_output "hello, echo"
}

@test "a line of text comes back unchanged over IPv6" {
	run bash -c "echo 'hello, six' | '$PSOCKETS/TCPEcho' -t 5 ::1 $PORT"
	assert_success
	assert_output "hello, six"
}

@test "10 MiB of random bytes come back byte for byte (IPv4 and IPv6)" {
	head -c 10485760 /dev/urandom >"$BATS_TEST_TMPDIR/sent"
	for host in 127.0.0.1 ::1; do
		"$PSOCKETS/TCPEcho" -t 10 "$host" "$PORT" <"$BATS_TEST_TMPDIR/sent" >"$BATS_TEST_TMPDIR/back"
		cmp "$BATS_TEST_TMPDIR/sent" "$BATS_TEST_TMPDIR/back"
	done
}

@test "TCPEcho says the connection was refused and exits 1 when nothing listens" {
	local closed_port
	closed_port=$(pick_port)
	run timeout 10 "$PSOCKETS/TCPEcho" -t 5 127.0.0.1 "$closed_port" </dev/null
	assert_failure 1
	assert_output --partial "Connection refused"
}

@test "TCPEcho without arguments prints its usage and exits 1" {
	run timeout 10 "$PSOCKETS/TCPEcho" </dev/null
	assert_failure 1
	assert_output --partial "usage: TCPEcho"
}

@test "TCPEcho --help prints its usage and exits 0" {
	run timeout 10 "$PSOCKETS/TCPEcho" --help
	assert_success
	assert_output --partial "usage: TCPEcho [-t seconds] host [port]"
}

@test "TCPEcho -t 1 gives up with a message when the server never answers" {
	# A stopped server still completes connections (the kernel does that)
	# and takes the data, but never echoes.
	kill -STOP "$SERVER_PID"
	SECONDS=0
	run timeout 10 "$PSOCKETS/TCPEcho" -t 1 127.0.0.1 "$PORT" <<<"anyone there?"
	assert_failure 1
	assert_output --partial "no reply from server for 1 s"
	[ "$SECONDS" -le 5 ] || fail "TCPEcho took $SECONDS s to give up after -t 1"
}
