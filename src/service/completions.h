// CompletionThread: runs completions posted from other threads on a thread of its own, in order.
//
// Why: a store finishes an asynchronous write (tx::SignAsync) on one of its own threads, which
// must only wake or post (store/write_tx.h). SigningService posts each SignAsync completion
// here, so that turning the store's answer into a SignResult and the caller's callback (the
// HTTP layer building its response) never run on a store thread.
//
// Ownership: owns its thread; the destructor runs what was posted, then joins. Post is
// thread-safe and quick (a lock and a push).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace undersigned::service {

class CompletionThread {
 public:
  CompletionThread();
  ~CompletionThread();
  CompletionThread(const CompletionThread&) = delete;
  CompletionThread& operator=(const CompletionThread&) = delete;

  void Post(std::function<void()> fn);

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace undersigned::service
