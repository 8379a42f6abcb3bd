// Ctrl-C (SIGINT) and SIGTERM caught rather than fatal, so that a long
// command can stop at a point where everything it wrote is whole.
#pragma once

#include "tailor/util/error.h"

namespace tailor {

// From here on SIGINT and SIGTERM only set a flag that stop_signal() reads.
void catch_stop_signals();

// The signal received since catch_stop_signals(), or 0.
int stop_signal();

// "SIGINT", "SIGTERM", or "a signal".
const char *signal_name(int signal);

// Thrown when a command stops on a caught signal; the app exits 128 + signal.
class Interrupted : public Error {
public:
    Interrupted(int signal, const std::string &message) : Error(message), signal_(signal) {}
    int signal() const { return signal_; }

private:
    int signal_;
};

}  // namespace tailor
