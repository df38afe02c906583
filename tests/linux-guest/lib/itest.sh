# Shared by the Linux tier's integration tests, tests/integration/8x-linux-*.sh
# (sourced). They exit 0 on pass, 77 on skip, anything else on failure.

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
LG_ROOT=$(cd "$LG_DIR/../.." && pwd)
LG_RUN=$LG_DIR/run.sh
LG_AZOTE=${BUILD:-$LG_ROOT/build}/azote

# A scratch directory $LG_T, and the kernel and initramfs built or found
# cached (tests/integration/run-all.sh builds them beforehand).
lg_itest_init() {
	LG_T=$(mktemp -d /tmp/linux-itest.XXXXXX)
	trap 'rm -rf "$LG_T"' EXIT
	[ -n "${LG_PREBUILT:-}" ] && return 0
	# A cold build takes 3 minutes on 2 idle cores; allow for a busy machine.
	timeout 2400 "$LG_DIR/build.sh" > /dev/null
}

# Skips the test, loudly, when there is no usable KVM here.
lg_need_kvm() {
	if [ ! -c /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "SKIP: no usable /dev/kvm: this Linux guest test did NOT run (run-all.sh runs it in tests/box/run)"
		exit 77
	fi
}

lg_need_azote() {
	[ -x "$LG_AZOTE" ] || lg_die "$LG_AZOTE: not built (run make first)"
}

# Runs run.sh with the arguments given, keeps its output in $LG_T/out and
# shows it; fails the test when the run fails.
lg_run() {
	local rc=0
	"$LG_RUN" "$@" > "$LG_T/out" 2>&1 || rc=$?
	cat "$LG_T/out"
	[ "$rc" -eq 0 ] || lg_die "run.sh $* failed"
}

# Value of KEY= on the guest's result line for CHECK in the last run.
lg_result() {
	grep -a "^LINUX $1 PASS" "$LG_T/out" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}

lg_crc32() {	# FILE OFFSET LENGTH: zlib's CRC-32 of that range, as the guest prints it
	/usr/bin/python3 -c 'import sys, zlib
f = open(sys.argv[1], "rb"); f.seek(int(sys.argv[2]))
print("%08x" % zlib.crc32(f.read(int(sys.argv[3]))))' "$@"
}

# Makes the two disks the blk checks use: $LG_T/rw.img (64 MiB, empty) and
# $LG_T/ro.img (16 MiB of random bytes).
lg_make_disks() {
	truncate -s 64M "$LG_T/rw.img"
	head -c 16M /dev/urandom > "$LG_T/ro.img"
	sha256sum < "$LG_T/ro.img" > "$LG_T/ro.sha"
}

# After a run with checks blk and blkro on those disks: what the guest wrote
# is in the image, and the read-only image is unchanged and read right.
lg_check_disks() {
	local off bytes want got
	off=$(lg_result blk offset) bytes=$(lg_result blk bytes) want=$(lg_result blk crc)
	[ -n "$off" ] && [ -n "$bytes" ] || lg_die "no blk result to compare"
	got=$(lg_crc32 "$LG_T/rw.img" "$off" "$bytes")
	[ "$got" = "$want" ] || lg_die "rw image holds crc $got, the guest wrote $want"
	echo "host: rw image bytes $off+$bytes crc=$got, as the guest wrote"
	sha256sum < "$LG_T/ro.img" | cmp -s - "$LG_T/ro.sha" || lg_die "ro image changed"
	want=$(lg_result blkro crc)
	got=$(lg_crc32 "$LG_T/ro.img" 0 4096)
	[ "$got" = "$want" ] || lg_die "ro image head crc $got, the guest read $want"
	echo "host: ro image unchanged; its first 4 KiB crc=$got, as the guest read"
}
