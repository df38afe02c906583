# shellcheck shell=bash
# azote-jailer in the integration tests (source it after netns.sh when a
# jail joins the test's network namespace): the cgroup hierarchy a jail
# can be put in, and azote started jailed as Firecracker's users start
# Firecracker (docs/jailer.md).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# jail_cgroup: picks the hierarchy with the pids controller, v2 where it
# has one (the box), else v1's; sets cg_version, cg_root, cg_parent (a
# parent cgroup of the test's own, removed at exit) and cg, the jailer's
# options for it. Fails the test where there is none.
jail_cgroup() {
	local v1 v2
	cg_parent=azote-test-$$
	v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)pids(,|$)/ { print $2; exit }' /proc/mounts)
	if [ -n "$v2" ] && grep -qw pids "$v2/cgroup.controllers" 2>/dev/null; then
		cg_version=2 cg_root=$v2
	elif [ -n "$v1" ]; then
		cg_version=1 cg_root=$v1
	else
		die "no cgroup hierarchy with the pids controller on this machine"
	fi
	cg=(--cgroup-version "$cg_version" --parent-cgroup "$cg_parent")
	at_exit "rmdir '$cg_root/$cg_parent'/* '$cg_root/$cg_parent' 2>/dev/null"
}

# jail_azote BASE UID ID OUT AZOTE-ARGS...: azote through the jailer in
# <BASE>/azote/<ID>/root (its files put there first), as UID, in the
# test's network namespace ($NS), a new PID namespace and the cgroup
# jail_cgroup picked (at most 500 tasks); its console (and the jailer's
# messages) in OUT. Sets pid, azote's as this namespace sees it, ended at
# exit.
jail_azote() {
	local base=$1 uid=$2 id=$3 out=$4 root=$1/azote/$3/root
	shift 4
	"$BUILD/azote-jailer" --id "$id" --exec-file "$AZOTE" --uid "$uid" --gid "$uid" \
		--chroot-base-dir "$base" --netns "/run/netns/$NS" --new-pid-ns \
		"${cg[@]}" --cgroup pids.max=500 -- "$@" >"$out" 2>&1 </dev/null
	expect_eq "$id: the jailer's status" "$?" 0 || die "$(cat "$out")"
	pid=$(cat "$root/azote.pid")
	kill_at_exit "$pid"
}

# jail_probe_files ROOT BOOT-ARGS TAP DISK-SIZE: a probe VM's files in the
# chroot ROOT, owned by the VMs' uid ($uid): the probe, a disk of
# DISK-SIZE (unless there is one), and /vm.json (1 vCPU, 128 MiB, the
# disk as d0, a NIC eth0 on TAP), paths inside the chroot.
jail_probe_files() {
	local root=$1
	mkdir -p "$root"
	cp "$PROBE_ELF" "$root/probe.elf"
	[ -f "$root/disk.img" ] || truncate -s "$4" "$root/disk.img"
	cat >"$root/vm.json" <<-EOF
	{
	  "boot-source": { "kernel_image_path": "/probe.elf", "boot_args": "$2" },
	  "drives": [ { "drive_id": "d0", "path_on_host": "/disk.img",
	                "is_root_device": false, "is_read_only": false } ],
	  "network-interfaces": [ { "iface_id": "eth0", "host_dev_name": "$3",
	                            "guest_mac": "06:00:ac:10:00:02" } ],
	  "machine-config": { "vcpu_count": 1, "mem_size_mib": 128 }
	}
	EOF
	chown -R "$uid:$uid" "$root"
}

# jail_gone PID SECS: waits for a process that is not our child to end
# (status 1 if it is still there after SECS).
jail_gone() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}
