// The `attune` command: a thin main over the library's command line.
#include "attune/cli/cli.hpp"

int main(int argc, char** argv) { return attune::cli::Run(argc, argv); }
