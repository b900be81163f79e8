#!/usr/bin/env bats
# Stage 01, capture exercise: handshake.pcap, saved in the student's stage
# folder (labs/01-sequential/README.md, "Capture the handshake and the close").
# Run by grading/grade, which sets SUBMISSION_STAGE_DIR to that folder.
# grading/check-capture holds the rules; reading a capture needs no
# privileges, so this suite never skips.

setup() {
	STAGE=01-sequential
	load "$KIT_ROOT/grading/lib/suite.bash"
	: "${SUBMISSION_STAGE_DIR:?set by the grader to the stage folder being graded}"
}

@test "handshake.pcap shows a complete handshake, a line echoed and the close on one server port" {
	local verdict
	if ! verdict=$(cd "$SUBMISSION_STAGE_DIR" && "$KIT_ROOT/grading/check-capture" handshake.pcap); then
		lose_points_because "$(echo "$verdict" | head -n 1)" \
			"Capture the handshake and the close" \
			"Record it as that section shows; ../../grading/check-capture handshake.pcap checks it before you submit."
	fi
}
