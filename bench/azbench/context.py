"""What every metric gets: the run's settings, the workspace, and the
record of the exact commands run (for docs/benchmarks.md)."""
import shlex
import sys
import time
from dataclasses import dataclass

from .vm import ROOT


SETTLE_S = 0.25


@dataclass
class Settings:
    quick: bool
    reps: int           # runs of each cheap measurement (start, boot)
    io_reps: int        # runs of each I/O and memory measurement
    secs: int           # seconds per blk-bench / net-bench phase
    rate_ns: tuple      # VMs at once for the start rate
    rate_rounds: int    # VMs started per trial = rounds * N


def settings(quick, reps=None, secs=None):
    if quick:
        s = Settings(True, 3, 1, 1, (1, 4), 2)
    else:
        s = Settings(False, 10, 7, 2, (1, 4, 16), 4)
    if reps:
        s.reps = s.io_reps = reps
    if secs:
        s.secs = secs
    return s


class Context:
    def __init__(self, settings_, ws):
        self.s, self.ws = settings_, ws
        self.commands = {}          # label -> shell command, first seen
        self.group = None           # the group of metrics being measured
        self.by_group = {}          # group -> the commands it recorded first

    def record(self, label, argv):
        if label not in self.commands:
            cmd = shlex.join(argv).replace(self.ws.dir, '$WORK')
            if self.ws.disk_dir:
                cmd = cmd.replace(self.ws.disk_dir, '$IMGDIR')
            self.commands[label] = cmd.replace(ROOT + '/', '')
            self.by_group.setdefault(self.group, {})[label] = self.commands[label]

    @staticmethod
    def collect(n, setups, measure):
        """{setup: [measure(setup) for each of n rounds]}. The setups run
        in a different order each round, each VM after a pause: a VM that
        just ended is still being torn down (memory freed, KVM's VM
        destroyed) and whichever VM ran next would pay for it; rotating
        spreads the rest of the host's noise evenly."""
        setups, out = list(setups), {}
        for i in range(n):
            k = i % len(setups)
            for s in setups[k:] + setups[:k]:
                time.sleep(SETTLE_S)
                out.setdefault(s, []).append(measure(s))
        return out

    @staticmethod
    def say(msg):
        print(f'bench: {msg}', file=sys.stderr, flush=True)
