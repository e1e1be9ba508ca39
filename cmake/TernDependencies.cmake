# All dependencies come from Debian 12's packages (scripts/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Protobuf REQUIRED)
find_package(RocksDB REQUIRED CONFIG)
find_package(spdlog REQUIRED CONFIG)
find_package(yaml-cpp REQUIRED CONFIG)
find_package(pugixml REQUIRED CONFIG)
find_package(nlohmann_json REQUIRED CONFIG)
find_package(GTest REQUIRED)
find_package(benchmark QUIET CONFIG)

# gRPC and cpp-httplib ship pkg-config files only on Debian 12.
pkg_check_modules(GRPCPP REQUIRED IMPORTED_TARGET grpc++)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

# Asio is header-only (standalone, not Boost).
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
add_library(tern_asio INTERFACE)
target_include_directories(tern_asio SYSTEM INTERFACE ${ASIO_INCLUDE_DIR})
# ASIO_DISABLE_STD_ALIGNED_ALLOC: asio 1.28 picks std::aligned_alloc/free or operator new/delete
# for its handler memory by whether a libstdc++ header came before its own, so translation units
# disagreed by include order and the linker kept one of each (operator new freed by free, which
# AddressSanitizer reports). One choice everywhere.
target_compile_definitions(tern_asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED
  ASIO_DISABLE_STD_ALIGNED_ALLOC)
target_link_libraries(tern_asio INTERFACE Threads::Threads)

# The allocator of the long-running binaries (ternd and the benchmarks that measure its parts): jemalloc. The engine
# allocates and frees many small values per record (JSON documents, keys); glibc's malloc spends
# about 40% of the engine's CPU on them, jemalloc a fraction of that (docs/benchmarks.md). Off
# under the sanitizers, which bring their own allocator.
option(TERN_JEMALLOC "Link ternd and the benchmarks with jemalloc" ON)
add_library(tern_allocator INTERFACE)
if(TERN_JEMALLOC AND NOT TERN_SANITIZE)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
  target_link_libraries(tern_allocator INTERFACE PkgConfig::JEMALLOC)
endif()
