# Helpers shared by every module's CMakeLists.txt.

# undersigned_test(NAME module_test SOURCES a_test.cc b_test.cc LIBS lib LABEL unit)
# One GoogleTest binary per module, registered with ctest under a label.
function(undersigned_test)
  cmake_parse_arguments(T "" "NAME;LABEL" "SOURCES;LIBS" ${ARGN})
  if(NOT T_LABEL)
    set(T_LABEL unit)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME} --gtest_brief=1)
  set_tests_properties(${T_NAME} PROPERTIES LABELS ${T_LABEL}
    ENVIRONMENT "UNDERSIGNED_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
