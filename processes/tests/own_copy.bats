#!/usr/bin/env bats
# processes/own_copy: after fork(), each process has its own copy.

setup() {
	bats_load_library bats-support
	bats_load_library bats-assert
	DEMO="$BATS_TEST_DIRNAME/../own_copy"
}

@test "the child changes the variable, the parent keeps its own value at the same address" {
	run timeout 10 "$DEMO"
	assert_success
	local child_line parent_line
	child_line=$(grep '^child ' <<<"$output") || fail "no child line in: $output"
	parent_line=$(grep '^parent ' <<<"$output") || fail "no parent line in: $output"
	assert_regex "$child_line" 'counter = 2 at address '
	assert_regex "$parent_line" 'counter = 1 at address '
	# Same virtual address, different values: two copies.
	assert_equal "${child_line##* at address }" "${parent_line##* at address }"
	# And two processes: the pids differ.
	[ "$(sed 's/.*(pid \([0-9]*\)).*/\1/' <<<"$child_line")" != "$(sed 's/.*(pid \([0-9]*\)).*/\1/' <<<"$parent_line")" ]
}

@test "the line printed before fork() appears once, even through a pipe" {
	run bash -c "timeout 10 '$DEMO' | cat"
	assert_success
	assert_equal "$(grep -c '^before ' <<<"$output")" 1
}
