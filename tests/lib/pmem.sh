# shellcheck shell=bash
# The probe's virtio-pmem test from the host (source it): files to back a
# device, what the host knows of them (CRC-32s, the probe's written
# pattern), and pmem_checks, the suite every VMM's virtio-pmem must pass
# (38 against QEMU, 78 against azote). Builds on probe-common.sh.
. "$(dirname "${BASH_SOURCE[0]}")/probe-common.sh"
require python3

MIB=$((1 << 20))

# pmem_file PATH MIB: a new file of MIB MiB of random bytes, so that
# bytes found at the wrong offset show.
pmem_file() {
	head -c $(($2 * MIB)) /dev/urandom >"$1" || die "cannot write $1"
}

# crc_of FILE [OFF LEN]: zlib's CRC-32 of FILE's bytes (all, or LEN from
# OFF) as the probe prints it, 0x and 8 hex digits.
crc_of() {
	python3 - "$@" <<'EOF'
import sys, zlib
with open(sys.argv[1], "rb") as f:
    if len(sys.argv) > 2:
        f.seek(int(sys.argv[2]))
        data = f.read(int(sys.argv[3]))
    else:
        data = f.read()
print("0x%08x" % zlib.crc32(data))
EOF
}

# pattern_in FILE OFF LEN SEED: FILE holds the probe's pattern for SEED at
# OFF (guest/test_pmem.c: byte k is byte k % 8, little-endian, of the
# hash of (SEED, k / 8)); says where it does not.
pattern_in() {
	python3 - "$@" <<'EOF'
import sys
path, off, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
M = (1 << 64) - 1
def word(i):
    x = ((seed + 1) * 0x9e3779b97f4a7c15 + i * 0xbf58476d1ce4e5b9) & M
    x ^= x >> 31
    x = (x * 0xd6e8feb86659fd93) & M
    return x ^ (x >> 32)
want = b"".join(word(i).to_bytes(8, "little") for i in range((n + 7) // 8))[:n]
with open(path, "rb") as f:
    f.seek(off)
    got = f.read(n)
if got != want:
    bad = next((k for k in range(min(len(got), n)) if got[k] != want[k]), len(got))
    print("first differing byte at offset %d" % (off + bad))
    sys.exit(1)
EOF
}

# same_but FILE COPY OFF LEN: FILE and COPY are the same outside
# [OFF, OFF + LEN) (and as long).
same_but() {
	cmp -s <(head -c "$3" "$1") <(head -c "$3" "$2") &&
		cmp -s <(tail -c +$(($3 + $4 + 1)) "$1") <(tail -c +$(($3 + $4 + 1)) "$2")
}

# field KEY: KEY='s value in the last expect_probe's result line.
field() {
	grep -E '^PROBE [a-z0-9-]+ (PASS|FAIL)' "$PROBE_OUT" | tail -n 1 |
		tr ' ' '\n' | sed -n "s/^$1=//p"
}

# expect_file_pattern WHAT FILE OFF LEN SEED: the probe's pattern is in FILE.
expect_file_pattern() {
	local why
	if why=$(pattern_in "$2" "$3" "$4" "$5"); then
		pass "$1: the file holds the pattern of seed $5 at $3, $4 bytes"
	else
		fail "$1: the pattern of seed $5 is not at $3 in the file: $why"
	fi
}

# pmem_checks VMM-ARGS...: the suite, with VMM-ARGS naming the VMM (and
# its transport; the result lines' transport keys are $PROBE_LINE_ALSO's
# to check). Files of 4 and 2 MiB; the region placed at or above 4 GiB.
pmem_checks() {
	local f=$TMP/pmem.img g=$TMP/pmem2.img copy=$TMP/pmem.copy
	local crc off len sum start s0 s1 end
	local base='queue_size=[1-9][0-9]* start=0x[0-9a-f]+ size=4194304 '

	pmem_file "$f" 4
	cp "$f" "$copy"
	crc=$(crc_of "$f")
	# An unaligned write of 5000 bytes after 1 MiB, two flushes.
	off=$((MIB + 123)) len=5000
	expect_probe pmem-rw 0 "PASS .*${base}check=4194304 crc=$crc mode=rw off=$off len=$len seed=7 old_crc=$(crc_of "$f" $off $len) written=$len wcrc=0x[0-9a-f]{8} flushes=2 flush=ok flush_len=4 flush_us=[1-9][0-9]* flush_us_max=[1-9][0-9]*$" -- \
		"$@" --pmem "$f" -- probe.test=pmem probe.size=4M probe.crc="$crc" \
		probe.off=$off probe.len=$len probe.seed=7
	start=$(field start)
	# The region is above 4 GiB (both place it after RAM, which is
	# smaller), 2 MiB aligned (the probe checked).
	[ -n "$start" ] && [ $((start)) -ge $((4 << 30)) ] &&
		pass "pmem-rw: the region starts at $start, at or above 4 GiB" ||
		fail "pmem-rw: the region starts at '$start', below 4 GiB"
	# After the VM: the file holds the pattern where the probe wrote it,
	# the CRC the probe read back, and nothing else changed.
	expect_file_pattern pmem-rw "$f" $off $len 7
	expect_eq "pmem-rw: the file's CRC of the written bytes is the probe's wcrc" \
		"$(crc_of "$f" $off $len)" "$(field wcrc)"
	same_but "$f" "$copy" $off $len &&
		pass "pmem-rw: the file is unchanged outside the written bytes" ||
		fail "pmem-rw: the file changed outside [$off, $((off + len)))"

	# A new VM finds what the last one wrote; read-only, twice over:
	# the device (ro) and the probe (probe.ro=1). The file stays.
	crc=$(crc_of "$f")
	sum=$(sha256sum <"$f")
	expect_probe pmem-ro 0 "PASS .*${base}check=4194304 crc=$crc mode=ro written=0 flushes=2 flush=ok flush_len=4 flush_us=[1-9][0-9]* flush_us_max=[1-9][0-9]*$" -- \
		"$@" --pmem "$f,ro" -- probe.test=pmem probe.size=4M probe.crc="$crc" probe.ro=1
	expect_eq "pmem-ro: the file is unchanged" "$(sha256sum <"$f")" "$sum"
	# Writes to a read-only device are dropped: the probe's read-back
	# finds its first byte missing, and the file is unchanged.
	expect_probe pmem-write-on-ro 1 "FAIL .*crc=$crc mode=rw off=4096 len=4096 seed=3 reason=readback_differs at=4096$" -- \
		"$@" --pmem "$f,ro" -- probe.test=pmem probe.size=4M probe.crc="$crc" probe.off=4096 probe.seed=3
	expect_eq "pmem-write-on-ro: the file is unchanged" "$(sha256sum <"$f")" "$sum"

	# The last page of the region (its whole length mapped), and a CRC
	# of the first page only; five flushes with VIRTIO_F_EVENT_IDX.
	end=$((4 * MIB - 4096))
	expect_probe pmem-end 0 "PASS .*${base}check=4096 crc=$(crc_of "$f" 0 4096) mode=rw off=$end len=4096 seed=9 .* written=4096 .* flushes=5 flush=ok " -- \
		"$@" --pmem "$f" -- probe.test=pmem probe.size=4M probe.crc="$(crc_of "$f" 0 4096)" \
		probe.check=4096 probe.off=$end probe.seed=9 probe.flushes=5 probe.event_idx=1
	expect_file_pattern pmem-end "$f" $end 4096 9
	expect_probe pmem-no-flush 0 "PASS .*mode=rw .* flushes=0 flush=none$" -- \
		"$@" --pmem "$f" -- probe.test=pmem probe.size=4M probe.crc="$(crc_of "$f")" probe.flushes=0

	# What the host said is checked: a wrong size, a wrong CRC (then
	# nothing is written), a write past the region's end.
	crc=$(crc_of "$f")
	sum=$(sha256sum <"$f")
	expect_probe pmem-size-mismatch 1 "FAIL .*size=4194304 reason=size_mismatch want=2097152$" -- \
		"$@" --pmem "$f" -- probe.test=pmem probe.size=2M probe.crc="$crc"
	expect_probe pmem-crc-mismatch 1 "FAIL .*check=4194304 crc=$crc reason=crc_mismatch want=0x12345678$" -- \
		"$@" --pmem "$f" -- probe.test=pmem probe.size=4M probe.crc=0x12345678
	expect_probe pmem-write-outside 1 "FAIL .*off=4194200 len=4096 seed=1 reason=write_outside_region$" -- \
		"$@" --pmem "$f" -- probe.test=pmem probe.size=4M probe.crc="$crc" probe.off=4194200
	expect_eq "pmem: refused runs left the file unchanged" "$(sha256sum <"$f")" "$sum"
	expect_probe pmem-no-size 1 'FAIL param_error=missing key=size$' -- \
		"$@" --pmem "$f" -- probe.test=pmem probe.crc="$crc"

	# Two devices: the second (probe.dev=1) is the second file, in a
	# region of its own.
	pmem_file "$g" 2
	expect_probe pmem-first 0 "PASS .*size=4194304 check=4194304 crc=$crc mode=ro " -- \
		"$@" --pmem "$f" --pmem "$g" -- probe.test=pmem probe.size=4M probe.crc="$crc" probe.ro=1
	s0=$(field start)
	expect_probe pmem-second 0 "PASS .*size=2097152 check=2097152 crc=$(crc_of "$g") mode=rw " -- \
		"$@" --pmem "$f" --pmem "$g" -- probe.test=pmem probe.dev=1 probe.size=2M probe.crc="$(crc_of "$g")" probe.seed=11
	s1=$(field start)
	expect_file_pattern pmem-second "$g" 0 4096 11
	[ -n "$s0" ] && [ -n "$s1" ] &&
		{ [ $((s1)) -ge $((s0 + 4 * MIB)) ] || [ $((s0)) -ge $((s1 + 2 * MIB)) ]; } &&
		pass "pmem-second: regions apart, at $s0 (4 MiB) and $s1 (2 MiB)" ||
		fail "pmem-second: regions at '$s0' (4 MiB) and '$s1' (2 MiB) overlap"
	expect_eq "pmem-second: the first file is unchanged" "$(sha256sum <"$f")" "$sum"
}
