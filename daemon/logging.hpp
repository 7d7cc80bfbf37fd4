#pragma once
namespace giflab::daemon {
// spdlog to the journal when systemd started us (JOURNAL_STREAM), else stderr.
void setupLogging(bool debug);
}
