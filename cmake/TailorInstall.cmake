# The installed inference library: `cmake --install BUILD [--prefix DIR]`
# puts include/tailor/classifier.h (and classifier_c.h, its C API),
# lib/libtailor_classifier.a (the
# classifier, the runtime libraries it needs and every AOT kernel with the
# Halide runtime, merged into one archive, so it installs the same way from
# a cross build, whose kernels are imported libraries) and
# lib/cmake/tailor/tailorConfig.cmake (target tailor::classifier).

# The static libraries `target` links, itself first, transitively (through
# interface libraries such as tailor_kernels too).
function(_tailor_static_closure target out_var)
    set(visited "")
    set(static "")
    set(pending ${target})
    while (pending)
        list(POP_FRONT pending current)
        string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" current "${current}")
        if (NOT TARGET ${current} OR current IN_LIST visited)
            continue()
        endif ()
        list(APPEND visited ${current})
        get_target_property(type ${current} TYPE)
        if (type STREQUAL "STATIC_LIBRARY")
            list(APPEND static ${current})
        elseif (NOT type STREQUAL "INTERFACE_LIBRARY")
            continue()
        endif ()
        get_target_property(links ${current} INTERFACE_LINK_LIBRARIES)
        if (links)
            list(APPEND pending ${links})
        endif ()
    endwhile ()
    set(${out_var} ${static} PARENT_SCOPE)
endfunction()

function(tailor_install_classifier target)
    _tailor_static_closure(${target} libraries)
    get_property(halide_runtime GLOBAL PROPERTY TAILOR_HALIDE_RUNTIME)
    list(APPEND libraries ${halide_runtime})
    list(REMOVE_DUPLICATES libraries)

    set(merged "${CMAKE_CURRENT_BINARY_DIR}/install/libtailor_classifier.a")
    set(script "create ${merged}\n")
    foreach (library IN LISTS libraries)
        string(APPEND script "addlib $<TARGET_FILE:${library}>\n")
    endforeach ()
    string(APPEND script "save\nend\n")
    file(GENERATE OUTPUT "${CMAKE_CURRENT_BINARY_DIR}/merge_classifier.mri" CONTENT "${script}")
    add_custom_command(OUTPUT "${merged}"
                       COMMAND "${CMAKE_COMMAND}" -E make_directory "${CMAKE_CURRENT_BINARY_DIR}/install"
                       COMMAND "${CMAKE_COMMAND}" -E remove -f "${merged}"
                       COMMAND "${CMAKE_AR}" -M < "${CMAKE_CURRENT_BINARY_DIR}/merge_classifier.mri"
                       DEPENDS ${libraries} "${CMAKE_CURRENT_BINARY_DIR}/merge_classifier.mri"
                       COMMENT "Merging the classifier, its runtime and its kernels into libtailor_classifier.a"
                       VERBATIM)
    add_custom_target(tailor_classifier_archive ALL DEPENDS "${merged}")

    include(GNUInstallDirs)
    install(FILES "${PROJECT_SOURCE_DIR}/runtime/tailor/classifier.h" "${PROJECT_SOURCE_DIR}/runtime/tailor/classifier_c.h"
            DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/tailor")
    install(FILES "${merged}" DESTINATION "${CMAKE_INSTALL_LIBDIR}")
    configure_file("${PROJECT_SOURCE_DIR}/cmake/tailorConfig.cmake.in"
                   "${CMAKE_CURRENT_BINARY_DIR}/tailorConfig.cmake" @ONLY)
    install(FILES "${CMAKE_CURRENT_BINARY_DIR}/tailorConfig.cmake"
            DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/tailor")
endfunction()
