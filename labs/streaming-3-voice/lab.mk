# Streaming lab III: voice over a lossy network. The learner implements the
# adaptive jitter buffer (transit, windowed-KLL target, playout with FEC, PLC and
# comfort noise, time-stretching, redundant copies, loss-burst reports); its test,
# which runs Opus and PCM through it on a virtual clock, and the voice stages' test,
# which runs the whole path with reports and redundancy through it, grade it.
LAB_MODULES = pipeline/jitter
LAB_TESTS   = test_jitter test_voice
