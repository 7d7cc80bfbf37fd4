#pragma once
// Human output: colour only on a terminal and never with NO_COLOR or
// --no-color, aligned tables, a progress bar on stderr.
#include <cstdio>
#include <string>
#include <vector>

namespace giflab::cli {

enum class Color { Red, Green, Yellow, Bold, Dim };

class Style {
 public:
  static void disableColor();
  static bool enabled(FILE* stream);
  static std::string paint(const std::string& text, Color c, FILE* stream = stdout);
};

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  void print(FILE* out = stdout) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Draws on stderr only when it is a terminal; silent otherwise.
class ProgressBar {
 public:
  ProgressBar();
  ~ProgressBar();
  void update(double fraction, const std::string& message);
  void finish();

 private:
  bool active_;
  bool drawn_ = false;
};

std::string formatDouble(double v, int decimals);
std::string formatPercent(double fraction);  // 0.273 -> "27.3 %"

}  // namespace giflab::cli
