#include "common/base/text.hpp"

#include <cstdio>

namespace giflab {

namespace {

void appendHex(std::string& out, unsigned char byte) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", byte);
  out += buf;
}

// The length of the well-formed UTF-8 sequence at text[i] (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0.
size_t sequenceLength(std::string_view text, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  const auto cont = [&](size_t k) { return i + k < text.size() && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(1) > 0x9F) return 0;  // surrogates
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

enum class Controls { Keep, EscapeButNewlineAndTab, EscapeAll };

std::string clean(std::string_view text, Controls controls) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = sequenceLength(text, i);
    if (n == 0) {
      appendHex(out, static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (n == 1 && controls != Controls::Keep && (c < 0x20 || c == 0x7F)) {
      if (controls == Controls::EscapeButNewlineAndTab && (c == '\n' || c == '\t')) out += static_cast<char>(c);
      else appendHex(out, c);
    } else if (n == 2 && controls != Controls::Keep && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
      char buf[8];  // a C1 control character, e.g. U+009B (CSI)
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(text[i + 1]));
      out += buf;
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace

std::string validUtf8(std::string_view text) { return clean(text, Controls::Keep); }

std::string printable(std::string_view text) { return clean(text, Controls::EscapeButNewlineAndTab); }

std::string shortened(std::string_view text, size_t maxBytes) {
  if (text.size() <= maxBytes) return clean(text, Controls::EscapeAll);
  // Cut at a character boundary of the original, then clean what is kept.
  size_t cut = maxBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return clean(text.substr(0, cut), Controls::EscapeAll) + "... (" + std::to_string(text.size()) + " bytes)";
}

bool isPrintable(std::string_view text) { return printable(text) == text; }

}  // namespace giflab
