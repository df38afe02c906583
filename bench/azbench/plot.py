"""docs/benchmarks.png: how many times better azote is on each row
(paired ratio for higher-is-better metrics, its inverse otherwise), log
scale."""
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402 (after the backend choice)


def plot(rows, path, title):
    rows = [r for r in rows if r.advantage()]
    if not rows:
        return
    labels = [f'{r.metric}\nvs QEMU {r.peer}' for r in rows][::-1]
    adv = [r.advantage() for r in rows][::-1]
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(rows) + 1.2))
    ax.barh(range(len(rows)), adv, color=['#2e7d32' if a >= 1 else '#c62828' for a in adv])
    ax.axvline(1, color='black', linewidth=0.8)
    ax.set_xscale('log')
    ax.set_yticks(range(len(rows)), labels, fontsize=6.5)
    for i, a in enumerate(adv):
        ax.text(a, i, f' {a:.2f}×', va='center', fontsize=6.5)
    ax.set_xlabel('azote advantage, paired (× better than QEMU; < 1: QEMU better), log scale')
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
