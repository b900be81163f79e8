#!/usr/bin/env bats
# Stage 02, capture exercise: two-clients.pcap, saved in the student's stage
# folder (labs/02-fork/README.md, "Capture two clients at once").
# Run by grading/grade, which sets SUBMISSION_STAGE_DIR to that folder.
# grading/check-capture holds the rules; reading a capture needs no
# privileges, so this suite never skips.

setup() {
	STAGE=02-fork
	load "$KIT_ROOT/grading/lib/suite.bash"
	: "${SUBMISSION_STAGE_DIR:?set by the grader to the stage folder being graded}"
}

@test "two-clients.pcap shows two client ports echoed at the same time by one server port" {
	local verdict
	if ! verdict=$(cd "$SUBMISSION_STAGE_DIR" && "$KIT_ROOT/grading/check-capture" two-clients.pcap); then
		lose_points_because "$(echo "$verdict" | head -n 1)" \
			"Capture two clients at once" \
			"Record it as that section shows; ../../grading/check-capture two-clients.pcap checks it before you submit."
	fi
}
