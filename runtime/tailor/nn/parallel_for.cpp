#include "tailor/nn/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
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

// How long a thread whose block is done waits for the others' before it
// takes what is left of them: longer than a loop's blocks differ by, short
// against a worker's wake-up from sleep or a descheduled CPU.
constexpr auto kPatience = std::chrono::microseconds(2);

// Generations (two per loop) between retaggings of idle lanes
// (Pool::retag_idle_lanes): far below the 2^31 after which an old tag
// would be misread, and often enough that every test's loops retag.
constexpr uint32_t kRetagPeriod = 1u << 10;

// halide_error_code_generic_error, for a task that threw.
constexpr int kTaskThrew = -1;

uint64_t tagged(uint32_t generation, uint32_t value) { return uint64_t{generation} << 32 | value; }
uint32_t tag_of(uint64_t word) { return static_cast<uint32_t>(word >> 32); }
uint32_t value_of(uint64_t word) { return static_cast<uint32_t>(word); }

// A loop as each thread copies it, with the generation that opened it.
struct Loop {
    uint32_t generation = 0;
    Task task = nullptr;
    void *user_context = nullptr;
    uint8_t *closure = nullptr;
    int min = 0, size = 0;
};

class Patience {
public:
    bool over() const { return std::chrono::steady_clock::now() > deadline_; }

private:
    std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::now() + kPatience;
};

// Runs one loop at a time on the thread that holds `owner_` (thread 0) and
// on every worker (threads 1..n-1), with as few cache lines crossing
// between the cores as a hand-off allows: the workers read the loop from
// one line the owner writes, each thread claims iterations from its own
// block's line, and the owner counts the iterations run from one line per
// worker that only that worker writes.
//
// Thread k first runs the k-th of n contiguous blocks of the iterations:
// the same thread then computes the same part of every layer's map (rows,
// for the convolutions), which the next layer reads from that core's
// cache. After kPatience it takes what is left of the others' blocks, so
// that a balanced loop touches no other thread's block, and a loop whose
// worker sleeps or was descheduled still ends.
//
// The loop's fields are written while the generation is even (no loop
// open) and read by a worker that then checks that the odd generation it
// saw is still there. Claims and counts carry the generation of their
// loop, so a worker that read a loop late claims nothing once it is over.
class Pool {
public:
    // A worker that cannot be started leaves its block to the others.
    explicit Pool(int threads) : lanes_(threads) {
        try {
            for (int k = 1; k < threads; k++) std::thread([this, k] { work(k); }).detach();
        } catch (...) {  // std::thread's std::system_error, or std::bad_alloc
        }
    }

    // False when another thread's loop holds the pool.
    bool try_run(void *user_context, Task task, int min, int size, uint8_t *closure, int &result) {
        const std::unique_lock lock(owner_, std::try_to_lock);
        if (!lock.owns_lock()) return false;
        const Loop loop{posted_.generation.load(std::memory_order_relaxed) + 1, task, user_context, closure, min, size};
        if (error_.load(std::memory_order_relaxed) != 0) error_.store(0, std::memory_order_relaxed);
        post(loop);
        int ran = run_block(0, loop);
        const auto done = [&] { return ran + ran_by_workers(loop.generation) == size; };
        for (Patience patience; !done(); relax()) {
            if (patience.over()) {
                ran += run_others(0, loop);
                wait_until(done);
                break;
            }
        }
        if (loop.generation % kRetagPeriod == 1) retag_idle_lanes(loop.generation);
        posted_.generation.store(loop.generation + 1, std::memory_order_release);
        result = error_.load(std::memory_order_relaxed);
        return true;
    }

private:
    void post(const Loop &loop) {
        std::atomic_thread_fence(std::memory_order_release);  // the fields after the last loop's end
        posted_.task.store(loop.task, std::memory_order_relaxed);
        posted_.user_context.store(loop.user_context, std::memory_order_relaxed);
        posted_.closure.store(loop.closure, std::memory_order_relaxed);
        posted_.min.store(loop.min, std::memory_order_relaxed);
        posted_.size.store(loop.size, std::memory_order_relaxed);
        // seq_cst: notify_all's look for sleepers must not pass the store.
        posted_.generation.store(loop.generation);
        posted_.generation.notify_all();
    }

    // The loop `generation` opened, unless it is over already.
    bool read_posted(uint32_t generation, Loop &loop) const {
        loop.generation = generation;
        loop.task = posted_.task.load(std::memory_order_relaxed);
        loop.user_context = posted_.user_context.load(std::memory_order_relaxed);
        loop.closure = posted_.closure.load(std::memory_order_relaxed);
        loop.min = posted_.min.load(std::memory_order_relaxed);
        loop.size = posted_.size.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        return posted_.generation.load(std::memory_order_relaxed) == generation;
    }

    // Rounded up, so that the owner's block is never the empty one.
    int block_begin(const Loop &loop, int k) const {
        const int64_t n = static_cast<int64_t>(lanes_.size());
        return loop.min + static_cast<int>((int64_t{loop.size} * k + n - 1) / n);
    }

    // A block that stays empty, or a worker that runs nothing, keeps its
    // word's old generation; 2^31 generations later a claim would take it
    // for a later loop's, and an old count would match again. So every
    // kRetagPeriod generations, once a loop is done (its nonempty blocks are all
    // claimed, tagged with its generation, and no worker will count again
    // before the next loop), the other words are retagged with the loop's.
    void retag_idle_lanes(uint32_t generation) {
        for (Lane &lane : lanes_) {
            for (std::atomic<uint64_t> *word : {&lane.claimed, &lane.ran}) {
                if (tag_of(word->load(std::memory_order_relaxed)) != generation) {
                    word->store(tagged(generation, 0), std::memory_order_relaxed);
                }
            }
        }
    }

    // The next unclaimed iteration of block k, or none once it is all
    // claimed or the loop is over.
    std::optional<int> claim(int k, const Loop &loop) {
        const uint32_t length = static_cast<uint32_t>(block_begin(loop, k + 1) - block_begin(loop, k));
        std::atomic<uint64_t> &word = lanes_[k].claimed;
        uint64_t seen = word.load(std::memory_order_relaxed);
        for (;;) {
            const int32_t age = static_cast<int32_t>(loop.generation - tag_of(seen));
            if (age < 0) return std::nullopt;  // a later loop's claims: this one is over
            const uint32_t next = age == 0 ? value_of(seen) : 0;
            if (next >= length) return std::nullopt;
            if (word.compare_exchange_weak(seen, tagged(loop.generation, next + 1), std::memory_order_relaxed)) {
                return block_begin(loop, k) + static_cast<int>(next);
            }
        }
    }

    int run_block(int k, const Loop &loop) {
        int ran = 0;
        for (std::optional<int> i; (i = claim(k, loop)); ran++) run_iteration(loop, *i);
        return ran;
    }

    int run_others(int thread, const Loop &loop) {
        const int n = static_cast<int>(lanes_.size());
        int ran = 0;
        for (int b = 1; b < n; b++) ran += run_block((thread + b) % n, loop);
        return ran;
    }

    // A task that throws fails its loop (Halide's generic error) instead of
    // leaving it open.
    void run_iteration(const Loop &loop, int i) {
        if (error_.load(std::memory_order_relaxed) != 0) return;
        in_iteration = true;
        int r = 0;
        try {
            r = loop.task(loop.user_context, i, loop.closure);
        } catch (...) {
            r = kTaskThrew;
        }
        in_iteration = false;
        int none = 0;
        if (r != 0) error_.compare_exchange_strong(none, r, std::memory_order_relaxed);
    }

    int ran_by_workers(uint32_t generation) const {
        int ran = 0;
        for (std::size_t k = 1; k < lanes_.size(); k++) {
            const uint64_t word = lanes_[k].ran.load(std::memory_order_acquire);
            if (tag_of(word) == generation) ran += static_cast<int>(value_of(word));
        }
        return ran;
    }

    // Worker `thread`: spins for the next loop, sleeps after kSpin.
    void work(int thread) {
        uint32_t seen = 0;  // the pool's first, closed generation: a loop opened before this thread started counts
        for (;;) {
            auto deadline = std::chrono::steady_clock::now() + kSpin;
            for (int spins = 1; posted_.generation.load(std::memory_order_acquire) == seen; spins++) {
                relax();
                if (spins % 64 == 0 && std::chrono::steady_clock::now() > deadline) {
                    posted_.generation.wait(seen, std::memory_order_acquire);
                    deadline = std::chrono::steady_clock::now() + kSpin;
                }
            }
            seen = posted_.generation.load(std::memory_order_acquire);
            Loop loop;
            if (seen % 2 == 1 && read_posted(seen, loop)) take_part(thread, loop);
        }
    }

    // A worker's part of a loop: its block, and after kPatience what is
    // left of the others' while the loop is open.
    void take_part(int thread, const Loop &loop) {
        std::atomic<uint64_t> &count = lanes_[thread].ran;
        int ran = run_block(thread, loop);
        if (ran > 0) count.store(tagged(loop.generation, ran), std::memory_order_release);
        for (Patience patience; !patience.over(); relax()) {
            if (posted_.generation.load(std::memory_order_relaxed) != loop.generation) return;
        }
        if (const int more = run_others(thread, loop)) {
            count.store(tagged(loop.generation, ran + more), std::memory_order_release);
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

    // The loop the owner posts, on a line of its own.
    struct alignas(64) Posted {
        std::atomic<uint32_t> generation{0};
        std::atomic<Task> task{nullptr};
        std::atomic<void *> user_context{nullptr};
        std::atomic<uint8_t *> closure{nullptr};
        std::atomic<int> min{0}, size{0};
    };

    // Thread k's lines: the claims on its block, and how many iterations it
    // ran in the loop of the tag (workers only).
    struct Lane {
        alignas(64) std::atomic<uint64_t> claimed{0};
        alignas(64) std::atomic<uint64_t> ran{0};
    };

    Posted posted_;
    std::vector<Lane> lanes_;
    alignas(64) std::mutex owner_;  // apart from the lanes' header, which every claim reads
    alignas(64) std::atomic<int> error_{0};
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
