// Running a transaction script (a function of WriteTx&) in a store's writer: RunWrite blocks
// until its batch is durable; RunWriteAsync returns at once and calls done later. Both wrap the
// function in a WriteJob (store/write_tx.h) and Submit it. Used by service/tx/.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "core/error.h"
#include "store/store.h"
#include "store/write_tx.h"

namespace undersigned::store {

// Runs fn(tx) -> Result<T> in the writer's next batch and waits until that batch is durable.
// fn may run twice (a batch retried with savepoints); its last result counts.
template <typename T, typename F>
Result<T> RunWrite(Store& store, F&& fn) {
  class Job final : public WriteJob {
   public:
    explicit Job(F& f) : fn_(f) {}
    bool Run(WriteTx& tx) override {
      try {
        result_ = fn_(tx);
      } catch (const std::exception& e) {
        result_ = Fail(Code::kInternal, std::string("write failed: ") + e.what());
      }
      return result_.has_value();
    }
    void Finish(std::optional<Error> batch_error) override {
      // A plain mutex and condition variable, which sleep in the kernel at once (a semaphore
      // spins first, which costs dozens of waiting threads CPU that the writer needs).
      std::lock_guard lk(mu_);
      if (batch_error) result_ = Fail(std::move(*batch_error));
      done_ = true;
      cv_.notify_one();  // under the lock: the waiter cannot return and free *this before this
    }
    Result<T> Wait() {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return done_; });
      return std::move(result_);
    }

   private:
    F& fn_;
    Result<T> result_ = Fail(Code::kInternal, "write not run");
    std::mutex mu_;
    std::condition_variable cv_;
    bool done_ = false;
  };
  Job job(fn);
  store.Submit(&job);
  return job.Wait();
}

// Like RunWrite but returns at once; done(result) is called exactly once from a store thread
// (or from this one, if the store is closing). done must be quick: post the result elsewhere.
template <typename T, typename F>
void RunWriteAsync(Store& store, F&& fn, std::function<void(Result<T>)> done) {
  class Job final : public WriteJob {
   public:
    Job(F&& f, std::function<void(Result<T>)> d) : fn_(std::forward<F>(f)), done_(std::move(d)) {}
    bool Run(WriteTx& tx) override {
      try {
        result_ = fn_(tx);
      } catch (const std::exception& e) {
        result_ = Fail(Code::kInternal, std::string("write failed: ") + e.what());
      }
      return result_.has_value();
    }
    void Finish(std::optional<Error> batch_error) override {
      std::unique_ptr<Job> self(this);
      Result<T> r = batch_error ? Result<T>(Fail(std::move(*batch_error))) : std::move(result_);
      auto callback = std::move(done_);
      self.reset();
      callback(std::move(r));
    }

   private:
    std::decay_t<F> fn_;
    std::function<void(Result<T>)> done_;
    Result<T> result_ = Fail(Code::kInternal, "write not run");
  };
  store.Submit(new Job(std::forward<F>(fn), std::move(done)));
}

}  // namespace undersigned::store
