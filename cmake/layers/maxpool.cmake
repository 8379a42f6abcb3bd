# maxpool 2: 2x2 max pooling, stride 2 (an odd last row or column is dropped).
#   (w, h, c) -> (w / 2, h / 2, c)
# Runtime: runtime/tailor/nn/layers/maxpool.h; kernels: generators/maxpool.cpp.
# Right after a conv2d it fuses with it (conv2d_maxpool.cmake).

function(tailor_layer_maxpool_shape in arguments out_var)
    tailor_arch_arguments("${arguments}" 1 1 "maxpool ${TAILOR_PoolWindow}")
    list(GET arguments 0 window)
    if (NOT window STREQUAL "${TAILOR_PoolWindow}")
        tailor_arch_fail("maxpool supports only a ${TAILOR_PoolWindow}x${TAILOR_PoolWindow} window, not '${window}'")
    endif ()
    tailor_arch_image_input("${in}" maxpool)
    list(GET in 0 width)
    list(GET in 1 height)
    list(GET in 2 channels)
    math(EXPR out_width "${width} / ${TAILOR_PoolWindow}")
    math(EXPR out_height "${height} / ${TAILOR_PoolWindow}")
    if (out_width LESS 1 OR out_height LESS 1)
        tailor_arch_fail("maxpool's ${width}x${height} input is smaller than its window")
    endif ()
    set(${out_var} ${out_width} ${out_height} ${channels} PARENT_SCOPE)
endfunction()

set(TAILOR_MAXPOOL_BINDING [=[
template <> struct MaxPoolKernels<@w@, @h@, @c@> {
    static constexpr auto forward = &kernels::maxpool_forward_@key@;
    static constexpr auto backward = &kernels::maxpool_backward_@key@;
};
]=])

function(tailor_layer_maxpool_kernels in out arguments position type_var)
    list(GET in 0 w)
    list(GET in 1 h)
    list(GET in 2 c)
    set(key "${w}x${h}x${c}")
    foreach (pass IN ITEMS forward backward)
        tailor_kernel(maxpool_${pass} maxpool_${pass}_${key} width=${w} height=${h} channels=${c})
    endforeach ()
    string(CONFIGURE "${TAILOR_MAXPOOL_BINDING}" binding @ONLY)
    tailor_bind(maxpool_${key} "${binding}" tailor/nn/layers/maxpool.h)
    set(${type_var} "MaxPool<${w}, ${h}, ${c}>" PARENT_SCOPE)
endfunction()
