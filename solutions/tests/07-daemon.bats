#!/usr/bin/env bats
# solutions/07-daemon: the claims its handout (labs/07-daemon/README.md)
# makes about the daemon, checked with the real tools.  The daemon logs to
# a syslog socket of the test's own (grading/lib/with-own-syslog: a mount
# namespace, so root or user namespaces), never to the machine's log, and
# every test stops the daemon it started, by its PID file (stop_daemon).

setup_file() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	build_stage "$KIT_ROOT/solutions/07-daemon"
}

setup() {
	load "../../grading/lib/server.bash"
	load "../../grading/lib/daemon.bash"
	load "stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	"$KIT_ROOT/grading/lib/with-own-syslog" --check 2>/dev/null ||
		skip "no mount namespace here (not root, and no user namespaces): no syslog socket of our own"
	SERVER_BIN="$KIT_ROOT/solutions/07-daemon/TCPEchod"
	PORT=$(pick_port)
	prepare_daemon_run
}

teardown() {
	stop_holding
	stop_daemon
	stop_server
}

# launch [OPTIONS...]: the daemon with -p PID_FILE on PORT; waits until
# the PID file names the process listening there (DAEMON_PID).
launch() {
	start_daemon "$SERVER_BIN" "$@" -p "$PID_FILE" "$PORT"
	wait_for_daemon 3 || {
		echo "no daemon: PID file: $(cat "$PID_FILE" 2>&1); launch said: $(cat "$SERVER_LOG")"
		return 1
	}
}

# field_of_stat PID N: field N of /proc/PID/stat, counted after "PID (name)":
# 1 state, 2 ppid, 3 pgrp, 4 session, 5 tty_nr.
field_of_stat() {
	sed 's/^.*) //' "/proc/$1/stat" | awk -v n="$2" '{ print $n }'
}

@test "solution 07's launching command returns at once with status 0, and the PID file names the daemon listening on the port" {
	start_daemon "$SERVER_BIN" -p "$PID_FILE" "$PORT"
	wait_until 1 launch_has_ended
	assert_equal "$(launch_status)" 0
	wait_for_daemon 3
	run echo_line 127.0.0.1
	assert_output "hello over 127.0.0.1"
	run echo_line ::1
	assert_output "hello over ::1"
}

@test "solution 07's daemon, launched from a terminal, has left its session: new session and group, led by a process that is gone, no terminal" {
	local group session
	DAEMON_TERMINAL=yes launch
	group=$(field_of_stat "$DAEMON_PID" 3)
	session=$(field_of_stat "$DAEMON_PID" 4)
	assert_equal "$(field_of_stat "$DAEMON_PID" 5)" 0
	assert_equal "$group" "$session"
	[ "$session" != "$DAEMON_PID" ]
	run process_is_alive "$session"
	assert_failure
	# Its parent exited: it was adopted (by 1, or a subreaper).
	[ "$(field_of_stat "$DAEMON_PID" 2)" != "$session" ]
	run ps -o stat= -p "$DAEMON_PID"
	assert_output --regexp '^S'
	refute_output --partial '+'
}

@test "solution 07's daemon holds /dev/null on 0, 1 and 2, the listener on 3, its log socket on 4 and nothing else, though launched with descriptor 5 open" {
	launch
	echo_line 127.0.0.1
	run ls "/proc/$DAEMON_PID/fd"
	assert_output "$(printf '0\n1\n2\n3\n4')"
	for fd in 0 1 2; do
		assert_equal "$(readlink "/proc/$DAEMON_PID/fd/$fd")" /dev/null
	done
	assert_equal "$(readlink "/proc/$DAEMON_PID/fd/3")" "socket:[$(ss -Hltne "sport = :$PORT" | grep -o 'ino:[0-9]*' | head -n 1 | cut -d: -f2)]"
	inode=$(readlink "/proc/$DAEMON_PID/fd/4" | tr -dc 0-9)
	awk -v inode="$inode" 'NR > 1 && $7 == inode { found = 1 } END { exit !found }' "/proc/$DAEMON_PID/net/unix"
}

@test "solution 07's daemon has umask 0022 and works in /, though launched with umask 077 from another folder" {
	launch
	run grep Umask "/proc/$DAEMON_PID/status"
	assert_output "$(printf 'Umask:\t0022')"
	assert_equal "$(readlink "/proc/$DAEMON_PID/cwd")" /
}

@test "solution 07 logs its start from the daemon's PID and one line per client from the child's PID, with address, port and bytes" {
	launch
	echo hello | "$PSOCKETS/TCPEcho" -t 5 127.0.0.1 "$PORT"
	echo "hello again" | "$PSOCKETS/TCPEcho" -t 5 127.0.0.1 "$PORT"
	wait_until 3 eval '[ "$(grep -c "bytes echoed" "$SYSLOG_LOG")" -eq 2 ]'
	run syslog_lines_of "$DAEMON_PID"
	assert_output "TCPEchod[$DAEMON_PID]: listening on port $PORT"
	run syslog_lines
	assert_line --regexp '^TCPEchod\[[0-9]+\]: client ::ffff:127\.0\.0\.1 port [0-9]+: 6 bytes echoed$'
	assert_line --regexp '^TCPEchod\[[0-9]+\]: client ::ffff:127\.0\.0\.1 port [0-9]+: 12 bytes echoed$'
	refute_line --partial "TCPEchod[$DAEMON_PID]: client"
	# The start line is at the daemon's priority: LOG_DAEMON | LOG_INFO.
	run grep -c "^<30>" "$SYSLOG_LOG"
	assert_output 3
}

@test "solution 07 stops on SIGTERM: a last line, the PID file removed, while a child finishes its client" {
	launch
	hold_connections 1 -e
	kill -TERM "$DAEMON_PID"
	wait_until 1 eval '! process_is_alive "$DAEMON_PID"'
	[ ! -e "$PID_FILE" ]
	run syslog_lines_of "$DAEMON_PID"
	assert_line "TCPEchod[$DAEMON_PID]: stopping on SIGTERM; children still serving a client: 1"
	# The held client's child still runs, and ends when its client does.
	child=$(ss -Htnp state established "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)
	[ -n "$child" ] && process_is_alive "$child"
	stop_holding
	wait_until 3 eval '! process_is_alive "$child"'
}

@test "solution 07 killed with SIGKILL leaves its PID file and no last line" {
	launch
	wait_until 2 eval '[ -n "$(syslog_lines_of "$DAEMON_PID")" ]'
	kill -KILL "$DAEMON_PID"
	wait_until 1 eval '! process_is_alive "$DAEMON_PID"'
	[ -e "$PID_FILE" ]
	run syslog_lines_of "$DAEMON_PID"
	refute_output --partial stopping
}

@test "solution 07 reports a port in use on the terminal, with a non-zero status, before it detaches" {
	launch
	run "$SERVER_BIN" -p "$DAEMON_DIR/second.pid" "$PORT"
	assert_failure
	assert_output --partial "Address already in use"
	[ ! -e "$DAEMON_DIR/second.pid" ]
}

@test "solution 07 refuses a relative PID file, and a bad option, with a usage error" {
	run "$SERVER_BIN" -p relative.pid "$PORT"
	assert_failure
	assert_output --partial "absolute path"
	run "$SERVER_BIN" -x "$PORT"
	assert_failure
	assert_output --partial "usage: TCPEchod [-f] [-p PIDFILE] [-m MAX_CHILDREN] [port]"
	run "$SERVER_BIN" -m 0 "$PORT"
	assert_failure
	assert_output --partial "bad MAX_CHILDREN"
}

@test "solution 07 with -f stays in the foreground and logs to syslog and to stderr" {
	start_daemon "$SERVER_BIN" -f "$PORT"
	wait_until 5 is_listening "$PORT"
	server_is_running
	assert_equal "$(listener_pid)" "$SERVER_PID"
	run echo_line 127.0.0.1
	assert_output "hello over 127.0.0.1"
	wait_until 2 grep -q "bytes echoed" "$SYSLOG_LOG"
	run syslog_lines_of "$SERVER_PID"
	assert_output "TCPEchod[$SERVER_PID]: listening on port $PORT"
	# What it printed is complete once it has stopped.
	stop_server
	run cat "$SERVER_LOG"
	assert_line "TCPEchod: listening on port $PORT"
	assert_line --regexp '^TCPEchod: client ::ffff:127\.0\.0\.1 port [0-9]+: 21 bytes echoed$'
}

@test "solution 07 keeps the cap: with -m 2 a third client waits until one of two leaves, and no zombies remain" {
	launch -m 2
	hold_connections 2 -e
	run bash -c 'echo third | "$0" -t 1 127.0.0.1 "$1"' "$PSOCKETS/TCPEcho" "$PORT"
	assert_failure
	stop_holding
	run echo_line 127.0.0.1
	assert_output "hello over 127.0.0.1"
	wait_until 3 eval '[ "$(count_children_of "$DAEMON_PID")" -eq 0 ]'
	assert_equal "$(count_zombies_of "$DAEMON_PID")" 0
}
