# dense UNITS [relu]: fully connected + bias (+ ReLU). (features) -> (UNITS)
# Runtime: runtime/tailor/nn/layers/dense.h; kernels: generators/dense.cpp.

function(tailor_layer_dense_shape in arguments out_var)
    tailor_arch_arguments("${arguments}" 1 2 "dense UNITS [relu]")
    list(GET arguments 0 units)
    tailor_arch_positive_integer(${units} "dense's UNITS")
    tailor_arch_activation("${arguments}" 1 relu)
    tailor_arch_flat_input("${in}" dense)
    set(${out_var} ${units} PARENT_SCOPE)
endfunction()

# A layer of several slices of outputs (shape.h's kDenseSlice) also reads its
# weights in slices for small batches.
set(TAILOR_DENSE_BINDING_false [=[
template <> struct DenseKernels<@in@, @units@, @relu@> {
    static constexpr bool sliced = false;
    static constexpr auto forward = &kernels::dense_forward_@key@;
    static constexpr auto backward_data = &kernels::dense_backward_data_@key@;
    static constexpr auto backward_weights = &kernels::dense_backward_weights_@key@;
};
]=])
set(TAILOR_DENSE_BINDING_true [=[
template <> struct DenseKernels<@in@, @units@, @relu@> {
    static constexpr bool sliced = true;
    static constexpr auto forward = &kernels::dense_forward_@key@;
    static constexpr auto slice_weights = &kernels::dense_slice_weights_@key@;
    static constexpr auto forward_sliced = &kernels::dense_forward_sliced_@key@;
    static constexpr auto backward_data = &kernels::dense_backward_data_@key@;
    static constexpr auto backward_weights = &kernels::dense_backward_weights_@key@;
};
]=])

function(tailor_layer_dense_kernels in out arguments position type_var)
    list(GET arguments 0 units)
    tailor_arch_activation("${arguments}" 1 relu)
    set(key "${in}_to_${units}")
    if (relu)
        string(APPEND key "_relu")
    endif ()
    set(passes forward backward_data backward_weights)
    math(EXPR slices "${units} / ${TAILOR_DenseSlice}")
    math(EXPR remainder "${units} % ${TAILOR_DenseSlice}")
    if (remainder EQUAL 0 AND slices GREATER 1)
        set(sliced true)
        list(APPEND passes slice_weights forward_sliced)
    else ()
        set(sliced false)
    endif ()
    foreach (pass IN LISTS passes)
        tailor_kernel(dense_${pass} dense_${pass}_${key} inputs=${in} outputs=${units} relu=${relu})
    endforeach ()
    math(EXPR weights "${units} * ${in}")
    tailor_tune_parameter_tensor(${weights})
    string(CONFIGURE "${TAILOR_DENSE_BINDING_${sliced}}" binding @ONLY)
    tailor_bind(dense_${key} "${binding}" tailor/nn/layers/dense.h)
    set(${type_var} "Dense<${in}, ${units}, ${relu}>" PARENT_SCOPE)
endfunction()
