"""autograd.Function and autograd.custom_vjp: user-given derivatives, first order,
through a hand-written backward to second and third order, forward mode (given or
transposed), several outputs, batching, clear errors, and complex numbers."""

import numpy
import pytest

from ndgrad import GraphFreedError, InPlaceModificationError, autograd, func, np
from ndgrad.testing import check_grad


def close(actual, expected, rtol=1e-7, atol=1e-9):
    numpy.testing.assert_allclose(
        numpy.asarray(actual, dtype=numpy.float64),
        numpy.asarray(expected, dtype=numpy.float64),
        rtol=rtol,
        atol=atol,
    )


def sigmoid(x):
    return 1 / (1 + numpy.exp(-x))


class Sigmoid(autograd.Function):
    """MXNet's documented example: saves its output."""

    def forward(self, x):
        y = 1 / (1 + np.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved_tensors
        return dy * y * (1 - y)


class Cube(autograd.Function):
    """Saves its input."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x * x

    def backward(self, dy):
        (x,) = self.saved_tensors
        return 3 * x * x * dy


class PolarParts(autograd.Function):
    """Two inputs, two outputs: (r cos t, r sin t); saves inputs and outputs."""

    def forward(self, r, t):
        u, v = r * np.cos(t), r * np.sin(t)
        self.save_for_backward(r, u, v)
        return u, v

    def backward(self, du, dv):
        r, u, v = self.saved_tensors
        # du/dr = u/r, du/dt = -v ; dv/dr = v/r, dv/dt = u
        return du * u / r + dv * v / r, -du * v + dv * u


class WrongSigmoid(Sigmoid):
    def backward(self, dy):
        (y,) = self.saved_tensors
        return dy * y  # missing the factor (1 - y)


X = numpy.array([-1.5, 0.0, 0.4, 2.0])


# --- autograd.Function ---------------------------------------------------------------------


def test_function_in_the_imperative_api_with_head_gradient():
    x = np.array(X.tolist())  # float32, MXNet's default
    x.attach_grad()
    with autograd.record():
        y = Sigmoid()(x)
    head = np.array([1.0, 2.0, 3.0, 4.0])
    y.backward(head)
    close(y, sigmoid(X), rtol=1e-6)
    s = sigmoid(X)
    close(x.grad, head.asnumpy() * s * (1 - s), rtol=1e-6)
    assert x.grad.dtype == numpy.float32


def test_function_second_and_third_order_through_the_backward():
    s = sigmoid(X)
    d1 = s * (1 - s)
    d2 = d1 * (1 - 2 * s)
    d3 = d1 * (1 - 6 * s + 6 * s * s)
    f = lambda x: Sigmoid()(x).sum()  # noqa: E731
    close(func.grad(f)(X), d1)
    close(func.hessian(f)(X), numpy.diag(d2))
    close(func.grad(lambda x: func.grad(func.grad(lambda y: Sigmoid()(y)))(x))(2.0), d3[-1])
    close(func.grad(func.grad(func.grad(lambda x: Cube()(x))))(1.7), 6.0)


def test_function_passes_check_grad_in_both_modes_to_second_order():
    check_grad(lambda x: Sigmoid()(x) * x, [X], order=2)
    check_grad(lambda x: Cube()(x * 0.5), [X], order=2)
    check_grad(
        lambda r, t: PolarParts()(r, t)[0] * PolarParts()(r, t)[1] ** 2,
        [numpy.array([0.5, 1.5]), numpy.array([0.3, -2.0])],
        order=2,
    )


def test_check_grad_catches_a_wrong_backward():
    with pytest.raises(AssertionError, match='differs from central differences'):
        check_grad(lambda x: WrongSigmoid()(x), [X], order=1)


def test_function_with_two_outputs_first_and_second_order():
    r, t = numpy.array([0.5, 1.5]), numpy.array([0.3, -2.0])

    def f(r, t):
        u, v = PolarParts()(r, t)
        return (u * u * v).sum()

    # f = r^3 cos^2 t sin t
    c, s = numpy.cos(t), numpy.sin(t)
    gr, gt = func.grad(f, argnums=(0, 1))(r, t)
    close(gr, 3 * r**2 * c * c * s)
    close(gt, r**3 * (c**3 - 2 * c * s * s))
    Hrr = func.hessian(f, argnums=0)(r, t)
    close(Hrr, numpy.diag(6 * r * c * c * s))


def test_an_unused_output_gets_a_zero_gradient():
    r, t = np.array([2.0], dtype='float64'), np.array([0.5], dtype='float64')
    r.attach_grad()
    t.attach_grad()
    with autograd.record():
        _, v = PolarParts()(r, t)
    v.backward()
    close(r.grad, numpy.sin(0.5))
    close(t.grad, 2 * numpy.cos(0.5))


def test_function_forward_mode_without_a_jvp_transposes_the_backward():
    r, t = numpy.array([0.5, 1.5]), numpy.array([0.3, -2.0])
    dr, dt = numpy.array([1.0, -1.0]), numpy.array([0.5, 2.0])
    (u, _), (tu, tv) = func.jvp(lambda r, t: PolarParts()(r, t), (r, t), (dr, dt))
    close(u, r * numpy.cos(t))
    close(tu, dr * numpy.cos(t) - r * numpy.sin(t) * dt)
    close(tv, dr * numpy.sin(t) + r * numpy.cos(t) * dt)
    J = func.jacfwd(lambda x: Sigmoid()(x))(X)
    s = sigmoid(X)
    close(J, numpy.diag(s * (1 - s)))


def test_backward_that_is_not_batch_transparent_works_in_vectorized_jacobians():
    class Total(autograd.Function):
        """sum(x); its backward builds ones of the input's shape, which a batch of
        cotangents would break without the per-slice loop."""

        def forward(self, x):
            self.shape = x.shape
            return x.sum()

        def backward(self, dy):
            return np.ones(self.shape, dtype=dy.dtype) * dy

    x = numpy.arange(6.0).reshape(2, 3)
    close(func.jacrev(lambda x: Total()(x) * np.ones(3))(x), numpy.ones((3, 2, 3)))
    close(func.jacfwd(lambda x: Total()(x) * np.ones(3))(x), numpy.ones((3, 2, 3)))
    close(func.hessian(lambda x: Total()(x * x))(x), 2 * numpy.eye(6).reshape(2, 3, 2, 3))


def test_forward_is_not_recorded_and_instances_can_be_reused():
    seen = []

    class Probe(Cube):
        def forward(self, x):
            seen.append(autograd.is_recording())
            return super().forward(x)

    op = Probe()
    a, b = np.array([1.0, 2.0], dtype='float64'), np.array([3.0], dtype='float64')
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        ya = op(a)
        yb = op(b)
        assert autograd.is_recording()
    assert seen == [False, False]
    ya.backward()
    yb.backward()
    close(a.grad, [3.0, 12.0])  # the first call's saved input, not the second's
    close(b.grad, [27.0])


def test_function_with_a_non_differentiable_index_input():
    class Pick(autograd.Function):
        def forward(self, x, index):
            self.save_for_backward(index)
            self.size = x.shape[0]
            return x[index.asnumpy()]

        def backward(self, dy):
            (index,) = self.saved_tensors
            dx = np.zeros(self.size, dtype=dy.dtype)
            dx[index.asnumpy()] = dy
            return dx, None

    g = func.grad(lambda x: (Pick()(x, numpy.array([2, 0])) * np.array([1.0, 10.0])).sum())(
        numpy.ones(3)
    )
    close(g, [10.0, 0.0, 1.0])


def test_saved_input_modified_in_place_is_detected():
    v = np.array([1.0, 2.0], dtype='float64')
    v.attach_grad()
    with autograd.record():
        u = v * 1.0
        y = Cube()(u)  # saves u
    u[0] = 7.0
    with pytest.raises(InPlaceModificationError):
        y.backward()


def test_second_backward_without_retain_graph_is_an_error():
    x = np.array([1.0], dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = Cube()(x)
    y.backward()
    with pytest.raises(GraphFreedError):
        y.backward()


def test_backward_returning_the_wrong_count_or_shape_is_reported():
    class TooMany(Cube):
        def backward(self, dy):
            return dy, dy

    class BadShape(Cube):
        def backward(self, dy):
            return dy.sum()

    class NumpyBackward(Cube):
        def backward(self, dy):
            (x,) = self.saved_tensors
            return 3 * x.asnumpy() ** 2 * dy.asnumpy()

    with pytest.raises(ValueError, match='TooMany returned 2 arrays; it must return 1'):
        func.grad(lambda x: TooMany()(x).sum())(X)
    with pytest.raises(ValueError, match=r'shape \(\) .* shape \(4,\)'):
        func.grad(lambda x: BadShape()(x).sum())(X)
    # NumPy results are fine for first order; a second order needs ndgrad ops
    close(func.grad(lambda x: NumpyBackward()(x).sum())(X), 3 * X**2)
    with pytest.raises(TypeError, match='ndgrad ops'):
        func.hessian(lambda x: NumpyBackward()(x).sum())(X)


def test_function_without_forward_or_backward():
    class Empty(autograd.Function):
        pass

    with pytest.raises(NotImplementedError, match='forward'):
        Empty()(np.ones(2))


def test_float32_stays_float32():
    x = np.array([0.5, 1.0])
    assert func.grad(lambda x: Sigmoid()(x).sum())(x).dtype == numpy.float32
    assert func.hessian(lambda x: Cube()(x).sum())(x).dtype == numpy.float32


# --- autograd.custom_vjp --------------------------------------------------------------------


@autograd.custom_vjp
def clip_gradient(x, bound=1.0):
    """Identity forward; the gradient is clipped to [-bound, bound]."""
    return x * 1.0


@clip_gradient.defvjp
def _clip_vjp(g, ans, x, bound=1.0):
    return np.minimum(np.maximum(g, -bound), bound)


def test_custom_vjp_clip_gradient_with_keyword_constant():
    x = numpy.array([1.0, 2.0, 3.0])
    close(
        func.grad(lambda x: (clip_gradient(x) * np.array([0.5, 3.0, -4.0])).sum())(x),
        [0.5, 1.0, -1.0],
    )
    close(
        func.grad(lambda x: (clip_gradient(x, bound=2.5) * np.array([0.5, 3.0, -4.0])).sum())(x),
        [0.5, 2.5, -2.5],
    )
    assert clip_gradient.__name__ == 'clip_gradient' and 'clipped' in clip_gradient.__doc__


@autograd.custom_vjp
def softplus(x):
    return np.log(1 + np.exp(x))


@softplus.defvjp
def _softplus_vjp(g, ans, x):
    return g / (1 + np.exp(-x))


def test_custom_vjp_is_differentiable_to_second_order():
    s = sigmoid(X)
    close(func.grad(lambda x: softplus(x).sum())(X), s)
    close(func.hessian(lambda x: softplus(x).sum())(X), numpy.diag(s * (1 - s)))
    check_grad(lambda x: softplus(x) * x, [X], order=2)


def test_custom_vjp_uses_its_jvp_when_given():
    calls = []

    def f(x, y):
        return x * y

    def f_vjp(g, ans, x, y):
        return g * y, g * x

    def f_jvp(tangents, ans, x, y):
        calls.append(1)
        tx, ty = tangents
        return tx * y + x * ty

    mul = autograd.custom_vjp(f, vjp=f_vjp, jvp=f_jvp)
    x, y = numpy.array([1.0, 2.0]), numpy.array([3.0, -1.0])
    _, t = func.jvp(mul, (x, y), (numpy.ones(2), numpy.full(2, 2.0)))
    close(t, y + 2 * x)
    assert calls
    close(func.jacfwd(mul, argnums=1)(x, y), numpy.diag(x))
    check_grad(lambda x, y: mul(x, y) * x, [x, y], order=2)


def test_custom_vjp_with_two_outputs_and_transposed_forward_mode():
    @autograd.custom_vjp
    def sincos(x):
        return np.sin(x), np.cos(x)

    @sincos.defvjp
    def _(g, ans, x):
        gs, gc = g
        s, c = ans
        return gs * c - gc * s

    x = numpy.array([0.2, 1.1])
    close(func.grad(lambda x: (sincos(x)[0] * sincos(x)[1]).sum())(x), numpy.cos(2 * x))
    _, (ts, tc) = func.jvp(sincos, (x,), (numpy.ones(2),))
    close(ts, numpy.cos(x))
    close(tc, -numpy.sin(x))
    # second order through the saved outputs of a two-output node
    close(func.hessian(lambda x: (sincos(x)[0] ** 2).sum())(x), numpy.diag(2 * numpy.cos(2 * x)))


def test_custom_vjp_without_a_vjp_rule():
    @autograd.custom_vjp
    def f(x):
        return x

    with pytest.raises(TypeError, match='defvjp'):
        f(np.ones(2))


# --- retained graphs: every pass calls the user's derivative afresh ------------------------


class Scale(autograd.Function):
    """x * c: two inputs, each saved for the other's gradient; counts its backward calls."""

    calls = 0

    def forward(self, x, c):
        self.save_for_backward(x, c)
        return x * c

    def backward(self, dy):
        type(self).calls += 1
        x, c = self.saved_tensors
        return dy * c, dy * x


@autograd.custom_vjp
def scale(x, c):
    return x * c


@scale.defvjp
def _scale_vjp(g, ans, x, c):
    return g * c, g * x


C = numpy.array([3.0, 4.0])


def _custom_callers():
    return [lambda x, c: Scale()(x, c), scale]


@pytest.mark.parametrize('call', _custom_callers(), ids=['Function', 'custom_vjp'])
def test_backward_twice_through_a_retained_graph_with_a_constant_input(call):
    x = np.array([1.0, 2.0], dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = call(x, np.array(C))
    head = np.array([1.0, -2.0], dtype='float64')
    for _ in range(3):
        y.backward(head, retain_graph=True)
        close(x.grad, [3.0, -8.0])
    x.attach_grad('add')
    with autograd.record():
        y = call(x, np.array(C))
    y.backward(head, retain_graph=True)
    y.backward(head, retain_graph=True)
    close(x.grad, [6.0, -16.0])


@pytest.mark.parametrize('call', _custom_callers(), ids=['Function', 'custom_vjp'])
def test_autograd_grad_twice_with_the_same_head_gradient(call):
    x, c = np.array([1.0, 2.0], dtype='float64'), np.array(C)
    x.attach_grad()
    c.attach_grad()  # a variable that is not asked for
    with autograd.record():
        y = call(x, c)
    head = np.array([1.0, -2.0], dtype='float64')
    for _ in range(3):
        (gx,) = autograd.grad(y, [x], head_grads=head, retain_graph=True)
        close(gx, [3.0, -8.0])
    (gc,) = autograd.grad(y, [c], head_grads=head, retain_graph=True)
    close(gc, [1.0, -4.0])


@pytest.mark.parametrize('call', _custom_callers(), ids=['Function', 'custom_vjp'])
def test_vjp_fn_called_twice_with_a_constant_input(call):
    _, pullback = func.vjp(lambda x: call(x, np.array(C)), numpy.array([1.0, 2.0]))
    for cotangent in (np.array([1.0, 1.0]), numpy.array([1.0, 1.0])):
        for _ in range(2):
            close(pullback(cotangent)[0], C)
    _, pullback = func.vjp(call, numpy.array([1.0, 2.0]), C)
    ct = np.array([1.0, -1.0])
    for _ in range(2):
        gx, gc = pullback(ct)
        close(gx, [3.0, -4.0])
        close(gc, [1.0, -2.0])


def test_a_later_pass_with_the_same_head_gradient_sees_its_new_values():
    x, c = np.array([1.0, 2.0], dtype='float64'), np.array(C)
    x.attach_grad()
    c.attach_grad()
    with autograd.record():
        y = Scale()(x, c)
    head = np.array([1.0, 1.0], dtype='float64')
    close(autograd.grad(y, [x], head_grads=head, retain_graph=True)[0], C)
    head[:] = 2.0  # the same array, new values: the next pass must not reuse the last one's
    close(autograd.grad(y, [c], head_grads=head, retain_graph=True)[0], [2.0, 4.0])
    close(autograd.grad(y, [x, c], head_grads=head, retain_graph=True), [2 * C, [2.0, 4.0]])


def test_backward_runs_once_per_pass_for_all_inputs():
    x, c = np.array([1.0, 2.0], dtype='float64'), np.array(C)
    x.attach_grad()
    c.attach_grad()
    with autograd.record():
        y = Scale()(x, c)
    Scale.calls = 0
    y.backward(retain_graph=True)
    assert Scale.calls == 1
    y.backward()
    assert Scale.calls == 2
    close(x.grad, C)
    close(c.grad, [1.0, 2.0])


def test_concurrent_passes_through_one_retained_custom_node():
    import sys
    import threading
    import time

    class Slow(Scale):
        def backward(self, dy):
            time.sleep(0)  # let another thread's pass run in between
            return super().backward(dy)

    x, c = np.array([1.0, 2.0], dtype='float64'), np.array(C)
    x.attach_grad()
    c.attach_grad()
    with autograd.record():
        y = Slow()(x, c)
    errors = []

    def work(k):
        head = np.array([k, -k], dtype='float64')
        for _ in range(200):
            gx, gc = autograd.grad(y, [x, c], head_grads=head, retain_graph=True)
            if not (
                numpy.allclose(gx, [3.0 * k, -4.0 * k]) and numpy.allclose(gc, [1.0 * k, -2.0 * k])
            ):
                errors.append((k, gx, gc))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 7)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors[:3]


@pytest.mark.parametrize('call', _custom_callers(), ids=['Function', 'custom_vjp'])
def test_engine_passes_with_the_same_cotangent_object(call):
    """The memo of a custom node does not rely on its callers: two engine passes given
    the very same cotangent array both get every gradient."""
    from ndgrad import _engine

    x, c = np.array([1.0, 2.0], dtype='float64'), np.array(C)
    x.attach_grad()
    with autograd.record():
        y = call(x, c)  # c: a constant input, which no pass asks for
    head = numpy.array([1.0, -2.0])
    for _ in range(2):
        (gx,) = _engine.backward([y], [head], variables=[x._node], retain_graph=True)
        close(gx, [3.0, -8.0])


# --- results of the wrong kind ----------------------------------------------------------------


def _replaced(forward=None, backward=None):
    """A one-input Function (2 x) whose forward or backward result is replaced."""

    class Twice(autograd.Function):
        def forward(self, x):
            return x * 2 if forward is None else forward(x)

        def backward(self, dy):
            return dy * 2 if backward is None else backward(dy)

    return Twice()


def _grad_through(f):
    x = np.array([1.0, 2.0], dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = f(x)
        y = (y[0] if isinstance(y, tuple) else y).sum()
    y.backward()
    return x.grad


@pytest.mark.parametrize(
    'forward,match',
    [
        (lambda x: None, r'forward of Twice returned None.*return'),
        (lambda x: (x * 2, None), r'forward of Twice returned None at position 1'),
        (lambda x: 'twice', r'forward of Twice returned a str'),
        (lambda x: numpy.array(['a', 'b']), r'forward of Twice returned an array of dtype <U1'),
    ],
    ids=['None', 'None-in-tuple', 'str', 'str-array'],
)
def test_forward_returning_no_array_is_a_type_error(forward, match):
    with pytest.raises(TypeError, match=match):
        _grad_through(_replaced(forward=forward))


@pytest.mark.parametrize(
    'backward,match',
    [
        (lambda dy: 'grad', r'backward of Twice returned a str at position 0.*None for an input'),
        (lambda dy: {'g': dy}, r'backward of Twice returned a dict'),
        (
            lambda dy: numpy.array([1j, 1.0]),
            r'backward of Twice returned a complex array at position 0, but Twice has no '
            r'complex input or output',
        ),
        (lambda dy: dy * 1j, r'backward of Twice returned a complex array'),
        (lambda dy: numpy.array([None, None]), r'an array of dtype object'),
    ],
    ids=['str', 'dict', 'complex-numpy', 'complex', 'object-array'],
)
def test_backward_returning_no_array_is_a_type_error(backward, match):
    with pytest.raises(TypeError, match=match):
        _grad_through(_replaced(backward=backward))


def test_backward_returning_none_numbers_or_numpy_is_fine():
    close(_grad_through(_replaced(backward=lambda dy: None)), [0.0, 0.0])
    close(_grad_through(_replaced(backward=lambda dy: dy.asnumpy() * 3)), [3.0, 3.0])
    x = np.array(2.0, dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = _replaced(backward=lambda dy: 5)(x)
    y.backward()
    close(x.grad, 5.0)


def test_custom_vjp_returning_a_string_is_a_type_error():
    @autograd.custom_vjp
    def f(x):
        return x * 1.0

    @f.defvjp
    def _(g, ans, x):
        return 'gradient'

    with pytest.raises(TypeError, match='backward of f returned a str'):
        func.grad(lambda x: f(x).sum())(numpy.ones(2))


@pytest.mark.parametrize(
    'forward',
    [lambda x: x, lambda x: x[::-1], lambda x: x.reshape(2, 1)],
    ids=['itself', 'reversed-view', 'reshaped-view'],
)
def test_forward_returning_its_input_gives_an_output_of_its_own(forward):
    class Alias(autograd.Function):
        def forward(self, x):
            return forward(x)

        def backward(self, dy):
            return forward(dy).reshape(2) * 0 + 1  # (ones: not the point here)

    x = np.array([1.0, 2.0], dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = Alias()(x)
    y[0] = 7.0  # a write into the output, not into the variable
    assert x.tolist() == [1.0, 2.0]
    assert not numpy.shares_memory(numpy.asarray(y), numpy.asarray(x))


@pytest.mark.parametrize('where', ['forward', 'backward'])
def test_user_code_cannot_write_into_the_arrays_it_receives(where):
    """A write into forward's inputs or backward's saved arrays would change the variable
    (or a value the graph needs) unseen: they are read-only."""

    class Square(autograd.Function):
        def forward(self, x):
            if where == 'forward':
                x[0] = 100.0
            self.save_for_backward(x)
            return x * x

        def backward(self, dy):
            (x,) = self.saved_tensors
            if where == 'backward':
                x[0] = 100.0
            return 2 * x * dy

    x = np.array([1.0, 2.0])
    x.attach_grad()
    with pytest.raises(ValueError, match='read-only'):
        with autograd.record():
            y = Square()(x).sum()
        y.backward()
    assert x.tolist() == [1.0, 2.0]


# --- complex numbers -----------------------------------------------------------------


class ConjProduct(autograd.Function):
    """(z conj(w), |z|^2), non-holomorphic, with gradients in the user's convention
    (dL/dx + i dL/dy): for y = f(z), gz = gy conj(df/dz) + conj(gy) df/dconj(z)."""

    def forward(self, z, w):
        self.save_for_backward(z, w)
        return z * np.conj(w), np.abs(z) ** 2

    def backward(self, gy, gn):
        z, w = self.saved_tensors
        return gy * w + 2 * gn * z, np.conj(gy) * z


def _conj_product_ops(z, w):
    return z * np.conj(w), np.abs(z) ** 2


def _complex_loss(pair):
    y, n = pair
    return (np.abs(y + 1j) ** 2).sum() + (y.real * y.imag).sum() + (n**2).sum()


def _complex_inputs():
    rng = numpy.random.default_rng(3)
    return [rng.normal(size=3) + 1j * rng.normal(size=3) for _ in range(2)]


@pytest.mark.parametrize('dtype', [numpy.complex128, numpy.complex64])
def test_complex_function_gradients_match_the_same_function_from_ops(dtype):
    values = [v.astype(dtype) for v in _complex_inputs()]
    grads = []
    for fn in (lambda z, w: ConjProduct()(z, w), _conj_product_ops):
        z, w = (np.array(v) for v in values)
        z.attach_grad()
        w.attach_grad()
        with autograd.record():
            loss = _complex_loss(fn(z, w))
        loss.backward()
        assert z.grad.dtype == dtype
        grads.append((z.grad.asnumpy(), w.grad.asnumpy()))
    tol = 1e-4 if dtype == numpy.complex64 else 1e-12
    for mine, expected in zip(*grads):
        numpy.testing.assert_allclose(mine, expected, rtol=tol, atol=tol)


def test_complex_function_second_order_matches_the_same_function_from_ops():
    values = _complex_inputs()
    results = []
    for fn in (lambda z, w: ConjProduct()(z, w), _conj_product_ops):
        z, w = (np.array(v) for v in values)
        z.attach_grad()
        with autograd.record():
            (g,) = autograd.grad(_complex_loss(fn(z, w)), [z], create_graph=True)
            second = (np.abs(g) ** 2).sum() + g.imag.sum()
        second.backward()
        results.append(z.grad.asnumpy())
    numpy.testing.assert_allclose(results[0], results[1], rtol=1e-10)


def test_complex_function_derivatives_match_central_differences():
    def f(zr, zi, wr, wi):
        y, n = ConjProduct()(zr + 1j * zi, wr + 1j * wi)
        return np.concatenate([y.real, y.imag, n])

    check_grad(f, [numpy.linspace(-1, 1, 3) + k for k in range(4)], order=2)


def test_complex_function_of_a_real_input_gives_a_real_gradient():
    class Phase(autograd.Function):  # exp(i x): backward gets gy, returns gy conj(i y)
        def forward(self, x):
            y = np.exp(1j * x)
            self.save_for_backward(y)
            return y

        def backward(self, gy):
            (y,) = self.saved_tensors
            return gy * np.conj(1j * y)

    x = np.array([0.3, 1.2], dtype='float64')
    x.attach_grad()
    with autograd.record():
        loss = (Phase()(x) * np.array([2.0 - 1j, 0.5j])).real.sum()
    loss.backward()
    assert x.grad.dtype == numpy.float64
    close(x.grad, numpy.real(1j * numpy.exp(1j * x.asnumpy()) * numpy.array([2.0 - 1j, 0.5j])))


def test_complex_custom_vjp_with_jvp_matches_central_differences():
    @autograd.custom_vjp
    def cube(z):
        return z**3

    @cube.defvjp
    def _(g, ans, z):
        return g * np.conj(3 * z**2)

    @cube.defjvp
    def _(tangents, ans, z):
        return tangents[0] * 3 * z**2

    def f(zr, zi):
        y = cube(zr + 1j * zi)
        return np.stack([y.real, y.imag])

    check_grad(f, [numpy.array([0.5, -1.0]), numpy.array([1.5, 0.2])], order=2)
    z = numpy.array([1 + 1j, -0.5 + 2j])
    for jacobian in (func.jacfwd, func.jacrev):  # complex-linear: f'(z)
        numpy.testing.assert_allclose(jacobian(cube)(np.array(z)), numpy.diag(3 * z**2))
