#!/usr/bin/env bats
# psockets2/two-hosts: a server and a client on two "hosts" (network
# namespaces joined by a veth pair), the capture between them, and no
# namespace left behind.  Creating namespaces needs root: the tests that do
# skip without it; the refusal is tested as user nobody.

setup() {
	load "../../grading/lib/server.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	TWO_HOSTS="$PSOCKETS/two-hosts"
}

needs_namespaces() {
	[ "$(id -u)" -eq 0 ] || skip "creating network namespaces needs root"
	ip netns list >/dev/null 2>&1 || skip "ip netns is not available here"
}

# The namespace names two-hosts printed when it created them.
namespaces_in_output() {
	sed -n 's/^two-hosts: .* host .* (namespace \([^,]*\), interface .*$/\1/p' <<<"$output"
}

no_namespace_is_left() {
	local name
	for name in $(namespaces_in_output); do
		if ip netns list | grep -q "^$name\b"; then
			echo "namespace $name is still there after two-hosts ended"
			return 1
		fi
	done
}

@test "two-hosts echoes from the client host to the server host and captures both addresses" {
	needs_namespaces
	run timeout 60 "$TWO_HOSTS" -p 8123 -w "$BATS_TEST_TMPDIR/handshake.pcap"
	assert_success
	assert_line "hello from the client host"
	assert_output --regexp "IP 10\.200\.0\.2\.[0-9]+ > 10\.200\.0\.1\.8123: Flags \[S\]"
	assert_output --regexp "IP 10\.200\.0\.1\.8123 > 10\.200\.0\.2\.[0-9]+: Flags \[S\.\]"
	[ "$(namespaces_in_output | wc -l)" -eq 2 ]
	no_namespace_is_left
	run "$KIT_ROOT/grading/check-capture" "$BATS_TEST_TMPDIR/handshake.pcap"
	assert_success
}

@test "two-hosts runs any client command on the client host, with LAB_PORT set" {
	needs_namespaces
	run timeout 60 "$TWO_HOSTS" -p 8124 -- sh -c 'echo "port $LAB_PORT"; ip -brief address show | grep -c 10.200.0.2/24'
	assert_success
	assert_line "port 8124"
	assert_line "1"
	no_namespace_is_left
}

@test "two-hosts removes its namespaces when the client fails, and passes on its status" {
	needs_namespaces
	run timeout 60 "$TWO_HOSTS" -- sh -c 'exit 3'
	assert_failure 3
	no_namespace_is_left
}

@test "two-hosts stops a client that runs past -t and still cleans up" {
	needs_namespaces
	SECONDS=0
	run timeout 60 "$TWO_HOSTS" -t 1 -- sleep 30
	assert_failure 124
	assert_output --partial "two-hosts: the client command was stopped after 1 s (-t)"
	[ "$SECONDS" -lt 10 ]
	no_namespace_is_left
}

@test "two-hosts refuses in one clear line when not run as root" {
	[ "$(id -u)" -eq 0 ] || skip "running as another user (nobody) needs root"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$TWO_HOSTS"
	assert_failure 1
	assert_output "two-hosts: creating network namespaces needs root: run it with sudo"
}

@test "two-hosts rejects bad arguments with its usage" {
	for arguments in "-p 0" "-p x" "-t 0" "-t 601" "-s /nonexistent" "-w" "extra"; do
		# shellcheck disable=SC2086 # each case is several words
		run "$TWO_HOSTS" $arguments
		assert_failure 1
		assert_output --partial "usage: sudo two-hosts"
	done
}
