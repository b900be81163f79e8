#!/usr/bin/env bats
# The psockets2 library as programs use it: passiveTCP's dual-stack
# listener, service names as ports, and clear errors for bad ports and
# unknown hosts (lookup.c, passivesock.c, connectsock.c).

setup() {
	load "../../grading/lib/server.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
}

teardown() {
	stop_server
}

# Prints a service name from /etc/services whose TCP port nothing listens
# on; fails if none of a few unlikely ones is free.
pick_free_service() {
	local name port
	for name in freeciv kermit remctl mtn; do
		port=$(awk -v name="$name" '$1 == name && $2 ~ /\/tcp$/ { sub("/tcp", "", $2); print $2; exit }' /etc/services)
		if [ -n "$port" ] && ! is_listening "$port"; then
			echo "$name $port"
			return 0
		fi
	done
	return 1
}

@test "one TCPEchod listener answers both 127.0.0.1 and ::1 (dual stack)" {
	local port
	port=$(pick_port)
	start_server_on "$port" "$PSOCKETS/TCPEchod" "$port"
	run ss -Hltn "sport = :$port"
	[ "${#lines[@]}" -eq 1 ] || fail "expected one listening socket on port $port, ss shows: $output"
	for host in 127.0.0.1 ::1; do
		run timeout 10 "$PSOCKETS/TCPEcho" -t 5 "$host" "$port" <<<"via $host"
		assert_success
		assert_output "via $host"
	done
}

@test "a service name from /etc/services works as a port, for the server and the client" {
	local service name port
	service=$(pick_free_service) || skip "no free service port among freeciv kermit remctl mtn"
	read -r name port <<<"$service"
	start_server_on "$port" "$PSOCKETS/TCPEchod" "$name"
	run timeout 10 "$PSOCKETS/TCPEcho" -t 5 localhost "$name" <<<"by name"
	assert_success
	assert_output "by name"
}

@test "port 0 is refused with a clear message and exit 1 (server and client)" {
	run timeout 10 "$PSOCKETS/TCPEchod" 0
	assert_failure 1
	assert_output --partial 'bad port "0"'
	run timeout 10 "$PSOCKETS/TCPEcho" 127.0.0.1 0 </dev/null
	assert_failure 1
	assert_output --partial 'bad port "0"'
}

@test "port 70000 is refused with a clear message and exit 1 (server and client)" {
	run timeout 10 "$PSOCKETS/TCPEchod" 70000
	assert_failure 1
	assert_output --partial 'bad port "70000": a port is a number from 1 to 65535'
	run timeout 10 "$PSOCKETS/TCPEcho" 127.0.0.1 70000 </dev/null
	assert_failure 1
	assert_output --partial 'bad port "70000": a port is a number from 1 to 65535'
}

@test "a port that is neither a number nor a service name is refused with exit 1" {
	run timeout 10 "$PSOCKETS/TCPEchod" abc
	assert_failure 1
	assert_output --partial 'bad port "abc": not a number and not a known service'
	run timeout 10 "$PSOCKETS/TCPEcho" 127.0.0.1 abc </dev/null
	assert_failure 1
	assert_output --partial 'bad port "abc": not a number and not a known service'
}

@test "an unknown host is reported as such, with exit 1" {
	# .invalid never resolves (RFC 2606).
	run timeout 30 "$PSOCKETS/TCPEcho" -t 5 no-such-host.invalid 7 </dev/null
	assert_failure 1
	assert_output --partial 'unknown host "no-such-host.invalid"'
}
