# shellcheck shell=bash
# The harness of the shell integration tests (tests/integration/NN-*.sh):
# source it first. It cds to the repository's root and gives
#   $ROOT, $BUILD (the build's directory, default $ROOT/build), $AZOTE,
#   $PROBE_ELF
#   $TMP        the test's scratch directory, removed on exit
#   at_exit CMD         CMD runs at exit, in reverse order of registration,
#                       before $TMP goes; kill_at_exit PID [SIG] for a process
#   pass/fail/expect_eq/expect_match/expect_ok/expect_refusal   checks; fail counts, the
#                       test goes on (an expect_* returns 1 when it failed)
#   die MSG             a failure the test cannot go on from: exits 1
#   finish              the verdict: exit 1 if a check failed, else 0
#   skip REASON         "SKIP: REASON", exit 77: the test cannot run here
#   require CMD...      skips unless every CMD is a command
#   require_root WHY    skips unless root (WHY: what needs it)
#   require_kvm         skips unless /dev/kvm is usable (read-write)
#   require_qemu        skips without qemu-system-x86_64; picks its accelerator
#   need_built FILE...  fails (run make) unless the build made every FILE
# A test exits 0 only through finish, after at least one check: a test
# that ends otherwise with status 0, or with 77 without skip, fails.
# Topic helpers (probe-common.sh, cards.sh, api.sh, netns.sh) source this
# file and build on it.
[ -z "${_AZOTE_COMMON:-}" ] || return 0
_AZOTE_COMMON=1
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
# Exported: probe-run boots these.
export AZOTE=${AZOTE:-$BUILD/azote} PROBE_ELF=${PROBE_ELF:-$BUILD/probe.elf}
_name=${0##*/}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/azote-${_name%.sh}.XXXXXX") || exit 1
FAILS=0 CHECKS=0 _verdict=""
_cleanups=()

at_exit() { _cleanups+=("$*"); }
# kill_at_exit PID [SIG]: ends a background process at exit (SIG: KILL).
kill_at_exit() { at_exit "kill -${2:-KILL} $1 2>/dev/null; wait $1 2>/dev/null"; }
_on_exit() {
	local rc=$? i
	set +e
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[i]}"; done
	rm -rf "$TMP"
	case $rc/$_verdict in
	0/pass | 77/skip | 1/fail) ;;
	0/*) echo "FAIL: the test ended without its verdict (finish)"; exit 1 ;;
	77/*) echo "FAIL: exit status 77 from a failure, not a skip"; exit 1 ;;
	esac
}
trap _on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pass() { echo "ok: $*"; CHECKS=$((CHECKS + 1)); }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)) CHECKS=$((CHECKS + 1)); }

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then pass "$1 = $3"; else fail "$1: got '$2', want '$3'"; return 1; fi
}

# expect_match WHAT TEXT REGEX (grep -E, any line of TEXT)
expect_match() {
	if grep -Eq -- "$3" <<<"$2"; then pass "$1"; else fail "$1: '$3' not in: $2"; return 1; fi
}

# expect_ok WHAT CMD...: CMD succeeds (exit status 0).
expect_ok() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what: status $?: $*"; return 1; fi
}

# expect_refusal STATUS MESSAGE CMD...: CMD ends within 10 s with STATUS
# ("any": any but 0) and its output says MESSAGE (a fixed string): how a
# program refuses a bad command line.
expect_refusal() {
	local status=$1 want=$2 out rc=0
	shift 2
	out=$(timeout 10 "$@" 2>&1) || rc=$?
	if [ "$rc" = 0 ] || [ "$rc" = 124 ] || { [ "$status" != any ] && [ "$rc" != "$status" ]; }; then
		fail "'$*' exited $rc, not ${status/any/non-zero}: $out"
	elif ! grep -qF -- "$want" <<<"$out"; then
		fail "'$*' said: $out (expected: $want)"
	else
		pass "$* -> $(head -1 <<<"$out")"
	fi
}

# The test's verdict: exit 1 if a check failed (or none was made), else 0.
finish() {
	if [ "$FAILS" -gt 0 ]; then
		echo "$FAILS check(s) failed"
		_verdict=fail
		exit 1
	fi
	if [ "$CHECKS" = 0 ]; then
		echo "FAIL: no check was made"
		_verdict=fail
		exit 1
	fi
	_verdict=pass
	exit 0
}

# die MSG: a failure after which the test cannot go on.
die() { fail "$*"; finish; }

# skip REASON: this test cannot run here.
skip() { echo "SKIP: $*"; _verdict=skip; exit 77; }

# require CMD...: skips when a command is missing.
require() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "no $c on this machine"
	done
}

# require_root WHY: skips unless this runs as root.
require_root() {
	[ "$(id -u)" = 0 ] || skip "$1 need root"
}

kvm_usable() { [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; }

# require_kvm: for tests tagged "# needs: kvm" (run-all.sh runs them in the
# box, tests/box/run, where this machine has no KVM).
require_kvm() {
	kvm_usable || skip "no usable /dev/kvm (this test needs KVM; run-all.sh runs it in tests/box/run)"
}

# qemu_accel_pick: sets QEMU_ACCEL_NAME to the accelerator QEMU peers run
# on: KVM where /dev/kvm is usable, else QEMU's TCG; AZOTE_QEMU_ACCEL=
# kvm|tcg|auto overrides, as for probe-run. kvm without a usable /dev/kvm
# skips the test.
qemu_accel_pick() {
	QEMU_ACCEL_NAME=${AZOTE_QEMU_ACCEL:-auto}
	if [ "$QEMU_ACCEL_NAME" = auto ]; then
		if kvm_usable; then QEMU_ACCEL_NAME=kvm; else QEMU_ACCEL_NAME=tcg; fi
	fi
	case $QEMU_ACCEL_NAME in
	kvm) require_kvm ;;
	tcg) ;;
	*) die "AZOTE_QEMU_ACCEL=$QEMU_ACCEL_NAME: want kvm, tcg or auto" ;;
	esac
	echo "QEMU accelerator: $QEMU_ACCEL_NAME"
}

# require_qemu: qemu-system-x86_64 on the accelerator qemu_accel_pick
# chooses. Sets QEMU_ACCEL, its options for a QEMU command line.
require_qemu() {
	require qemu-system-x86_64
	qemu_accel_pick
	if [ "$QEMU_ACCEL_NAME" = kvm ]; then
		QEMU_ACCEL=(-enable-kvm -cpu host,arch-capabilities=off)
	else
		QEMU_ACCEL=(-accel tcg -cpu max)
	fi
}

# need_built FILE...: files the build makes; missing ones fail the test.
need_built() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || die "$f missing: run make first"
	done
}

# The harness's waits count seconds on the clock, not turns of a loop: in
# the box, where a grep or a sleep costs far more than it says, a loop of
# SECS * 10 turns can last several times SECS and outlive the test's own
# limit with nothing said (the likely way test 94 once did).

# wait_socket PATH [SECS]: until a unix socket is at PATH (default 20 s);
# a failed check otherwise (status 1).
wait_socket() {
	local end=$((EPOCHSECONDS + ${2:-20}))
	until [ -S "$1" ]; do
		if [ "$EPOCHSECONDS" -ge "$end" ]; then
			fail "no socket at $1 after ${2:-20} s"
			return 1
		fi
		sleep 0.1
	done
}

# wait_for FILE REGEX SECS [PID]: until a line of FILE matches REGEX
# (status 1 after SECS, or as soon as process PID, the one that writes
# FILE, has ended without it).
wait_for() {
	local end=$((EPOCHSECONDS + $3))
	until grep -Eq -- "$2" "$1" 2>/dev/null; do
		[ "$EPOCHSECONDS" -lt "$end" ] || return 1
		if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then
			grep -Eq -- "$2" "$1" 2>/dev/null
			return
		fi
		sleep 0.1
	done
}

# expect_confined WHAT PID UID GID: the process confined itself as
# jail/confine.h says (waiting up to 10 s for it to get there): that uid and
# gid, no capabilities, no supplementary groups, mount and IPC namespaces
# not ours, a root with nothing in it, and seccomp on.
expect_confined() {
	local what=$1 pid=$2 uid=$3 gid=$4 i st
	for ((i = 0; i < 100; i++)); do
		st=$(cat "/proc/$pid/status" 2>/dev/null) || { fail "$what: process $pid gone"; return 1; }
		grep -Eq "^Seccomp:[[:space:]]+[12]" <<<"$st" && break
		sleep 0.1
	done
	expect_match "$what: uid $uid" "$st" "^Uid:[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid\$" &&
	expect_match "$what: gid $gid, no other groups" "$st" "^Gid:[[:space:]]+$gid[[:space:]]+$gid[[:space:]]+$gid[[:space:]]+$gid\$" &&
	expect_match "$what: no supplementary groups" "$st" "^Groups:[[:space:]]*\$" &&
	expect_match "$what: no capabilities" "$st" "^CapEff:[[:space:]]+0+\$" &&
	expect_match "$what: seccomp on" "$st" "^Seccomp:[[:space:]]+2" || return 1
	local ns
	for ns in mnt ipc; do
		if [ "$(readlink "/proc/$pid/ns/$ns")" = "$(readlink "/proc/self/ns/$ns")" ]; then
			fail "$what: shares our $ns namespace"
			return 1
		fi
	done
	pass "$what: mount and IPC namespaces of its own"
	expect_eq "$what: what its root holds" "$(ls -A "/proc/$pid/root/" 2>&1 | tr '\n' ' ')" ""
}

# huge_pages_available: the 2 MiB pages of the host's pool that are free
# and not reserved (huge_pages "2M" reserves a VM's when it maps RAM);
# status 1 where the kernel has no such pool.
huge_pages_available() {
	local d=/sys/kernel/mm/hugepages/hugepages-2048kB free resv
	free=$(cat "$d/free_hugepages" 2>/dev/null) && resv=$(cat "$d/resv_hugepages") &&
		echo $((free - resv))
}

# huge_pages_free N: the host's pool of 2 MiB pages made to have at least
# N available (root only), put back as it was when the test ends. Status
# 1, with a failed check saying why, where it cannot be.
huge_pages_free() {
	local pool=/proc/sys/vm/nr_hugepages have old
	if ! have=$(huge_pages_available); then
		fail "this kernel has no pool of 2 MiB pages"
		return 1
	fi
	[ "$have" -lt "$1" ] || return 0
	old=$(cat "$pool")
	at_exit "echo $old >$pool"
	echo $((old + $1 - have)) >"$pool" 2>/dev/null || true
	have=$(huge_pages_available)
	[ "$have" -ge "$1" ] && return 0
	fail "the host's pool of 2 MiB pages has $have available, not $1 (raising $pool from $old)"
	return 1
}

# wait_exit PID SECS [CMD...]: the process's exit status, 124 after SECS
# (it is then killed, after CMD has run: what to look at while it hangs).
wait_exit() {
	local pid=$1 end=$((EPOCHSECONDS + $2))
	shift 2
	while [ "$EPOCHSECONDS" -lt "$end" ]; do
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; return $?; }
		sleep 0.1
	done
	[ $# -eq 0 ] || "$@"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 124
}

# threads_of PID: each thread of PID and of its children, with its state
# and where in the kernel it waits (what a hung VM's threads are doing).
threads_of() {
	local p t
	for p in "$1" $(pgrep -P "$1"); do
		for t in /proc/"$p"/task/*; do
			echo "$p/${t##*/} $(cat "$t/comm" 2>/dev/null):" \
				"$(sed 's/.*) //; s/ .*//' "$t/stat" 2>/dev/null)" \
				"$(cat "$t/wchan" 2>/dev/null)"
		done
	done
}
