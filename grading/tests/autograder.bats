#!/usr/bin/env bats
# make autograder builds the zip Gradescope wants, and its run_autograder
# grades what a student uploads.  Gradescope's tree (/autograder/source,
# /submission, /results) is faked under a scratch folder (AUTOGRADER_ROOT):
# the zip is unpacked into source/ and its setup.sh run there, as
# Gradescope does.  The zip is built for stage 01 only, to stay quick.

setup_file() {
	local kit_root root
	kit_root=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	root="$BATS_FILE_TMPDIR/autograder"
	make -s -C "$kit_root" autograder LAB=01 AUTOGRADER_ZIP="$BATS_FILE_TMPDIR/autograder.zip" \
		>"$BATS_FILE_TMPDIR/make.log" 2>&1
	mkdir -p "$root/source"
	unzip -q "$BATS_FILE_TMPDIR/autograder.zip" -d "$root/source"
	AUTOGRADER_ROOT="$root" "$root/source/setup.sh" >"$BATS_FILE_TMPDIR/setup.log" 2>&1 3>&-
}

setup() {
	load "grader.bash"
	ROOT="$BATS_FILE_TMPDIR/autograder"
	rm -rf "$ROOT/submission" "$ROOT/results"
	mkdir -p "$ROOT/submission"
}

# run_autograder: runs the unpacked run_autograder on $ROOT; the results
# in $output (and the checks' jq input at $RESULTS).
run_autograder() {
	RESULTS="$ROOT/results/results.json"
	AUTOGRADER_ROOT="$ROOT" "$ROOT/source/run_autograder" 3>&-
	[ -f "$RESULTS" ] || fail "run_autograder wrote no results.json"
	jq -e . "$RESULTS" >/dev/null || fail "results.json is not valid JSON: $(cat "$RESULTS")"
}

@test "make autograder builds a zip with setup.sh and run_autograder at its top, for the stages asked" {
	cat "$BATS_FILE_TMPDIR/make.log" "$BATS_FILE_TMPDIR/setup.log"
	run unzip -Z1 "$BATS_FILE_TMPDIR/autograder.zip"
	assert_line setup.sh
	assert_line run_autograder
	assert_line grading/grade
	assert_line grading/check-capture
	assert_line labs/01-sequential/Makefile
	refute_line --regexp '^solutions/'
	refute_line --regexp '^grading/(tests|mutants)/'
	assert_equal "$(cat "$ROOT/source/grading/autograder/labs")" 01-sequential
	[ -x "$ROOT/source/psockets2/TCPEcho" ] || fail "setup.sh did not build psockets2"
}

@test "a full-marks upload (the whole labs/ folder) scores full marks in results.json" {
	mkdir -p "$ROOT/submission/labs"
	hand_in "$ROOT/submission/labs" 01-sequential "$KIT_ROOT/solutions/01-sequential/TCPEchod.c"
	run_autograder
	run jq -r '[.score, ([.tests[].max_score] | add), (.tests | length),
		([.tests[] | select(.status != "passed")] | length), .output] | @tsv' "$RESULTS"
	IFS=$'\t' read -r score max tests failed message <<<"$output"
	assert_equal "$score" "$(stage_max 01-sequential)"
	assert_equal "$max" "$(stage_max 01-sequential)"
	assert_equal "$failed" 0
	[ "$tests" -gt 0 ]
	[[ $message == *"found in labs/ in your upload"* ]] || fail "output: $message"
}

@test "a buggy upload (a zip of loose stage folders) loses the points of its bug, with a hint to the handout" {
	local folder="$BATS_TEST_TMPDIR/upload"
	hand_in_mutant "$folder" 01-sequential ipv4-only
	(cd "$folder" && zip -qr "$ROOT/submission/my labs.zip" 01-sequential)
	run_autograder
	run jq -r '.tests[] | select(.status != "passed") | .name' "$RESULTS"
	assert_output "01-sequential: echoes a line of text over IPv6 (the listener is dual-stack)"
	run jq -r '.score' "$RESULTS"
	assert_equal "$output" "$(($(stage_max 01-sequential) - 15))"
	run jq -r '.tests[] | select(.status != "passed") | .output' "$RESULTS"
	assert_output --regexp "hint: .* See labs/01-sequential/README.md, '[^']+'\."
	run jq -r .output "$RESULTS"
	assert_output --partial "my labs.zip"
}

@test "an empty upload scores 0 and says what to upload" {
	run_autograder
	run jq -r '[.score, (.tests | length), .output] | @tsv' "$RESULTS"
	assert_output --regexp $'^0\t0\tNo stage folder .* was found in your upload'
}

@test "an unsafe zip is refused with its reason, in results.json" {
	local folder="$BATS_TEST_TMPDIR/upload/a"
	mkdir -p "$folder/01-sequential"
	cp "$KIT_ROOT/solutions/01-sequential/TCPEchod.c" "$folder/01-sequential/"
	(cd "$folder" && zip -q "$ROOT/submission/labs.zip" ../a/01-sequential/TCPEchod.c)
	run_autograder
	run jq -r '[.score, .output] | @tsv' "$RESULTS"
	assert_output --partial $'0\tYour upload was not graded: labs.zip: the archive holds a path with ".."'
}
