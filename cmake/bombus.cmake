# Helper functions so each layer's CMakeLists.txt stays a few lines long.

# bombus_library(NAME SOURCES ... DEPS ...): static library bombus_NAME with include root src/.
function(bombus_library name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_library(bombus_${name} STATIC ${A_SOURCES})
  target_include_directories(bombus_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(bombus_${name} PUBLIC ${A_DEPS})
  add_library(bombus::${name} ALIAS bombus_${name})
endfunction()

# bombus_test(NAME SOURCES ... DEPS ... [LABELS ...]): a GoogleTest binary registered with ctest.
function(bombus_test name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    BOMBUS_SHARED_DIR="${BOMBUS_SHARED_DIR}"
    BOMBUS_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    BOMBUS_BINARY_DIR="${CMAKE_BINARY_DIR}")
  include(GoogleTest)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${A_LABELS}")
endfunction()
