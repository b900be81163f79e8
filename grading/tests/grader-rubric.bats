#!/usr/bin/env bats
# grading/rubric, the stage suites' @test names and each handout's grading
# table must agree: a test the rubric does not know is worth nothing, and a
# handout that lists other tests misleads students.

setup() {
	load "grader.bash"
	RUBRIC="$KIT_ROOT/grading/rubric"
}

# rubric_of STAGE: "POINTS<TAB>NAME" lines, sorted.
rubric_of() {
	awk -F'\t' -v stage="$1" '!/^#/ && $1 == stage { print $2 "\t" $3 }' "$RUBRIC" | sort
}

stages() {
	awk -F'\t' '!/^#/ && !seen[$1]++ { print $1 }' "$RUBRIC"
}

@test "every rubric line has a stage, whole points and a test name" {
	run awk -F'\t' '!/^#/ && !(NF == 3 && $1 ~ /^[0-9][0-9]-[a-z]+$/ && $2 ~ /^[0-9]+$/ && $3 != "") { print "line " NR ": " $0 }' "$RUBRIC"
	assert_output ""
	run awk -F'\t' '!/^#/ { if (seen[$1 "\t" $3]++) print "twice: " $0 }' "$RUBRIC"
	assert_output ""
}

@test "the rubric and the suites' @test names agree, stage by stage" {
	local stage suite_tests rubric_tests problems=
	for stage in $(stages); do
		suite_tests=$(cat "$KIT_ROOT/grading/suites/${stage%%-*}-"*.bats |
			sed -n 's/^@test "\(.*\)" {$/\1/p' | sort)
		rubric_tests=$(rubric_of "$stage" | cut -f2 | sort)
		if [ "$suite_tests" != "$rubric_tests" ]; then
			problems+="$stage: only in the suites: [$(comm -23 <(echo "$suite_tests") <(echo "$rubric_tests") | paste -sd';')]"
			problems+=" only in the rubric: [$(comm -13 <(echo "$suite_tests") <(echo "$rubric_tests") | paste -sd';')]"$'\n'
		fi
	done
	for suite in "$KIT_ROOT"/grading/suites/*.bats; do
		stages | grep -q "^$(basename "$suite" | cut -c1-2)-" ||
			problems+="$(basename "$suite") belongs to no stage of the rubric"$'\n'
	done
	[ -z "$problems" ] || fail "$problems"
}

@test "each handout's grading table lists exactly the rubric's tests and points" {
	local stage handout table problems=
	for stage in $(stages); do
		handout="$KIT_ROOT/labs/$stage/README.md"
		if [ ! -f "$handout" ]; then
			problems+="labs/$stage/README.md is missing"$'\n'
			continue
		fi
		# Table rows "| 10 | test name |" after the grading heading.
		table=$(awk '/^## How this stage is graded/ { on = 1; next } /^## / { on = 0 }
			on && /^\| *[0-9]+ *\|/ { sub(/^\| */, ""); sub(/ *\| *$/, "")
				split($0, cell, / *\| */); print cell[1] "\t" cell[2] }' "$handout" | sort)
		[ "$table" = "$(rubric_of "$stage")" ] ||
			problems+="labs/$stage/README.md: $(diff <(rubric_of "$stage") <(echo "$table") | grep '^[<>]' | sed 's/^</rubric only:/; s/^>/handout only:/' | paste -sd';')"$'\n'
	done
	[ -z "$problems" ] || fail "$problems"
}

@test "every handout section the suites' hints name exists in that handout" {
	# Convention (grading/lib/suite.bash): a section name is a capitalised
	# string without final punctuation; hints and messages are sentences.
	local suite stage section problems=
	for suite in "$KIT_ROOT"/grading/suites/*.bats; do
		stage=$(stages | grep "^$(basename "$suite" | cut -c1-2)-")
		while read -r section; do
			handout_has_section "labs/$stage/README.md" "$section" ||
				problems+="$(basename "$suite"): '$section' is no section of labs/$stage/README.md"$'\n'
		done < <(grep -oE '"[A-Z][^"$]{0,60}"' "$suite" | grep -vE '[.:?!]"$' | tr -d '"' | sort -u)
	done
	[ -z "$problems" ] || fail "$problems"
}
