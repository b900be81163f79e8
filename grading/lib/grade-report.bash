# grade-report.bash - writes grading/grade's report from $work/results
# (see grade-results.bash) in one of four formats:
#   human  per test a tick or a cross, points, and what went wrong
#   tap    TAP, one line per test, explanations as "# " comments
#   junit  JUnit XML, one <testsuite> per stage (as bats --formatter junit)
#   json   Gradescope's results.json
# human and tap end with the line "N passed, N failed"; for junit and json
# that line goes to standard output when the report goes to a file, else
# to standard error, so that the document stays valid.

# awk program text shared by the formats: the stage reason and a test's
# detail, read from their files.
AWK_READ_FILES='
function read_file(path,    line, text) {
	text = ""
	while ((getline line < path) > 0) text = text (text == "" ? "" : "\n") line
	close(path)
	return text
}
function reason_of(stage) { return read_file(work "/" stage "/reason") }
function build_of(stage) { return read_file(work "/" stage "/build-note") }
function detail_of(number) { return read_file(work "/" stage_of[number] "/detail." number) }
{ stage_of[NR] = $1 }
'

report_human() {
	local colour=no
	[ -z "$output_file" ] && [ -t 1 ] && colour=yes
	awk -F'\t' -v work="$work" -v colour="$colour" -v submission="$submission" \
		-v sandbox="$(describe_sandbox)" "$AWK_READ_FILES"'
	function paint(code, text) { return colour == "yes" ? "\033[" code "m" text "\033[0m" : text }
	function indent(text, prefix) { gsub(/\n/, "\n" prefix, text); return prefix text }
	function end_stage() {
		if (current == "") return
		printf "  %s: %d/%d (graded in %s s)\n\n", current, stage_score, stage_max, read_file(work "/" current "/seconds")
	}
	BEGIN { printf "Grading %s\n(sandbox: %s)\n\n", submission, sandbox }
	{
		if ($1 != current) {
			end_stage()
			current = $1; stage_score = 0; stage_max = 0
			print paint("1", current)
			if (build_of(current) != "") print indent("built with " build_of(current), "  ")
			reason = reason_of(current)
			if (reason != "") print "  " paint("31", "✗") " " substr(indent(reason, "    "), 5)
		}
		stage_score += $3; stage_max += $4; score += $3; max += $4
		if ($2 == "pass") passed++; else failed++
		# The reason of the stage, said once above, stands for the tests it stopped.
		if (reason != "" && detail_of(NR) == reason) next
		mark = $2 == "pass" ? paint("32", "✓") : paint("31", "✗")
		printf "  %s %s  %s/%s\n", mark, $6, $3, $4
		detail = detail_of(NR)
		if ($2 != "pass" && detail != "") print indent(detail, "      ")
	}
	END {
		end_stage()
		printf "Total: %d/%d\n%d passed, %d failed\n", score, max, passed, failed
	}' "$work/results"
}

report_tap() {
	awk -F'\t' -v work="$work" "$AWK_READ_FILES"'
	function comment(text) { gsub(/\n/, "\n# ", text); return "# " text }
	function end_stage() { if (current != "") printf "# %s: %d/%d\n", current, stage_score, stage_max }
	{ line[NR] = $0 }
	END {
		print "1.." NR
		for (n = 1; n <= NR; n++) {
			split(line[n], field, "\t")
			if (field[1] != current) {
				end_stage(); current = field[1]; stage_score = 0; stage_max = 0
				if (build_of(current) != "") print comment(current " built with " build_of(current))
			}
			stage_score += field[3]; stage_max += field[4]; score += field[3]; max += field[4]
			if (field[2] == "pass") { passed++; status = "ok" } else { failed++; status = "not ok" }
			printf "%s %d %s: %s (%s/%s points)\n", status, n, field[1], field[6], field[3], field[4]
			detail = detail_of(n)
			if (field[2] != "pass" && detail != "") print comment(detail)
		}
		end_stage()
		printf "# total: %d/%d\n%d passed, %d failed\n", score, max, passed, failed
	}' "$work/results"
}

report_junit() {
	awk -F'\t' -v work="$work" -v host="$(hostname)" -v now="$(date -u +%Y-%m-%dT%H:%M:%S)" "$AWK_READ_FILES"'
	function xml(text) {
		gsub(/&/, "\\&amp;", text); gsub(/</, "\\&lt;", text); gsub(/>/, "\\&gt;", text)
		gsub(/"/, "\\&quot;", text); gsub(/'"'"'/, "\\&#39;", text)
		return text
	}
	{ line[NR] = $0; stages[$1] = 1; if (!($1 in order)) { order[$1] = ++stage_count; name_of[stage_count] = $1 }
	  tests[$1]++; if ($2 != "pass") failures[$1]++; ms[$1] += $5; score[$1] += $3; max[$1] += $4 }
	END {
		print "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		print "<testsuites>"
		for (s = 1; s <= stage_count; s++) {
			stage = name_of[s]
			printf "<testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"0\" time=\"%.3f\" timestamp=\"%s\" hostname=\"%s\">\n", \
				xml(stage), tests[stage], failures[stage], ms[stage] / 1000, now, xml(host)
			printf "    <properties>\n        <property name=\"score\" value=\"%d\"/>\n        <property name=\"max_score\" value=\"%d\"/>\n", score[stage], max[stage]
			if (build_of(stage) != "") printf "        <property name=\"built with\" value=\"%s\"/>\n", xml(build_of(stage))
			print "    </properties>"
			for (n = 1; n <= NR; n++) {
				split(line[n], field, "\t")
				if (field[1] != stage) continue
				printf "    <testcase classname=\"%s\" name=\"%s\" time=\"%.3f\"", xml(stage), xml(field[6]), field[5] / 1000
				if (field[2] == "pass") { print " />"; continue }
				printf ">\n        <failure type=\"failure\">%s</failure>\n    </testcase>\n", \
					xml("0/" field[4] " points\n" detail_of(n))
			}
			print "</testsuite>"
		}
		print "</testsuites>"
	}' "$work/results"
}

# JSON string escaping: backslash, quote, and the control characters
# clean_text leaves (newline, tab).
AWK_JSON='
function json(text) {
	gsub(/\\/, "\\\\", text); gsub(/"/, "\\\"", text)
	gsub(/\n/, "\\n", text); gsub(/\t/, "\\t", text)
	return "\"" text "\""
}
'

report_json() {
	awk -F'\t' -v work="$work" -v elapsed="$(($(date +%s) - started_at))" \
		-v sandbox="$(describe_sandbox)" "$AWK_READ_FILES$AWK_JSON"'
	{ line[NR] = $0 }
	END {
		for (n = 1; n <= NR; n++) {
			split(line[n], field, "\t")
			score += field[3]; max += field[4]
			if (field[2] == "pass") passed++; else failed++
		}
		printf "{\n  \"score\": %d,\n  \"execution_time\": %d,\n", score, elapsed
		builds = ""
		for (n = 1; n <= NR; n++) {
			split(line[n], field, "\t")
			if (field[1] != last_stage && build_of(field[1]) != "") builds = builds "\n" field[1] " built with " build_of(field[1])
			last_stage = field[1]
		}
		printf "  \"output\": %s,\n", json(sprintf("%d/%d points; %d passed, %d failed (sandbox: %s)%s", score, max, passed, failed, sandbox, builds))
		printf "  \"tests\": ["
		for (n = 1; n <= NR; n++) {
			split(line[n], field, "\t")
			detail = detail_of(n)
			printf "%s\n    {\"name\": %s, \"score\": %d, \"max_score\": %d, \"status\": \"%s\", \"output\": %s, \"tags\": [%s]}", \
				(n > 1 ? "," : ""), json(field[1] ": " field[6]), field[3], field[4], \
				field[2] == "pass" ? "passed" : "failed", json(detail), json(field[1])
		}
		printf "\n  ]\n}\n"
	}' "$work/results"
}

summary_line() {
	local passed failed score max
	read -r passed failed score max < <(sum_results)
	echo "$passed passed, $failed failed"
}

# Writes the report where it belongs.  The document is built in a file
# first, so that a failure half-way never leaves half a report.
write_report() {
	"report_$format" >"$work/report"
	deliver_report
	case $format in
	junit | json)
		if [ -n "$output_file" ]; then summary_line; else summary_line >&2; fi ;;
	esac
}

deliver_report() {
	if [ -n "$output_file" ]; then
		cp "$work/report" "$output_file"
	else
		cat "$work/report"
	fi
}

# write_fallback_report MESSAGE: the grader itself failed.  For json,
# still a valid results.json (score 0, the message as output); for the
# other formats, the message on standard error.
write_fallback_report() {
	echo "grade: $1" >&2
	[ "${format:-}" = json ] || return 0
	awk -v message="$1" -v elapsed="$(($(date +%s) - started_at))" "$AWK_JSON"'
	BEGIN {
		printf "{\n  \"score\": 0,\n  \"execution_time\": %d,\n  \"output\": %s,\n  \"tests\": []\n}\n", \
			elapsed, json("The grader failed, so nothing was graded: " message)
	}' | clean_text >"$work/report" 2>/dev/null ||
		printf '{"score": 0, "execution_time": 0, "output": "The grader failed.", "tests": []}\n' >"$work/report"
	deliver_report
}
