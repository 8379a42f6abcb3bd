# cmake -DARCH=<file.arch> -P parse.cmake: runs the architecture compiler's
# parser on one declaration and prints its layers after fusion, one line each:
# "kind | input shape | output shape".
cmake_minimum_required(VERSION 3.22)
include("${CMAKE_CURRENT_LIST_DIR}/../../cmake/TailorArchitectureParser.cmake")
tailor_parse_architecture("${ARCH}" parsed)
math(EXPR last "${parsed_count} - 1")
foreach (i RANGE ${last})
    message("${parsed_${i}_kind} | ${parsed_${i}_in} | ${parsed_${i}_out}")
endforeach ()
