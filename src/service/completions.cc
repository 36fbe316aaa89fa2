#include "service/completions.h"

#include <pthread.h>

#include <utility>
#include <vector>

namespace undersigned::service {

CompletionThread::CompletionThread() : thread_([this] { Loop(); }) {}

CompletionThread::~CompletionThread() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void CompletionThread::Post(std::function<void()> fn) {
  {
    std::lock_guard lk(mu_);
    queue_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

void CompletionThread::Loop() {
  pthread_setname_np(pthread_self(), "us-completions");
  std::deque<std::function<void()>> batch;
  for (;;) {
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      batch.swap(queue_);
    }
    for (auto& fn : batch) fn();
    batch.clear();
  }
}

}  // namespace undersigned::service
