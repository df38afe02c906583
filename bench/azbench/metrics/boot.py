"""The hello probe from exec: to the first byte on the serial console
(the VMM's own start-up and boot overhead), to the VM's exit, and the CPU
time the whole VM took (user+sys of the VMM and all it started)."""
from ..results import Row
from ..vm import Vm, command

TITLE = 'exec -> first console byte, exec -> exit (hello)'
PEERS = {'qemu-microvm': 'microvm', 'qemu-q35': 'q35 + qboot'}


def plan(ctx):
    rows = []
    for vmm, peer in PEERS.items():
        rows += [Row(f'first/{vmm}', 'boot', 'exec → first console byte (hello)', 'ms', 'lower', peer),
                 Row(f'exit/{vmm}', 'boot', 'exec → VM exit (hello)', 'ms', 'lower', peer),
                 Row(f'cpu/{vmm}', 'boot', 'CPU per hello VM, exec to exit', 'ms', 'lower', peer)]
    return rows


def hello(ctx, vmm):
    """(ms to first byte, ms to exit, CPU ms) of one hello VM."""
    argv = command(vmm, ['probe.test=hello'])
    ctx.record(f'hello: {vmm}', argv)
    with Vm(argv, ctx.ws.log('boot')) as vm:
        vm.result(30)
        vm.wait_exit(30)
    return ((vm.t_first - vm.t_exec) * 1e3, (vm.t_exit - vm.t_exec) * 1e3,
            vm.cpu_s() * 1e3)


def measure(ctx, rows):
    by_key = {r.key: r for r in rows}
    got = ctx.collect(ctx.s.reps, ['azote', *PEERS], lambda vmm: hello(ctx, vmm))
    for vmm in PEERS:
        for i, what in enumerate(('first', 'exit', 'cpu')):
            by_key[f'{what}/{vmm}'].azote += [x[i] for x in got['azote']]
            by_key[f'{what}/{vmm}'].qemu += [x[i] for x in got[vmm]]
