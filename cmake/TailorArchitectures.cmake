# Reads architectures/<name>.arch, infers each layer's shapes, instantiates the
# Halide kernels every layer needs (once per distinct shape across all
# architectures) and writes one generated header that declares each
# architecture's layer list for the runtime.
#
#   tailor_add_architectures(TARGET <interface library> GENERATOR <generator>
#                            ARCHITECTURES <name>...)

# Adds one AOT kernel from GENERATOR unless an identical one exists.
function(_tailor_kernel generator_target generator function_name)
    get_property(known GLOBAL PROPERTY TAILOR_KERNELS)
    if (function_name IN_LIST known)
        return()
    endif ()
    set_property(GLOBAL APPEND PROPERTY TAILOR_KERNELS ${function_name})
    get_property(runtime GLOBAL PROPERTY TAILOR_HALIDE_RUNTIME)
    if (runtime)
        set(runtime_arg USE_RUNTIME ${runtime})
    else ()
        # The first kernel owns the one Halide runtime all others share.
        set_property(GLOBAL PROPERTY TAILOR_HALIDE_RUNTIME ${function_name}.runtime)
        set(runtime_arg "")
    endif ()
    set(targets_arg "")
    if (TAILOR_X86_TARGETS)
        set(targets_arg TARGETS ${TAILOR_X86_TARGETS})
    endif ()
    add_halide_library(${function_name} FROM ${generator_target}
                       GENERATOR ${generator}
                       ${targets_arg}
                       FEATURES ${TAILOR_HALIDE_FEATURES}
                       ${runtime_arg}
                       PARAMS ${ARGN})
endfunction()

# Appends a kernel binding to `bindings` once per key; architectures that share
# a layer shape share its kernels. (A macro, so it sees the caller's variables.)
macro(_tailor_bind key)
    if (NOT "${key}" IN_LIST bound)
        list(APPEND bound "${key}")
        string(APPEND bindings "${snippet}")
    endif ()
endmacro()

# Kernels and binding of a conv2d + maxpool pair fused into one (see
# generators/conv2d_maxpool.cpp): inference's forward pass, and training's
# kernels, which recompute the convolution when `recomputes` is true and
# store each window's argmax otherwise. A macro, as _tailor_bind.
macro(_tailor_fused_conv2d_maxpool fused_key fw fh fci fco frelu recomputes)
    if (${recomputes})
        set(passes forward backward_weights)
    else ()
        set(passes forward forward_argmax backward_weights_argmax backward_data_argmax)
    endif ()
    string(CONCAT snippet
           "template <> struct Conv2DMaxPoolKernels<${fw}, ${fh}, ${fci}, ${fco}, ${frelu}> {\n"
           "    static constexpr bool available = true;\n"
           "    static constexpr bool recomputes = ${recomputes};\n")
    foreach (pass IN LISTS passes)
        _tailor_kernel(${ARG_GENERATOR} conv2d_maxpool_${pass} conv2d_maxpool_${pass}_${fused_key}
                       width=${fw} height=${fh} in_channels=${fci} out_channels=${fco} relu=${frelu})
        list(APPEND includes conv2d_maxpool_${pass}_${fused_key})
        string(APPEND snippet "    static constexpr auto ${pass} = &::conv2d_maxpool_${pass}_${fused_key};\n")
    endforeach ()
    string(APPEND snippet "};\n")
    _tailor_bind(conv2d_maxpool_${fused_key})
endmacro()

function(tailor_add_architectures)
    cmake_parse_arguments(ARG "" "TARGET;GENERATOR" "ARCHITECTURES" ${ARGN})
    set(generated_dir "${CMAKE_CURRENT_BINARY_DIR}/generated/tailor")
    set(includes "")
    set(bindings "")
    set(bound "")
    set(arch_types "")
    set(declarations "")

    # Kernels that do not depend on any shape.
    _tailor_kernel(${ARG_GENERATOR} dropout dropout)
    _tailor_kernel(${ARG_GENERATOR} gaussian_noise gaussian_noise)
    _tailor_kernel(${ARG_GENERATOR} adam adam)
    list(APPEND includes dropout gaussian_noise adam)

    foreach (arch IN LISTS ARG_ARCHITECTURES)
        set(file "${PROJECT_SOURCE_DIR}/architectures/${arch}.arch")
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${file}")
        file(STRINGS "${file}" lines)
        set(layers "")
        set(last_conv "")  # the previous layer's parameters when it is a conv2d
        set(description "")
        set(shape "")  # width;height;channels, or features after flatten
        foreach (line IN LISTS lines)
            if (line MATCHES "^# *${arch}: *(.*)$")
                set(description "${CMAKE_MATCH_1}")
            endif ()
            string(REGEX REPLACE "#.*" "" line "${line}")
            string(STRIP "${line}" line)
            if (line STREQUAL "")
                continue()
            endif ()
            string(REGEX REPLACE "[ \t]+" ";" words "${line}")
            list(POP_FRONT words kind)
            list(LENGTH shape rank)
            # The runtime's Shape{channels, width, height} of the current activation.
            if (rank EQUAL 3)
                list(GET shape 0 w)
                list(GET shape 1 h)
                list(GET shape 2 c)
                set(shape_literal "Shape{${c}, ${w}, ${h}}")
            else ()
                set(shape_literal "Shape{${shape}}")
            endif ()

            if (kind STREQUAL "input")
                list(GET words 0 width)
                list(GET words 1 height)
                list(GET words 2 channels)
                set(input_shape ${width} ${height} ${channels})
                set(shape ${width} ${height} ${channels})
            elseif (kind STREQUAL "conv2d")
                list(GET shape 0 w)
                list(GET shape 1 h)
                list(GET shape 2 ci)
                list(GET words 0 co)
                set(relu false)
                set(suffix "")
                if ("relu" IN_LIST words)
                    set(relu true)
                    set(suffix "_relu")
                endif ()
                set(key "${w}x${h}x${ci}_to_${co}${suffix}")
                foreach (pass forward backward_data backward_weights)
                    _tailor_kernel(${ARG_GENERATOR} conv2d_${pass} conv2d_${pass}_${key}
                                   width=${w} height=${h} in_channels=${ci} out_channels=${co} relu=${relu})
                    list(APPEND includes conv2d_${pass}_${key})
                endforeach ()
                string(CONCAT snippet
                       "template <> struct Conv2DKernels<${w}, ${h}, ${ci}, ${co}, ${relu}> {\n"
                       "    static constexpr auto forward = &::conv2d_forward_${key};\n"
                       "    static constexpr auto backward_data = &::conv2d_backward_data_${key};\n"
                       "    static constexpr auto backward_weights = &::conv2d_backward_weights_${key};\n"
                       "};\n")
                _tailor_bind(conv2d_${key})
                # A maxpool after a conv2d fuses with it. A first convolution
                # over few channels (the image) is memory-bound: training
                # recomputes it rather than store anything.
                list(LENGTH layers position)
                set(recomputes false)
                if (position EQUAL 0 AND ci LESS_EQUAL 4)
                    set(recomputes true)
                endif ()
                set(last_conv ${key} ${w} ${h} ${ci} ${co} ${relu} ${recomputes})
                list(APPEND layers "Conv2D<${w}, ${h}, ${ci}, ${co}, ${relu}>")
                math(EXPR w "${w} - 2")
                math(EXPR h "${h} - 2")
                set(shape ${w} ${h} ${co})
            elseif (kind STREQUAL "maxpool")
                list(GET shape 0 w)
                list(GET shape 1 h)
                list(GET shape 2 c)
                set(key "${w}x${h}x${c}")
                foreach (pass forward backward)
                    _tailor_kernel(${ARG_GENERATOR} maxpool_${pass} maxpool_${pass}_${key}
                                   width=${w} height=${h} channels=${c})
                    list(APPEND includes maxpool_${pass}_${key})
                endforeach ()
                string(CONCAT snippet
                       "template <> struct MaxPoolKernels<${w}, ${h}, ${c}> {\n"
                       "    static constexpr auto forward = &::maxpool_forward_${key};\n"
                       "    static constexpr auto backward = &::maxpool_backward_${key};\n"
                       "};\n")
                _tailor_bind(maxpool_${key})
                if (last_conv)
                    _tailor_fused_conv2d_maxpool(${last_conv})
                endif ()
                list(APPEND layers "MaxPool<${w}, ${h}, ${c}>")
                math(EXPR w "${w} / 2")
                math(EXPR h "${h} / 2")
                set(shape ${w} ${h} ${c})
            elseif (kind STREQUAL "dropout")
                list(GET words 0 rate)
                list(APPEND layers "Dropout<${shape_literal}, ${rate}f>")
            elseif (kind STREQUAL "noise")
                list(GET words 0 stddev)
                list(APPEND layers "GaussianNoise<${shape_literal}, ${stddev}f>")
            elseif (kind STREQUAL "flatten")
                if (NOT rank EQUAL 3)
                    message(FATAL_ERROR "${file}: flatten needs an image-shaped input")
                endif ()
                math(EXPR features "${w} * ${h} * ${c}")
                list(APPEND layers "Flatten<${shape_literal}>")
                set(shape ${features})
            elseif (kind STREQUAL "dense")
                if (NOT rank EQUAL 1)
                    message(FATAL_ERROR "${file}: dense needs a flattened input; add 'flatten' before it")
                endif ()
                list(GET words 0 outputs)
                set(relu false)
                set(suffix "")
                if ("relu" IN_LIST words)
                    set(relu true)
                    set(suffix "_relu")
                endif ()
                set(key "${shape}_to_${outputs}${suffix}")
                foreach (pass forward backward_data backward_weights)
                    _tailor_kernel(${ARG_GENERATOR} dense_${pass} dense_${pass}_${key}
                                   inputs=${shape} outputs=${outputs} relu=${relu})
                    list(APPEND includes dense_${pass}_${key})
                endforeach ()
                string(CONCAT snippet
                       "template <> struct DenseKernels<${shape}, ${outputs}, ${relu}> {\n"
                       "    static constexpr auto forward = &::dense_forward_${key};\n"
                       "    static constexpr auto backward_data = &::dense_backward_data_${key};\n"
                       "    static constexpr auto backward_weights = &::dense_backward_weights_${key};\n"
                       "};\n")
                _tailor_bind(dense_${key})
                list(APPEND layers "Dense<${shape}, ${outputs}, ${relu}>")
                set(shape ${outputs})
            elseif (kind STREQUAL "softmax_cross_entropy")
                _tailor_kernel(${ARG_GENERATOR} softmax_cross_entropy softmax_cross_entropy_${shape}
                               classes=${shape})
                list(APPEND includes softmax_cross_entropy_${shape})
                string(CONCAT snippet
                       "template <> struct SoftmaxCrossEntropyKernels<${shape}> {\n"
                       "    static constexpr auto forward_backward = &::softmax_cross_entropy_${shape};\n"
                       "};\n")
                _tailor_bind(softmax_cross_entropy_${shape})
                set(classes ${shape})
            else ()
                message(FATAL_ERROR "${file}: unknown layer kind '${kind}'")
            endif ()
            if (NOT kind STREQUAL "conv2d")
                set(last_conv "")
            endif ()
        endforeach ()

        list(JOIN layers ",\n    " layer_list)
        list(GET input_shape 0 iw)
        list(GET input_shape 1 ih)
        list(GET input_shape 2 ic)
        string(MAKE_C_IDENTIFIER "${arch}" arch_type)
        list(APPEND arch_types ${arch_type})
        string(APPEND declarations
               "struct ${arch_type} {\n"
               "    static constexpr const char *name = \"${arch}\";\n"
               "    static constexpr const char *description = \"${description}\";\n"
               "    static constexpr Shape input{${ic}, ${iw}, ${ih}};\n"
               "    static constexpr int classes = ${classes};\n"
               "    using Layers = std::tuple<\n    ${layer_list}>;\n"
               "};\n\n")
    endforeach ()

    list(REMOVE_DUPLICATES includes)
    list(TRANSFORM includes PREPEND "#include \"")
    list(TRANSFORM includes APPEND ".h\"")
    list(JOIN includes "\n" include_lines)
    list(JOIN arch_types ", " arch_list)
    string(CONCAT text "// Generated by cmake/TailorArchitectures.cmake from architectures/*.arch. Do not edit.\n"
             "#pragma once\n\n${include_lines}\n\n#include \"tailor/nn/layers.h\"\n\n"
             "namespace tailor {\n\n${bindings}\n${declarations}"
             "using Architectures = std::tuple<${arch_list}>;\n\n}  // namespace tailor\n")
    # Rewritten only when it changes, so a reconfigure rebuilds nothing.
    file(CONFIGURE OUTPUT "${generated_dir}/architectures.h" CONTENT "${text}" @ONLY)

    get_property(kernels GLOBAL PROPERTY TAILOR_KERNELS)
    add_library(${ARG_TARGET} INTERFACE)
    target_link_libraries(${ARG_TARGET} INTERFACE ${kernels})
    target_include_directories(${ARG_TARGET} INTERFACE "${CMAKE_CURRENT_BINARY_DIR}/generated")
endfunction()
