#!/usr/bin/env bash
# Issue 15: azote-jailer, Firecracker's jailer command line. A program run
# through it (jail-peek, which prints what it sees) gets exactly the jail
# the options ask for: the arguments after "--" behind "--id ID"; the uid
# and gid with no groups or capabilities; an empty environment and fds 0-2;
# the resource limits; a root holding only itself, its libraries
# (read-only), the device nodes and /run; no host file; the network
# namespace; PID 1 of a new PID namespace with its pid in the chroot; its
# cgroup with the limit written; with --daemonize, detached on /dev/null.
# A chroot is reused by a second run. Bad options, a symbolic link planted
# in a chroot, a jailer not run as root and one that cannot close the fds
# it was given are refused with messages naming what is wrong. (test 17 boots azote through it.)
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/netns.sh
. tests/lib/jail.sh
need_built "$BUILD/azote-jailer" "$BUILD/tests/jail-peek" "$BUILD/tests/no-close-range"
netns_init
require setpriv
J=$BUILD/azote-jailer PEEK=$BUILD/tests/jail-peek
base=$TMP/jails uid=4321
mkdir -p "$base"
who=(--uid "$uid" --gid "$uid")
ids=(--exec-file "$PEEK" "${who[@]}" --chroot-base-dir "$base")

# refused WHAT WANT ARGS...: the jailer exits 1 saying WANT.
refused() {
	local what=$1 want=$2 out rc
	shift 2
	out=$("$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" = 1 ] && [[ $out == *"$want"* ]]; then
		pass "$what: refused ($out)"
	else
		fail "$what: rc=$rc, '$want' not in: $out"
	fi
}

echo "--- refused"
refused "no options" "missing --id" "$J"
refused "a bad id" "--id 'vm_1'" "$J" --id vm_1 "${ids[@]}"
refused "a missing exec file" "--exec-file $TMP/nosuch: No such file" \
	"$J" --id a "${who[@]}" --chroot-base-dir "$base" --exec-file "$TMP/nosuch"
refused "a missing base" "--chroot-base-dir $TMP/nobase" \
	"$J" --id a "${who[@]}" --exec-file "$PEEK" --chroot-base-dir "$TMP/nobase"
refused "an unknown limit" "unknown limit 'nproc'" "$J" --id a "${ids[@]}" --resource-limit nproc=3
refused "a missing netns" "--netns $TMP/nons" "$J" --id nons "${ids[@]}" --netns "$TMP/nons"
refused "a namespace of another kind" "--netns /proc/self/ns/uts is not a network namespace" \
	"$J" --id notnet "${ids[@]}" --netns /proc/self/ns/uts
expect_eq "and no chroot was made for either" \
	"$(ls -A "$base/jail-peek" 2>/dev/null | grep -cE '^(nons|notnet)$')" 0
refused "a cgroup file without controller" "--cgroup" "$J" --id a "${ids[@]}" --cgroup max=3
# (cgroup.procs=PID would move any process: a harmless file here, should
# a jailer take it.)
refused "a cgroup.* file" "--cgroup 'cgroup.max.depth=2': FILE must be a controller's" \
	"$J" --id a "${ids[@]}" --cgroup-version 2 --parent-cgroup "azote-test-$$" \
	--cgroup cgroup.max.depth=2
refused "fds it cannot close (close_range fails): nothing jailed" \
	"cannot close the file descriptors it was given (close_range: Function not implemented)" \
	"$BUILD/tests/no-close-range" "$J" --id fdleak "${ids[@]}" 7</etc/hostname
expect_eq "and nothing was made for it" "$(ls -A "$base/jail-peek" 2>/dev/null | grep -c '^fdleak$')" 0
refused "not root" "must run as root" setpriv --reuid "$uid" --regid "$uid" --clear-groups \
	"$J" --id a "${ids[@]}"
mkdir -p "$base/jail-peek/evil" "$base/jail-peek/evil2/root" "$TMP/outside"
ln -s "$TMP/outside" "$base/jail-peek/evil/root"
refused "a chroot that is a symbolic link" "symbolic link" "$J" --id evil "${ids[@]}"
ln -s "$TMP/outside" "$base/jail-peek/evil2/root/lib"
refused "a symbolic link inside the chroot" "mount point" "$J" --id evil2 "${ids[@]}"
expect_eq "nothing was made through the links" "$(ls -A "$TMP/outside")" ""

# The cgroup the jail gets: v2 where its hierarchy has the pids
# controller (as in the box), else v1's pids hierarchy.
jail_cgroup

ip -n "$NS" tuntap add dev jtap0 mode tap user "$uid" group "$uid"

# peek_start ID OUT JAILER-OPTIONS...: jails jail-peek --hold in a new PID
# namespace; sets pid (as this namespace sees it) once it has printed all.
peek_start() {
	local id=$1 out=$2 rc i pidfile=$base/jail-peek/$1/root/jail-peek.pid
	shift 2
	# A reused jail holds the last run's pid file; with --daemonize the
	# jailer returns before its child has written the new one.
	rm -f "$pidfile"
	"$J" --id "$id" "${ids[@]}" --new-pid-ns "$@" -- --hold extra-arg >"$out" 2>&1
	rc=$?
	expect_eq "$id: the jailer's status" "$rc" 0 || die "$(cat "$out")"
	for ((i = 0; i < 100; i++)); do [ -s "$pidfile" ] && break; sleep 0.1; done
	pid=$(cat "$pidfile") || die "$id: no pid file $pidfile"
	kill_at_exit "$pid"
}
# peek_end: kills the jailed process and waits until it is gone.
peek_end() {
	local i
	kill -9 "$pid"
	for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	fail "process $pid outlived SIGKILL"
}

echo "--- jailed, in a new PID namespace, a netns and a cgroup"
peek_start peek-1 "$TMP/peek.out" --netns "/run/netns/$NS" \
	"${cg[@]}" --cgroup pids.max=50 \
	--resource-limit no-file=100 --resource-limit fsize=1048576
wait_for "$TMP/peek.out" "peek done" 10 || die "jail-peek did not finish: $(cat "$TMP/peek.out")"
o=$(cat "$TMP/peek.out")
echo "$o"
expect_match "argv: --id ID, the start-up times, then what follows --" "$o" \
	"^argv=/jail-peek --id peek-1 --start-time-us [0-9]+ --start-time-cpu-us [0-9]+ --parent-cpu-time-us [0-9]+ --hold extra-arg$"
expect_match "uid" "$o" "^uid=$uid:$uid:$uid$"
expect_match "gid" "$o" "^gid=$uid:$uid:$uid$"
expect_match "no supplementary groups" "$o" "^groups=0$"
expect_match "no capabilities" "$o" "^cap_eff=0+$"
expect_match "no permitted capabilities" "$o" "^cap_prm=0+$"
expect_match "PID 1 of its namespace" "$o" "^pid=1$"
expect_match "only fds 0-2" "$o" "^fds=0 1 2$"
expect_match "an empty environment" "$o" "^env=0$"
expect_match "no-file limit" "$o" "^nofile=100$"
expect_match "fsize limit" "$o" "^fsize=1048576$"
root=$(sed -n 's/^root=//p' <<<"$o")
expect_match "its root holds itself, dev and run" "$root" "(^| )dev .*jail-peek.* run($| )"
bad=$(tr ' ' '\n' <<<"$root" | grep -Ev '^(dev|jail-peek|jail-peek\.pid|run|lib|lib64|usr)$')
expect_eq "nothing else of the host at its root" "$bad" ""
expect_match "its device nodes" "$o" "^dev=kvm net null urandom( userfaultfd)?$"
expect_match "no host file" "$o" "^host_passwd=ENOENT$"
expect_match "no /proc" "$o" "^proc=ENOENT$"
# mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ...
mounts=$(awk '$5 != "/" { print $5, $6 }' "/proc/$pid/mountinfo")
expect_match "its libraries are bound in" "$mounts" "^/lib[^ ]*/libc\.so\.6 "
expect_eq "every bound library is read-only" "$(grep -v ' ro,' <<<"$mounts")" ""
expect_match "the network namespace's interfaces" "$o" "^ifs=lo jtap0$"
expect_eq "its network namespace" "$(stat -L -c %i "/proc/$pid/ns/net")" \
	"$(stat -L -c %i "/run/netns/$NS")"
[ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] &&
	pass "a mount namespace of its own" || fail "the jail shares our mount namespace"
expect_match "NSpid: ours, then 1" "$(grep NSpid "/proc/$pid/status")" "^NSpid:[[:space:]]+$pid[[:space:]]+1$"
if [ "$cg_version" = 2 ]; then
	expect_match "its cgroup (v2)" "$(cat "/proc/$pid/cgroup")" "^0::/$cg_parent/peek-1$"
else
	expect_match "its cgroup (v1 pids)" "$(cat "/proc/$pid/cgroup")" "^[0-9]+:pids:/$cg_parent/peek-1$"
fi
expect_eq "pids.max written" "$(cat "$cg_root/$cg_parent/peek-1/pids.max")" 50
expect_eq "the chroot's files are the jailed uid's" \
	"$(stat -c %u:%a "$base/jail-peek/peek-1/root" "$base/jail-peek/peek-1/root/jail-peek" | tr '\n' ' ')" \
	"$uid:700 $uid:755 "
peek_end

echo "--- the same chroot again, daemonized"
peek_start peek-1 "$TMP/peek2.out" --daemonize
for ((i = 0; i < 50; i++)); do
	[ "$(readlink "/proc/$pid/fd/1" 2>/dev/null)" = /dev/null ] && break
	sleep 0.1
done
expect_eq "stdin, stdout and stderr on /dev/null" \
	"$(readlink "/proc/$pid/fd/0") $(readlink "/proc/$pid/fd/1") $(readlink "/proc/$pid/fd/2")" \
	"/dev/null /dev/null /dev/null"
expect_eq "nothing on the jailer's output" "$(cat "$TMP/peek2.out")" ""
[ "$(ps -o sid= -p "$pid")" != "$(ps -o sid= -p $$)" ] && pass "a session of its own" ||
	fail "the daemon shares our session"
peek_end

echo "--- without a new PID namespace: the pid file names the jailed process too"
rm -f "$base/jail-peek/peek-3/root/jail-peek.pid"
"$J" --id peek-3 "${ids[@]}" -- >"$TMP/peek3.out" 2>&1
expect_eq "peek-3: the jailer's status" "$?" 0
expect_eq "jail-peek.pid holds the pid the jailed process had" \
	"$(cat "$base/jail-peek/peek-3/root/jail-peek.pid" 2>&1)" \
	"$(sed -n 's/^pid=//p' "$TMP/peek3.out")"

echo "--- a pid file an earlier jail left is not overwritten (Firecracker's create_new)"
"$J" --id peek-3 "${ids[@]}" -- >"$TMP/peek3b.out" 2>&1
expect_eq "peek-3 once more: the jailer stops" "$?" 1
expect_match "saying why" "$(cat "$TMP/peek3b.out")" \
	"cannot create /jail-peek.pid in the chroot: File exists \(an earlier jail of this --id left it"
expect_eq "before it ran anything" "$(grep -c '^pid=' "$TMP/peek3b.out")" 0
expect_eq "the file still names the first run's process" \
	"$(cat "$base/jail-peek/peek-3/root/jail-peek.pid" 2>&1)" \
	"$(sed -n 's/^pid=//p' "$TMP/peek3.out")"
"$J" --id peek-3 "${ids[@]}" --new-pid-ns -- >"$TMP/peek3c.out" 2>&1
expect_eq "with --new-pid-ns: the jailer stops too" "$?" 1
wait_for "$TMP/peek3c.out" "peek done" 2 &&
	fail "and yet the jailed program ran: $(cat "$TMP/peek3c.out")" ||
	pass "and nothing ran jailed"

echo "--- --uid 0 (Kata's): root keeps its capabilities, as docs/jailer.md says"
"$J" --id root0 --exec-file "$PEEK" --uid 0 --gid 0 --chroot-base-dir "$base" -- \
	>"$TMP/root0.out" 2>&1
expect_eq "root0: the jailer's status" "$?" 0
expect_match "uid 0" "$(cat "$TMP/root0.out")" "^uid=0:0:0$"
expect_match "its capabilities kept" "$(cat "$TMP/root0.out")" "^cap_eff=0*[1-9a-f][0-9a-f]*$"

echo "--- fds 0-2 the caller closed are /dev/null in the jail"
"$J" --id fds "${ids[@]}" -- <&- 2>&- >"$TMP/fds.out"
expect_eq "fds: the jailer's status" "$?" 0
expect_match "fds 0-2 open" "$(cat "$TMP/fds.out")" "^fds=0 1 2$"

echo "--- the resource limits bind the jailed program, not the jailer's work"
# Through a pipe, which fsize does not limit, unlike the pid file.
"$J" --id limits "${ids[@]}" --resource-limit fsize=1 -- 2>&1 | cat >"$TMP/limits.out"
expect_eq "fsize=1: the jailer's status" "${PIPESTATUS[0]}" 0
expect_match "the program has the limit" "$(cat "$TMP/limits.out")" "^fsize=1$"
expect_eq "the pid file is whole" "$(cat "$base/jail-peek/limits/root/jail-peek.pid")" \
	"$(sed -n 's/^pid=//p' "$TMP/limits.out")"
echo "--- a reused jail its tenant changed: refused, no host file changed"
# As firecracker-go-sdk does, the client hard-links shared, root-owned
# files (a kernel) into the chroot; the tenant owns the jail's root and may
# rename them, or leave links, FIFOs and directories, where the jailer
# works. (Done here as root: the state left is the same.)
shared=$TMP/shared reuse=$base/jail-peek/reuse/root
mkdir -p "$shared" "$reuse"
for f in vmlinux initrd; do
	echo "$f" >"$shared/$f"
	chmod 644 "$shared/$f"
	ln "$shared/$f" "$reuse/$f"
done
"$J" --id reuse "${ids[@]}" -- >"$TMP/reuse.out" 2>&1
expect_eq "reuse: the first run" "$?" 0
# tenant COMMANDS: run in the jail's root, after removing the pid file
# (the tenant may: it owns the root).
tenant() { rm -f "$reuse/jail-peek.pid"; (cd "$reuse" && eval "$1"); }
unchanged() { expect_eq "$1: the shared files are still root's, mode 644" \
	"$(stat -c %u:%a "$shared/vmlinux" "$shared/initrd" | tr '\n' ' ')" "0:644 0:644 "; }
tenant 'rm -rf dev && mv vmlinux dev'
refused "the kernel's link moved to /dev" \
	"cannot make /dev in the chroot: Not a directory (something other than a directory" \
	"$J" --id reuse "${ids[@]}"
unchanged "/dev a file"
tenant 'rm -f dev && mkdir dev && rmdir run && ln -s /initrd run'
refused "/run a symbolic link to the initrd's link" "cannot make /run in the chroot" \
	"$J" --id reuse "${ids[@]}"
unchanged "/run a link"
tenant 'rm run && mkdir run'
"$J" --id reuse "${ids[@]}" -- >"$TMP/reuse.out" 2>&1
expect_eq "reuse: directories again, the jailer runs" "$?" 0
tenant 'chmod 666 dev/null && chown 0:0 dev/urandom'
"$J" --id reuse "${ids[@]}" -- >"$TMP/reuse.out" 2>&1
expect_eq "reuse: a node's mode and owner changed, the jailer runs" "$?" 0
expect_eq "and makes them anew" "$(stat -c %u:%a "$reuse/dev/null" "$reuse/dev/urandom" |
	tr '\n' ' ')" "$uid:600 $uid:600 "
tenant 'ln dev/null ../other-null'
refused "a node with another link (another jail's, say)" \
	"cannot create /dev/null (1:3) in the chroot: something else is there" \
	"$J" --id reuse "${ids[@]}"
tenant 'rm ../other-null && rm jail-peek && mkfifo jail-peek'
refused "a FIFO at /jail-peek: no hang" \
	"cannot create jail-peek in the chroot: a FIFO or socket is there" \
	timeout 20 "$J" --id reuse "${ids[@]}"
libc=$(ldd "$PEEK" | awk '$1 == "libc.so.6" { print $3 }')
tenant "rm jail-peek && rm -f '.$libc' && mkfifo '.$libc'"
refused "a FIFO where a library is bound: no hang" \
	"cannot make a mount point for $libc in the chroot: a FIFO or socket is there" \
	timeout 20 "$J" --id reuse "${ids[@]}"
tenant "rm '.$libc' && mkdir old_root"
refused "an old_root there already" "cannot make $reuse/old_root: File exists" \
	"$J" --id reuse "${ids[@]}"
rmdir "$reuse/old_root"
finish
