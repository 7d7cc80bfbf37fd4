#pragma once
namespace giflab {
inline constexpr const char* kVersion = "0.1.0";
}
