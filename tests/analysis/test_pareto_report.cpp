// `infersweep pareto`'s analysis of a results table built by hand: grouping, statuses,
// missing metrics, independence from row order, and the CSV and JSON outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <sstream>

#include "infersweep/analysis/pareto_report.hpp"
#include "infersweep/common/error.hpp"

namespace infersweep::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Row {
  std::string id, status, model, trace;
  int64_t tp;
  double qps_per_dollar, ttft_p90, tbt_p99;
};

table::ColumnSpec column(const std::string& name, table::ColumnKind kind) {
  table::ColumnSpec spec;
  spec.name = name;
  spec.kind = kind;
  return spec;
}

table::ColumnTable table_of(const std::vector<Row>& rows) {
  using table::ColumnKind;
  table::ColumnTable t({column("config_id", ColumnKind::text), column("status", ColumnKind::text),
                        column("model", ColumnKind::text), column("trace", ColumnKind::text),
                        column("device", ColumnKind::text), column("tp", ColumnKind::int64),
                        column("gpus", ColumnKind::int64), column("capacity_qps", ColumnKind::float64),
                        column("qps_per_dollar", ColumnKind::float64), column("dollars_per_hour", ColumnKind::float64),
                        column("ttft_p90", ColumnKind::float64), column("tbt_p99", ColumnKind::float64)});
  for (const auto& r : rows)
    t.append({{"config_id", r.id},
              {"status", r.status},
              {"model", r.model},
              {"trace", r.trace},
              {"device", std::string("a100")},
              {"tp", r.tp},
              {"gpus", int64_t{4}},
              {"capacity_qps", r.status == "ok" ? r.qps_per_dollar * 8 : kNaN},
              {"qps_per_dollar", r.status == "ok" ? r.qps_per_dollar : kNaN},
              {"dollars_per_hour", 8.0},
              {"ttft_p90", r.ttft_p90},
              {"tbt_p99", r.tbt_p99}});
  return t;
}

const std::vector<Row> kRows{
    // model m1, trace chat: a (best under SLOs), b (more QPS/$ but misses TTFT), c (dominated),
    // d (failed), e (no TBT metric).
    {"a", "ok", "m1", "chat", 1, 2.0, 1.5, 0.10},
    {"b", "ok", "m1", "chat", 2, 3.0, 2.5, 0.08},
    {"c", "ok", "m1", "chat", 1, 1.0, 3.0, 0.30},
    {"d", "failed", "m1", "chat", 4, kNaN, kNaN, kNaN},
    {"e", "ok", "m1", "chat", 4, 5.0, 0.5, kNaN},
    // model m1, trace arxiv: nothing meets the SLOs.
    {"f", "ok", "m1", "arxiv", 1, 1.0, 4.0, 0.5},
    {"g", "ok", "m1", "arxiv", 2, 0.95, 3.9, 0.6},
    // model m0 sorts first.
    {"h", "skipped", "m0", "chat", 16, kNaN, kNaN, kNaN},
};

const ParetoGroup& group(const std::vector<ParetoGroup>& groups, const std::string& model, const std::string& trace) {
  for (const auto& g : groups)
    if (std::get<std::string>(g.key[0].value) == model && std::get<std::string>(g.key[1].value) == trace) return g;
  throw std::runtime_error("no group " + model + "/" + trace);
}

std::vector<std::string> ids(const ParetoGroup& g, const std::vector<size_t>& which) {
  std::vector<std::string> out;
  for (size_t i : which) out.push_back(g.configs[i].candidate.config_id);
  return out;
}

const AnalysedConfig& config(const ParetoGroup& g, const std::string& id) {
  for (const auto& c : g.configs)
    if (c.candidate.config_id == id) return c;
  throw std::runtime_error("no config " + id);
}

TEST(ParetoReport, GroupsByModelAndTraceInKeyOrder) {
  const auto groups = analyse_pareto(table_of(kRows), {});
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(std::get<std::string>(groups[0].key[0].value), "m0");
  EXPECT_EQ(std::get<std::string>(groups[1].key[1].value), "arxiv");
  EXPECT_EQ(std::get<std::string>(groups[2].key[1].value), "chat");
  EXPECT_EQ(groups[0].rows, 1);
  EXPECT_EQ(groups[0].not_ok, 1);
  EXPECT_TRUE(groups[0].configs.empty());
  EXPECT_FALSE(groups[0].best.has_value());
}

TEST(ParetoReport, BestFrontsAndNearConfigsOfOneGroup) {
  const auto groups = analyse_pareto(table_of(kRows), {});
  const auto& chat = group(groups, "m1", "chat");
  EXPECT_EQ(chat.rows, 5);
  EXPECT_EQ(chat.not_ok, 1);
  ASSERT_EQ(chat.configs.size(), 4u);  // the failed config takes no part
  ASSERT_TRUE(chat.best.has_value());
  EXPECT_EQ(chat.configs[*chat.best].candidate.config_id, "a");
  EXPECT_EQ(chat.meeting_slos(), 1);
  // TTFT: e (0.5 s, 5 QPS/$) dominates everyone. TBT: e has no TBT, so b and a form the front.
  EXPECT_EQ(ids(chat, chat.ttft_front), (std::vector<std::string>{"e"}));
  EXPECT_EQ(ids(chat, chat.tbt_front), (std::vector<std::string>{"b"}));
  EXPECT_EQ(config(chat, "e").tbt_front, FrontRole::none);
  EXPECT_EQ(config(chat, "a").tbt_front, FrontRole::none);  // 2.0 < 0.9 x 3.0
  EXPECT_EQ(config(chat, "c").ttft_front, FrontRole::none);
  EXPECT_TRUE(config(chat, "a").best);
  EXPECT_TRUE(config(chat, "a").notable());

  ParetoOptions wide;
  wide.tolerance = 0.5;
  const auto wide_chat = group(analyse_pareto(table_of(kRows), wide), "m1", "chat");
  EXPECT_EQ(config(wide_chat, "a").tbt_front, FrontRole::near);  // 2.0 >= 0.5 x 3.0, 0.10 <= 1.5 x 0.08
  EXPECT_EQ(config(wide_chat, "b").tbt_front, FrontRole::on);
}

TEST(ParetoReport, AGroupWhereNoConfigMeetsTheSlosStillHasFronts) {
  const auto groups = analyse_pareto(table_of(kRows), {});
  const auto& arxiv = group(groups, "m1", "arxiv");
  EXPECT_FALSE(arxiv.best.has_value());
  EXPECT_EQ(ids(arxiv, arxiv.ttft_front), (std::vector<std::string>{"g", "f"}));
  EXPECT_EQ(ids(arxiv, arxiv.tbt_front), (std::vector<std::string>{"f"}));
  EXPECT_EQ(config(arxiv, "g").ttft_front, FrontRole::on);
  EXPECT_EQ(config(arxiv, "g").tbt_front, FrontRole::none);  // 0.95 >= 0.9 x 1.0, but 0.6 > 1.1 x 0.5
}

TEST(ParetoReport, IntegerGroupsSortAsNumbersAndNoGroupingIsOneGroup) {
  ParetoOptions by_tp;
  by_tp.by = {"tp"};
  const auto groups = analyse_pareto(table_of(kRows), by_tp);
  std::vector<int64_t> tps;
  for (const auto& g : groups) tps.push_back(std::get<int64_t>(g.key[0].value));
  EXPECT_EQ(tps, (std::vector<int64_t>{1, 2, 4, 16}));

  ParetoOptions none;
  none.by = {};
  const auto all = analyse_pareto(table_of(kRows), none);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].rows, 8);
  EXPECT_EQ(all[0].configs.size(), 6u);
}

TEST(ParetoReport, OutputsDoNotDependOnRowOrder) {
  auto shuffled = kRows;
  std::reverse(shuffled.begin(), shuffled.end());
  std::rotate(shuffled.begin(), shuffled.begin() + 3, shuffled.end());
  ParetoOptions options;
  options.list_all = true;
  auto json_of = [&](const std::vector<Row>& rows) {
    const auto t = table_of(rows);
    std::ostringstream out;
    write_pareto_json(analyse_pareto(t, options), t, options, {}, out);
    write_pareto_csv(analyse_pareto(t, options), t, options, out);
    return out.str();
  };
  EXPECT_EQ(json_of(kRows), json_of(shuffled));
}

TEST(ParetoReport, CsvListsNotableConfigsBestFirstWithTheirRoles) {
  const auto t = table_of(kRows);
  const ParetoOptions options;
  std::ostringstream out;
  write_pareto_csv(analyse_pareto(t, options), t, options, out);
  const std::string csv = out.str();
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "model,trace,config_id,device,tp,gpus,capacity_qps,qps_per_dollar,dollars_per_hour,ttft_p90,tbt_p99,"
            "meets_slos,best,ttft_p90_front,tbt_p99_front");
  // arxiv: f and g; chat: e (TTFT front), b (TBT front), a (best), by QPS per dollar.
  EXPECT_NE(csv.find("\nm1,arxiv,f,a100,1,4,8,1,8,4,0.5,false,false,on,on\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nm1,chat,e,a100,4,4,40,5,8,0.5,,false,false,on,\n"), std::string::npos) << csv;
  EXPECT_LT(csv.find("\nm1,chat,e,"), csv.find("\nm1,chat,b,"));
  EXPECT_LT(csv.find("\nm1,chat,b,"), csv.find("\nm1,chat,a,"));
  EXPECT_NE(csv.find("\nm1,chat,a,a100,1,4,16,2,8,1.5,0.1,true,true,,\n"), std::string::npos) << csv;
  EXPECT_EQ(csv.find("\nm1,chat,c,"), std::string::npos);
  EXPECT_EQ(csv.find(",d,"), std::string::npos);
}

TEST(ParetoReport, JsonHasNullBestWhereNothingMeetsTheSlos) {
  const auto t = table_of(kRows);
  const ParetoOptions options;
  std::ostringstream out;
  write_pareto_json(analyse_pareto(t, options), t, options, {{"file", std::string("x.h5")}}, out);
  const std::string json = out.str();
  EXPECT_NE(json.find("\"file\": \"x.h5\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"best\": null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"best\": \"a\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"tbt_p99_front\": [\n        \"b\"\n      ]"), std::string::npos) << json;
}

TEST(ParetoReport, RejectsUnknownOrNonCategoricalGroupingColumnsAndForeignTables) {
  ParetoOptions options;
  options.by = {"model", "colour"};
  EXPECT_THROW(analyse_pareto(table_of(kRows), options), InputError);
  options.by = {"ttft_p90"};
  try {
    analyse_pareto(table_of(kRows), options);
    FAIL() << "a float column was accepted for grouping";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("expected some of: config_id, status, model, trace, device, tp, gpus"),
              std::string::npos)
        << e.what();
  }
  table::ColumnTable foreign({column("config_id", table::ColumnKind::text), column("status", table::ColumnKind::text)});
  EXPECT_THROW(analyse_pareto(foreign, {}), InputError);
}

TEST(ParetoReport, TableMarksTheBestAndSaysWhenNothingMeetsTheSlos) {
  const auto t = table_of(kRows);
  const ParetoOptions options;
  std::ostringstream out;
  print_pareto_table(analyse_pareto(t, options), t, options, out);
  const std::string text = out.str();
  EXPECT_NE(text.find("model=m1 trace=arxiv: 2 configs with a capacity, 0 meet the SLOs"), std::string::npos) << text;
  EXPECT_NE(text.find("best under the SLOs: none of these configs meets them"), std::string::npos) << text;
  EXPECT_NE(text.find("(1 more skipped, failed or timed out), 1 meets the SLOs"), std::string::npos) << text;
  EXPECT_NE(text.find("\n* a100"), std::string::npos) << text;
  EXPECT_NE(text.find("within 10% of a front"), std::string::npos) << text;
}

}  // namespace
}  // namespace infersweep::analysis

namespace infersweep::analysis {
namespace {

// kRows' m1/chat configs, with a workload id and a capacity caveat per row added.
table::ColumnTable with_workloads_and_caveats(const std::vector<std::pair<std::string, std::string>>& per_row) {
  const auto base = table_of({kRows[0], kRows[1], kRows[2], kRows[4]});
  auto schema = base.schema();
  schema.push_back(column("workload_id", table::ColumnKind::text));
  schema.push_back(column("capacity_caveat", table::ColumnKind::text));
  table::ColumnTable t(schema);
  for (size_t r = 0; r < base.rows(); ++r) {
    std::vector<table::Field> row;
    for (size_t c = 0; c < base.schema().size(); ++c) row.push_back(base.field(c, r));
    row.push_back({"workload_id", per_row[r].first});
    row.push_back({"capacity_caveat", per_row[r].second});
    t.append(row);
  }
  return t;
}

}  // namespace

TEST(ParetoReport, ConfigsWithACapacityCaveatAreLeftOutUnlessAskedFor) {
  // e (5 QPS/$, on the TTFT front) is workload-bound: without it, a leads the TTFT front.
  const auto t = with_workloads_and_caveats({{"w", "none"}, {"w", "none"}, {"w", "none"}, {"w", "workload_bound"}});
  ParetoOptions options;
  const auto groups = analyse_pareto(t, options);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].with_caveat, 1);
  EXPECT_EQ(groups[0].configs.size(), 3u);
  for (const auto& c : groups[0].configs) EXPECT_NE(c.candidate.config_id, "e");
  std::ostringstream printed;
  print_pareto_table(groups, t, options, printed);
  EXPECT_NE(printed.str().find("(1 more with a capacity caveat, left out: --include-caveats takes them in)"),
            std::string::npos)
      << printed.str();
  options.include_caveats = true;
  const auto all = analyse_pareto(t, options);
  EXPECT_EQ(all[0].with_caveat, 0);
  EXPECT_EQ(all[0].configs.size(), 4u);
  EXPECT_EQ(all[0].configs[all[0].ttft_front[0]].candidate.config_id, "e");
}

TEST(ParetoReport, RowsOfTwoWorkloadsUnderOneKeyAreAnalysedApartAndSaidSo) {
  // The grid changed between runs: a and b measured one workload, c and e another.
  const auto t = with_workloads_and_caveats({{"w1", "none"}, {"w1", "none"}, {"w2", "none"}, {"w2", "none"}});
  ParetoOptions options;
  const auto groups = analyse_pareto(t, options);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].workload_id, "w1");
  EXPECT_EQ(groups[1].workload_id, "w2");
  for (const auto& g : groups) {
    EXPECT_EQ(g.rows, 2);
    EXPECT_EQ(g.workloads_under_key, 2);
  }
  EXPECT_EQ(groups[0].best.has_value() ? groups[0].configs[*groups[0].best].candidate.config_id : "", "a");
  std::ostringstream printed;
  print_pareto_table(groups, t, options, printed);
  EXPECT_NE(printed.str().find("model=m1 trace=chat workload=w2: 2 configs"), std::string::npos) << printed.str();
  EXPECT_NE(printed.str().find("note: 2 workloads share this key"), std::string::npos) << printed.str();
  // One workload: no split, no note.
  const auto one = analyse_pareto(
      with_workloads_and_caveats({{"w1", "none"}, {"w1", "none"}, {"w1", "none"}, {"w1", "none"}}), options);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].workloads_under_key, 1);
}

}  // namespace infersweep::analysis

namespace infersweep::analysis {

TEST(ParetoReport, EachGroupSaysThePricesItsQpsPerDollarCameFrom) {
  // kRows' m1/chat configs priced as result rows record it: c from a file written before
  // sources were recorded.
  const auto base = table_of({kRows[0], kRows[1], kRows[2]});
  auto schema = base.schema();
  schema.push_back(column("price_per_gpu_hour", table::ColumnKind::float64));
  schema.push_back(column("price_source", table::ColumnKind::text));
  table::ColumnTable t(schema);
  for (size_t r = 0; r < base.rows(); ++r) {
    std::vector<table::Field> row;
    for (size_t c = 0; c < base.schema().size(); ++c) row.push_back(base.field(c, r));
    row.push_back({"price_per_gpu_hour", 2.0});
    row.push_back({"price_source", std::string(r < 2 ? "prices file p.ini:3: a quote (2026-01-01)" : "")});
    t.append(row);
  }
  const ParetoOptions options;
  const auto groups = analyse_pareto(t, options);
  std::ostringstream text, csv, json;
  print_pareto_table(groups, t, options, text);
  EXPECT_NE(text.str().find("\nprice: a100 $2 per GPU-hour (source not recorded)\n"
                            "price: a100 $2 per GPU-hour (prices file p.ini:3: a quote (2026-01-01))\n"),
            std::string::npos)
      << text.str();
  write_pareto_csv(groups, t, options, csv);
  EXPECT_NE(csv.str().find(",dollars_per_hour,price_per_gpu_hour,price_source,"), std::string::npos) << csv.str();
  EXPECT_NE(csv.str().find(",8,2,prices file p.ini:3: a quote (2026-01-01),"), std::string::npos) << csv.str();
  write_pareto_json(groups, t, options, {}, json);
  EXPECT_NE(json.str().find("\"prices\": [\n        {\n          \"device\": \"a100\",\n          "
                            "\"price_per_gpu_hour\": 2,\n          \"price_source\": \"\"\n        },"),
            std::string::npos)
      << json.str();
  // A table without the columns (made by hand) says nothing of prices.
  std::ostringstream bare;
  print_pareto_table(analyse_pareto(base, options), base, options, bare);
  EXPECT_EQ(bare.str().find("price:"), std::string::npos) << bare.str();
}

}  // namespace infersweep::analysis
