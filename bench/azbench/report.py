"""docs/benchmarks.md: bench/run rewrites the part between its markers
(results, machine, commands, samples) and leaves the rest, the analysis
written by people, as it is."""
import os

from .results import samples_table, table

BEGIN = '<!-- bench/run writes from here to the end marker: edit outside it -->'
END = '<!-- bench/run: end -->'
SKELETON = f"""# Benchmarks: azote against QEMU

{BEGIN}
{END}
"""


def generated(rows, ctx, how, machine, plot_name):
    cmds = '\n'.join(f'# {label}\n{cmd}\n' for label, cmd in ctx.commands.items())
    s = ctx.s
    return f"""{BEGIN}

{how}. Medians of {s.reps} runs (start, boot, linux) or {s.io_reps} (memory,
block, fio, network, start rate), {s.secs} s per block and network phase and
per fio job. **ratio =
azote ÷ QEMU** of those medians; **paired** = the median of the ratios of
the runs taken in the same round (the setups take turns), which a change
in the host's load cannot tilt: where the two differ, trust paired. ↑:
higher is better, ↓: lower is better, =: the nearer the limit the row
names the better (a rate limit held). The QEMU setup column says what
azote is compared with on that row.

{table(rows)}

![How many times better azote is on each row, paired ratios (log scale)]({plot_name})

### Machine

{machine}

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
