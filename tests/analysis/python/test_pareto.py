"""The Pareto and best-config rules on hand-made tables: dominance, ties, missing metrics,
the tolerance, grouping and row order."""
import math
import random

import numpy as np
import pandas as pd
import pytest

import analysis
from analysis import SloLimits

NAN = float("nan")


def test_front_keeps_non_dominated_points_by_increasing_latency():
    assert analysis.pareto_front([3.0, 2.0, 1.0, 4.0], [1.0, 0.5, 2.0, 3.0]) == [1, 0, 3]
    assert analysis.pareto_front([], []) == []


def test_ties_identical_points_all_on_front_equal_axes_keep_the_better():
    assert analysis.pareto_front([2.0, 1.0, 2.0], [1.0, 0.5, 1.0]) == [1, 0, 2]
    assert analysis.pareto_front([1.0, 2.0, 1.5], [1.0, 1.0, 1.0]) == [1]
    assert analysis.pareto_front([2.0, 2.0, 2.0], [1.5, 1.0, 3.0]) == [1]


def test_missing_and_infinite_coordinates_take_no_part():
    q = [NAN, 9.0, 3.0, math.inf, 1.0, 5.0]
    m = [0.1, NAN, 2.0, 0.5, 1.0, -math.inf]
    front = analysis.pareto_front(q, m)
    assert front == [4, 2]
    assert analysis.near_front(q, m, front, 0.5) == [2, 4]


def test_front_matches_the_definition_on_random_points_with_ties():
    rng = random.Random(11)
    for trial in range(200):
        n = 1 + trial % 25
        q = [0.5 * rng.randint(0, 6) for _ in range(n)]
        m = [0.25 * rng.randint(0, 6) for _ in range(n)]
        expected = [i for i in range(n) if not any(
            q[j] >= q[i] and m[j] <= m[i] and (q[j] > q[i] or m[j] < m[i]) for j in range(n))]
        assert sorted(analysis.pareto_front(q, m)) == expected


def test_near_front_tolerance_is_inclusive():
    q, m = [10.0, 5.0, 4.999, 5.0], [2.0, 3.0, 3.0, 3.001]
    assert analysis.near_front(q, m, [0], 0.5) == [0, 1]
    assert analysis.near_front(q, m, [0], 0.0) == [0]


def table(rows):
    frame = pd.DataFrame(rows, columns=["config_id", "status", "model", "trace", "tp", "qps_per_dollar", "ttft_p90",
                                        "tbt_p99"])
    frame["gpus"] = 4
    frame["capacity_qps"] = np.where(frame["status"] == "ok", frame["qps_per_dollar"] * 8, NAN)
    return frame


ROWS = [
    ("a", "ok", "m1", "chat", 1, 2.0, 1.5, 0.10),
    ("b", "ok", "m1", "chat", 2, 3.0, 2.5, 0.08),
    ("c", "ok", "m1", "chat", 1, 1.0, 3.0, 0.30),
    ("d", "failed", "m1", "chat", 4, NAN, NAN, NAN),
    ("e", "ok", "m1", "chat", 4, 5.0, 0.5, NAN),
    ("f", "ok", "m1", "arxiv", 1, 1.0, 4.0, 0.5),
    ("g", "ok", "m1", "arxiv", 2, 0.95, 3.9, 0.6),
    ("h", "skipped", "m0", "chat", 16, NAN, NAN, NAN),
]


def test_groups_best_fronts_and_roles():
    groups = analysis.analyse(table(ROWS))
    assert [tuple(g.key.values()) for g in groups] == [("m0", "chat"), ("m1", "arxiv"), ("m1", "chat")]
    m0, arxiv, chat = groups
    assert (m0.rows, m0.not_ok, len(m0.configs), m0.best) == (1, 1, 0, None)
    assert (chat.rows, chat.not_ok, len(chat.configs), chat.best, chat.meeting_slos) == (5, 1, 4, "a", 1)
    assert chat.ttft_front == ["e"] and chat.tbt_front == ["b"]
    roles = chat.configs.set_index("config_id")
    assert roles.loc["e", "tbt_p99_front"] == "" and roles.loc["a", "tbt_p99_front"] == ""
    assert arxiv.best is None and arxiv.ttft_front == ["g", "f"] and arxiv.tbt_front == ["f"]
    assert arxiv.near("tbt_p99") == ["f"]
    wide = analysis.analyse(table(ROWS), tolerance=0.5)[2].configs.set_index("config_id")
    assert wide.loc["a", "tbt_p99_front"] == "near" and wide.loc["b", "tbt_p99_front"] == "on"


def test_best_ties_go_to_capacity_then_fewer_gpus_then_config_id():
    frame = table([("b", "ok", "m", "t", 1, 2.0, 1.0, 0.1), ("a", "ok", "m", "t", 1, 2.0, 1.0, 0.1)])
    assert analysis.best_under_slos(frame, SloLimits()) == 1
    frame.loc[0, "capacity_qps"] = 100
    assert analysis.best_under_slos(frame, SloLimits()) == 0
    frame.loc[0, "capacity_qps"] = frame.loc[1, "capacity_qps"]
    frame.loc[1, "gpus"] = 8
    assert analysis.best_under_slos(frame, SloLimits()) == 0


def test_slo_limits_are_inclusive_and_missing_metrics_fail():
    slos = SloLimits(2.0, 0.2)
    assert analysis.meets_slos(1.0, 2.0, 0.2, slos)
    assert not analysis.meets_slos(1.0, NAN, 0.1, slos)
    assert not analysis.meets_slos(1.0, 1.0, NAN, slos)
    assert not analysis.meets_slos(NAN, 1.0, 0.1, slos)


def test_integer_grouping_and_no_grouping():
    assert [g.key["tp"] for g in analysis.analyse(table(ROWS), by=["tp"])] == [1, 2, 4, 16]
    (everything,) = analysis.analyse(table(ROWS), by=[])
    assert everything.rows == 8 and len(everything.configs) == 6
    with pytest.raises(ValueError, match="no column colour"):
        analysis.analyse(table(ROWS), by=["model", "colour"])
    with pytest.raises(ValueError, match="not a text or integer column"):
        analysis.analyse(table(ROWS), by=["ttft_p90"])


def test_results_do_not_depend_on_row_order():
    def summary(frame):
        return [(g.key, g.best, g.ttft_front, g.tbt_front, g.near("ttft_p90"), g.near("tbt_p99"),
                 list(analysis.listed_configs(g, list_all=True)["config_id"])) for g in analysis.analyse(frame)]
    shuffled = list(reversed(ROWS))
    shuffled = shuffled[3:] + shuffled[:3]
    assert summary(table(ROWS)) == summary(table(shuffled))


def test_listing_is_best_first_and_only_notable_configs():
    chat = analysis.analyse(table(ROWS))[2]
    assert list(analysis.listed_configs(chat)["config_id"]) == ["e", "b", "a"]
    assert list(analysis.listed_configs(chat, list_all=True)["config_id"]) == ["e", "b", "a", "c"]


def test_capacity_caveats_are_left_out_unless_included():
    frame = table(ROWS)
    frame["capacity_caveat"] = ["none"] * len(frame)
    frame.loc[frame["config_id"] == "e", "capacity_caveat"] = "workload_bound"
    chat = analysis.analyse(frame)[2]
    assert (chat.rows, chat.not_ok, chat.with_caveat, len(chat.configs)) == (5, 1, 1, 3)
    assert "e" not in list(chat.configs["config_id"]) and chat.ttft_front[0] != "e"
    chat = analysis.analyse(frame, include_caveats=True)[2]
    assert (chat.with_caveat, len(chat.configs), chat.ttft_front) == (0, 4, ["e"])


def test_two_workloads_under_one_key_are_analysed_apart():
    frame = table(ROWS)
    frame["workload_id"] = "w1"
    frame.loc[frame["config_id"].isin(["c", "e"]), "workload_id"] = "w2"
    groups = analysis.analyse(frame)
    assert [(tuple(g.key.values()), g.workload_id, g.workloads_under_key) for g in groups] == [
        (("m0", "chat"), "w1", 1), (("m1", "arxiv"), "w1", 1), (("m1", "chat"), "w1", 2), (("m1", "chat"), "w2", 2)]
    assert (groups[2].rows, groups[3].rows) == (3, 2)
