"""The metrics' own logic that needs no VM (tests/run's "benchmark code"
stage): what start.py makes of azote's probe-run command line."""
import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from azbench.metrics import GROUPS, blk, density, linux, net, start  # noqa: E402
from azbench.vm import BenchError, printed_command  # noqa: E402

ARGV = ['build/azote', '--kernel', 'build/probe.elf', '--cmdline', 'probe.test=hello probe.hold=1',
        '--cpus', '1', '--memory', '128M', '--transport', 'pci']


class StartConfig(unittest.TestCase):
    def test_the_config_file_holds_the_same_machine(self):
        self.assertEqual(start.azote_config(ARGV), {
            'boot-source': {'kernel_image_path': 'build/probe.elf',
                            'boot_args': 'probe.test=hello probe.hold=1'},
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


if __name__ == '__main__':
    unittest.main()
