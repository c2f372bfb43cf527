import numpy
import pytest

from ndgrad import autograd, npx


@pytest.fixture(autouse=True)
def _fresh_state():
    """Every test starts with MXNet's defaults, not recording, prediction mode."""
    npx.set_np()
    autograd.set_recording(False)
    autograd.set_training(False)
    numpy.random.seed(0)
    yield
    npx.set_np()
    autograd.set_recording(False)
    autograd.set_training(False)
