"""Metric fio without a VM (tests/run's "benchmark code" stage): fio's
report read from the guest's console, its figures, the job the guest is
given and the rows. The samples in bench/testdata/ are real (README.md
there): fio-3.33-host.json is Debian's fio 3.33 run on this project's
development host, on a scratch file, with job_options(2) (the figures
are that host's, not a VM's); fio-console-box.txt is the console of the
Linux test guest under azote in the box (tests/box/run: KVM under
QEMU's TCG), from "LINUX init" to the fio result line, '\\r' and all:
its figures mean nothing, its shape is what the metric reads."""
import json
import os
import sys
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from azbench.context import settings  # noqa: E402
from azbench.metrics import fio  # noqa: E402
from azbench.vm import BenchError  # noqa: E402

DATA = os.path.join(HERE, 'testdata')


def host_report():
    with open(os.path.join(DATA, 'fio-3.33-host.json')) as f:
        return json.load(f)


def box_console():
    """The box's console lines as Vm.next_line gives them."""
    with open(os.path.join(DATA, 'fio-console-box.txt'), 'rb') as f:
        return [fio.console_line(line.decode().rstrip('\r'))
                for line in f.read().split(b'\n')[:-1]]


def console(report_text, before=(), inside=()):
    """Console lines around fio's output REPORT_TEXT, as the init prints
    them: the markers, BEFORE what fio logged ahead of its JSON, INSIDE
    lines that came between (kernel messages) after its second line."""
    body = list(before) + report_text.splitlines()
    body[len(before) + 1:len(before) + 1] = list(inside)
    return ['LINUX init uptime=0.9', 'LINUX fio-run options=21', fio.BEGIN, *body, fio.END]


class Figures(unittest.TestCase):
    def test_each_job_from_the_direction_it_did_io_in(self):
        report = host_report()
        got = fio.figures(report)
        self.assertEqual(sorted(got), sorted(name for name, *_ in fio.JOBS))
        for job in report['jobs']:
            side = 'write' if job['job options']['rw'] == 'write' else 'read'
            d, mine = job[side], got[job['jobname']]
            pct = d['clat_ns']['percentile']
            self.assertEqual(mine['iops'], d['iops'])
            self.assertEqual(mine['mib_s'], d['bw_bytes'] / 2**20)
            self.assertEqual(mine['p50'], pct['50.000000'] / 1e3)
            self.assertEqual(mine['p99'], pct['99.000000'] / 1e3)

    def test_the_captured_figures(self):
        # As fio printed them on the host: read IOPS and clat in ns.
        got = fio.figures(host_report())
        self.assertAlmostEqual(got['rand4k-qd1']['iops'], 24216.891554)
        self.assertEqual(got['rand4k-qd1']['p50'], 37.12)
        self.assertEqual(got['rand4k-qd1']['p99'], 63.744)
        self.assertAlmostEqual(got['rand4k-qd32']['iops'], 74957.021489)
        self.assertAlmostEqual(got['seq128k-write']['mib_s'], 2340047664 / 2**20)

    def test_a_job_with_an_error_fails(self):
        report = host_report()
        report['jobs'][1]['error'] = 5
        with self.assertRaisesRegex(BenchError, 'rand4k-qd32: error 5'):
            fio.figures(report)

    def test_a_missing_job_or_percentile_fails(self):
        report = host_report()
        del report['jobs'][2]
        with self.assertRaisesRegex(BenchError, 'lacks job.*seq128k-write'):
            fio.figures(report)
        report = host_report()
        del report['jobs'][0]['read']['clat_ns']['percentile']['99.000000']
        with self.assertRaisesRegex(BenchError, 'no clat percentile 99'):
            fio.figures(report)

    def test_a_job_that_did_no_io_fails(self):
        report = host_report()
        report['jobs'][0]['read']['io_bytes'] = 0
        with self.assertRaisesRegex(BenchError, 'rand4k-qd1 did no I/O'):
            fio.figures(report)


class Console(unittest.TestCase):
    TEXT = open(os.path.join(DATA, 'fio-3.33-host.json')).read()

    def test_the_report_between_the_markers(self):
        self.assertEqual(fio.fio_output(console(self.TEXT)), host_report())

    def test_kernel_messages_and_fios_own_lines_are_dropped(self):
        lines = console(self.TEXT, before=['clock setaffinity failed: Function not implemented'],
                        inside=['[   12.345678] random: crng init done'])
        self.assertEqual(fio.fio_output(lines), host_report())

    def test_a_marker_after_kernel_output_on_its_line(self):
        self.assertEqual(fio.console_line('[    9.1] x LINUX fio-end'), fio.END)
        self.assertEqual(fio.console_line('  "jobs" : ['), '  "jobs" : [')

    def test_no_markers_or_no_json_fails(self):
        with self.assertRaisesRegex(BenchError, 'no "LINUX fio-begin"'):
            fio.fio_output(self.TEXT.splitlines())
        with self.assertRaisesRegex(BenchError, 'no JSON'):
            fio.fio_output([fio.BEGIN, 'fio: pid=0, err=2/file:filesetup.c', fio.END])
        with self.assertRaisesRegex(BenchError, 'does not parse'):
            fio.fio_output(console(self.TEXT[:len(self.TEXT) // 2]))

    def test_the_box_console(self):
        lines = box_console()
        self.assertRegex(lines[-1], fio.RESULT)
        got = fio.figures(fio.fio_output(lines[:-1]))
        self.assertEqual(sorted(got), sorted(name for name, *_ in fio.JOBS))
        report = fio.fio_output(lines[:-1])
        self.assertEqual(report['global options']['filename'], '/dev/vda')
        self.assertEqual(report['fio version'], 'fio-3.33')


class Job(unittest.TestCase):
    def fio_argv(self, opts):
        """What the init (init/check_fio.c) makes of lg.fio=OPTS."""
        return ['--' + item for item in opts.split(',')]

    def test_globals_first_then_each_job(self):
        argv = self.fio_argv(fio.job_options(2))
        first = argv.index('--name=rand4k-qd1')
        self.assertEqual(set(argv[:first]), {
            '--filename=/dev/vda', '--direct=1', '--time_based=1', '--runtime=2',
            '--percentile_list=50:99', '--stonewall=1'})
        for name, rw, bs, engine, qd in fio.JOBS:
            i = argv.index(f'--name={name}')
            self.assertEqual(argv[i + 1:i + 5], [f'--rw={rw}', f'--bs={bs}',
                                                 f'--ioengine={engine}', f'--iodepth={qd}'])

    def test_one_word_on_the_kernel_command_line(self):
        opts = fio.job_options(60)
        self.assertNotRegex(opts, r'\s')
        # check_fio.c's limits: 2047 bytes, 96 options of 253 bytes.
        self.assertLess(len(opts), 2048)
        self.assertLessEqual(len(opts.split(',')), 96)

    def test_the_host_sample_ran_this_job(self):
        report = host_report()
        want = {k: v for k, v in (o.split('=', 1) for o in fio.job_options(2).split(','))
                if k not in ('name', 'rw', 'bs', 'ioengine', 'iodepth', 'filename')}
        got = dict(report['global options'])
        del got['filename']
        self.assertEqual(got, want)


class Plan(unittest.TestCase):
    def test_every_metric_against_every_peer(self):
        ctx = type('Ctx', (), {'s': settings(True)})()
        rows = fio.plan(ctx)
        self.assertEqual([r.key for r in rows],
                         [f'{m[0]}/{p}' for m in fio.METRICS for p in fio.PEERS])
        self.assertTrue(all(r.group == 'fio' for r in rows))
        for setup, (mine, label) in fio.PEERS.items():
            self.assertIn(setup, fio.SETUPS)
            self.assertIn(mine, fio.SETUPS)
            self.assertIn('iothread', label)

    def test_peers_that_poll_alike_are_paired(self):
        self.assertEqual(fio.PEERS['qemu-q35-iothread'][0], 'azote')
        self.assertIn(',iothread', fio.SETUPS['qemu-q35-iothread'][1])
        for peer in ('qemu-q35', 'qemu-microvm'):
            self.assertEqual(fio.PEERS[peer][0], 'azote-nopoll')
            self.assertNotIn('iothread', fio.SETUPS[peer][1])
        self.assertIn('poll_us=0', fio.SETUPS['azote-nopoll'][1])

    def test_measure_fills_each_row_from_its_pair(self):
        figs = {s: fio.figures(host_report()) for s in fio.SETUPS}
        for i, s in enumerate(fio.SETUPS):     # tell the setups apart
            figs[s]['rand4k-qd1']['iops'] = 1000 + i

        class Ctx:
            s = settings(True)
            ws = type('Ws', (), {'disk': lambda self: '/img'})()

            @staticmethod
            def say(msg):
                pass

            @staticmethod
            def collect(n, setups, measure):
                return {s: [measure(s)] for s in setups}

        saved = fio.command, fio.run_fio
        fio.command = lambda setup, image, secs: [setup]
        fio.run_fio = lambda ctx_, setup, argv, secs: figs[argv[0]]
        try:
            rows = fio.plan(Ctx)
            fio.measure(Ctx, rows)
        finally:
            fio.command, fio.run_fio = saved
        by_key = {r.key: r for r in rows}
        names = list(fio.SETUPS)
        for peer, (mine, _) in fio.PEERS.items():
            r = by_key[f'rand1/{peer}']
            self.assertEqual((r.azote, r.qemu), ([1000 + names.index(mine)],
                                                 [1000 + names.index(peer)]))

if __name__ == '__main__':
    unittest.main()
