# flatten: (w, h, c) -> (w * h * c), in Keras's order; moves nothing.
# Runtime: runtime/tailor/nn/layers/flatten.h; no kernel.

function(tailor_layer_flatten_shape in arguments out_var)
    tailor_arch_arguments("${arguments}" 0 0 "flatten")
    tailor_arch_image_input("${in}" flatten)
    list(GET in 0 width)
    list(GET in 1 height)
    list(GET in 2 channels)
    math(EXPR features "${width} * ${height} * ${channels}")
    if (features GREATER 2147483647)
        tailor_arch_fail("flatten: ${width}x${height}x${channels} features do not fit an int")
    endif ()
    set(${out_var} ${features} PARENT_SCOPE)
endfunction()

function(tailor_layer_flatten_kernels in out arguments position type_var)
    tailor_bind(flatten "" tailor/nn/layers/flatten.h)
    tailor_shape_literal("${in}" shape)
    set(${type_var} "Flatten<${shape}>" PARENT_SCOPE)
endfunction()
