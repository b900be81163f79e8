#!/usr/bin/env bats
# make bench's driver (psockets2/bench/run-bench) in its short mode: every
# server it can find gives a row of figures with no error, a student's
# server (SERVER=) is added, and the plots are drawn.  The benchmark's
# figures themselves are not checked: a test cannot know how fast this
# machine is.

setup() {
	load "../../grading/lib/server.bash"
	bats_load_library bats-support
	bats_load_library bats-assert
	BENCH="$PSOCKETS/bench/run-bench"
	OUT="$BATS_TEST_TMPDIR/bench"
}

# Every design run-bench knows, one name a line.  make test builds them
# all (the epoll one is Linux's, as the kit's tests are).
all_designs() {
	sed -n '/^designs=(/,/^)/p' "$BENCH" | tr -d '"' | grep -v '[()]' | awk '{ print $1 }'
}

@test "make bench's short mode gives every design a row with no error, and draws the plots" {
	[ -x "$PSOCKETS/bench/minimal-epoll" ] ||
		skip "the minimal servers are not built (make, at the top of the kit)"
	run timeout 170 "$BENCH" --short --out "$OUT" --server "$PSOCKETS/TCPEchod"
	assert_success
	assert_output --partial "Each reference server against a minimal server of its design"
	local name row
	for name in $(all_designs) student; do
		row=$(awk -F'\t' -v name="$name" '$1 == name' "$OUT/summary.tsv")
		[ -n "$row" ] || fail "no row for $name in $OUT/summary.tsv: $(cat "$OUT/summary.tsv")"
		[ "$(cut -f 11 <<<"$row")" = 0 ] ||
			fail "$name had errors: $row; its runs: $(grep -P "\t$name\t" "$OUT/results.tsv")"
		[ "$(cut -f 4 <<<"$row")" != - ] || fail "$name has no connections/s with 64 clients: $row"
	done
	for plot in connections latency bulk cpu hold; do
		[ "$(head -c 4 "$OUT/$plot.png" | od -An -c | tr -d ' ')" = '211PNG' ] ||
			fail "$OUT/$plot.png is not a PNG file"
	done
}

@test "run-bench reports a server it cannot find, and goes on without it" {
	[ -x "$PSOCKETS/bench/minimal-epoll" ] ||
		skip "the minimal servers are not built (make, at the top of the kit)"
	run timeout 60 "$BENCH" --short --rounds 1 --out "$OUT" --server /nonexistent/TCPEchod --only min-epoll
	assert_success
	assert_output --partial "student: no program at /nonexistent/TCPEchod"
	assert_output --partial "Not measured (no program): student"
	awk -F'\t' '$1 == "min-epoll" && $11 == 0 { found = 1 } END { exit !found }' "$OUT/summary.tsv" ||
		fail "expected min-epoll's row with no error: $(cat "$OUT/summary.tsv")"
}

@test "run-bench with a bad option prints its usage and exits 1" {
	run timeout 10 "$BENCH" --rounds x
	assert_failure 1
	assert_output --partial 'bad --rounds "x"'
	run timeout 10 "$BENCH" --fast
	assert_failure 1
	assert_output --partial "unknown option --fast"
}
