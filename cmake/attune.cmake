# Helpers shared by every module's CMakeLists.txt.

# Warnings are errors for Attune's own code (not for system headers).
set(ATTUNE_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough -Werror)

# attune_module(NAME <m> SOURCES <files...> [DEPS <targets...>] [PRIVATE_DEPS <targets...>])
# defines static library attune_<m> (alias attune::<m>) with the public include/ directory.
function(attune_module)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(attune_${ARG_NAME} STATIC ${ARG_SOURCES})
  add_library(attune::${ARG_NAME} ALIAS attune_${ARG_NAME})
  target_include_directories(attune_${ARG_NAME}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(attune_${ARG_NAME} PRIVATE ${ATTUNE_WARNINGS})
  target_link_libraries(attune_${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# attune_test(NAME <name> SOURCES <files...> DEPS <targets...> [LABELS <label>])
# defines a GoogleTest executable whose tests ctest discovers one by one.
function(attune_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_compile_options(${ARG_NAME} PRIVATE ${ATTUNE_WARNINGS})
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/test)
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${ARG_NAME} PRIVATE
    ATTUNE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    ATTUNE_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # gtest_discover_tests cannot carry a list of labels, so each test gets one: the first given
  # (slow, bench, postgres, golden, ...) or "unit".
  set(labels unit)
  if(ARG_LABELS)
    list(GET ARG_LABELS 0 labels)
  endif()
  gtest_discover_tests(${ARG_NAME}
    DISCOVERY_MODE PRE_TEST
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${labels}")
endfunction()
