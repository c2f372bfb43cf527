"""Discrete Fourier transforms (``np.fft``) with derivatives of any order."""

from .._primitive import exports as _exports

globals().update(_exports('fft'))
