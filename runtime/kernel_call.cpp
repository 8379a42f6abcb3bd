#include "tailor/kernel_call.h"

#include "HalideRuntime.h"
#include "tailor/error.h"

#include <mutex>

namespace tailor {
namespace {

std::mutex last_error_mutex;
std::string last_error;

// Halide's default handler prints to stderr; keep the text for the exception.
void remember_error(void *, const char *message) {
    std::lock_guard<std::mutex> lock(last_error_mutex);
    last_error = message;
    while (!last_error.empty() && (last_error.back() == '\n' || last_error.back() == ' ')) last_error.pop_back();
}

const bool handler_installed = (halide_set_error_handler(remember_error), true);

}  // namespace

void check_kernel(int result, const char *kernel) {
    if (result == 0) return;
    std::lock_guard<std::mutex> lock(last_error_mutex);
    throw Error(std::string("kernel ") + kernel + " failed (code " + std::to_string(result) + "): " + last_error);
}

}  // namespace tailor
