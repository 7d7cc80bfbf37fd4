#include <gtest/gtest.h>

#include <cstdlib>

#include "common/store/config.hpp"
#include "common/measure/scenario_runner.hpp"
#include "common/base/error.hpp"
#include "tests/test_support.hpp"

using namespace giflab;

namespace {

std::string configError(const std::string& text) {
  try {
    parseConfig(text, "/etc/x/config.json");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    return e.what();
  }
  ADD_FAILURE() << "no error for " << text;
  return "";
}

const char* kScenario = R"({"name": "s1", "command": ["true"]})";

}  // namespace

TEST(Config, DefaultsAreTheDesigns) {
  const Config c = parseConfig("{}", "/etc/x/config.json");
  EXPECT_FALSE(c.performance.enabled);
  EXPECT_DOUBLE_EQ(c.performance.regression_threshold, 0.10);
  EXPECT_DOUBLE_EQ(c.performance.confidence_level, 0.95);
  EXPECT_EQ(c.performance.monitoring_interval, 3600);
  EXPECT_EQ(c.performance.max_history_days, 30);
  EXPECT_TRUE(c.performance.fail_ci_on_regression);
  EXPECT_DOUBLE_EQ(c.performance.ci_regression_threshold, 0.15);
  EXPECT_TRUE(c.performance.validate_phase6);
  EXPECT_DOUBLE_EQ(c.performance.phase6_baseline_speedup, 5.04);
  EXPECT_DOUBLE_EQ(c.performance.phase6_regression_alert, 0.20);
  EXPECT_EQ(c.performance.admin_group, "giflab-perf");
  EXPECT_EQ(c.performance.min_iterations, 3);  // the contract's additions
  EXPECT_TRUE(c.scenarios.empty());
  EXPECT_FALSE(c.prometheus);
}

TEST(Config, TheContractsExampleParses) {
  const Config c = parseConfig(R"({"performance": {"enabled": false, "regression_threshold": 0.10, "confidence_level": 0.95,
                 "monitoring_interval": 3600, "max_history_days": 30,
                 "fail_ci_on_regression": true, "ci_regression_threshold": 0.15,
                 "validate_phase6": true, "phase6_baseline_speedup": 5.04, "phase6_regression_alert": 0.20,
                 "admin_group": "giflab-perf"},
 "scenarios": [{"name": "continuous_small_gif", "description": "Small GIF continuous monitoring",
                "command": ["gifsicle", "-O3", "--lossy=80", "{input}", "-o", "{output}"],
                "data_pattern": "data/sample_gifs/small_*.gif", "expected_files": 2, "max_frames": 20,
                "iterations": 5, "timeout": 60}],
 "prometheus": {"listen": "127.0.0.1:9477"}})",
                               "/etc/giflab-perfd/config.json");
  ASSERT_EQ(c.scenarios.size(), 1u);
  const auto& s = c.scenarios[0];
  EXPECT_EQ(s.name, "continuous_small_gif");
  EXPECT_EQ(s.command.size(), 6u);
  // Relative paths resolve against the config file's folder.
  EXPECT_EQ(s.data_pattern, "/etc/giflab-perfd/data/sample_gifs/small_*.gif");
  EXPECT_EQ(s.expected_files, 2);
  EXPECT_EQ(s.max_frames, 20);
  EXPECT_DOUBLE_EQ(s.timeout, 60);
  ASSERT_TRUE(c.prometheus);
  EXPECT_EQ(c.prometheus->listen, "127.0.0.1:9477");
}

TEST(Config, MonitoringIntervalFromOneSecond) {
  EXPECT_EQ(parseConfig(R"({"performance": {"monitoring_interval": 1}})", "").performance.monitoring_interval, 1);
  EXPECT_NE(configError(R"({"performance": {"monitoring_interval": 0}})").find("performance.monitoring_interval"),
            std::string::npos);
}

TEST(Config, ErrorsNameFileKeyPathAndWhatIsAccepted) {
  auto e = configError(R"({"performance": {"regression_threshold": "high"}})");
  EXPECT_NE(e.find("/etc/x/config.json"), std::string::npos) << e;
  EXPECT_NE(e.find("performance.regression_threshold"), std::string::npos) << e;
  EXPECT_NE(e.find("expected a number"), std::string::npos) << e;
  EXPECT_NE(e.find("\"high\""), std::string::npos) << e;

  e = configError(R"({"performance": {"confidence_level": 0.9}})");
  EXPECT_NE(e.find("expected 0.95 or 0.99"), std::string::npos) << e;

  e = configError(R"({"performance": {"enabled": "yes"}})");
  EXPECT_NE(e.find("performance.enabled: expected true or false"), std::string::npos) << e;

  e = configError(R"({"scenarios": [{"name": "ok", "command": ["x"], "iterations": 0}]})");
  EXPECT_NE(e.find("scenarios[0].iterations"), std::string::npos) << e;
  EXPECT_NE(e.find("from 1 to 1000"), std::string::npos) << e;

  e = configError(R"({"scenarios": [{"name": "ok", "command": ["x", 3]}]})");
  EXPECT_NE(e.find("scenarios[0].command[1]: expected a string"), std::string::npos) << e;

  e = configError(R"({"scenarios": [{"name": "ok"}]})");
  EXPECT_NE(e.find("scenarios[0].command: missing"), std::string::npos) << e;

  e = configError("{\"performance\": ");
  EXPECT_NE(e.find("not valid JSON"), std::string::npos) << e;

  e = configError(R"({"prometheus": {"listen": "9477"}})");
  EXPECT_NE(e.find("prometheus.listen"), std::string::npos) << e;

  e = configError(R"({"performance": {"min_iterations": 0}})");
  EXPECT_NE(e.find("performance.min_iterations"), std::string::npos) << e;
  EXPECT_NE(e.find("from 1 to 1000"), std::string::npos) << e;
  EXPECT_EQ(parseConfig(R"({"performance": {"min_iterations": 5}})", "/etc/x/config.json").performance.min_iterations, 5);
}

TEST(Config, UnknownKeySuggestsTheClosest) {
  auto e = configError(R"({"performance": {"regresion_threshold": 0.1}})");
  EXPECT_NE(e.find("performance.regresion_threshold: unknown key"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean \"regression_threshold\""), std::string::npos) << e;
  e = configError(R"({"scenarios": [{"name": "a", "command": ["x"], "itterations": 3}]})");
  EXPECT_NE(e.find("scenarios[0].itterations"), std::string::npos) << e;
  EXPECT_NE(e.find("\"iterations\""), std::string::npos) << e;
  e = configError(R"({"zzzzzzzz": 1})");
  EXPECT_NE(e.find("known keys: performance, scenarios"), std::string::npos) << e;
}

TEST(Config, ScenarioNames) {
  EXPECT_TRUE(isValidScenarioName("small_gif-1.5"));
  EXPECT_FALSE(isValidScenarioName(""));
  EXPECT_FALSE(isValidScenarioName("has space"));
  EXPECT_FALSE(isValidScenarioName("slash/no"));
  EXPECT_FALSE(isValidScenarioName(std::string(65, 'a')));
  EXPECT_TRUE(isValidScenarioName(std::string(64, 'a')));
  auto e = configError(R"({"scenarios": [{"name": "bad name", "command": ["x"]}]})");
  EXPECT_NE(e.find("scenarios[0].name"), std::string::npos) << e;
  e = configError(std::string(R"({"scenarios": [)") + kScenario + "," + kScenario + "]}");
  EXPECT_NE(e.find("used twice"), std::string::npos) << e;
}

TEST(Config, Phase6PairMustNameScenarios) {
  auto e = configError(std::string(R"({"scenarios": [)") + kScenario + R"(], "phase6": {"reference": "s1", "candidate": "nope"}})");
  EXPECT_NE(e.find("phase6.candidate"), std::string::npos) << e;
}

TEST(Config, EnvironmentOverrides) {
  Config c = parseConfig("{}", "");
  setenv("GIFLAB_ENABLE_PERFORMANCE_MONITORING", "true", 1);
  setenv("GIFLAB_ENABLE_PHASE6_OPTIMIZATION", "false", 1);
  applyEnvironmentOverrides(c);
  EXPECT_TRUE(c.performance.enabled);
  EXPECT_FALSE(c.performance.validate_phase6);
  setenv("GIFLAB_ENABLE_PERFORMANCE_MONITORING", "maybe", 1);
  try {
    applyEnvironmentOverrides(c);
    ADD_FAILURE() << "accepted maybe";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("GIFLAB_ENABLE_PERFORMANCE_MONITORING"), std::string::npos);
  }
  unsetenv("GIFLAB_ENABLE_PERFORMANCE_MONITORING");
  unsetenv("GIFLAB_ENABLE_PHASE6_OPTIMIZATION");
}

TEST(Config, MissingFileSaysWhatToDo) {
  try {
    loadConfig("/nonexistent/config.json");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--config FILE"), std::string::npos);
  }
}

TEST(Config, ShippedDefaultConfigLoads) {
  const Config c = loadConfig(std::string(GIFLAB_SOURCE_DIR) + "/config/config.json");
  EXPECT_GE(c.scenarios.size(), 3u);
  ASSERT_TRUE(c.phase6);
  EXPECT_FALSE(c.performance.enabled);
}

TEST(Config, DefaultPaths) {
  EXPECT_EQ(defaultConfigPath(false), "/etc/giflab-perfd/config.json");
  EXPECT_EQ(defaultStateDir(false), "/var/lib/giflab-perfd");
  setenv("XDG_CONFIG_HOME", "/tmp/xdgc", 1);
  setenv("XDG_STATE_HOME", "/tmp/xdgs", 1);
  EXPECT_EQ(defaultConfigPath(true), "/tmp/xdgc/giflab-perfd/config.json");
  EXPECT_EQ(defaultStateDir(true), "/tmp/xdgs/giflab-perfd");
  unsetenv("XDG_CONFIG_HOME");
  unsetenv("XDG_STATE_HOME");
}

TEST(Config, ANumberTooLargeIsAConfigErrorNotACrash) {
  // Found by fuzz_config: nlohmann throws out_of_range, not parse_error, for it.
  const auto e = configError(R"({"performance": {"regression_threshold": 1e999999}})");
  EXPECT_NE(e.find("not valid JSON"), std::string::npos) << e;
}

TEST(Config, TheControlIsBuiltInOrANamedScenario) {
  EXPECT_TRUE(parseConfig(R"({"scenarios": [{"name": "a", "command": ["true"]}]})", "").performance.control_scenario.empty());
  const auto c = parseConfig(R"({"performance": {"control": {"scenario": "ref"}},
    "scenarios": [{"name": "a", "command": ["true"]}, {"name": "ref", "command": ["true"]}]})", "");
  EXPECT_EQ(c.performance.control_scenario, "ref");
  const auto missing = configError(R"({"performance": {"control": {"scenario": "nosuch"}},
    "scenarios": [{"name": "a", "command": ["true"]}]})");
  EXPECT_NE(missing.find("performance.control.scenario"), std::string::npos) << missing;
  EXPECT_NE(missing.find("\"nosuch\" is not one of the scenarios"), std::string::npos) << missing;
  EXPECT_NE(configError(R"({"performance": {"control": {"senario": "a"}}})").find("performance.control"), std::string::npos);
  EXPECT_NE(configError(R"({"performance": {"control": "a"}})").find("expected an object"), std::string::npos);
}

TEST(Config, VersionCommandRepositoryAndTheWorktreePlaceholder) {
  const Config c = parseConfig(R"({"version_command": ["./version.sh", "--short"], "repository": "../src",
    "scenarios": [{"name": "a", "command": ["{worktree}/bin/prog", "{input}"], "data_pattern": "{worktree}/data/*.gif",
                   "version_command": ["gifsicle", "--version"]},
                  {"name": "b", "command": ["./b.sh"]}]})",
                               "/etc/x/config.json");
  EXPECT_EQ(c.version_command, (std::vector<std::string>{"/etc/x/version.sh", "--short"}));
  EXPECT_EQ(c.repository, "/etc/src");
  // The placeholder is left for the run to fill: the repository, or a bisect's checkout.
  EXPECT_EQ(c.scenarios[0].command.front(), "{worktree}/bin/prog");
  EXPECT_EQ(c.scenarios[0].data_pattern, "{worktree}/data/*.gif");
  EXPECT_EQ(c.scenarios[0].worktree, "/etc/src");
  EXPECT_EQ(c.scenarios[0].version_command, (std::vector<std::string>{"gifsicle", "--version"}));
  EXPECT_EQ(c.scenarios[1].command.front(), "/etc/x/b.sh");
  EXPECT_TRUE(c.scenarios[1].version_command.empty());
  EXPECT_EQ(expandCommand(c.scenarios[0], "in.gif", "out.gif"),
            (std::vector<std::string>{"/etc/src/bin/prog", "in.gif"}));

  EXPECT_NE(configError(R"({"version_command": "git describe"})")
                .find("version_command: expected a non-empty list of strings, got a string"),
            std::string::npos);
  EXPECT_NE(configError(R"({"version_command": ["git", 3]})").find("version_command[1]: expected a string"),
            std::string::npos);
  EXPECT_NE(configError(R"({"scenarios": [{"name": "a", "command": ["x"], "version_command": []}]})")
                .find("scenarios[0].version_command: expected a non-empty list"),
            std::string::npos);
  EXPECT_NE(configError(R"({"repository": ""})").find("repository: give the folder"), std::string::npos);
}

TEST(Config, AdaptiveIntervalAndEnvironment) {
  const Config c = parseConfig(R"({"environment": "staging", "performance": {"adaptive_interval": {"min": 300, "max": 3600}}})",
                               "/etc/x/config.json");
  EXPECT_EQ(c.environment, "staging");
  EXPECT_EQ(c.performance.adaptive_min, 300);
  EXPECT_EQ(c.performance.adaptive_max, 3600);
  EXPECT_EQ(parseConfig("{}", "/etc/x/config.json").environment, hostName());
  EXPECT_EQ(parseConfig("{}", "/etc/x/config.json").performance.adaptive_max, 0);
  EXPECT_NE(configError(R"({"performance": {"adaptive_interval": {"min": 600, "max": 300}}})")
                .find("performance.adaptive_interval.max: must be at least min (600)"),
            std::string::npos);
  EXPECT_NE(configError(R"({"performance": {"adaptive_interval": {"min": 60}}})").find("give both"), std::string::npos);
  EXPECT_NE(configError(R"({"environment": "my env"})").find("is not an environment name"), std::string::npos);
  EXPECT_NE(configError(R"({"scenarios": [{"name": "a", "command": ["x"], "budget": {}}]})")
                .find("scenarios[0].budget: give \"processing_time\""),
            std::string::npos);
  EXPECT_NE(configError(R"({"scenarios": [{"name": "a", "command": ["x"], "budget": {"processing_time": -1}}]})")
                .find("scenarios[0].budget.processing_time: expected a number above 0"),
            std::string::npos);
}
