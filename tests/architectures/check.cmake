# cmake -DSOURCE_DIR=<repository> -P check.cmake: the architecture compiler
# against declarations. Each tests/architectures/*.arch is broken in one way
# its first line names ("# expect LINE: TEXT"): parsing must fail and say
# "FILE:LINE: TEXT". Each architectures/*.arch must parse, and cnn3's layers
# after fusion must be the report's network with its two pairs fused.
cmake_minimum_required(VERSION 3.22)
set(parser "${CMAKE_CURRENT_LIST_DIR}/parse.cmake")
set(failures 0)

file(GLOB broken "${CMAKE_CURRENT_LIST_DIR}/*.arch")
foreach (file IN LISTS broken)
    file(READ "${file}" first LIMIT 200)
    if (NOT first MATCHES "^# expect ([0-9]+): ([^\r\n]*)")
        message(SEND_ERROR "${file}: first line must be '# expect LINE: TEXT'")
        continue()
    endif ()
    set(expected "${file}:${CMAKE_MATCH_1}: ${CMAKE_MATCH_2}")
    execute_process(COMMAND "${CMAKE_COMMAND}" "-DARCH=${file}" -P "${parser}"
                    RESULT_VARIABLE status ERROR_VARIABLE errors OUTPUT_QUIET)
    # CMake wraps long messages: compare with the whitespace folded.
    string(REGEX REPLACE "[ \n]+" " " errors "${errors}")
    string(FIND "${errors}" "${expected}" at)
    if (status EQUAL 0 OR at EQUAL -1)
        message(SEND_ERROR "${file}: expected a failure with\n  ${expected}\ngot (status ${status}):\n  ${errors}")
        math(EXPR failures "${failures} + 1")
    endif ()
endforeach ()

file(GLOB declared "${SOURCE_DIR}/architectures/*.arch")
foreach (file IN LISTS declared)
    execute_process(COMMAND "${CMAKE_COMMAND}" "-DARCH=${file}" -P "${parser}"
                    RESULT_VARIABLE status ERROR_VARIABLE layers)
    if (NOT status EQUAL 0)
        message(SEND_ERROR "${file}: does not parse:\n${layers}")
        math(EXPR failures "${failures} + 1")
    endif ()
    get_filename_component(name "${file}" NAME_WE)
    set(layers_${name} "${layers}")
endforeach ()

string(CONCAT cnn3_expected
       "conv2d_maxpool | 28;28;1 | 13;13;32\n" "dropout | 13;13;32 | 13;13;32\n"
       "conv2d_maxpool | 13;13;32 | 5;5;64\n" "dropout | 5;5;64 | 5;5;64\n"
       "conv2d | 5;5;64 | 3;3;128\n" "dropout | 3;3;128 | 3;3;128\n" "flatten | 3;3;128 | 1152\n"
       "dense | 1152 | 128\n" "dropout | 128 | 128\n" "dense | 128 | 10\n")
if (NOT layers_cnn3 STREQUAL cnn3_expected)
    message(SEND_ERROR "cnn3's layers:\n${layers_cnn3}expected:\n${cnn3_expected}")
    math(EXPR failures "${failures} + 1")
endif ()

list(LENGTH broken broken_count)
list(LENGTH declared declared_count)
message("${broken_count} broken declarations rejected as expected, ${declared_count} declared architectures parsed; "
        "${failures} failures")
