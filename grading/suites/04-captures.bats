#!/usr/bin/env bats
# Stage 04, capture exercise: reset.pcap, saved in the student's stage
# folder (labs/04-sigpipe/README.md, "Capture the reset").
# Run by grading/grade, which sets SUBMISSION_STAGE_DIR to that folder.
# grading/check-capture holds the rules; reading a capture needs no
# privileges, so this suite never skips.

setup() {
	STAGE=04-sigpipe
	load "$KIT_ROOT/grading/lib/suite.bash"
	: "${SUBMISSION_STAGE_DIR:?set by the grader to the stage folder being graded}"
}

@test "reset.pcap shows the client resetting its connection and sending nothing after" {
	local verdict
	if ! verdict=$(cd "$SUBMISSION_STAGE_DIR" && "$KIT_ROOT/grading/check-capture" reset.pcap); then
		lose_points_because "$(echo "$verdict" | head -n 1)" \
			"Capture the reset" \
			"Record it as that section shows; ../../grading/check-capture reset.pcap checks it before you submit."
	fi
}
