# limits.bash - helpers for the kit tests of stage 06 (labs/tests and
# solutions/tests 06-limits.bats).  Load it after stage.bash.
#
# A process limit does not apply to root: when the tests run as root, the
# server runs as nobody, and so does every prlimit that changes it (root
# in a container may lack CAP_SYS_RESOURCE, which changing another user's
# limits needs).

if [ "$(id -u)" -eq 0 ]; then
	SERVER_WRAPPER="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
fi

# as_server_user COMMAND...: runs COMMAND as the user the server runs as.
as_server_user() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
	else
		"$@"
	fi
}

# listener_queue: "RECV-Q SEND-Q" of the listener on PORT: the connections
# waiting to be accepted, and the backlog.
listener_queue() {
	ss -Hltn "sport = :$PORT" | awk '{ print $2, $3; exit }'
}

# The CPU time PID has used, user and system, in clock ticks.
cpu_ticks_of() {
	local stat
	stat=$(cat "/proc/$1/stat") || return 1
	echo "${stat##*) }" | awk '{ print $12 + $13 }'
}

# burst_milliseconds [TCPBurst options]: runs TCPBurst -f -n 500 on PORT
# (30 s at most), fails if a client got no echo, prints how long it took.
burst_milliseconds() {
	local started
	started=$(date +%s%N)
	timeout 30 "$PSOCKETS/TCPBurst" -f -n 500 -t 20 127.0.0.1 "$PORT" >/dev/null || return 1
	echo $((($(date +%s%N) - started) / 1000000))
}

# hold_silently N SECONDS: N connections held (no echo asked), in the
# background, SECONDS at most; sets HOLD_PID for stop_holding.
hold_silently() {
	setsid timeout 30 "$PSOCKETS/TCPHold" -n "$1" -s "$2" 127.0.0.1 "$PORT" \
		</dev/null >"$BATS_TEST_TMPDIR/hold.log" 2>&1 3>&- &
	HOLD_PID=$!
}

# soft_process_limit: the shell's own soft limit, to give back to the server.
soft_process_limit() {
	as_server_user bash -c 'ulimit -u'
}

soft_open_files_limit() {
	as_server_user bash -c 'ulimit -n'
}
