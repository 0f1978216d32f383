// The one source of pitlog_test_pch, which exists to build the tests' precompiled header.
