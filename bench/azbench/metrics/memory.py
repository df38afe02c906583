"""VMM memory overhead: PSS of the VMM and its helpers (azote and its
card; QEMU) less the PSS of guest RAM, i.e. what running the VM costs
beyond the memory the guest itself touched. The probe (blk-info, then
probe.hold=1) keeps the VM alive in a known state while it is read."""
import time

from .. import procfs
from ..results import Row
from ..vm import BenchError, Vm, azote_has, command
from ..workspace import AZOTE

TITLE = 'VMM memory overhead'
PEER = 'q35 + qboot, virtio-blk-pci'
RAM_MIB = 128
NEEDS_NET = "needs azote's net card (`--net tap=`)"


def plan(ctx):
    nic = Row('nic', 'mem', 'VMM memory overhead, 1 vCPU + 1 disk + 1 NIC (PSS − guest RAM)',
              'MiB', 'lower', PEER + ' + virtio-net-pci (TAP)')
    if not azote_has('--net tap=', AZOTE):
        nic.na = NEEDS_NET
    return [Row('disk', 'mem', 'VMM memory overhead, 1 vCPU + 1 disk (PSS − guest RAM)',
                'MiB', 'lower', PEER), nic]


def overhead(ctx, vmm, nic):
    """MiB of PSS beyond guest RAM, for the VMM process tree."""
    ns = ctx.ws.netns() if nic else None
    argv = command(vmm, ['probe.test=blk-info', 'probe.hold=1'], disks=[ctx.ws.disk()],
                   memory=f'{RAM_MIB}M', tap=ns and ns.TAP, mac=ns and ns.MAC)
    ctx.record(f'memory: {vmm}{" + NIC" if nic else ""}', argv)
    with Vm(argv, ctx.ws.log('memory'), netns=ns and ns.name) as vm:
        vm.result(60)
        vm.wait_line('PROBE hold', 10)
        time.sleep(0.2)         # let the cards settle after the last request
        total = ram = 0
        for pid in procfs.tree(vm.pid):
            pss, (gram, maps) = procfs.pss_kib(pid), procfs.guest_ram_pss_kib(pid, RAM_MIB * 1024)
            total, ram = total + pss, ram + gram
            if pid == vm.pid and maps != 1:
                raise BenchError(f'{vmm}: {maps} guest RAM mappings in /proc/{pid}/smaps, want 1')
    return (total - ram) / 1024


def measure(ctx, rows):
    for _ in range(ctx.s.io_reps):
        for r in rows:
            nic = r.key == 'nic'
            if not r.na:
                r.azote.append(overhead(ctx, 'azote', nic))
            r.qemu.append(overhead(ctx, 'qemu-q35', nic))
