#!/usr/bin/env bats
# solutions/08-prefork: the claims its handout (labs/08-prefork/README.md)
# makes about the preforked pool, checked with the real tools.

setup_file() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	build_stage "$KIT_ROOT/solutions/08-prefork"
}

setup() {
	load "../../grading/lib/server.bash"
	load "stage.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	STAGE=$KIT_ROOT/solutions/08-prefork
	PORT=$(pick_port)
}

teardown() {
	stop_holding
	stop_tracing
	stop_server
}

# start_pool [-n N]: the solution on PORT, waiting (5 s at most) until
# its N workers (default 4) run.
start_pool() {
	local workers=4
	[ "${1:-}" != -n ] || workers=$2
	start_server_on "$PORT" "$STAGE/TCPEchod" "$@" "$PORT"
	wait_until 5 eval '[ "$(count_children_of "$SERVER_PID")" -eq "$workers" ]' || {
		echo "expected $workers workers; ps says:"
		ps -o pid,ppid,stat,cmd -p "$SERVER_PID" --ppid "$SERVER_PID"
		return 1
	}
}

workers_of() {
	ps -o pid= --ppid "$1" | tr -d ' ' | sort -n
}

# stop_pool: SIGTERM to the parent alone, as the handout does; waits (5 s
# at most) until it has exited.
stop_pool() {
	kill -TERM "$SERVER_PID"
	wait_until 5 eval '! server_is_running'
}

stop_tracing() {
	[ -n "${TRACER_PID:-}" ] || return 0
	kill -TERM "$TRACER_PID" 2>/dev/null || true
	wait "$TRACER_PID" 2>/dev/null || true
	TRACER_PID=
}

@test "solution 08 runs the parent and -n 3 workers, replaces a worker killed with SIGKILL, and says so" {
	local victim
	start_pool -n 3
	run ps -o stat= -p "$SERVER_PID" --ppid "$SERVER_PID"
	assert_equal "$(grep -c '^S' <<<"$output")" 4
	run echo_line 127.0.0.1
	assert_output "hello over 127.0.0.1"
	victim=$(workers_of "$SERVER_PID" | head -n 1)
	kill -KILL "$victim"
	# At once: a generous bound all the same, for a loaded machine.
	wait_until 5 eval '[ "$(count_children_of "$SERVER_PID")" -eq 3 ] && ! workers_of "$SERVER_PID" | grep -qx "$victim"' || {
		echo "worker $victim was not replaced within 5 s; ps says:"
		ps -o pid,ppid,stat,cmd -p "$SERVER_PID" --ppid "$SERVER_PID"
		return 1
	}
	assert_equal "$(count_zombies_of "$SERVER_PID")" 0
	wait_until 5 grep -q "worker $victim killed by signal 9 (Killed)" "$SERVER_LOG" || {
		echo "the server did not report worker $victim's death; it said:"
		cat "$SERVER_LOG"
		return 1
	}
	assert_equal "$(grep -c 'started$' "$SERVER_LOG")" 4
}

@test "solution 08 stops every worker on SIGTERM, each saying its count, and leaves no process" {
	local workers pid
	start_pool -n 3
	workers=$(workers_of "$SERVER_PID")
	stop_pool
	for pid in $workers; do
		run kill -0 "$pid"
		assert_failure
	done
	run group_is_running "$SERVER_PGID"
	assert_failure
	wait_until 2 grep -q "stopped" "$SERVER_LOG"
	for pid in $workers; do
		grep -q "clients served by worker $pid: 0" "$SERVER_LOG"
	done
}

@test "solution 08 refuses -n 0 and -n x with a message and a non-zero status" {
	run "$STAGE/TCPEchod" -n 0 "$PORT"
	assert_failure
	assert_output --partial 'bad worker count "0"'
	run "$STAGE/TCPEchod" -n x "$PORT"
	assert_failure
	assert_output --partial 'bad worker count "x"'
	run "$STAGE/TCPEchod" --help
	assert_success
	assert_output --partial "usage: TCPEchod [-n WORKERS] [port]"
}

@test "solution 08's parent waits in sigwait while its workers wait in accept" {
	local pid
	start_pool
	run cat "/proc/$SERVER_PID/wchan"
	assert_output --partial sigtimedwait
	for pid in $(workers_of "$SERVER_PID"); do
		run cat "/proc/$pid/wchan"
		assert_output --partial accept
	done
}

@test "solution 08 serves 300 clients in turn with the same workers, spread almost evenly" {
	local before after count
	start_pool
	before=$(workers_of "$SERVER_PID")
	echo_clients_one_by_one 300
	after=$(workers_of "$SERVER_PID")
	assert_equal "$after" "$before"
	stop_pool
	wait_until 2 eval '[ "$(grep -c "clients served by worker" "$SERVER_LOG")" -eq 4 ]'
	# 300 clients, 75 each if they took perfect turns; a loaded machine
	# makes a worker miss a turn now and then.
	for count in $(sed -n 's/.*clients served by worker [0-9]*: //p' "$SERVER_LOG"); do
		[ "$count" -ge 40 ] && [ "$count" -le 110 ] ||
			fail "uneven counts: $(grep 'clients served' "$SERVER_LOG")"
	done
	assert_equal "$(sed -n 's/.*clients served by worker [0-9]*: //p' "$SERVER_LOG" | paste -sd+ | bc)" 300
}

@test "solution 08 keeps client 5 in the backlog while 4 clients hold the workers, and serves it when they leave" {
	local fifth
	start_pool
	hold_connections 4 -e
	echo "hello" | "$PSOCKETS/TCPEcho" -t 15 127.0.0.1 "$PORT" >"$BATS_TEST_TMPDIR/fifth" 3>&- &
	fifth=$!
	# Connected, its line and FIN received by the kernel, not accepted.
	wait_until 5 eval '[ -n "$(ss -Htn state close-wait "( sport = :$PORT )" | awk "\$1 == 7")" ]' || {
		ss -tn "( sport = :$PORT )"
		fail "no CLOSE-WAIT connection with 7 bytes waiting"
	}
	run ss -Hltn "sport = :$PORT"
	assert_equal "$(awk '{ print $2 }' <<<"$output")" 1
	[ ! -s "$BATS_TEST_TMPDIR/fifth" ]
	stop_holding
	wait "$fifth"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/fifth")" hello
}

@test "solution 08 wakes one worker for one client (strace: one of four accept calls returns)" {
	local trace=$BATS_TEST_TMPDIR/trace
	start_pool
	# shellcheck disable=SC2046
	timeout 20 strace -e trace=accept,read,write $(printf -- '-p %s ' $(workers_of "$SERVER_PID")) \
		>"$trace" 2>&1 3>&- &
	TRACER_PID=$!
	wait_until 10 eval '[ "$(grep -c "accept(" "$trace" 2>/dev/null)" = 4 ]' || {
		cat "$trace"
		fail "strace did not show the 4 workers in accept"
	}
	run echo_line 127.0.0.1
	assert_success
	# The worker has read the client's end-of-file.
	wait_until 5 grep -qE 'read\([0-9]+, "", ' "$trace" || {
		cat "$trace"
		fail "strace did not show the worker reading the client's end-of-file"
	}
	stop_tracing
	# One accept returned a descriptor: strace writes it "<... accept
	# resumed>) = 5", or on one line when no other worker wrote between.
	assert_equal "$(grep -cE 'accept(\(| resumed).*\) += [0-9]+$' "$trace")" 1
	assert_equal "$(grep -o '^\[pid *[0-9]*\] read(' "$trace" | sort -u | wc -l)" 1
}
