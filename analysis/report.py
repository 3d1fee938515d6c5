"""`python3 -m analysis.report RESULTS [--out DIR]`: the report of a sweep file, or of a search's
output directory (or its capacity.csv), as PNG figures and a Markdown summary (summary.md) in DIR
(default: <results without .h5>-report next to the file, or report/ in a search's directory).

Per model and trace: the Pareto curves of QPS per dollar against TTFT p90 and TBT p99 with the
SLO lines and the chosen config (pareto_<model>_<trace>.png), capacity against TP x PP and
scheduler (capacity_<model>_<trace>.png); across them, the cost of the best config
(best_config_cost.png). Works on a file a sweep is still writing: the report then covers the
configs committed so far and says so."""

import argparse
import os
import re
import sys

from . import plots
from .pareto import SloLimits, analyse, listed_configs
from .results import load, search_capacity_csv


def file_stem(*parts):
    return "_".join(re.sub(r"[^A-Za-z0-9._-]+", "-", str(p)) for p in parts)


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def number(value, digits):
    return "" if value != value else f"{value:.{digits}f}"  # NaN: empty cell


def save(fig, directory, name):
    path = os.path.join(directory, name)
    fig.savefig(path, dpi=110)
    return name


def sweep_line(sweep):
    p = sweep.progress
    if sweep.source == "search":
        return f"search output: {p['results_rows']} configs, {p['probes_rows']} probes"
    state = p["state_name"]
    if state == "running":
        state = "still running (or interrupted): the report covers the configs committed so far"
    line = f"{p['grid_done']} of {p['grid_configs']} configs of the grid done; sweep {state}"
    return f"{line}; {p['results_rows']} result rows, {p['probes_rows']} probes"


def configs_table(listed):
    """The Markdown table of the listed configs. When any of them looked prompts up in a prefix
    cache (prefix_lookups > 0), it adds the share of the looked-up prompt tokens found cached at
    capacity; results of before the prefix-cache columns, and runs without prefix caching, have
    no such column."""
    with_prefix = "prefix_lookups" in listed.columns and bool((listed["prefix_lookups"] > 0).any())
    header = ["", "config", "QPS", "$/h", "QPS per $/h", "TTFT p90 (s)", "TBT p99 (s)"]
    header += ["prefix hit (tokens)"] if with_prefix else []
    header += ["meets SLOs", "TTFT front", "TBT front", "config id"]
    rows = []
    for _, r in listed.iterrows():
        row = ["best" if r["best"] else "", plots.config_label(r), number(r["capacity_qps"], 3),
               number(r["dollars_per_hour"], 2), number(r["qps_per_dollar"], 4), number(r["ttft_p90"], 3),
               number(r["tbt_p99"], 4)]
        if with_prefix:
            row.append(f"{number(100 * r['prefix_hit_rate_tokens'], 1)}%" if r["prefix_lookups"] > 0 else "")
        row += ["yes" if r["meets_slos"] else "no", r["ttft_p90_front"], r["tbt_p99_front"], r["config_id"]]
        rows.append(row)
    return markdown_table(header, rows)


def write_report(path, out_dir, slos=SloLimits(), tolerance=0.1, include_caveats=False):
    """Writes the figures and summary.md into out_dir; returns the file names written."""
    sweep = load(path)
    os.makedirs(out_dir, exist_ok=True)
    groups = analyse(sweep.results, slos, tolerance, include_caveats=include_caveats)
    written, sections, best_rows, cost_rows = [], [], [], []
    for group in groups:
        model, trace = group.key["model"], group.key["trace"]
        # Two workloads under one model and trace (the grid changed between runs) get apart.
        if group.workloads_under_key > 1:
            trace = f"{trace} (workload {group.workload_id})"
        title = f"{model} on {trace}"
        best = group.best_row
        cost_rows.append({"model": model, "trace": trace, "best": best})
        if best is not None:
            per_million = 1e6 * best["dollars_per_hour"] / (3600 * best["capacity_qps"])
            best_rows.append([model, trace, plots.config_label(best), number(best["capacity_qps"], 3),
                              number(best["dollars_per_hour"], 2), number(best["qps_per_dollar"], 4),
                              number(best["ttft_p90"], 3), number(best["tbt_p99"], 4), number(per_million, 2)])
        else:
            best_rows.append([model, trace, "none meets the SLOs", "", "", "", "", "", ""])
        section = [f"## {title}", "",
                   f"{len(group.configs)} configs with a capacity ({group.not_ok} skipped, failed or timed out"
                   + (f"; {group.with_caveat} with a capacity caveat left out" if group.with_caveat else "")
                   + f"), {group.meeting_slos} {'meets' if group.meeting_slos == 1 else 'meet'} the SLOs.", ""]
        if group.prices:
            section += ["Priced per GPU-hour: " + "; ".join(
                f"{device} ${price:g} ({source or 'source not recorded'})" for device, price, source in group.prices)
                + ".", ""]
        if group.workloads_under_key > 1:
            section += [f"{group.workloads_under_key} workloads share this model and trace (trace content, request "
                        "count or SLOs differ: the grid changed between runs?); each is analysed apart.", ""]
        if len(group.configs):
            pareto_png = save(plots.pareto_figure(group, slos, tolerance, title), out_dir,
                              f"pareto_{file_stem(model, trace)}.png")
            capacity_png = save(plots.capacity_figure(group.configs, f"{title}: capacity by parallelism and scheduler"),
                                out_dir, f"capacity_{file_stem(model, trace)}.png")
            written += [pareto_png, capacity_png]
            section += [f"![Pareto curves of {title}]({pareto_png})", "",
                        f"Configs on or within {100 * tolerance:g}% of a front (best first):", ""]
            section.append(configs_table(listed_configs(group)))
            section += ["", f"![Capacity of {title}]({capacity_png})", ""]
        sections.append("\n".join(section))
    if groups:
        written.append(save(plots.best_cost_figure(cost_rows), out_dir, "best_config_cost.png"))

    a = sweep.attributes
    if sweep.source == "search":
        origin = [f"# Search report: {os.path.basename(os.path.normpath(path))}", "",
                  f"- grid: `{a.get('grid_file', '')}`, engine {a.get('engine_version', '')}, "
                  f"predictor {a.get('predictor', '')}, seed {a.get('seed', '')}"]
    else:
        origin = [f"# Sweep report: {os.path.basename(path)}", "",
                  f"- grid: `{a.get('grid_file', '')}`, engine {a.get('engine_version', '')} "
                  f"(commit {a.get('git_commit', '')}), {len(sweep.runs)} run(s), latest on {a.get('host', '')} "
                  f"with {a.get('ranks', '')} rank(s)"]
    lines = origin + [
             f"- {sweep_line(sweep)}",
             f"- SLOs: TTFT p90 <= {slos.ttft_p90_s:g} s and TBT p99 <= {slos.tbt_p99_s:g} s at capacity "
             f"(capacity: the highest QPS whose scheduling delay meets the sweep's own SLO); "
             f"fronts: QPS per dollar against each; near: within {100 * tolerance:g}% of a front on both axes",
             "", "## Best config under the SLOs", ""]
    if groups:
        lines.append(markdown_table(["model", "trace", "config", "QPS", "$/h", "QPS per $/h", "TTFT p90 (s)",
                                    "TBT p99 (s)", "$ per 1M requests"], best_rows))
        lines += ["", "![Cost of the best config](best_config_cost.png)", ""]
    else:
        lines += ["No results yet.", ""]
    summary = "\n".join(lines + sections) + "\n"
    with open(os.path.join(out_dir, "summary.md"), "w", encoding="utf-8") as f:
        f.write(summary)
    return written + ["summary.md"]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m analysis.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="a sweep's HDF5 results file, or a search's output directory or its capacity.csv")
    parser.add_argument("--out", help="output directory (default: <results without .h5>-report, or report/ in a "
                                      "search's output directory)")
    parser.add_argument("--slo-ttft-p90", type=float, default=2.0, help="seconds (default 2.0)")
    parser.add_argument("--slo-tbt-p99", type=float, default=0.2, help="seconds (default 0.2)")
    parser.add_argument("--tolerance", type=float, default=0.1, help="near a front: within this share (default 0.1)")
    parser.add_argument("--include-caveats", action="store_true",
                        help="let configs whose capacity has a caveat (capacity_caveat) take part")
    args = parser.parse_args(argv)
    if not args.slo_ttft_p90 > 0 or not args.slo_tbt_p99 > 0:
        parser.error("SLOs must be positive numbers of seconds")
    if not 0 <= args.tolerance < 1:
        parser.error("--tolerance must be at least 0 and below 1")
    search_csv = search_capacity_csv(args.results)
    if args.out:
        out_dir = args.out
    elif search_csv is not None:
        out_dir = os.path.join(os.path.dirname(search_csv), "report")
    else:
        out_dir = re.sub(r"\.h5$", "", args.results) + "-report"
    try:
        written = write_report(args.results, out_dir, SloLimits(args.slo_ttft_p90, args.slo_tbt_p99), args.tolerance,
                               args.include_caveats)
    except (FileNotFoundError, ValueError) as error:
        print(f"analysis.report: error: {error}", file=sys.stderr)
        return 1
    for name in written:
        print(os.path.join(out_dir, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
