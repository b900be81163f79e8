#!/usr/bin/env bash
# setup.sh - Gradescope runs this once, as root, when it builds the
# autograder's image (Ubuntu 22.04 or 24.04), from the unpacked
# autograder.zip in /autograder/source (AUTOGRADER_ROOT/source: the kit's
# self-test builds a fake tree elsewhere).  Installs what the grader
# needs and builds the kit's library and clients.
set -eu

root=${AUTOGRADER_ROOT:-/autograder}
kit_root="$root/source"

"$kit_root/grading/install-packages"

# The suites load their helpers with bats_load_library (bats-core 1.7 and
# later).  Ubuntu 22.04 ships bats 1.2.1: then bats-core is installed
# from its release, in /usr/local, ahead of the distribution's on PATH.
BATS_VERSION=1.8.2
bats_is_recent_enough() {
	local version
	version=$(bats --version 2>/dev/null | sed -n 's/^Bats \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
	[ -n "$version" ] && {
		read -r major minor <<<"$version"
		[ "$major" -gt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -ge 7 ]; }
	}
}
if ! bats_is_recent_enough; then
	download=$(mktemp -d)
	curl --fail --silent --show-error --location --max-time 120 \
		"https://github.com/bats-core/bats-core/archive/refs/tags/v$BATS_VERSION.tar.gz" |
		tar -xz -C "$download"
	"$download/bats-core-$BATS_VERSION/install.sh" /usr/local
	rm -rf "$download"
	hash -r
	bats_is_recent_enough || { echo "setup.sh: bats $BATS_VERSION did not install" >&2; exit 1; }
fi

# The gate's client is the kit's own psockets2/TCPEcho.
make -s -C "$kit_root/psockets2"
echo "setup.sh: the autograder is ready."
