// threads: std::thread, std::async (async and deferred), std::promise, std::mutex,
// std::condition_variable, std::atomic, thread_local and std::this_thread::sleep_for, built
// with g++ -static -pthread. Prints deterministic results for a byte-for-byte comparison
// with a native run.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <numeric>
#include <queue>
#include <shared_mutex>
#include <thread>
#include <vector>

namespace {

thread_local int tls_value = 0;

void threads_and_atomics() {
  std::atomic<long> total{0};
  long plain = 0;
  std::mutex m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; t++) {
    threads.emplace_back([&, t] {
      tls_value = t + 1;
      for (int i = 0; i < 5000; i++) {
        total.fetch_add(tls_value, std::memory_order_relaxed);
        std::lock_guard lock(m);
        plain += 1;
      }
    });
  }
  for (auto& th : threads) th.join();
  std::printf("threads: atomic %ld, mutex %ld, main tls still %d\n", total.load(), plain,
              tls_value);
}

void async_and_futures() {
  std::vector<std::future<long>> futures;
  for (long k = 1; k <= 6; k++) {
    auto policy = k % 2 ? std::launch::async : std::launch::deferred;
    futures.push_back(std::async(policy, [k] {
      long s = 0;
      for (long i = 1; i <= 10000; i++) s += i * k;
      return s;
    }));
  }
  std::printf("async:");
  for (auto& f : futures) std::printf(" %ld", f.get());
  std::printf("\n");

  std::promise<int> promise;
  auto fut = promise.get_future();
  std::thread setter([&promise] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    promise.set_value(42);
  });
  auto status = fut.wait_for(std::chrono::milliseconds(1));
  std::printf("promise: timed out first %s, then %d\n",
              status == std::future_status::timeout ? "yes" : "no", fut.get());
  setter.join();

  auto thrower = std::async(std::launch::async, []() -> int { throw std::runtime_error("bad"); });
  try {
    thrower.get();
    std::printf("exception: lost\n");
  } catch (const std::runtime_error& e) {
    std::printf("exception: %s\n", e.what());
  }
}

void producer_consumer() {
  std::mutex m;
  std::condition_variable cv;
  std::queue<int> q;
  bool done = false;
  long consumed = 0;
  int items = 0;
  std::vector<std::thread> consumers;
  for (int c = 0; c < 3; c++) {
    consumers.emplace_back([&] {
      std::unique_lock lock(m);
      for (;;) {
        cv.wait(lock, [&] { return !q.empty() || done; });
        if (q.empty()) return;
        consumed += q.front();
        items++;
        q.pop();
      }
    });
  }
  for (int i = 1; i <= 1000; i++) {
    {
      std::lock_guard lock(m);
      q.push(i);
    }
    cv.notify_one();
  }
  {
    std::lock_guard lock(m);
    done = true;
  }
  cv.notify_all();
  for (auto& th : consumers) th.join();
  std::printf("condition_variable: %d items, sum %ld\n", items, consumed);

  std::unique_lock lock(m);
  auto start = std::chrono::steady_clock::now();
  bool woke = cv.wait_for(lock, std::chrono::milliseconds(50), [] { return false; });
  auto waited = std::chrono::steady_clock::now() - start;
  std::printf("wait_for timed out: %s, waited at least 50ms: %s\n", woke ? "no" : "yes",
              waited >= std::chrono::milliseconds(50) ? "yes" : "no");
}

void shared_mutex_readers() {
  std::shared_mutex rw;
  std::vector<int> table(100, 1);
  std::atomic<long> read_sum{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; round++) {
        if (t == 0 && round % 10 == 0) {
          std::unique_lock w(rw);
          for (auto& v : table) v += 1;
        } else {
          std::shared_lock r(rw);
          read_sum += table[round];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::printf("shared_mutex: table sum %d, reads positive %s\n",
              std::accumulate(table.begin(), table.end(), 0), read_sum > 0 ? "yes" : "no");
}

}  // namespace

int main() {
  std::printf("hardware_concurrency >= 1: %s\n",
              std::thread::hardware_concurrency() >= 1 ? "yes" : "no");
  threads_and_atomics();
  async_and_futures();
  producer_consumer();
  shared_mutex_readers();
  std::printf("done\n");
  return 4;
}
