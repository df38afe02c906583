"""Block I/O with the probe's blk-bench on a page-cached raw image
(Workspace.disk): 4 KiB random reads at QD 1 and QD 32, 128 KiB sequential reads
and writes at QD 32. Each row pairs setups that poll alike (issue 17):
azote's card polls its ring for 32 µs by default, as a QEMU iothread does
(poll-max-ns 32768), while QEMU's main loop does not poll at all; so azote
as it ships against QEMU with an iothread, azote with poll_us=0 against
QEMU's main loop and against an iothread with poll-max-ns=0, and azote
against QEMU driving the same azote-card-blk over vhost-user (the VMMs
apart, the back-end the same). Host CPU per I/O: the VMM's and the
card's threads, vCPU threads excluded (they spin in the probe's polling
loop), between the phase's marks; the probe counts the I/Os, the host
times them (marks.Marks)."""
from ..marks import Marks
from ..results import Row
from ..vm import Vm, command

TITLE = 'block I/O'
# peer setup -> (the azote setup it is paired with, what the row says)
PEERS = {
    'qemu-iothread': ('azote', 'q35 virtio-blk-pci, iothread polling 32 µs; azote polling 32 µs'),
    'qemu': ('azote-nopoll', 'q35 virtio-blk-pci in the main loop (no polling); '
             'azote poll_us=0'),
    'qemu-iothread-nopoll': ('azote-nopoll', 'q35 virtio-blk-pci, iothread poll-max-ns=0; '
                             'azote poll_us=0'),
    'qemu+card': ('azote', 'q35 vhost-user-blk-pci + azote-card-blk (the same back-end)'),
}
# The disk's items for each setup (probe-run --disk IMG,...).
DISK = {'azote': '', 'azote-nopoll': ',poll_us=0', 'qemu': '',
        'qemu-iothread': ',iothread', 'qemu-iothread-nopoll': ',iothread=0'}
# (queue depth, phases): QD 1 for the latency of random reads and writes
RUNS = ((1, ('rand4k', 'rand4kw')), (32, ('rand4k', 'seqrd', 'seqwr')))
SIZE = {'rand4k': 4096, 'rand4kw': 4096, 'seqrd': 128 << 10, 'seqwr': 128 << 10}
# The probe's latency percentiles (its histogram's, within 3 %), as keys.
PCTS = (('p50', 'median'), ('p90', 'p90'), ('p99', 'p99'), ('p999', 'p99.9'))
METRICS = (  # key, label, unit, better, (qd, phase, what)
    ('rand1', '4 KiB random read, QD 1', 'IOPS', 'higher', (1, 'rand4k', 'iops')),
    ('rand32', '4 KiB random read, QD 32', 'IOPS', 'higher', (32, 'rand4k', 'iops')),
    ('seqrd', '128 KiB sequential read, QD 32', 'MiB/s', 'higher', (32, 'seqrd', 'mib_s')),
    ('seqwr', '128 KiB sequential write, QD 32', 'MiB/s', 'higher', (32, 'seqwr', 'mib_s')),
    ('cpu1', 'host CPU per 1M I/Os, 4 KiB random read QD 1 (VMM + card)', 's', 'lower',
     (1, 'rand4k', 'cpu')),
    ('cpu32', 'host CPU per 1M I/Os, 4 KiB random read QD 32 (VMM + card)', 's', 'lower',
     (32, 'rand4k', 'cpu')),
) + tuple(
    (f'lat{op[0]}{pct}', f'4 KiB random {op}, QD 1: latency {name}', 'µs', 'lower',
     (1, phase, pct))
    for op, phase in (('read', 'rand4k'), ('write', 'rand4kw')) for pct, name in PCTS)


def plan(ctx):
    return [Row(f'{key}/{setup}', 'blk', label, unit, better, peer)
            for key, label, unit, better, _ in METRICS for setup, (_, peer) in PEERS.items()]


def bench(ctx, setup, qd, phases):
    """{phase: {'iops':, 'mib_s':, 'cpu': s per 1M I/Os}} of one VM."""
    img, card, extra = ctx.ws.disk(), None, []
    args = ['probe.test=blk-bench', f'probe.qd={qd}', f'probe.secs={ctx.s.secs}',
            'probe.phases=' + ','.join(phases)]
    if setup == 'qemu+card':
        card, sock = ctx.ws.card(img)
        extra = [card.pid]
        argv = command('qemu-q35', args, vublk=[sock])
    else:
        argv = command('azote' if setup.startswith('azote') else 'qemu-q35', args,
                       disks=[img + DISK[setup]])
    ctx.record(f'blk: {setup}, QD {qd}', argv)
    try:
        with Vm(argv, ctx.ws.log('blk')) as vm:
            marks = Marks(vm, extra)
            res = vm.result(len(phases) * (ctx.s.secs + 15) + 60, marks)
            vm.wait_exit(30)
    finally:
        if card:
            card.stop()
        ctx.ws.sync_disk()
    out = {}
    for p in phases:
        ops = int(res[f'{p}_ops'])
        secs, cpu = marks.span(p)
        out[p] = {'iops': ops / secs, 'mib_s': ops * SIZE[p] / secs / (1 << 20),
                  'cpu': cpu / ops * 1e6}
        # The probe's TSC ticks in µs by the host's clock: the phase took
        # secs between its marks, and the probe counted its ticks.
        us_per_tick = secs * 1e6 / int(res[f'{p}_ticks'])
        out[p].update({pct: int(res[f'{p}_{pct}_t']) * us_per_tick for pct, _ in PCTS})
    return out


def measure(ctx, rows):
    by_key = {r.key: r for r in rows}
    for qd, phases in RUNS:
        got = ctx.collect(ctx.s.io_reps, ('azote', 'azote-nopoll') + tuple(PEERS),
                          lambda setup: bench(ctx, setup, qd, phases))
        for key, _, _, _, (mqd, phase, what) in METRICS:
            for setup, (mine, _) in PEERS.items() if mqd == qd else ():
                by_key[f'{key}/{setup}'].azote += [g[phase][what] for g in got[mine]]
                by_key[f'{key}/{setup}'].qemu += [g[phase][what] for g in got[setup]]
