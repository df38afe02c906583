# Shared by the Linux tier's integration tests, tests/integration/8x-linux-*.sh
# (sourced): the shared test harness (tests/lib/common.sh: $TMP, checks,
# skip, finish) and the Linux guest's own helpers.

_lg_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$_lg_lib/../../lib/common.sh"
. "$_lg_lib/common.sh"
LG_RUN=$LG_DIR/run.sh

# The kernel and initramfs built or found cached (tests/integration/run-all.sh
# builds them beforehand and says where in LG_PREBUILT).
lg_itest_init() {
	[ -n "${LG_PREBUILT:-}" ] && return 0
	# A cold build takes 3 minutes on 2 idle cores; allow for a busy machine.
	timeout 2400 "$LG_DIR/build.sh" > /dev/null || die "the Linux guest build failed"
}

# Runs run.sh with the arguments given, keeps its output in $TMP/out and
# shows it: a passed check when the run passes, else the test ends failed.
#
# Inside the box a boot that fails runs once more, printed as run-all.sh
# prints a test run twice (so its summary names it, as TEST:bootN): the
# box's emulation now and then resets or wedges a guest that boots on a
# rerun (README, "The box"), and a test of seven boots, rerun whole, failed
# twice on two different boots in CI. A boot that fails twice fails.
lg_boots=0
lg_run() {
	local rc=0 start=$SECONDS
	lg_boots=$((lg_boots + 1))
	"$LG_RUN" "$@" > "$TMP/out" 2>&1 || rc=$?
	cat "$TMP/out"
	if [ "$rc" -ne 0 ] && [ -n "${AZOTE_IN_BOX:-}" ] && [ "${AZOTE_BOX_RETRY:-1}" = 1 ]; then
		printf -- '--- %s:boot%d failed (rc=%d, %ds) in the box: running it once more\n' \
			"$(basename "$0" .sh)" "$lg_boots" "$rc" $((SECONDS - start))
		rc=0
		"$LG_RUN" "$@" > "$TMP/out" 2>&1 || rc=$?
		cat "$TMP/out"
	fi
	[ "$rc" -eq 0 ] || die "run.sh $* failed (status $rc)"
	pass "run.sh $*"
}

# Value of KEY= on the guest's result line for CHECK in the last run.
lg_result() {
	grep -a "^LINUX $1 PASS" "$TMP/out" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}

# Value of KEY= on the balloon check's host lines in the last run (run.sh
# --balloon: "balloon-host: inflate|deflate key=value ...", each key on one).
lg_balloon_host() {
	grep -a '^balloon-host: ' "$TMP/out" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1
}

lg_crc32() {	# FILE OFFSET LENGTH: zlib's CRC-32 of that range, as the guest prints it
	/usr/bin/python3 -c 'import sys, zlib
f = open(sys.argv[1], "rb"); f.seek(int(sys.argv[2]))
print("%08x" % zlib.crc32(f.read(int(sys.argv[3]))))' "$@"
}

# Makes the two disks the blk checks use: $TMP/rw.img (64 MiB, empty) and
# $TMP/ro.img (16 MiB of random bytes).
lg_make_disks() {
	truncate -s 64M "$TMP/rw.img"
	head -c 16M /dev/urandom > "$TMP/ro.img"
	sha256sum < "$TMP/ro.img" > "$TMP/ro.sha"
}

# After a run with checks blk and blkro on those disks: what the guest wrote
# is in the image, and the read-only image is unchanged and read right.
lg_check_disks() {
	local off bytes
	off=$(lg_result blk offset) bytes=$(lg_result blk bytes)
	[ -n "$off" ] && [ -n "$bytes" ] || die "no blk result to compare"
	expect_eq "rw image bytes $off+$bytes: crc, as the guest wrote" \
		"$(lg_crc32 "$TMP/rw.img" "$off" "$bytes")" "$(lg_result blk crc)"
	expect_eq "ro image unchanged: sha256" "$(sha256sum < "$TMP/ro.img")" "$(cat "$TMP/ro.sha")"
	expect_eq "ro image's first 4 KiB: crc, as the guest read" \
		"$(lg_crc32 "$TMP/ro.img" 0 4096)" "$(lg_result blkro crc)"
}
