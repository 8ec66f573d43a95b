# Streaming lab II: real-time audio plumbing. The learner implements the SPSC rings;
# the ring tests and the real-time stage test (which runs codecs, WAV capture and the
# sketches through the learner's rings, allocation-free) grade them.
LAB_MODULES = pipeline/ring
LAB_TESTS   = test_ring test_rt
