#include "bench/eval/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <sstream>

#include "common/detect/analysis.hpp"
#include "common/detect/detection.hpp"
#include "common/detect/level_step.hpp"
#include "common/detect/machine.hpp"
#include "common/detect/sequential.hpp"
#include "common/detect/stats.hpp"
#include "common/detect/swing.hpp"

namespace giflab::eval {
using nlohmann::json;
namespace fs = std::filesystem;

const char* ruleName(Rule r) {
  switch (r) {
    case Rule::Ours: return "giflab-perfd";
    case Rule::Design: return "design rule (mean > +10 %)";
    case Rule::ZScore: return "z-score (|z| > 5, last 100)";
    case Rule::OursRaw: return "giflab-perfd without the control";
    case Rule::OursFixed: return "giflab-perfd, fixed runs";
  }
  return "?";
}

const char* noiseName(Noise n) {
  switch (n) {
    case Noise::LogNormal: return "log-normal";
    case Noise::Bimodal: return "bimodal";
    case Noise::Outliers: return "outliers";
    case Noise::Drift: return "slow drift";
  }
  return "?";
}

namespace {

constexpr double kThreshold = 0.10;    // the design's regression_threshold, for every rule
constexpr double kConfidence = 0.95;
constexpr size_t kBaselineSamples = 10;
constexpr size_t kWindowSingle = 5;    // current samples per check when a run gives one value: the last 5 runs, as 5 iterations

// The re-measure and confirmation samples of a simulated cycle: runs the
// product would make on demand, drawn from the same distribution.
struct Extra {
  std::vector<std::vector<double>> remeasure, rerun, rerunRemeasure;
  // The control's runs beside each of those (machine drift only).
  std::vector<std::vector<double>> controlRemeasure, controlRerun, controlRerunRemeasure;
};
std::map<std::string, Extra> gExtraByName;  // by series name, filled by simulate()

double sampleOf(std::mt19937_64& rng, Noise noise, double level, double cv) {
  const double sigma = std::sqrt(std::log(1 + cv * cv));
  std::lognormal_distribution<double> ln(std::log(level), sigma);
  std::uniform_real_distribution<double> u(0, 1);
  double v = ln(rng);
  switch (noise) {
    case Noise::Bimodal:
      if (u(rng) < 0.3) v *= 1 + 3 * cv;  // a second mode, as on hybrid CPUs and noisy neighbours
      break;
    case Noise::Outliers:
      if (u(rng) < 0.03) v *= 1.5 + 1.5 * u(rng);  // one run in 33 hit by something else
      break;
    default: break;
  }
  return v;
}

double level(const SimSpec& s, size_t cycle) {
  double l = 1.0;
  if (s.noise == Noise::Drift && cycle >= s.stepAt) l *= 1 + 0.005 * static_cast<double>(cycle - s.stepAt + 1);
  if (s.step != 0 && cycle >= s.stepAt) l *= 1 + s.step;
  return l;
}

double mean(const std::vector<double>& v) { return stats::mean(v); }

}  // namespace

Series simulate(const SimSpec& spec, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Series s;
  std::ostringstream name;
  name << "sim-" << noiseName(spec.noise) << "-cv" << spec.cv << "-step" << spec.step << (spec.machineDrift ? "-drift" : "")
       << "-" << seed;
  s.name = name.str();
  s.cv = spec.cv;
  s.stepSize = spec.step;
  if (spec.step != 0 || spec.noise == Noise::Drift) s.changes = {spec.stepAt};
  Extra extra;
  // The machine: a random walk of its log speed (1 % a cycle), a jump of up
  // to 25 % in one cycle of ten, kept within +-25 %; within a cycle each
  // round wobbles (sharedWobble) for the scenario and the control alike.
  std::normal_distribution<double> walk(0, 0.01), wobble(0, spec.sharedWobble);
  std::uniform_real_distribution<double> u(0, 1), jump(-0.25, 0.25);
  double logSpeed = 0;
  for (size_t c = 0; c < spec.cycles; ++c) {
    if (spec.machineDrift) {
      logSpeed += walk(rng);
      if (u(rng) < 0.1) logSpeed = std::log(1 + jump(rng));
      logSpeed = std::clamp(logSpeed, std::log(0.75), std::log(1.25));
    }
    const double machine = std::exp(logSpeed);
    // One set of runs and the control's beside it: round r's wobble slows
    // the scenario's run and the control's alike.
    auto drawSet = [&](std::vector<std::vector<double>>& runs, std::vector<std::vector<double>>* control) {
      std::vector<double> v(spec.iterations), k(spec.iterations);
      for (size_t r = 0; r < spec.iterations; ++r) {
        const double now = machine * (spec.machineDrift ? std::exp(wobble(rng)) : 1.0);
        v[r] = sampleOf(rng, spec.noise, level(spec, c), spec.cv) * now;
        if (control)
          k[r] = (sampleOf(rng, Noise::LogNormal, 0.03, spec.controlOwnCv) +
                  sampleOf(rng, Noise::LogNormal, 0.03, spec.controlOwnCv)) / 2 * now;
      }
      runs.push_back(std::move(v));
      if (control) control->push_back(std::move(k));
    };
    const bool withControl = spec.machineDrift;
    drawSet(s.cycles, withControl ? &s.control : nullptr);
    drawSet(extra.remeasure, withControl ? &extra.controlRemeasure : nullptr);
    drawSet(extra.rerun, withControl ? &extra.controlRerun : nullptr);
    drawSet(extra.rerunRemeasure, withControl ? &extra.controlRerunRemeasure : nullptr);
  }
  gExtraByName[s.name] = std::move(extra);
  return s;
}

OnlineResult runOnline(Rule rule, const Series& s, bool slowdownsOnly) {
  OnlineResult out;
  const size_t perCycle = s.cycles.empty() ? 1 : s.cycles.front().size();
  const size_t baselineCycles = std::max<size_t>(1, (kBaselineSamples + perCycle - 1) / perCycle);
  const Extra* extra = gExtraByName.count(s.name) ? &gExtraByName.at(s.name) : nullptr;
  const DetectionPolicy policy{kThreshold, kConfidence};

  std::vector<double> baseline, baselineControl;
  const bool useControl = (rule == Rule::Ours || rule == Rule::OursFixed) && !s.control.empty();
  // The sequential check looks after 3, 4 and 5 runs (the simulator's
  // iterations); the public data give one value a run, a window of 5.
  const bool sequential = rule == Rule::Ours && perCycle >= 3;
  const LookPlan looks{3, perCycle};
  size_t checksFrom = 0;
  // The product's baselines set the runs before a change of level aside and
  // measure on (level_step.hpp): here, whole cycles more, up to twice the
  // baseline's runs. The design's rule takes its cycles as they come.
  const bool product = rule == Rule::Ours || rule == Rule::OursFixed || rule == Rule::OursRaw;
  auto rebase = [&](size_t from) {
    baseline.clear();
    baselineControl.clear();
    size_t c = from, measured = 0;
    auto take = [&] {
      baseline.insert(baseline.end(), s.cycles[c].begin(), s.cycles[c].end());
      if (useControl) baselineControl.insert(baselineControl.end(), s.control[c].begin(), s.control[c].end());
      measured += s.cycles[c].size();
      ++c;
    };
    for (; c < std::min(s.cycles.size(), from + baselineCycles);) take();
    while (product) {
      if (const auto step = levelStep(baseline, kThreshold)) {
        const auto aside = static_cast<long>(step->firstOfNewLevel);
        baseline.erase(baseline.begin(), baseline.begin() + aside);
        if (useControl) baselineControl.erase(baselineControl.begin(), baselineControl.begin() + aside);
      }
      if (baseline.size() >= kBaselineSamples || measured >= 2 * kBaselineSamples || c >= s.cycles.size()) break;
      take();
    }
    checksFrom = c;
  };
  rebase(0);
  bool pending = false, firing = false;
  size_t pendingAt = 0;
  std::vector<CheckChange> timeChanges;  // the last checks' changes, for the swing (swing.hpp)
  std::vector<double> aggregates;  // per-cycle means, for the z-score
  for (size_t c = 0; c < s.cycles.size(); ++c) {
    const double agg = mean(s.cycles[c]);
    if (rule == Rule::ZScore) {
      if (aggregates.size() >= 5) {
        const size_t from = aggregates.size() > 100 ? aggregates.size() - 100 : 0;
        const std::vector<double> prev(aggregates.begin() + static_cast<long>(from), aggregates.end());
        const double m = stats::mean(prev), sd = stats::sampleStd(prev);
        const double z = sd > 0 ? (agg - m) / sd : 0;
        const bool now = (slowdownsOnly ? z : std::fabs(z)) > 5;
        ++out.checks;
        if (now && !firing) out.alarms.push_back(c);
        firing = now;
      }
      aggregates.push_back(agg);
      continue;
    }
    if (c < checksFrom) continue;
    ++out.checks;
    if (rule == Rule::Design) {
      const bool now = agg > stats::mean(baseline) * (1 + kThreshold);
      if (now && !firing) {
        out.alarms.push_back(c);
        rebase(c + 1);  // the alert is looked at and the new level accepted
        firing = false;
        continue;
      }
      firing = now;
      continue;
    }
    // Ours: the product's check, its looks, measuring on when inconclusive, confirmation.
    std::vector<double> current;
    if (perCycle >= 3) {
      current = s.cycles[c];
    } else {
      if (c + 1 < checksFrom + kWindowSingle) continue;  // not enough runs since the baseline yet
      for (size_t k = c + 1 - kWindowSingle; k <= c; ++k) current.insert(current.end(), s.cycles[k].begin(), s.cycles[k].end());
    }
    // The product's verdict, relative to the control where it moved.
    auto verdict = [&](const std::vector<double>& cur, const std::vector<double>& control) {
      auto m = compareMetric(kProcessingTime, cur, baseline, policy);
      std::vector<MetricComparison*> all{&m};
      decide(all, policy);
      if (!useControl) return m;
      const auto machine = machineFactor(control, baselineControl, policy.confidence);
      if (!machine.measured) return m;
      auto corrected = compareRelativeToMachine(cur, baseline, control, baselineControl, machine, policy);
      std::vector<MetricComparison*> one{&corrected};
      decide(one, policy);
      corrected.verdict = machineVerdict(m.verdict, corrected.verdict);
      return corrected;
    };
    auto prefix = [](const std::vector<double>& v, size_t n) {
      return std::vector<double>(v.begin(), v.begin() + static_cast<long>(std::min(n, v.size())));
    };
    // A check measures in rounds and stops at the first settled look
    // (sequential), or takes all its runs; inconclusive at the last look, it
    // measures up to as many runs again, once.
    static const std::vector<double> kNone;
    auto lookUntilSettled = [&](const std::vector<double>& samples, const std::vector<double>& control,
                                const LookPlan& plan, size_t& runs) {
      MetricComparison m;
      for (runs = sequential ? plan.minRuns : samples.size(); runs <= samples.size(); ++runs) {
        m = verdict(prefix(samples, runs), prefix(control, runs));
        if (!sequential || settleAtLook(m, runs, plan, policy)) break;
      }
      runs = std::min(runs, samples.size());
      return m;
    };
    size_t runs = 0;  // of the last check
    auto check = [&](std::vector<double> samples, std::vector<double> control, const std::vector<double>* again,
                     const std::vector<double>* controlAgain) {
      MetricComparison m = lookUntilSettled(samples, control, looks, runs);
      if (m.verdict == Verdict::Inconclusive && again) {
        ++out.remeasures;
        const size_t first = samples.size();
        samples.insert(samples.end(), again->begin(), again->end());
        if (controlAgain) control.insert(control.end(), controlAgain->begin(), controlAgain->end());
        m = lookUntilSettled(samples, control, LookPlan{first + 1, samples.size()}, runs);
      }
      out.runs += runs;
      return m;
    };
    const bool drift = useControl && extra;
    const MetricComparison first = check(current, useControl ? s.control[c] : kNone,
                                         extra ? &extra->remeasure[c] : nullptr,
                                         drift ? &extra->controlRemeasure[c] : nullptr);
    const Verdict v = first.verdict;
    out.checkRuns.resize(s.cycles.size());
    out.checkRuns[c] = runs;
    // Confirmation needs independent samples: a re-run (simulator), or the
    // next cycle. With one value per run a cycle is the last 5 runs, so the
    // next cycle is the next 5 runs: a window that shares none with the first.
    const size_t independentFrom = perCycle >= 3 ? pendingAt + 1 : pendingAt + kWindowSingle;
    if (v == Verdict::Regressed) {
      // As the monitor (needingTheNextCycle): a swinging series' borderline
      // first sighting needs the re-run and the next cycle; a re-run that
      // finds it back ends it.
      const bool nextCycleToo = !pending && first.shiftLow < kThreshold &&
                                !oneCycleCanTell(timeChanges, kThreshold, kConfidence);
      bool confirmed = pending && c >= independentFrom, ended = false;
      if (!confirmed && extra) {
        const Verdict again = check(extra->rerun[c], drift ? extra->controlRerun[c] : kNone, &extra->rerunRemeasure[c],
                                    drift ? &extra->controlRerunRemeasure[c] : nullptr)
                                  .verdict;
        confirmed = again == Verdict::Regressed && !nextCycleToo;
        ended = nextCycleToo && (again == Verdict::NotRegressed || again == Verdict::Environment);
      }
      if (confirmed) {
        out.alarms.push_back(c);
        pending = false;
        rebase(c + 1);
      } else if (!pending && !ended) {
        pending = true;
        pendingAt = c;
      }
    } else if (v == Verdict::NotRegressed || v == Verdict::Environment) {
      pending = false;  // as the monitor does (applyCheck): only an undecided check keeps a first sighting
    }
    if (product && std::isfinite(first.relativeChange)) {
      timeChanges.push_back({first.relativeChange, (first.shiftHigh - first.shiftLow) / 2});
      if (timeChanges.size() > kSwingWindow) timeChanges.erase(timeChanges.begin());
    }
  }
  return out;
}

std::vector<size_t> changePoints(Rule rule, const Series& s) {
  if (rule != Rule::Ours && rule != Rule::OursRaw && rule != Rule::OursFixed) return runOnline(rule, s).alarms;
  std::vector<double> medians;
  for (const auto& c : s.cycles) medians.push_back(stats::median(c));
  std::vector<size_t> out;
  for (const auto& cp : detectChangePoints(medians)) out.push_back(cp.index);
  return out;
}

double tcpdF1(const std::map<std::string, std::vector<size_t>>& annotations, std::vector<size_t> predictions,
              size_t margin) {
  auto truePositives = [margin](const std::set<size_t>& truth, std::set<size_t> x) {
    size_t tp = 0;
    for (size_t tau : truth) {
      size_t best = 0, bestDist = SIZE_MAX;
      for (size_t p : x) {
        const size_t d = p > tau ? p - tau : tau - p;
        if (d <= margin && d < bestDist) bestDist = d, best = p;
      }
      if (bestDist == SIZE_MAX) continue;
      ++tp;
      x.erase(best);
    }
    return tp;
  };
  std::set<size_t> x(predictions.begin(), predictions.end());
  x.insert(0);
  std::set<size_t> all;
  std::vector<std::set<size_t>> perAnnotator;
  for (const auto& [id, cps] : annotations) {
    std::set<size_t> t(cps.begin(), cps.end());
    t.insert(0);
    all.insert(t.begin(), t.end());
    perAnnotator.push_back(t);
  }
  if (perAnnotator.empty()) perAnnotator.push_back({0}), all.insert(0);
  const double precision = static_cast<double>(truePositives(all, x)) / static_cast<double>(x.size());
  double recall = 0;
  for (const auto& t : perAnnotator) recall += static_cast<double>(truePositives(t, x)) / static_cast<double>(t.size());
  recall /= static_cast<double>(perAnnotator.size());
  return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
}

namespace {

// Every value as a time in ns, so that up is slower for every suite:
// throughput units (Benchmark.js ops/sec, pytest-benchmark iter/sec, JMH
// ops/s) are inverted, and Catch2's series switch between us and ns.
// nullopt for a unit that is neither (Go's auxiliary metrics).
std::optional<double> asNanoseconds(double value, const std::string& unit) {
  auto startsWith = [&](const char* prefix) { return unit.rfind(prefix, 0) == 0; };
  if (startsWith("ops/s") || startsWith("iter/s")) return value > 0 ? std::optional(1e9 / value) : std::nullopt;
  if (startsWith("ns")) return value;
  if (startsWith("us")) return value * 1e3;
  if (startsWith("ms")) return value * 1e6;
  if (unit == "s" || startsWith("s/")) return value * 1e9;
  return std::nullopt;
}

}  // namespace

std::vector<Series> loadGithubActionBenchmark(const fs::path& dir) {
  std::vector<Series> out;
  std::ifstream in(dir / "github_action_benchmark/data.json");
  if (!in) return out;
  const json doc = json::parse(in);
  for (const auto& [suite, entries] : doc.at("entries").items()) {
    std::map<std::string, Series> bySeries;
    std::vector<std::string> order;
    for (const auto& e : entries)
      for (const auto& b : e.at("benches")) {
        const std::string name = suite + "/" + b.at("name").get<std::string>();
        if (!bySeries.count(name)) order.push_back(name), bySeries[name].name = name;
        if (!b.at("value").is_number()) continue;
        const auto ns = asNanoseconds(b.at("value").get<double>(), b.value("unit", ""));
        if (ns) bySeries[name].cycles.push_back({*ns});
      }
    for (const auto& n : order)
      if (bySeries[n].cycles.size() >= 20) out.push_back(std::move(bySeries[n]));
  }
  return out;
}

std::vector<Series> loadMongodbRealSeries(const fs::path& dir) {
  std::ifstream in(dir / "mongodb_signal_processing/real_series.json");
  if (!in) return {};
  const json doc = json::parse(in);
  Series s;
  s.name = "mongodb/real_series";
  for (const auto& v : doc) s.cycles.push_back({v.get<double>()});
  return {s};
}

std::vector<TcpdSeries> loadTcpd(const fs::path& dir) {
  std::vector<TcpdSeries> out;
  std::ifstream ain(dir / "tcpd/annotations.json");
  if (!ain) return out;
  const json ann = json::parse(ain);
  for (const auto& [name, byAnnotator] : ann.items()) {
    std::ifstream in(dir / "tcpd/datasets" / (name + ".json"));
    if (!in) continue;  // the ten series whose data is not shipped
    const json d = json::parse(in);
    const auto& raw = d.at("series").at(0).at("raw");
    TcpdSeries t;
    t.series.name = "tcpd/" + name;
    std::vector<size_t> dropped;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i].is_number()) t.series.cycles.push_back({raw[i].get<double>()});
      else dropped.push_back(i);
    }
    for (const auto& [id, cps] : byAnnotator.items()) {
      std::vector<size_t> shifted;
      for (const auto& cp : cps) {
        size_t idx = cp.get<size_t>();
        idx -= static_cast<size_t>(std::count_if(dropped.begin(), dropped.end(), [&](size_t x) { return x < idx; }));
        shifted.push_back(idx);
      }
      t.annotations[id] = shifted;
    }
    out.push_back(std::move(t));
  }
  return out;
}

namespace {

void scoreUnchanged(Rule rule, const std::vector<Series>& set, RuleScores& sc, bool slowdownsOnly = false) {
  for (const auto& s : set) {
    const auto r = runOnline(rule, s, slowdownsOnly);
    sc.checks += r.checks;
    sc.alarms += r.alarms.size();
    sc.remeasures += r.remeasures;
    sc.runs += r.runs;
  }
  sc.falseAlarmsPer100 = sc.checks ? 100.0 * static_cast<double>(sc.alarms) / static_cast<double>(sc.checks) : 0;
}

// First alarm at or after the change: its delay in cycles (1 = the change's own cycle); 0 = none within `horizon`.
size_t delayOf(const OnlineResult& r, size_t at, size_t horizon) {
  for (size_t a : r.alarms)
    if (a >= at) return a - at < horizon ? a - at + 1 : 0;
  return 0;
}

}  // namespace

Report evaluate(const fs::path& dataDir, double scale, uint64_t seed) {
  Report rep;
  const Rule rules[] = {Rule::Ours, Rule::Design, Rule::ZScore};
  const size_t reps = std::max<size_t>(4, static_cast<size_t>(200 * scale));
  uint64_t next = seed;

  // Simulator: unchanged code under four kinds of noise at CV 1-10 %.
  std::vector<Series> unchanged;
  std::map<std::string, std::vector<Series>> unchangedByNoise;
  for (Noise n : {Noise::LogNormal, Noise::Bimodal, Noise::Outliers})
    for (double cv : {0.01, 0.03, 0.05, 0.10})
      for (size_t i = 0; i < reps; ++i) {
        auto s = simulate({n, cv, 0.0}, ++next);
        unchangedByNoise[noiseName(n)].push_back(s);
        unchanged.push_back(std::move(s));
      }
  // Steps of 3-50 % at CV 1-10 %, and slow drift.
  std::vector<Series> steps;
  for (double step : {0.03, 0.05, 0.10, 0.20, 0.50})
    for (double cv : {0.01, 0.03, 0.10})
      for (size_t i = 0; i < reps; ++i) steps.push_back(simulate({Noise::LogNormal, cv, step}, ++next));
  std::vector<Series> drifts;
  for (size_t i = 0; i < reps; ++i) drifts.push_back(simulate({Noise::Drift, 0.03, 0.0}, ++next));
  rep.simSeries = unchanged.size() + steps.size() + drifts.size();
  rep.seriesPerCell = reps;

  for (Rule r : rules) {
    auto& sc = rep.simulator[r];
    scoreUnchanged(r, unchanged, sc);
    for (const auto& [noise, set] : unchangedByNoise) {
      RuleScores tmp;
      scoreUnchanged(r, set, tmp);
      rep.fprByNoise[r][noise] = tmp.falseAlarmsPer100;
    }
    size_t target = 0, targetHit = 0;
    std::vector<double> delays;
    std::map<std::string, std::pair<size_t, size_t>> bySize;
    double f1 = 0;
    size_t f1n = 0;
    for (const auto& s : steps) {
      const auto res = runOnline(r, s);
      const size_t d = delayOf(res, s.changes.front(), 2);
      std::ostringstream key;
      key << static_cast<int>(std::lround(s.stepSize * 100)) << " % at CV " << static_cast<int>(std::lround(s.cv * 100)) << " %";
      bySize[key.str()].first += d > 0;
      bySize[key.str()].second += 1;
      if (std::fabs(s.stepSize - 0.10) < 1e-9 && s.cv <= 0.03 + 1e-9) ++target, targetHit += d > 0;
      if (s.stepSize >= 0.10 - 1e-9 && s.cv <= 0.03 + 1e-9) {
        const size_t dd = delayOf(res, s.changes.front(), 30);
        if (dd) delays.push_back(static_cast<double>(dd));
      }
      f1 += tcpdF1({{"truth", s.changes}}, changePoints(r, s));
      ++f1n;
    }
    for (const auto& s : unchanged) {
      f1 += tcpdF1({{"truth", {}}}, changePoints(r, s));
      ++f1n;
    }
    for (const auto& [k, v] : bySize) rep.detectionBySize[r][k] = static_cast<double>(v.first) / static_cast<double>(v.second);
    size_t driftHit = 0;
    for (const auto& s : drifts) driftHit += delayOf(runOnline(r, s), s.changes.front(), 30) > 0;
    rep.detectionBySize[r]["slow drift +0.5 %/cycle at CV 3 %, within 30 cycles"] =
        static_cast<double>(driftHit) / static_cast<double>(drifts.size());
    sc.detectionRate = target ? static_cast<double>(targetHit) / static_cast<double>(target) : -1;
    sc.medianDelay = delays.empty() ? -1 : stats::median(delays);
    sc.f1 = f1n ? f1 / static_cast<double>(f1n) : -1;
  }

  // Runs per verdict: the sequential check against the fixed design, on the
  // same series.
  for (Rule r : {Rule::OursFixed, Rule::Ours}) {
    auto& out = rep.runsPerVerdict[r];
    RuleScores u;
    scoreUnchanged(r, unchanged, u);
    out.unchanged = u.checks ? static_cast<double>(u.runs) / static_cast<double>(u.checks) : 0;
    out.falseAlarmsPer100 = u.falseAlarmsPer100;
    double runs10 = 0, runs50 = 0;
    size_t n10 = 0, n50 = 0, hit10 = 0, within3 = 0;
    for (const auto& st : steps) {
      const bool ten = std::fabs(st.stepSize - 0.10) < 1e-9 && st.cv <= 0.03 + 1e-9;
      const bool fifty = std::fabs(st.stepSize - 0.50) < 1e-9;
      if (!ten && !fifty) continue;
      const auto res = runOnline(r, st);
      const size_t at = st.changes.front();
      const size_t runsAtStep = at < res.checkRuns.size() ? res.checkRuns[at] : 0;
      if (ten) runs10 += static_cast<double>(runsAtStep), ++n10, hit10 += delayOf(res, at, 2) > 0;
      if (fifty) {
        runs50 += static_cast<double>(runsAtStep), ++n50;
        // Regressed by the step's own check (and confirmed by its re-run: the
        // alarm is in the step's cycle) within 3 runs.
        const bool alarmedAtOnce = delayOf(res, at, 1) > 0;
        within3 += alarmedAtOnce && runsAtStep <= 3;
      }
    }
    out.step10 = n10 ? runs10 / static_cast<double>(n10) : 0;
    out.step50 = n50 ? runs50 / static_cast<double>(n50) : 0;
    out.detection10 = n10 ? static_cast<double>(hit10) / static_cast<double>(n10) : 0;
    out.step50Within3 = n50 ? static_cast<double>(within3) / static_cast<double>(n50) : 0;
  }

  // Machine drift: the same unchanged series and 10 % steps, on a machine
  // whose speed wanders and jumps, with and without the control.
  auto driftSeries = [&](double sharedWobble, double controlOwnCv) {
    std::pair<std::vector<Series>, std::vector<Series>> unchangedAndSteps;
    auto spec = [&](Noise n, double cv, double step) {
      SimSpec sp{n, cv, step};
      sp.machineDrift = true;
      sp.sharedWobble = sharedWobble;
      sp.controlOwnCv = controlOwnCv;
      return sp;
    };
    for (Noise n : {Noise::LogNormal, Noise::Bimodal, Noise::Outliers})
      for (double cv : {0.01, 0.03, 0.05, 0.10})
        for (size_t i = 0; i < reps; ++i) unchangedAndSteps.first.push_back(simulate(spec(n, cv, 0.0), ++next));
    for (double cv : {0.01, 0.03})
      for (size_t i = 0; i < reps; ++i) unchangedAndSteps.second.push_back(simulate(spec(Noise::LogNormal, cv, 0.10), ++next));
    return unchangedAndSteps;
  };
  auto scoreDrift = [&](Rule r, const std::vector<Series>& unchanged, const std::vector<Series>& steps, RuleScores& sc) {
    scoreUnchanged(r, unchanged, sc);
    size_t hit = 0;
    for (const auto& s : steps) hit += delayOf(runOnline(r, s), s.changes.front(), 2) > 0;
    sc.detectionRate = static_cast<double>(hit) / static_cast<double>(steps.size());
  };
  {
    const SimSpec defaults;
    const auto [unchangedDrift, stepsDrift] = driftSeries(defaults.sharedWobble, defaults.controlOwnCv);
    for (Rule r : {Rule::Ours, Rule::OursRaw, Rule::Design, Rule::ZScore})
      scoreDrift(r, unchangedDrift, stepsDrift, rep.machineDrift[r]);
    gExtraByName.clear();  // frees the re-measure samples of every series scored so far
    const auto [unchangedNoisy, stepsNoisy] = driftSeries(0.06, 0.10);
    scoreDrift(Rule::Ours, unchangedNoisy, stepsNoisy, rep.machineDriftNoisyControl);
  }

  // Public data.
  const auto gab = loadGithubActionBenchmark(dataDir);
  const auto mongo = loadMongodbRealSeries(dataDir);
  const auto tcpd = loadTcpd(dataDir);
  rep.gabSeries = gab.size();
  rep.tcpdSeries = tcpd.size();
  for (Rule r : rules) {
    scoreUnchanged(r, gab, rep.githubActions[r]);
    scoreUnchanged(r, mongo, rep.mongodb[r]);
    // Alarms that coincide (within 2 runs) with an alarm of another bench of
    // the same suite: suite-wide shifts, most likely runner or toolchain changes.
    std::map<std::string, std::vector<std::pair<std::string, size_t>>> bySuite;
    for (const auto& s : gab)
      for (size_t a : runOnline(r, s).alarms) bySuite[s.name.substr(0, s.name.find('/'))].push_back({s.name, a});
    size_t near = 0;
    for (const auto& [suite, alarms] : bySuite)
      for (const auto& [n, a] : alarms)
        near += std::any_of(alarms.begin(), alarms.end(), [&](const auto& o) {
          return o.first != n && (o.second > a ? o.second - a : a - o.second) <= 2;
        });
    rep.gabAlarmsNearSuiteWideShifts[r] = near;
    double f1 = 0;
    for (const auto& t : tcpd) f1 += tcpdF1(t.annotations, changePoints(r, t.series));
    rep.tcpd[r].f1 = tcpd.empty() ? -1 : f1 / static_cast<double>(tcpd.size());
  }
  rep.gabChecks = rep.githubActions[Rule::Ours].checks;
  RuleScores zSlowdowns;
  scoreUnchanged(Rule::ZScore, gab, zSlowdowns, true);
  rep.gabZScoreSlowdownsPer100 = zSlowdowns.falseAlarmsPer100;
  return rep;
}

namespace {
// A figure with d decimals; "n/a" for a negative one (not measured).
std::string fmt(double v, int d) {
  if (v < 0) return "n/a";
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(d);
  s << v;
  return s.str();
}

// A markdown table of one figure per row key and rule, rows in Ours's order.
void byRule(std::ostream& o, const char* title, const char* key,
            const std::map<Rule, std::map<std::string, double>>& figures, std::span<const Rule> rules, int decimals) {
  o << "\n" << title << ":\n\n| " << key << " |";
  for (Rule x : rules) o << " " << ruleName(x) << " |";
  o << "\n|---|---|---|---|\n";
  for (const auto& [row, v] : figures.at(Rule::Ours)) {
    o << "| " << row << " |";
    for (Rule x : rules) o << " " << fmt(figures.at(x).at(row), decimals) << " |";
    o << "\n";
  }
}
}  // namespace

std::string markdown(const Report& r, const std::string& machine) {
  std::ostringstream o;
  const Rule rules[] = {Rule::Ours, Rule::Design, Rule::ZScore};
  auto header = [&] {
    o << "| measure |";
    for (Rule x : rules) o << " " << ruleName(x) << " |";
    o << " better than both? |\n|---|---|---|---|---|\n";
  };
  // best: the best value the measure can take (no false alarm, an alarm at
  // the change's own cycle), where a tie is all any rule can do.
  auto row = [&](const std::string& name, const std::map<Rule, RuleScores>& m, double RuleScores::*field, int d,
                 bool lowerIsBetter, std::optional<double> best = std::nullopt) {
    o << "| " << name << " |";
    for (Rule x : rules) o << " " << fmt(m.at(x).*field, d) << " |";
    const double ours = m.at(Rule::Ours).*field, a = m.at(Rule::Design).*field, b = m.at(Rule::ZScore).*field;
    auto beats = [&](double peer) { return lowerIsBetter ? ours < peer : ours > peer; };
    // Compared as printed: a difference below the last digit shown is a tie.
    auto same = [&](double peer) { return fmt(ours, d) == fmt(peer, d); };
    const std::string atBest = best && fmt(ours, d) == fmt(*best, d) ? " at the best possible value" : "";
    std::string verdict = "no";
    if (beats(a) && beats(b) && !same(a) && !same(b)) verdict = "yes";
    else if (same(a) && same(b)) verdict = "tie" + atBest;
    else if ((same(a) || beats(a)) && (same(b) || beats(b)))
      verdict = std::string("tied with the ") + (same(a) ? "design rule" : "z-score") + atBest + ", ahead of the other";
    o << " " << verdict << " |\n";
  };
  o << "# Detection evaluation\n\n"
    << "Made by `scripts/eval.sh` (seeded; the same numbers every run). " << machine << "\n\n"
    << "Three detectors watch the same series cycle by cycle: **giflab-perfd** (the product's own check: "
       "a Hodges-Lehmann shift of at least 70 % of the 10 % threshold that a 99 % interval cannot rule out as below it, AND a "
       "one-sided Mann-Whitney test at 95 % with Benjamini-Hochberg, looked at after 3, 4 and 5 runs and "
       "stopped once settled, measured on when inconclusive, confirmation by a re-run or the next cycle; "
       "change points by a robust "
       "multiscale moving-sum scan), the **Phase 7 design's rule** (current mean more than 10 % above the baseline "
       "mean) and a **Conbench-style z-score** (|z| > 5 against the previous 100 results). An alarm is a "
       "regression raised (a rising edge); after each alarm the fixed baselines are rebased on the next "
       "cycles, as a user accepting the change would. Baselines hold 10 samples (what `baseline create` "
       "takes by default: twice the 5 runs of a check).\n\n";
  o << "## Simulator (" << r.simSeries << " series of 60 cycles, 5 iterations per cycle)\n\n"
    << "Unchanged code: log-normal, bimodal (30 % of runs in a second mode) and outlier (3 % of runs 1.5-3x) "
       "noise at CV 1, 3, 5 and 10 %. Steps of 3-50 % at cycle 30 at CV 1, 3 and 10 %. " << r.seriesPerCell
    << " series for each noise, CV and step. F1 with the TCPDBench score (margin 5) on the step series and "
       "the unchanged ones.\n\n";
  header();
  row("false alarms per 100 checks, unchanged code", r.simulator, &RuleScores::falseAlarmsPer100, 2, true, 0.0);
  row("10 % steps at CV <= 3 % detected within 2 cycles", r.simulator, &RuleScores::detectionRate, 3, false);
  row("median detection delay, steps >= 10 % at CV <= 3 % (cycles)", r.simulator, &RuleScores::medianDelay, 1, true, 1.0);
  row("F1 on labelled change points", r.simulator, &RuleScores::f1, 3, false);
  const auto& oursSim = r.simulator.at(Rule::Ours);
  o << "\nThe price of deciding only on enough evidence: giflab-perfd measured on past a check's 5 runs (up to "
       "as many again) "
    << fmt(oursSim.checks ? 100.0 * static_cast<double>(oursSim.remeasures) / static_cast<double>(oursSim.checks) : 0, 1)
    << " times per 100 checks of unchanged code, when a change was big enough but not yet significant, or "
       "significant with a size five runs could not settle.\n";
  byRule(o, "False alarms per 100 checks by noise", "noise", r.fprByNoise, rules, 2);
  byRule(o, "Detected within 2 cycles, by step (drift: within 30 cycles)", "change", r.detectionBySize, rules, 3);
  if (r.runsPerVerdict.count(Rule::Ours) && r.runsPerVerdict.count(Rule::OursFixed)) {
    const auto& f = r.runsPerVerdict.at(Rule::OursFixed);
    const auto& q = r.runsPerVerdict.at(Rule::Ours);
    auto share = [](double a, double b) { return b > 0 ? " (" + fmt(100 * a / b, 0) + " %)" : std::string(); };
    o << "\n## Runs per verdict: sequential against fixed (the same simulated series)\n\n"
      << "Fixed: every check takes its 5 runs, and 5 more when inconclusive (giflab-perfd before "
         "`min_iterations`). Sequential (giflab-perfd now, common/detect/sequential.hpp): looks after 3, 4 "
         "and 5 runs and stops at the first where the verdict is settled (passed by the check's own rule, "
         "regressed at the look's alpha-spending level 0.05 * (runs / 5)^3); inconclusive after 5, it goes "
         "on one run at a time up to 10, with the same looks over those. Runs of the confirming re-run of a "
         "first sighting are counted in the mean per check (unchanged code), not in the runs of the step's "
         "check. The public CI series give one value a run (a check is a window of the last 5), so "
         "the sequential check does not change their figures.\n\n"
      << "| measure | fixed | sequential |\n|---|---|---|\n"
      << "| mean runs per check, unchanged code | " << fmt(f.unchanged, 2) << " | " << fmt(q.unchanged, 2)
      << share(q.unchanged, f.unchanged) << " |\n"
      << "| mean runs of the check at a 10 % step (CV <= 3 %) | " << fmt(f.step10, 2) << " | " << fmt(q.step10, 2)
      << " |\n"
      << "| mean runs of the check at a 50 % step (CV 1-10 %) | " << fmt(f.step50, 2) << " | " << fmt(q.step50, 2)
      << " |\n"
      << "| 50 % steps found by the step's own check within 3 runs | " << fmt(f.step50Within3, 3) << " | "
      << fmt(q.step50Within3, 3) << " |\n"
      << "| false alarms per 100 checks, unchanged code | " << fmt(f.falseAlarmsPer100, 2) << " | "
      << fmt(q.falseAlarmsPer100, 2) << " |\n"
      << "| 10 % steps at CV <= 3 % detected within 2 cycles | " << fmt(f.detection10, 3) << " | "
      << fmt(q.detection10, 3) << " |\n";
  }
  if (!r.machineDrift.empty()) {
    o << "\n## Machine drift (" << r.seriesPerCell << " series per noise and CV)\n\n"
      << "The same unchanged series (log-normal, bimodal, outliers at CV 1-10 %) and 10 % steps (CV 1 and 3 %), "
         "on a machine whose speed wanders (1 % a cycle) and jumps (up to 25 % in one cycle of ten, within "
         "+-25 %): every run of a cycle, the control's too, is slowed by the same factor, and within the cycle "
         "each round's load slows the scenario's run and the control's beside it alike (a log-wobble of 3 %). "
         "The control is the mean of two runs a round, each with 2 % of its own noise: the quieter of two "
         "measurements on this machine (bench/control-noise.sh, 30 interleaved rounds of the shipped config: "
         "a shared wobble of 3.9-5.1 % and the control's own noise, its mean, 0-2.7 %; half an hour later "
         "6.5-10 % and 10-13 %). giflab-perfd judges time relative to the control, run by run; the second "
         "column is the same check without it. Like the monitor, a check whose raw regression the machine "
         "explains (environment) drops a first sighting. The last column is giflab-perfd with the noisier "
         "measurement (a shared wobble of 6 %, each control run 10 %): the control's own noise enters every "
         "ratio, so a noisy control costs false alarms and misses.\n\n"
      << "| measure | giflab-perfd | giflab-perfd without the control | design rule (mean > +10 %) | z-score (|z| > 5, last 100) | giflab-perfd, noisy control |\n"
      << "|---|---|---|---|---|---|\n";
    const Rule driftRules[] = {Rule::Ours, Rule::OursRaw, Rule::Design, Rule::ZScore};
    o << "| false alarms per 100 checks, unchanged code |";
    for (Rule x : driftRules) o << " " << fmt(r.machineDrift.at(x).falseAlarmsPer100, 2) << " |";
    o << " " << fmt(r.machineDriftNoisyControl.falseAlarmsPer100, 2) << " |";
    o << "\n| 10 % steps at CV <= 3 % detected within 2 cycles |";
    for (Rule x : driftRules) o << " " << fmt(r.machineDrift.at(x).detectionRate, 3) << " |";
    o << " " << fmt(r.machineDriftNoisyControl.detectionRate, 3) << " |";
    o << "\n";
  }
  o << "\n## github-action-benchmark: unchanged benchmark code on shared CI runners (" << r.gabSeries
    << " series, " << r.gabChecks << " checks for giflab-perfd)\n\n"
    << "Every value as a time per operation, so that up is slower in every suite: throughput (ops/sec, "
       "iter/sec, ops/s) is inverted, us and ns are put on one scale, Go's auxiliary metrics are left out. "
       "The z-score is two-sided, as the issue defines it, so it also alarms on speed-ups.\n\n";
  header();
  row("false alarms per 100 checks", r.githubActions, &RuleScores::falseAlarmsPer100, 2, true, 0.0);
  o << "\nAlarms within 2 runs of an alarm on another bench of the same suite (suite-wide shifts: runner or "
       "toolchain changes, real but environmental): ";
  for (Rule x : rules) o << ruleName(x) << " " << r.gabAlarmsNearSuiteWideShifts.at(x) << "; ";
  o << "\n\nCounting its slow-downs only, the z-score raises " << fmt(r.gabZScoreSlowdownsPer100, 2)
    << " false alarms per 100 checks.";
  o << "\n\n## MongoDB real_series: stable with outliers (1 series)\n\n";
  header();
  row("false alarms per 100 checks", r.mongodb, &RuleScores::falseAlarmsPer100, 2, true, 0.0);
  o << "\n## TCPD: human-annotated change points (" << r.tcpdSeries << " series, TCPDBench F1, margin 5)\n\n"
    << "Not performance data (mostly short, yearly or monthly, trending series): this places the change-point "
       "method, it does not measure regression detection.\n\n";
  header();
  row("mean F1", r.tcpd, &RuleScores::f1, 3, false);
  return o.str();
}

}  // namespace giflab::eval
