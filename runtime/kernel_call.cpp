#include "tailor/kernel_call.h"

#include "HalideRuntime.h"
#include "tailor/error.h"

#if defined(TAILOR_GPU_CUDA)
#include "HalideRuntimeCuda.h"
#elif defined(TAILOR_GPU_OPENCL)
#include "HalideRuntimeOpenCL.h"
#endif

#include <initializer_list>
#include <iterator>
#include <map>
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

// DeviceArrays by host address, so a view of one finds its device copy.
std::mutex arrays_mutex;
std::map<const void *, DeviceArray *> arrays;

void check_device(int result, const char *what) {
    if (result == 0) return;
    std::lock_guard<std::mutex> lock(last_error_mutex);
    throw Error(std::string(kernel_device()) + " device: " + what + " failed (code " + std::to_string(result) +
                "): " + last_error);
}

}  // namespace

const halide_device_interface_t *gpu_interface() {
#if defined(TAILOR_GPU_CUDA)
    return halide_cuda_device_interface();
#elif defined(TAILOR_GPU_OPENCL)
    return halide_opencl_device_interface();
#else
    return nullptr;
#endif
}

const char *kernel_device() {
#if defined(TAILOR_GPU_CUDA)
    return "cuda";
#elif defined(TAILOR_GPU_OPENCL)
    return "opencl";
#else
    return "cpu";
#endif
}

#if defined(TAILOR_X86_MULTI_TARGET)
namespace {

// The question Halide's multi-target wrapper asks before each kernel picks
// its variant, asked the same way.
bool cpu_can_use(std::initializer_list<halide_target_feature_t> features) {
    uint64_t bits[(halide_target_feature_end + 63) / 64] = {};
    for (auto f : features) bits[f / 64] |= uint64_t{1} << (f % 64);
    return halide_can_use_target_features(static_cast<int>(std::size(bits)), bits) != 0;
}

}  // namespace
#endif

std::string kernel_variant() {
#if defined(TAILOR_X86_MULTI_TARGET)
    using enum halide_target_feature_t;
    if (cpu_can_use({halide_target_feature_sse41, halide_target_feature_avx, halide_target_feature_f16c,
                     halide_target_feature_fma, halide_target_feature_avx2, halide_target_feature_avx512,
                     halide_target_feature_avx512_skylake})) {
        return "cpu, x86-64 AVX-512";
    }
    if (cpu_can_use({halide_target_feature_sse41, halide_target_feature_avx, halide_target_feature_f16c,
                     halide_target_feature_fma, halide_target_feature_avx2})) {
        return "cpu, x86-64 AVX2+FMA";
    }
    return "cpu, x86-64 SSE4.1";
#else
    return kernel_device();
#endif
}

DeviceArray::DeviceArray(void *host, std::size_t bytes) {
    if (!gpu_interface()) return;
    dimension_ = {0, static_cast<int32_t>(bytes), 1, 0};
    buffer_.host = static_cast<uint8_t *>(host);
    buffer_.type = halide_type_of<uint8_t>();
    buffer_.dimensions = 1;
    buffer_.dim = &dimension_;
    check_device(halide_device_malloc(nullptr, &buffer_, gpu_interface()), "allocation");
    buffer_.set_host_dirty(true);
    std::lock_guard<std::mutex> lock(arrays_mutex);
    arrays[host] = this;
}

DeviceArray::~DeviceArray() {
    if (!buffer_.device) return;
    {
        std::lock_guard<std::mutex> lock(arrays_mutex);
        arrays.erase(buffer_.host);
    }
    halide_device_free(nullptr, &buffer_);
}

void DeviceArray::sync_to_host() {
    if (buffer_.device && buffer_.device_dirty()) check_device(halide_copy_to_host(nullptr, &buffer_), "copy to host");
}

void DeviceArray::host_changed() {
    if (!buffer_.device) return;
    buffer_.set_device_dirty(false);
    buffer_.set_host_dirty(true);
}

KernelView::KernelView(halide_type_t type, const void *host, std::initializer_list<int> extents) {
    if (extents.size() > dimensions_.size()) throw Error("kernel view: too many dimensions");
    buffer_.host = static_cast<uint8_t *>(const_cast<void *>(host));
    buffer_.type = type;
    buffer_.dimensions = static_cast<int32_t>(extents.size());
    buffer_.dim = dimensions_.data();
    int32_t stride = 1, d = 0;
    for (int extent : extents) {
        dimensions_[d++] = {0, extent, stride, 0};
        stride *= extent;
    }
    if (!gpu_interface()) return;
    {
        std::lock_guard<std::mutex> lock(arrays_mutex);
        const auto found = arrays.find(host);
        if (found != arrays.end()) owner_ = found->second;
    }
    if (owner_) {
        if (static_cast<std::size_t>(stride) * type.bytes() > static_cast<std::size_t>(owner_->dimension_.extent)) {
            throw Error("kernel view: larger than the device array it views");
        }
        buffer_.device = owner_->buffer_.device;
        buffer_.device_interface = owner_->buffer_.device_interface;
        buffer_.flags = owner_->buffer_.flags;
    } else {
        buffer_.set_host_dirty(true);  // a device copy for this call only
    }
}

KernelView::~KernelView() {
    if (owner_) {
        owner_->buffer_.flags = buffer_.flags;
        return;
    }
    if (!buffer_.device) return;
    if (buffer_.device_dirty()) halide_copy_to_host(nullptr, &buffer_);
    halide_device_free(nullptr, &buffer_);
}

void check_kernel(int result, const char *kernel) {
    if (result == 0) return;
    std::lock_guard<std::mutex> lock(last_error_mutex);
    throw Error(std::string("kernel ") + kernel + " failed (code " + std::to_string(result) + "): " + last_error);
}

}  // namespace tailor
