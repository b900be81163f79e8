# 07-gate.bash - how the grader's gate (grading/lib/run-stage) starts stage
# 07's server: in the foreground (-f), since a daemon's launching command
# exits at once, and with a syslog socket of the grader's own at /dev/log
# (grading/lib/with-own-syslog), so that nothing reaches the machine's
# log.  Its messages go to gate-daemon.*/syslog in the stage's results.

source "$KIT_ROOT/grading/lib/daemon.bash"

start_gate_server() {
	local reason
	if ! reason=$("$KIT_ROOT/grading/lib/with-own-syslog" --check 2>&1); then
		echo "grader error: stage 07 needs a syslog socket of its own: $reason"
		return 1
	fi
	prepare_daemon_run "$result_dir"
	start_daemon "$SERVER_BIN" -f "$1" || true
}
