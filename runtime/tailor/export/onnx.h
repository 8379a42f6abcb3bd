// A trained network as an ONNX model (IR version 7, opset 13) of its
// inference graph: input "image" [N, 1, 28, 28], floats pixel / 255 with the
// product light on dark as in Fashion-MNIST; output "probabilities" [N, 10].
// Dropout and noise layers, inactive in inference, are left out. The class
// names, the input's scaling and the architecture are in the metadata.
#pragma once

#include "tailor/nn/model.h"

#include <span>
#include <string>

namespace tailor {

// The serialized ModelProto of `model` with `parameters` (the flat array, as
// Model::parameters() lays it out: e.g. a checkpoint's weights' average).
std::string onnx_model(const Model &model, std::span<const float> parameters);

}  // namespace tailor
