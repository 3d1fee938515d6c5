"""The report's figures. They are matplotlib Figure objects made without pyplot, so drawing
them needs no display (as on a cluster node) and leaves a notebook's backend and settings
alone; Figure.savefig writes them, and a notebook shows them as they are."""

import math

import matplotlib
import numpy as np
from matplotlib.figure import Figure


def plain(text):
    """Text shown as written: "$8.84/h" is dollars, not the start of a formula."""
    return text.replace("$", r"\$")


QPS_PER_DOLLAR = plain("capacity per dollar (QPS per $/hour)")
COLOURS = {"config": "#7f8fa6", "meets": "#2e9e44", "near": "#f39c12", "front": "#e67e22", "slo": "#c0392b",
           "best": "#f1c40f"}


def config_label(row, short=False):
    """A deployment in words: a100 TP1 PP1 x4 sarathi_cs512 bsz64. A disaggregated one's scheduler
    label already gives both pools (h100 sarathi_cs512 P2:D1 tp4/tp8 bsz128)."""
    if row.get("shape") == "disaggregated":
        text = f"{row['device']} {row['scheduler_label']}"
    else:
        text = f"{row['device']} TP{row['tp']} PP{row['pp']} x{row['replicas']} {row['scheduler_label']}"
    return text if short else f"{text} bsz{row['batch_size_cap']}"


def _log_if_wide(values, setter):
    finite = [v for v in values if math.isfinite(v) and v > 0]
    if finite and max(finite) / min(finite) > 30:
        setter("log")


def _pareto_panel(ax, group, metric, slo, name, tolerance):
    configs = group.configs
    x, y = configs[metric].to_numpy(float), configs["qps_per_dollar"].to_numpy(float)
    near = (configs[metric + "_front"] == "near").to_numpy()
    meets = configs["meets_slos"].to_numpy()
    others = ~near & ~meets
    ax.axvspan(0, slo, color=COLOURS["meets"], alpha=0.08, lw=0)
    ax.scatter(x[others], y[others], s=28, color=COLOURS["config"], alpha=0.75, label="config")
    ax.scatter(x[meets], y[meets], s=34, color=COLOURS["meets"], alpha=0.9, label="meets both SLOs")
    ax.scatter(x[near], y[near], s=70, facecolors="none", edgecolors=COLOURS["near"], linewidths=1.5,
               label=f"near the front (within {100 * tolerance:g}%)")
    if "shape" in configs.columns:
        # Co-located and disaggregated deployments share one front: tell them apart.
        split = (configs["shape"] == "disaggregated").to_numpy()
        if split.any():
            ax.scatter(x[split], y[split], marker="^", s=90, facecolors="none", edgecolors="black", linewidths=1.0,
                       label="disaggregated (prefill and decode pools)")
    front = configs.set_index("config_id").loc[group.ttft_front if metric == "ttft_p90" else group.tbt_front]
    ax.plot(front[metric], front["qps_per_dollar"], "-o", color=COLOURS["front"], ms=5, lw=1.8, label="Pareto front")
    ax.axvline(slo, color=COLOURS["slo"], ls="--", lw=1.4, label=f"SLO {slo:g} s")
    best = group.best_row
    if best is not None:
        ax.scatter([best[metric]], [best["qps_per_dollar"]], marker="*", s=420, color=COLOURS["best"],
                   edgecolors="black", linewidths=0.8, zorder=5, label="best under the SLOs")
    _log_if_wide(x, ax.set_xscale)
    ax.set_xlabel(f"{name} at capacity (s)")
    ax.set_ylabel(QPS_PER_DOLLAR)
    ax.set_title(f"QPS per dollar against {name}")
    ax.grid(alpha=0.3)


def pareto_figure(group, slos, tolerance, title):
    """Vidur's figure: QPS per dollar against TTFT p90 and against TBT p99 with the fronts, the
    SLO lines and the chosen config, then TTFT against TBT coloured by QPS per dollar."""
    fig = Figure(figsize=(19, 5.6), layout="constrained")
    axes = fig.subplots(1, 3)
    _pareto_panel(axes[0], group, "ttft_p90", slos.ttft_p90_s, "TTFT p90", tolerance)
    _pareto_panel(axes[1], group, "tbt_p99", slos.tbt_p99_s, "TBT p99", tolerance)
    axes[0].legend(loc="best", fontsize=9, framealpha=0.9)

    ax, configs = axes[2], group.configs
    shown = configs[np.isfinite(configs["ttft_p90"]) & np.isfinite(configs["tbt_p99"])]
    points = ax.scatter(shown["ttft_p90"], shown["tbt_p99"], c=shown["qps_per_dollar"], cmap="viridis", s=40)
    fig.colorbar(points, ax=ax).set_label(QPS_PER_DOLLAR)
    ax.axvline(slos.ttft_p90_s, color=COLOURS["slo"], ls="--", lw=1.4)
    ax.axhline(slos.tbt_p99_s, color=COLOURS["slo"], ls="--", lw=1.4, label="SLOs")
    ax.fill_between([0, slos.ttft_p90_s], 0, slos.tbt_p99_s, color=COLOURS["meets"], alpha=0.12,
                    label="meets both SLOs")
    best = group.best_row
    if best is not None:
        ax.scatter([best["ttft_p90"]], [best["tbt_p99"]], marker="*", s=420, color=COLOURS["best"],
                   edgecolors="black", linewidths=0.8, zorder=5, label="best under the SLOs")
    _log_if_wide(shown["ttft_p90"], ax.set_xscale)
    _log_if_wide(shown["tbt_p99"], ax.set_yscale)
    ax.set_xlabel("TTFT p90 at capacity (s)")
    ax.set_ylabel("TBT p99 at capacity (s)")
    ax.set_title("TTFT against TBT")
    ax.legend(loc="best", fontsize=9, framealpha=0.9)
    ax.grid(alpha=0.3)

    if best is not None:
        chosen = (f"best under the SLOs: {config_label(best)}: {best['capacity_qps']:.2f} QPS, "
                  f"${best['dollars_per_hour']:.2f}/h, {best['qps_per_dollar']:.3f} QPS per $/h")
    else:
        chosen = "no config meets both SLOs"
    fig.suptitle(plain(f"{title}\n{chosen}"), fontsize=13)
    return fig


def best_cost_figure(rows):
    """Cost of the best config per model and trace: $/hour of the deployment and $ per million
    requests served at capacity, one bar per (model, trace). `rows`: dicts with model, trace and
    best (the best config's row, or None when no config meets the SLOs)."""
    rows = sorted(rows, key=lambda r: (r["model"], r["trace"]))
    fig = Figure(figsize=(13, max(3.2, 1.6 + 0.55 * len(rows))), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    colours = matplotlib.colormaps["tab10"]
    models = sorted({r["model"] for r in rows})
    panels = [(lambda b: b["dollars_per_hour"], "deployment cost ($/hour)", "hourly cost",
               lambda b, v: f"{config_label(b)}, {b['capacity_qps']:.1f} QPS"),
              (lambda b: 1e6 * b["dollars_per_hour"] / (3600 * b["capacity_qps"]),
               "cost per million requests at capacity ($)", "cost per million requests", lambda b, v: f"${v:.2f}")]
    for ax, (value, label, title, note) in zip(axes, panels):
        widest = max([value(r["best"]) for r in rows if r["best"] is not None], default=1.0)
        for y, r in enumerate(rows):
            if r["best"] is None:
                ax.text(0, y, "  no config meets the SLOs", va="center", fontsize=9, style="italic")
                continue
            v = value(r["best"])
            ax.barh(y, v, 0.6, color=colours(models.index(r["model"]) % 10))
            ax.text(v, y, plain("  " + note(r["best"], v)), va="center", fontsize=9)
        ax.set_xlim(0, widest * (2.4 if ax is axes[0] else 1.35))
        ax.set_xlabel(plain(label))
        ax.set_title(f"Best config under the SLOs: {title}")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(rows)), [f"{r['model']} on {r['trace']}" for r in rows])
    axes[0].invert_yaxis()
    return fig


def capacity_figure(configs, title):
    """Capacity against TP x PP for each scheduler, one panel per cluster (GPU type and count):
    the highest capacity over the batch sizes swept."""
    clusters = sorted({(d, int(g)) for d, g in zip(configs["device"], configs["cluster_gpus"])})
    fig = Figure(figsize=(max(7, 6.5 * len(clusters)), 5.2), layout="constrained")
    axes = fig.subplots(1, len(clusters), squeeze=False)
    schedulers = sorted(configs["scheduler_label"].unique())
    colours = matplotlib.colormaps["tab10"]
    for ax, (device, gpus) in zip(axes[0], clusters):
        part = configs[(configs["device"] == device) & (configs["cluster_gpus"] == gpus)]
        layouts = sorted({(int(t), int(p)) for t, p in zip(part["tp"], part["pp"])})
        width = 0.8 / max(1, len(schedulers))
        for s, scheduler in enumerate(schedulers):
            heights = []
            for tp, pp in layouts:
                cell = part[(part["tp"] == tp) & (part["pp"] == pp) & (part["scheduler_label"] == scheduler)]
                heights.append(cell["capacity_qps"].max() if len(cell) else np.nan)
            x = np.arange(len(layouts)) + (s - (len(schedulers) - 1) / 2) * width
            ax.bar(x, heights, width * 0.92, color=colours(s), label=scheduler)
        ax.set_xticks(range(len(layouts)), [f"TP{t} PP{p}" for t, p in layouts])
        ax.set_xlabel("tensor x pipeline parallelism")
        ax.set_ylabel("capacity (QPS, best batch size)")
        ax.set_title(f"{device} x {gpus} GPUs")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(title="scheduler", fontsize=9)
    fig.suptitle(title, fontsize=13)
    return fig
