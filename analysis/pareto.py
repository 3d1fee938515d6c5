"""The best config under SLOs and the Pareto fronts of QPS per dollar against latency.

These are the rules of `infersweep pareto` (src/analysis/pareto_front.cpp), stated again for
pandas so that both answer config for config the same on the same file (a test checks it):

- a point is (QPS per dollar, latency); it takes part only when both are finite;
- a point is on the front when no other point is at least as good on both axes and better on
  one; identical points are all on the front; the front is listed by increasing latency;
- a config is near the front when, for some front point f, its QPS per dollar is at least
  (1 - tolerance) x f's and its latency at most (1 + tolerance) x f's;
- the best config meets both SLOs (TTFT p90 and TBT p99 at capacity, limits inclusive, a
  missing metric never meets one) and has the most QPS per dollar; ties go to more capacity,
  then fewer GPUs, then the smaller config id;
- only configs with status "ok" take part, and of those only the ones whose capacity_caveat is
  "none" (unless include_caveats); within a group configs are taken in config-id order, so
  nothing depends on the order in which ranks wrote the rows;
- rows of different workloads (the workload_id column) never share a group, even under one key
  of `by`: a file whose grid changed between runs holds both."""

import dataclasses
import math

import pandas as pd

REQUIRED_COLUMNS = ["config_id", "status", "qps_per_dollar", "capacity_qps", "gpus", "ttft_p90", "tbt_p99"]


@dataclasses.dataclass(frozen=True)
class SloLimits:
    ttft_p90_s: float = 2.0
    tbt_p99_s: float = 0.2


def _finite(x):
    return x is not None and math.isfinite(x)


def pareto_front(qps_per_dollar, latency):
    """Positions of the non-dominated points, by increasing latency (then position)."""
    q, m = [float(v) for v in qps_per_dollar], [float(v) for v in latency]
    order = sorted((i for i in range(len(q)) if _finite(q[i]) and _finite(m[i])), key=lambda i: (m[i], -q[i], i))
    front, best_faster = [], None
    k = 0
    while k < len(order):
        end = k
        while end < len(order) and m[order[end]] == m[order[k]]:
            end += 1
        group_best = q[order[k]]
        if best_faster is None or group_best > best_faster:
            front += [i for i in order[k:end] if q[i] == group_best]
            best_faster = group_best
        k = end
    return front


def is_near(q, m, front_q, front_m, tolerance):
    return q >= front_q * (1.0 - tolerance) and m <= front_m * (1.0 + tolerance)


def near_front(qps_per_dollar, latency, front, tolerance):
    """Positions, in order, of the comparable points near a point of `front` (itself included)."""
    q, m = [float(v) for v in qps_per_dollar], [float(v) for v in latency]
    return [i for i in range(len(q)) if _finite(q[i]) and _finite(m[i])
            and any(is_near(q[i], m[i], q[f], m[f], tolerance) for f in front)]


def meets_slos(qps_per_dollar, ttft_p90, tbt_p99, slos):
    # NaN compares false, so a missing metric never meets its SLO.
    return _finite(qps_per_dollar) and ttft_p90 <= slos.ttft_p90_s and tbt_p99 <= slos.tbt_p99_s


def rank_key(row):
    """Sorts configs best first: QPS per dollar, capacity, fewer GPUs, config id."""
    return (-row["qps_per_dollar"], -row["capacity_qps"], row["gpus"], row["config_id"])


def best_under_slos(configs, slos=SloLimits()):
    """Label of the best row of `configs` (a DataFrame) under the SLOs, or None."""
    meeting = [(rank_key(row), label) for label, row in configs.iterrows()
               if meets_slos(row["qps_per_dollar"], row["ttft_p90"], row["tbt_p99"], slos)]
    return min(meeting)[1] if meeting else None


@dataclasses.dataclass
class ParetoGroup:
    key: dict                 # grouping column -> value
    rows: int                 # configs of the group, any status
    not_ok: int               # skipped, failed or timed out
    configs: pd.DataFrame     # the ok configs by config id, with columns meets_slos, best,
                              # ttft_p90_front and tbt_p99_front ("on", "near" or "")
    best: object              # config id of the best config under the SLOs, or None
    ttft_front: list          # config ids on the TTFT p90 front, by increasing TTFT p90
    tbt_front: list           # config ids on the TBT p99 front, by increasing TBT p99
    with_caveat: int = 0      # ok, but left out for a capacity caveat
    workload_id: str = ""     # of every row of the group ("" when the results have no such column)
    workloads_under_key: int = 1  # groups sharing this key, one per workload

    @property
    def meeting_slos(self):
        return int(self.configs["meets_slos"].sum())

    def near(self, metric):
        """Config ids on or near the front of `metric` ("ttft_p90" or "tbt_p99"), by config id."""
        return list(self.configs.loc[self.configs[metric + "_front"] != "", "config_id"])

    @property
    def prices(self):
        """(device, price per GPU-hour, price source) of the group's configs, each once, sorted: the
        prices their QPS per dollar was computed from, as the rows recorded them ("" for a source
        a file written before sources were recorded lacks). Empty for tables without prices."""
        if not {"device", "price_per_gpu_hour"} <= set(self.configs.columns):
            return []
        sources = self.configs["price_source"] if "price_source" in self.configs.columns else [""] * len(self.configs)
        return sorted({(d, float(p), s) for d, p, s in zip(self.configs["device"], self.configs["price_per_gpu_hour"],
                                                           sources)})

    @property
    def best_row(self):
        return None if self.best is None else self.configs.loc[self.configs["config_id"] == self.best].iloc[0]


def _roles(configs, metric, tolerance):
    q, m = configs["qps_per_dollar"].tolist(), configs[metric].tolist()
    front = pareto_front(q, m)
    roles = [""] * len(configs)
    for i in near_front(q, m, front, tolerance):
        roles[i] = "near"
    for i in front:
        roles[i] = "on"
    return roles, [configs["config_id"].iloc[i] for i in front]


def _analyse_group(key, rows, slos, tolerance, include_caveats):
    ok = rows[rows["status"] == "ok"]
    with_caveat = 0
    if "capacity_caveat" in rows.columns and not include_caveats:
        with_caveat = int((ok["capacity_caveat"] != "none").sum())
        ok = ok[ok["capacity_caveat"] == "none"]
    ok = ok.sort_values("config_id", kind="stable").reset_index(drop=True)
    ok["meets_slos"] = [meets_slos(q, t, b, slos) for q, t, b in zip(ok["qps_per_dollar"], ok["ttft_p90"], ok["tbt_p99"])]
    best_label = best_under_slos(ok, slos)
    ok["best"] = [label == best_label for label in ok.index]
    ok["ttft_p90_front"], ttft_front = _roles(ok, "ttft_p90", tolerance)
    ok["tbt_p99_front"], tbt_front = _roles(ok, "tbt_p99", tolerance)
    return ParetoGroup(key=key, rows=len(rows), not_ok=len(rows) - len(ok) - with_caveat, configs=ok,
                       best=None if best_label is None else ok.loc[best_label, "config_id"],
                       ttft_front=ttft_front, tbt_front=tbt_front, with_caveat=with_caveat)


def analyse(results, slos=SloLimits(), tolerance=0.1, by=("model", "trace"), include_caveats=False):
    """Per group of `by` columns (none: one group) and workload, in key order: the best config,
    the fronts and the near configs. Raises ValueError for a missing column."""
    by = list(by)
    missing = [c for c in REQUIRED_COLUMNS + by if c not in results.columns]
    if missing:
        raise ValueError(f"the results have no column {', '.join(missing)}")
    for name in by:
        if results[name].dtype.kind not in "iuO":
            raise ValueError(f"by: '{name}' is not a text or integer column of the results")
    if not len(results):
        return []
    workload = "workload_id" if "workload_id" in results.columns else None
    grouper = by + ([workload] if workload else [])
    groups = []
    if not grouper:
        return [_analyse_group({}, results, slos, tolerance, include_caveats)]
    # A one-column grouper is given as a name, so that pandas yields plain values as keys.
    items = results.groupby(grouper[0] if len(grouper) == 1 else grouper, sort=False)
    for values, rows in sorted(items, key=lambda item: item[0] if isinstance(item[0], tuple) else (item[0],)):
        values = values if isinstance(values, tuple) else (values,)
        group = _analyse_group(dict(zip(by, values[:len(by)])), rows, slos, tolerance, include_caveats)
        if workload:
            group.workload_id = values[-1]
        groups.append(group)
    for group in groups:
        group.workloads_under_key = sum(1 for g in groups if g.key == group.key)
    return groups


def listed_configs(group, list_all=False):
    """The configs a report lists: those on or near a front and the best (every config with
    list_all), best first."""
    configs = group.configs
    if not list_all:
        notable = configs["best"] | (configs["ttft_p90_front"] != "") | (configs["tbt_p99_front"] != "")
        configs = configs[notable]
    return configs.iloc[sorted(range(len(configs)), key=lambda i: rank_key(configs.iloc[i]))]
