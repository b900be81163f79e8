#!/usr/bin/env bats
# The grader catches each bug of grading/mutants/ in the tests named for
# it, with the hint named for each, and gives full marks to the correct
# alternatives there.
#
# grading/mutants/STAGE/ holds:
#   NAME.patch   a small unified diff against solutions/STAGE/TCPEchod.c,
#                after a header that says what is wrong and, per test it
#                must fail, a "Fails: TEST NAME" line and a "Hint:
#                HANDOUT, 'SECTION'" line (the section its hint must
#                name).  A patch without Fails lines (ok-*.patch) is a
#                correct variant: full marks.  A patch that no longer
#                applies exactly (the solution changed) fails this test.
#   ok-NAME.c    a correct alternative, a whole file in another style,
#                which must score full marks.
# Every mutant must be built with the kit's strict flags, except one whose
# file says "Grader: built with -D_DEFAULT_SOURCE".  Each is graded with
# --lab STAGE only, in the reference solution's stage folder.

setup() {
	load "grader.bash"
}

# source_of_mutant STAGE FILE OUT: writes the mutant's TCPEchod.c to OUT.
source_of_mutant() {
	case $2 in
	*.patch) patch --silent --force --fuzz=0 --no-backup-if-mismatch --reject-file=- \
		-o "$3" "$KIT_ROOT/solutions/$1/TCPEchod.c" <"$2" >/dev/null 2>&1 ;;
	*.c) cp "$2" "$3" ;;
	esac
}

# expected_failures_of FILE: "TEST NAME<TAB>HINT" per test it must fail.
expected_failures_of() {
	[ "${1%.patch}" != "$1" ] || return 0
	awk '/^--- / { exit }
		/^Fails: / { if (test != "") print test "\t"; test = substr($0, 8) }
		/^Hint: / { print test "\t" substr($0, 7); test = "" }
		END { if (test != "") print test "\t" }' "$1" | sort
}

expected_build_of() {
	if grep -q 'Grader: built with -D_DEFAULT_SOURCE' "$1"; then
		echo "glibc's default features"
	else
		echo "the kit's strict flags"
	fi
}

# The explanation under a failed test in a TAP report, on one line.
detail_in_tap() {
	awk -v name="$2" '
		/^(not )?ok / { inside = index($0, ": " name " (") > 0; next }
		inside && /^# / { printf "%s ", substr($0, 3) }' "$1"
}

# check_mutants_of STAGE: grades every mutant of STAGE, all at once (each
# stage runs in its own namespaces, so they cannot meet; and most of a
# broken server's grading is waiting); fails listing each mutant whose
# failed tests differ from its Fails lines, whose hints name another
# section, whose build is not the one expected, or whose patch does not
# apply; and each hint pointing to a handout section that does not exist.
check_mutants_of() {
	local stage=$1 mutant name submission pids=() names=() files=() k status expected actual problems=
	local test hint tap
	for mutant in "$KIT_ROOT/grading/mutants/$stage"/*.patch "$KIT_ROOT/grading/mutants/$stage"/ok-*.c; do
		[ -e "$mutant" ] || continue
		name=$(basename "$mutant")
		submission=$(new_submission)
		hand_in "$submission" "$stage" "$KIT_ROOT/solutions/$stage/TCPEchod.c"
		if ! source_of_mutant "$stage" "$mutant" "$submission/$stage/TCPEchod.c"; then
			problems+="$name does not apply to solutions/$stage/TCPEchod.c: remake it against the solution"$'\n'
			continue
		fi
		grade --lab "$stage" --format tap "$submission" >"$BATS_TEST_TMPDIR/$name.tap" 2>&1 &
		pids+=($!)
		names+=("$name")
		files+=("$mutant")
	done
	[ ${#names[@]} -gt 0 ] || fail "no mutants for $stage"
	for k in "${!pids[@]}"; do
		name=${names[k]}
		tap="$BATS_TEST_TMPDIR/$name.tap"
		status=0
		wait "${pids[k]}" || status=$?
		expected=$(expected_failures_of "${files[k]}" | cut -f1)
		actual=$(failed_tests_in_tap <"$tap")
		if [ "$actual" != "$expected" ]; then
			problems+="$name failed [${actual//$'\n'/; }], expected [${expected//$'\n'/; }]"$'\n'
		fi
		if [ -z "$expected" ] && [ "$status" -ne 0 ] || [ -n "$expected" ] && [ "$status" -ne 1 ]; then
			problems+="$name: grade exited with status $status: $(grep -m 2 '^grade:' "$tap" || true)"$'\n'
		fi
		while IFS=$'\t' read -r test hint; do
			[ -n "$hint" ] || continue
			detail_in_tap "$tap" "$test" | grep -qF "See $hint." ||
				problems+="$name: the hint under \"$test\" does not name $hint: $(detail_in_tap "$tap" "$test" | head -c 400)"$'\n'
		done < <(expected_failures_of "${files[k]}")
		grep -qF "# $stage built with $(expected_build_of "${files[k]}")" "$tap" ||
			problems+="$name: not built with $(expected_build_of "${files[k]}"): $(grep -m 1 "# $stage built with" "$tap")"$'\n'
		while IFS=$'\t' read -r handout section; do
			handout_has_section "$handout" "$section" ||
				problems+="$name: a hint points to '$section' in $handout, which has no such section"$'\n'
		done < <(hinted_sections_in_tap <"$tap")
	done
	[ -z "$problems" ] || fail "$problems"
}

@test "stage 01 mutants lose points exactly where their bug is named, with its hint; recv/send scores full" {
	check_mutants_of 01-sequential
}

@test "stage 02 mutants lose points exactly where their bug is named, with its hint (a detached process fails every test); SIG_IGN scores full" {
	check_mutants_of 02-fork
}

@test "stage 03 mutants lose points exactly where their bug is named, with its hint (a one-shot signal() reaper, an IPv4-only listener); SIG_IGN, an EINTR loop and a _DEFAULT_SOURCE build score full" {
	check_mutants_of 03-reaper
}

@test "stage 04 mutants lose points exactly where their bug is named, with its hint (a chatty server dying of SIGPIPE); a SIGPIPE handler and a server printing tens of MiB score full" {
	check_mutants_of 04-sigpipe
}

@test "stage 05 mutants lose points exactly where their bug is named, with its hint; the descriptor in the pointer scores full" {
	check_mutants_of 05-threads
}

@test "stage 06 mutants lose points exactly where their bug is named, with its hint; a self-pipe and a reserve descriptor score full" {
	check_mutants_of 06-limits
}

@test "stage 07 mutants lose points exactly where their bug is named, with its hint (one fork without setsid, a session leader, a descriptor left open, stdio left where it was, no chdir, printf instead of syslog, a PID file left behind); a daemon that listens after it detaches scores full" {
	check_mutants_of 07-daemon
}

@test "stage 08 mutants lose points exactly where their bug is named, with its hint (a fork per client inside the pool, a parent that accepts, orphans after SIGTERM); workers with SIGTERM's default action and a parent in sigsuspend score full" {
	check_mutants_of 08-prefork
}

@test "stage 09 mutants lose points exactly where their bug is named, with its hint (a leaked listener or connection, setuid before setgid, no _exit after a failed exec); FD_CLOEXEC and stderr on the connection score full" {
	check_mutants_of 09-superserver
}

@test "stage 10 mutants lose points exactly where their bug is named, with its hint (blocking writes, an unbounded buffer, a busy loop, a blocking listener, a closed client left in the set, SIGPIPE's default); select and MSG_NOSIGNAL score full" {
	check_mutants_of 10-events
}
