# server.bash - bats helpers to start, watch and stop a server under test.
#
# Used by the kit's own tests (psockets2/tests, ...) and by the grader's
# stage suites (grading/suites).  Load it from a .bats file with
#     load "$KIT_ROOT/grading/lib/server.bash"
# Every loop here is bounded, and every process is stopped by its process
# group, never by name.

KIT_ROOT=${KIT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PSOCKETS="$KIT_ROOT/psockets2"

# How long a server under test may live, in seconds: a hung server is
# killed by timeout(1) even if a test forgets to stop it.
SERVER_TIME_LIMIT=${SERVER_TIME_LIMIT:-120}

# Prints a TCP port that nothing on this machine is using.  Random, from a
# range below the kernel's ephemeral ports, so parallel runs rarely meet.
pick_port() {
	local attempt port
	for ((attempt = 0; attempt < 50; attempt++)); do
		port=$((10000 + RANDOM % 20000))
		if ! tcp_socket_uses "$port" any; then
			echo "$port"
			return 0
		fi
	done
	echo "pick_port: no free port found in 50 tries" >&2
	return 1
}

# tcp_socket_uses PORT listening|any: is a TCP socket (IPv4 or IPv6)
# listening on PORT, or, with "any", using PORT at either end in any
# state?  Read from the kernel's tables in /proc/net by bash itself, not
# with ss: the tests ask often, and a process each time adds up.  A line
# there is "N: LOCAL_ADDRESS:PORT REMOTE_ADDRESS:PORT STATE ...", the
# ports in four hexadecimal digits, the state in two (0A: listening);
# no other field is four digits after a colon.  Each table is read
# whole, at once, and matched as one string: bash reading it line by
# line would make the kernel write it out again for every line.
tcp_socket_uses() {
	local port pattern table sockets
	printf -v port '%04X' "$1"
	if [ "$2" = listening ]; then
		pattern=":$port [0-9A-F]+:[0-9A-F]{4} 0A "
	else
		pattern=":$port "
	fi
	for table in /proc/net/tcp /proc/net/tcp6; do
		sockets=
		{ read -r -d '' sockets <"$table"; } 2>/dev/null || true
		[[ $sockets =~ $pattern ]] && return 0
	done
	return 1
}

# Bash's own sleep, when the package bash-builtins is installed (make
# setup installs it): wait_until pauses ten times a second in every
# test, and a sleep process each time adds up over a class.  Without
# it, sleep is the usual program.
enable -f sleep sleep 2>/dev/null || true

# Runs "$@" until it succeeds or SECONDS (first argument) have passed;
# checks ten times a second.
wait_until() {
	local seconds=$1 tries
	shift
	for ((tries = 0; tries < seconds * 10; tries++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

is_listening() {
	tcp_socket_uses "$1" listening
}

server_is_running() {
	is_alive "$SERVER_PID"
}

# is_alive PID: is process PID running, and not a zombie?  Read from /proc
# by bash itself, not with ps: the tests ask often.  The state follows
# the command name, in parentheses, which may hold anything.
is_alive() {
	local stat
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# How much of a server's output is kept, from its start and from its end;
# the middle is read and thrown away.
KEPT_OUTPUT_BYTES=65536

# keep_head_and_tail LOG: reads standard input to its end, as fast as it
# comes, so that a writer never waits and never meets a size limit.  The
# first KEPT_OUTPUT_BYTES go to LOG at once; at the end, the last
# KEPT_OUTPUT_BYTES of the rest follow a line saying what was left out.
# It closes every descriptor it inherited but its input: a held client
# connection or bats' descriptor 3 must not stay open through it.
keep_head_and_tail() {
	local log=$1 fd_path fd
	for fd_path in "/proc/$BASHPID/fd/"*; do
		fd=${fd_path##*/}
		[ "$fd" -eq 0 ] || eval "exec $fd>&-" 2>/dev/null || true
	done
	# Unbuffered, head writes each piece as it reads it: the log is
	# up to date while the server runs.
	stdbuf -o0 head -c "$KEPT_OUTPUT_BYTES" >"$log"
	tail -c "$KEPT_OUTPUT_BYTES" >"$log.tail"
	if [ -s "$log.tail" ]; then
		printf '\n[... the middle of the output was left out ...]\n' >>"$log"
		cat "$log.tail" >>"$log"
	fi
	rm -f "$log.tail"
}

# start_server PROGRAM [ARGS...]
# Starts PROGRAM in a new session (so it has its own process group), with
# standard input from /dev/null, standard output and error into a pipe
# read by keep_head_and_tail (the beginning and end of what it says go
# to $SERVER_LOG), and descriptor 3 closed (bats reads its results from
# fd 3: a program holding it open hangs bats, and one writing to it could
# forge results).
# Sets SERVER_PGID (the group to kill) and SERVER_PID (the server itself,
# whose children, descriptors and threads the tests inspect).
start_server() {
	local output tries
	SERVER_LOG=${SERVER_LOG:-${BATS_TEST_TMPDIR:-/tmp}/server.log}
	exec {output}> >(keep_head_and_tail "$SERVER_LOG")
	SERVER_OUTPUT_KEEPER=$!
	setsid timeout --kill-after=2 "$SERVER_TIME_LIMIT" \
		${SERVER_WRAPPER:-} "$@" </dev/null >&"$output" 2>&1 3>&- &
	SERVER_PGID=$!
	exec {output}>&-
	SERVER_PID=
	# timeout(1) runs the program as its child: find that child, in the
	# list of its children the kernel keeps in /proc.
	for ((tries = 0; tries < 50; tries++)); do
		# (The list does not end in a newline: read fails, having read it.)
		{ read -r SERVER_PID _ <"/proc/$SERVER_PGID/task/$SERVER_PGID/children"; } 2>/dev/null || true
		[ -n "$SERVER_PID" ] && return 0
		kill -0 "$SERVER_PGID" 2>/dev/null || break
		sleep 0.02
	done
	SERVER_PID=$SERVER_PGID
}

# start_server_on PORT PROGRAM [ARGS...]: start, then wait (5 s at most)
# until PORT is listening.  Fails with the server's output if it is not.
start_server_on() {
	local port=$1
	shift
	start_server "$@"
	if ! wait_until 5 is_listening "$port"; then
		echo "the server did not listen on port $port within 5 s; its output:"
		cat "$SERVER_LOG"
		return 1
	fi
}

# Is any process of group PGID still running?  Zombies do not count: an
# orphan stays one until its new parent gets round to reaping it.  Read
# from /proc/PID/stat by bash itself, not with ps (stop_server asks ten
# times a second): after the name, in parentheses, come the state, the
# parent's PID and the process group.
group_is_running() {
	local stat_file stat fields
	# No process at all in the group, zombie or not: no need to look.
	kill -0 -- "-$1" 2>/dev/null || return 1
	for stat_file in /proc/[0-9]*/stat; do
		{ read -r stat <"$stat_file"; } 2>/dev/null || continue
		read -r -a fields <<<"${stat##*) }"
		[ "${fields[2]}" != "$1" ] || [ "${fields[0]}" = Z ] || return 0
	done
	return 1
}

# Stops the whole process group: the server, timeout(1), and every child
# the server forked that stayed in its group.  Then waits (2 s at most)
# for the server's output to be written out to $SERVER_LOG.
stop_server() {
	[ -n "${SERVER_PGID:-}" ] || return 0
	kill -TERM -- "-$SERVER_PGID" 2>/dev/null || true
	wait_until 2 eval '! group_is_running "$SERVER_PGID"' ||
		kill -KILL -- "-$SERVER_PGID" 2>/dev/null || true
	wait "$SERVER_PGID" 2>/dev/null || true
	SERVER_PGID=
	finish_server_output
}

# The output keeper ends when every process holding the server's output
# has closed it.  One that escaped the server's process group may hold it
# forever: then the keeper is stopped (it and the head or tail it runs).
finish_server_output() {
	local keeper=${SERVER_OUTPUT_KEEPER:-} pid
	[ -n "$keeper" ] || return 0
	SERVER_OUTPUT_KEEPER=
	wait_until 2 eval '! kill -0 "$keeper" 2>/dev/null' && return 0
	for pid in $(ps -o pid= --ppid "$keeper") "$keeper"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
}

# The processes (not zombies) that belong to the submission under test:
# those of the server's cgroup, when the grader could make one (it holds
# every process the server started, whatever it runs); else those running
# the student's program (SERVER_BIN, set by the grader).  One PID a line.
processes_of_the_submission() {
	local pids=() pid
	if [ -n "${SERVER_CGROUP:-}" ] && [ -f "$SERVER_CGROUP/cgroup.procs" ]; then
		# Exact: nothing the server starts can leave its cgroup.
		{ mapfile -t pids <"$SERVER_CGROUP/cgroup.procs"; } 2>/dev/null || true
	else
		# One find for all of /proc: a readlink per process is slow.
		mapfile -t pids < <(find /proc -mindepth 2 -maxdepth 2 -name exe \
			\( -lname "$SERVER_BIN" -o -lname "$SERVER_BIN (deleted)" \) 2>/dev/null | cut -d/ -f3)
	fi
	for pid in "${pids[@]}"; do
		! is_alive "$pid" || echo "$pid"
	done
}

# describe_processes PID...: "PID (name) command line" for each, on one line.
describe_processes() {
	local pid
	for pid in "$@"; do
		printf 'process %s (%s) "%s"; ' "$pid" "$(cat "/proc/$pid/comm" 2>/dev/null)" \
			"$(tr '\000' ' ' <"/proc/$pid/cmdline" 2>/dev/null | head -c 100 | sed 's/ $//')"
	done
}

# --- what the tests observe -------------------------------------------

# children_of PID: the PIDs of PID's children, zombies among them, one a
# line.  The kernel lists them in /proc, thread by thread (each thread's
# list holds the children it started); the lists do not end in a newline.
children_of() {
	local list children
	for list in "/proc/$1/task/"*/children; do
		children=()
		{ read -r -a children <"$list"; } 2>/dev/null || true
		[ ${#children[@]} -eq 0 ] || printf '%s\n' "${children[@]}"
	done
}

# count_children_of PID [zombies|live]: how many children PID has (all
# of them, only the zombies, or only the others); one gone by the time
# its state is read does not count.  The state is the first field after
# the name, in parentheses, in /proc/CHILD/stat.
count_children_of() {
	local which=${2:-all} count=0 child stat state
	for child in $(children_of "$1"); do
		stat=
		{ read -r stat <"/proc/$child/stat"; } 2>/dev/null || true
		stat=${stat##*) }
		state=${stat%% *}
		case $which in
		zombies) [ "$state" != Z ] || count=$((count + 1)) ;;
		live) [ -z "$state" ] || [ "$state" = Z ] || count=$((count + 1)) ;;
		*) [ -z "$state" ] || count=$((count + 1)) ;;
		esac
	done
	echo "$count"
}

count_zombies_of() {
	count_children_of "$1" zombies
}

count_fds_of() {
	ls "/proc/$1/fd" | wc -l
}

count_threads_of() {
	ls "/proc/$1/task" | wc -l
}

rss_kb_of() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# Prints one line per TCP socket: "STATE LOCAL_PORT REMOTE_PORT", from
# netstat if it is installed, else from ss (iproute2).  States are
# spelled as netstat spells them (ESTABLISHED, TIME_WAIT, CLOSE_WAIT...).
tcp_states() {
	if command -v netstat >/dev/null; then
		netstat -tan | awk 'NR > 2 { n = split($4, l, ":"); m = split($5, r, ":");
			print $6, l[n], r[m] }'
	else
		ss -Htan | awk '{ n = split($4, l, ":"); m = split($5, r, ":");
			state = $1; sub("ESTAB$", "ESTABLISHED", state);
			sub("FIN-WAIT-", "FIN_WAIT", state); gsub("-", "_", state);
			sub("UNCONN", "CLOSE", state); print state, l[n], r[m] }'
	fi
}

# count_state PORT STATE [server|client]: how many sockets are in STATE on
# the server's side of PORT (local port = PORT, the default) or on the
# clients' side (remote port = PORT).
count_state() {
	local port=$1 state=$2 side=${3:-server}
	tcp_states | awk -v port="$port" -v state="$state" -v side="$side" '
		$1 == state && ((side == "server" && $2 == port) ||
		                (side == "client" && $3 == port)) { n++ }
		END { print n + 0 }'
}
