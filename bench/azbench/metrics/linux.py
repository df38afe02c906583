"""A real Linux guest: the test kernel (tests/linux-guest/, the same
kernel, initramfs and command line for every VMM) from exec to its init's
first line ("LINUX init"), and the CPU the whole VMM process took by then
(user+sys of every thread: the vCPUs' boot is the bulk of it). azote
against QEMU microvm and q35 + qboot, no device on either side. The VM is
ended there; the command lines come from tests/linux-guest/run.sh
--print-command."""
import os

from .. import procfs
from ..results import Row
from ..vm import ROOT, BenchError, Vm, printed_command
from ..workspace import AZOTE

TITLE = 'exec -> Linux init (test kernel), wall and CPU'
RUN_SH = os.path.join(ROOT, 'tests', 'linux-guest', 'run.sh')
PEERS = {'qemu-microvm': 'microvm', 'qemu-q35': 'q35 + qboot'}
INIT = 'LINUX init'
# run.sh --print-command builds what it does not find in the cache, its
# progress captured: said first, so that a first run does not look hung.
GUEST_BUILD = ('the Linux test guest from tests/linux-guest/build.sh (cached; the first '
               'time on a host it builds the kernel: minutes, silently)')
BOOT_TIMEOUT_S = 60


def plan(ctx):
    rows = []
    for vmm, peer in PEERS.items():
        rows += [Row(f'init/{vmm}', 'linux', 'exec → Linux init (test kernel)', 'ms', 'lower',
                     peer),
                 Row(f'cpu/{vmm}', 'linux', 'CPU, exec → Linux init (test kernel)', 'ms',
                     'lower', peer)]
    return rows


def lg_command(vmm):
    """run.sh's command line for VMM: azote, qemu-microvm or qemu-q35."""
    if vmm == 'azote':
        args = ['--vmm', 'azote', '--azote', AZOTE]
    elif vmm in PEERS:
        args = ['--vmm', 'qemu', '--machine', vmm.removeprefix('qemu-')]
    else:
        raise BenchError(f'no Linux guest command for {vmm}')
    return printed_command([RUN_SH, *args, '--checks', 'boot', '--print-command'])


def is_init(line):
    """Whether a console line is the test init's first (it may follow
    the kernel's last message on the same line)."""
    return line.startswith(INIT + ' ') or line == INIT


def boot(ctx, vmm, argv):
    """(ms to init, CPU ms by then) of one Linux VM."""
    ctx.record(f'Linux to init: {vmm}', argv)
    with Vm(argv, ctx.ws.log('linux')) as vm:
        while True:
            got = vm.next_line(vm.t_exec + BOOT_TIMEOUT_S)
            if got is None:
                raise BenchError(f'{vmm}: the console closed before "{INIT}" (log: {vm.log})')
            if is_init(got[1]):
                return (got[0] - vm.t_exec) * 1e3, procfs.cpu_ns(vm.pid) / 1e6


def measure(ctx, rows):
    by_key = {r.key: r for r in rows}
    ctx.say(f'linux: {GUEST_BUILD}')
    argvs = {vmm: lg_command(vmm) for vmm in ['azote', *PEERS]}
    got = ctx.collect(ctx.s.reps, list(argvs), lambda vmm: boot(ctx, vmm, argvs[vmm]))
    for vmm in PEERS:
        for i, what in enumerate(('init', 'cpu')):
            by_key[f'{what}/{vmm}'].azote += [x[i] for x in got['azote']]
            by_key[f'{what}/{vmm}'].qemu += [x[i] for x in got[vmm]]
