# dropout RATE: inverted dropout in training, 0 <= RATE < 1; shape unchanged.
# Runtime: runtime/tailor/nn/layers/dropout.h; kernel: generators/dropout.cpp
# (one for every shape).

function(tailor_layer_dropout_shape in arguments out_var)
    tailor_arch_arguments("${arguments}" 1 1 "dropout RATE")
    list(GET arguments 0 rate)
    tailor_arch_float(${rate} "dropout's RATE" true literal)
    set(${out_var} ${in} PARENT_SCOPE)
endfunction()

function(tailor_layer_dropout_kernels in out arguments position type_var)
    list(GET arguments 0 rate)
    tailor_arch_float(${rate} "dropout's RATE" true literal)
    tailor_kernel(dropout dropout)
    tailor_shape_elements("${in}" elements)
    tailor_tune_elements(dropout per_image ${elements})
    tailor_bind(dropout "" tailor/nn/layers/dropout.h)
    tailor_shape_literal("${in}" shape)
    set(${type_var} "Dropout<${shape}, ${literal}>" PARENT_SCOPE)
endfunction()
