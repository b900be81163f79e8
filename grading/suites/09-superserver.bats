#!/usr/bin/env bats
# Stage 09: the superserver, a program run for each client
# (labs/09-superserver).  Run by grading/grade, which sets SERVER_BIN to
# the student's TCPEchod.  The kit's fdreport, run as the program, writes
# back to the client what it inherited: its user, groups and descriptors.

setup() {
	STAGE=09-superserver
	SERVER_GONE_SECTION="An exec that fails"
	SERVER_GONE_HINT="Only the child may end when its program cannot run; the parent keeps accepting."
	load "$KIT_ROOT/grading/lib/suite.bash"
	FDREPORT="$PSOCKETS/fdreport"
}

teardown() {
	stop_stage_server
}

# start_superserver [-u USER] [PROGRAM [ARG...]]: the student's server on
# a fresh port, running PROGRAM (default: its own, /bin/cat).  A server
# that exits at once (a usage error) is reported without waiting 5 s.
start_superserver() {
	local options=()
	if [ "${1:-}" = -u ]; then
		options=(-u "$2")
		shift 2
	fi
	PORT=$(pick_port)
	start_server "$SERVER_BIN" "${options[@]}" "$PORT" "$@"
	wait_until 5 eval 'is_listening "$PORT" || ! server_is_running' || true
	is_listening "$PORT" ||
		lose_points_pointing_to "$HANDOUT" "started as TCPEchod ${options[*]:+${options[*]} }$PORT $*, the server never listened on port $PORT$(server_last_words)" \
			"Run a program on the connection" \
			"Take the options first (getopt), then the port, then the program and its arguments: TCPEchod [-u user] [port [program [arg...]]]."
}

# report_of_the_program: connects, sends nothing, and prints what the
# program (fdreport) wrote back before it closed (5 s at most).
report_of_the_program() {
	timeout 5 cat <"/dev/tcp/127.0.0.1/$PORT" 2>/dev/null || true
}

# descriptors_in REPORT: fdreport's descriptor numbers, on one line.
descriptors_in() {
	sed -n 's/^fd \([0-9]*\):.*/\1/p' <<<"$1" | paste -sd' '
}

expect_a_report() {
	[ -n "$1" ] ||
		lose_points_because "the program (fdreport) wrote nothing back to the client$(server_last_words)" \
			"Run a program on the connection" \
			"In the child, dup2 the connection onto 0 and 1, then execvp the program given after the port."
}

@test "echoes 1 MiB of binary data byte for byte through /bin/cat" {
	start_superserver
	expect_binary_echo "Run a program on the connection" \
		"The child runs /bin/cat with the connection as its standard input and output: dup2 it onto 0 and 1 before execvp."
}

@test "the program holds exactly descriptors 0, 1 and 2" {
	local report fds extra
	start_superserver "$FDREPORT"
	report=$(report_of_the_program)
	expect_a_report "$report"
	fds=$(descriptors_in "$report")
	[ "$fds" != "0 1 2" ] || return 0
	extra=$(grep -vE '^fd [012]:' <<<"$report" | grep '^fd ' | head -n 3 | tr '\n' ';')
	if grep -E '^fd ([3-9]|[1-9][0-9]+):' <<<"$report" | grep -q 'listening'; then
		lose_points_because "the program holds descriptors $fds; the extra ones: $extra" \
			"Close what the program must not inherit" \
			"The listening socket leaked into the program: close it in the child (or mark it FD_CLOEXEC) before execvp."
	fi
	if grep -E '^fd ([3-9]|[1-9][0-9]+):' <<<"$report" | grep -q "connected: local .*:$PORT,"; then
		lose_points_because "the program holds descriptors $fds; the extra ones: $extra" \
			"Close what the program must not inherit" \
			"A second copy of the connection leaked into the program: once it is on 0 and 1, close the descriptor accept returned."
	fi
	lose_points_because "the program holds descriptors $fds, not 0 1 2: $(head -c 300 <<<"$report" | tr '\n' ';')" \
		"Close what the program must not inherit" \
		"The program must get the connection on 0 and 1, the server's standard error on 2, and nothing else."
}

@test "the program's standard input and output are the client's connection" {
	local report in out
	start_superserver "$FDREPORT"
	report=$(report_of_the_program)
	expect_a_report "$report"
	in=$(grep '^fd 0:' <<<"$report" || true)
	out=$(grep '^fd 1:' <<<"$report" || true)
	grep -q "connected: local .*:$PORT," <<<"$in" && [ "${in#fd 0:}" = "${out#fd 1:}" ] ||
		lose_points_because "the program's descriptor 0 is [${in:-closed}] and 1 is [${out:-closed}]" \
			"Run a program on the connection" \
			"dup2(conn_fd, 0) and dup2(conn_fd, 1) in the child: the program reads the client on 0 and writes to it on 1."
}

@test "a program that does not exist: the client gets end-of-file within 1 s and the server keeps serving" {
	local started elapsed
	start_superserver /nonexistent/program
	started=$(date +%s%N)
	timeout 5 cat <"/dev/tcp/127.0.0.1/$PORT" >/dev/null 2>&1 || true
	elapsed=$((($(date +%s%N) - started) / 1000000))
	[ "$elapsed" -lt 1000 ] ||
		lose_points_because "the client waited $elapsed ms for end-of-file after the exec failed" \
			"An exec that fails" \
			"execvp returns only when it fails: report it, then _exit at once. A child that returns instead falls back into the accept loop, a second server, holding the connection open."
	server_is_running ||
		lose_points_because "the server is gone after an exec failed" \
			"An exec that fails" \
			"Only the child may end when its program cannot run; the parent keeps accepting."
	started=$(date +%s%N)
	timeout 5 cat <"/dev/tcp/127.0.0.1/$PORT" >/dev/null 2>&1 || true
	elapsed=$((($(date +%s%N) - started) / 1000000))
	[ "$elapsed" -lt 1000 ] ||
		lose_points_because "a second client waited $elapsed ms for end-of-file" \
			"An exec that fails" \
			"Only the child may end when its program cannot run; the parent keeps accepting."
}

# The program: a shell that reads one line from its client, then exits
# with that status, or kills itself when the line is "kill".
STATUS_PROGRAM='read -r how; case $how in kill) kill -KILL $$ ;; *) exit "$how" ;; esac'

@test "each child's exit status is logged (exited with status N, killed by signal N)" {
	start_superserver /bin/sh -c "$STATUS_PROGRAM"
	printf '7\n' >"/dev/tcp/127.0.0.1/$PORT"
	wait_until 3 grep -qiE 'exit[^0-9]*7([^0-9]|$)' "$SERVER_LOG" ||
		lose_points_because "a child's program exited with status 7 and the server logged: $(tail -n 3 "$SERVER_LOG" | tr '\n' ' ')" \
			"Reap and log each child" \
			"In the SIGCHLD handler, waitpid(-1, &status, WNOHANG) and write one line per child: WIFEXITED, then WEXITSTATUS, e.g. 'child 123 exited with status 7'."
	printf 'kill\n' >"/dev/tcp/127.0.0.1/$PORT"
	wait_until 3 grep -qiE '(signal|killed)[^0-9]*(9([^0-9]|$)|KILL)' "$SERVER_LOG" ||
		lose_points_because "a child's program was killed by SIGKILL and the server logged: $(tail -n 3 "$SERVER_LOG" | tr '\n' ' ')" \
			"Reap and log each child" \
			"WIFSIGNALED, then WTERMSIG: log 'child 123 killed by signal 9' for a program a signal ended."
}

@test "no zombies remain after 30 clients disconnect at once" {
	local zombies complaint
	start_superserver
	complaint=$(timeout 20 "$PSOCKETS/TCPBurst" -n 30 -t 5 127.0.0.1 "$PORT" 2>&1) ||
		lose_points_because "30 clients at once were not all echoed: ${complaint:0:300}" \
			"Run a program on the connection" \
			"Each client gets its own child running /bin/cat."
	wait_until 3 eval '[ "$(count_children_of "$SERVER_PID")" -eq 0 ]' || true
	zombies=$(count_zombies_of "$SERVER_PID")
	[ "$zombies" -eq 0 ] && [ "$(count_children_of "$SERVER_PID")" -eq 0 ] ||
		lose_points_because "$zombies zombie(s) and $(count_live_children_of "$SERVER_PID") live child(ren) 3 s after 30 clients closed at once" \
			"Reap and log each child" \
			"Signals are not queued: one SIGCHLD may stand for many children. Loop on waitpid(-1, &status, WNOHANG) while it returns a child."
}

# Only a grader running as root can start the server as root: then
# contain-server keeps it uid 0 for this test (SERVER_KEEP_ROOT), with no
# capability but those to change user.  SERVER_USER (nobody) is set only
# when the grader is root.
@test "as root with -u nobody, the program runs with nobody's uid and gid and no supplementary groups" {
	local report user uid gid groups allowed group
	if [ -z "${SERVER_USER:-}" ]; then
		grader_fault "not graded here: this test must start the server as root, and this grader does not run as root (grade as root: sudo ../../grading/grade --lab 09 ..)"
	fi
	user=$SERVER_USER
	SERVER_KEEP_ROOT=yes start_superserver -u "$user" "$FDREPORT"
	report=$(report_of_the_program)
	uid=$(sed -n 's/^uid //p' <<<"$report")
	gid=$(sed -n 's/^gid //p' <<<"$report")
	groups=$(sed -n 's/^groups *//p' <<<"$report")
	[ -n "$report" ] ||
		lose_points_because "the program never ran, or wrote nothing back, under -u $user$(server_last_words)" \
			"Give up root before the exec" \
			"As root, initgroups, then setgid, then setuid: once setuid has given up root, setgid and initgroups fail."
	[ "$uid" = "$(id -u "$user")" ] && [ "$gid" = "$(id -g "$user")" ] ||
		lose_points_because "under -u $user, the program ran with uid ${uid:-?} and gid ${gid:-?} ($user: $(id -u "$user") and $(id -g "$user"))" \
			"Give up root before the exec" \
			"setgid(pw_gid) before setuid(pw_uid), each checked: a program must never run with privileges the child failed to drop."
	allowed=" $(id -G "$user") "
	for group in $groups; do
		[[ "$allowed" == *" $group "* ]] ||
			lose_points_because "under -u $user, the program kept the supplementary groups [$groups] ($user's own: [$(id -G "$user")])" \
				"Give up root before the exec" \
				"setgid changes only the group ID: root's supplementary groups stay until initgroups (or setgroups) replaces them, before setuid."
	done
}
