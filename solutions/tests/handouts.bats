#!/usr/bin/env bats
# The stage folders in labs/ and solutions/ stay in step: same files, the
# same handout, the same questions.

setup() {
	load "../../grading/lib/server.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	STAGES="01-sequential 02-fork 03-reaper 04-sigpipe 05-threads 06-limits 07-daemon 08-prefork 09-superserver 10-events"
}

@test "every stage folder in labs and solutions has its README.md, Makefile, TCPEchod.c and answers.md" {
	local stage side file missing=
	for stage in $STAGES; do
		for side in labs solutions; do
			for file in README.md Makefile TCPEchod.c answers.md; do
				[ -f "$KIT_ROOT/$side/$stage/$file" ] || missing+=" $side/$stage/$file"
			done
		done
	done
	[ -z "$missing" ] || fail "missing:$missing"
}

@test "each solution's README.md is its stage's handout, after a note of five lines" {
	local stage stale=
	for stage in $STAGES; do
		tail -n +6 "$KIT_ROOT/solutions/$stage/README.md" |
			cmp -s - "$KIT_ROOT/labs/$stage/README.md" || stale+=" $stage"
	done
	[ -z "$stale" ] || fail "solutions/NN/README.md differs from labs/NN/README.md for:$stale
(after editing a handout, put it under the note again: keep the first five lines of the solution's README and append labs/NN/README.md)"
}

@test "each solution's answers.md answers the questions its stage's answers.md asks" {
	local stage differ=
	for stage in $STAGES; do
		cmp -s <(grep -E '^[0-9]+\. ' "$KIT_ROOT/labs/$stage/answers.md") \
			<(grep -E '^[0-9]+\. ' "$KIT_ROOT/solutions/$stage/answers.md") ||
			differ+=" $stage"
	done
	[ -z "$differ" ] || fail "the questions differ between labs and solutions for:$differ"
}

@test "every starting point has TODO (step N) markers for steps its handout has, and no solution has any" {
	local stage step
	for stage in $STAGES; do
		grep -q "TODO (step" "$KIT_ROOT/labs/$stage/TCPEchod.c" ||
			fail "labs/$stage/TCPEchod.c has no TODO (step N) marker"
		for step in $(grep -o 'TODO (step [0-9]*' "$KIT_ROOT/labs/$stage/TCPEchod.c" | grep -o '[0-9]*$'); do
			grep -q "^$step\. \*\*" "$KIT_ROOT/labs/$stage/README.md" ||
				fail "labs/$stage/TCPEchod.c points to step $step, which its README.md does not have"
		done
		if grep -q "TODO" "$KIT_ROOT/solutions/$stage/TCPEchod.c"; then
			fail "solutions/$stage/TCPEchod.c still has a TODO marker"
		fi
	done
}
