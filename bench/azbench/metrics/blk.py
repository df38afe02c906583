"""Block I/O with the probe's blk-bench on a page-cached raw image
(Workspace.disk): 4 KiB random reads at QD 1 and QD 32, 128 KiB sequential reads
and writes at QD 32. Each row pairs setups that poll alike (issue 17):
azote's card polls its ring for 32 µs by default, as a QEMU iothread does
(poll-max-ns 32768), while QEMU's main loop does not poll at all; so azote
as it ships against QEMU with an iothread, azote with poll_us=0 against
QEMU's main loop and against an iothread with poll-max-ns=0, and azote
against QEMU driving the same azote-card-blk over vhost-user, and both
driving one qemu-storage-daemon export (the VMMs apart, the back-end the
same, each way round). Host CPU per I/O: the VMM's and the
card's threads, vCPU threads excluded (they spin in the probe's polling
loop), between the phase's marks; the probe counts the I/Os, the host
times them (marks.Marks). Also at fixed offered loads (probe.iops: one
request every 1/N s), where the device idles between requests and what
polling costs shows in the CPU per I/O: azote and QEMU's iothread both
polling 32 µs, then neither polling. And issue 17's write-path
experiments: azote with each of the card's --uring modes (SINGLE_ISSUER;
that and DEFER_TASKRUN) against the same QEMU as azote's default, at
QD 32, beside the default's own row. And scaling: 4 KiB random reads at
QD 32 on each of 1, 2 and 4 queues, each queue polled by a vCPU of its own
(probe.queues=N, N vCPUs; the device offers N queues), against QEMU with
one iothread polling 32 µs and in its main loop: azote's card has a worker
thread per queue, QEMU 7.2 serves every queue from its one iothread (or
main loop)."""
from statistics import median

from ..marks import Marks
from ..results import Row
from ..vm import BenchError, Vm, command

TITLE = 'block I/O'
# peer setup -> (the azote setup it is paired with, what the row says)
PEERS = {
    'qemu-iothread': ('azote', 'q35 virtio-blk-pci, iothread polling 32 µs; azote polling 32 µs'),
    'qemu': ('azote-nopoll', 'q35 virtio-blk-pci in the main loop (no polling); '
             'azote poll_us=0'),
    'qemu-iothread-nopoll': ('azote-nopoll', 'q35 virtio-blk-pci, iothread poll-max-ns=0; '
                             'azote poll_us=0'),
    'qemu+card': ('azote', 'q35 vhost-user-blk-pci + azote-card-blk (the same back-end)'),
    'qemu+qsd': ('azote+qsd', 'q35 vhost-user-blk-pci + qemu-storage-daemon; azote on the '
                 'same qsd export (the same back-end, QEMU\'s)'),
}
# The setups whose disk is a vhost-user back-end bench/ starts, and how.
BACKENDS = {'qemu+card': 'card', 'qemu+qsd': 'qsd', 'azote+qsd': 'qsd'}
# The disk's items for each setup (probe-run --disk IMG,...).
DISK = {'azote': '', 'azote-nopoll': ',poll_us=0', 'qemu': '',
        'qemu-iothread': ',iothread', 'qemu-iothread-nopoll': ',iothread=0'}
# The card's --uring modes (docs/card-blk.md), each as an azote setup run
# at QD 32 against QEMU_URING, for these metrics.
URING = {'azote-single-issuer': 'single-issuer', 'azote-defer-taskrun': 'defer-taskrun'}
DISK.update({setup: f',uring={mode}' for setup, mode in URING.items()})
QEMU_URING = 'qemu-iothread'
URING_METRICS = ('rand32', 'seqrd', 'seqwr')
# Fixed offered loads (IOPS), and the peers that pair polling alike there.
LOADS = (10000, 50000, 100000)
LOAD_PEERS = ('qemu-iothread', 'qemu')
# (queue depth, offered IOPS or 0 for as many as the device does, phases):
# QD 1 for the latency of random reads and writes
RUNS = ((1, 0, ('rand4k', 'rand4kw')), (32, 0, ('rand4k', 'seqrd', 'seqwr'))) + tuple(
    (32, n, ('rand4k',)) for n in LOADS)
SIZE = {'rand4k': 4096, 'rand4kw': 4096, 'seqrd': 128 << 10, 'seqwr': 128 << 10}
# The probe's latency percentiles (its histogram's, within 3 %), as keys.
PCTS = (('p50', 'median'), ('p90', 'p90'), ('p99', 'p99'), ('p999', 'p99.9'))
METRICS = (  # key, label, unit, better, (qd, offered IOPS, phase, what)
    ('rand1', '4 KiB random read, QD 1', 'IOPS', 'higher', (1, 0, 'rand4k', 'iops')),
    ('rand32', '4 KiB random read, QD 32', 'IOPS', 'higher', (32, 0, 'rand4k', 'iops')),
    ('seqrd', '128 KiB sequential read, QD 32', 'MiB/s', 'higher', (32, 0, 'seqrd', 'mib_s')),
    ('seqwr', '128 KiB sequential write, QD 32', 'MiB/s', 'higher',
     (32, 0, 'seqwr', 'mib_s')),
    ('cpu1', 'host CPU per 1M I/Os, 4 KiB random read QD 1 (VMM + card)', 's', 'lower',
     (1, 0, 'rand4k', 'cpu')),
    ('cpu32', 'host CPU per 1M I/Os, 4 KiB random read QD 32 (VMM + card)', 's', 'lower',
     (32, 0, 'rand4k', 'cpu')),
) + tuple(
    (f'lat{op[0]}{pct}', f'4 KiB random {op}, QD 1: latency {name}', 'µs', 'lower',
     (1, 0, phase, pct))
    for op, phase in (('read', 'rand4k'), ('write', 'rand4kw')) for pct, name in PCTS
) + tuple(
    (f'cpu@{n}', f'host CPU per 1M I/Os at {n:,} IOPS offered, 4 KiB random read '
     '(VMM + card)', 's', 'lower', (32, n, 'rand4k', 'cpu'))
    for n in LOADS)


# Scaling with queues and vCPUs: 4 KiB random read, QD 32 per queue, on
# N queues from N vCPUs, against these peers (polling alike, as at fixed
# loads). One run per N gives both metrics.
QUEUES = (1, 2, 4)
MQ_QD = 32
MQ_PEERS = ('qemu-iothread', 'qemu')
MQ_METRICS = tuple(  # key, label, unit, better, (queues, what)
    (f'mq{n}', f'4 KiB random read, QD {MQ_QD} per queue, {n} queue{"s" if n > 1 else ""} '
     f'on {n} vCPU{"s" if n > 1 else ""}', 'IOPS', 'higher', (n, 'iops'))
    for n in QUEUES
) + tuple(
    (f'mqcpu{n}', f'host CPU per 1M I/Os, 4 KiB random read, QD {MQ_QD} per queue, '
     f'{n} queue{"s" if n > 1 else ""} on {n} vCPU{"s" if n > 1 else ""} (VMM + card)',
     's', 'lower', (n, 'cpu'))
    for n in QUEUES)


def peers_of(iops):
    """The peer setups a run at this offered load is compared with."""
    return LOAD_PEERS if iops else tuple(PEERS)


def plan(ctx):
    return [Row(f'{key}/{setup}', 'blk', label, unit, better, PEERS[setup][1])
            for key, label, unit, better, spec in METRICS for setup in peers_of(spec[1])] + [
        Row(f'{key}/{setup}', 'blk', f'{label}, azote --uring {mode}', unit, better,
            f'{PEERS[QEMU_URING][1]}; azote --uring {mode}')
        for key, label, unit, better, _ in METRICS if key in URING_METRICS
        for setup, mode in URING.items()] + [
        Row(f'{key}/{setup}', 'blk', label, unit, better, PEERS[setup][1])
        for key, label, unit, better, _ in MQ_METRICS for setup in MQ_PEERS]


def pairs(qd, iops):
    """(azote setup, QEMU setup, the rows' key suffix) of the rows a run at
    this queue depth and offered load fills."""
    out = [(PEERS[p][0], p, p) for p in peers_of(iops)]
    if (qd, iops) == (32, 0):
        out += [(setup, QEMU_URING, setup) for setup in URING]
    return out


def probe_args(qd, iops, phases, secs, queues=1):
    """The guest's command line for one blk-bench VM."""
    return (['probe.test=blk-bench', f'probe.qd={qd}', f'probe.secs={secs}',
             'probe.phases=' + ','.join(phases)] + ([f'probe.iops={iops}'] if iops else []) +
            ([f'probe.queues={queues}'] if queues > 1 else []))


def disk_of(img, setup, queues=1, items=''):
    """probe-run's --disk for a setup whose device bench/ does not start:
    with N queues, the device offers N; items (',bw_limit=...') added."""
    return img + DISK[setup] + (f',queues={queues}' if queues > 1 else '') + items


def bench(ctx, setup, qd, iops, phases, queues=1, items='', secs=None):
    """{phase: {'iops':, 'mib_s':, 'cpu': s per 1M I/Os, 'queues': [each
    queue's IOPS, by the probe's clock] with several}} of one VM: one vCPU
    per queue; items: more of the disk's (disk_of), secs: each phase's
    length (default: the run's)."""
    img, card, extra = ctx.ws.disk(), None, []
    secs = secs or ctx.s.secs
    args = probe_args(qd, iops, phases, secs, queues)
    vmm = 'azote' if setup.startswith('azote') else 'qemu-q35'
    if setup in BACKENDS:
        if queues > 1 or items:
            raise ValueError(f'{setup}: its back-end serves one queue, as bench/ starts it')
        # Its CPU counts with the VMM's, as azote's own card's does.
        card, sock = getattr(ctx.ws, BACKENDS[setup])(img)
        extra = [card.pid]
        argv = command(vmm, args, vublk=[sock])
    else:
        argv = command(vmm, args, disks=[disk_of(img, setup, queues, items)], cpus=queues)
    ctx.record(f'blk: {setup}, QD {qd}' + (f', {iops} IOPS offered' if iops else '') +
               (f', {queues} queues' if queues > 1 else '') + items.replace(',', ', '), argv)
    try:
        with Vm(argv, ctx.ws.log('blk')) as vm:
            marks = Marks(vm, extra)
            res = vm.result(len(phases) * (secs + 15) + 60, marks)
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
        if queues > 1:
            out[p]['queues'] = queue_iops(res, p, queues)
    return out


def queue_iops(res, phase, queues):
    """Each queue's IOPS from the result line's <phase>_q<i>_iops keys."""
    try:
        return [int(res[f'{phase}_q{i}_iops']) for i in range(queues)]
    except KeyError as e:
        raise BenchError(f'blk-bench: no {e.args[0]} in the result line')


def shortfall(offered, achieved):
    """A note when a side did not reach 90 % of the offered load (its CPU
    per I/O is then that of a lighter load), else ''."""
    low = {side: rate for side, rate in achieved.items() if rate < 0.9 * offered}
    if not low:
        return ''
    return f'offered {offered:,} IOPS; reached only ' + ', '.join(
        f'{side} {rate:,.0f}' for side, rate in sorted(low.items()))


def measure(ctx, rows):
    by_key = {r.key: r for r in rows}
    for qd, iops, phases in RUNS:
        run_pairs = pairs(qd, iops)
        reps = min(ctx.s.io_reps, 3) if iops else ctx.s.io_reps
        setups = tuple(dict.fromkeys([m for m, _, _ in run_pairs] + [q for _, q, _ in run_pairs]))
        got = ctx.collect(reps, setups, lambda setup: bench(ctx, setup, qd, iops, phases))
        for key, _, _, _, (mqd, miops, phase, what) in METRICS:
            if (mqd, miops) != (qd, iops):
                continue
            for mine, setup, suffix in run_pairs:
                row = by_key.get(f'{key}/{suffix}')
                if row is None:   # a --uring setup, for another metric
                    continue
                row.azote += [g[phase][what] for g in got[mine]]
                row.qemu += [g[phase][what] for g in got[setup]]
                if iops:
                    row.note = shortfall(iops, {
                        side: median(g[phase]['iops'] for g in got[s])
                        for side, s in (('azote', mine), ('QEMU', setup))})
    try:
        measure_queues(ctx, by_key)
    except BenchError as e:
        # The one-queue rows stand; only the scaling rows failed.
        ctx.say(f'blk: queue scaling FAILED: {e}')
        for key, *_ in MQ_METRICS:
            for setup in MQ_PEERS:
                by_key[f'{key}/{setup}'].error = str(e).splitlines()[0]


def measure_queues(ctx, by_key):
    """The scaling rows: for each N in QUEUES, the setups in turns, each
    VM with N queues on N vCPUs; a row's two sides come from the same
    rounds (paired)."""
    setups = tuple(dict.fromkeys([PEERS[p][0] for p in MQ_PEERS] + list(MQ_PEERS)))
    for n in QUEUES:
        got = ctx.collect(ctx.s.io_reps, setups,
                          lambda setup, n=n: bench(ctx, setup, MQ_QD, 0, ('rand4k',), n))
        for key, _, _, _, (queues, what) in MQ_METRICS:
            if queues != n:
                continue
            for setup in MQ_PEERS:
                mine, row = PEERS[setup][0], by_key[f'{key}/{setup}']
                row.azote += [g['rand4k'][what] for g in got[mine]]
                row.qemu += [g['rand4k'][what] for g in got[setup]]
                if what == 'iops' and n > 1:
                    row.note = imbalance(n, {side: got[s] for side, s in
                                             (('azote', mine), ('QEMU', setup))})


def imbalance(queues, runs):
    """A note when, in a side's median run, one queue did less than half
    of an even share (a vCPU that was not scheduled, a queue starved): the
    total then is not N queues' worth. '' when every queue pulled its
    weight. runs: {side: [bench() results]}."""
    low = []
    for side, got in sorted(runs.items()):
        shares = sorted((g['rand4k']['queues'] for g in got), key=sum)
        per_queue = shares[len(shares) // 2]
        even = sum(per_queue) / queues
        if even and min(per_queue) < even / 2:
            low.append(f'{side} ' + '/'.join(f'{q:,}' for q in per_queue))
    return ('uneven queues (IOPS per queue, median run): ' + '; '.join(low)) if low else ''
