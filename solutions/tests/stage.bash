# stage.bash - helpers shared by the kit tests of the stage servers
# (solutions/tests and labs/tests).  Load it after grading/lib/server.bash:
#     load "../../grading/lib/server.bash"
#     load "../../solutions/tests/stage.bash"
# Every wait here is bounded; every process is stopped by its PID or group.

# build_stage FOLDER: builds FOLDER/TCPEchod (quietly, if it is out of date).
build_stage() {
	make -s -C "$1" TCPEchod >&2
}

# start_stage_server FOLDER: starts FOLDER/TCPEchod on a free port, which it
# puts in PORT, and waits until it listens.
start_stage_server() {
	PORT=$(pick_port)
	start_server_on "$PORT" "$1/TCPEchod" "$PORT"
}

# echo_line HOST: sends one line to the server on PORT through HOST and
# prints what came back (TCPEcho gives up after 5 s without an answer).
echo_line() {
	echo "hello over $1" | "$PSOCKETS/TCPEcho" -t 5 "$1" "$PORT"
}

# hold_connections N [TCPHold options...]: opens N connections to PORT and
# keeps them open (60 s at most) until stop_holding.  Waits, 10 s at most,
# until TCPHold says it holds all N.
hold_connections() {
	local count=$1
	shift
	HOLD_LOG=$BATS_TEST_TMPDIR/hold.log
	setsid "$PSOCKETS/TCPHold" -n "$count" -s 60 "$@" 127.0.0.1 "$PORT" \
		</dev/null >"$HOLD_LOG" 2>&1 3>&- &
	HOLD_PID=$!
	if ! wait_until 10 grep -q "holding $count connections" "$HOLD_LOG"; then
		echo "TCPHold did not hold $count connections within 10 s; it said:"
		cat "$HOLD_LOG"
		return 1
	fi
}

# stop_holding: closes the connections hold_connections opened.
stop_holding() {
	[ -n "${HOLD_PID:-}" ] || return 0
	kill -TERM "$HOLD_PID" 2>/dev/null || true
	wait_until 5 eval '! kill -0 "$HOLD_PID" 2>/dev/null' ||
		kill -KILL -- "-$HOLD_PID" 2>/dev/null || true
	wait "$HOLD_PID" 2>/dev/null || true
	HOLD_PID=
}

# vm_size_kb_of PID: the process's whole address space, in KiB.  A thread
# that is never joined nor detached keeps its stack mapped: this grows.
vm_size_kb_of() {
	awk '/^VmSize:/ { print $2 }' "/proc/$1/status"
}

# echo_clients_one_by_one COUNT: COUNT clients in turn, each sending a line
# and leaving.  Fails at the first client whose echo does not come back.
echo_clients_one_by_one() {
	local client
	for client in $(seq 1 "$1"); do
		echo_line 127.0.0.1 >/dev/null || {
			echo "client $client of $1 got no echo"
			return 1
		}
	done
}
