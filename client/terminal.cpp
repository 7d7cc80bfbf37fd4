#include "client/terminal.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace giflab::cli {

namespace {
bool colorDisabled = false;

// Display width: count UTF-8 code points, skip ANSI escapes.
size_t displayWidth(const std::string& s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\033') {
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++w;
  }
  return w;
}
}  // namespace

void Style::disableColor() { colorDisabled = true; }

bool Style::enabled(FILE* stream) {
  if (colorDisabled) return false;
  if (const char* nc = std::getenv("NO_COLOR"); nc && *nc) return false;
  return ::isatty(::fileno(stream)) != 0;
}

std::string Style::paint(const std::string& text, Color c, FILE* stream) {
  if (!enabled(stream)) return text;
  const char* code = "";
  switch (c) {
    case Color::Red: code = "\033[31m"; break;
    case Color::Green: code = "\033[32m"; break;
    case Color::Yellow: code = "\033[33m"; break;
    case Color::Bold: code = "\033[1m"; break;
    case Color::Dim: code = "\033[2m"; break;
  }
  return code + text + "\033[0m";
}

void Table::print(FILE* out) const {
  std::vector<size_t> width(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) width[i] = displayWidth(headers_[i]);
  for (const auto& r : rows_)
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], displayWidth(r[i]));
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string s;
    for (size_t i = 0; i < cells.size() && i < width.size(); ++i) {
      std::string cell = header ? Style::paint(cells[i], Color::Bold, out) : cells[i];
      s += cell;
      if (i + 1 < cells.size()) s += std::string(width[i] - displayWidth(cells[i]) + 2, ' ');
    }
    std::fprintf(out, "%s\n", s.c_str());
  };
  line(headers_, true);
  for (const auto& r : rows_) line(r, false);
}

ProgressBar::ProgressBar() : active_(::isatty(STDERR_FILENO) != 0) {}
ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(double fraction, const std::string& message) {
  if (!active_) return;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * kWidth + 0.5);
  std::string bar = "[" + std::string(filled, '#') + std::string(kWidth - filled, '-') + "]";
  std::string msg = message.size() > 45 ? message.substr(0, 42) + "..." : message;
  std::fprintf(stderr, "\r\033[K%s %3d%% %s", bar.c_str(), static_cast<int>(fraction * 100 + 0.5), msg.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (active_ && drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
  drawn_ = false;
}

std::string formatDouble(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string formatPercent(double fraction) { return formatDouble(fraction * 100.0, 1) + " %"; }

}  // namespace giflab::cli
