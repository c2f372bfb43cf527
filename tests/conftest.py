import numpy
import pytest

from ndgrad import npx
from ndgrad._state import STATE


@pytest.fixture(autouse=True)
def _fresh_state():
    """Every test starts with MXNet's defaults, not recording, prediction mode."""
    npx.set_np()
    STATE.recording = False
    STATE.training = False
    numpy.random.seed(0)
    yield
    npx.set_np()
    STATE.recording = False
    STATE.training = False
