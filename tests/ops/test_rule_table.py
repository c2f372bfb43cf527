"""The op table's ``save=`` check: a policy that keeps less than a rule reads is refused
when the op is registered, and every shipped op passes it."""

import numpy
import pytest

from ndgrad import autograd, np
from ndgrad._primitive import REGISTRY, op
from ndgrad._rule_reads import check_save, value_reads
from ndgrad.rules._util import batch_shape

PROBE = 'zz_save_probe'  # a throwaway name, removed from the registry after each test


@pytest.fixture
def probe():
    yield PROBE
    REGISTRY.pop(PROBE, None)


def _reads_output(xp, g, ans, x):
    return g * ans


def _reads_input(xp, g, ans, x):
    return g * xp.cos(x)


def _reads_input_jvp(xp, t, ans, x):
    return t * -x


@pytest.mark.parametrize(
    'vjp, jvp, save, reads',
    [
        (_reads_output, None, 'inputs', 'ans'),
        (_reads_output, None, 'shapes', 'ans'),
        (_reads_input, None, 'output', 'input 0'),
        (_reads_input, None, 'shapes', 'input 0'),
        (_reads_output, _reads_input_jvp, 'output', 'input 0'),
    ],
)
def test_a_policy_keeping_less_than_a_rule_reads_raises_at_registration(
    probe, vjp, jvp, save, reads
):
    with pytest.raises(
        ValueError, match=f"op '{probe}'.*reads the values of {reads}.*save='{save}'"
    ):
        op(probe, numpy.exp, vjp, jvp, save=save, export=None)
    assert probe not in REGISTRY


def test_the_error_names_the_rule_kind_and_the_policy_to_declare(probe):
    with pytest.raises(ValueError, match=r"its jvp rule for input 0 .* declare save='both'"):
        op(probe, numpy.exp, _reads_output, _reads_input_jvp, save='output', export=None)


def test_a_sufficient_policy_registers_and_differentiates(probe):
    prim = op(probe, numpy.sin, _reads_input, 'elementwise', save='inputs', export=None)
    x = np.array([0.5, 1.0])
    x.attach_grad()
    with autograd.record():
        y = prim(x)
    y.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), numpy.cos([0.5, 1.0]))


def test_shape_reads_and_helper_calls_are_not_value_reads(probe):
    def vjp(xp, g, ans, x):  # batch_shape reads ans.shape only; the check trusts helpers
        return xp.reshape(g, batch_shape(g, ans) + x.shape) * (x.ndim + ans.size)

    op(probe, lambda x: numpy.reshape(x, -1), vjp, save='shapes', export=None)
    assert value_reads(vjp, 1) == set()
    assert value_reads(lambda xp, g, ans, x: xp.zeros_like(ans) + g, 1) == set()


@pytest.mark.parametrize(
    'rule, reads',
    [
        (lambda xp, g, ans, x: g * x.T, {'input 0'}),
        (lambda xp, g, ans, x: g[x > 0], {'input 0'}),
        (lambda xp, g, ans, x, y: xp.where(ans == 0, g, y), {'ans', 'input 1'}),
        (lambda xp, g, ans, x: g if x.ndim else -ans, {'ans'}),
    ],
)
def test_operands_attributes_and_xp_arguments_are_value_reads(rule, reads):
    assert value_reads(rule, rule.__code__.co_argcount - 3) == reads


def test_every_shipped_op_passes_and_the_check_sees_real_reads():
    checked = 0
    for name, prim in REGISTRY.items():
        if type(prim.vjps) is tuple:
            check_save(
                name,
                'declared',
                prim.save_inputs is True,
                prim.save_output is True,
                {'vjp': prim.vjps},
            )
            checked += 1
    assert checked > 100
    assert value_reads(REGISTRY['exp'].vjps[0], 1) == {'ans'}
    assert value_reads(REGISTRY['sin'].vjps[0], 1) == {'input 0'}
