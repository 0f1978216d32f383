# Log proofs: the Merkle tree, signed notes and checkpoints (src/events/merkle.h, signed_note*.h,
# checkpoint.h). Pure code and a key file in a temp dir; registered with the "core." prefix.
add_executable(pitlog_core_proof_tests merkle_test.cpp signed_note_test.cpp)
target_link_libraries(pitlog_core_proof_tests PRIVATE pitlog_events pitlog_test_support
                      pitlog_build_flags)
catch_discover_tests(pitlog_core_proof_tests TEST_PREFIX "core." EXTRA_ARGS --warn NoTests)
