"""What the host sees of a probe phase: the time each `PROBE mark ...
start|end` line arrives and the VMM's CPU time then (its processes' and
cards', vCPU threads excluded). Rates are computed from the host's clock,
not from the probe's TSC calibration, which a busy host can upset."""
from . import procfs
from .vm import MARK, BenchError


class Marks:
    def __init__(self, vm, extra_pids=()):
        self.vm, self.extra, self.at = vm, list(extra_pids), {}

    def __call__(self, t, line):
        """Vm.result's on_line."""
        m = MARK.match(line)
        if m:
            pids = procfs.tree(self.vm.pid) + self.extra
            try:
                cpu = sum(procfs.cpu_ns(p) - procfs.vcpu_ns(p) for p in pids)
            except OSError as e:
                raise BenchError(f'a VMM process ended before "{line}" was read: {e}')
            self.at[m.group(2), m.group(3)] = (t, cpu)

    def span(self, phase):
        """(seconds, VMM CPU seconds) between the phase's marks. A line is
        stamped when the host reads it: marks read in one go (a host too
        busy to read the console during the phase) time nothing."""
        if (phase, 'start') not in self.at or (phase, 'end') not in self.at:
            raise BenchError(f'no start and end marks for phase {phase}')
        (t0, c0), (t1, c1) = self.at[phase, 'start'], self.at[phase, 'end']
        if t1 <= t0:
            raise BenchError(f'phase {phase}: its start and end marks reached the host '
                             'together (the console was read late): nothing to time')
        return t1 - t0, (c1 - c0) / 1e9
