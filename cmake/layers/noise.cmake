# noise STDDEV: additive Gaussian noise in training; shape unchanged.
# Runtime: runtime/tailor/nn/layers/gaussian_noise.h; kernel:
# generators/gaussian_noise.cpp (one for every shape).

function(tailor_layer_noise_shape in arguments out_var)
    tailor_arch_arguments("${arguments}" 1 1 "noise STDDEV")
    list(GET arguments 0 stddev)
    tailor_arch_float(${stddev} "noise's STDDEV" false literal)
    set(${out_var} ${in} PARENT_SCOPE)
endfunction()

function(tailor_layer_noise_kernels in out arguments position type_var)
    list(GET arguments 0 stddev)
    tailor_arch_float(${stddev} "noise's STDDEV" false literal)
    tailor_kernel(gaussian_noise gaussian_noise)
    tailor_shape_elements("${in}" elements)
    tailor_tune_elements(gaussian_noise per_image ${elements})
    tailor_bind(gaussian_noise "" tailor/nn/layers/gaussian_noise.h)
    tailor_shape_literal("${in}" shape)
    set(${type_var} "GaussianNoise<${shape}, ${literal}>" PARENT_SCOPE)
endfunction()
