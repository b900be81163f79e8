#!/usr/bin/env bats
# solutions/05-threads: the claims its handout (labs/05-threads/README.md)
# makes about the threaded server, checked with the real tools.

setup_file() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	build_stage "$KIT_ROOT/solutions/05-threads"
}

setup() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	start_stage_server "$KIT_ROOT/solutions/05-threads"
}

teardown() {
	stop_holding
	stop_server
}

@test "solution 05 echoes a line over IPv4 and over IPv6" {
	run echo_line 127.0.0.1
	assert_output "hello over 127.0.0.1"
	run echo_line ::1
	assert_output "hello over ::1"
}

@test "solution 05 gives 50 simultaneous clients each its own echo" {
	run "$PSOCKETS/TCPBurst" -n 50 127.0.0.1 "$PORT"
	assert_success
}

@test "solution 05 serves each client in a thread of one process, not in a child" {
	hold_connections 5 -e
	assert_equal "$(count_threads_of "$SERVER_PID")" 6
	assert_equal "$(ps -L -o tid= -p "$SERVER_PID" | wc -l)" 6
	assert_equal "$(count_children_of "$SERVER_PID")" 0
}

@test "solution 05 ends every client thread when its client leaves" {
	hold_connections 5 -e
	stop_holding
	wait_until 5 eval '[ "$(count_threads_of "$SERVER_PID")" -eq 1 ]' || {
		echo "threads left after the clients left: $(count_threads_of "$SERVER_PID") (ps -L):"
		ps -L -o pid,tid,stat,cmd -p "$SERVER_PID"
		return 1
	}
}

@test "solution 05 keeps its memory flat over 200 clients (threads are detached)" {
	# Warm up: the first threads map a stack, which glibc then reuses.
	echo_clients_one_by_one 10
	local before after
	before=$(vm_size_kb_of "$SERVER_PID")
	echo_clients_one_by_one 200
	after=$(vm_size_kb_of "$SERVER_PID")
	# A thread stack is 8 MiB by default: 200 leaked stacks add 1.6 GB.
	# glibc keeps a few ended threads' stacks for reuse (up to 40 MiB),
	# and a busy machine may make a few more threads overlap: allow 100 MiB.
	if [ $((after - before)) -ge 102400 ]; then
		echo "VmSize grew from $before kB to $after kB over 200 clients"
		return 1
	fi
}

@test "solution 05 keeps its descriptor count flat over 100 clients" {
	echo_line 127.0.0.1 >/dev/null
	local before
	before=$(count_fds_of "$SERVER_PID")
	echo_clients_one_by_one 100
	wait_until 5 eval '[ "$(count_fds_of "$SERVER_PID")" -eq "$before" ]' || {
		echo "descriptors: $before before 100 clients, $(count_fds_of "$SERVER_PID") after"
		return 1
	}
}

@test "solution 05 survives 20 resetting clients (SIGPIPE is still ignored)" {
	"$PSOCKETS/TCPReset" -n 20 127.0.0.1 "$PORT"
	server_is_running
	run echo_line 127.0.0.1
	assert_success
}

@test "solution 05 dies as a whole when one client's thread crashes" {
	hold_connections 3 -e
	local thread
	thread=$(ls "/proc/$SERVER_PID/task" | grep -vx "$SERVER_PID" | head -n 1)
	kill -SEGV "$thread"
	wait_until 5 eval '! server_is_running'
	refute is_listening "$PORT"
}
