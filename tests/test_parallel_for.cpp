// tailor's parallel loops (tailor/nn/parallel_for.h), which run every CPU
// kernel's parallel loops: each iteration once, errors returned, nested
// and concurrent loops, and a forked child. With HL_NUM_THREADS=4, so that
// workers exist whatever the machine has.
#define BOOST_TEST_MODULE parallel_for
#include <boost/test/unit_test.hpp>

#include "tailor/nn/parallel_for.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace {

struct FourThreads {
    FourThreads() { setenv("HL_NUM_THREADS", "4", 1); }  // before the first loop reads it
};
BOOST_TEST_GLOBAL_FIXTURE(FourThreads);

// A loop's iterations, counted per index (offset by the loop's min).
struct Counts {
    int min = 0;
    std::vector<std::atomic<int>> runs;
    Counts(int min_index, int size) : min(min_index), runs(static_cast<std::size_t>(size)) {}
};

int count_iteration(void *, int i, uint8_t *closure) {
    auto *counts = reinterpret_cast<Counts *>(closure);
    counts->runs.at(static_cast<std::size_t>(i - counts->min))++;
    return 0;
}

bool each_ran_once(const Counts &counts) {
    for (const auto &r : counts.runs) {
        if (r.load() != 1) return false;
    }
    return true;
}

// How many threads run a loop of 32 iterations of 2 ms each.
std::size_t threads_running_a_long_loop() {
    struct Threads {
        std::mutex mutex;
        std::set<std::thread::id> ids;
    } threads;
    auto task = [](void *, int, uint8_t *closure) {
        auto *t = reinterpret_cast<Threads *>(closure);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        const std::lock_guard lock(t->mutex);
        t->ids.insert(std::this_thread::get_id());
        return 0;
    };
    if (tailor::parallel_for(nullptr, task, 0, 32, reinterpret_cast<uint8_t *>(&threads)) != 0) return 0;
    return threads.ids.size();
}

int run_loop(int min, int size) {
    Counts counts(min, size);
    const int result = tailor::parallel_for(nullptr, count_iteration, min, size, reinterpret_cast<uint8_t *>(&counts));
    return result == 0 && each_ran_once(counts) ? 0 : 1;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_iteration_runs_exactly_once) {
    for (int size = 0; size <= 70; size++) {
        for (int min : {0, -5, 1000}) {
            BOOST_TEST_CONTEXT("min " << min << " size " << size) { BOOST_TEST(run_loop(min, size) == 0); }
        }
    }
}

// Loops a worker may still be reading when the next opens: each loop's
// iterations run once, with that loop's closure.
BOOST_AUTO_TEST_CASE(back_to_back_loops_each_run_once) {
    int failures = 0;
    for (int repeat = 0; repeat < 20000; repeat++) failures += run_loop(repeat % 3, 1 + repeat % 9);
    BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(a_loop_of_long_iterations_uses_several_threads) {
    BOOST_TEST(threads_running_a_long_loop() > 1u);
}

BOOST_AUTO_TEST_CASE(the_first_error_is_returned) {
    auto task = [](void *, int i, uint8_t *) { return i == 7 ? -3 : 0; };
    for (int repeat = 0; repeat < 100; repeat++) BOOST_TEST(tailor::parallel_for(nullptr, task, 0, 20, nullptr) == -3);
    // The pool is usable after a failed loop.
    BOOST_TEST(run_loop(0, 33) == 0);
}

BOOST_AUTO_TEST_CASE(a_task_that_throws_fails_its_loop) {
    auto task = [](void *, int i, uint8_t *) -> int {
        if (i == 3) throw std::runtime_error("task");
        return 0;
    };
    for (int repeat = 0; repeat < 100; repeat++) BOOST_TEST(tailor::parallel_for(nullptr, task, 0, 8, nullptr) != 0);
    // The loop is closed: the next ones run each iteration once, on every thread.
    BOOST_TEST(run_loop(0, 33) == 0);
    BOOST_TEST(threads_running_a_long_loop() > 1u);
}

BOOST_AUTO_TEST_CASE(a_loop_inside_an_iteration_runs_in_that_thread) {
    struct Nested {
        std::atomic<int> inner_runs{0}, other_thread{0};
        std::thread::id outer_thread;
    };
    static constexpr auto inner = [](void *, int, uint8_t *closure) {
        auto *n = reinterpret_cast<Nested *>(closure);
        n->inner_runs++;
        if (std::this_thread::get_id() != n->outer_thread) n->other_thread++;
        return 0;
    };
    auto outer = [](void *, int, uint8_t *) {
        Nested nested;
        nested.outer_thread = std::this_thread::get_id();
        const int result = tailor::parallel_for(nullptr, inner, 0, 5, reinterpret_cast<uint8_t *>(&nested));
        return result == 0 && nested.inner_runs.load() == 5 && nested.other_thread.load() == 0 ? 0 : 1;
    };
    BOOST_TEST(tailor::parallel_for(nullptr, outer, 0, 8, nullptr) == 0);
}

BOOST_AUTO_TEST_CASE(loops_from_several_threads_at_once_each_complete) {
    std::atomic<int> failures{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; t++) {
        callers.emplace_back([&failures, t] {
            for (int repeat = 0; repeat < 2000; repeat++) failures += run_loop(t, 1 + (repeat + t) % 17);
        });
    }
    for (auto &caller : callers) caller.join();
    BOOST_TEST(failures.load() == 0);
}

BOOST_AUTO_TEST_CASE(a_forked_child_runs_loops_without_its_parents_workers) {
    BOOST_TEST_REQUIRE(run_loop(0, 9) == 0);  // the parent's workers exist
    const pid_t child = fork();
    BOOST_TEST_REQUIRE(child >= 0);
    // The child's loops complete, on workers of its own.
    if (child == 0) _exit(run_loop(0, 50) + run_loop(3, 7) + (threads_running_a_long_loop() > 1 ? 0 : 1));
    int status = 0;
    BOOST_TEST_REQUIRE(waitpid(child, &status, 0) == child);
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0);
}
