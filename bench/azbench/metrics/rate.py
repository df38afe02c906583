"""Start rate: microVMs started and run to their exit per second, N at
once (as soon as one exits the next starts), and the CPU each took
(user+sys of the VMM and everything it started). Two guests: the probe's
`exit` test, which ends before it calibrates its clock or touches a
device, so that the rate is the VMM's own (start, build, tear down); and
`hello`, whose ~70 ms of guest CPU (a 25 ms TSC calibration, user-mode
loops) bounds the rate as a real short-lived guest would."""
import select
import time

from ..results import Row
from ..vm import BenchError, Vm, command

TITLE = 'start rate'
PEER = 'microvm'
GUESTS = (('exit', 'exit-at-once'), ('hello', 'hello'))
# With 16 VMs on 2 CPUs a vCPU can lose its CPU for tens of ms inside the
# probe's 25 ms TSC calibration against the PIT, which then fails (a probe
# bug): such a VM still started, ran and exited, and is counted, and said.
CALIB_FAIL = 'PROBE hello FAIL reason=pit_calibration_failed'


def plan(ctx):
    n = max(ctx.s.rate_ns)
    rows = []
    for test, what in GUESTS:
        rows += [Row(f'{test}{k}', 'rate', f'{what} VMs started and exited per second, '
                     f'{k} at once', 'VMs/s', 'higher', PEER) for k in ctx.s.rate_ns]
        rows.append(Row(f'{test}-cpu', 'rate', f'CPU per {what} VM, {n} at once', 'ms',
                        'lower', PEER))
    return rows


def trial(ctx, vmm, n, test):
    """(VMs per second, CPU ms per VM, VMs whose probe failed its clock
    calibration) for rounds * N VMs of the probe's TEST, N at a time."""
    argv = command(vmm, [f'probe.test={test}'])
    ctx.record(f'rate: {vmm}, {test}', argv)
    total = ctx.s.rate_rounds * n
    running, started, cpu = {}, 0, 0.0
    t0 = time.monotonic()
    deadline = t0 + 30 + total * 5
    try:
        while started < total or running:
            while started < total and len(running) < n:
                vm = Vm(argv, ctx.ws.log('rate'), console_file=ctx.ws.path(f'rate{started}.out'))
                running[vm.pidfd] = vm
                started += 1
            ready = select.select(list(running), [], [], max(deadline - time.monotonic(), 0))[0]
            if not ready:
                raise BenchError(f'{vmm}: start-rate trial timed out (log: {vm.log})')
            for fd in ready:
                vm = running.pop(fd)
                vm.wait_exit(5)
                cpu += vm.cpu_s()
        elapsed = time.monotonic() - t0
    finally:
        for vm in running.values():
            vm.kill()
    return total / elapsed, cpu / total * 1e3, _check_consoles(ctx, vmm, n, test, total)


def _check_consoles(ctx, vmm, n, test, total):
    """How many of the trial's VMs failed only their clock calibration;
    any other failure fails the trial."""
    calib = 0
    for i in range(total):
        with open(ctx.ws.path(f'rate{i}.out'), errors='replace') as f:
            out = f.read()
        if f'PROBE {test} PASS' in out:
            continue
        if CALIB_FAIL in out:       # the probe's fault, and the VM did run
            calib += 1
            continue
        keep = ctx.ws.log(f'rate-fail-{vmm}-{test}-{n}-{i}')
        with open(keep, 'w') as f:
            f.write(out)
        tail = out.strip().splitlines()[-1:] or ['(no output)']
        raise BenchError(f'{vmm}: {test} VM {i} of {total}, {n} at once, did not pass: '
                         f'{tail[0][:120]} (console: {keep})')
    return calib


def measure(ctx, rows):
    by_key = {r.key: r for r in rows}
    vmms = {'azote': 'azote', 'qemu': 'qemu-microvm'}
    for test, _ in GUESTS:
        for n in ctx.s.rate_ns:
            got = ctx.collect(ctx.s.io_reps, vmms, lambda side: trial(ctx, vmms[side], n, test))
            row = by_key[f'{test}{n}']
            for side, samples in got.items():
                getattr(row, side).extend(r for r, _, _ in samples)
                if n == max(ctx.s.rate_ns):
                    getattr(by_key[f'{test}-cpu'], side).extend(c for _, c, _ in samples)
            calib = {side: sum(k for _, _, k in samples) for side, samples in got.items()}
            if any(calib.values()):
                row.note = (f"VMs whose probe failed its clock calibration (counted): "
                            f"azote {calib['azote']}, QEMU {calib['qemu']} of "
                            f"{ctx.s.io_reps * ctx.s.rate_rounds * n} each")
