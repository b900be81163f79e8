#!/usr/bin/env bats
# fdreport: the user, groups and open descriptors it reports are the ones
# it was given.

setup() {
	load "../../grading/lib/server.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	make -s -C "$PSOCKETS" fdreport >&2
	FDREPORT=$PSOCKETS/fdreport
}

teardown() {
	stop_server
}

@test "fdreport reports its uid, gid and groups" {
	run timeout 5 "$FDREPORT" </dev/null 3>&-
	assert_success
	assert_line "uid $(id -ru)"
	assert_line "gid $(id -rg)"
	assert_line --regexp '^groups( [0-9]+)*$'
}

@test "fdreport lists exactly the descriptors it holds, with what each refers to" {
	local file="$BATS_TEST_TMPDIR/a file"
	: >"$file"
	# Only what the test gives it: every descriptor bats holds is closed.
	run bash -c 'for fd in $(ls /proc/$$/fd); do
			[ "$fd" -le 2 ] || eval "exec $fd>&-" 2>/dev/null
		done
		timeout 5 "$0" </dev/null 2>/dev/null 7<"$1" | cat' "$FDREPORT" "$file"
	assert_success
	assert_equal "$(grep '^fd ' <<<"$output" | cut -d: -f1 | paste -sd' ')" "fd 0 fd 1 fd 2 fd 7"
	assert_line "fd 0: character device (/dev/null)"
	assert_line --regexp '^fd 1: pipe or FIFO \(pipe:\[[0-9]+\]\)$'
	assert_line "fd 7: regular file ($file)"
}

@test "fdreport tells a listening socket from a connected one, with their addresses" {
	local port
	port=$(pick_port)
	PORT=$port
	start_server_on "$port" "$PSOCKETS/TCPEchod" "$port"
	run bash -c "timeout 5 '$FDREPORT' 3<>/dev/tcp/127.0.0.1/$port 4</dev/null"
	assert_success
	assert_line --regexp "^fd 3: socket, connected: local \[127\.0\.0\.1\]:[0-9]+, peer \[127\.0\.0\.1\]:$port \(socket:\[[0-9]+\]\)$"
	run timeout 5 python3 -c "
import socket, subprocess, sys
s = socket.socket(socket.AF_INET6)
s.bind(('::1', 0)); s.listen(1)
sys.exit(subprocess.run(['$FDREPORT'], pass_fds=[s.fileno()]).returncode)"
	assert_success
	assert_line --regexp '^fd [0-9]+: socket, listening: local \[::1\]:[0-9]+ \(socket:\[[0-9]+\]\)$'
}

@test "fdreport --help prints its usage and exits 0; an argument is a usage error" {
	run timeout 5 "$FDREPORT" --help
	assert_success
	assert_output --partial "usage: fdreport"
	run timeout 5 "$FDREPORT" extra
	assert_failure 1
	assert_output "usage: fdreport"
}
