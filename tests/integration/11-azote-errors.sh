#!/usr/bin/env bash
# needs: kvm
# Issue 2: errors a user can act on, each naming the value at fault, each
# with a non-zero exit and no crash; guest faults give a register dump.
. "$(dirname "$0")/../lib/common.sh"
require_kvm
probe=$PROBE_ELF

# expect_error WHAT REGEX ARGS...: azote exits 1 and says REGEX on stderr.
expect_error() {
	local what=$1 re=$2 out rc
	shift 2
	out=$(timeout 30 "$AZOTE" "$@" </dev/null 2>&1 >/dev/null)
	rc=$?
	expect_eq "$what: exit status" "$rc" 1
	expect_match "$what: message" "$out" "$re"
}

expect_error "missing kernel file" "kernel $TMP/nope: No such file" --kernel "$TMP/nope"
expect_error "kernel not a known format" "/etc/hostname: not a recognised format" --kernel /etc/hostname
expect_error "nothing to boot" "nothing to boot: give --kernel PATH"
expect_error "bad size syntax" "--memory '12Q'" --kernel "$probe" --memory 12Q
expect_error "size too small" "at least 2 MiB" --kernel "$probe" --memory 1M
expect_error "too many vCPUs" "--cpus 300: this host allows 1 to [0-9]+" --kernel "$probe" --cpus 300
expect_error "cpus not a number" "--cpus 'x'" --kernel "$probe" --cpus x
expect_error "unknown option" "unknown option '--bogus'" --kernel "$probe" --bogus
head -c $((40 << 20)) /dev/zero > "$TMP/big.initrd"
expect_error "initrd too big for RAM" "initrd.*big.initrd" --kernel "$probe" --memory 32M --initrd "$TMP/big.initrd"
expect_error "missing initrd" "initrd $TMP/none: No such file" --kernel "$probe" --initrd "$TMP/none"
expect_error "missing drive image" "cannot open image $TMP/none.img" --kernel "$probe" --drive "path=$TMP/none.img"

# /dev/kvm absent, and not accessible: in a mount namespace with a /dev of
# our own, and as an unprivileged user.
if command -v unshare >/dev/null; then
	out=$(unshare -m sh -c "mount -t tmpfs none /dev && exec '$AZOTE' --kernel '$probe'" 2>&1)
	expect_eq "no /dev/kvm: exit status" "$?" 1
	expect_match "no /dev/kvm: message" "$out" "/dev/kvm does not exist"
fi
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	cp "$AZOTE" "$probe" "$TMP/" && chmod 755 "$TMP" "$TMP/azote" && chmod 644 "$TMP/probe.elf"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/azote" --kernel "$TMP/probe.elf" 2>&1)
	expect_eq "no permission on /dev/kvm: exit status" "$?" 1
	expect_match "no permission on /dev/kvm: message" "$out" "no permission to open /dev/kvm"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/azote" --kernel "$TMP/probe.elf" \
		--card-user 4242 2>&1)
	expect_eq "--card-user, not root: exit status" "$?" 1
	expect_match "--card-user, not root: message" "$out" "--card-user needs azote to run as root"
fi
expect_error "--card-user root" "--card-user '0': must be UID or UID:GID" --kernel "$probe" --card-user 0

# A triple fault: status 2 and a register dump naming the cause.
triple=$("$ROOT/tests/guests/build.sh" triple "$TMP/guests")
out=$(timeout 30 "$AZOTE" --kernel "$triple" 2>&1 </dev/null)
expect_eq "triple fault: exit status" "$?" 2
expect_match "triple fault: cause" "$out" "triple fault \(KVM_EXIT_SHUTDOWN\)"
# KVM on AMD (kvm_amd) resets the vCPU when it intercepts the shutdown, so
# the fault's registers are gone and the dump must say so, not show the
# reset vector as where the guest died. Intel's and PVM's keep them.
if [ -d /sys/module/kvm_amd ]; then
	expect_match "triple fault: registers lost on AMD" "$out" \
		"registers lost: KVM put this vCPU back in its INIT state"
	expect_eq "triple fault: no reset-vector dump on AMD" \
		"$(grep -c 'rip 000000000000fff0' <<<"$out")" 0
else
	expect_match "triple fault: registers" "$out" "rip 0000000000100[0-9a-f]{3} rsp"
	expect_match "triple fault: segments" "$out" "cs +sel 00"
	expect_match "triple fault: code bytes" "$out" "code at .*: 0f 0b"
fi

# SIGTERM while the guest (waiting for console input) runs: status
# 128+15, and the card azote started is gone with it.
truncate -s 16M "$TMP/disk.img"
echo_guest=$("$ROOT/tests/guests/build.sh" echo "$TMP/guests")
mkfifo "$TMP/in"
"$AZOTE" --kernel "$echo_guest" --drive "path=$TMP/disk.img" <"$TMP/in" >/dev/null 2>&1 &
pid=$!
exec 9>"$TMP/in"
sleep 1
cards=$(pgrep -P "$pid" | wc -l)
expect_eq "one card running under azote" "$cards" 1
kill -TERM "$pid"
wait "$pid"
expect_eq "SIGTERM: exit status" "$?" 143
exec 9>&-
expect_eq "no card left after azote" "$(pgrep -f "azote-card-blk.*$TMP/disk.img" | wc -l)" 0
finish
