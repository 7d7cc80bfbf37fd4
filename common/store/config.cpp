#include "common/store/config.hpp"

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unistd.h>

#include "common/store/atomic_file.hpp"
#include "common/base/error.hpp"
#include "common/base/text.hpp"

namespace giflab {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

const char* typeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "something else";
  }
}

// Reads one JSON object's keys against a list of known ones, so that every
// message carries the file and the full key path.
class ObjectReader {
 public:
  ObjectReader(const json& obj, std::string path, const std::string& file,
               std::vector<std::string> known)
      : obj_(obj), path_(std::move(path)), file_(file), known_(std::move(known)) {
    if (!obj_.is_object()) fail(path_.empty() ? "(top level)" : path_, "expected an object", obj_);
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      if (std::find(known_.begin(), known_.end(), it.key()) != known_.end()) continue;
      std::string best;
      size_t bestDist = 3;
      for (const auto& k : known_) {
        const size_t d = editDistance(it.key(), k);
        if (d < bestDist) bestDist = d, best = k;
      }
      std::string msg = "unknown key";
      msg += best.empty() ? "; known keys: " + join(known_) : "; did you mean \"" + best + "\"?";
      throw Error(ErrorKind::Config, file_ + ": " + keyPath(it.key()) + ": " + msg);
    }
  }

  std::string keyPath(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  bool has(const std::string& key) const { return obj_.contains(key); }
  const json& raw(const std::string& key) const { return obj_.at(key); }

  void boolean(const std::string& key, bool& out) const {
    if (!has(key)) return;
    const json& v = obj_.at(key);
    if (!v.is_boolean()) fail(keyPath(key), "expected true or false", v);
    out = v.get<bool>();
  }
  void number(const std::string& key, double& out, double lo, double hi, bool loOpen = false) const {
    if (!has(key)) return;
    const json& v = obj_.at(key);
    const std::string range = std::string("a number ") + (loOpen ? "above " : "from ") + fmt(lo) +
                              " up to " + fmt(hi);
    if (!v.is_number()) fail(keyPath(key), "expected " + range, v);
    const double d = v.get<double>();
    if (!std::isfinite(d) || d > hi || d < lo || (loOpen && d == lo)) fail(keyPath(key), "expected " + range, v);
    out = d;
  }
  template <typename Int>
  void integer(const std::string& key, Int& out, long lo, long hi) const {
    if (!has(key)) return;
    const json& v = obj_.at(key);
    const std::string range = "a whole number from " + std::to_string(lo) + " to " + std::to_string(hi);
    if (!v.is_number_integer()) fail(keyPath(key), "expected " + range, v);
    const long long n = v.get<long long>();
    if (n < lo || n > hi) fail(keyPath(key), "expected " + range, v);
    out = static_cast<Int>(n);
  }
  void string(const std::string& key, std::string& out, size_t maxLen = 4096) const {
    if (!has(key)) return;
    const json& v = obj_.at(key);
    if (!v.is_string()) fail(keyPath(key), "expected a string", v);
    out = v.get<std::string>();
    if (out.size() > maxLen) fail(keyPath(key), "expected at most " + std::to_string(maxLen) + " characters", v);
  }

  [[noreturn]] void fail(const std::string& keyPath, const std::string& what, const json& got) const {
    std::string shown = got.dump();
    if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
    throw Error(ErrorKind::Config,
                file_ + ": " + keyPath + ": " + what + ", got " + typeName(got) + " " + shown);
  }
  [[noreturn]] void failText(const std::string& keyPath, const std::string& what) const {
    throw Error(ErrorKind::Config, file_ + ": " + keyPath + ": " + what);
  }

 private:
  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& k : v) s += (s.empty() ? "" : ", ") + k;
    return s;
  }
  static std::string fmt(double d) {
    std::ostringstream os;
    os << d;
    return os.str();
  }
  const json& obj_;
  std::string path_;
  const std::string& file_;
  std::vector<std::string> known_;
};

fs::path resolveAgainst(const fs::path& base, const std::string& p) {
  fs::path path(p);
  if (path.is_absolute() || base.empty()) return path;
  return (base / path).lexically_normal();
}

void readPerformance(const ObjectReader& top, const std::string& file, PerformanceSettings& p) {
  if (!top.has("performance")) return;
  ObjectReader r(top.raw("performance"), "performance", file,
                 {"enabled", "regression_threshold", "confidence_level", "monitoring_interval",
                  "max_history_days", "fail_ci_on_regression", "ci_regression_threshold", "validate_phase6",
                  "phase6_baseline_speedup", "phase6_regression_alert", "admin_group", "control",
                  "close_after_cycles", "adaptive_interval", "min_iterations"});
  r.boolean("enabled", p.enabled);
  r.number("regression_threshold", p.regression_threshold, 0.0, 10.0, true);
  if (r.has("confidence_level")) {
    const json& v = r.raw("confidence_level");
    if (!v.is_number() || (v.get<double>() != 0.95 && v.get<double>() != 0.99))
      r.fail("performance.confidence_level", "expected 0.95 or 0.99", v);
    p.confidence_level = v.get<double>();
  }
  r.integer("monitoring_interval", p.monitoring_interval, 1, 31L * 24 * 3600);
  r.integer("max_history_days", p.max_history_days, 1, 3650);
  r.integer("close_after_cycles", p.close_after_cycles, 1, 100);
  r.integer("min_iterations", p.min_iterations, 1, 1000);
  if (r.has("adaptive_interval")) {
    ObjectReader a(r.raw("adaptive_interval"), "performance.adaptive_interval", file, {"min", "max"});
    if (!a.has("min") || !a.has("max"))
      a.failText("performance.adaptive_interval", "give both \"min\" and \"max\" in seconds, e.g. {\"min\": 300, \"max\": 3600}");
    a.integer("min", p.adaptive_min, 1, 31L * 24 * 3600);
    a.integer("max", p.adaptive_max, 1, 31L * 24 * 3600);
    if (p.adaptive_max < p.adaptive_min)
      a.failText("performance.adaptive_interval.max", "must be at least min (" + std::to_string(p.adaptive_min) + ")");
  }
  r.boolean("fail_ci_on_regression", p.fail_ci_on_regression);
  r.number("ci_regression_threshold", p.ci_regression_threshold, 0.0, 10.0, true);
  r.boolean("validate_phase6", p.validate_phase6);
  r.number("phase6_baseline_speedup", p.phase6_baseline_speedup, 0.0, 1e6, true);
  r.number("phase6_regression_alert", p.phase6_regression_alert, 0.0, 1.0, true);
  if (r.has("control")) {
    ObjectReader control(r.raw("control"), "performance.control", file, {"scenario"});
    control.string("scenario", p.control_scenario, 64);
    if (p.control_scenario.empty())
      control.failText("performance.control.scenario",
                       "name one of the scenarios, or leave \"control\" out for the built-in control");
  }
  r.string("admin_group", p.admin_group, 32);
  const auto& g = p.admin_group;
  if (g.empty() || !std::all_of(g.begin(), g.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
      }))
    r.failText("performance.admin_group", "expected a group name (letters, digits, _ - .), got \"" + g + "\"");
}

// An argv: a non-empty list of strings with a program name.
std::vector<std::string> readArgv(const ObjectReader& r, const std::string& key, const std::string& what) {
  const std::string path = r.keyPath(key);
  if (!r.has(key)) r.failText(path, "missing; give " + what + " as a list");
  const json& cmd = r.raw(key);
  if (!cmd.is_array() || cmd.empty()) r.fail(path, "expected a non-empty list of strings", cmd);
  std::vector<std::string> argv;
  for (size_t i = 0; i < cmd.size(); ++i) {
    if (!cmd[i].is_string()) r.fail(path + "[" + std::to_string(i) + "]", "expected a string", cmd[i]);
    argv.push_back(cmd[i].get<std::string>());
  }
  if (argv.front().empty()) r.failText(path + "[0]", "the program name is empty");
  return argv;
}

// A relative program path (./bench.sh) is relative to the config, like
// data; one in the checkout under test is filled in by bisect.
void resolveProgram(std::vector<std::string>& argv, const fs::path& base) {
  std::string& program = argv.front();
  if (program.find('/') != std::string::npos && program.rfind(kWorktreePlaceholder, 0) != 0)
    program = resolveAgainst(base, program).string();
}

Scenario readScenario(const json& v, size_t index, const std::string& file, const fs::path& base) {
  const std::string path = "scenarios[" + std::to_string(index) + "]";
  ObjectReader r(v, path, file,
                 {"name", "description", "command", "data_pattern", "expected_files", "max_frames",
                  "iterations", "warmup", "timeout", "monitored", "version_command", "budget"});
  Scenario s;
  if (!r.has("name")) r.failText(path + ".name", "missing; every scenario needs a name");
  r.string("name", s.name, 64);
  if (!isValidScenarioName(s.name))
    r.failText(path + ".name", "\"" + s.name + "\" is not a valid name: use 1 to 64 letters, digits, '_', '.' or '-'");
  r.string("description", s.description);
  s.command = readArgv(r, "command", "the program and its arguments");
  if (r.has("version_command")) {
    s.version_command = readArgv(r, "version_command", "a program that prints the version, and its arguments");
    resolveProgram(s.version_command, base);
  }
  std::string pattern;
  r.string("data_pattern", pattern);
  if (!pattern.empty())
    s.data_pattern = pattern.rfind(kWorktreePlaceholder, 0) == 0 ? pattern : resolveAgainst(base, pattern).string();
  s.expected_files = pattern.empty() ? 0 : 1;
  r.integer("expected_files", s.expected_files, 0, 100000);
  r.integer("max_frames", s.max_frames, 0, 1000000);
  r.integer("iterations", s.iterations, 1, 1000);
  r.integer("warmup", s.warmup, 0, 100);
  r.number("timeout", s.timeout, 0.0, 86400.0, true);
  r.boolean("monitored", s.monitored);
  if (r.has("budget")) {
    ObjectReader b(r.raw("budget"), path + ".budget", file, {"processing_time", "memory_usage"});
    double seconds = 0, megabytes = 0;
    b.number("processing_time", seconds, 0.0, 86400.0, true);
    b.number("memory_usage", megabytes, 0.0, 1e7, true);
    if (b.has("processing_time")) s.budget.processingTime = seconds;
    if (b.has("memory_usage")) s.budget.memoryUsage = megabytes;
    if (s.budget.empty())
      b.failText(path + ".budget", "give \"processing_time\" (seconds) or \"memory_usage\" (MB), or leave it out");
  }
  resolveProgram(s.command, base);
  return s;
}

}  // namespace

std::string hostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || !name[0]) return "localhost";
  std::string host = name;
  // A record's environment is a name: the host's, kept to what a name may hold.
  for (char& c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) c = '_';
  return host.substr(0, 64);
}

bool isValidScenarioName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

const Scenario* Config::findScenario(const std::string& name) const {
  for (const auto& s : scenarios)
    if (s.name == name) return &s;
  return nullptr;
}

Config parseConfig(const std::string& text, const fs::path& source) {
  const std::string file = source.empty() ? "(config)" : source.string();
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {  // syntax, or a number too large to hold
    throw Error(ErrorKind::Config, file + ": not valid JSON (" + std::string(e.what()) +
                                       "); fix the syntax, e.g. check with: jq . " + file);
  }
  ObjectReader top(doc, "", file,
                   {"performance", "scenarios", "phase6", "prometheus", "version_command", "repository",
                    "environment"});
  Config c;
  c.source = source;
  const fs::path base = source.empty() ? fs::path() : fs::absolute(source).parent_path();
  if (top.has("version_command")) {
    c.version_command = readArgv(top, "version_command", "a program that prints the version, and its arguments");
    resolveProgram(c.version_command, base);
  }
  top.string("environment", c.environment, 64);
  if (top.has("environment") && (c.environment.empty() || !isValidScenarioName(c.environment)))
    top.failText("environment", "\"" + c.environment + "\" is not an environment name: use 1 to 64 letters, digits, "
                                "'_', '.' or '-' (for example \"staging\")");
  if (c.environment.empty()) c.environment = hostName();
  if (top.has("repository")) {
    std::string repository;
    top.string("repository", repository);
    if (repository.empty())
      top.failText("repository", "give the folder of the git repository the versions come from, or leave it out");
    c.repository = resolveAgainst(base, repository);
  }
  readPerformance(top, file, c.performance);
  if (top.has("scenarios")) {
    const json& arr = top.raw("scenarios");
    if (!arr.is_array()) top.fail("scenarios", "expected a list of scenario objects", arr);
    if (arr.size() > kMaxScenarios)
      top.failText("scenarios", std::to_string(arr.size()) + " scenarios; at most " + std::to_string(kMaxScenarios) +
                                    " are allowed (split the work across configs or hosts)");
    std::set<std::string> names;
    for (size_t i = 0; i < arr.size(); ++i) {
      Scenario s = readScenario(arr[i], i, file, base);
      if (!names.insert(s.name).second)
        top.failText("scenarios[" + std::to_string(i) + "].name",
                     "\"" + s.name + "\" is used twice; scenario names must be unique");
      c.scenarios.push_back(std::move(s));
    }
  }
  // The monitor measures the repository's own checkout.
  if (!c.repository.empty())
    for (auto& s : c.scenarios) s.worktree = c.repository.string();
  if (!c.performance.control_scenario.empty() && !c.findScenario(c.performance.control_scenario))
    top.failText("performance.control.scenario", "\"" + c.performance.control_scenario +
                                                    "\" is not one of the scenarios; name a scenario defined under "
                                                    "\"scenarios\" (or leave \"control\" out for the built-in control)");
  if (top.has("phase6")) {
    ObjectReader r(top.raw("phase6"), "phase6", file, {"reference", "candidate", "iterations"});
    Phase6Pair p;
    r.string("reference", p.reference, 64);
    r.string("candidate", p.candidate, 64);
    r.integer("iterations", p.iterations, 3, 1000);
    for (const auto* key : {"reference", "candidate"}) {
      const std::string& name = std::string(key) == "reference" ? p.reference : p.candidate;
      if (!c.findScenario(name))
        r.failText(std::string("phase6.") + key,
                   "\"" + name + "\" is not one of the scenarios; name a scenario defined under \"scenarios\"");
    }
    c.phase6 = p;
  }
  if (top.has("prometheus")) {
    ObjectReader r(top.raw("prometheus"), "prometheus", file, {"listen"});
    PrometheusSettings p;
    r.string("listen", p.listen, 256);
    const auto colon = p.listen.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == p.listen.size())
      r.failText("prometheus.listen", "expected \"host:port\", e.g. \"127.0.0.1:9477\", got \"" + p.listen + "\"");
    c.prometheus = p;
  }
  return c;
}

Config loadConfig(const fs::path& file) {
  std::error_code ec;
  const auto status = fs::status(file, ec);
  if (fs::exists(status) && !fs::is_regular_file(status))
    throw Error(ErrorKind::Config, file.string() + ": " + describeNonRegular(status) +
                                       ", not a config file; pass --config FILE with a JSON file");
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw Error(ErrorKind::Config,
                file.string() + ": cannot read the config file (" + std::string(std::strerror(errno)) +
                    "); create it or pass --config FILE");
  }
  // Read at most one byte past the limit: a huge file is refused unread.
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes)
    throw Error(ErrorKind::Config, file.string() + ": the config file is larger than 1 MiB; at most " +
                                       std::to_string(kMaxScenarios) + " scenarios fit the documented limits");
  Config c = parseConfig(text, file);
  applyEnvironmentOverrides(c);
  return c;
}

void applyEnvironmentOverrides(Config& config) {
  auto apply = [](const char* var, bool& target) {
    const char* v = std::getenv(var);
    if (!v || !*v) return;
    std::string s(v);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (s == "true" || s == "1" || s == "yes") target = true;
    else if (s == "false" || s == "0" || s == "no") target = false;
    else
      throw Error(ErrorKind::Config, std::string("environment variable ") + var + "=\"" + v +
                                         "\": expected true or false");
  };
  apply("GIFLAB_ENABLE_PERFORMANCE_MONITORING", config.performance.enabled);
  apply("GIFLAB_ENABLE_PHASE6_OPTIMIZATION", config.performance.validate_phase6);
}

fs::path defaultConfigPath(bool userMode) {
  if (!userMode) return "/etc/giflab-perfd/config.json";
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return fs::path(x) / "giflab-perfd/config.json";
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "/") / ".config/giflab-perfd/config.json";
}

fs::path defaultStateDir(bool userMode) {
  if (!userMode) return "/var/lib/giflab-perfd";
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return fs::path(x) / "giflab-perfd";
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "/") / ".local/state/giflab-perfd";
}

}  // namespace giflab
