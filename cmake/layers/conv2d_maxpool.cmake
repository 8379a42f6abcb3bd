# conv2d_maxpool: a conv2d and the maxpool right after it, fused into one
# layer (never declared: the compiler makes it from the pair).
#   (w, h, c) -> ((w - 2) / 2, (h - 2) / 2, FILTERS)
# Runtime: runtime/tailor/nn/layers/conv2d_maxpool.h; kernels:
# generators/conv2d_maxpool.cpp.
tailor_declare_fusion(conv2d maxpool conv2d_maxpool)

# The network's first pair over few channels (direct sums, no input
# gradient), or any other (Winograd, window-by-window gradients).
set(TAILOR_CONV2D_MAXPOOL_BINDING_true [=[
template <> struct Conv2DMaxPoolKernels<@w@, @h@, @ci@, @co@, @relu@, true> {
    static constexpr auto forward = &kernels::conv2d_maxpool_forward_@key@;
    static constexpr auto forward_argmax = &kernels::conv2d_maxpool_forward_argmax_@key@;
    static constexpr auto backward_weights_routed = &kernels::conv2d_maxpool_backward_weights_routed_@key@;
};
]=])
set(TAILOR_CONV2D_MAXPOOL_BINDING_false [=[
template <> struct Conv2DMaxPoolKernels<@w@, @h@, @ci@, @co@, @relu@, false> {
    static constexpr auto forward = &kernels::conv2d_maxpool_forward_@key@;
    static constexpr auto backward_weights_argmax = &kernels::conv2d_maxpool_backward_weights_argmax_@key@;
    static constexpr auto backward_data_argmax = &kernels::conv2d_maxpool_backward_data_argmax_@key@;
    static constexpr auto winograd_weights = &kernels::winograd_weights_@key@;
    static constexpr auto forward_winograd = &kernels::conv2d_maxpool_forward_winograd_@key@;
    static constexpr auto forward_winograd_argmax = &kernels::conv2d_maxpool_forward_winograd_argmax_@key@;
};
]=])

function(tailor_layer_conv2d_maxpool_kernels in out arguments position type_var)
    tailor_conv2d_key("${in}" "${arguments}")
    # A first convolution over few channels (the image) is memory-bound, and
    # the window-by-window gradients need whole vectors of input channels; it
    # computes no input gradient, since it reads the network's input.
    if (position EQUAL 0 AND ci LESS_EQUAL 4)
        set(first true)
        set(passes forward forward_argmax backward_weights_routed)
    else ()
        set(first false)
        set(passes forward backward_weights_argmax backward_data_argmax forward_winograd forward_winograd_argmax)
    endif ()
    set(shape width=${w} height=${h} in_channels=${ci} out_channels=${co} relu=${relu})
    foreach (pass IN LISTS passes)
        tailor_kernel(conv2d_maxpool_${pass} conv2d_maxpool_${pass}_${key} ${shape})
    endforeach ()
    # Inference and training's forward pass by Winograd's F(2x2, 3x3) in
    # every pair but such a first one, whose direct sums are memory-bound
    # anyway.
    if (NOT first)
        tailor_kernel(winograd_weights winograd_weights_${key} ${shape})
    endif ()
    math(EXPR weights "${co} * ${ci} * ${TAILOR_ConvKernel} * ${TAILOR_ConvKernel}")
    tailor_tune_parameter_tensor(${weights})
    string(CONFIGURE "${TAILOR_CONV2D_MAXPOOL_BINDING_${first}}" binding @ONLY)
    tailor_bind(conv2d_maxpool_${key}_${first} "${binding}" tailor/nn/layers/conv2d_maxpool.h)
    set(${type_var} "Conv2DMaxPool<${w}, ${h}, ${ci}, ${co}, ${relu}, ${first}>" PARENT_SCOPE)
endfunction()
