"""bench/run limit without a VM: the rows of a rate limit held (a target,
not a winner), what a measurement puts in them, and the command lines
both VMMs get for the limited drive."""
import os
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from azbench import plot  # noqa: E402
from azbench.context import Context, settings  # noqa: E402
from azbench.metrics import blk, limit  # noqa: E402
from azbench.results import merge_rounds, table  # noqa: E402
from azbench.vm import command  # noqa: E402


def ctx(quick=False):
    c = type('Ctx', (), {'s': settings(quick)})()
    c.collect = Context.collect
    return c


class Rows(unittest.TestCase):
    def test_a_target_row_has_no_winner_and_says_how_far_each_side_is(self):
        rows = limit.plan(ctx())
        bw = next(r for r in rows if r.key == 'bw')
        bw.azote, bw.qemu = [10.1, 10.2, 9.9], [9.5, 9.6, 9.4]
        r = merge_rounds([[bw], [bw]])[0]
        self.assertIsNone(r.advantage())
        self.assertEqual(r.verdict(), '')
        t = table([r])
        self.assertIn('MiB/s = |', t)
        self.assertIn('off the limit of 10.0: azote +1.0 %, QEMU -5.0 %', t)

    def test_target_rows_stay_out_of_the_plot(self):
        rows = limit.plan(ctx())
        for r in rows:
            r.azote, r.qemu = [1.0], [2.0]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'p.png')
            plot.plot(rows, path, 'title', 'caption')
            self.assertFalse(os.path.exists(path))


class Measure(unittest.TestCase):
    def test_each_phase_fills_its_row_from_both_vmms_with_the_limited_drive(self):
        calls, real = [], blk.bench

        def fake(c, setup, qd, iops, phases, queues=1, items='', secs=None):
            calls.append((setup, qd, iops, phases, items, secs))
            k = 1 if setup == 'azote' else 2
            return {'seqrd': {'mib_s': 10.0 * k}, 'rand4k': {'iops': 1000.0 * k}}
        blk.bench = fake
        try:
            c = ctx()
            c.s.io_reps = 2
            rows = limit.plan(c)
            limit.measure(c, rows)
        finally:
            blk.bench = real
        by = {r.key: r for r in rows}
        self.assertEqual(by['bw'].azote, [10.0, 10.0])
        self.assertEqual(by['bw'].qemu, [20.0, 20.0])
        self.assertEqual(by['ops'].qemu, [2000.0, 2000.0])
        self.assertEqual(sorted(s for s, *_ in calls), ['azote', 'azote', 'qemu-iothread',
                                                        'qemu-iothread'])
        for _, qd, iops, phases, items, secs in calls:
            self.assertEqual((qd, iops, secs, items), (32, 0, limit.LIMIT_SECS, limit.ITEMS))
            self.assertEqual(set(phases), {'seqrd', 'rand4k'})

    def test_both_vmms_get_the_same_rates(self):
        with tempfile.NamedTemporaryFile() as elf:
            os.environ['PROBE_ELF'] = elf.name
            try:
                disk = '/dev/null' + limit.ITEMS
                qemu = command('qemu-q35', [], disks=[disk])
                azote = command('azote', [], disks=[disk])
            finally:
                del os.environ['PROBE_ELF']
        drive = next(a for a in qemu if a.startswith('file=/dev/null'))
        self.assertIn('throttling.bps-total=10485760', drive)
        self.assertIn('throttling.iops-total=1000', drive)
        self.assertIn('path=/dev/null' + limit.ITEMS, azote)


if __name__ == '__main__':
    unittest.main()
