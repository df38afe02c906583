"""docs/benchmarks.json: the figures docs/benchmarks.md shows, group by
group of metrics, each with when and how it was measured, the host it
ran on and the command lines it booted. A run that writes the docs
replaces the groups it measured and keeps the others: every group in
three rounds takes hours, more than one sitting on a machine with
/dev/kvm may have, so the groups can be measured in separate runs and
still make one table, each saying when it was taken."""
import dataclasses
import json
import os

from .results import Row


def load(path):
    """{group: {'how', 'host', 'caption', 'commands', 'rows': [Row]}}, {}
    without a file."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        groups = json.load(f)['groups']
    return {name: dict(g, rows=[Row(**r) for r in g['rows']]) for name, g in groups.items()}


def record(groups, name, rows, how, host, caption, commands):
    """Puts one group's new figures in place of its old ones."""
    groups[name] = {'how': how, 'host': host, 'caption': caption, 'commands': commands,
                    'rows': rows}


def save(path, groups, order):
    """Writes groups, in the order of the names in order."""
    out = {name: dict(groups[name], rows=[dataclasses.asdict(r) for r in groups[name]['rows']])
           for name in order if name in groups}
    with open(path, 'w') as f:
        json.dump({'groups': out}, f, indent=1, ensure_ascii=False)
        f.write('\n')


def rows(groups, order):
    """Every group's rows, groups in the order of the names in order."""
    return [r for name in order if name in groups for r in groups[name]['rows']]
