"""docs/benchmarks.json without a VM: a run that writes the docs replaces
the groups it measured and keeps the others, and the docs show every
group with its own date, host and commands."""
import os
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from azbench import report, store  # noqa: E402
from azbench.results import Row, merge_rounds  # noqa: E402

ORDER = ('start', 'blk', 'limit')
TITLES = {'start': 'start', 'blk': 'block I/O', 'limit': 'rate limits held'}


def rows(group, a, q, **kw):
    return merge_rounds([[Row('k', group, f'{group} metric', 'IOPS', kw.pop('better', 'higher'),
                              'q35', azote=[a], qemu=[q], **kw)]])


class Store(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, 'benchmarks.json')

    def tearDown(self):
        self.dir.cleanup()

    def test_no_file_is_no_group(self):
        self.assertEqual(store.load(self.path), {})

    def test_a_later_run_replaces_only_its_groups(self):
        g = {}
        store.record(g, 'blk', rows('blk', 2.0, 1.0), 'day 1', 'host A', 'cap A', {'blk: x': 'x'})
        store.record(g, 'limit', rows('limit', 9.9, 9.0, better='target', target=10.0), 'day 1',
                     'host A', 'cap A', {})
        store.save(self.path, g, ORDER)
        g = store.load(self.path)
        store.record(g, 'blk', rows('blk', 3.0, 1.0), 'day 2', 'host B', 'cap B', {'blk: y': 'y'})
        store.save(self.path, g, ORDER)
        back = store.load(self.path)
        self.assertEqual(list(back), ['blk', 'limit'])
        self.assertEqual(back['blk']['how'], 'day 2')
        self.assertEqual(back['blk']['rows'][0].azote, [3.0])
        self.assertEqual(back['limit']['how'], 'day 1')
        lim = back['limit']['rows'][0]
        self.assertEqual((lim.better, lim.target, lim.rounds), ('target', 10.0, [1.1]))
        self.assertEqual([r.group for r in store.rows(back, ORDER)], ['blk', 'limit'])

    def test_the_docs_show_each_groups_run_host_and_commands(self):
        g = {}
        store.record(g, 'limit', rows('limit', 9.9, 9.0, better='target', target=10.0),
                     'day 1', 'host A', 'cap A', {'limit: azote': 'azote --drive x'})
        store.record(g, 'blk', rows('blk', 2.0, 1.0), 'day 2', 'host B', 'cap B',
                     {'blk: azote': 'azote --drive y'})
        text = report.generated(g, ORDER, TITLES, 'b.png')
        self.assertIn('- `blk` (block I/O): day 2\n- `limit` (rate limits held): day 1', text)
        self.assertLess(text.index('| blk metric |'), text.index('| limit metric |'))
        self.assertIn('For blk:\n\nhost B\n\nFor limit:\n\nhost A', text)
        self.assertIn('# blk: azote\nazote --drive y\n\n# limit: azote\nazote --drive x', text)
        self.assertTrue(text.startswith(report.BEGIN) and text.endswith(report.END))

    def test_one_host_is_said_once(self):
        g = {}
        for name in ('blk', 'start'):
            store.record(g, name, rows(name, 1.0, 1.0), 'day', 'host A', 'cap', {})
        text = report.generated(g, ORDER, TITLES, 'b.png')
        self.assertIn('### Machine\n\nhost A\n\n### Commands', text)


if __name__ == '__main__':
    unittest.main()
