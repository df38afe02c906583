"""One module per group of metrics. Each has TITLE, plan(ctx) -> rows
(empty, or n/a where azote cannot be measured yet) and measure(ctx, rows)
which appends samples; a BenchError from it marks the group failed."""
from . import start, boot, linux, fio, memory, density, blk, limit, net, rate, snapshot

GROUPS = {'start': start, 'boot': boot, 'linux': linux, 'fio': fio, 'mem': memory,
          'density': density, 'blk': blk, 'limit': limit, 'net': net, 'rate': rate, 'snap': snapshot}
