#!/usr/bin/env bats
# grading/check-capture awards the capture exercises only for captures that
# show what the handouts ask: real captures of good and of wrong exchanges,
# recorded here with the reference server, plus files that are no capture.
# Recording needs permission to capture on lo: without it, the tests that
# use recorded captures skip.

setup_file() {
	load "../lib/server.bash"
	load "../lib/capture.bash"
	export CAPTURES="$BATS_FILE_TMPDIR/captures"
	if ! CAPTURE_REFUSAL=$(can_capture lo); then
		export CAPTURE_REFUSAL
		return 0
	fi
	export CAPTURE_REFUSAL=
	SERVER_LOG="$BATS_FILE_TMPDIR/server.log"
	record_every_case
}

setup() {
	load "../lib/server.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	CHECK="$KIT_ROOT/grading/check-capture"
}

needs_recorded_captures() {
	[ -z "$CAPTURE_REFUSAL" ] || skip "$CAPTURE_REFUSAL"
}

# record CASE NAME PORTS SCENARIO: runs SCENARIO (a function given the
# ports) against one reference server per port while capturing those
# ports, into $CAPTURES/CASE/NAME.
record() {
	local case=$1 name=$2 ports=$3 scenario=$4 port filter='' pgids=()
	mkdir -p "$CAPTURES/$case"
	for port in $ports; do
		start_server_on "$port" "$PSOCKETS/TCPEchod" "$port"
		pgids+=("$SERVER_PGID")
		filter="${filter:+$filter or }tcp port $port"
	done
	# shellcheck disable=SC2086 # the filter is several words on purpose
	start_capture lo "$CAPTURES/$case/$name" $filter
	# shellcheck disable=SC2086 # one argument per port
	"$scenario" $ports
	stop_capture
	for SERVER_PGID in "${pgids[@]}"; do
		stop_server
	done
}

echo_a_line() {
	echo "hello" | "$PSOCKETS/TCPEcho" -t 5 127.0.0.1 "$1" >/dev/null
}

echo_a_line_over_ipv6() {
	echo "hello" | "$PSOCKETS/TCPEcho" -t 5 ::1 "$1" >/dev/null
}

# The client gets its echo, then the capture ends while it is connected.
echo_and_stay_connected() {
	{ echo "hello"; sleep 2; } | "$PSOCKETS/TCPEcho" -t 5 127.0.0.1 "$1" >/dev/null 2>&1 3>&- &
	sleep 1
}

echo_two_clients_one_after_another() {
	echo_a_line "$1"
	echo_a_line "$1"
}

echo_a_line_to_each_server() {
	echo_a_line "$1"
	echo_a_line "$2"
}

# A good exchange on the first port, and a refused connection to the
# second (nothing listens there: the capture shows a SYN and an RST).
echo_a_line_and_knock_on_a_closed_port() {
	echo_a_line "$1"
	"$PSOCKETS/TCPEcho" -t 5 127.0.0.1 "$2" </dev/null >/dev/null 2>&1 || true
}

record_every_case() {
	local port other_port closed_port
	mkdir -p "$CAPTURES/good"
	"$KIT_ROOT/grading/make-captures" --into "$CAPTURES/good" >/dev/null
	port=$(pick_port)
	record ipv6 handshake.pcap "$port" echo_a_line_over_ipv6
	record no-close handshake.pcap "$port" echo_and_stay_connected
	record no-rst reset.pcap "$port" echo_a_line
	record one-after-another two-clients.pcap "$port" echo_two_clients_one_after_another
	record no-packets handshake.pcap "$port" true
	other_port=$(pick_port)
	record two-servers handshake.pcap "$port $other_port" echo_a_line_to_each_server
	closed_port=$(pick_port)
	start_server_on "$port" "$PSOCKETS/TCPEchod" "$port"
	mkdir -p "$CAPTURES/stray"
	start_capture lo "$CAPTURES/stray/handshake.pcap" tcp port "$port" or tcp port "$closed_port"
	echo_a_line_and_knock_on_a_closed_port "$port" "$closed_port"
	stop_capture
	stop_server
}

@test "the three captures make-captures records all pass" {
	needs_recorded_captures
	run "$CHECK" "$CAPTURES/good/handshake.pcap" "$CAPTURES/good/two-clients.pcap" "$CAPTURES/good/reset.pcap"
	assert_success
	assert_line --index 0 --partial "handshake.pcap: ok: server port"
	assert_line --index 0 --partial "the client closed first, so the client ends in TIME_WAIT"
	assert_line --index 1 --partial "two-clients.pcap: ok: server port"
	assert_line --index 2 --partial "reset.pcap: ok: server port"
}

@test "a handshake and close captured over IPv6 passes" {
	needs_recorded_captures
	run "$CHECK" "$CAPTURES/ipv6/handshake.pcap"
	assert_success
	assert_output --partial "handshake.pcap: ok"
}

@test "a missing capture fails and says where the exercise is explained" {
	run "$CHECK" "$BATS_TEST_TMPDIR/handshake.pcap"
	assert_failure 1
	assert_output --partial "handshake.pcap: missing"
	assert_output --partial "section 'Capture the handshake and the close'"
}

@test "an empty file fails as not a capture" {
	: >"$BATS_TEST_TMPDIR/handshake.pcap"
	run "$CHECK" "$BATS_TEST_TMPDIR/handshake.pcap"
	assert_failure 1
	assert_output --partial "not a capture tcpdump can read"
}

@test "a text file named like a capture fails as not a capture" {
	echo "SYN, SYN-ACK, ACK" >"$BATS_TEST_TMPDIR/reset.pcap"
	run "$CHECK" "$BATS_TEST_TMPDIR/reset.pcap"
	assert_failure 1
	assert_output --partial "not a capture tcpdump can read (tcpdump: unknown file format)"
}

@test "a capture with no packets fails" {
	needs_recorded_captures
	run "$CHECK" "$CAPTURES/no-packets/handshake.pcap"
	assert_failure 1
	assert_output --partial "holds no packets"
}

@test "a handshake with no close fails and says what was seen" {
	needs_recorded_captures
	run "$CHECK" "$CAPTURES/no-close/handshake.pcap"
	assert_failure 1
	assert_output --partial "no connection shows the whole exchange"
	assert_output --partial "handshake, 6 bytes sent, 6 echoed"
	refute_output --partial "FIN from the"
}

@test "a capture of two server ports fails" {
	needs_recorded_captures
	run "$CHECK" "$CAPTURES/two-servers/handshake.pcap"
	assert_failure 1
	assert_output --partial "SYNs were answered from more than one port"
}

@test "a capture holding traffic of another port fails" {
	needs_recorded_captures
	run "$CHECK" "$CAPTURES/stray/handshake.pcap"
	assert_failure 1
	assert_output --regexp "2 packet\(s\) are not TCP to or from server port [0-9]+"
}

@test "a reset.pcap of a plain echo (no RST) fails" {
	needs_recorded_captures
	run "$CHECK" "$CAPTURES/no-rst/reset.pcap"
	assert_failure 1
	assert_output --partial "no connection was reset by its client"
}

@test "two clients served one after another fail the two-clients exercise" {
	needs_recorded_captures
	run "$CHECK" "$CAPTURES/one-after-another/two-clients.pcap"
	assert_failure 1
	assert_output --partial "the server served them one after another"
}

@test "a handshake capture is not accepted as two-clients.pcap" {
	needs_recorded_captures
	cp "$CAPTURES/good/handshake.pcap" "$BATS_TEST_TMPDIR/two-clients.pcap"
	run "$CHECK" "$BATS_TEST_TMPDIR/two-clients.pcap"
	assert_failure 1
	assert_output --partial "1 connection(s) to port"
}

@test "a file with an unknown name is a usage error" {
	needs_recorded_captures
	cp "$CAPTURES/good/handshake.pcap" "$BATS_TEST_TMPDIR/capture.pcap"
	run "$CHECK" "$BATS_TEST_TMPDIR/capture.pcap"
	assert_failure 2
	assert_output --partial "the name must be handshake.pcap, two-clients.pcap or reset.pcap"
}

@test "reading a capture needs no privileges" {
	needs_recorded_captures
	local readable
	[ "$(id -u)" -eq 0 ] || skip "running as another user (nobody) needs root"
	readable=$(mktemp -d)
	cp "$CAPTURES/good/handshake.pcap" "$readable/"
	chmod 755 "$readable"
	chmod 644 "$readable/handshake.pcap"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$CHECK" "$readable/handshake.pcap"
	rm -rf "$readable"
	assert_success
	assert_output --partial "handshake.pcap: ok"
}

@test "make-captures says in one line when it may not capture" {
	local folder
	[ "$(id -u)" -eq 0 ] || skip "running as another user (nobody) needs root"
	folder=$(mktemp -d)
	chmod 777 "$folder"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		"$KIT_ROOT/grading/make-captures" --into "$folder"
	rm -rf "$folder"
	assert_failure 1
	assert_output --regexp "^make-captures: cannot capture on lo: not permitted \(run with sudo, or give tcpdump the capability: see cheatsheet.md, 'Capturing needs privileges'\); tcpdump said: .*permission"
	[ "${#lines[@]}" -eq 1 ]
}

@test "make-captures rejects a folder that does not exist" {
	run "$KIT_ROOT/grading/make-captures" --into "$BATS_TEST_TMPDIR/nonexistent"
	assert_failure 1
	assert_output "make-captures: $BATS_TEST_TMPDIR/nonexistent is not a folder"
}
