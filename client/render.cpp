#include "client/render.hpp"

#include <sstream>

#include <algorithm>
#include <cstdio>
#include <string>

#include "client/terminal.hpp"
#include "common/detect/analysis.hpp"
#include "common/detect/contention.hpp"
#include "common/cycle/check_report.hpp"

namespace giflab::cli {
using nlohmann::json;

namespace {

std::string num(const json& j, const char* key, int decimals) {
  if (!j.contains(key) || !j[key].is_number()) return "-";
  return formatDouble(j[key].get<double>(), decimals);
}

// A scenario's status, a check's result or a validation's, coloured.
std::string statusWord(const std::string& s) {
  const auto scenario = kScenarioStatusNames.parse(s);
  const auto validation = kValidationResultNames.parse(s);
  if (scenario == ScenarioStatus::Passed || scenario == ScenarioStatus::Measured) return Style::paint(s, Color::Green);
  if (scenario == ScenarioStatus::Regressed || scenario == ScenarioStatus::Error || s == "budget_exceeded" ||
      validation == ValidationResult::Failed)
    return Style::paint(s, Color::Red);
  return Style::paint(s, Color::Yellow);
}

void printMessages(const json& doc) {
  for (const auto& m : doc.value("messages", json::array()))
    std::printf("%s %s\n", Style::paint("!", Color::Yellow).c_str(), m.get<std::string>().c_str());
}

void renderRegressions(const json& list) {
  const bool versions = std::any_of(list.begin(), list.end(), [](const json& r) {
    return r.contains("version_before") || r.contains("version_after");
  });
  std::vector<std::string> head{"SCENARIO", "METRIC", "SEVERITY", "REGRESSION", "BASELINE", "CURRENT", "SINCE"};
  if (versions) head.push_back("VERSIONS");
  Table t(head);
  for (const auto& r : list) {
    const std::string unit = r.value("metric", "") == "memory_usage" ? " MB" : " s";
    const int dec = unit == " s" ? 4 : 1;
    std::vector<std::string> row{r.value("scenario", ""), r.value("metric", ""), r.value("severity", ""),
                                 formatPercent(r.value("regression", 0.0)),
                                 formatDouble(r.value("baseline", 0.0), dec) + unit,
                                 formatDouble(r.value("current", 0.0), dec) + unit, r.value("since", "")};
    if (versions) row.push_back(r.value("version_before", "?") + " -> " + r.value("version_after", "?"));
    t.add(row);
  }
  t.print();
  for (const auto& r : list)
    if (r.contains("bisect_command"))
      std::printf("Find the change in %s: %s\n", r.value("scenario", "").c_str(),
                  r["bisect_command"].get<std::string>().c_str());
}

// The daemon and monitor lines at the top of `status`.
void renderStatusHeader(const json& s, bool verbose) {
  const std::string daemon = s.value("daemon", "unknown");
  std::printf("%s %s\n", Style::paint("giflab-perfd", Color::Bold).c_str(), s.value("version", "").c_str());
  std::printf("  daemon:     %s\n", daemon.c_str());
  const json monitor = s.value("monitor", json::object());
  std::printf("  monitor:    %s (%s)\n", monitor.value("state", "unknown").c_str(),
              s.value("enabled", false) ? "enabled" : "disabled");
  std::printf("  interval:   %ld s\n", s.value("monitoring_interval", 0L));
  if (monitor.contains("last_cycle") && monitor["last_cycle"].is_string())
    std::printf("  last cycle: %s\n", monitor["last_cycle"].get<std::string>().c_str());
  if (monitor.contains("next_cycle") && monitor["next_cycle"].is_string())
    std::printf("  next cycle: %s%s\n", monitor["next_cycle"].get<std::string>().c_str(),
                monitor.contains("next_cycle_reason") ? (" (" + monitor.value("next_cycle_reason", "") + ")").c_str() : "");
  if (monitor.contains("failing") && monitor["failing"].is_object()) {
    const json& f = monitor["failing"];
    std::printf("  %s\n", Style::paint("cycles are failing since " + f.value("since", "?") + " (" +
                                          std::to_string(f.value("failures", 0)) + " in a row):",
                                      Color::Red)
                              .c_str());
    std::istringstream lines(f.value("error", ""));
    for (std::string l; std::getline(lines, l);) std::printf("    %s\n", l.c_str());
  }
  if (s.contains("machine") && s["machine"].is_object())
    std::printf("  %s (since %s); scenarios that moved with it are not regressions\n",
                Style::paint(s["machine"].value("message", ""), Color::Yellow).c_str(),
                s["machine"].value("since", "?").c_str());
  std::printf("  threshold:  %s at %s confidence\n", formatPercent(s.value("regression_threshold", 0.0)).c_str(),
              formatPercent(s.value("confidence_level", 0.0)).c_str());
  if (verbose) {
    std::printf("  config:     %s\n", s.value("config", "").c_str());
    std::printf("  state:      %s\n", s.value("state_dir", "").c_str());
    std::printf("  history:    %lu records\n", s.value("history_records", 0UL));
  }
}

// "time 0.21 s of 0.25 s, 16 % left; memory ..." of a scenario's budgets.
std::string budgetCell(const json& sc) {
  std::string cell;
  const json budgets = sc.value("budget", json::object());  // items() must not outlive it
  for (const auto& [metric, b] : budgets.items()) {
    const std::string what = metric == "memory_usage" ? "memory " : "time ";
    cell += (cell.empty() ? "" : "; ") + what +
            (b.contains("text") ? b.value("text", "") : "budget " + formatDouble(b.value("budget", 0.0), 4));
  }
  return cell.empty() ? "-" : cell;
}

void renderScenarioTable(const json& s, bool verbose) {
  const json scenarios = s.value("scenarios", json::array());
  const bool budgets =
      std::any_of(scenarios.begin(), scenarios.end(), [](const json& sc) { return sc.contains("budget"); });
  std::vector<std::string> head{"SCENARIO", "MONITORED", "BASELINE", "LAST RUN", "TIME", "MEMORY"};
  if (budgets) head.push_back("BUDGET");
  if (verbose) head.push_back("COMMAND");
  Table t(head);
  for (const auto& sc : scenarios) {
    const json last = sc.value("last_run", json::object());
    std::string baseline = "none";
    if (sc.contains("baseline"))
      baseline = formatDouble(sc["baseline"].value("mean_processing_time", 0.0), 4) + " s (n=" +
                 std::to_string(sc["baseline"].value("sample_count", 0)) + ")";
    std::vector<std::string> row{sc.value("name", ""), sc.value("monitored", true) ? "yes" : "no", baseline,
                                 last.value("timestamp", "-"),
                                 last.contains("processing_time") ? num(last, "processing_time", 4) + " s" : "-",
                                 last.contains("memory_usage") ? num(last, "memory_usage", 1) + " MB" : "-"};
    if (budgets) row.push_back(budgetCell(sc));
    if (verbose) {
      std::string cmd;
      for (const auto& a : sc.value("command", json::array())) cmd += (cmd.empty() ? "" : " ") + a.get<std::string>();
      row.push_back(cmd);
    }
    t.add(row);
  }
  t.print();
}

void renderOpenRegressions(const json& s, bool verbose) {
  const json open = s.value("open_regressions", json::array());
  std::printf("\n");
  if (open.empty()) {
    std::printf("%s\n", Style::paint("No open regressions.", Color::Green).c_str());
  } else {
    std::printf("%s\n", Style::paint(std::to_string(open.size()) + " open regression(s):", Color::Red).c_str());
    renderRegressions(open);
  }
  const json budgets = s.value("exceeded_budgets", json::array());
  if (!budgets.empty()) {
    std::printf("\n%s\n", Style::paint(std::to_string(budgets.size()) + " budget(s) exceeded:", Color::Red).c_str());
    for (const auto& b : budgets)
      std::printf("  %s %s: %s (since %s)\n", b.value("scenario", "").c_str(), b.value("metric", "").c_str(),
                  b.value("text", "").c_str(), b.value("since", "").c_str());
  }
  if (verbose && !s.value("pending_regressions", json::array()).empty()) {
    std::printf("\nAwaiting confirmation by the next cycle:\n");
    renderRegressions(s["pending_regressions"]);
  }
}

}  // namespace

void renderStatus(const json& s, bool verbose) {
  renderStatusHeader(s, verbose);
  std::printf("\n");
  renderScenarioTable(s, verbose);
  renderOpenRegressions(s, verbose);
  printMessages(s);
}

void renderBaselines(const json& doc) {
  Table t({"SCENARIO", "RESULT", "SAMPLES", "TIME (MEAN ± SD)", "MEMORY (MEAN ± SD)"});
  for (const auto& b : doc.value("baselines", json::array()))
    t.add({b.value("scenario_name", ""), b.value("result", ""), std::to_string(b.value("sample_count", 0)),
           num(b, "mean_processing_time", 4) + " ± " + num(b, "std_processing_time", 4) + " s",
           num(b, "mean_memory_usage", 1) + " ± " + num(b, "std_memory_usage", 1) + " MB"});
  if (!t.empty()) t.print();
  // A baseline that set runs aside says so: its sample count is otherwise a puzzle.
  for (const auto& b : doc.value("baselines", json::array()))
    if (b.contains("level_change")) {
      const json& c = b["level_change"];
      std::printf("%s %s: its times changed level while measured (%s s to %s s); the %d runs before the change "
                  "are not in the baseline\n",
                  Style::paint("!", Color::Yellow).c_str(), b.value("scenario_name", "").c_str(),
                  num(c, "from", 4).c_str(), num(c, "to", 4).c_str(), c.value("runs_set_aside", 0));
    }
  for (const auto& w : doc.value("warnings", json::array()))
    std::fprintf(stderr, "%s %s\n", Style::paint("warning:", Color::Yellow, stderr).c_str(),
                 w.get<std::string>().c_str());
  for (const auto& e : doc.value("errors", json::array()))
    std::fprintf(stderr, "%s %s\n", Style::paint("error:", Color::Red, stderr).c_str(),
                 e.value("error", "").c_str());
}

void renderBaselineList(const json& doc) {
  const json list = doc.value("baselines", json::array());
  if (list.empty()) {
    std::printf("No performance baselines available; create them with 'giflab-perfctl baseline create'\n");
    return;
  }
  Table t({"SCENARIO", "SAMPLES", "TIME (MEAN ± SD)", "MEMORY (MEAN ± SD)", "UPDATED"});
  for (const auto& b : list)
    t.add({b.value("scenario_name", "") + (b.value("configured", true) ? "" : " (not in config)"),
           std::to_string(b.value("sample_count", 0)),
           num(b, "mean_processing_time", 4) + " ± " + num(b, "std_processing_time", 4) + " s",
           num(b, "mean_memory_usage", 1) + " ± " + num(b, "std_memory_usage", 1) + " MB",
           b.value("last_updated", "")});
  t.print();
}

void renderCleared(const json& doc) {
  const json c = doc.value("cleared", json::array());
  if (c.empty()) std::printf("No baselines to clear.\n");
  for (const auto& n : c) std::printf("Cleared baseline %s\n", n.get<std::string>().c_str());
}

void renderCheck(const json& doc) {
  Table t({"SCENARIO", "STATUS", "TIME", "MEMORY", "RUNS", "DETAIL"});
  // How many runs the verdict took and why it stopped there.
  auto runs = [](const json& s) -> std::string {
    if (!s.contains("runs")) return "-";
    const std::string stopped = s.value("stopped", "");
    const std::string why = stopped == "settled"      ? ", settled"
                            : stopped == "maximum"    ? ", maximum"
                            : stopped == "remeasured" ? ", measured on"
                                                      : "";
    return std::to_string(s.value("runs", 0)) + why;
  };
  for (const auto& s : doc.value("scenarios_tested", json::array())) {
    std::string detail;
    for (const auto& r : s.value("regressions", json::array()))
      detail += (detail.empty() ? "" : "; ") + r.value("metric", "") + " +" + formatPercent(r.value("regression", 0.0)) +
                " (" + r.value("severity", "") + ")";
    if (s.contains("error")) {
      std::string e = s["error"].get<std::string>();
      detail = e.substr(0, e.find('\n'));
    }
    if (s.contains("environment_changed")) detail += (detail.empty() ? "" : "; ") + std::string("machine changed since baseline");
    for (const auto& m : s.value("metrics", json::array()))
      if (m.contains("run_queue") && m["run_queue"].value("waited_for_cpu", false))
        detail += (detail.empty() ? "" : "; ") + std::string("took ") +
                  formatPercent(m.value("relative_change", 0.0)) + " longer waiting for a busy CPU (CPU time " +
                  formatPercent(m["run_queue"].value("cpu_time_change", 0.0)) + ")";
    t.add({s.value("scenario", ""), statusWord(s.value("status", "")),
           s.contains("processing_time") ? num(s, "processing_time", 4) + " s" : "-",
           s.contains("memory_usage") ? num(s, "memory_usage", 1) + " MB" : "-", runs(s), detail});
  }
  t.print();
  for (const auto& s : doc.value("scenarios_tested", json::array()))
    if (s.contains("error") && s["error"].get<std::string>().find('\n') != std::string::npos)
      std::fprintf(stderr, "\n%s\n", s["error"].get<std::string>().c_str());
  const json exceeded = doc.value("budgets_exceeded", json::array());
  if (!exceeded.empty()) {
    std::printf("\n%s\n", Style::paint("Budgets exceeded:", Color::Red).c_str());
    for (const auto& b : exceeded)
      std::printf("  %s %s: %s\n", b.value("scenario", "").c_str(), b.value("metric", "").c_str(),
                  b.value("text", "").c_str());
  }
  if (doc.value("cpu_pressure", 0.0) >= kContendedCpuPressure)
    std::printf("\nThe CPUs were busy: some task waited for one %s of this check's time. Scenarios slower without "
                "taking more CPU time than in their baselines count as the machine's (baselines created before "
                "CPU times were kept cannot tell: re-create them with 'giflab-perfctl baseline create'); check "
                "again on a quieter machine to judge waits.\n",
                formatPercent(doc.value("cpu_pressure", 0.0)).c_str());
  const std::string overall = doc.value("overall_result", "");
  std::printf("\n%s: %s (threshold %s)\n", doc.value("action", "check").c_str(), statusWord(overall).c_str(),
              formatPercent(doc.value("threshold", 0.0)).c_str());
}

void renderValidate(const json& doc) {
  if (doc.contains("message")) std::printf("%s\n", doc["message"].get<std::string>().c_str());
  Table t({"VALIDATION", "STATUS", "SPEEDUP", "EXPECTED", "MINIMUM", "REFERENCE", "CANDIDATE"});
  for (const auto& v : doc.value("validations", json::array()))
    t.add({v.value("name", ""), statusWord(v.value("status", "")), num(v, "speedup", 2) + "x",
           num(v, "expected_speedup", 2) + "x", num(v, "minimum_speedup", 2) + "x",
           v.value("reference", "") + " " + num(v, "reference_time", 4) + " s",
           v.value("candidate", "") + " " + num(v, "candidate_time", 4) + " s"});
  if (!t.empty()) t.print();
}

void renderHistory(const json& doc) {
  const json records = doc.value("records", json::array());
  const bool series = doc.contains("trends") || doc.contains("changes");
  if (!series) {
    if (records.empty()) {
      std::printf("No history records in the last %d days.\n", doc.value("days", 0));
    } else {
      const bool versions =
          std::any_of(records.begin(), records.end(), [](const json& r) { return r.contains("version"); });
      std::vector<std::string> head{"TIMESTAMP", "SCENARIO", "TIME", "MEMORY"};
      if (versions) head.push_back("VERSION");
      Table t(head);
      for (const auto& r : records) {
        std::vector<std::string> row{r.value("timestamp", ""), r.value("scenario", ""),
                                     r.contains("processing_time") ? num(r, "processing_time", 4) + " s" : "-",
                                     r.contains("memory_usage") ? num(r, "memory_usage", 1) + " MB" : "-"};
        if (versions) row.push_back(r.value("version", "-"));
        t.add(row);
      }
      t.print();
      if (doc.value("total_records", 0UL) > records.size())
        std::printf("(newest %zu of %lu records)\n", records.size(), doc.value("total_records", 0UL));
    }
  }
  if (doc.contains("trends")) {
    if (doc["trends"].empty()) std::printf("No history records in the last %d days.\n", doc.value("days", 0));
    Table t({"SCENARIO", "METRIC", "POINTS", "TREND", "SLOPE/DAY (LSQ)", "THEIL-SEN/DAY", "R²", "P"});
    for (const auto& tr : doc["trends"]) {
      const std::string dir = tr.value("direction", "");
      const auto direction = kTrendDirectionNames.parse(dir);
      const std::string shown = direction == TrendDirection::Degrading   ? Style::paint(dir, Color::Red)
                                : direction == TrendDirection::Improving ? Style::paint(dir, Color::Green)
                                                                         : dir;
      t.add({tr.value("scenario", ""), tr.value("metric", ""), std::to_string(tr.value("points", 0)), shown,
             num(tr, "slope_per_day", 6), num(tr, "theil_sen_slope_per_day", 6), num(tr, "r_squared", 3),
             num(tr, "mann_kendall_p", 4)});
    }
    if (!t.empty()) t.print();
  }
  if (doc.contains("changes")) renderAnalyze({{"results", doc["changes"]}});
  if (doc.value("skipped_lines", 0UL) > 0)
    std::printf("(%lu damaged lines skipped)\n", doc.value("skipped_lines", 0UL));
}

void renderAnalyze(const json& doc) {
  const json results = doc.value("results", json::array());
  // A VERSIONS column only when the records name versions (version_command).
  bool versions = false;
  for (const auto& r : results)
    for (const auto& cp : r.value("change_points", json::array()))
      versions = versions || cp.contains("version_before") || cp.contains("version_after");
  std::vector<std::string> head{"SCENARIO", "METRIC", "POINTS", "INDEX", "TIMESTAMP", "BEFORE", "AFTER", "CHANGE",
                                "DIRECTION"};
  if (versions) head.push_back("VERSIONS");
  Table t(head);
  for (const auto& r : results) {
    const auto cps = r.value("change_points", json::array());
    if (cps.empty()) {
      std::vector<std::string> row{r.value("scenario", ""), r.value("metric", ""), std::to_string(r.value("points", 0)),
                                   "-", "-", "-", "-", "-", "no change"};
      if (versions) row.push_back("-");
      t.add(row);
    }
    for (const auto& cp : cps) {
      std::vector<std::string> row{r.value("scenario", ""), r.value("metric", ""), std::to_string(r.value("points", 0)),
                                   std::to_string(cp.value("index", 0)), cp.value("timestamp", ""), num(cp, "before", 4),
                                   num(cp, "after", 4), formatPercent(cp.value("relative_change", 0.0)),
                                   cp.value("direction", "")};
      if (versions) row.push_back(cp.value("version_before", "?") + " -> " + cp.value("version_after", "?"));
      t.add(row);
    }
  }
  t.print();
  if (doc.value("skipped_lines", 0UL) > 0)
    std::printf("(%lu damaged lines skipped)\n", doc.value("skipped_lines", 0UL));
}

void renderDeps(const json& doc, bool verbose) {
  Table t({"CHECK", "RESULT", "DETAIL"});
  for (const auto& c : doc.value("checks", json::array())) {
    const bool ok = c.value("ok", false);
    if (!verbose && ok) {
      t.add({c.value("check", ""), Style::paint("ok", Color::Green), ""});
      continue;
    }
    t.add({c.value("check", ""), ok ? Style::paint("ok", Color::Green) : Style::paint("FAIL", Color::Red),
           c.value("detail", "")});
  }
  t.print();
}

void renderMonitor(const json& doc) {
  std::printf("monitor: %s\n", doc.value("state", "unknown").c_str());
  if (doc.contains("enabled")) std::printf("enabled: %s\n", doc["enabled"].get<bool>() ? "yes" : "no");
  if (doc.contains("interval")) std::printf("interval: %ld s\n", doc["interval"].get<long>());
  for (const char* k : {"last_cycle", "next_cycle", "detail", "message"})
    if (doc.contains(k) && doc[k].is_string()) std::printf("%s: %s\n", k, doc[k].get<std::string>().c_str());
}

namespace {
std::string commitLine(const json& c) {
  return c.value("commit", "").substr(0, 10) + " " + c.value("subject", "") + " (" + c.value("date", "") + ")";
}
std::string changeText(const json& c, const std::string& metric) {
  const std::string unit = metric == "memory_usage" ? " MB" : " s";
  const int dec = unit == " s" ? 4 : 1;
  const json ci = c.value("shift_ci", json::array({0.0, 0.0}));
  return formatDouble(c.value("good", 0.0), dec) + unit + " -> " + formatDouble(c.value("bad", 0.0), dec) + unit +
         ", " + formatPercent(c.value("shift", 0.0)) + " (interval " + formatPercent(ci[0].get<double>()) + " to " +
         formatPercent(ci[1].get<double>()) + ", " + std::to_string(c.value("runs", 0)) + " runs a side)";
}
}  // namespace

void renderBisect(const json& doc) {
  const std::string metric = doc.value("metric", "processing_time");
  if (doc["first_bad"].is_object()) {
    std::printf("%s %s\n", Style::paint("First bad commit:", Color::Red).c_str(), commitLine(doc["first_bad"]).c_str());
    if (doc["change"].is_object()) std::printf("  %s: %s\n", metric.c_str(), changeText(doc["change"], metric).c_str());
    for (const auto& c : doc.value("could_also_be", json::array()))
      std::printf("  or, skipped before it: %s\n", commitLine(c).c_str());
  } else {
    std::printf("%s\n", Style::paint(doc.value("message", ""), Color::Green).c_str());
  }
  Table t({"STEP", "COMMIT", "VERDICT", "CHANGE", "RUNS", "SUBJECT"});
  int k = 0;
  for (const auto& st : doc.value("steps", json::array())) {
    const json c = st.value("change", json::object());
    t.add({std::to_string(++k), st.value("commit", "").substr(0, 10), st.value("verdict", ""),
           c.contains("shift") ? formatPercent(c.value("shift", 0.0)) : "-",
           c.contains("runs") ? std::to_string(c.value("runs", 0)) : "-", st.value("subject", "")});
  }
  std::printf("\n");
  t.print();
  const json skipped = doc.value("skipped", json::array());
  std::printf("\n%zu of %d commits measured against the good one %s; %zu skipped.\n", doc["steps"].size(),
              doc.value("commits_between", 0), doc["good"].value("commit", "").substr(0, 10).c_str(), skipped.size());
  for (const auto& s : skipped)
    std::printf("  skipped %s: %s\n", s.value("commit", "").substr(0, 10).c_str(), s.value("reason", "").c_str());
}

void renderCompare(const json& doc) {
  const json a = doc.value("a", json::object()), b = doc.value("b", json::object());
  std::printf("A: %s (%d records)\nB: %s (%d records)\nlast %d days of each; ratio = B / A\n\n",
              a.value("label", "").c_str(), a.value("records", 0), b.value("label", "").c_str(), b.value("records", 0),
              doc.value("days", 0));
  Table t({"SCENARIO", "METRIC", "A", "B", "RATIO", "INTERVAL", "VERDICT"});
  for (const auto& c : doc.value("comparisons", json::array())) {
    const std::string unit = c.value("unit", "");
    const int dec = unit == "s" ? 4 : 1;
    const std::string verdict = c.value("verdict", "");
    const std::string shown = verdict == "slower"   ? Style::paint(verdict, Color::Red)
                              : verdict == "faster" ? Style::paint(verdict, Color::Green)
                                                    : verdict;
    const json ci = c.value("ratio_ci", json::array());
    t.add({c.value("scenario", ""), c.value("metric", ""), formatDouble(c.value("a_median", 0.0), dec) + " " + unit,
           formatDouble(c.value("b_median", 0.0), dec) + " " + unit,
           c.contains("ratio") ? formatDouble(c.value("ratio", 0.0), 3) : "-",
           ci.size() == 2 ? formatDouble(ci[0].get<double>(), 3) + " - " + formatDouble(ci[1].get<double>(), 3) : "-",
           shown});
  }
  t.print();
  const json fa = a.value("fingerprint", json::object()), fb = b.value("fingerprint", json::object());
  if (!fa.empty() || !fb.empty()) {
    std::printf("\n");
    const json differs = doc.value("fingerprint_differences", json::array());
    Table f({"MACHINE", "A", "B", ""});
    for (const char* field : {"cpu_model", "cores", "kernel", "governor"}) {
      auto text = [&](const json& j) { return j.contains(field) ? (j[field].is_string() ? j[field].get<std::string>() : j[field].dump()) : std::string("-"); };
      const bool differ = std::find(differs.begin(), differs.end(), field) != differs.end();
      f.add({field, text(fa), text(fb), differ ? Style::paint("differs", Color::Yellow) : ""});
    }
    f.print();
  }
  for (const auto& c : doc.value("too_few_records", json::array()))
    std::printf("%s %s: fewer than 3 records on a side, no verdict (give --days more)\n",
                c.value("scenario", "").c_str(), c.value("metric", "").c_str());
  for (const char* key : {"only_in_a", "only_in_b"})
    for (const auto& s : doc.value(key, json::array()))
      std::printf("%s only in %s\n", s.get<std::string>().c_str(), key[8] == 'a' ? "A" : "B");
}

}  // namespace giflab::cli
