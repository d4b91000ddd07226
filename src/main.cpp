#include "cli/cli.hpp"

int main(int argc, char** argv) {
    return faasd::cli::run(argc, argv);
}
