# capture.bash - start and stop a tcpdump capture from a script.
#
# Used by grading/make-captures, psockets2/two-hosts and the kit's capture
# tests.  Load it after server.bash:
#     . "$KIT_ROOT/grading/lib/capture.bash"
# Capturing needs privileges (root, or a tcpdump with cap_net_raw): when
# they are missing, start_capture says so in one line instead of leaving
# an empty file behind.

# Words put before tcpdump, e.g. "ip netns exec NAME" to capture inside a
# network namespace.
CAPTURE_WRAPPER=${CAPTURE_WRAPPER:-}

# start_capture INTERFACE FILE FILTER...
# Starts tcpdump writing the headers (first 128 bytes: the checks need no
# payload, and a reset exchange carries megabytes) of every packet that
# matches FILTER on INTERFACE to FILE, and waits (5 s at most) until it is
# listening.  Sets CAPTURE_PID.  On failure prints tcpdump's complaint in
# one line, with a hint when it is about permissions, and returns 1.
start_capture() {
	local interface=$1 file=$2 complaint
	shift 2
	CAPTURE_LOG=$(mktemp)
	${CAPTURE_WRAPPER} timeout --kill-after=2 "${CAPTURE_TIME_LIMIT:-120}" \
		tcpdump -i "$interface" -n -s 128 --immediate-mode -U -w "$file" "$@" </dev/null 2>"$CAPTURE_LOG" 3>&- &
	CAPTURE_PID=$!
	wait_until 5 capture_has_started_or_failed || true
	if grep -q '^tcpdump: listening on' "$CAPTURE_LOG"; then
		return 0
	fi
	complaint=$(grep -v '^$' "$CAPTURE_LOG" | tr '\n' ' ' | sed 's/ *$//')
	stop_capture
	if capture_was_refused "$complaint"; then
		echo "cannot capture on $interface: not permitted (run with sudo, or give tcpdump the capability: see cheatsheet.md, 'Capturing needs privileges'); tcpdump said: $complaint"
	else
		echo "cannot capture on $interface: tcpdump said: ${complaint:-nothing within 5 s}"
	fi
	return 1
}

capture_has_started_or_failed() {
	grep -q '^tcpdump: listening on' "$CAPTURE_LOG" || ! kill -0 "$CAPTURE_PID" 2>/dev/null
}

capture_was_refused() {
	case $1 in
	*"permission"* | *"not permitted"* | *"Permission denied"*) return 0 ;;
	*) return 1 ;;
	esac
}

# Stops the capture and waits for tcpdump to write its last packets.
# A short pause first lets the final ACKs of a close reach the capture.
stop_capture() {
	[ -n "${CAPTURE_PID:-}" ] || return 0
	sleep 0.3
	kill -INT "$CAPTURE_PID" 2>/dev/null || true
	wait "$CAPTURE_PID" 2>/dev/null || true
	CAPTURE_PID=
	rm -f "$CAPTURE_LOG"
}

# Prints one line saying whether this process may capture on INTERFACE
# (default lo) and returns 0 if it may.  Tests use it to skip with a
# reason; it captures for a moment into a scratch file.
can_capture() {
	local interface=${1:-lo} scratch status=0
	scratch=$(mktemp -d)
	if start_capture "$interface" "$scratch/probe.pcap" 'tcp port 1'; then
		stop_capture
		echo "capturing on $interface is permitted"
	else
		status=1
	fi
	rm -rf "$scratch"
	return "$status"
}
