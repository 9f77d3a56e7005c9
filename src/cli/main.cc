// wpfleet: a thin main. Exceptions are programming errors or fatal start-up problems
// and are caught here, once; everything else comes back as an exit code.
#include <exception>
#include <iostream>

#include "cli/app.h"

int main(int argc, char** argv) {
  try {
    return wpfleet::cli::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "wpfleet: internal error: " << e.what() << "\n";
    return wpfleet::cli::kExitFailure;
  }
}
