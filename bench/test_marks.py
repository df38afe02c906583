"""Marks: a phase's span from the host's stamps of its mark lines."""
import unittest

from azbench.marks import Marks
from azbench.vm import BenchError, vmm_name


def marks_at(stamps):
    """A Marks whose lines were read at the given {(phase, event): (t, cpu)}."""
    m = Marks(vm=None)
    m.at.update(stamps)
    return m


class Span(unittest.TestCase):
    def test_seconds_and_cpu_between_the_marks(self):
        m = marks_at({('rand4k', 'start'): (10.0, 1e9), ('rand4k', 'end'): (12.5, 3e9)})
        self.assertEqual(m.span('rand4k'), (2.5, 2.0))

    def test_marks_read_in_one_go_are_refused(self):
        m = marks_at({('rand4k', 'start'): (10.0, 1e9), ('rand4k', 'end'): (10.0, 1e9)})
        with self.assertRaisesRegex(BenchError, 'reached the host together'):
            m.span('rand4k')

    def test_a_missing_mark_is_refused(self):
        m = marks_at({('rand4k', 'start'): (10.0, 1e9)})
        with self.assertRaisesRegex(BenchError, 'no start and end marks for phase rand4k'):
            m.span('rand4k')


if __name__ == '__main__':
    unittest.main()


class VmmName(unittest.TestCase):
    """A failure names the VMM it came from, past the wrappers."""

    def test_names(self):
        self.assertEqual(vmm_name(['build/azote', '--kernel', 'k']), 'azote')
        self.assertEqual(vmm_name(['ip', 'netns', 'exec', 'n', 'qemu-system-x86_64', '-M',
                                   'q35', '-m', '128M']), 'qemu-system-x86_64 -M q35')
        self.assertEqual(vmm_name(['unshare', '-m', '/x/azote-card-blk']), 'azote-card-blk')
        self.assertEqual(vmm_name(['qemu-system-x86_64', '-M']), 'qemu-system-x86_64')
        self.assertEqual(vmm_name(['/usr/bin/other', 'x']), 'other')
