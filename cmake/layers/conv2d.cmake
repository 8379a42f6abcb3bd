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

# The binding, with Winograd's kernels where they apply: the forward pass
# where the output divides into 3x3 tiles, the backward pass where it is one.
set(TAILOR_CONV2D_BINDING [=[
template <> struct Conv2DKernels<@w@, @h@, @ci@, @co@, @relu@> {
    static constexpr auto forward = &kernels::conv2d_forward_@key@;
    static constexpr auto backward_data = &kernels::conv2d_backward_data_@key@;
    static constexpr auto backward_weights = &kernels::conv2d_backward_weights_@key@;
    static constexpr bool winograd = @winograd@;
    static constexpr bool winograd_backward = @winograd_backward@;
@winograd_bindings@};
]=])
set(TAILOR_CONV2D_WINOGRAD_FORWARD [=[
    static constexpr auto winograd_weights = &kernels::conv2d_winograd_weights_@key@;
    static constexpr auto forward_winograd = &kernels::conv2d_forward_winograd_@key@;
]=])
set(TAILOR_CONV2D_WINOGRAD_BACKWARD [=[
    static constexpr auto backward_data_winograd = &kernels::conv2d_backward_data_winograd_@key@;
    static constexpr auto backward_weights_winograd = &kernels::conv2d_backward_weights_winograd_@key@;
]=])

function(tailor_layer_conv2d_kernels in out arguments position type_var)
    tailor_conv2d_key("${in}" "${arguments}")
    set(passes forward backward_data backward_weights)
    # Winograd's F(3x3, 3x3) (generators/conv2d_winograd.cpp).
    math(EXPR out_w "${w} - ${TAILOR_ConvKernel} + 1")
    math(EXPR out_h "${h} - ${TAILOR_ConvKernel} + 1")
    math(EXPR tiles_left "${out_w} % 3 + ${out_h} % 3")
    set(winograd false)
    set(winograd_backward false)
    set(winograd_bindings "")
    if (tiles_left EQUAL 0)
        set(winograd true)
        list(APPEND passes forward_winograd winograd_weights)
        string(APPEND winograd_bindings "${TAILOR_CONV2D_WINOGRAD_FORWARD}")
    endif ()
    if (out_w EQUAL 3 AND out_h EQUAL 3)
        set(winograd_backward true)
        list(APPEND passes backward_data_winograd backward_weights_winograd)
        string(APPEND winograd_bindings "${TAILOR_CONV2D_WINOGRAD_BACKWARD}")
    endif ()
    foreach (pass IN LISTS passes)
        tailor_kernel(conv2d_${pass} conv2d_${pass}_${key}
                      width=${w} height=${h} in_channels=${ci} out_channels=${co} relu=${relu})
    endforeach ()
    math(EXPR weights "${co} * ${ci} * ${TAILOR_ConvKernel} * ${TAILOR_ConvKernel}")
    tailor_tune_parameter_tensor(${weights})
    string(CONFIGURE "${winograd_bindings}" winograd_bindings @ONLY)
    string(CONFIGURE "${TAILOR_CONV2D_BINDING}" binding @ONLY)
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
