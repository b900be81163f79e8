#!/usr/bin/env bats
# labs/07-daemon: the starting point is stage 06's server, as its handout
# says (step 2): it takes -f and -p but stays in the foreground, keeps all
# it inherits, prints on stderr and dies of SIGTERM without a word.  Run
# with a syslog socket of the test's own (grading/lib/with-own-syslog).

setup_file() {
	load "../../grading/lib/server.bash"
	load "../../solutions/tests/stage.bash"
	build_stage "$KIT_ROOT/labs/07-daemon"
}

setup() {
	load "../../grading/lib/server.bash"
	load "../../grading/lib/daemon.bash"
	load "../../solutions/tests/stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	"$KIT_ROOT/grading/lib/with-own-syslog" --check 2>/dev/null ||
		skip "no mount namespace here (not root, and no user namespaces): no syslog socket of our own"
	SERVER_BIN="$KIT_ROOT/labs/07-daemon/TCPEchod"
	PORT=$(pick_port)
	prepare_daemon_run
}

teardown() {
	stop_daemon
	stop_server
}

@test "starting point 07 stays on: the launching command does not return, and writes no PID file" {
	start_daemon "$SERVER_BIN" -p "$PID_FILE" "$PORT"
	wait_until 5 is_listening "$PORT"
	sleep 1
	run launch_has_ended
	assert_failure
	assert_equal "$(listener_pid)" "$SERVER_PID"
	[ ! -e "$PID_FILE" ]
}

@test "starting point 07 keeps what it inherits: the shell's session and terminal, descriptors 0 to 2 and 5, the umask and the folder" {
	local server shell
	DAEMON_TERMINAL=yes start_daemon "$SERVER_BIN" -p "$PID_FILE" "$PORT"
	wait_until 5 is_listening "$PORT"
	server=$(listener_pid)
	shell=$(ps -o ppid= -p "$server" | tr -d ' ')
	# /proc/PID/stat after "PID (name) ": 4 session, 5 tty_nr.
	[ "$(sed 's/^.*) //' "/proc/$server/stat" | awk '{ print $5 }')" != 0 ]
	assert_equal "$(ps -o sid= -p "$server")" "$(ps -o sid= -p "$shell")"
	run readlink "/proc/$server/fd/1"
	assert_output --regexp '^/dev/pts/[0-9]+$'
	assert_equal "$(readlink "/proc/$server/fd/5")" "$DAEMON_DIR/inherited"
	run grep Umask "/proc/$server/status"
	assert_output "$(printf 'Umask:\t0077')"
	assert_equal "$(readlink "/proc/$server/cwd")" "$DAEMON_DIR"
}

@test "starting point 07 prints on stderr and sends nothing to syslog" {
	start_daemon "$SERVER_BIN" -p "$PID_FILE" "$PORT"
	wait_until 5 is_listening "$PORT"
	run echo_line 127.0.0.1
	assert_output "hello over 127.0.0.1"
	stop_server
	run cat "$SERVER_LOG"
	assert_output "TCPEchod: listening on port $PORT"
	run cat "$SYSLOG_LOG"
	assert_output ""
}

@test "starting point 07 dies of SIGTERM, without a last line" {
	start_daemon "$SERVER_BIN" -p "$PID_FILE" "$PORT"
	wait_until 5 is_listening "$PORT"
	kill -TERM "$SERVER_PID"
	wait_until 2 launch_has_ended
	# timeout(1) passes on the status of its child: 128 + 15, SIGTERM.
	assert_equal "$(launch_status)" 143
	stop_server
	run cat "$SERVER_LOG"
	assert_output "TCPEchod: listening on port $PORT"
}
