#pragma once
// A request to stop a measuring operation, made on the thread that runs it
// (the daemon's io_context, or the private one of runBlocking). Whoever waits
// for a child registers how to stop it, so that a cancel kills the child at
// once instead of being noticed at the next poll.
//
// Copies share one state, so a copy can be handed to a coroutine by value
// and outlive the object it came from.
#include <functional>
#include <memory>

namespace giflab {

class Cancellation {
  struct State;

 public:
  Cancellation() : state_(std::make_shared<State>()) {}

  bool requested() const { return state_->requested; }
  // Sets the request and runs the registered stopper, if any (once).
  void request() const;
  // Throws Error(Cancelled) when a stop was requested.
  void throwIfRequested() const;

  // Unregisters its stopper when it goes away.
  class Registration {
   public:
    Registration(Registration&& other) noexcept = default;
    // Not assignable: the stopper it would replace must be unregistered first.
    Registration& operator=(Registration&& other) = delete;
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    ~Registration();

   private:
    friend class Cancellation;
    explicit Registration(std::shared_ptr<State> state) : state_(std::move(state)) {}
    std::shared_ptr<State> state_;
  };
  // One stopper at a time: one child is measured at a time.
  [[nodiscard]] Registration onRequest(std::function<void()> stop) const;

 private:
  struct State {
    bool requested = false;
    std::function<void()> stop;
  };
  std::shared_ptr<State> state_;
};

}  // namespace giflab
