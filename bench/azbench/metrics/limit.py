"""Rate limits held (issue 14): one drive limited both to 10 MiB/s and to
1,000 requests/s, under which the probe's blk-bench reads at QD 32:
128 KiB sequential reads meet the bandwidth limit (80 requests/s), 4 KiB
random reads the request limit (4 MB/s). azote's card holds Firecracker's
token buckets (--drive ...,bw_limit=1048576/100,ops_limit=100/100: a
tenth of a second's worth each), QEMU its throttling.bps-total and
iops-total, whose buckets also hold a tenth of a second. A row's figures
are the rates measured between the phase's marks; the nearer the limit,
the better, and its note says how far each side is from it. Phases last
LIMIT_SECS: a bucket starts full, and its first fill then moves the rate
by 1 %."""
from . import blk
from ..results import Row

TITLE = 'rate limits held'
LIMIT_SECS = 10
QD = 32
ITEMS = ',bw_limit=1048576/100,ops_limit=100/100'
SETUPS = ('azote', 'qemu-iothread')
ROWS = (  # key, label, unit, phase, what, limit
    ('bw', f'128 KiB sequential read, QD {QD}, drive limited to 10 MiB/s and 1,000 requests/s',
     'MiB/s', 'seqrd', 'mib_s', 10.0),
    ('ops', f'4 KiB random read, QD {QD}, drive limited to 10 MiB/s and 1,000 requests/s',
     'IOPS', 'rand4k', 'iops', 1000.0),
)
PEER = ('q35 virtio-blk-pci, iothread polling 32 µs, throttling.bps-total=10485760 and '
        'iops-total=1000; azote --drive ...' + ITEMS)


def plan(ctx):
    return [Row(key, 'limit', label, unit, 'target', PEER, target=limit)
            for key, label, unit, _, _, limit in ROWS]


def measure(ctx, rows):
    by_key = {r.key: r for r in rows}
    secs = ctx.s.secs if ctx.s.quick else LIMIT_SECS
    phases = tuple(phase for _, _, _, phase, _, _ in ROWS)
    got = ctx.collect(min(ctx.s.io_reps, 3), SETUPS,
                      lambda setup: blk.bench(ctx, setup, QD, 0, phases, items=ITEMS, secs=secs))
    mine, peer = (got[s] for s in SETUPS)
    for key, _, _, phase, what, _ in ROWS:
        by_key[key].azote += [g[phase][what] for g in mine]
        by_key[key].qemu += [g[phase][what] for g in peer]
