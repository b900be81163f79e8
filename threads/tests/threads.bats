#!/usr/bin/env bats
# threads/: threads share memory; unlocked counting loses updates.

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
	THREADS_DIR="$BATS_TEST_DIRNAME/.."
}

# totals_after LABEL: "EXPECTED GOT" from the line of $output that starts
# with LABEL ("without a lock: expected 10, got 7 (lost 3 updates)").
totals_after() {
	sed -n "s/^$1 *expected \([0-9]*\), got \([0-9]*\) .*/\1 \2/p" <<<"$output"
}

@test "main sees the value a thread stored, at the same address" {
	run timeout 10 "$THREADS_DIR/shared_variable"
	assert_success
	assert_line --regexp '^thread *: counter = 2 at address '
	assert_line --regexp '^main *: counter = 2 at address '
}

@test "counting without a lock loses updates, with a mutex the total is exact, in under 2 s" {
	SECONDS=0
	run timeout 10 "$THREADS_DIR/lost_updates"
	assert_success
	[ "$SECONDS" -le 2 ] || fail "lost_updates took $SECONDS s"
	local expected got
	read -r expected got < <(totals_after "without a lock:")
	[ -n "$got" ] || fail "no \"without a lock\" line in: $output"
	[ "$got" -lt "$expected" ] || fail "without a lock: got $got of $expected: no update was lost"
	read -r expected got < <(totals_after "with a mutex:")
	[ -n "$got" ] || fail "no \"with a mutex\" line in: $output"
	[ "$got" -eq "$expected" ] || fail "with a mutex: got $got, expected $expected"
}
