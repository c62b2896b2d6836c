# One INTERFACE target carries the project's warning set; every target of
# ours links it, third-party code does not.
add_library(qrlogin_warnings INTERFACE)
add_library(qrlogin::warnings ALIAS qrlogin_warnings)
target_compile_options(qrlogin_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(QRLOGIN_WERROR)
  target_compile_options(qrlogin_warnings INTERFACE -Werror)
endif()

if(NOT CMAKE_CXX_COMPILER_LAUNCHER)
  find_program(CCACHE_PROGRAM ccache)
  if(CCACHE_PROGRAM)
    set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
  endif()
endif()
