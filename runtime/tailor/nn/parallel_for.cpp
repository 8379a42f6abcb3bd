#include "tailor/nn/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include <pthread.h>
#include <sched.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tailor {
namespace {

// How long a worker spins for the next loop before it sleeps: longer than
// the gaps between one forward pass's loops, short enough that a program
// that stops calling kernels gives its CPUs back at once.
constexpr auto kSpin = std::chrono::microseconds(200);

void relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

// HL_NUM_THREADS (or its old name HL_NUMTHREADS) as Halide reads it, from 1
// to 256; without it the CPUs this process may use (Halide: all online).
int configured_threads() {
    const char *text = std::getenv("HL_NUM_THREADS");
    if (!text) text = std::getenv("HL_NUMTHREADS");
    if (text) return std::clamp(std::atoi(text), 1, 256);
    cpu_set_t cpus;
    if (sched_getaffinity(0, sizeof cpus, &cpus) == 0) return std::max(1, CPU_COUNT(&cpus));
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

thread_local bool in_iteration = false;

using Task = int (*)(void *, int, uint8_t *);

// Runs one loop at a time on the thread that holds `owner_` (thread 0) and
// on every worker (threads 1..n-1). A loop is open while `generation_` is
// odd; its fields are written only while it is closed and no worker has
// joined it (joined_ == 0), and a worker joins, then checks that the
// generation it saw is still open. A loop returns once its iterations are
// done; the next one waits for the workers to have left. Thread k first runs the k-th of n
// contiguous blocks of the iterations, then helps with the others: the
// same thread then computes the same part of every layer's map (rows, for
// the convolutions), which the next layer reads from that core's cache.
class Pool {
public:
    // A worker that cannot be started leaves its block to the others.
    explicit Pool(int threads) : blocks_(threads) {
        try {
            for (int k = 1; k < threads; k++) std::thread([this, k] { work(k); }).detach();
        } catch (const std::system_error &) {
        }
    }

    // False when another thread's loop holds the pool.
    bool try_run(void *user_context, Task task, int min, int size, uint8_t *closure, int &result) {
        const std::unique_lock lock(owner_, std::try_to_lock);
        if (!lock.owns_lock()) return false;
        wait_until([&] { return joined_.load() == 0; });  // a worker still leaving the last loop
        user_context_ = user_context;
        task_ = task;
        closure_ = closure;
        const int n = static_cast<int>(blocks_.size());
        for (int k = 0; k < n; k++) {
            blocks_[k].next.store(min + static_cast<int>(int64_t{size} * k / n), std::memory_order_relaxed);
            blocks_[k].end = min + static_cast<int>(int64_t{size} * (k + 1) / n);
        }
        remaining_.store(size, std::memory_order_relaxed);
        error_.store(0, std::memory_order_relaxed);
        const uint32_t open = generation_.load(std::memory_order_relaxed) + 1;
        generation_.store(open);
        generation_.notify_all();
        run_iterations(0);
        wait_until([&] { return remaining_.load(std::memory_order_acquire) == 0; });
        generation_.store(open + 1);
        result = error_.load(std::memory_order_relaxed);
        return true;
    }

private:
    // Thread `thread`'s block, then the others' in turn; the iterations it
    // ran are counted off once, so that threads share no line per iteration.
    void run_iterations(int thread) {
        const int n = static_cast<int>(blocks_.size());
        int ran = 0;
        for (int b = 0; b < n; b++) {
            Block &block = blocks_[(thread + b) % n];
            for (int i; (i = block.next.fetch_add(1, std::memory_order_relaxed)) < block.end; ran++) run_iteration(i);
        }
        if (ran > 0) remaining_.fetch_sub(ran, std::memory_order_release);
    }

    void run_iteration(int i) {
        if (error_.load(std::memory_order_relaxed) != 0) return;
        in_iteration = true;
        const int r = task_(user_context_, i, closure_);
        in_iteration = false;
        int none = 0;
        if (r != 0) error_.compare_exchange_strong(none, r, std::memory_order_relaxed);
    }

    // Worker `thread`: spins for the next open generation, sleeps after kSpin.
    void work(int thread) {
        uint32_t seen = 0;  // the pool's first, closed generation: a loop opened before this thread started counts
        for (;;) {
            auto deadline = std::chrono::steady_clock::now() + kSpin;
            for (int spins = 1; generation_.load(std::memory_order_acquire) == seen; spins++) {
                relax();
                if (spins % 64 == 0 && std::chrono::steady_clock::now() > deadline) {
                    generation_.wait(seen, std::memory_order_acquire);
                    deadline = std::chrono::steady_clock::now() + kSpin;
                }
            }
            seen = generation_.load(std::memory_order_acquire);
            if (seen % 2 == 0) continue;
            joined_.fetch_add(1);
            if (generation_.load() == seen) run_iterations(thread);
            joined_.fetch_sub(1);
        }
    }

    // The owner waits for its workers: a descheduled one gets the CPU back.
    template <typename Done>
    static void wait_until(Done done) {
        for (int spins = 0; !done();) {
            if (spins < 4096) {
                spins++;
                relax();
            } else {
                std::this_thread::yield();
            }
        }
    }

    // A thread's share of the iterations, on a cache line of its own.
    struct alignas(64) Block {
        std::atomic<int> next{0};
        int end = 0;
    };

    std::vector<Block> blocks_;
    std::mutex owner_;
    // Each on a line of its own: the owner writes the generation, the
    // workers the other two.
    alignas(64) std::atomic<uint32_t> generation_{0};
    alignas(64) std::atomic<int> joined_{0};
    alignas(64) std::atomic<int> remaining_{0};
    std::atomic<int> error_{0};
    void *user_context_ = nullptr;
    Task task_ = nullptr;
    uint8_t *closure_ = nullptr;
};

// The process's pool, made at the first parallel loop. Never destroyed:
// its workers are detached and outlive static destructors. A forked child
// has no workers, so it makes its own; a fork waits for a pool being made.
std::atomic<Pool *> pool{nullptr};
std::mutex pool_creation;

void forget_workers_in_forked_child() {
    static std::once_flag once;
    std::call_once(once, [] {
        pthread_atfork([] { pool_creation.lock(); }, [] { pool_creation.unlock(); },
                       [] {
                           pool.store(nullptr);
                           pool_creation.unlock();
                       });
    });
}

Pool *the_pool() {
    if (Pool *p = pool.load(std::memory_order_acquire)) return p;
    forget_workers_in_forked_child();
    const std::lock_guard lock(pool_creation);
    if (!pool.load()) pool.store(new Pool(configured_threads()), std::memory_order_release);
    return pool.load();
}

int threads() {
    static const int count = configured_threads();
    return count;
}

int run_serially(void *user_context, Task task, int min, int size, uint8_t *closure) {
    for (int i = min; i < min + size; i++) {
        if (const int r = task(user_context, i, closure)) return r;
    }
    return 0;
}

}  // namespace

int parallel_for(void *user_context, Task task, int min, int size, uint8_t *closure) {
    if (size <= 1 || in_iteration || threads() == 1) return run_serially(user_context, task, min, size, closure);
    int result = 0;
    if (!the_pool()->try_run(user_context, task, min, size, closure, result)) {
        return run_serially(user_context, task, min, size, closure);
    }
    return result;
}

}  // namespace tailor
