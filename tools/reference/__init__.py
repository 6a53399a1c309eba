"""maskkv's independent PyTorch/numpy reference: checkpoint I/O, the bidirectional transformer
of LLaDA and Dream (model.py, shared by every Python tool: the fixture scripts in
tools/fixtures, the demo trainer in tools/train and the PyTorch baseline in bench/), and the
samplers, eviction and dLLM-Cache references following docs/sampling.md and docs/eviction.md.
Not used by the engine."""
