"""Memory per additional VM, N at once: what one more running VM costs the
host beyond its guest's own RAM, with 1, 8 and 32 VMs running together.
Each VM is the probe (blk-info, then probe.hold=1: alive, idle, in a known
state) with 1 vCPU, 128 MiB and a disk of its own, against QEMU microvm
with the same disk as virtio-blk over virtio-mmio. Two parts:
- user space: USS (private pages) less the guest-RAM mapping's, of the VMM
  process and of everything it started (azote's cards), split in the
  azote row's note;
- kernel: the growth of the host's slab, kernel stacks and page tables
  (SecPageTables: KVM's nested page tables) in /proc/meminfo from before
  the first VM starts to when the N all hold, divided by N. It is the whole
  host's figure: other activity on the host blurs it, N VMs sharpen it."""
import os
import time
from statistics import median

from .. import procfs
from ..results import Row
from ..vm import Vm, command

TITLE = 'memory per additional VM, N at once'
PEER = 'microvm, virtio-blk over virtio-mmio'
RAM_MIB = 128
KERNEL = ('Slab', 'KernelStack', 'PageTables', 'SecPageTables')
SETTLE_S = 0.5


def counts(ctx):
    return (1, 4) if ctx.s.quick else (1, 8, 32)


def plan(ctx):
    rows = []
    for n in counts(ctx):
        rows += [Row(f'user/{n}', 'density', f'memory per VM, {n} at once: VMM + cards, USS '
                     '− guest RAM', 'MiB', 'lower', PEER),
                 Row(f'kernel/{n}', 'density', f'host kernel memory per VM, {n} at once '
                     '(slab, stacks, page tables)', 'MiB', 'lower', PEER)]
    return rows


def kernel_kib(meminfo):
    """The kernel's own memory that VMs grow, in KiB, from the text of
    /proc/meminfo (a field an older kernel lacks counts 0)."""
    got = {}
    for line in meminfo.splitlines():
        key, _, rest = line.partition(':')
        if key in KERNEL:
            got[key] = int(rest.split()[0])
    return sum(got.values())


def _kernel_now():
    with open('/proc/meminfo') as f:
        return kernel_kib(f.read())


def trial(ctx, vmm, n):
    """{'user', 'vmm', 'cards', 'kernel'}: MiB per VM with N running."""
    disks = []
    for i in range(n):
        disks.append(ctx.ws.path(f'density{i}.img'))
        with open(disks[-1], 'wb') as f:
            f.truncate(1 << 20)
    argvs = [command(vmm, ['probe.test=blk-info', 'probe.hold=1'], disks=[d],
                     memory=f'{RAM_MIB}M') for d in disks]
    ctx.record(f'density: {vmm}', argvs[0])
    time.sleep(SETTLE_S)
    before = _kernel_now()
    vms, own, cards = [], 0, 0
    try:
        for argv in argvs:
            vms.append(Vm(argv, ctx.ws.log('density')))
        for vm in vms:
            vm.result(60)
            vm.wait_line('PROBE hold', 10)
        time.sleep(SETTLE_S)
        kernel = _kernel_now() - before
        for vm in vms:
            for pid in procfs.tree(vm.pid):
                m = procfs.memory_kib(pid, RAM_MIB * 1024)
                if pid == vm.pid:
                    own += m['uss'] - m['ram_uss']
                else:
                    cards += m['uss'] - m['ram_uss']
    finally:
        for vm in vms:
            vm.kill()
        for d in disks:
            os.unlink(d)
    per = n * 1024
    return {'user': (own + cards) / per, 'vmm': own / per, 'cards': cards / per,
            'kernel': kernel / per}


def measure(ctx, rows):
    by_key = {r.key: r for r in rows}
    vmms = {'azote': 'azote', 'qemu': 'qemu-microvm'}
    reps = min(ctx.s.io_reps, 3)
    for n in counts(ctx):
        got = ctx.collect(reps, vmms, lambda side: trial(ctx, vmms[side], n))
        for side, samples in got.items():
            getattr(by_key[f'user/{n}'], side).extend(s['user'] for s in samples)
            getattr(by_key[f'kernel/{n}'], side).extend(s['kernel'] for s in samples)
        a = got['azote']
        by_key[f'user/{n}'].note = (
            f"azote's share: the azote process {median(s['vmm'] for s in a):.2f} MiB, "
            f"its card {median(s['cards'] for s in a):.2f} MiB per VM")
