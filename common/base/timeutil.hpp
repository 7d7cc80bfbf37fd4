#pragma once
// Wall-clock timestamps as ISO-8601 UTC strings ("2025-01-12T15:30:00Z").
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace giflab {

using SysTime = std::chrono::system_clock::time_point;

std::string formatIso8601(SysTime t);
std::string nowIso8601();
// Accepts "YYYY-MM-DDTHH:MM:SS" with optional fraction and "Z" or "+00:00";
// a missing zone is read as UTC, as the design's Python wrote it. Years
// from 1678 to 2261 (what the clock can hold); others are not a time.
std::optional<SysTime> parseIso8601(std::string_view text);
// Whether a stored timestamp could have been written by this program: from
// 2000 to 2200. Bounds are fixed, not relative to this machine's clock, so a
// clock that jumps back (an RTC corrected by NTP) keeps its records valid.
bool plausibleTimestamp(SysTime t);
// Seconds since the epoch as a double, for regressions over time.
double toEpochSeconds(SysTime t);

}  // namespace giflab
