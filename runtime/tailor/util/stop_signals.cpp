#include "tailor/util/stop_signals.h"

#include <signal.h>

#include <atomic>

namespace tailor {
namespace {

std::atomic<int> received{0};
static_assert(std::atomic<int>::is_always_lock_free, "the handler stores into it");

void remember(int signal) { received.store(signal); }

}  // namespace

void catch_stop_signals() {
    struct sigaction action {};
    action.sa_handler = remember;
    sigemptyset(&action.sa_mask);
    // A second Ctrl-C stops at once (the first waits for the next step).
    action.sa_flags = SA_RESTART | SA_RESETHAND;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

int stop_signal() { return received.load(); }

const char *signal_name(int signal) {
    if (signal == SIGINT) return "SIGINT";
    if (signal == SIGTERM) return "SIGTERM";
    return "a signal";
}

}  // namespace tailor
