"""The metrics' own logic that needs no VM (tests/run's "benchmark code"
stage): what start.py makes of azote's probe-run command line, how
procfs counts vCPU threads that end while it reads them."""
import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from azbench import procfs  # noqa: E402
from azbench.metrics import GROUPS, blk, density, linux, net, start  # noqa: E402
from azbench.vm import BenchError, printed_command  # noqa: E402

ARGV = ['build/azote', '--kernel', 'build/probe.elf', '--cmdline', 'probe.test=hello probe.hold=1',
        '--cpus', '1', '--memory', '128M', '--transport', 'pci']


class StartConfig(unittest.TestCase):
    def test_the_config_file_holds_the_same_machine(self):
        self.assertEqual(start.azote_config(ARGV), {
            'boot-source': {'kernel_image_path': 'build/probe.elf',
                            'boot_args': 'probe.test=hello probe.hold=1'},
            'drives': [],
            'machine-config': {'vcpu_count': 1, 'mem_size_mib': 128}})

    def test_an_unexpected_command_line_is_refused(self):
        for argv in (ARGV[:-1], ARGV[:3], ARGV[:8] + ['1G'] + ARGV[9:]):
            with self.assertRaises(BenchError):
                start.azote_config(argv)


class LinuxGuest(unittest.TestCase):
    def test_the_init_line_is_told_from_others(self):
        self.assertTrue(linux.is_init('LINUX init uptime=0.92'))
        self.assertTrue(linux.is_init('LINUX init'))
        for line in ('LINUX initramfs', 'x LINUX init uptime=1', 'LINUX boot PASS', ''):
            self.assertFalse(linux.is_init(line), line)

    def test_an_unknown_vmm_has_no_command(self):
        with self.assertRaises(BenchError):
            linux.lg_command('firecracker')


class PrintedCommand(unittest.TestCase):
    def test_nul_separated_arguments_keep_their_spaces(self):
        self.assertEqual(printed_command(['sh', '-c', r'printf "vmm\0-append\0a b=c\0"']),
                         ['vmm', '-append', 'a b=c'])

    def test_a_failing_runner_names_itself_and_its_error(self):
        with self.assertRaisesRegex(BenchError, 'sh --print-command: no kernel'):
            printed_command(['sh', '-c', 'echo no kernel >&2; exit 1'])


class Density(unittest.TestCase):
    MEMINFO = ('MemTotal:       24000000 kB\nSlab:             301960 kB\n'
               'KernelStack:        2020 kB\nPageTables:        12504 kB\n'
               'SecPageTables:         8 kB\nShmem:  5 kB\n')

    def test_kernel_memory_sums_the_fields_vms_grow(self):
        self.assertEqual(density.kernel_kib(self.MEMINFO), 301960 + 2020 + 12504 + 8)

    def test_a_field_an_older_kernel_lacks_counts_zero(self):
        old = self.MEMINFO.replace('SecPageTables:         8 kB\n', '')
        self.assertEqual(density.kernel_kib(old), 301960 + 2020 + 12504)


class FixedLoads(unittest.TestCase):
    def test_a_side_short_of_the_offered_load_is_said(self):
        self.assertEqual(blk.shortfall(50000, {'azote': 49500, 'QEMU': 30000}),
                         'offered 50,000 IOPS; reached only QEMU 30,000')
        self.assertEqual(blk.shortfall(50000, {'azote': 45000, 'QEMU': 46000}), '')

    def test_load_rows_pair_setups_that_poll_alike(self):
        from azbench.context import settings
        ctx = type('Ctx', (), {'s': settings(False)})()
        load = [r.key for r in blk.plan(ctx) if r.key.startswith('cpu@')]
        self.assertEqual(load, [f'cpu@{n}/{p}' for n in blk.LOADS for p in blk.LOAD_PEERS])


class UringModes(unittest.TestCase):
    def test_each_mode_has_rows_at_qd32_against_the_iothread(self):
        from azbench.context import settings
        ctx = type('Ctx', (), {'s': settings(False)})()
        rows = {r.key: r for r in blk.plan(ctx)}
        for setup, mode in blk.URING.items():
            self.assertEqual(blk.DISK[setup], f',uring={mode}')
            keys = sorted(k for k in rows if k.endswith('/' + setup))
            self.assertEqual(keys, sorted(f'{m}/{setup}' for m in blk.URING_METRICS))
            for k in keys:
                self.assertIn(f'--uring {mode}', rows[k].peer)
        self.assertIn(('azote-defer-taskrun', 'qemu-iothread', 'azote-defer-taskrun'),
                      blk.pairs(32, 0))
        self.assertNotIn('azote-defer-taskrun', [m for m, _, _ in blk.pairs(1, 0)])
        self.assertNotIn('azote-defer-taskrun', [m for m, _, _ in blk.pairs(32, 10000)])


class BlockBackends(unittest.TestCase):
    def test_qsd_serves_both_vmms_and_each_peer_has_its_pair(self):
        self.assertEqual(blk.PEERS['qemu+qsd'][0], 'azote+qsd')
        self.assertEqual(blk.BACKENDS['azote+qsd'], blk.BACKENDS['qemu+qsd'])
        for peer, (mine, _) in blk.PEERS.items():
            self.assertTrue(mine.startswith('azote') and not peer.startswith('azote'), peer)
            # a setup with no started back-end has a disk of its own
            for setup in (mine, peer):
                self.assertTrue(setup in blk.BACKENDS or setup in blk.DISK, setup)


class QueueScaling(unittest.TestCase):
    LINE = ('PROBE blk-bench PASS transport=pci pci=00:01.0 qd=32 secs=2 queue_size=256 '
            'queues=2 rand4k_ops=400 rand4k_us=2000000 rand4k_iops=200 rand4k_mib_s=0 '
            'rand4k_ticks=5400000000 rand4k_p50_t=1 rand4k_p90_t=2 rand4k_p99_t=3 '
            'rand4k_p999_t=4 rand4k_q0_iops=120 rand4k_q1_iops=80')

    def test_each_queue_count_has_both_metrics_against_both_peers(self):
        from azbench.context import settings
        ctx = type('Ctx', (), {'s': settings(False)})()
        keys = [r.key for r in blk.plan(ctx) if r.key.startswith('mq')]
        self.assertEqual(keys, [f'{m}{n}/{p}' for m in ('mq', 'mqcpu') for n in blk.QUEUES
                                for p in blk.MQ_PEERS])
        for peer in blk.MQ_PEERS:    # each peer has a setup of its own and azote's
            self.assertIn(peer, blk.DISK)
            self.assertIn(blk.PEERS[peer][0], blk.DISK)

    def test_the_guest_and_the_device_are_told_the_queue_count(self):
        self.assertEqual(blk.probe_args(32, 0, ('rand4k',), 2, 4)[-1], 'probe.queues=4')
        self.assertEqual(blk.disk_of('d.img', 'qemu-iothread', 4), 'd.img,iothread,queues=4')
        self.assertEqual(blk.disk_of('d.img', 'azote-nopoll', 2), 'd.img,poll_us=0,queues=2')

    def test_one_queue_runs_as_before(self):
        self.assertEqual(blk.probe_args(32, 0, ('rand4k', 'seqrd'), 2),
                         ['probe.test=blk-bench', 'probe.qd=32', 'probe.secs=2',
                          'probe.phases=rand4k,seqrd'])
        self.assertEqual(blk.disk_of('d.img', 'azote'), 'd.img')

    def test_per_queue_iops_come_from_the_result_line(self):
        from azbench.vm import RESULT, parse_kv
        res = parse_kv(RESULT.match(self.LINE).group(3))
        self.assertEqual(blk.queue_iops(res, 'rand4k', 2), [120, 80])
        with self.assertRaisesRegex(BenchError, 'rand4k_q2_iops'):
            blk.queue_iops(res, 'rand4k', 3)

    def test_a_starved_queue_is_said(self):
        def run(*q):
            return {'rand4k': {'queues': list(q)}}
        even = [run(100, 100), run(90, 110), run(95, 100)]
        self.assertEqual(blk.imbalance(2, {'azote': even, 'QEMU': even}), '')
        starved = [run(190, 10), run(180, 30), run(200, 5)]
        self.assertEqual(blk.imbalance(2, {'azote': even, 'QEMU': starved}),
                         'uneven queues (IOPS per queue, median run): QEMU 200/5')

    def test_the_vcpus_reach_the_vmm(self):
        import tempfile
        from azbench.vm import command
        with tempfile.NamedTemporaryFile() as elf:
            os.environ['PROBE_ELF'] = elf.name
            try:
                argv = command('qemu-q35', blk.probe_args(32, 0, ('rand4k',), 1, 2),
                               disks=['/dev/null,queues=2'], cpus=2)
                one = command('qemu-q35', [], disks=['/dev/null'])
            finally:
                del os.environ['PROBE_ELF']
        self.assertEqual(argv[argv.index('-smp') + 1], '2')
        self.assertTrue(any('num-queues=2' in a for a in argv), argv)
        self.assertNotEqual(one[one.index('-smp') + 1], '2')


class NetworkPeers(unittest.TestCase):
    def test_every_metric_against_qemus_nic_and_against_the_card_under_qemu(self):
        from azbench.context import settings
        ctx = type('Ctx', (), {'s': settings(True)})()
        rows = net.plan(ctx)
        self.assertEqual(len(rows), len(net.METRICS) * 2)
        for key, *_ in net.METRICS:
            peers = sorted(r.peer for r in rows if r.key.split('/')[0] == key)
            self.assertEqual(peers, sorted(net.PEERS.values()), key)


class Plans(unittest.TestCase):
    def test_rows_have_unique_keys_per_group(self):
        from azbench.context import settings
        ctx = type('Ctx', (), {'s': settings(False)})()
        for name, mod in GROUPS.items():
            if name in ('mem',):       # asks azote's --help: needs a build
                continue
            keys = [r.key for r in mod.plan(ctx)]
            self.assertEqual(len(keys), len(set(keys)), name)

    def test_start_rate_has_the_exit_at_once_guest(self):
        from azbench.context import settings
        ctx = type('Ctx', (), {'s': settings(True)})()
        keys = [r.key for r in GROUPS['rate'].plan(ctx)]
        self.assertEqual(keys, ['exit1', 'exit4', 'exit-cpu', 'hello1', 'hello4', 'hello-cpu'])


class VcpuThreads(unittest.TestCase):
    def count(self, fail):
        """vcpu_ns over threads 1 (vcpu0), 2 (ends: read fails with
        fail), 3 (vcpu1) and 4 (a card's worker)."""
        files = {'/proc/9/task/1/comm': 'vcpu0\n', '/proc/9/task/1/schedstat': '100 0 0\n',
                 '/proc/9/task/3/comm': 'vcpu1\n', '/proc/9/task/3/schedstat': '20 0 0\n',
                 '/proc/9/task/4/comm': 'blk-q0\n', '/proc/9/task/4/schedstat': '5 0 0\n'}

        def read(path):
            if path.startswith('/proc/9/task/2/'):
                raise fail(path)
            return files[path]
        saved = procfs._read, procfs.os.listdir
        procfs._read, procfs.os.listdir = read, lambda d: ['1', '2', '3', '4']
        try:
            return procfs.vcpu_ns(9)
        finally:
            procfs._read, procfs.os.listdir = saved

    def test_a_thread_that_ends_meanwhile_is_left_out(self):
        # Linux answers ENOENT or, for a thread being reaped, ESRCH.
        for fail in (FileNotFoundError, ProcessLookupError):
            self.assertEqual(self.count(fail), 120)

    def test_other_errors_still_fail(self):
        with self.assertRaises(PermissionError):
            self.count(PermissionError)


if __name__ == '__main__':
    unittest.main()
