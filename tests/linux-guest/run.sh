#!/usr/bin/env bash
# Boots the Linux test guest under a VMM, runs the checks named, and judges
# the result lines the guest's init prints ("LINUX <check> PASS|FAIL ...").
# Exit 0 when every check asked for passed and the VMM ended with status 0;
# 1 on a FAIL, a missing line, a VMM error or a timeout; 2 on bad usage.
#
#   run.sh [--vmm qemu|azote] [--kernel vmlinux|bzImage] [--checks LIST]
#          [--memory SIZE] [--cpus N] [--drive IMG[,ro]]... [--net]
#          [--net-queues N]
#          [--machine q35|microvm] [--tcg] [--timeout SECONDS]
#          [--log FILE] [--azote PATH] [--append ARGS] [--quiet]
#          [--wrong LIST] [--transport pci|mmio] [--reboot k|default|poweroff]
#          [--vmm-arg ARG]... [--when LINE COMMAND] [--vsock]
#          [--vsock-moved NEW_UDS] [--mmds V1|V2] [--rng] [--fio OPTIONS]
#          [--balloon MIB[,reporting]] [--pmem FILE[,ro][,write=OFF:LEN]]
#          [--config-file] [--print-command]
#
# --checks   comma list of boot,blk,blkro,blkgrow,net,snap,irq,smp,acpi,
#            vsock,vsnap,rng,mmds,balloon,pmem,fio (default: boot); blkgrow (lg.blkgrow= in --append) waits for
#            --when's COMMAND to grow its disk; snap (lg.snap= in --append,
#            after net) is snapshotted by the host while it writes;
#            run irq after blk/net: it needs their I/O to see counts rise;
#            acpi needs a kernel with ACPI (stock)
# --drive    a raw image; the first read-write one is checked by blk, the
#            first ,ro one by blkro (vda, vdb... in the order given). More
#            items after ,: poll_us=N (azote's card polls N us; azote
#            only), iothread[=NS] (QEMU serves the disk from an iothread
#            of its own, polling up to NS ns: QEMU's default without =NS,
#            0: no polling; QEMU only), aio=MODE (QEMU's -drive aio=);
#            an item for the other VMM is left out of its command line
# --net      a TAP in a network namespace made for the run, host end
#            10.213.0.1/24, guest 10.213.0.2 (needs root)
# --net-queues  azote only, with --net: N queue pairs (2 to 8) on a
#            multi_queue TAP (--net queues=N), told to the guest
#            (lg.net_queues=N: the snap check's pings from N CPUs, which
#            --cpus must give)
# --machine  QEMU only: q35 (default; PCI, so the virtio devices) or
#            microvm (an i8042 added to reset through; no PCI without
#            ACPI, so devices only with --transport mmio)
# --tcg      QEMU's software CPU instead of KVM: shows that a stock kernel
#            boots where this machine's KVM cannot run it
# --log      keep the guest console (and VMM stderr) in FILE
# --append   more kernel arguments (e.g. for debugging)
# --quiet    kernel argument quiet: less console output, slightly faster
#            (without it, a VMM and guest silent for their first 120 s
#            fail then, wedged, rather than at --timeout)
# --transport  how the VMM shows the virtio devices: pci (default) or mmio
#            (azote --transport mmio; QEMU's microvm with virtio-*-device),
#            described to the kernel by virtio_mmio.device= arguments
# --wrong    make the checks fail, to show they can: tell the guest a wrong
#            expectation (mem, cmdline, echo, blk, mac, cpus, rng, pmem), attach the
#            ,ro drive writable (ro), give QEMU's devices no MSI-X (irq),
#            or offer the balloon's deflate-on-OOM (balloon); a comma list
# --reboot   how the guest's final reboot resets the machine: k (default,
#            reboot=k: straight to the keyboard controller) or default
#            (no reboot= argument: Linux's own choice; with hardware-
#            reduced ACPI and no EFI, the BIOS reset vector), or poweroff
#            (the guest powers off: ACPI S5 under azote; a kernel without
#            ACPI halts, and the timeout ends the run)
# --vmm-arg  one more argument for azote (e.g. --api-sock PATH), repeatable
# --when     run COMMAND (bash -c) once, when the console shows LINE: the
#            host's part of a check (blkgrow: a PATCH through the API);
#            LG_CONSOLE names the file the console goes to as it runs
# --vsock    azote only: a vsock device (--vsock cid=3,uds=...) and the
#            host's part of the vsock check (lib/vsock-host.py), which must
#            pass too; needs a kernel with virtio-vsock (stock)
# --vsock-moved  --vsock, whose host side is the vsnap check's: the VM
#            snapshotted after "LINUX vsnap-go" and loaded into a VMM whose
#            vsock serves NEW_UDS (vsock_override; its directory must let
#            the card in); the host side serves the old path before, the
#            new one after, and checks the old one is left alone
# --rng      an entropy device (azote: --rng; QEMU: virtio-rng on
#            /dev/urandom) for the rng check, which reads 4096 bytes of
#            /dev/hwrng; needs a kernel with virtio-rng (stock)
# --mmds     azote only, with --net and no --drive or --vsock: the VM as a
#            Firecracker config file (--config-file: MMDS is configured
#            before boot) whose mmds-config names the NIC with this version,
#            on virtio-mmio unless --transport pci (--enable-pci); the mmds
#            check reads lg.mmds_path=/latest/meta-data/ami-id until it is
#            LG_MMDS_VALUE (exported to --when's COMMAND, which gives the
#            document through the API: --vmm-arg --api-sock PATH)
# --balloon  a virtio-balloon of 0 MiB with the guest's statistics every
#            second and no deflate-on-OOM (azote: --balloon, or the config
#            file's "balloon" with --config-file; QEMU: virtio-balloon with
#            id balloon0, guest RAM a memfd, QMP on a socket), and the
#            host's part of the balloon check (lib/balloon-host.py), which
#            must complete too: on "LINUX balloon-wait" it inflates the
#            balloon to MIB (azote: PATCH /balloon through the API socket,
#            run.sh's own unless --vmm-arg --api-sock gives one; QEMU: QMP
#            balloon) and waits for the device's actual size and the
#            guest's statistics to show it, on "LINUX balloon-inflated" it
#            deflates it to 0; its figures (the memfd's allocated KiB
#            before and after inflating, the statistics) on the lines
#            "balloon-host: inflate|deflate key=value ..."; needs a kernel
#            with virtio-balloon (stock). ",reporting": with free page
#            reporting (azote: free_page_reporting; QEMU:
#            free-page-reporting=on), and before inflating the host waits
#            until the memfd holds less than what the guest wrote and freed
#            (its reports gave the freed pages back)
# --pmem     a virtio-pmem device backed by FILE (azote: --pmem path=FILE;
#            QEMU, q35 only: a memory-backend-file shared with the guest,
#            FILE's size a multiple of 2 MiB, in device memory that -m's
#            maxmem makes room for) and the pmem check's expectations,
#            computed from FILE: the device's size (FILE's rounded up to
#            2 MiB), the CRC-32 of all of FILE, FILE's length (the rest of
#            the region must read zero); the check writes LEN bytes of a
#            pattern at OFF (default 65536 at 1 MiB + 123, or the first
#            4 KiB of a smaller file) and prints their CRC-32 (wcrc=) for
#            the host to find in FILE afterwards. ,ro: a read-only device
#            (azote ,ro; QEMU readonly=on) that the check only reads
# --config-file  azote only, with no --drive, --vsock, --rng or --pmem: the VM as a
#            Firecracker config file (--config-file; --mmds implies it),
#            with --enable-pci unless --transport mmio
# --fio      the fio check's job (lg.fio=OPTIONS, a comma list of fio's
#            long options without dashes: init/check_fio.c) and the
#            bench-only initramfs that carries Debian's fio
#            (build-initramfs.sh --fio); with --checks fio (bench/, metric fio)
# --print-command  print the VMM's command line (each argument followed by
#            a NUL byte) and exit without running it: for benchmarks that
#            start and time the VMM themselves (bench/, metric linux). Not
#            with --net, --vsock or --when, whose host side this script
#            runs; the guest then waits for its echo (boot check) in vain
#
# The kernel and initramfs come from build.sh (built or cached); the mode is
# LINUX_GUEST=test|stock (see README.md). Prints the result lines, the boot
# time and a final "linux-guest: PASS|FAIL" line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib/common.sh"

vmm=qemu kernel=vmlinux checks=boot memory=128M cpus=1 machine=q35 tcg=0
timeout=240 silent_limit=120 log= azote=${AZOTE:-$root/build/azote} append= quiet=0 net=0 net_queues=1 wrong=,
transport=pci reboot=k when_line= when_cmd= extra_vmm_args=()
drives=() vsock=0 vsock_moved= rng=0 pmem= mmds= print_cmd=0 fio= balloon= balloon_reporting=0 config_file=0
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--vmm) vmm=$2; shift ;;
	--kernel) kernel=$2; shift ;;
	--checks) checks=$2; shift ;;
	--memory) memory=$2; shift ;;
	--cpus) cpus=$2; shift ;;
	--drive) drives+=("$2"); shift ;;
	--net) net=1 ;;
	--net-queues) net_queues=$2; shift ;;
	--machine) machine=$2; shift ;;
	--tcg) tcg=1 ;;
	--timeout) timeout=$2; shift ;;
	--log) log=$2; shift ;;
	--azote) azote=$2; shift ;;
	--append) append=$2; shift ;;
	--quiet) quiet=1 ;;
	--wrong) wrong=",$2," ; shift ;;
	--transport) transport=$2; shift ;;
	--reboot) reboot=$2; shift ;;
	--vmm-arg) extra_vmm_args+=("$2"); shift ;;
	--when) when_line=$2; when_cmd=$3; shift 2 ;;
	--vsock) vsock=1 ;;
	--vsock-moved) vsock=1 vsock_moved=$2; shift ;;
	--rng) rng=1 ;;
	--pmem) pmem=$2; shift ;;
	--mmds) mmds=$2; shift ;;
	--fio) fio=$2; shift ;;
	--balloon) balloon=$2; shift ;;
	--config-file) config_file=1 ;;
	--print-command) print_cmd=1 ;;
	-h|--help) usage ;;
	*) echo "run.sh: unknown argument $1" >&2; usage ;;
	esac
	shift
done

size_bytes() {
	local n=${1%[KMGkmg]} u=${1##*[0-9]}
	[[ $n =~ ^[0-9]+$ ]] || lg_die "bad size $1"
	case $u in
	"") echo "$n" ;; K|k) echo $((n << 10)) ;; M|m) echo $((n << 20)) ;;
	G|g) echo $((n << 30)) ;; *) lg_die "bad size $1" ;;
	esac
}
mem_bytes=$(size_bytes "$memory")
if [ "$print_cmd" -eq 1 ] && { [ "$net" -eq 1 ] || [ "$vsock" -eq 1 ] || [ -n "$when_line" ] ||
				 [ -n "$balloon" ]; }; then
	lg_die "--print-command: not with --net, --vsock, --balloon or --when (their host side runs here)"
fi
# 1 when --wrong names $1: the guest is then told a value off by a little.
off() { [[ $wrong == *,$1,* ]] && echo 1 || echo 0; }
[[ $cpus =~ ^[0-9]+$ ]] && [ "$cpus" -ge 1 ] || lg_die "bad --cpus $cpus"
if [ "$net_queues" != 1 ]; then
	[[ $net_queues =~ ^[2-8]$ ]] || lg_die "bad --net-queues $net_queues: 2 to 8"
	[ "$net" -eq 1 ] && [ "$vmm" = azote ] || lg_die "--net-queues: azote only, with --net"
fi

lg_artifacts
if [[ ,$checks, == *,fio,* ]] || [ -n "$fio" ]; then
	[[ ,$checks, == *,fio,* ]] && [ -n "$fio" ] || lg_die "--checks fio and --fio go together"
	[[ $fio != *[[:space:]]* ]] || lg_die "--fio: no blanks in fio's options"
	# The variant with fio in it, for the kernel of this mode: the test
	# kernel's has no modules, a stock kernel's its virtio modules.
	mods=()
	[ "$LG_MODE" = test ] || mods=("$(dirname "$LG_VMLINUX")/modules")
	LG_INITRD=$("$here/build-initramfs.sh" --fio ${mods[@]+"${mods[@]}"})
fi
case $kernel in
vmlinux) kimage=$LG_VMLINUX ;;
bzImage) kimage=$LG_BZIMAGE ;;
*) lg_die "--kernel must be vmlinux or bzImage, not $kernel" ;;
esac
[ -f "$kimage" ] || lg_die "$kimage: no such kernel (stock kernels may lack an ELF vmlinux)"

tmp=$(mktemp -d /tmp/linux-guest.XXXXXX)
ns= pid= vsock_pid=
cleanup() {
	# The VMM and vsock's host side, whichever still run.
	for p in $pid $vsock_pid; do
		if kill -0 "$p" 2>/dev/null; then
			kill "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	exec 8>&- 2>/dev/null || true
	[ -z "$ns" ] || ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- kernel command line ---------------------------------------------------
# Needed by the test, whatever the kernel: the console, a keyboard-
# controller reset as the way out (ends the VMM with status 0; --reboot
# default leaves the way to Linux), and a panic that ends the run at once
# instead of waiting for the timeout.
case $reboot in
k) cmdline="console=ttyS0 reboot=k panic=-1" ;;
default) cmdline="console=ttyS0 panic=-1" ;;
poweroff) cmdline="console=ttyS0 panic=-1 lg.end=poweroff" ;;
*) lg_die "--reboot must be k, default or poweroff" ;;
esac
[ "$quiet" -eq 0 ] || cmdline+=" quiet"
# Only for the test kernel, on the development machines whose KVM emulates
# ring 0 and cannot run some instructions there (README.md has the
# measurements); never for a stock kernel. LG_EMU_ARGS replaces them, for
# experiments.
#   noxsave          XRSTOR/XSAVE in FPU set-up and context switch
#   nofsgsbase       RDGSBASE & co. and the LSL/RDPID per-CPU lookup in the
#                    paranoid (NMI, #DB, #MC) entry
#   clearcpuid=smap  CLAC/STAC at every kernel entry and user access
#   clearcpuid=popcnt  POPCNT in bitmap code
emu_args="noxsave nofsgsbase clearcpuid=smap,popcnt"
# Nor can it run hypercalls: with more than one vCPU Linux sends IPIs with
# KVM's PV send-IPI hypercall and the vCPU spins on it. So the VMM hides
# that feature (and PV sched-yield, the other hypercall) in CPUID: azote
# with a CPU template, QEMU with -cpu flags (below).
cpu_template=$root/docs/cpu-templates/no-kvm-pv-hypercalls.json
if [ "$LG_MODE" = test ]; then
	cmdline+=" ${LG_EMU_ARGS-$emu_args}"
fi
[ -z "$append" ] || cmdline+=" $append"

nonce=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
cmdline+=" lg.checks=$checks lg.mem=$((mem_bytes + $(off mem) * (2 << 20)))"
cmdline+=" lg.cpus=$((cpus + $(off cpus))) lg.echo=lg-$nonce"
cmdline+=" lg.seed=$((16#$nonce))"

vmm_args=()
case $transport in
pci) ;;
mmio) [ "$vmm" = azote ] || machine=microvm ;;
*) lg_die "--transport must be pci or mmio" ;;
esac
msix=$([ "$(off irq)" -eq 0 ] || echo ,vectors=0)
# QEMU's device for a kind ("blk", "net") on the transport, and the PCI
# function's options (modern only; no MSI-X for --wrong irq).
qemu_dev() {
	if [ "$transport" = mmio ]; then echo "virtio-$1-device,"; else echo "virtio-$1-pci,"; fi
}
qemu_pci_opts() { [ "$transport" = mmio ] || echo ",disable-legacy=on$msix"; }
blk_seen=0 ro_seen=0 devs=0 letter=({a..z})
for d in ${drives[@]+"${drives[@]}"}; do
	img=${d%%,*}
	[ -f "$img" ] || lg_die "--drive $img: no such file"
	sectors=$(( $(stat -c %s "$img") / 512 ))
	name=vd${letter[devs]}
	items=,${d#"$img"},
	if [[ $items == *,ro,* ]]; then
		[ $ro_seen -eq 1 ] || cmdline+=" lg.blkro=$name:$sectors"
		ro_seen=1 ro=$((1 - $(off ro)))
	else
		[ $blk_seen -eq 1 ] || cmdline+=" lg.blk=$name:$((sectors + $(off blk) * 8))"
		blk_seen=1 ro=0
	fi
	# The other items, each for one VMM (the other leaves it out).
	azote_opts= qemu_drive= qemu_devopts=
	for it in ${items//,/ }; do
		case $it in
		ro) ;;
		poll_us=[0-9]*) azote_opts+=",$it" ;;
		iothread|iothread=[0-9]*)
			[ "$vmm" != qemu ] || vmm_args+=(-object "iothread,id=io$devs$([ "$it" = iothread ] ||
				echo ",poll-max-ns=${it#iothread=}")")
			qemu_devopts+=",iothread=io$devs" ;;
		aio=[a-z_]*) qemu_drive+=",$it" ;;
		*) lg_die "--drive $d: unknown item $it" ;;
		esac
	done
	case $vmm in
	qemu) vmm_args+=(-drive "file=$img,format=raw,if=none,id=d$devs$([ $ro -eq 0 ] || echo ,readonly=on)$qemu_drive"
			 -device "$(qemu_dev blk)drive=d$devs$(qemu_pci_opts)$qemu_devopts") ;;
	azote) vmm_args+=(--drive "path=$img,id=d$devs$([ $ro -eq 0 ] || echo ,ro)$azote_opts") ;;
	esac
	devs=$((devs + 1))
done

netns_exec=()
if [ "$net" -eq 1 ]; then
	ns=lg-$$
	tap=lgtap0
	mac=52:54:00:4c:47:$(printf '%02x' $(( $$ % 256 )))
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	# shellcheck disable=SC2046 # nothing, or multi_queue
	ip -n "$ns" tuntap add dev "$tap" mode tap $([ "$net_queues" -eq 1 ] || echo multi_queue)
	ip -n "$ns" addr add 10.213.0.1/24 dev "$tap"
	ip -n "$ns" link set "$tap" up
	netns_exec=(ip netns exec "$ns")
	cmdline+=" lg.mac=${mac%:*}:$(printf '%02x' $(( ($$ + $(off mac)) % 256 )))"
	cmdline+=" lg.ip=10.213.0.2/24 lg.peer=10.213.0.1"
	[ "$net_queues" -eq 1 ] || cmdline+=" lg.net_queues=$net_queues"
	case $vmm in
	qemu) vmm_args+=(-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no"
			 -device "$(qemu_dev net)netdev=n0,mac=$mac$(qemu_pci_opts)") ;;
	azote) vmm_args+=(--net "tap=$tap,mac=$mac,id=n0$([ "$net_queues" -eq 1 ] ||
							echo ",queues=$net_queues")") ;;
	esac
	devs=$((devs + 1))
fi
if [ "$vsock" -eq 1 ]; then
	[ "$vmm" = azote ] || lg_die "--vsock: azote only (QEMU's vhost-vsock needs the host's)"
	chmod 0755 "$tmp"   # the card, as nobody, works in the socket's directory
	vmm_args+=(--vsock "cid=3,uds=$tmp/v.sock")
	cmdline+=" lg.vsock_cid=3 lg.vsock_out=5000 lg.vsock_in=5001"
	devs=$((devs + 1))
fi
if [ "$rng" -eq 1 ]; then
	case $vmm in
	qemu) vmm_args+=(-object rng-random,id=rng0,filename=/dev/urandom
			 -device "$(qemu_dev rng)rng=rng0$(qemu_pci_opts)") ;;
	azote) vmm_args+=(--rng) ;;
	esac
	cmdline+=" lg.rng_current=virtio_rng.$(off rng) lg.rng_bytes=4096"
	devs=$((devs + 1))
fi
qemu_maxmem=0
if [ -n "$pmem" ]; then
	pmem_file=${pmem%%,*} pmem_ro=0 pmem_write=
	[ -f "$pmem_file" ] && [ -s "$pmem_file" ] || lg_die "--pmem $pmem_file: no such file, or empty"
	for it in $(tr , ' ' <<< "${pmem#"$pmem_file"}"); do
		case $it in
		ro) pmem_ro=1 ;;
		write=[0-9]*:[0-9]*) pmem_write=${it#write=} ;;
		*) lg_die "--pmem $pmem: unknown item $it (ro, write=OFF:LEN)" ;;
		esac
	done
	pmem_len=$(stat -c %s "$pmem_file")
	# The region, as both VMMs size it (the device configuration says
	# so): the file's length rounded up to 2 MiB.
	pmem_size=$(( (pmem_len + (2 << 20) - 1) / (2 << 20) * (2 << 20) ))
	pmem_crc=$(/usr/bin/python3 -c 'import sys, zlib
print("%08x" % zlib.crc32(open(sys.argv[1], "rb").read()))' "$pmem_file")
	# Not sector aligned by default: the kernel then reads, modifies and
	# writes the partial pages at either end.
	if [ -z "$pmem_write" ]; then
		if [ "$pmem_len" -ge $(( (1 << 20) + 123 + 65536 )) ]; then
			pmem_write=$(( (1 << 20) + 123 )):65536
		else
			pmem_write=0:$(( pmem_len < 4096 ? pmem_len : 4096 ))
		fi
	fi
	cmdline+=" lg.pmem_size=$((pmem_size + $(off pmem) * (2 << 20)))"
	cmdline+=" lg.pmem_crc=$pmem_len:$pmem_crc lg.pmem_file=$pmem_len"
	if [ "$pmem_ro" -eq 1 ]; then cmdline+=" lg.pmem_ro=1"; else cmdline+=" lg.pmem_write=$pmem_write"; fi
	case $vmm in
	qemu) [ "$machine" = q35 ] || lg_die "--pmem: QEMU's microvm has no virtio-pmem (q35, --transport pci)"
	      # QEMU maps the file whole, and would grow a shorter one to the
	      # size asked: the region must be the file. Its virtio-pmem-pci
	      # has no vectors property (--wrong irq cannot take its MSI-X).
	      [ $((pmem_len % (2 << 20))) -eq 0 ] ||
		      lg_die "--pmem $pmem_file: $pmem_len bytes; QEMU needs a multiple of 2 MiB"
	      vmm_args+=(-object "memory-backend-file,id=pm0,share=on,mem-path=$pmem_file,size=$pmem_len$([ "$pmem_ro" -eq 0 ] || echo ,readonly=on)"
			 -device "virtio-pmem-pci,memdev=pm0,id=pmem0,disable-legacy=on")
	      qemu_maxmem=$pmem_size ;;
	azote) vmm_args+=(--pmem "path=$pmem_file$([ "$pmem_ro" -eq 0 ] || echo ,ro)") ;;
	esac
	devs=$((devs + 1))
fi
[ -z "$mmds" ] || config_file=1
if [ "$config_file" -eq 1 ]; then
	[ "$vmm" = azote ] && [ ${#drives[@]} -eq 0 ] && [ "$vsock" -eq 0 ] && [ "$rng" -eq 0 ] &&
		[ -z "$pmem" ] ||
		lg_die "--config-file, --mmds: azote, and no --drive, --vsock, --rng or --pmem"
fi
if [ -n "$mmds" ]; then
	[ "$net" -eq 1 ] || lg_die "--mmds: with --net"
	[[ $mmds == V[12] ]] || lg_die "--mmds must be V1 or V2"
	export LG_MMDS_VALUE=ami-$nonce
	cmdline+=" lg.mmds=${mmds#V} lg.mmds_ip=169.254.169.254"
	cmdline+=" lg.mmds_path=/latest/meta-data/ami-id lg.mmds_value=$LG_MMDS_VALUE"
fi
if [ -n "$balloon" ]; then
	[[ $balloon =~ ^[1-9][0-9]*(,reporting)?$ ]] && [ "${balloon%,*}" -lt $((mem_bytes >> 20)) ] ||
		lg_die "--balloon: MiB, more than 0 and less than --memory, then ,reporting or nothing"
	balloon_reporting=$([[ $balloon == *,reporting ]] && echo 1 || echo 0)
	# --wrong balloon: deflate-on-OOM offered, which keeps ballooned
	# pages in MemTotal; the guest refuses it.
	oom=$(off balloon)
	case $vmm in
	# QEMU's virtio-balloon-pci has no MSI-X (no vectors property).
	qemu) qemu_oom=$([ "$oom" -eq 0 ] && echo off || echo on)
	      vmm_args+=(-object "memory-backend-memfd,id=ram,size=$((mem_bytes >> 20))M"
			 -qmp "unix:$tmp/qmp.sock,server=on,wait=off"
			 -device "$(qemu_dev balloon)id=balloon0,guest-stats-polling-interval=1,deflate-on-oom=$qemu_oom,free-page-reporting=$([ "$balloon_reporting" -eq 1 ] && echo on || echo off)$([ "$transport" = mmio ] || echo ,disable-legacy=on)")
	      mach_opts=,memory-backend=ram ;;
	azote) [ "$config_file" -eq 1 ] || [ -n "$mmds" ] ||
		       vmm_args+=(--balloon "amount_mib=0$([ "$oom" -eq 0 ] || echo ,deflate_on_oom),stats_polling_interval_s=1$([ "$balloon_reporting" -eq 0 ] || echo ,free_page_reporting)") ;;
	esac
	cmdline+=" lg.balloon_mib=${balloon%,*}"
	devs=$((devs + 1))
fi
[ -z "$fio" ] || cmdline+=" lg.fio=$fio"
cmdline+=" lg.irq_devs=$devs lg.transport=$transport"
# Last: the CRC-32 of everything before it, checked by the guest.
crc=$(/usr/bin/python3 -c 'import sys, zlib; print("%08x" % zlib.crc32(sys.argv[1].encode()))' \
	"$cmdline$([ "$(off cmdline)" -eq 0 ] || echo x)")
cmdline+=" lg.cmdline_crc=$crc"

# --- the VMM -----------------------------------------------------------------
case $vmm in
qemu)
	cpu=host,arch-capabilities=off
	[ "$LG_MODE" != test ] || cpu+=,kvm-pv-ipi=off,kvm-pv-sched-yield=off
	accel=(-enable-kvm -cpu "$cpu")
	[ "$tcg" -eq 0 ] || accel=(-accel tcg -cpu max)
	case $machine in
	q35) mach=(-M "q35${mach_opts-}" -bios qboot.rom) ;;
	microvm) mach=(-M "microvm,acpi=off${mach_opts-}" -device i8042
		       -global virtio-mmio.force-legacy=false) ;;
	*) lg_die "--machine must be q35 or microvm" ;;
	esac
	# Device memory for a virtio-pmem region exists only when -m names
	# room for it beyond RAM.
	qemu_mem="$((mem_bytes >> 20))M"
	[ "$qemu_maxmem" -eq 0 ] ||
		qemu_mem+=",slots=1,maxmem=$(( (mem_bytes + qemu_maxmem) >> 20 ))M"
	cmd=(qemu-system-x86_64 "${mach[@]}" "${accel[@]}" -m "$qemu_mem"
	     -smp "$cpus" -nodefaults -no-user-config -display none -serial stdio
	     -no-reboot -kernel "$kimage" -initrd "$LG_INITRD" -append "$cmdline"
	     ${vmm_args[@]+"${vmm_args[@]}"})
	;;
azote)
	[ -x "$azote" ] || lg_die "$azote: not built (make)"
	if [ "$config_file" -eq 1 ]; then
		# Firecracker's shape of the same VM: what the options above
		# gave (the NIC, mmds-config, the balloon); the CPU template as
		# its cpu-config.
		/usr/bin/python3 - "$tmp/vm.json" "$kimage" "$LG_INITRD" "$cmdline" "$cpus" \
			"$((mem_bytes >> 20))" "$([ "$net" -eq 0 ] || echo "$tap")" "${mac-}" "$mmds" \
			"$([ -z "$balloon" ] || off balloon)" "${balloon_reporting:-0}" \
			"$([ "$LG_MODE" != test ] || echo "$cpu_template")" <<'PY'
import json, sys
out, kernel, initrd, args, cpus, mib, tap, mac, version, oom, reporting, template = sys.argv[1:]
vm = {"boot-source": {"kernel_image_path": kernel, "initrd_path": initrd, "boot_args": args},
      "drives": [], "machine-config": {"vcpu_count": int(cpus), "mem_size_mib": int(mib)}}
if tap:
    vm["network-interfaces"] = [{"iface_id": "n0", "host_dev_name": tap, "guest_mac": mac}]
if version:
    vm["mmds-config"] = {"version": version, "network_interfaces": ["n0"]}
if oom:
    vm["balloon"] = {"amount_mib": 0, "deflate_on_oom": oom == "1",
                     "stats_polling_interval_s": 1, "free_page_reporting": reporting == "1"}
if template:
    vm["cpu-config"] = template
json.dump(vm, open(out, "w"))
PY
		cmd=("$azote" --config-file "$tmp/vm.json")
		[ "$transport" = mmio ] || cmd+=(--enable-pci)
		cmd+=(${extra_vmm_args[@]+"${extra_vmm_args[@]}"})
	else
		cmd=("$azote" --kernel "$kimage" --initrd "$LG_INITRD" --cmdline "$cmdline"
		     --cpus "$cpus" --memory "$memory" --transport "$transport"
		     ${vmm_args[@]+"${vmm_args[@]}"} ${extra_vmm_args[@]+"${extra_vmm_args[@]}"})
		[ "$LG_MODE" != test ] || cmd+=(--cpu-template "$cpu_template")
	fi
	;;
*) lg_die "--vmm must be qemu or azote" ;;
esac
# --balloon: where the host's part reaches the VMM, and the guest RAM's
# memfd it measures. azote's API socket: the one --vmm-arg gave, else ours.
if [ -n "$balloon" ]; then
	case $vmm in
	qemu) balloon_ctl=$tmp/qmp.sock ram_name='memory-backend-memfd' ;;
	azote)
		balloon_ctl=
		for ((i = 0; i + 1 < ${#cmd[@]}; i++)); do
			[ "${cmd[i]}" != --api-sock ] || balloon_ctl=${cmd[i + 1]}
		done
		[ -n "$balloon_ctl" ] || { balloon_ctl=$tmp/api.sock; cmd+=(--api-sock "$balloon_ctl"); }
		ram_name='azote-guest-ram' ;;
	esac
fi

if [ "$print_cmd" -eq 1 ]; then
	printf '%s\0' "${cmd[@]}"
	exit 0
fi
out=$tmp/console
mkfifo "$tmp/stdin"
lg_log "$vmm ${kernel} ($LG_MODE kernel) checks=$checks cpus=$cpus memory=$memory"
start=$(date +%s%N)
${netns_exec[@]+"${netns_exec[@]}"} "${cmd[@]}" < "$tmp/stdin" > "$out" 2>&1 &
pid=$!
exec 8> "$tmp/stdin"	# the VMM's stdin stays open: the guest reads from it
if [ "$vsock" -eq 1 ]; then
	/usr/bin/python3 "$here/lib/vsock-host.py" "$tmp/v.sock" 5000 5001 "$timeout" \
		${vsock_moved:+"$vsock_moved"} > "$tmp/vsock-host" 2>&1 &
	vsock_pid=$!
fi

ms_since_start() { echo $(( ($(date +%s%N) - start) / 1000000 )); }
secs() { printf '%d.%01d' $(($1 / 1000)) $(($1 % 1000 / 100)); }
echoed=0 init_ms= verdict= balloon_step=
# balloon_host STEP ARGS...: the balloon check's host part, its line into
# $tmp/balloon-host; a step that did not complete fails the run.
balloon_host() {
	/usr/bin/python3 "$here/lib/balloon-host.py" "$vmm" "$balloon_ctl" "$pid" "$ram_name" \
		"$((mem_bytes >> 20))" "$@" >> "$tmp/balloon-host" 2>&1 ||
		balloon_failed+="${balloon_failed:+; }$(tail -1 "$tmp/balloon-host")"
}
balloon_failed=
while kill -0 "$pid" 2>/dev/null; do
	if [ -z "$init_ms" ] && grep -aq '^LINUX init' "$out"; then
		init_ms=$(ms_since_start)
	fi
	# The balloon's cue, its figures read once the line is whole (the
	# console may arrive in pieces).
	wait_at=
	[ -z "$balloon" ] || [ -n "$balloon_step" ] ||
		wait_at=$(grep -an '^LINUX balloon-wait ' "$out" | head -1 | cut -d: -f1 || true)
	if [ -n "$wait_at" ] && [ "$wait_at" -le "$(wc -l < "$out")" ]; then
		wait_line=$(sed -n "${wait_at}p" "$out" | tr -d '\r')
		guest_kib=$(sed -n 's/.* total_kib=\([0-9]*\).*/\1/p' <<<"$wait_line")
		dirtied_kib=$(sed -n 's/.* dirtied_kib=\([0-9]*\).*/\1/p' <<<"$wait_line")
		lg_log "console shows 'LINUX balloon-wait': inflating the balloon to ${balloon%,*} MiB"
		balloon_host inflate "${balloon%,*}" "${guest_kib:-0}" "${dirtied_kib:-0}" \
			"$balloon_reporting"
		balloon_step=inflated
	fi
	# --when after the balloon's inflation (which takes a while: the cue to
	# deflate may be there already) and before its deflation, so that a
	# COMMAND on 'LINUX balloon-inflated' runs between the two.
	if [ -n "$when_line" ] && grep -aq -- "$when_line" "$out"; then
		lg_log "console shows '$when_line': $when_cmd"
		LG_CONSOLE=$out bash -c "$when_cmd" >&2 || lg_log "--when: status $? from $when_cmd"
		when_line=
	fi
	if [ "$balloon_step" = inflated ] && grep -aq 'LINUX balloon-inflated' "$out"; then
		lg_log "console shows 'LINUX balloon-inflated': deflating the balloon"
		balloon_host deflate
		balloon_step=deflated
	fi
	if [ "$echoed" -eq 0 ] && grep -aq 'LINUX echo-wait' "$out"; then
		printf 'lg-%s%s\n' "$nonce" "$([ "$(off echo)" -eq 0 ] || echo x)" >&8
		echoed=1
	fi
	# QEMU stops the VM and waits on an emulation failure; do not wait.
	if grep -aq 'KVM internal error' "$out"; then
		verdict="KVM internal error"
		break
	fi
	if [ "$(ms_since_start)" -ge $((timeout * 1000)) ]; then
		verdict="timeout after ${timeout}s"
		lg_stall_report "$pid"
		break
	fi
	# Every kernel here prints within seconds, even in the box; a guest
	# still silent is wedged (the box's emulation, README "The box"), and
	# waiting out --timeout would only delay the rerun.
	if [ "$quiet" -eq 0 ] && [ ! -s "$out" ] && [ "$(ms_since_start)" -ge $((silent_limit * 1000)) ]; then
		verdict="no output at all in ${silent_limit}s"
		lg_stall_report "$pid"
		break
	fi
	sleep 0.2
done
if [ -z "$verdict" ]; then
	rc=0
	wait "$pid" || rc=$?
	pid=
	[ "$rc" -eq 0 ] || verdict="$vmm exited with status $rc"
fi
total_ms=$(ms_since_start)
[ -z "$log" ] || cp "$out" "$log"

# --- judge -------------------------------------------------------------------
tr -d '\r' < "$out" | grep -ao 'LINUX [a-z]* \(PASS\|FAIL\).*' > "$tmp/results" || true
cat "$tmp/results"
failed=() missing=()
for c in ${checks//,/ }; do
	if grep -q "^LINUX $c PASS" "$tmp/results"; then
		continue
	elif grep -q "^LINUX $c FAIL" "$tmp/results"; then
		failed+=("$c")
	else
		missing+=("$c")
	fi
done
if [ -n "$vsock_pid" ]; then
	vrc=0
	wait "$vsock_pid" || vrc=$?
	vsock_pid=
	cat "$tmp/vsock-host"
	[ "$vrc" -eq 0 ] || verdict+="${verdict:+; }vsock's host side: $(tail -1 "$tmp/vsock-host")"
fi
if [ -n "$balloon" ]; then
	[ ! -f "$tmp/balloon-host" ] || cat "$tmp/balloon-host"
	[ -z "$balloon_failed" ] || verdict+="${verdict:+; }the balloon's host side: $balloon_failed"
fi
[ ${#failed[@]} -eq 0 ] || verdict+="${verdict:+; }failed: ${failed[*]}"
[ ${#missing[@]} -eq 0 ] || verdict+="${verdict:+; }no result: ${missing[*]}"
if [ -n "$verdict" ]; then
	lg_log "console (last 40 lines):"
	tail -40 "$out" | tr -d '\r' >&2
	lg_log "FAIL: $verdict"
	exit 1
fi
lg_log "PASS: init after $(secs "${init_ms:-0}")s, guest uptime at init $(tr -d '\r' < "$out" |
	sed -n 's/^LINUX init uptime=\([0-9.]*\).*/\1/p')s, total $(secs "$total_ms")s"
