# suite.bash - what every stage suite of the grader shares.
#
# A suite (grading/suites/NN-name.bats) sets STAGE and loads this file in
# setup():
#     STAGE=03-reaper
#     load "$KIT_ROOT/grading/lib/suite.bash"
# The grader (grading/grade) gives the suite SERVER_BIN, the student's
# built TCPEchod.  Each test gets a fresh server on a free port ($PORT),
# stopped with its whole process group in teardown (stop_stage_server),
# which also fails the test if a process of the server's outlived it.
#
# A failing test prints what it saw and a hint naming the handout section
# to read, through lose_points_because.

# Bats traces every command a test runs, for the stack trace it prints on
# a failure: a DEBUG trap that functions inherit (set -T), which makes
# each command of bash about a hundred times slower.  Our tests say why
# they fail in their own words (lose_points_because), so the tracing is
# turned off: a loop of polls in a helper costs what it costs in bash.
set +T

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

# start_traced_stage_server: the same, with the server run under strace
# (see contain-server), which writes to $SERVER_TRACE how each of the
# server's processes ended.  strace is the server's parent: SERVER_PID is
# moved down to its child, the server.
start_traced_stage_server() {
	local tracer
	SERVER_TRACE="$BATS_TEST_TMPDIR/server.trace"
	SERVER_TRACE_FILE=$SERVER_TRACE start_stage_server
	tracer=$SERVER_PID
	wait_until 2 eval '[ -n "$(children_of "$tracer")" ]' ||
		grader_fault "strace did not start the server"
	SERVER_PID=$(children_of "$tracer" | head -n 1)
}

# Prints one line per process of the traced server that a signal killed:
# "PID SIGNAME".
processes_killed_by_signals() {
	sed -n 's/^\([0-9]*\) *+++ killed by \(SIG[A-Z0-9]*\).*/\1 \2/p' "$SERVER_TRACE"
}

# grader_fault REASON: the test could not be run as it should, for a fault
# of the grader's or of this machine's, not the student's.  The grader
# (run-stage gives GRADER_FAULTS) then exits 2 with REASON rather than
# score the test.
grader_fault() {
	[ -z "${GRADER_FAULTS:-}" ] || printf '%s: %s\n' "$BATS_TEST_DESCRIPTION" "$1" >>"$GRADER_FAULTS"
	fail "grader error: $1"
}

# lose_points_because SEEN SECTION HINT: fails the test with what was seen
# and a hint pointing to SECTION of the stage's handout.  SECTION is a
# heading or a bold step title of the handout, as written there, without
# its final full stop; HINT is a sentence (grading/tests/grader-rubric.bats
# checks every SECTION exists, telling them apart by that punctuation).
#
# A suite may set SERVER_GONE_SECTION and SERVER_GONE_HINT: then, if the
# server itself is no longer running, that is what the test reports,
# whatever failed (a client that got no echo is only its consequence).
lose_points_because() {
	if [ -n "${SERVER_GONE_SECTION:-}" ] && [ -n "${SERVER_PID:-}" ] && ! server_is_running; then
		lose_points_pointing_to "$HANDOUT" "$1; the server itself is no longer running$(server_last_words)" \
			"$SERVER_GONE_SECTION" "$SERVER_GONE_HINT"
	fi
	lose_points_pointing_to "$HANDOUT" "$@"
}

# What the server printed last, for a test's message.
server_last_words() {
	local words
	words=$(tail -c 200 "$SERVER_LOG" 2>/dev/null | tr -d '\000' | tr '\n' ' ')
	[ -z "$words" ] || echo " (it said last: $words)"
}

# lose_points_pointing_to HANDOUT SEEN SECTION HINT: the same, for a
# lesson of another stage's handout (labs/NN-name/README.md).
lose_points_pointing_to() {
	fail "seen: $2
hint: $4 See $1, '$3'."
}

# --- what outlives the server -----------------------------------------

# stop_stage_server: the teardown of every test.  Stops the server's
# process group, then looks for the server's processes that are still
# alive outside it (a child that called setsid() or setpgid(), say): each
# is named, the test fails, and they are killed.
stop_stage_server() {
	local left
	stop_server
	left=$(processes_of_the_submission)
	[ -n "$left" ] || return 0
	# Killed processes may take a moment to vanish.
	wait_until 1 eval '[ -z "$(processes_of_the_submission)" ]' && return 0
	left=$(processes_of_the_submission)
	describe_processes $left >"$BATS_TEST_TMPDIR/left-behind"
	kill -KILL $left 2>/dev/null || true
	lose_points_pointing_to labs/02-fork/README.md \
		"still running after the server and its process group were stopped: $(cat "$BATS_TEST_TMPDIR/left-behind")" \
		"Every process ends with the server" \
		"A server's processes must end with it: do not move a child out of the server's process group (setsid, setpgid, a double fork) or leave it running on its own."
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

# expect_echo_over_ipv4_and_ipv6 SECTION HINT [IPV6_SECTION IPV6_HINT]:
# a line over 127.0.0.1, then one over ::1 (a second client, after the
# first has gone).  A failure gets SECTION and HINT (the second one, the
# IPv6 ones if given), unless the server listens on IPv4 only: that is
# stage 01's lesson, and its hint.
expect_echo_over_ipv4_and_ipv6() {
	local reply
	expect_echo 127.0.0.1 "hello over IPv4" "$1" "$2"
	[ $# -lt 4 ] || shift 2
	reply=$(echo_round_trip ::1 "hello over IPv6") || true
	[ "$reply" != "hello over IPv6" ] || return 0
	if listens_on_ipv4_only; then
		lose_points_pointing_to labs/01-sequential/README.md \
			"a client on ::1 got back: ${reply:-nothing}; the server listens on IPv4 only ($(listening_addresses))" \
			"The listening socket" \
			"Listen on one IPv6 socket with IPV6_V6ONLY off, as passiveTCP does: it takes IPv4 and IPv6 clients alike."
	fi
	lose_points_because "a client on ::1 sent \"hello over IPv6\" and got back: ${reply:-nothing}" "$1" "$2"
}

# The server's listening addresses on PORT, as ss prints them: *:PORT for
# a dual-stack socket, [::]:PORT for IPv6 only, 0.0.0.0:PORT for IPv4.
listening_addresses() {
	ss -Hltn "sport = :$PORT" | awk '{ print $4 }' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

listens_on_ipv4_only() {
	local addresses
	addresses=$(listening_addresses)
	[ -n "$addresses" ] && ! grep -qE '(^| )(\*|\[)' <<<"$addresses"
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
	count_children_of "$1" live
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

# The CPU time PID has used, user and system, in clock ticks: fields 14
# and 15 of /proc/PID/stat, counted after the ")" that ends its name.
# Fails if PID is gone.
cpu_ticks_of() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	echo "${stat##*) }" | awk '{ print $12 + $13 }'
}

# cpu_ticks_over SECONDS: how many ticks the server uses in SECONDS
# (stages 06 and 10: no busy loop).
# Prints "died" if it is gone (or a zombie) by then.
cpu_ticks_over() {
	local before after
	before=$(cpu_ticks_of "$SERVER_PID") || { echo died; return; }
	sleep "$1"
	after=$(cpu_ticks_of "$SERVER_PID") && server_is_running || { echo died; return; }
	echo $((after - before))
}

# A tenth of a second, in ticks.
tenth_of_a_second_in_ticks() {
	echo $(($(getconf CLK_TCK) / 10))
}

ticks_as_seconds() {
	awk -v ticks="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", ticks / hz }'
}

# soft_limit_of PID WHAT: the soft limit on WHAT (processes, open files)
# in /proc/PID/limits, from its line (Max WHAT), where the names take
# the first 26 columns.
soft_limit_of() {
	awk -v name="Max $2" 'index($0, name) == 1 { split(substr($0, 27), limit, " "); print limit[1] }' "/proc/$1/limits"
}

vm_size_kb_of() {
	awk '/^VmSize:/ { print $2 }' "/proc/$1/status"
}

new_server_log_lines() {
	tail -n "+$(($1 + 1))" "$SERVER_LOG"
}
