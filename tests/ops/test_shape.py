"""Shape and data movement: values against NumPy, derivatives (first and second
order; reverse batched, single VJP, forward) against central differences.

Every op's output is squared (in both ndgrad and NumPy) so that the second-order
check exercises the recorded rules with non-trivial cotangents.
"""

import numpy
import pytest

from ndgrad import InPlaceModificationError, autograd, np
from ndgrad.rules.shape import _broadcast_to
from ndgrad.testing import check_grad

from .harness import Case, run_case


def sq(fn, ref, shapes, name, **kw):
    """A case for ``fn(...) ** 2`` against ``ref(...) ** 2``."""

    def f(*xs):
        y = fn(*xs)
        return y * y

    def r(*xs):
        y = numpy.asarray(ref(*xs))
        return y * y

    return Case(name, f, r, shapes, **kw)


def flat(arrays):
    """One array from several outputs, each weighted differently (all get gradients)."""
    return np.concatenate([np.ravel(a) * (k + 1) for k, a in enumerate(arrays)])


def nflat(arrays):
    return numpy.concatenate([numpy.ravel(a) * (k + 1) for k, a in enumerate(arrays)])


CASES = [
    # reshape, ravel, transpose, axes
    sq(lambda x: np.reshape(x, (3, 2)), lambda x: numpy.reshape(x, (3, 2)), [(2, 3)], 'reshape'),
    sq(lambda x: np.reshape(x, -1), lambda x: numpy.reshape(x, -1), [(2, 1, 3)], 'reshape/int'),
    sq(
        lambda x: np.reshape(x, (3, -1), order='F'),
        lambda x: numpy.reshape(x, (3, -1), order='F'),
        [(2, 3)],
        'reshape/F',
    ),
    sq(lambda x: np.reshape(x, (1, 1)), lambda x: numpy.reshape(x, (1, 1)), [()], 'reshape/0d'),
    sq(lambda x: x.reshape(3, 2), lambda x: x.reshape(3, 2), [(6,)], 'reshape/method'),
    sq(lambda x: np.ravel(x), numpy.ravel, [(2, 1, 3)], 'ravel'),
    sq(lambda x: np.ravel(x, order='F'), lambda x: numpy.ravel(x, order='F'), [(2, 3)], 'ravel/F'),
    sq(lambda x: np.transpose(x), numpy.transpose, [(2, 1, 3)], 'transpose'),
    sq(
        lambda x: np.transpose(x, (-1, 0, 1)),
        lambda x: numpy.transpose(x, (-1, 0, 1)),
        [(2, 1, 3)],
        'transpose/negative',
    ),
    sq(lambda x: np.transpose(x), numpy.transpose, [()], 'transpose/0d'),
    sq(lambda x: x.T, lambda x: x.T, [(2, 3)], 'transpose/T'),
    sq(
        lambda x: np.swapaxes(x, 0, -1), lambda x: numpy.swapaxes(x, 0, -1), [(2, 1, 3)], 'swapaxes'
    ),
    sq(
        lambda x: np.moveaxis(x, 0, -1), lambda x: numpy.moveaxis(x, 0, -1), [(2, 1, 3)], 'moveaxis'
    ),
    sq(
        lambda x: np.moveaxis(x, (0, 1), (-1, 0)),
        lambda x: numpy.moveaxis(x, (0, 1), (-1, 0)),
        [(2, 1, 3)],
        'moveaxis/tuple',
    ),
    sq(
        lambda x: np.expand_dims(x, -1), lambda x: numpy.expand_dims(x, -1), [(2, 3)], 'expand_dims'
    ),
    sq(
        lambda x: np.expand_dims(x, (0, 2)),
        lambda x: numpy.expand_dims(x, (0, 2)),
        [(3,)],
        'expand_dims/tuple',
    ),
    sq(lambda x: np.expand_dims(x, 0), lambda x: numpy.expand_dims(x, 0), [()], 'expand_dims/0d'),
    sq(lambda x: np.squeeze(x), numpy.squeeze, [(1, 3, 1)], 'squeeze'),
    sq(
        lambda x: np.squeeze(x, axis=-1),
        lambda x: numpy.squeeze(x, axis=-1),
        [(2, 1)],
        'squeeze/axis',
    ),
    sq(
        lambda x: np.squeeze(x, axis=(0, 2)),
        lambda x: numpy.squeeze(x, axis=(0, 2)),
        [(1, 3, 1)],
        'squeeze/tuple',
    ),
    sq(lambda x: np.squeeze(x), numpy.squeeze, [(1,)], 'squeeze/to-0d'),
    # broadcasting
    sq(
        lambda x: np.broadcast_to(x, (2, 3)),
        lambda x: numpy.broadcast_to(x, (2, 3)),
        [(3,)],
        'broadcast_to',
    ),
    sq(
        lambda x: np.broadcast_to(x, (2, 3)),
        lambda x: numpy.broadcast_to(x, (2, 3)),
        [(2, 1)],
        'broadcast_to/size-1',
    ),
    sq(
        lambda x: np.broadcast_to(x, 3), lambda x: numpy.broadcast_to(x, 3), [()], 'broadcast_to/0d'
    ),
    sq(
        lambda x, y: np.stack(np.broadcast_arrays(x, y)),
        lambda x, y: numpy.stack(numpy.broadcast_arrays(x, y)),
        [(2, 1), (3,)],
        'broadcast_arrays',
    ),
    sq(lambda x: np.atleast_1d(x), numpy.atleast_1d, [()], 'atleast_1d/0d'),
    sq(lambda x: np.atleast_1d(x), numpy.atleast_1d, [(2, 3)], 'atleast_1d/2d'),
    sq(
        lambda x, y: flat(np.atleast_2d(x, y)),
        lambda x, y: nflat(numpy.atleast_2d(x, y)),
        [(), (3,)],
        'atleast_2d',
    ),
    sq(
        lambda x, y, z: flat(np.atleast_3d(x, y, z)),
        lambda x, y, z: nflat(numpy.atleast_3d(x, y, z)),
        [(3,), (2, 3), (1, 2, 1, 2)],
        'atleast_3d',
    ),
    # joining
    sq(
        lambda x, y, z: np.concatenate([x, y, z]),
        lambda x, y, z: numpy.concatenate([x, y, z]),
        [(2, 3), (1, 3), (3, 3)],
        'concatenate',
    ),
    sq(
        lambda x, y: np.concatenate((x, y), axis=-1),
        lambda x, y: numpy.concatenate((x, y), -1),
        [(2, 1), (2, 3)],
        'concatenate/axis-1',
    ),
    sq(
        lambda x, y: np.concatenate((x, y), axis=1),
        lambda x, y: numpy.concatenate((x, y), 1),
        [(2, 1, 2), (2, 2, 2)],
        'concatenate/axis1',
    ),
    sq(
        lambda x, y: np.concatenate((x, y), axis=None),
        lambda x, y: numpy.concatenate((x, y), None),
        [(2,), (2, 3)],
        'concatenate/None',
    ),
    sq(
        lambda x: np.concatenate([x, numpy.ones((1, 2))]),
        lambda x: numpy.concatenate([x, numpy.ones((1, 2))]),
        [(2, 2)],
        'concatenate/constant',
    ),
    sq(
        lambda x, y, z: np.stack([x, y, z]),
        lambda x, y, z: numpy.stack([x, y, z]),
        [(2, 3)] * 3,
        'stack',
    ),
    sq(
        lambda x, y: np.stack([x, y], axis=-1),
        lambda x, y: numpy.stack([x, y], axis=-1),
        [(2, 3)] * 2,
        'stack/axis-1',
    ),
    sq(
        lambda x, y: np.stack([x, y], axis=1),
        lambda x, y: numpy.stack([x, y], axis=1),
        [(2, 3)] * 2,
        'stack/axis1',
    ),
    sq(lambda x, y: np.stack([x, y]), lambda x, y: numpy.stack([x, y]), [(), ()], 'stack/0d'),
    sq(
        lambda x, y: np.vstack([x, y]), lambda x, y: numpy.vstack([x, y]), [(3,), (3,)], 'vstack/1d'
    ),
    sq(
        lambda x, y: np.vstack((x, y)),
        lambda x, y: numpy.vstack((x, y)),
        [(2, 3), (1, 3)],
        'vstack/2d',
    ),
    sq(
        lambda x, y: np.hstack([x, y]), lambda x, y: numpy.hstack([x, y]), [(2,), (3,)], 'hstack/1d'
    ),
    sq(
        lambda x, y: np.hstack([x, y]),
        lambda x, y: numpy.hstack([x, y]),
        [(2, 1), (2, 3)],
        'hstack/2d',
    ),
    sq(
        lambda x, y: np.dstack([x, y]),
        lambda x, y: numpy.dstack([x, y]),
        [(2, 3), (2, 3)],
        'dstack',
    ),
    sq(
        lambda x, y: np.dstack([x, y]), lambda x, y: numpy.dstack([x, y]), [(3,), (3,)], 'dstack/1d'
    ),
    sq(
        lambda x, y: np.column_stack([x, y]),
        lambda x, y: numpy.column_stack([x, y]),
        [(3,), (3, 2)],
        'column_stack',
    ),
    # splitting
    sq(lambda x: flat(np.split(x, 3)), lambda x: nflat(numpy.split(x, 3)), [(6,)], 'split'),
    sq(
        lambda x: flat(np.split(x, [1, 4])),
        lambda x: nflat(numpy.split(x, [1, 4])),
        [(5, 2)],
        'split/indices',
    ),
    sq(
        lambda x: flat(np.split(x, 2, axis=-1)),
        lambda x: nflat(numpy.split(x, 2, axis=-1)),
        [(2, 1, 4)],
        'split/axis-1',
    ),
    sq(
        lambda x: flat(np.split(x, [3, 1, -1])),
        lambda x: nflat(numpy.split(x, [3, 1, -1])),
        [(5,)],
        'split/overlapping',
    ),
    sq(lambda x: np.split(x, 3)[1], lambda x: numpy.split(x, 3)[1], [(3, 2)], 'split/one-piece'),
    sq(
        lambda x: flat(np.array_split(x, 3)),
        lambda x: nflat(numpy.array_split(x, 3)),
        [(5,)],
        'array_split',
    ),
    sq(lambda x: flat(np.unstack(x)), lambda x: nflat(list(x)), [(3, 2)], 'unstack'),
    sq(
        lambda x: flat(np.unstack(x, axis=-1)),
        lambda x: nflat(numpy.moveaxis(x, -1, 0)),
        [(2, 1, 3)],
        'unstack/axis-1',
    ),
    sq(
        lambda x: flat(np.unstack(x, axis=1)),
        lambda x: nflat(numpy.moveaxis(x, 1, 0)),
        [(2, 1)],
        'unstack/size-1',
    ),
    sq(lambda x: flat(np.unstack(x)), lambda x: nflat(list(x)), [(4,)], 'unstack/to-0d'),
    sq(lambda x: flat(list(x)), lambda x: nflat(list(x)), [(3, 2)], 'iterate'),
    sq(lambda x: sum(x), lambda x: sum(x), [(5,)], 'iterate/python-sum'),
    sq(lambda x: np.unstack(x)[1] * 2, lambda x: list(x)[1] * 2, [(3, 2)], 'unstack/one-slice'),
    sq(lambda x: flat(np.hsplit(x, 2)), lambda x: nflat(numpy.hsplit(x, 2)), [(2, 4)], 'hsplit'),
    sq(
        lambda x: flat(np.hsplit(x, [1])),
        lambda x: nflat(numpy.hsplit(x, [1])),
        [(3,)],
        'hsplit/1d',
    ),
    sq(lambda x: flat(np.vsplit(x, 2)), lambda x: nflat(numpy.vsplit(x, 2)), [(4, 1)], 'vsplit'),
    sq(
        lambda x: flat(np.dsplit(x, [1])),
        lambda x: nflat(numpy.dsplit(x, [1])),
        [(1, 2, 3)],
        'dsplit',
    ),
    # copies
    sq(lambda x: np.tile(x, 2), lambda x: numpy.tile(x, 2), [(3,)], 'tile'),
    sq(lambda x: np.tile(x, (2, 1)), lambda x: numpy.tile(x, (2, 1)), [(2, 3)], 'tile/rows'),
    sq(lambda x: np.tile(x, (2, 1, 2)), lambda x: numpy.tile(x, (2, 1, 2)), [(2,)], 'tile/newaxes'),
    sq(lambda x: np.tile(x, 3), lambda x: numpy.tile(x, 3), [()], 'tile/0d'),
    sq(lambda x: np.tile(x, 1), lambda x: numpy.tile(x, 1), [(2, 1)], 'tile/once'),
    sq(lambda x: np.repeat(x, 2), lambda x: numpy.repeat(x, 2), [(2, 3)], 'repeat'),
    sq(
        lambda x: np.repeat(x, 3, axis=-1),
        lambda x: numpy.repeat(x, 3, axis=-1),
        [(2, 1)],
        'repeat/axis',
    ),
    sq(
        lambda x: np.repeat(x, [2, 0, 1], axis=1),
        lambda x: numpy.repeat(x, [2, 0, 1], axis=1),
        [(2, 3)],
        'repeat/counts',
    ),
    sq(lambda x: np.repeat(x, 2), lambda x: numpy.repeat(x, 2), [()], 'repeat/0d'),
    # flips and rolls
    sq(lambda x: np.flip(x), numpy.flip, [(2, 1, 3)], 'flip'),
    sq(lambda x: np.flip(x, -1), lambda x: numpy.flip(x, -1), [(2, 3)], 'flip/axis'),
    sq(lambda x: np.flip(x, (0, 2)), lambda x: numpy.flip(x, (0, 2)), [(2, 1, 3)], 'flip/tuple'),
    sq(lambda x: np.flip(x), numpy.flip, [()], 'flip/0d'),
    sq(lambda x: np.fliplr(x), numpy.fliplr, [(2, 3)], 'fliplr'),
    sq(lambda x: np.flipud(x), numpy.flipud, [(3,)], 'flipud'),
    sq(lambda x: np.roll(x, 2), lambda x: numpy.roll(x, 2), [(5,)], 'roll'),
    sq(lambda x: np.roll(x, 4), lambda x: numpy.roll(x, 4), [(2, 3)], 'roll/flat'),
    sq(
        lambda x: np.roll(x, -1, axis=1), lambda x: numpy.roll(x, -1, axis=1), [(2, 3)], 'roll/axis'
    ),
    sq(
        lambda x: np.roll(x, (1, 2), axis=(0, -1)),
        lambda x: numpy.roll(x, (1, 2), axis=(0, -1)),
        [(2, 3)],
        'roll/tuple',
    ),
    sq(
        lambda x: np.roll(x, (1, 1), axis=0),
        lambda x: numpy.roll(x, (1, 1), axis=0),
        [(3, 2)],
        'roll/same-axis',
    ),
    sq(lambda x: np.rot90(x), numpy.rot90, [(2, 3)], 'rot90'),
    sq(lambda x: np.rot90(x, 2), lambda x: numpy.rot90(x, 2), [(2, 3)], 'rot90/2'),
    sq(lambda x: np.rot90(x, -1), lambda x: numpy.rot90(x, -1), [(2, 3)], 'rot90/3'),
    sq(lambda x: np.rot90(x, 4), lambda x: numpy.rot90(x, 4), [(2, 3)], 'rot90/0'),
    sq(
        lambda x: np.rot90(x, 1, axes=(2, 0)),
        lambda x: numpy.rot90(x, 1, axes=(2, 0)),
        [(2, 1, 3)],
        'rot90/axes',
    ),
    # padding
    sq(lambda x: np.pad(x, 1), lambda x: numpy.pad(x, 1), [(2, 3)], 'pad'),
    sq(
        lambda x: np.pad(x, ((1, 2), (0, 1)), constant_values=3.0),
        lambda x: numpy.pad(x, ((1, 2), (0, 1)), constant_values=3.0),
        [(2, 1)],
        'pad/constant',
    ),
    sq(lambda x: np.pad(x, (2, 1)), lambda x: numpy.pad(x, (2, 1)), [(3,)], 'pad/pair'),
    sq(lambda x: np.pad(x, 1), lambda x: numpy.pad(x, 1), [()], 'pad/0d'),
    sq(
        lambda x: np.pad(x, ((1, 2), (2, 0)), mode='edge'),
        lambda x: numpy.pad(x, ((1, 2), (2, 0)), mode='edge'),
        [(2, 3)],
        'pad/edge',
    ),
    sq(
        lambda x: np.pad(x, 4, mode='reflect'),
        lambda x: numpy.pad(x, 4, mode='reflect'),
        [(3,)],
        'pad/reflect',
    ),
    sq(
        lambda x: np.pad(x, ((1, 0), (2, 3)), mode='symmetric'),
        lambda x: numpy.pad(x, ((1, 0), (2, 3)), mode='symmetric'),
        [(2, 2)],
        'pad/symmetric',
    ),
    sq(
        lambda x: np.pad(x, (3, 2), mode='wrap'),
        lambda x: numpy.pad(x, (3, 2), mode='wrap'),
        [(2,)],
        'pad/wrap',
    ),
    sq(
        lambda x: np.pad(x, ((0, 1), (2, 0), (1, 1)), mode='wrap'),
        lambda x: numpy.pad(x, ((0, 1), (2, 0), (1, 1)), mode='wrap'),
        [(2, 1, 2)],
        'pad/wrap-3d',
    ),
    sq(
        lambda x: np.pad(x, 2, mode='edge'),
        lambda x: numpy.pad(x, 2, mode='edge'),
        [()],
        'pad/edge-0d',
    ),
    sq(
        lambda x: np.pad(x, (2, 4), mode='reflect', reflect_type='odd'),
        lambda x: numpy.pad(x, (2, 4), mode='reflect', reflect_type='odd'),
        [(3,)],
        'pad/reflect-odd',
    ),
    sq(
        lambda x: np.pad(x, 2, mode='symmetric', reflect_type='odd'),
        lambda x: numpy.pad(x, 2, mode='symmetric', reflect_type='odd'),
        [(2, 3)],
        'pad/symmetric-odd',
    ),
    sq(
        lambda x: np.pad(x, ((1, 2), (1, 0)), mode='mean', stat_length=((1, 2), (2, 2))),
        lambda x: numpy.pad(x, ((1, 2), (1, 0)), mode='mean', stat_length=((1, 2), (2, 2))),
        [(3, 3)],
        'pad/mean',
    ),
    sq(
        lambda x: np.pad(
            x, ((1, 2), (2, 1)), mode='linear_ramp', end_values=((1.0, -1.0), (2.0, 2.0))
        ),
        lambda x: numpy.pad(
            x, ((1, 2), (2, 1)), mode='linear_ramp', end_values=((1.0, -1.0), (2.0, 2.0))
        ),
        [(2, 2)],
        'pad/linear_ramp',
    ),
    sq(
        lambda x: np.pad(x, ((1, 2), (2, 0)), mode='maximum'),
        lambda x: numpy.pad(x, ((1, 2), (2, 0)), mode='maximum'),
        [(2, 3)],
        'pad/maximum',
    ),
    sq(
        lambda x: np.pad(x, ((1, 1), (2, 1)), mode='minimum', stat_length=((1, 2), (2, 3))),
        lambda x: numpy.pad(x, ((1, 1), (2, 1)), mode='minimum', stat_length=((1, 2), (2, 3))),
        [(3, 4)],
        'pad/minimum',
    ),
    sq(
        lambda x: np.pad(x, 2, mode='median'),
        lambda x: numpy.pad(x, 2, mode='median'),
        [(3,)],
        'pad/median',
    ),
    sq(
        lambda x: np.pad(x, (1, 2), mode='median', stat_length=2),
        lambda x: numpy.pad(x, (1, 2), mode='median', stat_length=2),
        [(2, 4)],
        'pad/median-even',
    ),
    sq(
        lambda x: np.pad(x, 1, mode='maximum'),
        lambda x: numpy.pad(x, 1, mode='maximum'),
        [(1, 3)],
        'pad/maximum-size-1',
    ),
    sq(
        lambda x: np.pad(x, 1, mode='minimum'),
        lambda x: numpy.pad(x, 1, mode='minimum'),
        [()],
        'pad/minimum-0d',
    ),
    # differences and grids
    sq(lambda x: np.diff(x), numpy.diff, [(2, 4)], 'diff'),
    sq(
        lambda x: np.diff(x, n=2, axis=0), lambda x: numpy.diff(x, n=2, axis=0), [(4, 2)], 'diff/n2'
    ),
    sq(
        lambda x: np.diff(x, prepend=1.0, append=-1.0),
        lambda x: numpy.diff(x, prepend=1.0, append=-1.0),
        [(2, 3)],
        'diff/prepend',
    ),
    sq(
        lambda x, y: np.diff(x, axis=0, prepend=y),
        lambda x, y: numpy.diff(x, axis=0, prepend=y),
        [(2, 3), (1, 3)],
        'diff/prepend-array',
    ),
    sq(lambda x: np.diff(x, n=0), lambda x: numpy.diff(x, n=0), [(3,)], 'diff/n0'),
    sq(lambda x: np.ediff1d(x), numpy.ediff1d, [(2, 2)], 'ediff1d'),
    sq(
        lambda x: np.ediff1d(x, to_end=[1.0, 2.0], to_begin=-1.0),
        lambda x: numpy.ediff1d(x, to_end=[1.0, 2.0], to_begin=-1.0),
        [(3,)],
        'ediff1d/ends',
    ),
    sq(
        lambda x, y: flat(np.meshgrid(x, y)),
        lambda x, y: nflat(numpy.meshgrid(x, y)),
        [(3,), (2,)],
        'meshgrid',
    ),
    sq(
        lambda x, y, z: flat(np.meshgrid(x, y, z, indexing='ij')),
        lambda x, y, z: nflat(numpy.meshgrid(x, y, z, indexing='ij')),
        [(2,), (1,), (2,)],
        'meshgrid/ij',
    ),
    sq(
        lambda x, y: flat(np.meshgrid(x, y, sparse=True)),
        lambda x, y: nflat(numpy.meshgrid(x, y, sparse=True)),
        [(3,), (2,)],
        'meshgrid/sparse',
    ),
]


@pytest.mark.parametrize('case', CASES, ids=str)
def test_op(case):
    run_case(case)


# --- forward mode is true forward mode ---------------------------------------------------------


def test_concatenate_and_stack_have_jvp_rules():
    from ndgrad._primitive import REGISTRY

    for name in (
        'concatenate',
        'stack',
        'split',
        'unstack',
        'flip',
        'roll',
        'pad_constant',
        'pad_copy',
        'getitem',
        'scatter',
        'setitem',
    ):
        prim = REGISTRY[name]
        assert prim.jvps is not None and prim.jvps[0] is not None, name
    for name in ('concatenate', 'stack', 'setitem'):
        assert REGISTRY[name].jvps[1] is not None, name


# --- values, dtypes, results NumPy gives -------------------------------------------------------


def test_pad_integer_arrays_follow_numpy():
    data = numpy.arange(6).reshape(2, 3)
    for mode in ('constant', 'edge', 'mean', 'linear_ramp', 'reflect'):
        got = np.pad(np.array(data, dtype='int64'), 2, mode=mode)
        assert got.dtype == numpy.int64
        numpy.testing.assert_array_equal(got.asnumpy(), numpy.pad(data, 2, mode=mode))


def test_results_are_ndgrad_arrays_with_numpy_shapes():
    x = np.ones((2, 3))
    assert isinstance(np.split(x, 3, axis=1), list)
    assert isinstance(np.broadcast_arrays(x, np.ones(3)), tuple)
    assert isinstance(np.meshgrid(np.ones(2), np.ones(3)), tuple)
    assert isinstance(np.atleast_1d(x, x), tuple)
    assert np.atleast_2d([1.0, 2.0]).shape == (1, 2)
    assert np.hstack([x, x]).dtype == numpy.float32
    assert np.concatenate([x, x], dtype='float64').dtype == numpy.float64
    assert np.stack([x, x], dtype='float64').dtype == numpy.float64
    assert type(np.tile(x, 1)) is type(x)


def test_numpy_functions_on_ndgrad_arrays_dispatch_here():
    x = np.arange(4.0)
    x.attach_grad()
    with autograd.record():
        y = numpy.concatenate([x, numpy.flip(x)])
        z = (numpy.tile(y, 2) * np.arange(16.0) ** 2).sum()
    z.backward()
    gy = numpy.arange(8.0) ** 2 + numpy.arange(8.0, 16.0) ** 2
    numpy.testing.assert_array_equal(x.grad.asnumpy(), gy[:4] + gy[4:][::-1])


def test_float32_gradients_of_split_and_pad():
    x = np.ones((4, 2))
    x.attach_grad()
    with autograd.record():
        a, b = np.split(x, 2)
        y = (np.pad(a, 1, mode='reflect') * 2).sum() + b.sum()
    y.backward()
    assert x.grad.dtype == numpy.float32


def test_split_of_an_unused_piece_gets_zero_gradient():
    x = np.arange(6.0)
    x.attach_grad()
    with autograd.record():
        pieces = np.split(x, 3)
        y = (pieces[2] * 2).sum()
    y.backward()
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [0, 0, 0, 0, 2, 2])


def test_repeat_and_tile_gradients_sum_over_copies():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = np.repeat(x, 3).sum() + np.tile(x, (2, 2)).sum()
    y.backward()
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [7.0, 7.0])


def test_pad_edge_gradient_counts_the_copies():
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = np.pad(x, (2, 1), mode='edge').sum()
    y.backward()
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [3.0, 1.0, 2.0])


def test_untouched_integer_inputs_stay_integers():
    x = np.array([[1, 2], [3, 4]], dtype='int64')
    assert np.tile(x, 2).dtype == numpy.int64
    assert np.flip(x).dtype == numpy.int64
    assert np.diff(np.array([True, False, False])).tolist() == [True, False]


def test_non_differentiable_helpers():
    x = np.array([3.0, 1.0, 3.0, 0.0, 2.0])
    numpy.testing.assert_array_equal(np.unique(x).asnumpy(), [0.0, 1.0, 2.0, 3.0])
    _values, counts = np.unique(x, return_counts=True)
    assert counts.tolist() == [1, 1, 1, 2]
    assert np.searchsorted(np.array([1.0, 2.0, 3.0]), np.array([2.5, 0.0])).tolist() == [2, 0]
    assert [a.tolist() for a in np.nonzero(x)] == [[0, 1, 2, 4]]
    assert np.flatnonzero(x).tolist() == [0, 1, 2, 4]
    assert np.argwhere(np.array([[0.0, 1.0], [2.0, 0.0]])).tolist() == [[0, 1], [1, 0]]
    rows, cols = np.tril_indices(3, -1)
    assert rows.tolist() == [1, 2, 2] and cols.tolist() == [0, 0, 1]
    with autograd.record():
        assert np.unique(x)._node is None


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    'call, error',
    [
        (lambda: np.split(np.ones(5), 2), ValueError),
        (lambda: np.split(np.ones(5), 0), ValueError),
        (lambda: np.vsplit(np.ones(4), 2), ValueError),
        (lambda: np.fliplr(np.ones(3)), ValueError),
        (lambda: np.moveaxis(np.ones((2, 3)), 0, 2), numpy.exceptions.AxisError),
        (lambda: np.concatenate([np.ones(2), np.ones((2, 2))]), ValueError),
        (lambda: np.concatenate([np.ones(2)], out=np.ones(2)), TypeError),
        (lambda: np.stack([np.ones(2), np.ones(3)]), ValueError),
        (lambda: np.pad(np.ones(2), -1), ValueError),
        (lambda: np.pad(np.ones(2), 1.5), TypeError),
        (lambda: np.pad(np.ones(2), 1, mode='nope'), ValueError),
        (lambda: np.pad(np.ones(2), 1, mode='empty'), NotImplementedError),
        (lambda: np.pad(np.ones(2), 1, mode='maximum', stat_length=0), ValueError),
        (lambda: np.pad(np.ones(2), 1, mode='edge', constant_values=1), ValueError),
        (lambda: np.pad(np.ones((2, 2)), ((1, 1), (1, 1), (1, 1))), ValueError),
        (lambda: np.diff(np.array(1.0)), ValueError),
        (lambda: np.diff(np.ones(3), n=-1), ValueError),
        (lambda: np.rot90(np.ones((2, 2)), axes=(0, 0)), ValueError),
        (lambda: np.repeat(np.ones(3), -1), ValueError),
        (lambda: np.repeat(np.ones(3), [1, 2]), ValueError),
        (lambda: np.reshape(np.ones(6), (4, -1)), ValueError),
        (lambda: np.meshgrid(np.ones(2), indexing='yx'), ValueError),
        (lambda: np.vstack(np.ones(2) for _ in range(2)), TypeError),
    ],
)
def test_bad_input_raises_numpys_error_type(call, error):
    with pytest.raises(error):
        call()


def test_unsupported_pad_mode_says_what_to_do():
    with pytest.raises(NotImplementedError, match='asnumpy'):
        np.pad(np.ones(2), 1, mode='empty')


# --- a batched Jacobian through a chain of shape ops ------------------------------------------


def test_chain_of_shape_ops_second_order():
    def f(x, y):
        z = np.concatenate([np.tile(x, (1, 2)), np.flip(y, 0)], axis=0)
        z = np.pad(np.roll(z, 1, axis=1), ((0, 1), (1, 1)), mode='edge')
        return np.sin(np.stack(np.split(z, 2, axis=1), axis=-1))

    check_grad(
        f,
        [
            numpy.random.default_rng(0).uniform(-1, 1, (2, 2)),
            numpy.random.default_rng(1).uniform(-1, 1, (1, 4)),
        ],
        order=2,
    )


def test_docstring_examples():
    import doctest
    import importlib

    module = importlib.import_module('ndgrad.rules.shape')
    result = doctest.testmod(
        module,
        extraglobs={'np': np, 'autograd': autograd},
        optionflags=doctest.NORMALIZE_WHITESPACE,
    )
    assert result.failed == 0 and result.attempted > 0


# --- iteration and unstack ---------------------------------------------------------------------


def test_iterating_under_record_is_one_recorded_op():
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        rows = list(x * 1)
    parents = {r._node.parents[0] for r in rows}
    assert len(parents) == 1 and parents.pop().name == 'unstack'
    with autograd.record():
        y = rows[2] * 5 + rows[0]  # the middle slice gets no gradient: zeros there
    y.backward()
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [1.0, 0.0, 5.0])


def test_iteration_outside_record_and_of_constants_records_nothing():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    x.attach_grad()
    assert all(r._node is None for r in x)
    with autograd.record():
        assert all(r._node is None for r in np.ones((2, 2)))


def test_unstack_follows_numpy():
    data = numpy.arange(6.0).reshape(2, 3)
    got = np.unstack(np.array(data), axis=1)
    assert isinstance(got, tuple) and len(got) == 3
    for a, b in zip(got, numpy.unstack(data, axis=1)):
        numpy.testing.assert_array_equal(a.asnumpy(), b)
    assert np.unstack(np.zeros((0, 2))) == ()
    with pytest.raises(ValueError, match='at least 1-d'):
        np.unstack(np.array(1.0))
    with pytest.raises(numpy.exceptions.AxisError):
        np.unstack(np.zeros(2), axis=1)


def test_many_outputs_gather_their_gradients_in_linear_time():
    x = np.ones(20000)
    x.attach_grad()
    with autograd.record():
        y = np.stack(list(x * 2)).sum()  # 20,000 outputs of one node
    y.backward()
    assert float(x.grad.sum()) == 40000.0


@pytest.mark.parametrize('shape', [(-1,), (2, -3), (4,)])
def test_broadcast_to_refuses_a_shape_it_cannot_reach(shape):
    with pytest.raises(ValueError):
        np.broadcast_to(np.ones(3), shape)


@pytest.mark.parametrize('shape', [(-1,), (2, -3)])
def test_broadcast_to_refuses_a_negative_shape_for_one_element(shape):
    with pytest.raises(ValueError):
        np.broadcast_to(np.ones(1), shape)


@pytest.mark.parametrize(
    ('value', 'shape'),
    [(numpy.float32(2.0), (3,)), (numpy.ones((1, 1)), (2, 1, 3)), (numpy.ones(1), (0,))],
)
def test_one_element_broadcasts_as_numpy_does(value, shape):
    # (a single element takes a shorter path: the view must still be NumPy's)
    got = np.broadcast_to(np.array(value), shape)._data
    want = numpy.broadcast_to(numpy.asarray(value), shape)
    assert got.shape == want.shape and got.dtype == want.dtype and got.strides == want.strides
    numpy.testing.assert_array_equal(got, want)
    assert not got.flags.writeable
    with pytest.raises(ValueError, match='read-only'):
        got[...] = 0


def test_a_mean_of_everything_sends_every_element_its_share():
    x = np.array(numpy.arange(6.0).reshape(2, 3))
    x.attach_grad()
    with autograd.record():
        y = -x.mean()
    y.backward()
    numpy.testing.assert_array_equal(x.grad._data, numpy.full((2, 3), -1 / 6))
    assert x.grad._data.flags.writeable
    x.grad[0, 0] = 5.0  # (the buffer is the user's: writable, not a broadcast view)
    assert float(x.grad[1, 1]) == -1 / 6


@pytest.mark.parametrize(
    'value', [numpy.float32(2.0), numpy.complex64(1 - 2j), numpy.bool_(True), numpy.int8(-3)]
)
def test_a_numpy_scalar_broadcasts_as_numpy_does(value):
    got, want = _broadcast_to(value, (2, 3)), numpy.broadcast_to(value, (2, 3))
    assert got.dtype == want.dtype and got.strides == want.strides and not got.flags.writeable
    numpy.testing.assert_array_equal(got, want)


def test_a_write_into_one_element_is_seen_through_its_broadcast_view():
    c = np.ones(1)
    x = np.ones(3)
    x.attach_grad()
    with autograd.record():
        y = (np.broadcast_to(c, (3,)) * x).sum()  # multiply saves the view
    c[...] = 5.0
    with pytest.raises(InPlaceModificationError):
        y.backward()
