"""maskkv's independent PyTorch/numpy reference: checkpoint I/O, the bidirectional transformer
of LLaDA and Dream, and their samplers following docs/sampling.md. Used to generate the test
fixtures (tools/fixtures/make_test_checkpoints.py, tools/fixtures/make_golden.py); not used by the engine."""
