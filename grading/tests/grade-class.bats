#!/usr/bin/env bats
# grading/grade-class grades a whole class: a small class, graded two
# students at a time with a fork bomb among them, gets for every other
# student the scores grading/grade gives that student alone; the
# gradebook, the reports and the class summary say what they must;
# unsafe archives are refused with a reason; Ctrl-C stops cleanly and
# --resume grades the rest.  Stages 01 and 04 only, to stay quick.
#
# The class (setup_file):
#   ann/labs/           solutions 01 and 04
#   bob-fork-bomb/      solution 01, a fork bomb in 04
#   carl.zip            Carl/labs/: the IPv4-only mutant in 01 (no 04)
#   dave.tar.gz         a loose stage folder: the mutant that dies of
#                       SIGPIPE in 04 (no 01)
#   eve-refused.zip     a path with ".."
#   frank-empty/        nothing

setup_file() {
	local kit_root class sources
	kit_root=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	class="$BATS_FILE_TMPDIR/class"
	sources="$BATS_FILE_TMPDIR/sources"
	mkdir -p "$class" "$sources"
	export BATS_TEST_DIRNAME
	(
		load "grader.bash"
		hand_in "$class/ann/labs" 01-sequential "$KIT_ROOT/solutions/01-sequential/TCPEchod.c"
		hand_in "$class/ann/labs" 04-sigpipe "$KIT_ROOT/solutions/04-sigpipe/TCPEchod.c"
		hand_in "$class/bob-fork-bomb" 01-sequential "$KIT_ROOT/solutions/01-sequential/TCPEchod.c"
		hand_in "$class/bob-fork-bomb" 04-sigpipe "$KIT_ROOT/grading/tests/adversarial/fork-bomb/TCPEchod.c"
		hand_in_mutant "$sources/carl/Carl/labs" 01-sequential ipv4-only
		(cd "$sources/carl" && zip -qr "$class/carl.zip" Carl)
		hand_in_mutant "$sources/dave" 04-sigpipe dies-of-sigpipe
		tar -czf "$class/dave.tar.gz" -C "$sources/dave" 04-sigpipe
		hand_in "$sources/eve/a" 01-sequential "$KIT_ROOT/solutions/01-sequential/TCPEchod.c"
		(cd "$sources/eve/a" && zip -q "$class/eve-refused.zip" ../a/01-sequential/TCPEchod.c)
		mkdir "$class/frank-empty"
	)
	GRADE_WORKDIR=$(mktemp -d /tmp/grade-class-test.XXXXXX)
	chmod 755 "$GRADE_WORKDIR"
	echo "$GRADE_WORKDIR" >"$BATS_FILE_TMPDIR/workdir"
	local started=$(date +%s) status=0
	TMPDIR="$GRADE_WORKDIR" "$kit_root/grading/grade-class" --jobs 2 --lab 01 --lab 04 \
		--output "$BATS_FILE_TMPDIR/grades" "$class" >"$BATS_FILE_TMPDIR/class.out" 2>&1 3>&- || status=$?
	echo "$status $(($(date +%s) - started))" >"$BATS_FILE_TMPDIR/class.status"
	# Each gradable student alone, one after another, for comparison.
	for student in ann:"$class/ann/labs" bob-fork-bomb:"$class/bob-fork-bomb" \
		carl:"$sources/carl/Carl/labs" dave:"$sources/dave"; do
		"$kit_root/grading/grade" --lab 01 --lab 04 --format json \
			--output "$BATS_FILE_TMPDIR/alone-${student%%:*}.json" "${student#*:}" >/dev/null 2>&1 3>&- || true
	done
}

teardown_file() {
	rm -rf "$(cat "$BATS_FILE_TMPDIR/workdir")"
}

setup() {
	load "grader.bash"
	GRADES="$BATS_FILE_TMPDIR/grades"
}

# csv_scores NAME: "01=S 04=S total=T max=M status" from grades.csv.
csv_scores() {
	awk -F, -v name="$1" '$1 == name { print "01=" $2 " 04=" $3 " total=" $4 " max=" $5 " " $6 }' "$GRADES/grades.csv"
}

# alone_scores NAME: the same, from grading/grade alone.
alone_scores() {
	jq -r --arg max "$(($(stage_max 01-sequential) + $(stage_max 04-sigpipe)))" '
		def stage($s): [.tests[] | select(.tags[0] == $s) | .score] | add;
		"01=\(stage("01-sequential")) 04=\(stage("04-sigpipe")) total=\(.score) max=\($max) graded"' \
		"$BATS_FILE_TMPDIR/alone-$1.json"
}

@test "graded two at a time with a fork bomb among them, every student scores what grading/grade gives alone" {
	cat "$BATS_FILE_TMPDIR/class.out"
	read -r status seconds <"$BATS_FILE_TMPDIR/class.status"
	assert_equal "$status" 0
	[ "$seconds" -le 120 ] || fail "grade-class took $seconds s"
	local student
	for student in ann bob-fork-bomb carl dave; do
		assert_equal "$student: $(csv_scores "$student")" "$student: $(alone_scores "$student")"
	done
	# And the scores are the ones expected: the bugs lose points, the bomb its stage.
	assert_equal "$(csv_scores ann)" "01=110 04=$(stage_max 04-sigpipe) total=$((110 + $(stage_max 04-sigpipe))) max=$((110 + $(stage_max 04-sigpipe))) graded"
	[[ $(csv_scores bob-fork-bomb) == "01=110 04=0 "* ]] || fail "bob: $(csv_scores bob-fork-bomb)"
	[[ $(csv_scores carl) == "01=95 04=0 "* ]] || fail "carl: $(csv_scores carl)"
	[[ $(csv_scores dave) == "01=0 04="[1-9]* ]] || fail "dave: $(csv_scores dave)"
}

@test "grades.csv: one row per student, sorted by name, with graded, not submitted or refused and its reason" {
	run cat "$GRADES/grades.csv"
	echo "$output"
	assert_line --index 0 "student,01-sequential,04-sigpipe,total,max,status"
	assert_equal "$(cut -d, -f1 "$GRADES/grades.csv" | tail -n +2 | tr '\n' ' ')" \
		"ann bob-fork-bomb carl dave eve-refused frank-empty "
	assert_line --regexp '^eve-refused,0,0,0,[0-9]+,"refused: the archive holds a path with ""\.\."""$'
	assert_line --regexp '^frank-empty,0,0,0,[0-9]+,not submitted$'
}

@test "each student gets a human report and a Gradescope JSON; summary.md ranks the lost tests and names the handout" {
	local student
	for student in ann bob-fork-bomb carl dave eve-refused frank-empty; do
		jq -e '.score >= 0 and (.tests | type) == "array"' "$GRADES/students/$student.json" >/dev/null ||
			fail "students/$student.json is not a results.json"
		[ -s "$GRADES/students/$student.txt" ] || fail "no students/$student.txt"
	done
	run cat "$GRADES/students/carl.txt"
	assert_output --partial "Stage folders found in: Carl/labs/ in the archive"
	assert_output --partial "✗ echoes a line of text over IPv6 (the listener is dual-stack)  0/15"
	assert_output --regexp "hint: .* See labs/01-sequential/README.md, '[^']+'\."
	run cat "$GRADES/summary.md"
	echo "$output"
	assert_output --partial "6 students: 4 graded, 1 not submitted, 1 refused, 0 grader errors."
	assert_output --regexp '\| 01-sequential \| 110 \| 2 \| 1 \| 0 \| 0 \| 0 \| 1 \|'
	# Carl's bug is a test the class failed, Dave's stage 01 one it lost unsubmitted.
	assert_output --regexp "\| 1/4 \| 1 \| 01-sequential: echoes a line of text over IPv6 \(the listener is dual-stack\) \| 15 \| labs/01-sequential/README.md, '[^']+' \|"
	# Bob's fork bomb fails the gate; Carl handed in no stage 04.
	assert_output --regexp "\| 04-sigpipe \| 1 \| 0 \| 1 \| 0 \|"
}

@test "nothing the class's grading started is left running, and its users are its own" {
	local user
	for user in labkit1 labkit2; do
		[ "$(id -u)" -ne 0 ] || id -u "$user" >/dev/null || fail "no user $user"
		[ -z "$(ps -u "$user" -o pid= 2>/dev/null)" ] ||
			fail "processes of $user left: $(ps -u "$user" -o pid,stat,args)"
	done
	[ -z "$(ls "$(cat "$BATS_FILE_TMPDIR/workdir")")" ] || fail "scratch left: $(ls "$(cat "$BATS_FILE_TMPDIR/workdir")")"
}

@test "unsafe archives are refused, each with its reason, and the other students still graded" {
	local class="$BATS_TEST_TMPDIR/class" sources="$BATS_TEST_TMPDIR/sources"
	mkdir -p "$class" "$sources/labs/01-sequential"
	cp "$KIT_ROOT/solutions/01-sequential/TCPEchod.c" "$sources/labs/01-sequential/"
	tar -czPf "$class/absolute.tgz" "$sources/labs/01-sequential/TCPEchod.c"
	ln -s /etc/passwd "$sources/labs/01-sequential/answers.md"
	tar -czf "$class/link-out.tgz" -C "$sources" labs
	rm "$sources/labs/01-sequential/answers.md"
	head -c $((51 * 1024 * 1024)) /dev/zero >"$sources/zeros"
	(cd "$sources" && zip -q "$class/bomb.zip" zeros)
	printf 'x' >"$class/not-an-archive.rar"
	mkdir -p "$class/a-linked-folder/labs/01-sequential"
	ln -s /etc/passwd "$class/a-linked-folder/labs/01-sequential/TCPEchod.c"
	run "$KIT_ROOT/grading/grade-class" --jobs 2 --lab 01 --output "$BATS_TEST_TMPDIR/grades" "$class" 3>&-
	echo "$output"
	assert_success
	run cat "$BATS_TEST_TMPDIR/grades/grades.csv"
	echo "$output"
	assert_line --regexp '^a-linked-folder,0,0,110,refused: it holds a link pointing outside it$'
	assert_line --regexp '^absolute,0,0,110,refused: the archive holds an absolute path$'
	assert_line --regexp '^bomb,0,0,110,refused: more than 50 MiB unpacked'
	assert_line --regexp '^link-out,0,0,110,refused: the archive holds a link pointing outside it$'
	assert_line --regexp '^not-an-archive.rar,0,0,110,"refused: not a folder, a .zip or a .tar.gz"$'
}

@test "the command line: usage errors exit 2; a class with no entry is a whole-run error" {
	run "$KIT_ROOT/grading/grade-class" 3>&-
	assert_failure 2
	assert_output --partial "usage: grading/grade-class"
	run "$KIT_ROOT/grading/grade-class" --jobs 0 "$BATS_TEST_TMPDIR" 3>&-
	assert_failure 2
	run "$KIT_ROOT/grading/grade-class" --lab 42 "$BATS_TEST_TMPDIR" 3>&-
	assert_failure 2
	assert_output --partial 'unknown lab "42"'
	mkdir "$BATS_TEST_TMPDIR/nobody-here"
	run "$KIT_ROOT/grading/grade-class" --output "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/nobody-here" 3>&-
	assert_failure 2
	assert_output --partial "no student entries"
}

@test "Ctrl-C stops cleanly: the graded stay in grades.csv, nothing is left running, --resume grades the rest" {
	local class="$BATS_TEST_TMPDIR/class" grades="$BATS_TEST_TMPDIR/grades" pid status=0 tries
	for student in a b c; do
		hand_in "$class/$student" 01-sequential "$KIT_ROOT/solutions/01-sequential/TCPEchod.c"
	done
	# A background job of a script starts with SIGINT ignored: restore it,
	# as a terminal's foreground job has it.
	env --default-signal=INT "$KIT_ROOT/grading/grade-class" --jobs 1 --lab 01 --output "$grades" "$class" \
		>"$BATS_TEST_TMPDIR/run.out" 2>&1 3>&- &
	pid=$!
	for tries in $(seq 1 600); do
		[ "$(wc -l <"$grades/grades.csv" 2>/dev/null || echo 0)" -lt 2 ] || break
		sleep 0.1
	done
	kill -INT "$pid"
	wait "$pid" || status=$?
	cat "$BATS_TEST_TMPDIR/run.out"
	assert_equal "$status" 130
	[ "$(wc -l <"$grades/grades.csv")" -ge 2 ] || fail "nothing graded in grades.csv"
	[ -z "$(ps -u labkit1 -o pid= 2>/dev/null)" ] || fail "processes left: $(ps -u labkit1 -o pid,args)"
	run "$KIT_ROOT/grading/grade-class" --jobs 2 --lab 01 --resume --output "$grades" "$class" 3>&-
	echo "$output"
	assert_success
	assert_output --regexp "3 students in .*, [12] to grade"
	run cat "$grades/grades.csv"
	assert_line "a,110,110,110,graded"
	assert_line "b,110,110,110,graded"
	assert_line "c,110,110,110,graded"
}
