// The one Catch2 main of kpi_unit_tests; every other file in tests/unit/ adds cases.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
