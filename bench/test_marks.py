"""Marks: a phase's span from the host's stamps of its mark lines."""
import unittest

from azbench.marks import Marks
from azbench.vm import BenchError


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
