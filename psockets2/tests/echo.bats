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
