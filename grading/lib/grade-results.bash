# grade-results.bash - turns one stage's run into scored results, for
# grading/grade.
#
# Every stage adds one line per test to $work/results, tab-separated:
#     stage  status(pass|fail)  score  max_score  milliseconds  name
# and the test's explanation (what was seen, the hint) to
# $work/<stage>/detail.<line number>.  A stage whose server was not tested
# (not submitted, does not compile, failed the gate) gets its reason in
# $work/<stage>/reason, and every test that did not run fails with it.

# rubric_rows STAGE: "points<TAB>name" for each of STAGE's tests.
rubric_rows() {
	awk -F'\t' -v stage="$1" '!/^#/ && $1 == stage { print $2 "\t" $3 }' "$rubric"
}

# Text from a student's program goes into every report format: keep it
# valid UTF-8, without control characters other than newline and tab.
clean_text() {
	iconv -f UTF-8 -t UTF-8 -c 2>/dev/null | tr -d '\000-\010\013-\037\177'
}

# add_result STAGE STATUS SCORE MAX MS NAME DETAIL
add_result() {
	local number
	number=$(($(wc -l <"$work/results") + 1))
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" >>"$work/results"
	printf '%s' "$7" | clean_text >"$work/$1/detail.$number"
}

# parse_tap TAP_FILE: prints "status<TAB>ms<TAB>name" per test, and writes
# each test's explanation to TAP_FILE.<name's position>: the lines bats
# printed after its own trace (which names grader files, not the
# student's).
parse_tap() {
	awk -v details="$1" '
	function flush() {
		if (!count) return
		first = 1
		# bats trace: "(from function ...", "(in test file ...", then the
		# failed command, ending in "failed" or "failed with status N".
		for (i = 1; i <= lines; i++)
			if (text[i] ~ /^  `.*'"'"' failed( with status [0-9]+| due to timeout)?$/) { first = i + 1; break }
		out = details "." count
		printf "%s", heading >out
		# bats kills a test at its time limit, and bash says so.
		for (i = first; i <= lines; i++) if (!(heading != "" && text[i] == "Terminated")) print text[i] >out
		close(out)
		lines = 0
		heading = ""
	}
	/^(not )?ok [0-9]+ / {
		flush()
		count++
		status = /^not / ? "fail" : "pass"
		name = $0
		sub(/^(not )?ok [0-9]+ /, "", name)
		# A skipped test was not graded: it earns nothing, and says so.
		skip_reason = ""
		if (match(name, / # skip.*$/)) {
			status = "skip"
			skip_reason = substr(name, RSTART + 8)
			name = substr(name, 1, RSTART - 1)
		}
		# A test stopped at its time limit (bats: BATS_TEST_TIMEOUT).
		timed_out = ""
		if (match(name, / # timeout after [0-9]+s$/)) {
			timed_out = substr(name, RSTART + 17, RLENGTH - 18)
			name = substr(name, 1, RSTART - 1)
		}
		ms = 0
		if (match(name, / in [0-9]+ms$/)) {
			ms = substr(name, RSTART + 4, RLENGTH - 6)
			name = substr(name, 1, RSTART - 1)
		}
		print status "\t" ms "\t" name
		heading = ""
		if (status == "skip") heading = "skipped, so not graded: " skip_reason "\n"
		if (timed_out != "") heading = "took longer than " timed_out " s, the time limit of one test, and was stopped (the other tests still ran)\n"
		next
	}
	/^#/ && count {
		line = $0
		sub(/^# ?/, "", line)
		text[++lines] = line
	}
	END { flush() }
	' "$1"
}

# The rubric's tests of STAGE that the suites gave no result for.
tests_without_results() {
	rubric_rows "$1" | cut -f2 | grep -vxF -f <(cut -f3 "$work/$1/parsed") || true
}

# record_stage_results STAGE REASON: REASON, if not empty, is why the
# stage's server could not be tested (not submitted, does not compile,
# failed the gate): every test fails with it.  Otherwise each test is
# scored from the TAP of the suites; a test the grader could not run
# (bats failed, the stage's backstop was hit) makes the stage's reason a
# grader error, and grade exits 2.
record_stage_results() {
	local stage=$1 reason=$2 points name status ms position not_run
	touch "$work/$stage/tap"
	parse_tap "$work/$stage/tap" >"$work/$stage/parsed"
	if [ -z "$reason" ] && [ -f "$work/$stage/timed-out" ]; then
		reason="grader error: the stage was stopped after $(stage_time_limit "$stage") s, though each of its tests has its own bound ($TEST_TIME_LIMIT s)"
	fi
	if [ -z "$reason" ] && [ -s "$work/$stage/grader-faults" ]; then
		reason="grader error: $(head -n 3 "$work/$stage/grader-faults" | tr '\n' ' ')"
	fi
	if [ -z "$reason" ] && [ -s "$work/$stage/bats-failed" ]; then
		reason="grader error: bats could not run the stage's tests: $(head -n 3 "$work/$stage/bats-failed" | tr '\n' ' ')$(tail -n 2 "$work/$stage/bats.err" 2>/dev/null | tr '\n' ' ' | sed 's/^./; it said: &/')"
	fi
	if [ -z "$reason" ] && [ -n "$(tests_without_results "$stage")" ]; then
		reason="grader error: no result for: $(tests_without_results "$stage" | head -n 3 | tr '\n' ';')$(tail -n 2 "$work/$stage/bats.err" 2>/dev/null | tr '\n' ' ' | sed 's/^./ bats said: &/')"
	fi
	[ -z "$reason" ] || printf '%s\n' "$reason" | clean_text >"$work/$stage/reason"
	not_run=$reason
	while IFS=$'\t' read -r points name; do
		position=$(awk -F'\t' -v name="$name" '$3 == name { print NR; exit }' "$work/$stage/parsed")
		if [ -z "$position" ]; then
			add_result "$stage" fail 0 "$points" 0 "$name" "$not_run"
			continue
		fi
		IFS=$'\t' read -r status ms _ < <(sed -n "${position}p" "$work/$stage/parsed")
		if [ "$status" = pass ]; then
			add_result "$stage" pass "$points" "$points" "$ms" "$name" ""
		else
			add_result "$stage" fail 0 "$points" "$ms" "$name" "$(cat "$work/$stage/tap.$position")"
		fi
	done < <(rubric_rows "$stage")
	# A test the rubric does not know is reported, for no points.
	while IFS=$'\t' read -r status ms name; do
		rubric_rows "$stage" | cut -f2 | grep -qxF -- "$name" ||
			add_result "$stage" "$status" 0 0 "$ms" "$name" \
				"(this test is not in grading/rubric: it is worth no points)
$(cat "$work/$stage/tap.$(awk -F'\t' -v name="$name" '$3 == name { print NR; exit }' "$work/$stage/parsed")")"
	done <"$work/$stage/parsed"
}

# Sums over $work/results: "passed failed score max_score" for STAGE, or
# for every stage without an argument.
sum_results() {
	awk -F'\t' -v stage="${1:-}" '
		stage == "" || $1 == stage {
			if ($2 == "pass") passed++; else failed++
			score += $3; max += $4 }
		END { print passed + 0, failed + 0, score + 0, max + 0 }' "$work/results"
}

grade_exit_status() {
	local passed failed score max
	read -r passed failed score max < <(sum_results)
	if grep -q '^grader error' "$work"/*/reason 2>/dev/null; then
		echo 2
	elif [ "$score" -eq "$max" ] && [ "$failed" -eq 0 ]; then
		echo 0
	else
		echo 1
	fi
}
