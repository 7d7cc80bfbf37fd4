#pragma once
// Drives an sdbus-c++ connection from an asio io_context on one thread:
// wait on the bus fd (and POLLOUT when asked) plus a timer for the bus's
// timeout, then process pending requests until none is left. The poll data
// is re-read after every batch and after any emit or reply made outside one
// (call kick()), else large messages and call timeouts stall.
#include <asio.hpp>
#include <sdbus-c++/Error.h>
#include <sdbus-c++/IConnection.h>

#include <functional>
#include <string>

namespace giflab::daemon {

class BusLoop {
 public:
  BusLoop(asio::io_context& io, sdbus::IConnection& connection);
  ~BusLoop();
  BusLoop(const BusLoop&) = delete;
  BusLoop& operator=(const BusLoop&) = delete;

  // onLost is called once, on the loop, when the bus connection fails (the
  // bus daemon went away); the loop has stopped by then.
  void start(std::function<void(const std::string& why)> onLost);
  // Processes what is pending and re-arms; call after emitting from outside a batch.
  void kick();
  void stop();

 private:
  void process();
  void arm();
  void lost(const std::string& why);

  asio::io_context& io_;
  sdbus::IConnection& connection_;
  asio::posix::stream_descriptor fd_;
  asio::steady_timer timer_;
  unsigned generation_ = 0;
  bool stopped_ = false;
  std::function<void(const std::string&)> onLost_;
};

}  // namespace giflab::daemon
