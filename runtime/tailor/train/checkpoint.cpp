#include "tailor/train/checkpoint.h"

#include "tailor/nn/activation_bound.h"
#include "tailor/nn/model.h"
#include "tailor/util/atomic_file.h"
#include "tailor/util/error.h"
#include "tailor/util/read_file.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <span>
#include <type_traits>

namespace tailor {
namespace {

constexpr char kMagic[8] = {'T', 'A', 'I', 'L', 'O', 'R', 'C', 'K'};
// Far more than the largest network's weights, Adam moments and average.
constexpr std::size_t kMaxCheckpointBytes = std::size_t{256} << 20;

// Appends little-endian values (every target tailor builds for is
// little-endian; checked at compile time).
static_assert(std::endian::native == std::endian::little, "checkpoints assume a little-endian host");

class Writer {
public:
    template <typename T>
    void value(const T &v) {
        if constexpr (std::is_same_v<T, std::string>) {
            value(static_cast<uint32_t>(v.size()));
            bytes_.append(v);
        } else {
            static_assert(std::is_arithmetic_v<T>);
            bytes_.append(reinterpret_cast<const char *>(&v), sizeof v);
        }
    }
    void floats(const std::vector<float> &values) {
        value(static_cast<uint64_t>(values.size()));
        bytes_.append(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(float));
    }
    void raw(const void *data, std::size_t size) { bytes_.append(static_cast<const char *>(data), size); }
    std::string &bytes() { return bytes_; }

private:
    std::string bytes_;
};

class Reader {
public:
    Reader(const std::string &path, const uint8_t *data, std::size_t size) : path_(path), data_(data), size_(size) {}

    template <typename T>
    void value(T &v) {
        if constexpr (std::is_same_v<T, std::string>) {
            uint32_t length = 0;
            value(length);
            need(length, "a name");
            v.assign(reinterpret_cast<const char *>(data_ + at_), length);
            at_ += length;
        } else {
            need(sizeof v, "a field");
            std::memcpy(&v, data_ + at_, sizeof v);
            at_ += sizeof v;
        }
    }
    void floats(std::vector<float> &values, const char *what) {
        uint64_t count = 0;
        value(count);
        if (count > (size_ - at_) / sizeof(float)) fail(std::string("truncated in ") + what);
        values.resize(count);
        if (count > 0) std::memcpy(values.data(), data_ + at_, count * sizeof(float));  // data() may be null
        at_ += count * sizeof(float);
    }
    bool at_end() const { return at_ == size_; }
    std::size_t remaining() const { return size_ - at_; }
    [[noreturn]] void fail(const std::string &problem) const { throw file_error(path_, problem); }

private:
    void need(std::size_t bytes, const char *what) const {
        if (bytes > size_ - at_) fail(std::string("truncated while reading ") + what);
    }
    std::string path_;
    const uint8_t *data_;
    std::size_t size_, at_ = 0;
};

uint32_t crc_of(const void *data, std::size_t size) {
    return static_cast<uint32_t>(crc32(0L, static_cast<const Bytef *>(data), static_cast<uInt>(size)));
}

}  // namespace

void save_checkpoint(const std::string &path, const Checkpoint &c) {
    Writer w;
    w.raw(kMagic, sizeof kMagic);
    w.value(kCheckpointVersion);
    boost::pfr::for_each_field(c.settings, [&](const auto &field) { w.value(field); });
    w.value(c.epochs_done);
    w.value(c.adam.step);
    w.value(static_cast<uint32_t>(c.tensors.size()));
    for (const auto &t : c.tensors) {
        w.value(t.name);
        w.value(static_cast<uint32_t>(t.shape.size()));
        for (int d : t.shape) w.value(static_cast<int32_t>(d));
    }
    w.value(static_cast<uint32_t>(c.history.size()));
    for (const auto &e : c.history) {
        boost::pfr::for_each_field(e, [&](double field) { w.value(field); });
    }
    w.floats(c.parameters);
    w.floats(c.adam.m);
    w.floats(c.adam.v);
    w.floats(c.averaged);
    w.value(crc_of(w.bytes().data(), w.bytes().size()));
    write_file_atomically(path, w.bytes());
}

Checkpoint load_checkpoint(const std::string &path) {
    const std::string file = read_small_file(path, kMaxCheckpointBytes, "a checkpoint");
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t *>(file.data()), file.size());
    if (bytes.size() < sizeof kMagic + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
        throw file_error(path, "not a tailor checkpoint (bad magic)");
    }
    uint32_t stored_crc = 0;
    std::memcpy(&stored_crc, bytes.data() + bytes.size() - 4, 4);
    const std::size_t body = bytes.size() - 4;

    Reader r(path, bytes.data() + sizeof kMagic, body - sizeof kMagic);
    uint32_t version = 0;
    r.value(version);
    if (version < 1 || version > kCheckpointVersion) {
        r.fail("checkpoint version " + std::to_string(version) + " is not supported (this tailor reads version " +
               std::to_string(kCheckpointVersion) + ")");
    }
    if (crc_of(bytes.data(), body) != stored_crc) r.fail("checksum mismatch: the checkpoint is corrupt or truncated");

    Checkpoint c;
    boost::pfr::for_each_field(c.settings, [&](auto &field, std::size_t i) {
        if (version >= 2 || i < kVersion1SettingFields) r.value(field);
    });
    r.value(c.epochs_done);
    r.value(c.adam.step);
    uint32_t tensor_count = 0;
    r.value(tensor_count);
    if (tensor_count > 4096) r.fail("implausible tensor count " + std::to_string(tensor_count));
    c.tensors.resize(tensor_count);
    for (auto &t : c.tensors) {
        r.value(t.name);
        uint32_t rank = 0;
        r.value(rank);
        if (rank > 8) r.fail("implausible rank for tensor " + t.name);
        t.shape.resize(rank);
        for (int &d : t.shape) {
            int32_t extent = 0;
            r.value(extent);
            d = extent;
        }
    }
    uint32_t epochs = 0;
    r.value(epochs);
    if (epochs != c.epochs_done) r.fail("history holds " + std::to_string(epochs) + " epochs, header says " +
                                        std::to_string(c.epochs_done));
    static_assert(sizeof(EpochRecord) == 5 * sizeof(double), "the history's records are its five doubles");
    if (epochs > r.remaining() / sizeof(EpochRecord)) r.fail("truncated in the history");  // before allocating
    c.history.resize(epochs);
    for (auto &e : c.history) {
        boost::pfr::for_each_field(e, [&](double &field) { r.value(field); });
    }
    r.floats(c.parameters, "parameters");
    r.floats(c.adam.m, "Adam first moments");
    r.floats(c.adam.v, "Adam second moments");
    if (version >= 2) r.floats(c.averaged, "averaged parameters");
    if (!r.at_end()) r.fail("unexpected bytes after the last section");
    if (c.adam.m.size() != c.parameters.size() || c.adam.v.size() != c.parameters.size()) {
        r.fail("optimizer state does not match the parameter count");
    }
    if (!c.averaged.empty() && c.averaged.size() != c.parameters.size()) {
        r.fail("averaged parameters do not match the parameter count");
    }
    try {
        check_settings(c.settings);
    } catch (const Error &e) {
        r.fail(std::string("holds settings tailor cannot use: ") + e.what());
    }
    const auto architectures = architecture_names();
    if (std::find(architectures.begin(), architectures.end(), c.settings.architecture) == architectures.end()) {
        r.fail("holds an architecture this tailor does not know");
    }
    if (c.epochs_done > c.settings.epochs) r.fail("holds more epochs than its settings train");
    if (const char *section = non_finite_section(c)) r.fail(std::string(section) + " hold NaN or infinity");
    if (std::any_of(c.adam.v.begin(), c.adam.v.end(), [](float v) { return v < 0; })) {
        r.fail("Adam second moments are negative");
    }
    return c;
}

const char *non_finite_section(const Checkpoint &c) {
    const auto finite = [](const std::vector<float> &values) {
        return std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); });
    };
    if (!finite(c.parameters)) return "parameters";
    if (!finite(c.averaged)) return "averaged parameters";
    if (!finite(c.adam.m)) return "Adam first moments";
    if (!finite(c.adam.v)) return "Adam second moments";
    return nullptr;
}

void check_compatible(const std::string &path, const Checkpoint &c, const Model &model) {
    const auto expected = model.tensors();
    if (c.settings.architecture != model.name()) {
        throw file_error(path, "holds architecture '" + c.settings.architecture + "', not '" + model.name() + "'");
    }
    if (expected.size() != c.tensors.size()) {
        throw file_error(path, "has " + std::to_string(c.tensors.size()) + " tensors, " + model.name() + " has " +
                                   std::to_string(expected.size()));
    }
    std::size_t total = 0;
    for (std::size_t i = 0; i < expected.size(); i++) {
        if (expected[i].name != c.tensors[i].name || expected[i].shape != c.tensors[i].shape) {
            throw file_error(path, "tensor " + std::to_string(i) + " is " + c.tensors[i].name + ", expected " +
                                       expected[i].name + " with the model's shape");
        }
        std::size_t size = 1;
        for (int d : expected[i].shape) size *= static_cast<std::size_t>(d);
        total += size;
    }
    if (total != c.parameters.size()) {
        throw file_error(path, "holds " + std::to_string(c.parameters.size()) + " parameters, expected " +
                                   std::to_string(total));
    }
    if (const std::string problem = overflowing_section(c, expected); !problem.empty()) {
        throw file_error(path, problem);
    }
}

std::string overflowing_section(const Checkpoint &c, const std::vector<TensorInfo> &tensors) {
    // Winograd's transforms and the sums' rounding stay far inside float's range below this.
    constexpr double kLargestBound = 1e30;
    for (const auto *values : {&c.parameters, &c.averaged}) {
        if (values->empty()) continue;
        const double bound = activation_bound(tensors, *values);
        if (bound > kLargestBound) {
            char text[32];
            std::snprintf(text, sizeof text, "%.3g", bound);
            return std::string(values == &c.parameters ? "parameters" : "averaged parameters") +
                   " so large that the network's activations could overflow float (bound " + text + ")";
        }
    }
    return "";
}

}  // namespace tailor
