#!/usr/bin/env bats
# Student code is untrusted: each hostile submission in adversarial/ must
# score 0 in its stage with a clear reason, within a bound, leave no
# process behind, and not disturb the grading of the other stages.
#
# Two submissions hold them, one per stage (grading all eight in one
# stage each would take twice as long):
#   A: 01 does-not-compile, 02 never-answers, 03 crashes-at-once,
#      04 fork-bomb, 05 setsid-child
#   B: 01 fake-tap, 02 other-port, 03 sleeps-in-handler; 04 and 05 are
#      the reference solutions, which must still score full marks.

setup() {
	load "grader.bash"
	ADVERSARIAL="$BATS_TEST_DIRNAME/adversarial"
	# The grader's work folder goes here, to find its processes after; the
	# server user (nobody) must reach it, and bats' own folders are private.
	GRADE_WORKDIR=$(mktemp -d /tmp/grader-adversarial.XXXXXX)
	chmod 755 "$GRADE_WORKDIR"
	export GRADE_WORKDIR
}

teardown() {
	rm -rf "$GRADE_WORKDIR"
}

# hand_in_hostile SUBMISSION STAGE NAME
hand_in_hostile() {
	hand_in "$1" "$2" "$ADVERSARIAL/$3/TCPEchod.c"
}

# no_process_added_since LIST: no process of the grading's is running
# that is not in LIST (from processes_left_by_grading).
no_process_added_since() {
	[ -z "$(comm -13 <(echo "$1") <(processes_left_by_grading "$GRADE_WORKDIR" | sort))" ]
}

# grade_within SECONDS SUBMISSION [SANDBOX]: grades in TAP, checks the time
# bound and that no process or cgroup is left behind.  Output in $output,
# exit status in $status (as bats' run sets them).
grade_within() {
	local bound=$1 submission=$2 before after started elapsed tries grader
	before=$(processes_left_by_grading "$GRADE_WORKDIR" | sort)
	started=$(date +%s)
	# In the background, to know the grader's PID: its cgroups carry it.
	env GRADE_SANDBOX="${3:-auto}" "$GRADE" --format tap "$submission" \
		>"$BATS_TEST_TMPDIR/report" 2>&1 3>&- &
	grader=$!
	status=0
	wait "$grader" || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/report")
	mapfile -t lines <"$BATS_TEST_TMPDIR/report"
	elapsed=$(($(date +%s) - started))
	echo "$output"
	[ "$elapsed" -le "$bound" ] || fail "grading took $elapsed s, more than $bound s"
	# Processes killed with their namespace may take a moment to vanish:
	# only those still there after 5 s are left behind.
	for tries in $(seq 1 50); do
		no_process_added_since "$before" && break
		sleep 0.1
	done
	after=$(processes_left_by_grading "$GRADE_WORKDIR" | sort)
	[ -z "$(comm -13 <(echo "$before") <(echo "$after"))" ] ||
		fail "processes left behind: $(comm -13 <(echo "$before") <(echo "$after") | xargs ps -o pid,user,stat,args -p)"
	[ -z "$(cgroups_of_grader "$grader")" ] ||
		fail "cgroups left behind: $(cgroups_of_grader "$grader")"
}

# The cgroups grading/grade PID made (kit-grade.PID.STAGE) that are still
# there: only this grading's count, others may grade at the same time.
cgroups_of_grader() {
	ls -d "/sys/fs/cgroup/pids/kit-grade.$1."* "/sys/fs/cgroup/kit-grade.$1."* 2>/dev/null || true
}

# stage_fails_because STAGE REASON: STAGE scored 0, and its tests give REASON.
stage_fails_because() {
	assert_output --partial "# $1: 0/"
	assert_output --regexp "not ok [0-9]+ $1: .*"$'\n'"# $2"
}

@test "hostile submissions A: no compile, silence, a crash, a fork bomb, an escaping child" {
	local submission
	submission=$(new_submission)
	hand_in_hostile "$submission" 01-sequential does-not-compile
	hand_in_hostile "$submission" 02-fork never-answers
	hand_in_hostile "$submission" 03-reaper crashes-at-once
	hand_in_hostile "$submission" 04-sigpipe fork-bomb
	hand_in_hostile "$submission" 05-threads setsid-child
	grade_within 90 "$submission"
	assert_failure 1
	stage_fails_because 01-sequential "does not compile:"
	assert_output --partial "error: ‘undeclared_variable’ undeclared"
	stage_fails_because 02-fork "listened on port [0-9]+ but did not echo a line back within 3 s"
	stage_fails_because 03-reaper "never listened on port [0-9]+: it was killed by signal SIGSEGV"
	stage_fails_because 04-sigpipe "listened on port [0-9]+ but did not echo a line back"
	stage_fails_because 05-threads "never listened on port [0-9]+: it exited with status 0"
	assert_line "# total: 0/$(awk -F'\t' '!/^#/ { s += $2 } END { print s }' "$KIT_ROOT/grading/rubric")"
}

@test "hostile submissions B: forged TAP, another port, a handler that never returns; the rest graded normally" {
	local submission
	submission=$(new_submission)
	hand_in_hostile "$submission" 01-sequential fake-tap
	hand_in_hostile "$submission" 02-fork other-port
	hand_in_hostile "$submission" 03-reaper sleeps-in-handler
	hand_in "$submission" 04-sigpipe "$KIT_ROOT/solutions/04-sigpipe/TCPEchod.c"
	hand_in "$submission" 05-threads "$KIT_ROOT/solutions/05-threads/TCPEchod.c"
	grade_within 120 "$submission"
	assert_failure 1
	stage_fails_because 01-sequential "never listened on port [0-9]+: it exited with status 0"
	refute_output --regexp '^ok [0-9]+ 01-sequential'
	stage_fails_because 02-fork "never listened on port [0-9]+ within 3 s \(it listens on port [0-9]+ instead\)"
	stage_fails_because 03-reaper "listened on port [0-9]+ but did not echo a line back"
	assert_output --partial "# 04-sigpipe: $(stage_max 04-sigpipe)/$(stage_max 04-sigpipe)"
	assert_output --partial "# 05-threads: $(stage_max 05-threads)/$(stage_max 05-threads)"
}

@test "without namespaces (GRADE_SANDBOX=none) an escaping child and a fork bomb are still cleaned up" {
	local submission
	submission=$(new_submission)
	hand_in_hostile "$submission" 04-sigpipe fork-bomb
	hand_in_hostile "$submission" 05-threads setsid-child
	grade_within 60 "$submission" none
	assert_failure 1
	stage_fails_because 04-sigpipe "listened on port [0-9]+ but did not echo a line back"
	stage_fails_because 05-threads "never listened on port [0-9]+: it exited with status 0"
}

@test "as an unprivileged user the grader still isolates each stage (user namespaces) and grades in full, captures included" {
	id nobody >/dev/null 2>&1 || skip "no user nobody to run as"
	[ "$(id -u)" -eq 0 ] || skip "needs root to become another user"
	unshare --user --map-root-user true 2>/dev/null ||
		skip "this system forbids unprivileged user namespaces"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups env -u GRADE_WORKDIR HOME=/nonexistent \
		"$GRADE" --lab 01 --lab 03 --format tap 3>&-
	echo "$output"
	assert_success
	assert_output --partial "# 01-sequential: $(stage_max 01-sequential)/$(stage_max 01-sequential)"
	assert_output --partial "# 03-reaper: $(stage_max 03-reaper)/$(stage_max 03-reaper)"
}
