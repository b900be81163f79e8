#!/usr/bin/env bats
# What grading/lib/server.bash reads from /proc by bash itself (listening
# sockets, ports in use, children, process groups) must be what ss and
# ps see: the grader's tests judge servers by it.

setup() {
	load "../lib/server.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
}

teardown() {
	stop_server
	local pid
	if [ -n "${PARENT_PID:-}" ]; then
		for pid in $(children_of "$PARENT_PID") "$PARENT_PID"; do
			kill -KILL "$pid" 2>/dev/null || true
		done
		wait "$PARENT_PID" 2>/dev/null || true
	fi
	[ -z "${CLIENT:-}" ] || exec {CLIENT}>&-
}

# listen_with_python FAMILY PORT: a listener of its own that python3
# holds for 30 s at most (IPv4 only, or IPv6 only).
listen_with_python() {
	local host=127.0.0.1 family=AF_INET
	[ "$1" = 4 ] || { host=::1; family=AF_INET6; }
	start_server python3 -c "import socket, time
s = socket.socket(socket.$family)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$host', $2))
s.listen()
time.sleep(30)"
}

@test "is_listening sees an IPv4, an IPv6 and a dual-stack listener as ss does, and not a port that is not" {
	local family port
	for family in 4 6 dual; do
		port=$(pick_port)
		refute is_listening "$port"
		if [ "$family" = dual ]; then
			start_server "$PSOCKETS/TCPEchod" "$port"
		else
			listen_with_python "$family" "$port"
		fi
		wait_until 5 is_listening "$port" || fail "no listener seen on port $port ($family)"
		assert [ -n "$(ss -Hltn "sport = :$port")" ]
		stop_server
		wait_until 5 eval '! is_listening "$port"' || fail "port $port ($family) still seen listening"
		assert [ -z "$(ss -Hltn "sport = :$port")" ]
	done
}

@test "tcp_socket_uses sees a port used at either end of a connection, and pick_port avoids it" {
	local port client_port
	port=$(pick_port)
	start_server_on "$port" "$PSOCKETS/TCPEchod" "$port"
	exec {CLIENT}<>"/dev/tcp/127.0.0.1/$port"
	client_port=$(ss -Htn "dport = :$port" | awk '{ n = split($4, a, ":"); print a[n] }' | head -n 1)
	[ -n "$client_port" ] || fail "ss shows no client of port $port"
	assert tcp_socket_uses "$client_port" any
	refute tcp_socket_uses "$client_port" listening
	assert tcp_socket_uses "$port" listening
	for _ in $(seq 1 20); do
		assert [ "$(pick_port)" != "$port" ]
	done
}

@test "count_children_of counts children, zombies and live ones as ps does" {
	# Two children that exit at once and one that sleeps, none of them
	# ever waited for: two zombies, one live child.  (Not a shell: bash
	# reaps its children by itself.)
	python3 -c 'import os, time
for _ in range(2):
    if os.fork() == 0:
        os._exit(0)
if os.fork() == 0:
    time.sleep(30)
    os._exit(0)
time.sleep(30)' 3>&- &
	PARENT_PID=$!
	wait_until 5 eval '[ "$(count_zombies_of "$PARENT_PID")" -eq 2 ]' ||
		fail "expected 2 zombies, counted $(count_zombies_of "$PARENT_PID")"
	assert_equal "$(count_children_of "$PARENT_PID")" 3
	assert_equal "$(count_children_of "$PARENT_PID" live)" 1
	assert_equal "$(ps -o pid= --ppid "$PARENT_PID" | wc -l)" 3
	assert_equal "$(ps -o stat= --ppid "$PARENT_PID" | grep -c '^Z')" 2
}

@test "group_is_running sees a live process of the group, and not a group of zombies only" {
	local group
	setsid sleep 30 3>&- &
	group=$!
	# The group exists once the child has called setsid().
	wait_until 5 group_is_running "$group" || fail "no process of group $group seen running"
	assert_equal "$(ps -o pgid= -p "$group" | tr -d ' ')" "$group"
	kill -KILL "$group"
	wait_until 5 eval '! group_is_running "$group"' || fail "group $group still seen running"
	# A group whose only process is a zombie: a child that leads a group
	# of its own, exits, and is never waited for (not by a shell: bash
	# reaps its children by itself).
	python3 -c 'import os, time
child = os.fork()
if child == 0:
    os.setsid()
    os._exit(0)
print(child, flush=True)
time.sleep(30)' >"$BATS_TEST_TMPDIR/child" 3>&- &
	PARENT_PID=$!
	wait_until 5 eval '[ "$(count_zombies_of "$PARENT_PID")" -eq 1 ]' || fail "no zombie child"
	group=$(cat "$BATS_TEST_TMPDIR/child")
	assert_equal "$(ps -o pgid=,stat= -p "$group" | tr -s ' ' | sed 's/^ //')" "$group Zs"
	assert kill -0 -- "-$group"
	refute group_is_running "$group"
}
