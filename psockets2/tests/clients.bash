# clients.bash - start and stop a long-lived client (TCPHold) in a test.
# Load after server.bash:   load clients.bash
# Like start_server, the client gets its own process group, descriptor 3
# closed and a time limit, and is stopped by its group.

# start_holding ARGS...: runs TCPHold ARGS in the background, output to
# $HOLD_OUTPUT; sets HOLD_PGID.
start_holding() {
	HOLD_OUTPUT="$BATS_TEST_TMPDIR/hold.out"
	setsid timeout --kill-after=10 60 "$PSOCKETS/TCPHold" "$@" \
		</dev/null >"$HOLD_OUTPUT" 2>&1 3>&- &
	HOLD_PGID=$!
}

# wait_until_holding N: waits (15 s at most) for TCPHold's line
# "holding N connections".
wait_until_holding() {
	wait_until 15 grep -q "^holding $1 connections$" "$HOLD_OUTPUT"
}

# stop_holding: SIGTERM to the group; prints nothing, returns TCPHold's
# exit status (through timeout(1)).
stop_holding() {
	local status=0
	[ -n "${HOLD_PGID:-}" ] || return 0
	kill -TERM -- "-$HOLD_PGID" 2>/dev/null || true
	wait "$HOLD_PGID" || status=$?
	HOLD_PGID=
	return "$status"
}
