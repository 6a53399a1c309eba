"""SplitMix64, the generator of docs/sampling.md, bit for bit.

A session seeds one generator once; every random decision consumes uniform() draws in the
order docs/sampling.md fixes. uniforms(n) returns the next n draws at once (the same values
n calls of uniform() would return) for speed.
"""
import numpy as np

_MASK64 = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15
_MUL1 = 0xBF58476D1CE4E5B9
_MUL2 = 0x94D049BB133111EB
_TWO_POW_M52 = 2.0 ** -52


class SplitMix64:
    def __init__(self, seed):
        self.state = int(seed) & _MASK64
        self.draws = 0  # number of uniform()/next_u64() values consumed (diagnostics)

    def next_u64(self):
        self.state = (self.state + _GAMMA) & _MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * _MUL1) & _MASK64
        z = ((z ^ (z >> 27)) * _MUL2) & _MASK64
        self.draws += 1
        return z ^ (z >> 31)

    def uniform(self):
        # float(z >> 12) is exact (< 2^52), and so are + 0.5 and * 2^-52: the result lies in
        # [2^-53, 1 - 2^-53], strictly inside (0, 1), as in the engine.
        return (float(self.next_u64() >> 12) + 0.5) * _TWO_POW_M52

    def uniforms(self, n):
        """The next n uniform() values as a float64 array (vectorised, identical values)."""
        n = int(n)
        if n <= 0:
            return np.zeros(0, dtype=np.float64)
        steps = np.arange(1, n + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            z = np.uint64(self.state) + steps * np.uint64(_GAMMA)
            z = (z ^ (z >> np.uint64(30))) * np.uint64(_MUL1)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(_MUL2)
            z = z ^ (z >> np.uint64(31))
        self.state = (self.state + n * _GAMMA) & _MASK64
        self.draws += n
        return ((z >> np.uint64(12)).astype(np.float64) + 0.5) * _TWO_POW_M52
