"""bench/ without a VM (tests/run's "benchmark code" stage): rounds merged,
their spread, the verdict, the table and the plot, from samples made up
here. `python3 -m unittest discover -s bench`."""
import os
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from azbench.results import Row, merge_rounds, table  # noqa: E402


def row(azote, qemu, better='higher', key='k'):
    return Row(key, 'blk', 'reads', 'IOPS', better, 'q35', azote=list(azote), qemu=list(qemu))


class Rounds(unittest.TestCase):
    def test_merge_keeps_samples_and_each_rounds_ratio(self):
        m = merge_rounds([[row([2, 4], [1, 2])], [row([3], [1])], [row([1], [2])]])
        self.assertEqual(len(m), 1)
        r = m[0]
        self.assertEqual(r.azote, [2, 4, 3, 1])
        self.assertEqual(r.qemu, [1, 2, 1, 2])
        self.assertEqual(r.rounds, [2.0, 3.0, 0.5])
        self.assertEqual(r.spread(), (0.5, 3.0))
        self.assertEqual(r.verdict(), 'no clear winner')

    def test_verdict_when_every_round_agrees(self):
        self.assertEqual(merge_rounds([[row([2], [1])], [row([3], [2])]])[0].verdict(), 'azote')
        self.assertEqual(merge_rounds([[row([1], [2])], [row([1], [3])]])[0].verdict(), 'QEMU')
        # Lower is better: a smaller azote figure is azote's win.
        low = merge_rounds([[row([1], [2], 'lower')], [row([2], [3], 'lower')]])[0]
        self.assertEqual(low.spread(), (1.5, 2.0))
        self.assertEqual(low.verdict(), 'azote')

    def test_one_round_has_no_spread(self):
        r = merge_rounds([[row([2], [1])]])[0]
        self.assertIsNone(r.spread())
        self.assertEqual(r.verdict(), '')

    def test_a_failure_in_any_round_is_kept(self):
        bad = row([], [1])
        bad.error = 'timed out'
        r = merge_rounds([[row([2], [1])], [bad]])[0]
        self.assertEqual(r.error, 'timed out')
        self.assertIn('failed: timed out', table([r]))

    def test_rows_apart_by_group_and_key(self):
        m = merge_rounds([[row([1], [1], key='a'), row([2], [1], key='b')],
                          [row([1], [1], key='a'), row([4], [1], key='b')]])
        self.assertEqual([r.key for r in m], ['a', 'b'])
        self.assertEqual(m[1].rounds, [2.0, 4.0])

    def test_table_shows_spread_and_winner(self):
        t = table(merge_rounds([[row([2], [1])], [row([3], [2])]]))
        self.assertIn('| 1.50–2.00 | azote |', t)


class Plot(unittest.TestCase):
    def test_plot_writes_a_png(self):
        try:
            from azbench import plot
        except ImportError as e:        # matplotlib: .ci/install-deps has it
            self.skipTest(str(e))
        rows = merge_rounds([[row([2], [1], key='a'), row([1], [2], key='b')],
                             [row([3], [1], key='a'), row([1], [3], key='b')]])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'p.png')
            plot.plot(rows, path, 'title', 'Host: test')
            with open(path, 'rb') as f:
                self.assertEqual(f.read(8), b'\x89PNG\r\n\x1a\n')

    def test_plot_leaves_out_failed_rows(self):
        try:
            from azbench import plot
        except ImportError as e:
            self.skipTest(str(e))
        bad = row([2], [1])
        bad.error = 'timed out'
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'p.png')
            plot.plot(merge_rounds([[bad]]), path, 'title', 'Host: test')
            self.assertFalse(os.path.exists(path))     # nothing left to draw


if __name__ == '__main__':
    unittest.main()
