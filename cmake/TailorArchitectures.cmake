# The back half of the architecture compiler (the front half, which reads and
# checks a declaration, is TailorArchitectureParser.cmake): for each layer,
# its kind's file instantiates the Halide kernels it needs (once per distinct
# shape across all architectures) and its kernel binding, and names its C++
# layer type; architectures.h.in turns them into the one generated header
# that declares each architecture's layer list for the runtime.
#
#   tailor_add_architectures(TARGET <interface library> GENERATOR <generator>
#                            ARCHITECTURES <name>...)
include("${CMAKE_CURRENT_LIST_DIR}/TailorArchitectureParser.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/TailorSchedules.cmake")

# Adds the AOT kernel tailor::kernels::<function_name> from `generator`
# (header kernel_<function_name>.h) unless it exists, with the schedule
# record's choices for it. A namespace needs C++ name mangling. Notes it in
# the kernel list bench/tune reads (tailor_write_kernel_list).
function(tailor_kernel generator function_name)
    set(target kernel_${function_name})
    if (DEFINED TAILOR_CURRENT_ARCH)
        set_property(GLOBAL APPEND PROPERTY TAILOR_ARCH_KERNELS_${TAILOR_CURRENT_ARCH} ${function_name})
    endif ()
    get_property(known GLOBAL PROPERTY TAILOR_KERNELS)
    if (target IN_LIST known)
        return()
    endif ()
    set_property(GLOBAL APPEND PROPERTY TAILOR_KERNELS ${target})
    set_property(GLOBAL APPEND PROPERTY TAILOR_KERNEL_FUNCTIONS ${function_name})
    set_property(GLOBAL PROPERTY TAILOR_KERNEL_${function_name} ${generator} ${ARGN})
    tailor_schedule_param("${TAILOR_SCHEDULE_KERNELS}" ${function_name} schedule)
    get_property(runtime GLOBAL PROPERTY TAILOR_HALIDE_RUNTIME)
    if (runtime)
        set(runtime_arg USE_RUNTIME ${runtime})
    else ()
        # The first kernel owns the one Halide runtime all others share.
        set_property(GLOBAL PROPERTY TAILOR_HALIDE_RUNTIME ${target}.runtime)
        set(runtime_arg "")
    endif ()
    set(targets_arg "")
    if (TAILOR_X86_TARGETS)
        set(targets_arg TARGETS ${TAILOR_X86_TARGETS})
    endif ()
    get_property(generator_target GLOBAL PROPERTY TAILOR_GENERATOR_TARGET)
    add_halide_library(${target} FROM ${generator_target}
                       GENERATOR ${generator}
                       FUNCTION_NAME ${function_name}
                       NAMESPACE tailor::kernels
                       ${targets_arg}
                       FEATURES ${TAILOR_HALIDE_FEATURES} c_plus_plus_name_mangling
                       ${runtime_arg}
                       PARAMS ${ARGN} ${schedule})
endfunction()

# Notes, for bench/tune, what the current architecture calls a 1-D kernel
# (one for every shape) on: `count` elements per image (`per_image`: an
# activation) or per call (`per_call`: a parameter tensor); the most of its
# calls.
function(tailor_tune_elements function_name unit count)
    set_property(GLOBAL APPEND PROPERTY TAILOR_ARCH_KERNELS_${TAILOR_CURRENT_ARCH} ${function_name})
    set(property TAILOR_ELEMENTS_${TAILOR_CURRENT_ARCH}_${function_name})
    get_property(known GLOBAL PROPERTY ${property})
    if (known)
        string(REGEX REPLACE "^.*:" "" most "${known}")
        if (count LESS most)
            set(count ${most})
        endif ()
    endif ()
    set_property(GLOBAL PROPERTY ${property} "${unit}:${count}")
    set_property(GLOBAL APPEND PROPERTY TAILOR_ELEMENT_KERNELS_${TAILOR_CURRENT_ARCH} ${function_name})
endfunction()

# The number of elements of a shape list (w h c, or one count).
function(tailor_shape_elements shape out_var)
    list(JOIN shape " * " product)
    math(EXPR elements "${product}")
    set(${out_var} ${elements} PARENT_SCOPE)
endfunction()

# A layer's weight tensor of `count` elements: the optimiser and the weight
# average run once per parameter tensor (its bias is smaller).
function(tailor_tune_parameter_tensor count)
    tailor_tune_elements(adam per_call ${count})
    tailor_tune_elements(ema per_call ${count})
endfunction()

# The JSON object of an architecture's 1-D kernels and their elements, e.g.
# {"dropout": {"per_image": 5408}, "adam": {"per_call": 147456}}.
function(_tailor_elements_json arch out_var)
    get_property(functions GLOBAL PROPERTY TAILOR_ELEMENT_KERNELS_${arch})
    list(REMOVE_DUPLICATES functions)
    set(entries "")
    foreach (function_name IN LISTS functions)
        get_property(entry GLOBAL PROPERTY TAILOR_ELEMENTS_${arch}_${function_name})
        string(REGEX REPLACE "^(.*):(.*)$" "\"${function_name}\": {\"\\1\": \\2}" entry "${entry}")
        list(APPEND entries "${entry}")
    endforeach ()
    list(JOIN entries ", " entries)
    set(${out_var} "{${entries}}" PARENT_SCOPE)
endfunction()

# The list of every kernel bench/tune may tune, as JSON: each architecture's
# kernel names and its 1-D kernels' elements, each kernel's generator and
# parameters, and the Halide targets the build compiles them for.
function(tailor_write_kernel_list path)
    get_property(architectures GLOBAL PROPERTY TAILOR_ARCHITECTURE_NAMES)
    get_property(functions GLOBAL PROPERTY TAILOR_KERNEL_FUNCTIONS)
    set(json "{\n  \"architectures\": {")
    set(separator "")
    foreach (arch IN LISTS architectures)
        get_property(names GLOBAL PROPERTY TAILOR_ARCH_KERNELS_${arch})
        list(REMOVE_DUPLICATES names)
        list(JOIN names "\", \"" names)
        string(APPEND json "${separator}\n    \"${arch}\": [\"${names}\"]")
        set(separator ",")
    endforeach ()
    string(APPEND json "\n  },\n  \"elements\": {")
    set(separator "")
    foreach (arch IN LISTS architectures)
        _tailor_elements_json(${arch} elements)
        string(APPEND json "${separator}\n    \"${arch}\": ${elements}")
        set(separator ",")
    endforeach ()
    string(APPEND json "\n  },\n  \"kernels\": {")
    set(separator "")
    foreach (function_name IN LISTS functions)
        get_property(kernel GLOBAL PROPERTY TAILOR_KERNEL_${function_name})
        list(POP_FRONT kernel generator)
        set(params "")
        foreach (param IN LISTS kernel)
            string(REGEX REPLACE "^([^=]*)=(.*)$" "\"\\1\": \"\\2\"" param "${param}")
            list(APPEND params "${param}")
        endforeach ()
        list(JOIN params ", " params)
        string(APPEND json "${separator}\n    \"${function_name}\": {\"generator\": \"${generator}\", "
                           "\"params\": {${params}}}")
        set(separator ",")
    endforeach ()
    set(targets ${TAILOR_X86_TARGETS})
    if (NOT targets)
        set(targets "${Halide_TARGET}")
    endif ()
    list(JOIN targets "\", \"" targets)
    string(APPEND json "\n  },\n  \"targets\": [\"${targets}\"],\n  \"features\": \"${TAILOR_HALIDE_FEATURES}\"\n}\n")
    file(CONFIGURE OUTPUT "${path}" CONTENT "${json}" @ONLY)
endfunction()

# Adds a layer kind's kernel binding (C++ text, may be empty) and its
# runtime header once per key: architectures that share a layer shape share
# its kernels.
function(tailor_bind key binding header)
    get_property(bound GLOBAL PROPERTY TAILOR_BOUND)
    if (key IN_LIST bound)
        return()
    endif ()
    set_property(GLOBAL APPEND PROPERTY TAILOR_BOUND ${key})
    set_property(GLOBAL APPEND_STRING PROPERTY TAILOR_BINDINGS "${binding}")
    set_property(GLOBAL APPEND PROPERTY TAILOR_LAYER_HEADERS ${header})
endfunction()

# The runtime's Shape{channels, width, height} literal of a shape list.
function(tailor_shape_literal shape out_var)
    list(LENGTH shape rank)
    if (rank EQUAL 3)
        list(GET shape 0 w)
        list(GET shape 1 h)
        list(GET shape 2 c)
        set(${out_var} "Shape{${c}, ${w}, ${h}}" PARENT_SCOPE)
    else ()
        set(${out_var} "Shape{${shape}}" PARENT_SCOPE)
    endif ()
endfunction()

set(TAILOR_LOSS_BINDING [=[
template <> struct SoftmaxCrossEntropyKernels<@classes@> {
    static constexpr auto forward_backward = &kernels::softmax_cross_entropy_@classes@;
};
]=])

set(TAILOR_AUGMENT_BINDING [=[
template <> struct AugmentKernels<@w@, @h@, @c@> {
    static constexpr auto augment = &kernels::augment_@w@x@h@x@c@;
};
]=])

set(TAILOR_ARCHITECTURE_DECLARATION [=[
struct @arch_type@ {
    static constexpr const char *name = "@arch@";
    static constexpr const char *description = "@description@";
    static constexpr Shape input = @input_literal@;
    static constexpr int classes = @classes@;
    using Layers = std::tuple<
        @layer_list@>;
    using Loss = SoftmaxCrossEntropy<@classes@>;
    using Augment = AugmentKernels<@w@, @h@, @c@>;
};

]=])

# Instantiates one parsed architecture and appends its declaration to
# `declarations` in the caller's scope.
function(_tailor_instantiate_architecture arch)
    set(TAILOR_CURRENT_ARCH ${arch})  # for tailor_kernel's list
    set(file "${PROJECT_SOURCE_DIR}/architectures/${arch}.arch")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${file}")
    tailor_parse_architecture("${file}" parsed)
    set(layers "")
    math(EXPR last "${parsed_count} - 1")
    foreach (i RANGE ${last})
        set(TAILOR_ARCH_FILE "${file}")
        set(TAILOR_ARCH_LINE ${parsed_${i}_line})
        cmake_language(CALL tailor_layer_${parsed_${i}_kind}_kernels
                       "${parsed_${i}_in}" "${parsed_${i}_out}" "${parsed_${i}_arguments}" ${i} type)
        list(APPEND layers "${type}")
    endforeach ()
    set(classes ${parsed_classes})
    tailor_kernel(softmax_cross_entropy softmax_cross_entropy_${classes} classes=${classes})
    string(CONFIGURE "${TAILOR_LOSS_BINDING}" binding @ONLY)
    tailor_bind(softmax_cross_entropy_${classes} "${binding}" tailor/nn/layers/softmax_cross_entropy.h)

    list(GET parsed_input 0 w)
    list(GET parsed_input 1 h)
    list(GET parsed_input 2 c)
    tailor_kernel(augment augment_${w}x${h}x${c} width=${w} height=${h} channels=${c})
    string(CONFIGURE "${TAILOR_AUGMENT_BINDING}" binding @ONLY)
    tailor_bind(augment_${w}x${h}x${c} "${binding}" tailor/nn/augment.h)

    string(MAKE_C_IDENTIFIER "${arch}" arch_type)
    # A C++ string literal.
    string(REPLACE "\\" "\\\\" description "${parsed_description}")
    string(REPLACE "\"" "\\\"" description "${description}")
    tailor_shape_literal("${parsed_input}" input_literal)
    list(JOIN layers ",\n        " layer_list)
    string(CONFIGURE "${TAILOR_ARCHITECTURE_DECLARATION}" declaration @ONLY)
    set(declarations "${declarations}${declaration}" PARENT_SCOPE)
    set(arch_types ${arch_types} ${arch_type} PARENT_SCOPE)
endfunction()

function(tailor_add_architectures)
    cmake_parse_arguments(ARG "" "TARGET;GENERATOR" "ARCHITECTURES" ${ARGN})
    set_property(GLOBAL PROPERTY TAILOR_GENERATOR_TARGET ${ARG_GENERATOR})
    set_property(GLOBAL PROPERTY TAILOR_ARCHITECTURE_NAMES ${ARG_ARCHITECTURES})
    tailor_read_schedule_record(TAILOR_SCHEDULE_KERNELS)
    # The optimiser's, the weight average's and predict's resizing kernels,
    # whatever the architectures.
    tailor_kernel(adam adam)
    tailor_kernel(ema ema)
    tailor_kernel(resample resample)

    set(declarations "")
    set(arch_types "")
    foreach (arch IN LISTS ARG_ARCHITECTURES)
        _tailor_instantiate_architecture(${arch})
    endforeach ()

    get_property(kernels GLOBAL PROPERTY TAILOR_KERNELS)
    get_property(layer_headers GLOBAL PROPERTY TAILOR_LAYER_HEADERS)
    get_property(bindings GLOBAL PROPERTY TAILOR_BINDINGS)
    list(REMOVE_DUPLICATES layer_headers)
    list(TRANSFORM kernels PREPEND "#include \"" OUTPUT_VARIABLE kernel_includes)
    list(TRANSFORM kernel_includes APPEND ".h\"")
    list(TRANSFORM layer_headers PREPEND "#include \"" OUTPUT_VARIABLE layer_includes)
    list(TRANSFORM layer_includes APPEND "\"")
    list(JOIN kernel_includes "\n" kernel_includes)
    list(JOIN layer_includes "\n" layer_includes)
    list(JOIN arch_types ", " architecture_list)
    # Rewritten only when it changes, so a reconfigure rebuilds nothing.
    configure_file("${TAILOR_CMAKE_DIR}/architectures.h.in"
                   "${CMAKE_CURRENT_BINARY_DIR}/generated/tailor/architectures.h" @ONLY)

    tailor_write_kernel_list("${CMAKE_CURRENT_BINARY_DIR}/generated/tailor/kernels.json")

    add_library(${ARG_TARGET} INTERFACE)
    target_link_libraries(${ARG_TARGET} INTERFACE ${kernels})
    target_include_directories(${ARG_TARGET} INTERFACE "${CMAKE_CURRENT_BINARY_DIR}/generated")
endfunction()
