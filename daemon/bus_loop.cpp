#include "daemon/bus_loop.hpp"

#include <poll.h>

#include <chrono>
#include <ctime>
#include <utility>

namespace giflab::daemon {

BusLoop::BusLoop(asio::io_context& io, sdbus::IConnection& connection)
    : io_(io), connection_(connection), fd_(io), timer_(io) {}

BusLoop::~BusLoop() {
  // The descriptor belongs to the connection: never close it here.
  if (fd_.is_open()) fd_.release();
}

void BusLoop::start(std::function<void(const std::string& why)> onLost) {
  onLost_ = std::move(onLost);
  fd_.assign(connection_.getEventLoopPollData().fd);
  process();
}

void BusLoop::stop() {
  stopped_ = true;
  asio::error_code ec;
  timer_.cancel();
  if (fd_.is_open()) fd_.cancel(ec);
}

void BusLoop::kick() {
  if (!stopped_) asio::post(io_, [this] { process(); });
}

void BusLoop::process() {
  if (stopped_) return;
  try {
    while (connection_.processPendingRequest()) {
    }
    arm();
  } catch (const sdbus::Error& e) {
    lost(e.getMessage());
  }
}

void BusLoop::lost(const std::string& why) {
  stop();
  if (auto onLost = std::exchange(onLost_, nullptr)) onLost(why);
}

void BusLoop::arm() {
  if (stopped_) return;
  const unsigned gen = ++generation_;
  asio::error_code ec;
  fd_.cancel(ec);
  timer_.cancel();
  const auto pd = connection_.getEventLoopPollData();
  auto onReady = [this, gen](const asio::error_code& e) {
    if (e || gen != generation_) return;
    process();
  };
  fd_.async_wait(asio::posix::stream_descriptor::wait_read, onReady);
  if (pd.events & POLLOUT) fd_.async_wait(asio::posix::stream_descriptor::wait_write, onReady);
  if (pd.timeout_usec == 0) {
    asio::post(io_, [this, gen] {
      if (gen == generation_) process();
    });
  } else if (pd.timeout_usec != UINT64_MAX) {
    // timeout_usec is absolute on CLOCK_MONOTONIC, which steady_clock is on Linux.
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const uint64_t nowUs = static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_nsec) / 1000u;
    const auto delay = std::chrono::microseconds(pd.timeout_usec > nowUs ? pd.timeout_usec - nowUs : 0);
    timer_.expires_after(delay);
    timer_.async_wait(onReady);
  }
}

}  // namespace giflab::daemon
