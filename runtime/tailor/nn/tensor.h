// A trainable tensor as the runtime sees it: its shape, how it starts, and
// where its values live (a slice of the network's one flat parameter array).
// Layers group their tensors in plain structs that Boost.PFR walks.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <vector>

namespace tailor {

enum class Init { glorot_uniform, zeros };

struct Tensor {
    Tensor(const char *name_, std::initializer_list<int> dims, Init how, int fan_in_ = 0, int fan_out_ = 0)
        : name(name_), shape(dims), init(how), fan_in(fan_in_), fan_out(fan_out_) {}

    const char *name;
    std::vector<int> shape;  // innermost first
    Init init;
    int fan_in, fan_out;     // for Glorot-uniform
    float *data = nullptr;

    std::size_t size() const {
        std::size_t n = 1;
        for (int d : shape) n *= static_cast<std::size_t>(d);
        return n;
    }
};

}  // namespace tailor
