"""docs/benchmarks.md: bench/run rewrites the part between its markers
(results, machine, commands, samples) and leaves the rest, the analysis
written by people, as it is."""
import os

from . import store
from .results import samples_table, table

BEGIN = '<!-- bench/run writes from here to the end marker: edit outside it -->'
END = '<!-- bench/run: end -->'
SKELETON = f"""# Benchmarks: azote against QEMU

{BEGIN}
{END}
"""


def _by_host(groups, names):
    """The Machine section: one host, or each host with its groups."""
    hosts = {}
    for n in names:
        hosts.setdefault(groups[n]['host'], []).append(n)
    if len(hosts) == 1:
        return next(iter(hosts))
    return '\n\n'.join(f'For {", ".join(ns)}:\n\n{host}' for host, ns in hosts.items())


def generated(groups, order, titles, plot_name):
    """The generated part of docs/benchmarks.md from the stored groups
    (store.py), in the order of the names in order; titles: each group's
    title."""
    names = [n for n in order if n in groups]
    rows = store.rows(groups, order)
    measured = '\n'.join(f'- `{n}` ({titles[n]}): {groups[n]["how"]}' for n in names)
    commands = {}
    for n in names:
        for label, cmd in groups[n]['commands'].items():
            commands.setdefault(label, cmd)
    cmds = '\n'.join(f'# {label}\n{cmd}\n' for label, cmd in commands.items())
    return f"""{BEGIN}

Each group of metrics as its last run measured it (groups measured in
separate runs keep their own date):

{measured}

Each figure is the median of that run's samples of a setup. **ratio =
azote ÷ QEMU** of those medians; **paired** = the median of the ratios of
the runs taken in the same round (the setups take turns), which a change
in the host's load cannot tilt: where the two differ, trust paired. The
rounds' spread is each round's paired ratio as an advantage (× better
for azote); a row whose rounds fall on both sides of 1 has "no clear
winner". ↑: higher is better, ↓: lower is better, =: the nearer the
limit the row names the better (a rate limit held). The QEMU setup
column says what azote is compared with on that row.

{table(rows)}

![How many times better azote is on each row, paired ratios (log scale)]({plot_name})

### Machine

{_by_host(groups, names)}

### Commands

Each VM was started as below (`$WORK`: the run's scratch directory in
/dev/shm, for sockets and consoles; `$IMGDIR`: the disk image's, under
build/bench/; paths relative to the repository).
These are the command lines `tests/lib/probe-run` boots
(`--print-command`; the Linux guest's, `tests/linux-guest/run.sh
--print-command`); bench/ adds `-name azbench,debug-threads=on` to QEMU
so that its vCPU threads can be told apart. API readiness: azote is asked
`GET /` on its socket (what `curl --unix-socket $WORK/azote-api.sock
http://localhost/` does), QEMU gets the QMP greeting and answers
`{{"execute": "qmp_capabilities"}}`.

```
{cmds}```

### All samples

{samples_table(rows)}

{END}"""


def write(path, block):
    text = open(path).read() if os.path.exists(path) else SKELETON
    if BEGIN not in text or END not in text:
        text = SKELETON + '\n' + text
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    with open(path, 'w') as f:
        f.write(head + block + tail)
