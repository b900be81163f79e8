# suite.bash - what every stage suite of the grader shares.
#
# A suite (grading/suites/NN-name.bats) sets STAGE and loads this file in
# setup():
#     STAGE=03-reaper
#     load "$KIT_ROOT/grading/lib/suite.bash"
# The grader (grading/grade) gives the suite SERVER_BIN, the student's
# built TCPEchod.  Each test gets a fresh server on a free port ($PORT),
# stopped with its whole process group in teardown.
#
# A failing test prints what it saw and a hint naming the handout section
# to read, through lose_points_because.

load "$KIT_ROOT/grading/lib/server.bash"
bats_load_library bats-support

# The grader builds its own copy of psockets2's clients.
PSOCKETS=${GRADE_PSOCKETS:-$PSOCKETS}

HANDOUT="labs/$STAGE/README.md"

# Seconds a client waits for an echo before it calls the server silent.
# Short: a correct server answers in milliseconds, and every wait here is
# paid by each broken submission.
ECHO_WAIT=3

start_stage_server() {
	PORT=$(pick_port)
	if ! start_server_on "$PORT" "$SERVER_BIN" "$PORT"; then
		fail "the server did not start: see the output above"
	fi
}

# lose_points_because SEEN SECTION HINT: fails the test with what was seen
# and a hint pointing to SECTION of the stage's handout.  SECTION is a
# heading or a bold step title of the handout, as written there, without
# its final full stop; HINT is a sentence (grading/tests/grader-rubric.bats
# checks every SECTION exists, telling them apart by that punctuation).
lose_points_because() {
	fail "seen: $1
hint: $3 See $HANDOUT, '$2'."
}

# --- clients ----------------------------------------------------------

# echo_round_trip HOST TEXT: sends TEXT with the reference client and
# prints what came back (and the client's complaint, if any).
echo_round_trip() {
	# A here-string, not a pipe: the end of input is there from the start,
	# so a server that closes right after echoing cannot win a race with
	# the writer's exit (TCPEcho: "input not finished") under load.
	"$PSOCKETS/TCPEcho" -t "$ECHO_WAIT" "$1" "$PORT" <<<"$2" 2>&1
}

# expect_echo HOST TEXT SECTION HINT: one client sends TEXT and must get
# exactly TEXT back.
expect_echo() {
	local reply
	reply=$(echo_round_trip "$1" "$2") || true
	[ "$reply" = "$2" ] ||
		lose_points_because "a client on $1 sent \"$2\" and got back: ${reply:-nothing}" "$3" "$4"
}

# expect_binary_echo SECTION HINT: 1 MiB of random bytes (NUL bytes
# included) must come back unchanged.
expect_binary_echo() {
	local sent="$BATS_TEST_TMPDIR/sent" back="$BATS_TEST_TMPDIR/back" complaint
	head -c 1048576 /dev/urandom >"$sent"
	complaint=$("$PSOCKETS/TCPEcho" -t "$ECHO_WAIT" 127.0.0.1 "$PORT" <"$sent" 2>&1 >"$back") || true
	cmp -s "$sent" "$back" ||
		lose_points_because "$(wc -c <"$back") of 1048576 bytes came back$(first_difference "$sent" "$back")${complaint:+; the client said: $complaint}" "$1" "$2"
}

first_difference() {
	local difference
	difference=$(cmp "$1" "$2" 2>/dev/null | sed -n 's/.*differ: byte \([0-9]*\).*/\1/p')
	[ -z "$difference" ] || echo ", the first wrong one at byte $difference"
}

# Held connections: open_client stores a descriptor of this shell in
# CLIENT (bash's /dev/tcp), so a test can keep several clients open and
# talk on each when it chooses.
open_client() {
	exec {CLIENT}<>"/dev/tcp/127.0.0.1/$PORT"
}

# client_gets_echo FD TEXT: sends a line on a held connection and checks
# the same line comes back within ECHO_WAIT seconds.  The subshell ignores
# SIGPIPE for its write only: the servers the tests start must inherit
# the default action.
client_gets_echo() {
	local reply=
	(trap '' PIPE; printf '%s\n' "$2" >&"$1") 2>/dev/null || return 1
	IFS= read -r -t "$ECHO_WAIT" reply <&"$1" || true
	[ "$reply" = "$2" ]
}

close_client() {
	local fd=$1
	exec {fd}>&-
}

# Connects N clients, each echoing one line, kept open; their descriptors
# go to the array HELD.
hold_clients() {
	local count=$1 k
	HELD=()
	for k in $(seq 1 "$count"); do
		open_client
		HELD+=("$CLIENT")
		client_gets_echo "$CLIENT" "held client $k" || return 1
	done
}

close_held_clients() {
	local fd
	for fd in "${HELD[@]}"; do
		exec {fd}>&-
	done
	HELD=()
}

# Runs COUNT clients one after another; fails on the first that does not
# get its line back.
serve_clients_in_turn() {
	local count=$1 k
	for k in $(seq 1 "$count"); do
		[ "$(echo_round_trip 127.0.0.1 "client $k")" = "client $k" ] || return 1
	done
}

# --- what the server does ---------------------------------------------

# Children of the server that are not zombies.
count_live_children_of() {
	ps -o stat= --ppid "$1" | grep -vc '^Z' || true
}

# The listening sockets' inode numbers on PORT, one a line.
listening_socket_inodes() {
	ss -Hltne "sport = :$PORT" | grep -o 'ino:[0-9]*' | cut -d: -f2
}

# Does process PID hold a descriptor for socket INODE?
holds_socket() {
	local pid=$1 inode=$2 fd
	for fd in "/proc/$pid/fd/"*; do
		[ "$(readlink "$fd" 2>/dev/null)" != "socket:[$inode]" ] || return 0
	done
	return 1
}

vm_size_kb_of() {
	awk '/^VmSize:/ { print $2 }' "/proc/$1/status"
}

new_server_log_lines() {
	tail -n "+$(($1 + 1))" "$SERVER_LOG"
}
