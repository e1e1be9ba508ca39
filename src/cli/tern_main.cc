// `tern`, the command-line client. Everything but process plumbing lives in run_cli().

#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return tern::cli::run_cli(args, tern::cli::process_env(), std::cout, std::cerr);
}
