"""The snapshot metrics' own logic that needs no VM (metrics/snapshot.py):
the rows, the round lines, QMP's answers, and the clones' mount
namespace wrapper run for real where this host lets us."""
import os
import subprocess
import sys
import tempfile
import time
import unittest
from types import SimpleNamespace

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from azbench.metrics import GROUPS, snapshot  # noqa: E402
from azbench.vm import BenchError  # noqa: E402


def ctx(quick):
    return SimpleNamespace(s=SimpleNamespace(quick=quick))


class Plan(unittest.TestCase):
    def test_rows_for_each_size_and_clone_count(self):
        self.assertIs(GROUPS['snap'], snapshot)
        keys = [r.key for r in snapshot.plan(ctx(False))]
        restores = ['create/{}', 'restore/{}', 'restore-eager/{}', 'restore-loaded/{}']
        self.assertEqual(keys, [k.format(mib) for mib in (128, 1024) for k in restores] +
                         ['clones-rate/1', 'clones-uss/1', 'clones-rate/4',
                          'clones-uss/4', 'clones-rate/16', 'clones-uss/16'])
        quick = [r.key for r in snapshot.plan(ctx(True))]
        self.assertEqual(quick, [k.format(128) for k in restores] +
                         ['clones-rate/1', 'clones-uss/1', 'clones-rate/4', 'clones-uss/4'])

    def test_rates_are_better_higher_and_times_lower(self):
        for r in snapshot.plan(ctx(True)):
            self.assertEqual(r.better, 'higher' if r.key.startswith('clones-rate') else 'lower')


class RoundLine(unittest.TestCase):
    def test_only_a_whole_round_line_counts(self):
        self.assertEqual(snapshot.round_of('PROBE persist: round 17 ok'), 17)
        self.assertEqual(snapshot.round_of('PROBE persist: round 3782 ok counter=3782'), 3782)
        for line in ('PROBE persist: round 17 failed', 'PROBE persist PASS rounds=3',
                     'x PROBE persist: round 1 ok', ''):
            self.assertIsNone(snapshot.round_of(line), line)


class LogLine(unittest.TestCase):
    def test_only_text_past_the_offset_counts(self):
        with tempfile.NamedTemporaryFile('wb') as f:
            f.write(b'azote: info: guest memory loaded: 1 pages on fault\n')
            f.flush()
            start = f.tell()
            with self.assertRaisesRegex(BenchError, 'no "guest memory loaded:"'):
                snapshot.log_line_at(f.name, start, snapshot.LOADED, time.monotonic() + 0.05)
            f.write(b'azote: info: guest memory loaded: 2 pages on fault, 9 prefetched\n')
            f.flush()
            t0 = time.monotonic()
            self.assertGreaterEqual(snapshot.log_line_at(f.name, start, snapshot.LOADED,
                                                         t0 + 5), t0)


class QmpAnswer(unittest.TestCase):
    def test_events_are_skipped(self):
        lines = [b'{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}',
                 b'{"return": {"status": "paused", "running": false}}']
        self.assertEqual(snapshot.qmp_answer(lines), {'status': 'paused', 'running': False})
        self.assertIsNone(snapshot.qmp_answer(lines[:1]))

    def test_an_error_names_its_description(self):
        with self.assertRaisesRegex(BenchError, 'QMP: no such file'):
            snapshot.qmp_answer([b'{"error": {"class": "GenericError", '
                                 b'"desc": "no such file"}}'])


class OwnDiskDir(unittest.TestCase):
    def test_the_clone_sees_its_own_folder_at_the_snapshots_path(self):
        if os.geteuid() != 0:
            self.skipTest('mount namespaces need root here')
        with tempfile.TemporaryDirectory() as d:
            target, own = os.path.join(d, 'disk'), os.path.join(d, 'clone0')
            for folder, text in ((target, 'snapshot'), (own, 'clone')):
                os.makedirs(folder)
                with open(os.path.join(folder, 'disk.img'), 'w') as f:
                    f.write(text)
            argv = snapshot.in_own_disk_dir(own, target,
                                            ['cat', os.path.join(target, 'disk.img')])
            out = subprocess.run(argv, capture_output=True, text=True, check=True)
            self.assertEqual(out.stdout, 'clone')
            with open(os.path.join(target, 'disk.img')) as f:
                self.assertEqual(f.read(), 'snapshot', 'the bind mount leaked out')



class Measure(unittest.TestCase):
    def test_failed_clones_leave_the_restore_rows(self):
        said = []
        c = SimpleNamespace(s=SimpleNamespace(quick=True, io_reps=1), say=said.append,
                            collect=lambda n, setups, m: {s: [m(s)] for s in setups})

        def clones(ctx_, snaps, vmm, n):
            raise BenchError('qemu: the guest ended\n    PROBE persist FAIL')

        saved = snapshot.Snapshots, snapshot.create_restore, snapshot.clones
        snapshot.Snapshots = lambda ctx_: SimpleNamespace(create=lambda vmm, mib: 1.0)
        snapshot.create_restore = lambda ctx_, snaps, vmm, mib: dict.fromkeys(
            ('create', 'restore', 'restore-eager', 'restore-loaded'), 2.0)
        snapshot.clones = clones
        try:
            rows = snapshot.plan(c)
            snapshot.measure(c, rows)
        finally:
            snapshot.Snapshots, snapshot.create_restore, snapshot.clones = saved
        for r in rows:
            if r.key.startswith('clones-'):
                self.assertEqual(r.error, 'qemu: the guest ended')
            else:
                self.assertEqual((r.azote, r.qemu, r.error), ([2.0], [2.0], ''))
        self.assertEqual(said, ['snap: clones FAILED: qemu: the guest ended\n'
                                '    PROBE persist FAIL'])


if __name__ == '__main__':
    unittest.main()
