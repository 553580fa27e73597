# cmake -DCOMMAND="prog;arg;..." -DEXPECT_EXIT=<code> [-DEXPECT_OUTPUT=<regex>] -P RunAndCheck.cmake
# Runs COMMAND and fails unless it exits with EXPECT_EXIT and its stdout+stderr matches
# EXPECT_OUTPUT: ctest alone cannot check an exit code and the output together.
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err
                TIMEOUT 120)
set(all "${out}${err}")
if(NOT code STREQUAL EXPECT_EXIT)
  message(FATAL_ERROR "exit code ${code}, expected ${EXPECT_EXIT}. Output:\n${all}")
endif()
if(DEFINED EXPECT_OUTPUT AND NOT all MATCHES "${EXPECT_OUTPUT}")
  message(FATAL_ERROR "output does not match '${EXPECT_OUTPUT}'. Output:\n${all}")
endif()
message(STATUS "ok: exit ${code}\n${all}")
