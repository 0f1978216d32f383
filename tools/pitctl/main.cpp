#include <iostream>

#include "pitctl/pitctl.h"

int main(int argc, char** argv) { return pitlog::tools::runPitctl(argc, argv, std::cout, std::cerr); }
