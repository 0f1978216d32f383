# Fails when a Catch2 test name holds ';': catch_discover_tests hands names to CTest as lists, so
# CTest splits such a name in two and registers a test that runs the wrong filter (or none).
# Usage: cmake -DSOURCE_DIR=<tests dir> -P check_test_names.cmake
file(GLOB_RECURSE sources "${SOURCE_DIR}/*.cpp")
set(bad "")
foreach(source IN LISTS sources)
  file(READ "${source}" text)
  # A name is one or more adjacent string literals right after TEST_CASE(.
  string(REGEX MATCHALL "TEST_CASE\\(([ \t\r\n]*\"[^\"]*\")+" names "${text}")
  foreach(name IN LISTS names)
    # MATCHALL's result is itself a list: a ';' in a name arrives as two items, the second
    # without the TEST_CASE( that starts every match.
    if(NOT name MATCHES "^TEST_CASE\\(")
      file(RELATIVE_PATH where "${SOURCE_DIR}" "${source}")
      string(APPEND bad "\n  ${where}: ...${name}")
    endif()
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "test names with ';' (CTest would split them):${bad}")
endif()
message(STATUS "no test name holds ';' (${CMAKE_CURRENT_LIST_FILE})")
