# daemon.bash - bats helpers to start, find and stop a server that becomes
# a daemon (stage 07), and to read what it sends to syslog.  Load it after
# server.bash.  Used by the grader's stage 07 suite and gate, and by the
# kit's tests of labs/ and solutions/07-daemon.
#
# A daemon leaves the process group start_server gave it, by design: so
# stop_daemon finds it by its PID file (or as the process listening on
# PORT), checks that it runs the program under test, and stops it and its
# children, bounded.  Its syslog messages go to a socket of the test's own
# (grading/lib/with-own-syslog), never to the machine's log.

# The sink: the grader's build, or one built here for the kit's tests.
syslog_sink() {
	local sink
	if [ -n "${GRADE_SYSLOG_SINK:-}" ]; then
		echo "$GRADE_SYSLOG_SINK"
		return
	fi
	sink="${BATS_RUN_TMPDIR:-/tmp}/syslog-sink"
	[ -x "$sink" ] || cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -o "$sink" \
		"$KIT_ROOT/grading/lib/syslog-sink.c" >&2
	echo "$sink"
}

# prepare_daemon_run [FOLDER]: a new folder (in FOLDER, else $TMPDIR or
# /tmp) that the server may write to whatever user runs it, for its PID
# file (PID_FILE) and the lines it logs (SYSLOG_LOG); also a file the
# launch leaves open on descriptor 5, for the daemon to close.
prepare_daemon_run() {
	DAEMON_DIR=$(mktemp -d "${1:-${TMPDIR:-/tmp}}/daemon.XXXXXX")
	chmod 777 "$DAEMON_DIR"
	PID_FILE="$DAEMON_DIR/TCPEchod.pid"
	SYSLOG_LOG="$DAEMON_DIR/syslog"
	SINK_PID_FILE="$DAEMON_DIR/sink.pid"
	: >"$DAEMON_DIR/inherited"
	: >"$SYSLOG_LOG"
	chmod 644 "$DAEMON_DIR/inherited"
	DAEMON_PROGRAM=
}

# start_daemon PROGRAM ARGS...: launches PROGRAM with its own syslog, as
# start_server does (SERVER_PID is the launching process), from
# DAEMON_DIR, with umask 077 and descriptor 5 open: a daemon must set its
# own umask and directory, and close what it inherits.  With
# DAEMON_TERMINAL=yes the launch runs from a shell on a terminal of its
# own (script), which stays open: the daemon must leave it.  Waits (5 s at most) until
# the syslog socket is there.
start_daemon() {
	local launch wrapper
	DAEMON_PROGRAM=$1
	# The grader's contain-server (SERVER_WRAPPER) closes every descriptor
	# above 2: the shell after it opens descriptor 5.
	launch=(${SERVER_WRAPPER:-} sh -c 'umask 077 && cd "$0" && exec 5<"$0/inherited" && exec "$@"' \
		"$DAEMON_DIR" "$@")
	# On a terminal, a shell runs the launch and stays (30 s at most, or
	# until the test's teardown ends script and so the terminal): the
	# daemon is checked while the terminal it was started from is open.
	if [ "${DAEMON_TERMINAL:-no}" = yes ]; then
		launch=(script -qec "$(printf '%q ' "${launch[@]}"); sleep 30" /dev/null)
	fi
	wrapper="$KIT_ROOT/grading/lib/with-own-syslog $(syslog_sink) $SYSLOG_LOG $SINK_PID_FILE"
	SERVER_WRAPPER=$wrapper start_server "${launch[@]}"
	wait_until 5 test -s "$SINK_PID_FILE"
}

# launch_has_ended: has the launching command (timeout(1)'s child, whose
# status timeout passes on) exited?
launch_has_ended() {
	[ -z "$(ps -o stat= -p "$SERVER_PGID" | grep -v '^Z')" ]
}

# launch_status: the launching command's exit status (it must have ended).
launch_status() {
	local status=0
	wait "$SERVER_PGID" || status=$?
	echo "$status"
}

# The PID the PID file names, if it names one.
pid_in_pid_file() {
	[ -f "$PID_FILE" ] && grep -m 1 -oE '^[0-9]+$' "$PID_FILE" 2>/dev/null || true
}

# The process listening on PORT, as ss sees it.
listener_pid() {
	ss -Hltnp "sport = :$PORT" | grep -m 1 -oE 'pid=[0-9]+' | cut -d= -f2 || true
}

# runs_daemon_program PID: does PID run the program under test?
runs_daemon_program() {
	local exe
	exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
	[ "$exe" = "$DAEMON_PROGRAM" ] || [ "$exe" = "$DAEMON_PROGRAM (deleted)" ]
}

process_is_alive() {
	[ -n "$(ps -o stat= -p "$1" | grep -v '^Z')" ]
}

# wait_for_daemon SECONDS: waits until the PID file names a live process
# running the program and listening on PORT; sets DAEMON_PID.
wait_for_daemon() {
	DAEMON_PID=
	wait_until "$1" eval 'DAEMON_PID=$(pid_in_pid_file); [ -n "$DAEMON_PID" ] &&
		process_is_alive "$DAEMON_PID" && [ "$(listener_pid)" = "$DAEMON_PID" ]'
}

# stop_daemon: the teardown of a test that started a daemon.  Stops the
# daemon named by the PID file, or else the one listening on PORT, if it
# runs the program under test: SIGTERM, then SIGKILL after 2 s; then its
# process group (its children); then the syslog sink.  Bounded.
stop_daemon() {
	local pid group own_group
	[ -n "${DAEMON_DIR:-}" ] || return 0
	own_group=$(ps -o pgid= -p $$ | tr -d ' ')
	for pid in $(pid_in_pid_file) $(listener_pid); do
		[ -n "$DAEMON_PROGRAM" ] && runs_daemon_program "$pid" || continue
		group=$(ps -o pgid= -p "$pid" | tr -d ' ')
		kill -TERM "$pid" 2>/dev/null || true
		wait_until 2 eval '! process_is_alive "$pid"' || kill -KILL "$pid" 2>/dev/null || true
		if [ -n "$group" ] && [ "$group" -gt 1 ] && [ "$group" != "$own_group" ]; then
			kill -KILL -- "-$group" 2>/dev/null || true
		fi
	done
	[ ! -s "$SINK_PID_FILE" ] || kill -TERM "$(cat "$SINK_PID_FILE")" 2>/dev/null || true
	rm -rf "$DAEMON_DIR"
	DAEMON_DIR=
}

# syslog_lines_of PID: the messages the process PID sent to syslog (as
# "TCPEchod[PID]: ..."), without the priority and date before them.
syslog_lines_of() {
	grep -F "[$1]: " "$SYSLOG_LOG" | sed 's/^<[0-9]*>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* //' || true
}

# All the messages of the run, from any process, in the same form.
syslog_lines() {
	sed 's/^<[0-9]*>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* //' "$SYSLOG_LOG"
}
