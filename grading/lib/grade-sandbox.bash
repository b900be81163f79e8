# grade-sandbox.bash - how grading/grade contains student code.
#
# Namespaces, chosen by prepare_sandbox (GRADE_SANDBOX forces a mode):
#   root    each stage runs in its own network and PID namespaces (unshare);
#   userns  not root, but unprivileged user namespaces work: the same
#           namespaces, inside a user namespace;
#   none    no namespaces: process groups, limits and timeouts only.
# When root, whatever the mode, the server runs as nobody and each stage
# runs in a pids cgroup (if one is writable).  In every mode the whole
# stage runs under timeout --kill-after, the server under RLIMIT_NPROC, and
# at the end any process still running the student's program is killed
# by PID.

# Processes (threads count) the student's server may have at once, and
# the whole stage (bats, the clients and the server) as a backstop.
SERVER_MAX_PROCESSES=200
STAGE_MAX_PROCESSES=1000

# The unprivileged user that builds and runs student code when we are root.
# grading/grade-class gives each of its parallel jobs a user of its own
# (GRADE_STUDENT_USER), so that one student's processes never count
# against another's RLIMIT_NPROC.
STUDENT_USER=${GRADE_STUDENT_USER:-nobody}

# prepare_sandbox: chooses the mode; on failure sets $failure (why) and
# returns 1.
prepare_sandbox() {
	sandbox=${GRADE_SANDBOX:-auto}
	if [ "$sandbox" = auto ]; then
		if [ "$(id -u)" -eq 0 ] && unshare --net --pid --fork --mount-proc true 2>/dev/null; then
			sandbox=root
		elif unshare --user --map-root-user --net --pid --fork --mount-proc true 2>/dev/null; then
			sandbox=userns
		else
			sandbox=none
		fi
	fi
	case $sandbox in
	root | userns | none) ;;
	*) failure="GRADE_SANDBOX must be root, userns or none, not \"$sandbox\""; return 1 ;;
	esac
	# A mode that was asked for must work: one that cannot be made is the
	# grader's fault, not the student's.
	if ! sandbox_can_be_made; then
		failure="the sandbox ($sandbox) cannot be made here: $(sandbox_can_be_made 2>&1 | tail -n 1)"
		return 1
	fi
	cgroup_parent=
	if [ "$(id -u)" -eq 0 ]; then
		if ! student_group=$(id -gn "$STUDENT_USER" 2>/dev/null); then
			failure="there is no user $STUDENT_USER to run student code as"
			return 1
		fi
		cgroup_parent=$(find_pids_cgroup)
	fi
}

sandbox_can_be_made() {
	case $sandbox in
	root)
		[ "$(id -u)" -eq 0 ] || { echo "it needs root" >&2; return 1; }
		unshare --net --pid --fork --mount-proc true ;;
	userns) unshare --user --map-root-user --net --pid --fork --mount-proc true ;;
	none) true ;;
	esac
}

# as_student COMMAND...: runs COMMAND as the unprivileged student user.
as_student() {
	setpriv --reuid="$STUDENT_USER" --regid="$student_group" --clear-groups --no-new-privs "$@"
}

describe_sandbox() {
	case $sandbox in
	root) printf 'own network and PID namespaces per stage' ;;
	userns) printf 'own user, network and PID namespaces per stage' ;;
	none) printf 'no namespaces: process groups and limits only' ;;
	esac
	[ "$(id -u)" -ne 0 ] || printf ', server run as nobody'
	[ -z "$cgroup_parent" ] || printf ', pids cgroup'
	echo
}

# Prints a writable pids cgroup folder (v1 or v2) to create ours under,
# or nothing.
find_pids_cgroup() {
	local root
	for root in /sys/fs/cgroup/pids /sys/fs/cgroup; do
		if [ -w "$root" ] && [ -f "$root/cgroup.procs" ] &&
			{ [ "$root" = /sys/fs/cgroup/pids ] || grep -qw pids "$root/cgroup.subtree_control" 2>/dev/null; }; then
			echo "$root"
			return 0
		fi
	done
}

# make_cgroup PATH MAX: creates a pids cgroup; fails quietly if it cannot.
make_cgroup() {
	mkdir "$1" 2>/dev/null && echo "$2" >"$1/pids.max" 2>/dev/null
}

# Kills every process left in cgroup PATH, then removes it (and the
# cgroups inside).  Bounded: 50 rounds.
empty_and_remove_cgroup() {
	local path=$1 round pid child
	[ -d "$path" ] || return 0
	for child in "$path"/*/; do
		[ ! -f "$child/cgroup.procs" ] || empty_and_remove_cgroup "${child%/}"
	done
	for round in $(seq 1 50); do
		[ -n "$(cat "$path/cgroup.procs" 2>/dev/null)" ] || break
		for pid in $(cat "$path/cgroup.procs" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		sleep 0.1
	done
	rmdir "$path" 2>/dev/null || true
}

# run_as_student_in FOLDER COMMAND...: runs COMMAND in FOLDER, as nobody
# when root (compiling untrusted code needs no privileges).
run_as_student_in() {
	local folder=$1
	shift
	if [ "$(id -u)" -eq 0 ]; then
		chown -R "$STUDENT_USER:$student_group" "$folder"
		(cd "$folder" && as_student env HOME=/nonexistent "$@")
	else
		(cd "$folder" && exec "$@")
	fi
}

# kill_strays PROGRAM: kills, by PID, any process still running PROGRAM
# (a child that left its process group, say); bounded.
kill_strays() {
	local program=$1 round pid found
	for round in $(seq 1 20); do
		found=no
		for pid in $(find /proc -mindepth 2 -maxdepth 2 -name exe \
			\( -lname "$program" -o -lname "$program (deleted)" \) 2>/dev/null | cut -d/ -f3); do
			kill -KILL "$pid" 2>/dev/null || true
			found=yes
		done
		[ "$found" = yes ] || return 0
		sleep 0.1
	done
}

# stop_running_stage: kills the stage under way, if any, and removes its
# cgroup: the grader was stopped (Ctrl-C, SIGTERM) in the middle of it.
stop_running_stage() {
	[ -z "${running_stage_group:-}" ] || kill -KILL -- "-$running_stage_group" 2>/dev/null || true
	[ -z "${running_stage_cgroup:-}" ] || empty_and_remove_cgroup "$running_stage_cgroup"
	running_stage_group=
	running_stage_cgroup=
}

# A new network namespace shares the host's table of TCP connections,
# unless the namespace it is made from asks for one of its own
# (tcp_child_ehash_entries, Linux 6.1 and later).  The host's table is
# large (262144 buckets on a machine with 24 GiB), and every "ss -tan"
# of a test walks all of it: 22 ms a call, against 5 ms with 4096
# buckets, a tenth of the grader's time.  So the stage's namespace is
# made inside an outer one that asks for a small table, and the host's
# setting is left alone.  On an older kernel the file is missing and the
# stage shares the host's table: slower, nothing else.
small_connection_table=(sh -c 'echo 4096 >/proc/sys/net/ipv4/tcp_child_ehash_entries 2>/dev/null; exec "$@"' sh)

# run_stage_contained STAGE SUITE...: runs lib/run-stage for STAGE in the
# sandbox, bounded by stage_time_limit.  Leaves $work/STAGE/timed-out if
# the bound was hit.
run_stage_contained() {
	local stage=$1 status=0 stage_cgroup= stage_group sandbox_command=() time_limit
	shift
	time_limit=$(stage_time_limit "$stage")
	local -a environment=(
		KIT_ROOT="$kit_root"
		GRADE_PSOCKETS="$psockets"
		GRADE_SYSLOG_SINK="$tools/syslog-sink"
		SERVER_BIN="$work/$stage/build/TCPEchod"
		SUBMISSION_STAGE_DIR="$submission/$stage"
		SERVER_WRAPPER="$lib/contain-server"
		TEST_TIME_LIMIT="$TEST_TIME_LIMIT"
		SERVER_TIME_LIMIT="$((TEST_TIME_LIMIT + 10))"
		SERVER_MAX_PROCESSES="$SERVER_MAX_PROCESSES"
	)
	case $sandbox in
	root)
		sandbox_command=(unshare --net "${small_connection_table[@]}"
			unshare --net --pid --fork --kill-child --mount-proc)
		environment+=(GRADE_NEW_NETWORK=yes) ;;
	userns)
		sandbox_command=(unshare --user --map-root-user --net "${small_connection_table[@]}"
			unshare --net --pid --fork --kill-child --mount-proc)
		environment+=(GRADE_NEW_NETWORK=yes) ;;
	esac
	if [ "$(id -u)" -eq 0 ]; then
		environment+=(SERVER_USER="$STUDENT_USER" SERVER_GROUP="$student_group")
	fi
	if [ -n "$cgroup_parent" ]; then
		stage_cgroup="$cgroup_parent/kit-grade.$$.$stage"
		if make_cgroup "$stage_cgroup" "$STAGE_MAX_PROCESSES" &&
			make_cgroup "$stage_cgroup/server" "$SERVER_MAX_PROCESSES"; then
			environment+=(SERVER_CGROUP="$stage_cgroup/server")
		else
			empty_and_remove_cgroup "$stage_cgroup"
			stage_cgroup=
		fi
	fi
	(
		# Join the stage's cgroup first: everything started from here is in it.
		[ -z "$stage_cgroup" ] || echo 0 >"$stage_cgroup/cgroup.procs"
		exec env "${environment[@]}" setsid timeout --kill-after=5 "$time_limit" \
			"${sandbox_command[@]}" "$lib/run-stage" "$work/$stage" "$@" \
			</dev/null >"$work/$stage/run.log" 2>&1
	) &
	stage_group=$!
	# For finish_on_exit, should the grader be stopped meanwhile.
	running_stage_group=$stage_group
	running_stage_cgroup=$stage_cgroup
	wait "$stage_group" || status=$?
	running_stage_group=
	running_stage_cgroup=
	[ "$status" -ne 124 ] && [ "$status" -ne 137 ] || touch "$work/$stage/timed-out"
	# Whatever is left of the stage's session (setsid made it a group).
	kill -KILL -- "-$stage_group" 2>/dev/null || true
	[ -z "$stage_cgroup" ] || empty_and_remove_cgroup "$stage_cgroup"
	kill_strays "$work/$stage/build/TCPEchod"
}
