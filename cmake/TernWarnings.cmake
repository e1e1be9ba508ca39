# tern_warnings: an interface target every Tern library and binary links privately, so that the
# project's own code is built with strict warnings while generated code and third-party headers
# (found as SYSTEM include directories) are not.
add_library(tern_warnings INTERFACE)
target_compile_options(tern_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough -Wno-missing-field-initializers)
if(TERN_WERROR)
  target_compile_options(tern_warnings INTERFACE -Werror)
endif()
