#!/usr/bin/env bats
# solutions/09-superserver: the claims its handout
# (labs/09-superserver/README.md) makes about the superserver, checked
# with the kit's fdreport and the real tools.

setup_file() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	build_stage "$KIT_ROOT/solutions/09-superserver"
	make -s -C "$KIT_ROOT/psockets2" fdreport >&2
}

setup() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	SOLUTION=$KIT_ROOT/solutions/09-superserver
	FDREPORT=$PSOCKETS/fdreport
	PORT=$(pick_port)
}

teardown() {
	stop_holding
	stop_server
}

# start_superserver ARGS...: the solution, with ARGS after its name.
start_superserver() {
	start_server_on "$PORT" "$SOLUTION/TCPEchod" "$@"
}

# report: connects, sends nothing, prints what the program wrote back.
report() {
	timeout 5 cat <"/dev/tcp/127.0.0.1/$PORT"
}

@test "solution 09 echoes through /bin/cat by default, over IPv4 and IPv6" {
	start_superserver "$PORT"
	run echo_line 127.0.0.1
	assert_output "hello over 127.0.0.1"
	run echo_line ::1
	assert_output "hello over ::1"
}

@test "solution 09's program holds exactly 0, 1 and 2, and 0 and 1 are the connection" {
	# Started as the grader starts it, with 0, 1 and 2 only (any other
	# descriptor the server inherited would pass to the program too).
	SERVER_WRAPPER="$KIT_ROOT/grading/lib/contain-server" start_superserver "$PORT" "$FDREPORT"
	run report
	assert_success
	assert_equal "$(grep '^fd ' <<<"$output" | cut -d: -f1 | paste -sd' ')" "fd 0 fd 1 fd 2"
	assert_line --regexp "^fd 0: socket, connected: local .*:$PORT, peer "
	assert_equal "$(grep '^fd 0:' <<<"$output" | cut -d: -f2-)" "$(grep '^fd 1:' <<<"$output" | cut -d: -f2-)"
}

@test "solution 09: a program that does not exist gives the client end-of-file at once; it is reported, status 127, and the server goes on" {
	local started elapsed
	start_superserver "$PORT" /no/such/program
	started=$(date +%s%N)
	run report
	elapsed=$((($(date +%s%N) - started) / 1000000))
	assert_output ""
	[ "$elapsed" -lt 1000 ] || fail "end-of-file came after $elapsed ms"
	wait_until 2 grep -q "exited with status 127" "$SERVER_LOG" ||
		fail "no status 127 logged: $(cat "$SERVER_LOG")"
	run grep -c "TCPEchod: execvp /no/such/program: No such file or directory" "$SERVER_LOG"
	assert_output 1
	server_is_running
	run report
	assert_output ""
}

@test "solution 09 logs each child's exit status, and a signal's death" {
	start_superserver "$PORT" /bin/sh -c 'read -r how; exit "$how"'
	echo 7 >"/dev/tcp/127.0.0.1/$PORT"
	wait_until 3 grep -qE "^TCPEchod: child [0-9]+ exited with status 7$" "$SERVER_LOG" ||
		fail "no status 7 logged: $(cat "$SERVER_LOG")"
	stop_server
	PORT=$(pick_port)
	start_superserver "$PORT"
	hold_connections 1 -e
	kill -TERM "$(ps -o pid= --ppid "$SERVER_PID" | tr -d ' ')"
	wait_until 3 grep -qE "^TCPEchod: child [0-9]+ killed by signal 15$" "$SERVER_LOG" ||
		fail "no signal 15 logged: $(cat "$SERVER_LOG")"
}

@test "solution 09's children are the program (cat), each logged when its client leaves, and no zombie remains after 30 at once" {
	start_superserver "$PORT"
	hold_connections 3 -e
	assert_equal "$(ps -o cmd= --ppid "$SERVER_PID" | sort -u)" "/bin/cat"
	stop_holding
	wait_until 3 eval '[ "$(grep -c "exited with status 0" "$SERVER_LOG")" -eq 3 ]' ||
		fail "expected 3 exits logged: $(cat "$SERVER_LOG")"
	run timeout 30 "$PSOCKETS/TCPBurst" -n 30 -t 10 127.0.0.1 "$PORT"
	assert_success
	wait_until 5 eval '[ "$(count_children_of "$SERVER_PID")" -eq 0 ]'
	assert_equal "$(count_zombies_of "$SERVER_PID")" 0
}

@test "solution 09 leaves SIGPIPE at its default action, in the server and in its programs" {
	local child
	start_superserver "$PORT"
	hold_connections 1 -e
	child=$(ps -o pid= --ppid "$SERVER_PID" | tr -d ' ')
	for pid in "$SERVER_PID" "$child"; do
		ignored=$(awk '/^SigIgn:/ { print $2 }' "/proc/$pid/status")
		[ $(( 0x$ignored >> 12 & 1 )) -eq 0 ] || fail "process $pid ignores SIGPIPE"
	done
}

@test "solution 09 passes the program's own options to it (getopt stops at the first operand)" {
	start_superserver "$PORT" /bin/echo -n options pass through
	run report
	assert_output "options pass through"
}

@test "solution 09 run as root with -u nobody runs the program as nobody, with nobody's groups only" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	start_superserver -u nobody "$PORT" "$FDREPORT"
	run report
	assert_line "uid $(id -u nobody)"
	assert_line "gid $(id -g nobody)"
	assert_line "groups $(id -G nobody)"
}

@test "solution 09 refuses -u when not root, and explains its usage" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to become nobody"
	run timeout 5 setpriv --reuid=nobody --regid=nogroup --clear-groups "$SOLUTION/TCPEchod" -u nobody "$PORT"
	assert_failure 1
	assert_output --partial "TCPEchod: -u nobody: only root can change user"
	run timeout 5 "$SOLUTION/TCPEchod" -x
	assert_failure 1
	assert_output --partial "usage: TCPEchod [-u user] [port [program [arg...]]]"
	run timeout 5 "$SOLUTION/TCPEchod" --help
	assert_success
}
