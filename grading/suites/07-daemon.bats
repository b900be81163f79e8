#!/usr/bin/env bats
# Stage 07: the server as a daemon (labs/07-daemon).
# Run by grading/grade, which sets SERVER_BIN to the student's TCPEchod.
#
# Each test launches the server as students do, "TCPEchod -p PIDFILE
# PORT", with a syslog socket of the grader's own at /dev/log (the
# sandbox has no syslog daemon, and the machine's log is not ours to
# fill: grading/lib/with-own-syslog), from a folder of its own, with
# umask 077 and a stray descriptor (5) open.  The daemon leaves the
# launch's process group by design: the teardown stops it by its PID
# file (grading/lib/daemon.bash) before the grader looks for anything
# left behind.

setup() {
	STAGE=07-daemon
	load "$KIT_ROOT/grading/lib/suite.bash"
	load "$KIT_ROOT/grading/lib/daemon.bash"
	"$KIT_ROOT/grading/lib/with-own-syslog" --check 2>"$BATS_TEST_TMPDIR/check" ||
		grader_fault "$(cat "$BATS_TEST_TMPDIR/check")"
	PORT=$(pick_port)
	prepare_daemon_run
}

teardown() {
	stop_daemon
	stop_stage_server
}

# launch_daemon [OPTIONS...]: starts the server as a daemon on PORT with
# -p PID_FILE, and waits (3 s at most) until the PID file names the
# process listening on PORT (DAEMON_PID).
launch_daemon() {
	start_daemon "$SERVER_BIN" "$@" -p "$PID_FILE" "$PORT"
	wait_for_daemon 3 || lose_points_because "$(what_the_launch_left)" \
		"Become a daemon" \
		"The command must return at once and leave a daemon running: it listens on the port and writes its own PID (getpid() after the second fork) to the file -p names."
}

# What is there after a launch that left no daemon, for a message.
what_the_launch_left() {
	local pid
	pid=$(pid_in_pid_file)
	if [ ! -f "$PID_FILE" ]; then
		printf 'no PID file %s within 3 s' "$PID_FILE"
	elif [ -z "$pid" ]; then
		printf 'the PID file holds "%s", not a process ID' "$(head -c 40 "$PID_FILE" | tr '\n' ' ')"
	elif ! process_is_alive "$pid"; then
		printf 'the PID file names process %s, which is not running' "$pid"
	else
		printf 'the PID file names process %s, but %s listens on port %s' "$pid" \
			"$( [ -n "$(listener_pid)" ] && echo "process $(listener_pid)" || echo nothing)" "$PORT"
	fi
	launch_has_ended || printf '; the launching command is still running'
	[ ! -s "$SERVER_LOG" ] || printf '; the launch printed: %s' "$(head -c 200 "$SERVER_LOG" | tr '\n' ' ')"
	[ ! -s "$SYSLOG_LOG" ] || printf '; syslog got: %s' "$(syslog_lines | head -c 300 | tr '\n' ' ')"
}

# The daemon's descriptors that are not what a daemon should hold, one a
# line, FD -> WHAT.  Allowed: 0, 1 and 2 on /dev/null, the listener on
# PORT, and one Unix socket (syslog's).
unexpected_descriptors() {
	local fd target inode listeners unix_sockets=0
	listeners=" $(listening_socket_inodes | tr '\n' ' ') "
	for fd in $(ls "/proc/$DAEMON_PID/fd"); do
		target=$(readlink "/proc/$DAEMON_PID/fd/$fd" 2>/dev/null) || continue
		if [ "$fd" -le 2 ]; then
			[ "$target" = /dev/null ] || echo "$fd -> $target"
			continue
		fi
		inode=$(sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' <<<"$target")
		if [ -n "$inode" ] && [[ $listeners == *" $inode "* ]]; then
			continue
		fi
		if [ -n "$inode" ] && [ "$unix_sockets" -eq 0 ] &&
			awk -v inode="$inode" 'NR > 1 && $7 == inode { found = 1 } END { exit !found }' \
				"/proc/$DAEMON_PID/net/unix"; then
			unix_sockets=1
			continue
		fi
		echo "$fd -> $target"
	done
	for fd in 0 1 2; do
		[ -e "/proc/$DAEMON_PID/fd/$fd" ] || echo "$fd -> (closed)"
	done
}

@test "echoes a line of text over IPv4 and IPv6" {
	launch_daemon
	expect_echo_over_ipv4_and_ipv6 "Check" \
		"The daemon's child reads from the connected socket and writes back what it read: is the listener the one descriptor kept open?"
}

@test "the launching command exits 0 within 1 s and the PID file names the live process listening on the port" {
	local started elapsed status
	start_daemon "$SERVER_BIN" -p "$PID_FILE" "$PORT"
	started=$(date +%s%N)
	wait_until 2 launch_has_ended || true
	elapsed=$((($(date +%s%N) - started) / 1000000))
	launch_has_ended ||
		lose_points_because "the launching command was still running 2 s after it started" \
			"Become a daemon" \
			"Step 1: fork, and the parent exits at once (_exit(EXIT_SUCCESS)): the shell gets its prompt back."
	status=$(launch_status)
	[ "$status" -eq 0 ] ||
		lose_points_because "the launching command exited with status $status$(server_last_words)" \
			"Become a daemon" \
			"The parent of the first fork exits 0: the daemon goes on in the grandchild."
	[ "$elapsed" -le 1000 ] ||
		lose_points_because "the launching command took $elapsed ms to exit (more than 1 s)" \
			"Become a daemon" \
			"Step 1: fork, and the parent exits at once: do not wait for the child."
	wait_for_daemon 3 ||
		lose_points_because "$(what_the_launch_left)" \
			"Become a daemon" \
			"Write the PID file" \
			"The daemon (the grandchild) writes getpid() to the file -p names, and listens on the port."
}

@test "the daemon has no controlling terminal and is not a session leader" {
	local tty session
	# Launched by a shell on a terminal, which stays open meanwhile.
	DAEMON_TERMINAL=yes launch_daemon
	# /proc/PID/stat, after the PID and (name): state, ppid, pgrp, session,
	# tty_nr (0: no controlling terminal).  ps -o tty would name it only
	# if it found it in this /dev.
	read -r tty session < <(sed 's/^.*) //' "/proc/$DAEMON_PID/stat" | awk '{ print $5, $4 }')
	[ "$tty" = 0 ] ||
		lose_points_because "the daemon (process $DAEMON_PID) has a controlling terminal, the one it was started from (ps -o tty; device $((tty >> 8)),$((tty & 255)))" \
			"Become a daemon" \
			"Step 2: setsid() in the first child leaves the terminal's session, and the terminal with it."
	[ "$session" != "$DAEMON_PID" ] ||
		lose_points_because "the daemon (process $DAEMON_PID) is a session leader (ps -o sid gives its own PID)" \
			"Become a daemon" \
			"Step 3: fork again after setsid() and let the session leader exit: a daemon that is no session leader can never acquire a terminal."
}

@test "the daemon's umask is 022 and its working directory is /" {
	local umask directory
	launch_daemon
	umask=$(awk '/^Umask:/ { print $2 }' "/proc/$DAEMON_PID/status")
	directory=$(readlink "/proc/$DAEMON_PID/cwd")
	[ "$umask" = 0022 ] ||
		lose_points_because "the daemon's umask is $umask (grep Umask /proc/PID/status), launched with umask 077" \
			"Become a daemon" \
			"Step 4: umask(022): files the daemon creates get the modes it asks for, whatever umask it was started with."
	[ "$directory" = / ] ||
		lose_points_because "the daemon works in $directory (readlink /proc/PID/cwd), the folder it was launched from" \
			"Become a daemon" \
			"Step 5: chdir to the root folder, so that the daemon keeps no folder busy (the one it was started in cannot be unmounted)."
}

@test "descriptors 0, 1 and 2 are on /dev/null and nothing else is open but the listener and the log socket" {
	local unexpected
	launch_daemon
	# One client first: the log socket is open by the time it has gone.
	expect_echo 127.0.0.1 "hello" "Check" "The daemon must echo first."
	unexpected=$(unexpected_descriptors)
	[ -z "$unexpected" ] ||
		lose_points_because "the daemon holds: $(tr '\n' ';' <<<"$unexpected" | sed 's/;$//') (ls -l /proc/PID/fd; it was launched with descriptor 5 open on a file, and 0, 1, 2 on a pipe)" \
			"Become a daemon" \
			"Steps 6 and 7: close every descriptor the daemon inherited but the listener, then open /dev/null as 0, 1 and 2."
}

@test "the start line and one line per client reach syslog" {
	local client line lines
	launch_daemon
	wait_until 2 eval '[ -n "$(syslog_lines_of "$DAEMON_PID" | grep -F "$PORT")" ]' ||
		lose_points_because "no line from TCPEchod[$DAEMON_PID] naming port $PORT reached syslog within 2 s; syslog got: $(syslog_lines | head -c 300 | tr '\n' ' ')" \
			"Log with syslog" \
			"Call openlog with the name TCPEchod and LOG_PID after closing the descriptors, then syslog one line with the port when it listens: printf goes to /dev/null in a daemon."
	# Three clients of 11, 222 and 3333 bytes: each line must name the
	# client's address and its count of bytes.
	for client in 11 222 3333; do
		line=$(head -c "$((client - 1))" /dev/zero | tr '\0' x)
		expect_echo 127.0.0.1 "$line" "Check" "The daemon must echo first."
	done
	for client in 11 222 3333; do
		# The message only, without the TCPEchod[PID] before it: a PID may be 222.
		wait_until 2 eval 'syslog_lines | sed "s/^[^]]*]: //" | grep -F "127.0.0.1" | grep -qw "$client"' ||
			lose_points_because "3 clients of 11, 222 and 3333 bytes left, and no syslog line names 127.0.0.1 with $client within 2 s; syslog got: $(syslog_lines | tail -n 4 | head -c 400 | tr '\n' ' ')" \
				"Log with syslog" \
				"One line per client, from the child when its client leaves: its address and port (getnameinfo with NI_NUMERICHOST | NI_NUMERICSERV) and the bytes echoed."
	done
}

@test "SIGTERM ends it within 1 s, removes the PID file and logs a last line" {
	local lines_before
	launch_daemon
	wait_until 2 eval '[ -n "$(syslog_lines_of "$DAEMON_PID")" ]' || true
	lines_before=$(syslog_lines_of "$DAEMON_PID" | wc -l)
	kill -TERM "$DAEMON_PID"
	wait_until 1 eval '! process_is_alive "$DAEMON_PID"' ||
		lose_points_because "the daemon (process $DAEMON_PID) was still running 1 s after SIGTERM" \
			"Stop on SIGTERM" \
			"The handler only sets a flag; the accept loop must see it: keep SIGTERM blocked and let it in only where the loop waits (pselect, sigsuspend)."
	[ ! -e "$PID_FILE" ] ||
		lose_points_because "the PID file $PID_FILE is still there after the daemon exited" \
			"Stop on SIGTERM" \
			"On SIGTERM, unlink() the PID file before exiting: a stale one names a process that is gone (or another one, later)."
	wait_until 1 eval '[ "$(syslog_lines_of "$DAEMON_PID" | wc -l)" -gt "$lines_before" ]' ||
		lose_points_because "no new line from TCPEchod[$DAEMON_PID] reached syslog when it stopped; syslog got: $(syslog_lines | tail -n 3 | tr '\n' ' ')" \
			"Stop on SIGTERM" \
			"Log a last line (from main, not from the handler: syslog is not async-signal-safe), remove the PID file, exit 0."
}

@test "no zombies remain after 20 clients disconnect at once" {
	local zombies
	launch_daemon
	"$PSOCKETS/TCPBurst" -n 20 -t "$ECHO_WAIT" 127.0.0.1 "$PORT" >"$BATS_TEST_TMPDIR/burst" 2>&1 ||
		lose_points_because "20 clients at once were not all served: $(head -c 200 "$BATS_TEST_TMPDIR/burst")" \
			"Check" "Each client gets a child of the daemon: keep the forking server of the earlier stages."
	wait_until 3 eval '[ "$(count_children_of "$DAEMON_PID")" -eq 0 ]' || true
	zombies=$(count_zombies_of "$DAEMON_PID")
	[ "$zombies" -eq 0 ] && [ "$(count_children_of "$DAEMON_PID")" -eq 0 ] ||
		lose_points_because "$zombies zombie(s) and $(count_live_children_of "$DAEMON_PID") live child(ren) of the daemon 3 s after 20 clients closed at once" \
			"Check" \
			"The daemon is the same forking server: keep the SIGCHLD handler that loops on waitpid(-1, NULL, WNOHANG)."
}

@test "with -m 2, a third client waits until one of the first two leaves" {
	local third reply=
	launch_daemon -m 2
	hold_clients 2 ||
		lose_points_because "two clients held open did not both get their echo" "Check" \
			"The daemon takes -m MAX_CHILDREN as before (getopt)."
	open_client
	third=$CLIENT
	(trap '' PIPE; printf 'third\n' >&"$third") 2>/dev/null || true
	IFS= read -r -t 1 reply <&"$third" || true
	[ -z "$reply" ] ||
		lose_points_because "with -m 2 and two clients held, a third client got its echo at once" "Check" \
			"At the cap, block SIGCHLD, check the count of live children, and sigsuspend until the reaper counts one out."
	close_client "${HELD[0]}"
	IFS= read -r -t 3 reply <&"$third" || true
	[ "$reply" = third ] ||
		lose_points_because "with -m 2, the third client got ${reply:+\"$reply\"}${reply:-nothing} within 3 s after one of the first two left" "Check" \
			"The reaper counts each reaped child out (live_children--), and the accept loop goes on below the cap."
	close_client "$third"
	close_client "${HELD[1]}"
}
