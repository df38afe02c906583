"""VMM memory overhead: PSS (and USS) of the VMM and its helpers (azote
and its card; QEMU) less that of guest RAM, i.e. what running the VM
costs beyond the memory the guest itself touched. The probe (blk-info, then
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
# PSS shares library pages with every other process mapping them (other
# QEMUs on the host lower QEMU's); USS, the private pages, is what one
# more VM costs and does not depend on what else runs.
KINDS = (('pss', 'PSS − guest RAM'), ('uss', 'USS (private) − guest RAM'))


def plan(ctx):
    net = azote_has('--net tap=', AZOTE)
    rows = []
    for nic, what, peer in ((False, '1 disk', PEER),
                            (True, '1 disk + 1 NIC', PEER + ' + virtio-net-pci (TAP)')):
        for kind, label in KINDS:
            r = Row(f'{kind}/{nic}', 'mem', f'VMM memory, 1 vCPU + {what}, {label}',
                    'MiB', 'lower', peer)
            r.na = NEEDS_NET if nic and not net else ''
            rows.append(r)
    return rows


def overhead(ctx, vmm, nic):
    """{'pss':, 'uss':} MiB beyond guest RAM, for the VMM process tree."""
    ns = ctx.ws.netns() if nic else None
    argv = command(vmm, ['probe.test=blk-info', 'probe.hold=1'], disks=[ctx.ws.disk()],
                   memory=f'{RAM_MIB}M', tap=ns and ns.TAP, mac=ns and ns.MAC)
    ctx.record(f'memory: {vmm}{" + NIC" if nic else ""}', argv)
    out = {'pss': 0, 'uss': 0}
    with Vm(argv, ctx.ws.log('memory'), netns=ns and ns.name) as vm:
        vm.result(60)
        vm.wait_line('PROBE hold', 10)
        time.sleep(0.2)         # let the cards settle after the last request
        for pid in procfs.tree(vm.pid):
            m = procfs.memory_kib(pid, RAM_MIB * 1024)
            if pid == vm.pid and m['ram_maps'] != 1:
                raise BenchError(f'{vmm}: {m["ram_maps"]} guest RAM mappings in '
                                 f'/proc/{pid}/smaps, want 1')
            for kind in out:
                out[kind] += (m[kind] - m['ram_' + kind]) / 1024
    return out


def measure(ctx, rows):
    for nic in (False, True):
        mine = [r for r in rows if r.key.endswith(f'/{nic}')]
        vmms = {'qemu': 'qemu-q35'} if mine[0].na else {'azote': 'azote', 'qemu': 'qemu-q35'}
        got = ctx.collect(ctx.s.io_reps, vmms, lambda side: overhead(ctx, vmms[side], nic))
        for r in mine:
            for side, samples in got.items():
                getattr(r, side).extend(m[r.key.split('/')[0]] for m in samples)
