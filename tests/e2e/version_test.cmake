# `qrlogin-relay --version` and `qrlogin --version` name the project's
# version (CMake's PROJECT_VERSION) and the protocol, and exit 0.
#   cmake -DRELAY=... -DCLI=... -DVERSION=... -P version_test.cmake
function(expect_version binary expected)
  execute_process(COMMAND ${binary} --version RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${binary} --version: exit status ${status}: ${err}")
  endif()
  if(NOT out STREQUAL "${expected}\n")
    message(FATAL_ERROR "${binary} --version printed '${out}', expected '${expected}'")
  endif()
endfunction()

expect_version(${RELAY} "qrlogin-relay ${VERSION} (protocol qrlogin.v1)")
expect_version(${CLI} "qrlogin ${VERSION} (protocol v1)")
