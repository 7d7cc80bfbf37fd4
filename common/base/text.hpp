#pragma once
// Text that comes from outside (a workload's stderr, file names, config
// text, command lines, the environment) made safe to send on: valid UTF-8
// for D-Bus, JSON and the journal, and nothing a terminal would act on.
// Invalid bytes and control characters are shown as \xNN (C1 controls as
// \u0080..\u009f), so that nothing is lost from sight.
#include <cstddef>
#include <string>
#include <string_view>

namespace giflab {

// Valid UTF-8: every byte that is not part of a well-formed sequence
// becomes the four characters \xNN.
std::string validUtf8(std::string_view text);

// validUtf8, and also every control character but newline and tab escaped
// (ESC, so no terminal escape sequence survives, CR, DEL, C1 controls).
std::string printable(std::string_view text);

// printable() on one line (newlines and tabs escaped too), cut to about
// maxBytes with a note of the full length: for echoing an argument back.
std::string shortened(std::string_view text, size_t maxBytes = 80);

// True when text is valid UTF-8 with no control characters but newline and tab.
bool isPrintable(std::string_view text);

}  // namespace giflab
