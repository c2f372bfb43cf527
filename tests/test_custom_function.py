"""autograd.Function and autograd.custom_vjp: user-given derivatives, first order,
through a hand-written backward to second and third order, forward mode (given or
transposed), several outputs, batching, and clear errors."""
import numpy
import pytest

from ndgrad import InPlaceModificationError, GraphFreedError, autograd, func, np
from ndgrad.testing import check_grad


def close(actual, expected, rtol=1e-7, atol=1e-9):
    numpy.testing.assert_allclose(numpy.asarray(actual, dtype=numpy.float64),
                                  numpy.asarray(expected, dtype=numpy.float64),
                                  rtol=rtol, atol=atol)


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
    close(func.grad(lambda x: func.grad(func.grad(lambda y: Sigmoid()(y)))(x))(2.0),
          d3[-1])
    close(func.grad(func.grad(func.grad(lambda x: Cube()(x))))(1.7), 6.0)


def test_function_passes_check_grad_in_both_modes_to_second_order():
    check_grad(lambda x: Sigmoid()(x) * x, [X], order=2)
    check_grad(lambda x: Cube()(x * 0.5), [X], order=2)
    check_grad(lambda r, t: PolarParts()(r, t)[0] * PolarParts()(r, t)[1] ** 2,
               [numpy.array([0.5, 1.5]), numpy.array([0.3, -2.0])], order=2)


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
    close(gr, 3 * r ** 2 * c * c * s)
    close(gt, r ** 3 * (c ** 3 - 2 * c * s * s))
    Hrr = func.hessian(f, argnums=0)(r, t)
    close(Hrr, numpy.diag(6 * r * c * c * s))


def test_an_unused_output_gets_a_zero_gradient():
    r, t = np.array([2.0], dtype='float64'), np.array([0.5], dtype='float64')
    r.attach_grad()
    t.attach_grad()
    with autograd.record():
        u, v = PolarParts()(r, t)
    v.backward()
    close(r.grad, numpy.sin(0.5))
    close(t.grad, 2 * numpy.cos(0.5))


def test_function_forward_mode_without_a_jvp_transposes_the_backward():
    r, t = numpy.array([0.5, 1.5]), numpy.array([0.3, -2.0])
    dr, dt = numpy.array([1.0, -1.0]), numpy.array([0.5, 2.0])
    (u, v), (tu, tv) = func.jvp(lambda r, t: PolarParts()(r, t), (r, t), (dr, dt))
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
    close(a.grad, [3.0, 12.0])   # the first call's saved input, not the second's
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
        numpy.ones(3))
    close(g, [10.0, 0.0, 1.0])


def test_saved_input_modified_in_place_is_detected():
    v = np.array([1.0, 2.0], dtype='float64')
    v.attach_grad()
    with autograd.record():
        u = v * 1.0
        y = Cube()(u)   # saves u
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
    with pytest.raises(ValueError, match='shape \\(\\) .* shape \\(4,\\)'):
        func.grad(lambda x: BadShape()(x).sum())(X)
    # NumPy results are fine for first order; a second order needs ndgrad ops
    close(func.grad(lambda x: NumpyBackward()(x).sum())(X), 3 * X ** 2)
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
    close(func.grad(lambda x: (clip_gradient(x) * np.array([0.5, 3.0, -4.0])).sum())(x),
          [0.5, 1.0, -1.0])
    close(func.grad(lambda x: (clip_gradient(x, bound=2.5) * np.array([0.5, 3.0, -4.0])).sum())(x),
          [0.5, 2.5, -2.5])
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
    (s, c), (ts, tc) = func.jvp(sincos, (x,), (numpy.ones(2),))
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
