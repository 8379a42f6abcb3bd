// Calling an AOT-compiled Halide kernel: wrapping raw arrays in buffer views
// (no copies, no allocation on the CPU) and turning a failed call into an
// exception.
//
// In a GPU build (kernels compiled with TAILOR_HALIDE_FEATURES=cuda or opencl)
// the same calls run on the device. Arrays that should stay there between
// calls (a network's parameters, activations, gradients and optimiser state)
// are DeviceArrays: a view of one shares its device allocation, and Halide
// copies between host and device only when the other side is stale. A view of
// any other memory gets a device copy for the length of the call: its values
// go up before and come back after, so plain arrays (as tests use) still work.
#pragma once

#include "HalideBuffer.h"

#include <boost/align/aligned_allocator.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tailor {

// The Halide device interface kernels run on; null in a CPU build.
const halide_device_interface_t *gpu_interface();
// "cpu", "cuda" or "opencl": where this build's kernels run.
const char *kernel_device();
// kernel_device(), and for an x86-64 CPU build the instruction set whose
// kernels this CPU runs (of AVX-512, AVX2+FMA and SSE4.1), e.g.
// "cpu, x86-64 AVX-512".
std::string kernel_variant();
// The Halide target string the kernels were compiled for (the report page
// shows it).
std::string kernel_target();

// Memory that kernels read and write, aligned to a cache line: an AVX-512
// vector that straddles two lines loads at half speed (docs/performance.md
// has what a 16-byte-aligned heap cost).
constexpr std::size_t kKernelAlignment = 64;
template <typename T>
using KernelMemory = std::vector<T, boost::alignment::aligned_allocator<T, kKernelAlignment>>;

// A flat array in host memory that, in a GPU build, also keeps a device
// allocation of the same size for its whole life.
class DeviceArray {
public:
    DeviceArray() = default;
    DeviceArray(void *host, std::size_t bytes);  // wraps memory the caller owns
    DeviceArray(const DeviceArray &) = delete;
    DeviceArray &operator=(const DeviceArray &) = delete;
    ~DeviceArray();

    // Brings the host copy up to date (after kernels wrote on the device).
    void sync_to_host();
    // Marks the host copy as the newer one (after the host wrote to it).
    void host_changed();

private:
    friend class KernelView;
    halide_buffer_t buffer_{};
    halide_dimension_t dimension_{};
};

// A fixed-size array whose storage is a DeviceArray: what a network keeps
// between kernel calls (activations, gradients, labels, ...).
template <typename T>
class DeviceVector {
public:
    // (Re)allocates `size` zeroed elements; existing contents are dropped.
    void assign(std::size_t size) {
        device_.reset();
        values_.assign(size, T{});
        if (size > 0) device_ = std::make_unique<DeviceArray>(values_.data(), size * sizeof(T));
    }
    T *data() { return values_.data(); }
    std::size_t size() const { return values_.size(); }

    // The host copy, brought up to date first.
    std::span<const T> read() {
        if (device_) device_->sync_to_host();
        return values_;
    }
    // Host-side writes: write(), or data() followed by host_changed().
    void write(std::span<const T> from) {
        std::copy(from.begin(), from.end(), values_.begin());
        host_changed();
    }
    void host_changed() {
        if (device_) device_->host_changed();
    }

private:
    KernelMemory<T> values_;
    std::unique_ptr<DeviceArray> device_;
};

// A dense view, dimensions innermost first, for one kernel call.
class KernelView {
public:
    KernelView(halide_type_t type, const void *host, std::initializer_list<int> extents);
    KernelView(const KernelView &) = delete;
    KernelView &operator=(const KernelView &) = delete;
    ~KernelView();

    operator halide_buffer_t *() { return &buffer_; }

private:
    halide_buffer_t buffer_{};
    std::array<halide_dimension_t, 4> dimensions_{};
    DeviceArray *owner_ = nullptr;  // the DeviceArray viewed, if any
};

template <typename T, typename... Extents>
KernelView view(const T *data, Extents... extents) {
    return KernelView(halide_type_of<T>(), data, {static_cast<int>(extents)...});
}

// Throws if a Halide kernel returned an error code; the message carries the
// last text Halide's error handler reported.
void check_kernel(int result, const char *kernel);

}  // namespace tailor
