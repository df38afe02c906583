"""fio inside a real Linux guest: Debian's fio (3.33, its shared libraries
and loader in a bench-only initramfs, tests/linux-guest/build-initramfs.sh
--fio) run by the test init's fio check on the guest's virtio-blk disk,
/dev/vda, with O_DIRECT: 4 KiB random reads at QD 1 (psync; IOPS and the
completion latency's median and 99th percentile) and at QD 32 (libaio),
and 128 KiB sequential writes at QD 32 (libaio), one after the other in
one boot. The disk is Workspace.disk's page-cached raw image for every
VMM; the kernel, initramfs, guest command line and VMM command line come
from tests/linux-guest/run.sh --print-command (as metric linux's). The
figures are fio's own, from its JSON output, which the init prints between
two marker lines before it reboots the VM. Setups paired as in metric
blk: azote's card polls 32 µs by default, as a QEMU iothread does, and
QEMU's main loop does not poll, so azote as it ships against QEMU q35 with
an iothread, and azote poll_us=0 against QEMU q35 and microvm serving the
disk from their main loop."""
import json
import os
import re

from ..results import Row
from ..vm import ROOT, BenchError, Vm, printed_command
from ..workspace import AZOTE
from .linux import GUEST_BUILD

TITLE = 'fio in the Linux test guest (4 KiB random read QD 1/32, 128 KiB write)'
RUN_SH = os.path.join(ROOT, 'tests', 'linux-guest', 'run.sh')
# The initramfs holds fio and its libraries (about 85 MB) and is unpacked
# into RAM next to its own copy: 128 MiB is too little.
MEMORY = '512M'
# setup -> (run.sh's VMM arguments, run.sh --drive items for the disk)
SETUPS = {
    'azote': (['--vmm', 'azote', '--azote', AZOTE], ''),
    'azote-nopoll': (['--vmm', 'azote', '--azote', AZOTE], ',poll_us=0'),
    'qemu-q35-iothread': (['--vmm', 'qemu', '--machine', 'q35'], ',aio=io_uring,iothread'),
    'qemu-q35': (['--vmm', 'qemu', '--machine', 'q35'], ',aio=io_uring'),
    'qemu-microvm': (['--vmm', 'qemu', '--machine', 'microvm', '--transport', 'mmio'],
                     ',aio=io_uring'),
}
# peer setup -> (the azote setup it is paired with, what the row says)
PEERS = {
    'qemu-q35-iothread': ('azote', 'q35 virtio-blk-pci, aio=io_uring, iothread polling 32 µs; '
                          'azote polling 32 µs'),
    'qemu-q35': ('azote-nopoll', 'q35 virtio-blk-pci, aio=io_uring, no iothread (main loop, '
                 'no polling); azote poll_us=0'),
    'qemu-microvm': ('azote-nopoll', 'microvm virtio-blk-device (virtio-mmio), aio=io_uring, '
                     'no iothread (main loop, no polling); azote (PCI) poll_us=0'),
}
# fio's jobs, in the order they run: (name, rw, bs, ioengine, iodepth)
JOBS = (('rand4k-qd1', 'randread', '4k', 'psync', 1),
        ('rand4k-qd32', 'randread', '4k', 'libaio', 32),
        ('seq128k-write', 'write', '128k', 'libaio', 32))
PCTS = ('50', '99')
METRICS = (  # key, label, unit, better, (job, figure)
    ('rand1', 'fio 4 KiB random read, QD 1 (psync)', 'IOPS', 'higher', ('rand4k-qd1', 'iops')),
    ('lat50', 'fio 4 KiB random read, QD 1: completion latency median', 'µs', 'lower',
     ('rand4k-qd1', 'p50')),
    ('lat99', 'fio 4 KiB random read, QD 1: completion latency p99', 'µs', 'lower',
     ('rand4k-qd1', 'p99')),
    ('rand32', 'fio 4 KiB random read, QD 32 (libaio)', 'IOPS', 'higher',
     ('rand4k-qd32', 'iops')),
    ('seqwr', 'fio 128 KiB sequential write, QD 32 (libaio)', 'MiB/s', 'higher',
     ('seq128k-write', 'mib_s')),
)
BEGIN, END = 'LINUX fio-begin', 'LINUX fio-end'
RESULT = re.compile(r'LINUX fio (PASS|FAIL)(?: (.*))?$')
KERNEL_LINE = re.compile(r'^\[\s*\d+\.\d+\] ')
BOOT_TIMEOUT_S = 120


def job_options(secs, disk='/dev/vda'):
    """lg.fio=: fio's long options without their dashes, comma-separated
    (tests/linux-guest/init/check_fio.c), global ones first: the disk
    with O_DIRECT, SECS seconds a job, the clat percentiles wanted, each
    job after the one before has ended."""
    opts = [f'filename={disk}', 'direct=1', 'time_based=1', f'runtime={secs}',
            'percentile_list=' + ':'.join(PCTS), 'stonewall=1']
    for name, rw, bs, engine, qd in JOBS:
        opts += [f'name={name}', f'rw={rw}', f'bs={bs}', f'ioengine={engine}', f'iodepth={qd}']
    return ','.join(opts)


def plan(ctx):
    return [Row(f'{key}/{setup}', 'fio', label, unit, better, PEERS[setup][1])
            for key, label, unit, better, _ in METRICS for setup in PEERS]


def command(setup, image, secs):
    """run.sh's argv for SETUP with the disk IMAGE."""
    args, items = SETUPS[setup]
    return printed_command([RUN_SH, *args, '--memory', MEMORY, '--drive', image + items,
                            '--checks', 'fio', '--fio', job_options(secs), '--print-command'])


def fio_output(lines):
    """fio's JSON report from the console lines between the init's
    markers. Kernel messages (a "[  1.234567] " stamp) that came in
    between are dropped, and so is whatever fio logged before its JSON
    (e.g. "clock setaffinity failed")."""
    try:
        body = lines[lines.index(BEGIN) + 1:lines.index(END)]
    except ValueError:
        raise BenchError(f'no "{BEGIN}" ... "{END}" block on the console') from None
    body = [line for line in body if not KERNEL_LINE.match(line)]
    start = next((i for i, line in enumerate(body) if line.startswith('{')), None)
    if start is None:
        raise BenchError('no JSON between the fio markers: ' + ' / '.join(body[:3]))
    try:
        return json.loads('\n'.join(body[start:]))
    except json.JSONDecodeError as e:
        raise BenchError(f'fio\'s JSON does not parse: {e}') from None


def figures(report):
    """{job name: {'iops':, 'mib_s':, 'p50':, 'p99': (µs)}} of fio's JSON
    report, each job's figures from the direction it did I/O in."""
    out = {}
    for job in report.get('jobs', []):
        name = job.get('jobname')
        if job.get('error'):
            raise BenchError(f'fio job {name}: error {job["error"]}')
        side = max(('read', 'write'), key=lambda d: job[d]['io_bytes'])
        d = job[side]
        if not d['io_bytes']:
            raise BenchError(f'fio job {name} did no I/O')
        pct = d['clat_ns'].get('percentile', {})
        out[name] = {'iops': d['iops'], 'mib_s': d['bw_bytes'] / (1 << 20)}
        for p in PCTS:
            key = f'{float(p):.6f}'
            if key not in pct:
                raise BenchError(f'fio job {name}: no clat percentile {p} in its report')
            out[name][f'p{p}'] = pct[key] / 1e3
    missing = [name for name, *_ in JOBS if name not in out]
    if missing:
        raise BenchError(f'fio\'s report lacks job(s) {", ".join(missing)}')
    return out


def console_line(line):
    """A console line as fio_output() wants it: a marker line of the init
    from its "LINUX " on (a kernel message may have come before it on
    the same line), any other as it came."""
    i = line.find('LINUX fio-')
    return line[i:] if i > 0 else line


def read_console(ctx, setup, argv, secs, lines):
    """Runs one VM, its console lines up to the fio result line into
    LINES; fails unless the guest's fio check passed and the VMM exited
    with status 0."""
    try:
        with Vm(argv, ctx.ws.log('fio')) as vm:
            deadline = vm.t_exec + BOOT_TIMEOUT_S + len(JOBS) * secs * 3
            while True:
                got = vm.next_line(deadline)
                if got is None:
                    raise BenchError(f'the console closed before the fio result line '
                                     f'(log: {vm.log})')
                m = RESULT.search(got[1])
                if m:
                    break
                lines.append(console_line(got[1]))
            if m.group(1) != 'PASS':
                raise BenchError(f'the guest\'s fio check failed: {got[1]} (log: {vm.log})')
            vm.wait_exit(30)
    finally:
        ctx.ws.sync_disk()


def run_fio(ctx, setup, argv, secs):
    """figures() of one VM: fio's jobs in the guest, read off its console
    (kept in the logs when they cannot be had)."""
    ctx.record(f'fio: {setup}', argv)
    lines = []
    try:
        read_console(ctx, setup, argv, secs, lines)
        return figures(fio_output(lines))
    except BenchError as e:
        kept = ctx.ws.log(f'fio-console-{setup}')
        with open(kept, 'w') as f:
            f.write(''.join(line + '\n' for line in lines))
        raise BenchError(f'{setup}: {e} (console: {kept})') from None


def measure(ctx, rows):
    by_key = {r.key: r for r in rows}
    image = ctx.ws.disk()
    ctx.say(f'fio: {GUEST_BUILD}, and its initramfs with Debian\'s fio (build-initramfs.sh '
            '--fio, which installs the package fio if it is missing)')
    argvs = {setup: command(setup, image, ctx.s.secs) for setup in SETUPS}
    got = ctx.collect(ctx.s.io_reps, list(SETUPS),
                      lambda setup: run_fio(ctx, setup, argvs[setup], ctx.s.secs))
    for key, _, _, _, (job, what) in METRICS:
        for setup, (mine, _) in PEERS.items():
            row = by_key[f'{key}/{setup}']
            row.azote += [g[job][what] for g in got[mine]]
            row.qemu += [g[job][what] for g in got[setup]]
