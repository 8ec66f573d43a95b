# Streaming lab I: the modules a learner implements and the tests that grade them.
LAB_MODULES = algorithms/bloom algorithms/fm algorithms/hll algorithms/lsh algorithms/mg \
              algorithms/cms algorithms/kll
LAB_TESTS   = test_bloom test_fm test_hll test_lsh test_mg test_cms test_kll
