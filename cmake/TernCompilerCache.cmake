# Use ccache when it is installed; the cache itself lives outside the repository.
find_program(TERN_CCACHE ccache)
if(TERN_CCACHE)
  set(CMAKE_C_COMPILER_LAUNCHER ${TERN_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${TERN_CCACHE})
endif()
