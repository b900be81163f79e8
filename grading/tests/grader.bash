# grader.bash - helpers for the grader's self-test (grading/tests/grader-*.bats).
# Load it from setup():  load "grader.bash"

KIT_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
GRADE="$KIT_ROOT/grading/grade"
bats_load_library bats-support
bats_load_library bats-assert

# grade ARGS...: runs the grader with descriptor 3 (bats' own) closed, so
# nothing it starts can write into this test's results.
grade() {
	"$GRADE" "$@" 3>&-
}

# new_submission: prints the path of a new, empty submission folder.
new_submission() {
	local folder
	folder=$(mktemp -d "$BATS_TEST_TMPDIR/submission.XXXXXX")
	echo "$folder"
}

# hand_in SUBMISSION STAGE SOURCE: puts SOURCE in SUBMISSION as STAGE's
# TCPEchod.c, next to the rest of the reference solution's stage folder
# (answers, captures), as a student would hand it in.
hand_in() {
	local stage_folder="$1/$2"
	mkdir -p "$stage_folder"
	cp -r "$KIT_ROOT/solutions/$2/." "$stage_folder/"
	rm -f "$stage_folder/TCPEchod"
	cp "$3" "$stage_folder/TCPEchod.c"
}

# hand_in_mutant SUBMISSION STAGE NAME: hands in the solution of STAGE
# with grading/mutants/STAGE/NAME.patch applied.
hand_in_mutant() {
	hand_in "$1" "$2" "$KIT_ROOT/solutions/$2/TCPEchod.c"
	patch --silent --force --fuzz=0 --no-backup-if-mismatch -o "$1/$2/TCPEchod.c" \
		"$KIT_ROOT/solutions/$2/TCPEchod.c" <"$KIT_ROOT/grading/mutants/$2/$3.patch"
}

# Names of the tests that lost points in a TAP report (standard input),
# without the stage prefix; sorted.
failed_tests_in_tap() {
	sed -n 's/^not ok [0-9]* [0-9][0-9]-[a-z]*: \(.*\) ([0-9]*\/[0-9]* points)$/\1/p' | sort
}

# Stage totals from a TAP report: "STAGE SCORE MAX" per line.
stage_scores_in_tap() {
	sed -n 's/^# \([0-9][0-9]-[a-z]*\): \([0-9]*\)\/\([0-9]*\)$/\1 \2 \3/p'
}

# The handout sections that the hints in a TAP report point to, as
# "HANDOUT<TAB>SECTION" lines.
hinted_sections_in_tap() {
	grep -o "See labs/[0-9a-z-]*/README.md, '[^']*'" | sort -u |
		sed "s/^See \(.*\), '\(.*\)'$/\1\t\2/"
}

# Does HANDOUT have SECTION, as a heading or as a bold step title?
handout_has_section() {
	local handout="$KIT_ROOT/$1"
	grep -qxF -e "## $2" -e "### $2" -e "#### $2" "$handout" 2>/dev/null ||
		grep -qF -e "**$2.**" -e "**$2**" "$handout" 2>/dev/null
}

# Processes that might be left by a grading run: those of the user
# nobody (the sandbox's server user) and those running a program from the
# grader's work folder under $1.  Only those of this PID namespace: a
# grading's namespaces die with it, so nothing of its can be left in one,
# and others may be grading at the same time in theirs.  Zombies do not
# count: they are dead, and reaping an orphan is its new parent's job
# (init's).
processes_left_by_grading() {
	local pid exe our_namespace
	our_namespace=$(readlink /proc/self/ns/pid)
	{
		ps -u nobody -o pid=,stat= 2>/dev/null | awk '$2 !~ /^Z/ { print $1 }'
		for pid in $(ls /proc | grep -E '^[0-9]+$'); do
			exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
			case $exe in "$1"/*) echo "$pid" ;; esac
		done
	} | while read -r pid; do
		[ "$(readlink "/proc/$pid/ns/pid" 2>/dev/null)" != "$our_namespace" ] || echo "$pid"
	done
}

# The most points STAGE can score, from the rubric.
stage_max() {
	awk -F'\t' -v stage="$1" '!/^#/ && $1 == stage { sum += $2 } END { print sum + 0 }' \
		"$KIT_ROOT/grading/rubric"
}
