#pragma once
// Runs one asynchronous engine operation to its end on a private io_context:
// how giflab-perfctl --local, the tests and the benchmarks call what the
// daemon runs on its own loop. An interrupt flag (set by a signal handler)
// becomes a cancellation within 50 ms.
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <utility>

#include "common/measure/cancellation.hpp"

namespace giflab {

// op(cancel) must return an asio::awaitable<T>.
template <class Op>
auto runBlocking(Op&& op, const std::atomic<bool>* interrupt = nullptr) {
  using Awaitable = decltype(op(std::declval<Cancellation>()));
  using T = typename Awaitable::value_type;
  asio::io_context io;
  Cancellation cancel;
  asio::steady_timer poll(io);
  bool done = false;
  std::optional<T> result;
  std::exception_ptr error;
  std::function<void()> watch = [&] {
    poll.expires_after(std::chrono::milliseconds(50));
    poll.async_wait([&](const asio::error_code& ec) {
      if (ec || done) return;
      if (interrupt->load()) cancel.request();
      else watch();
    });
  };
  if (interrupt) watch();
  asio::co_spawn(io, op(cancel), [&](std::exception_ptr e, T value) {
    done = true;
    poll.cancel();
    if (e) error = e;
    else result.emplace(std::move(value));
  });
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

}  // namespace giflab
