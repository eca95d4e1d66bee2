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
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 DISCOVERY_MODE PRE_TEST PROPERTIES LABELS "${A_LABELS}")
endfunction()

# bombus_bpf_object(OUT_VAR SOURCE [INCLUDES ...]): compiles a .bpf.c with clang -target bpf
# -O2 -g at build time, the way users build their objects against libbpf's headers. The
# object lands next to the source's relative path in the build tree; OUT_VAR receives its path.
# Source paths are recorded relative to the checkout (-fdebug-prefix-map, run from the checkout
# so clang still finds the source lines it puts in BTF), so the objects — and their BTF, whose
# size the golden files show — are the same wherever the tree is cloned.
find_program(BOMBUS_CLANG clang)
function(bombus_bpf_object out_var src)
  cmake_parse_arguments(A "" "" "INCLUDES" ${ARGN})
  get_filename_component(name ${src} NAME_WE)
  get_filename_component(abs ${src} ABSOLUTE)
  file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  set(out ${CMAKE_BINARY_DIR}/${rel}/${name}.bpf.o)
  set(incs)
  foreach(i ${A_INCLUDES})
    list(APPEND incs -I${i})
  endforeach()
  add_custom_command(OUTPUT ${out}
    COMMAND ${BOMBUS_CLANG} -target bpf -O2 -g -Wall -Wno-unused-function
            -fdebug-prefix-map=${CMAKE_SOURCE_DIR}=.
            -I/usr/include/${CMAKE_LIBRARY_ARCHITECTURE} ${incs} -c ${abs} -o ${out}
    DEPENDS ${abs}
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
    COMMENT "clang -target bpf ${name}.bpf.c"
    VERBATIM)
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()
