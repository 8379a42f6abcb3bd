# conv2d FILTERS [relu]: a 3x3 "valid" convolution + bias (+ ReLU).
#   (w, h, c) -> (w - 2, h - 2, FILTERS)
# Runtime: runtime/tailor/nn/layers/conv2d.h; kernels: generators/conv2d.cpp.

function(tailor_layer_conv2d_shape in arguments out_var)
    tailor_arch_arguments("${arguments}" 1 2 "conv2d FILTERS [relu]")
    list(GET arguments 0 filters)
    tailor_arch_positive_integer(${filters} "conv2d's FILTERS")
    tailor_arch_activation("${arguments}" 1 relu)
    tailor_arch_image_input("${in}" conv2d)
    list(GET in 0 width)
    list(GET in 1 height)
    math(EXPR out_width "${width} - ${TAILOR_ConvKernel} + 1")
    math(EXPR out_height "${height} - ${TAILOR_ConvKernel} + 1")
    if (out_width LESS 1 OR out_height LESS 1)
        tailor_arch_fail("conv2d's ${width}x${height} input is smaller than its ${TAILOR_ConvKernel}x${TAILOR_ConvKernel} kernel")
    endif ()
    set(${out_var} ${out_width} ${out_height} ${filters} PARENT_SCOPE)
endfunction()

# With Winograd inference (the output divides into 3x3 tiles) or without.
set(TAILOR_CONV2D_BINDING_true [=[
template <> struct Conv2DKernels<@w@, @h@, @ci@, @co@, @relu@> {
    static constexpr auto forward = &kernels::conv2d_forward_@key@;
    static constexpr auto backward_data = &kernels::conv2d_backward_data_@key@;
    static constexpr auto backward_weights = &kernels::conv2d_backward_weights_@key@;
    static constexpr bool winograd = true;
    static constexpr auto winograd_weights = &kernels::conv2d_winograd_weights_@key@;
    static constexpr auto forward_winograd = &kernels::conv2d_forward_winograd_@key@;
};
]=])
set(TAILOR_CONV2D_BINDING_false [=[
template <> struct Conv2DKernels<@w@, @h@, @ci@, @co@, @relu@> {
    static constexpr auto forward = &kernels::conv2d_forward_@key@;
    static constexpr auto backward_data = &kernels::conv2d_backward_data_@key@;
    static constexpr auto backward_weights = &kernels::conv2d_backward_weights_@key@;
    static constexpr bool winograd = false;
};
]=])

function(tailor_layer_conv2d_kernels in out arguments position type_var)
    tailor_conv2d_key("${in}" "${arguments}")
    set(passes forward backward_data backward_weights)
    # The forward pass by Winograd's F(3x3, 3x3) where the output divides
    # into 3x3 tiles (generators/conv2d_winograd.cpp).
    math(EXPR tiles_left "(${w} - ${TAILOR_ConvKernel} + 1) % 3 + (${h} - ${TAILOR_ConvKernel} + 1) % 3")
    if (tiles_left EQUAL 0)
        set(winograd true)
        list(APPEND passes forward_winograd winograd_weights)
    else ()
        set(winograd false)
    endif ()
    foreach (pass IN LISTS passes)
        tailor_kernel(conv2d_${pass} conv2d_${pass}_${key}
                      width=${w} height=${h} in_channels=${ci} out_channels=${co} relu=${relu})
    endforeach ()
    math(EXPR weights "${co} * ${ci} * ${TAILOR_ConvKernel} * ${TAILOR_ConvKernel}")
    tailor_tune_parameter_tensor(${weights})
    string(CONFIGURE "${TAILOR_CONV2D_BINDING_${winograd}}" binding @ONLY)
    tailor_bind(conv2d_${key} "${binding}" tailor/nn/layers/conv2d.h)
    set(${type_var} "Conv2D<${w}, ${h}, ${ci}, ${co}, ${relu}>" PARENT_SCOPE)
endfunction()

# A convolution's parameters (w, h, ci, co, relu) and the name its kernels
# share, e.g. 28x28x1_to_32_relu, set in the caller's scope.
macro(tailor_conv2d_key in arguments)
    list(GET in 0 w)
    list(GET in 1 h)
    list(GET in 2 ci)
    list(GET arguments 0 co)
    tailor_arch_activation("${arguments}" 1 relu)
    set(key "${w}x${h}x${ci}_to_${co}")
    if (relu)
        string(APPEND key "_relu")
    endif ()
endmacro()
