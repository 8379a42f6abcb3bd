#include "tailor/export/onnx.h"

#include "tailor/data/dataset.h"
#include "tailor/export/protobuf.h"
#include "tailor/nn/shape.h"
#include "tailor/util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

namespace tailor {
namespace {

using protobuf::Message;

// Field numbers and enums of onnx.proto (ONNX 1.12).
namespace field {
constexpr int kModelIrVersion = 1, kModelProducerName = 2, kModelProducerVersion = 3, kModelGraph = 7,
              kModelOpsetImport = 8, kModelMetadata = 14;
constexpr int kOpsetDomain = 1, kOpsetVersion = 2;
constexpr int kGraphNode = 1, kGraphName = 2, kGraphInitializer = 5, kGraphInput = 11, kGraphOutput = 12;
constexpr int kNodeInput = 1, kNodeOutput = 2, kNodeName = 3, kNodeOpType = 4, kNodeAttribute = 5;
constexpr int kAttributeName = 1, kAttributeInt = 3, kAttributeInts = 8, kAttributeType = 20;
constexpr int kTensorDims = 1, kTensorDataType = 2, kTensorName = 8, kTensorRawData = 9;
constexpr int kValueName = 1, kValueType = 2, kTypeTensor = 1, kTensorElemType = 1, kTensorShape = 2;
constexpr int kShapeDim = 1, kDimValue = 1, kDimParam = 2;
constexpr int kEntryKey = 1, kEntryValue = 2;
}  // namespace field
constexpr int kAttributeTypeInt = 2, kAttributeTypeInts = 7, kFloat = 1;
constexpr int kIrVersion = 7, kOpset = 13;

Message int_attribute(const std::string &name, int64_t value) {
    Message a;
    a.bytes(field::kAttributeName, name).varint(field::kAttributeInt, static_cast<uint64_t>(value));
    return a.varint(field::kAttributeType, kAttributeTypeInt);
}

Message ints_attribute(const std::string &name, const std::vector<int64_t> &values) {
    Message a;
    a.bytes(field::kAttributeName, name);
    for (int64_t v : values) a.varint(field::kAttributeInts, static_cast<uint64_t>(v));
    return a.varint(field::kAttributeType, kAttributeTypeInts);
}

Message float_tensor(const std::string &name, const std::vector<int64_t> &dims, const std::vector<float> &values) {
    Message t;
    for (int64_t d : dims) t.varint(field::kTensorDims, static_cast<uint64_t>(d));
    t.varint(field::kTensorDataType, kFloat).bytes(field::kTensorName, name);
    // raw_data is little-endian, as every target tailor builds for is.
    return t.bytes(field::kTensorRawData,
                   std::string_view(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(float)));
}

// A float tensor's name and shape: a first dimension named `batch`, then `dims`.
Message value_info(const std::string &name, const std::string &batch, const std::vector<int64_t> &dims) {
    Message shape;
    shape.message(field::kShapeDim, Message().bytes(field::kDimParam, batch));
    for (int64_t d : dims) shape.message(field::kShapeDim, Message().varint(field::kDimValue, static_cast<uint64_t>(d)));
    Message tensor;
    tensor.varint(field::kTensorElemType, kFloat).message(field::kTensorShape, shape);
    Message type;
    type.message(field::kTypeTensor, tensor);
    Message info;
    return info.bytes(field::kValueName, name).message(field::kValueType, type);
}

// The graph as it is built: nodes and initializers, and the name of the
// value the last node produced.
class Graph {
public:
    explicit Graph(std::string input) : current_(std::move(input)) {}

    // Appends OP on the current value (and `extra` inputs); its output becomes current.
    void node(const std::string &op, const std::string &name, const std::vector<std::string> &extra = {},
              const std::vector<Message> &attributes = {}) {
        Message n;
        n.bytes(field::kNodeInput, current_);
        for (const auto &e : extra) n.bytes(field::kNodeInput, e);
        current_ = name;
        n.bytes(field::kNodeOutput, name).bytes(field::kNodeName, name).bytes(field::kNodeOpType, op);
        for (const auto &a : attributes) n.message(field::kNodeAttribute, a);
        nodes_.push_back(std::move(n));
    }
    void initializer(Message tensor) { initializers_.push_back(std::move(tensor)); }

    Message finish(const std::string &name, const std::string &input, const std::string &output) const {
        Message g;
        for (const auto &n : nodes_) g.message(field::kGraphNode, n);
        g.bytes(field::kGraphName, name);
        for (const auto &t : initializers_) g.message(field::kGraphInitializer, t);
        g.message(field::kGraphInput, value_info(input, "N", {1, kImageSide, kImageSide}));
        g.message(field::kGraphOutput, value_info(output, "N", {kClasses}));
        return g;
    }

private:
    std::string current_;
    std::vector<Message> nodes_, initializers_;
};

// A tensor of `parameters` by its name, e.g. "conv2d_1/weights".
class Parameters {
public:
    Parameters(const Model &model, std::span<const float> values) : values_(values) {
        for (const auto &t : model.tensors()) tensors_[t.name] = t;
    }
    std::vector<float> operator()(const std::string &name) const {
        const auto found = tensors_.find(name);
        if (found == tensors_.end()) throw Error("export: the model has no tensor " + name);
        std::size_t size = 1;
        for (int d : found->second.shape) size *= static_cast<std::size_t>(d);
        const float *start = values_.data() + found->second.offset;
        return {start, start + size};
    }

private:
    std::span<const float> values_;
    std::map<std::string, TensorInfo> tensors_;
};

// The activations' shape as ONNX holds them: (channels, height, width).
struct ImageShape {
    int channels = 1, height = kImageSide, width = kImageSide;
};

// conv2d: tailor's weights (ky, kx, ci, co), co innermost, as ONNX's (co, ci, ky, kx).
void add_conv(Graph &graph, const LayerSummary &row, const Parameters &parameters, ImageShape &shape) {
    const std::vector<float> w = parameters(row.name + "/weights");
    const int co_count = row.output_shape[2], ci_count = shape.channels, k = kConvKernel;
    std::vector<float> oihw(w.size());
    for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++)
            for (int ci = 0; ci < ci_count; ci++)
                for (int co = 0; co < co_count; co++) {
                    oihw[((static_cast<std::size_t>(co) * ci_count + ci) * k + ky) * k + kx] =
                        w[((static_cast<std::size_t>(ky) * k + kx) * ci_count + ci) * co_count + co];
                }
    graph.initializer(float_tensor(row.name + "/W", {co_count, ci_count, k, k}, oihw));
    graph.initializer(float_tensor(row.name + "/B", {co_count}, parameters(row.name + "/bias")));
    graph.node("Conv", row.name, {row.name + "/W", row.name + "/B"}, {ints_attribute("kernel_shape", {k, k})});
    shape = {co_count, row.output_shape[0], row.output_shape[1]};
}

// dense: tailor's weights (in, out), out innermost, go to Gemm's B as
// (out, in) with transB = 1, the layout other exporters write and every
// importer reads. After a flatten of a (channels, height, width) map, ONNX's
// inputs come in (c, h, w) order where Keras's (and tailor's) come in
// (h, w, c): the inputs are renumbered to match.
void add_dense(Graph &graph, const LayerSummary &row, const Parameters &parameters, const ImageShape *flattened) {
    const std::vector<float> w = parameters(row.name + "/weights");
    const int out = row.output_shape[0], in = static_cast<int>(w.size()) / out;
    std::vector<std::size_t> keras_input(in);  // of each ONNX input
    for (int i = 0; i < in; i++) keras_input[i] = i;
    if (flattened) {
        const ImageShape &s = *flattened;
        for (int c = 0; c < s.channels; c++)
            for (int h = 0; h < s.height; h++)
                for (int x = 0; x < s.width; x++) {
                    keras_input[(static_cast<std::size_t>(c) * s.height + h) * s.width + x] =
                        (static_cast<std::size_t>(h) * s.width + x) * s.channels + c;
                }
    }
    std::vector<float> b(w.size());
    for (int o = 0; o < out; o++)
        for (int i = 0; i < in; i++) b[static_cast<std::size_t>(o) * in + i] = w[keras_input[i] * out + o];
    graph.initializer(float_tensor(row.name + "/W", {out, in}, b));
    graph.initializer(float_tensor(row.name + "/B", {out}, parameters(row.name + "/bias")));
    graph.node("Gemm", row.name, {row.name + "/W", row.name + "/B"}, {int_attribute("transB", 1)});
}

Message metadata(const std::string &key, const std::string &value) {
    Message entry;
    return entry.bytes(field::kEntryKey, key).bytes(field::kEntryValue, value);
}

}  // namespace

std::string onnx_model(const Model &model, std::span<const float> parameters_array) {
    const Parameters parameters(model, parameters_array);
    const std::string input = "image", output = "probabilities";
    Graph graph(input);
    ImageShape shape;
    std::optional<ImageShape> flattened;  // the map the last flatten flattened
    for (const LayerSummary &row : model.summary()) {
        if (row.kind == "Conv2D") {
            add_conv(graph, row, parameters, shape);
        } else if (row.kind == "MaxPooling2D") {
            graph.node("MaxPool", row.name, {},
                       {ints_attribute("kernel_shape", {kPoolWindow, kPoolWindow}),
                        ints_attribute("strides", {kPoolWindow, kPoolWindow})});
            shape = {shape.channels, row.output_shape[0], row.output_shape[1]};
        } else if (row.kind == "Flatten") {
            graph.node("Flatten", row.name, {}, {int_attribute("axis", 1)});
            flattened = shape;
        } else if (row.kind == "Dense") {
            add_dense(graph, row, parameters, flattened ? &*flattened : nullptr);
            flattened.reset();
        } else if (row.kind != "Dropout" && row.kind != "GaussianNoise") {
            throw Error("export: no ONNX operator for layer " + row.name + " (" + row.kind + ")");
        }
        if (row.relu) graph.node("Relu", row.name + "/relu");
    }
    graph.node("Softmax", output, {}, {int_attribute("axis", 1)});

    Message model_proto;
    model_proto.varint(field::kModelIrVersion, kIrVersion)
        .bytes(field::kModelProducerName, "tailor")
        .bytes(field::kModelProducerVersion, TAILOR_VERSION)
        .message(field::kModelGraph, graph.finish(model.name(), input, output))
        .message(field::kModelOpsetImport, Message().bytes(field::kOpsetDomain, "").varint(field::kOpsetVersion, kOpset));
    model_proto.message(field::kModelMetadata, metadata("architecture", model.name()));
    model_proto.message(field::kModelMetadata,
                        metadata("class_names", nlohmann::json(std::vector<std::string>(
                                                                   kClassNames, kClassNames + kClasses))
                                                    .dump()));
    model_proto.message(field::kModelMetadata,
                        metadata("input", "image [N, 1, 28, 28]: grey pixel / 255, product light on a dark "
                                          "background, as in Fashion-MNIST"));
    return model_proto.data();
}

}  // namespace tailor
