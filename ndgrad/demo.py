"""A walk through automatic differentiation with ndgrad, as a transcript you can rerun.

Run ``python -m ndgrad.demo`` (``--out PATH`` chooses where the plot of sin(x) and
its derivative goes; it needs matplotlib). Each step prints its code, REPL-style,
and what it gives. The transcript is a valid doctest.

>>> xs, ys, dys = sin_and_derivative(num=3)
>>> [round(float(v), 3) for v in dys]
[1.0, 0.284, -0.839]
"""

import argparse
import ast
import contextlib
import sys
import traceback

import numpy

from . import autograd, np, npx
from ._errors import GraphFreedError

STEPS = [
    (
        'A simple example: the gradient of y = 2 x.x is 4x',
        """\
npx.set_np()
x = np.arange(4)
x.attach_grad()
x.grad
with autograd.record():
    y = 2 * np.dot(x, x)
y
y.backward()
x.grad
x.grad == 4 * x""",
    ),
    (
        'Backward of a vector: the gradient of its sum',
        """\
with autograd.record():
    y = x * x
y.backward()
x.grad""",
    ),
    (
        'Detaching: u = y.detach() is a constant, so dz/dx for z = u * x is u',
        """\
with autograd.record():
    y = x * x
    u = y.detach()
    z = u * x
z.backward()
u
x.grad
x.grad == u
y.backward()
x.grad == 2 * x""",
    ),
    (
        'attach_grad on an intermediate detaches it: z = 5u - x only sees x through -x',
        """\
y = np.ones(4) * 2
y.attach_grad()
with autograd.record():
    u = x * y
    u.attach_grad()  # implicitly u = u.detach()
    z = 5 * u - x
z.backward()
x.grad, u.grad, y.grad""",
    ),
    (
        'Python control flow: f(a) = k * a, with k chosen by loops and branches',
        """\
def f(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c
np.random.seed(1)
a = np.random.normal()
a.attach_grad()
with autograd.record():
    d = f(a)
d.backward()
a, d
d / a
a.grad
a.grad == d / a""",
    ),
    (
        'Head gradients: y.backward(dz/dy) gives dz/dx = dz/dy * dy/dx',
        """\
with autograd.record():
    y = x * 2
y.backward(np.array([10, 1., .1, .01]))
x.grad""",
    ),
    (
        'Gradients of intermediates: autograd.grad(y, [x, z])',
        """\
with autograd.record():
    z = 2 * x
    y = np.dot(z, z)
autograd.grad(y, [x, z])""",
    ),
    (
        'Training mode and prediction mode',
        """\
autograd.is_training()
with autograd.record():
    print(autograd.is_training())""",
    ),
    (
        'A second backward through the same graph fails: its saved values were freed',
        """\
with autograd.record():
    y = 3 * x
y.backward()
y.backward()""",
        GraphFreedError,
    ),
    (
        'retain_graph=True keeps the graph for another backward',
        """\
with autograd.record():
    y = 3 * x
y.backward(retain_graph=True)
y.backward()
x.grad""",
    ),
    (
        'Second derivative: d2/dx2 x**3 = 6x (record the first backward pass)',
        """\
with autograd.record():
    y = x ** 3
    (dy,) = autograd.grad(y, [x], create_graph=True)
dy.backward()
dy, x.grad""",
    ),
]

SIN_STEP = (
    'Exercise: plot f(x) = sin(x) and df/dx, computed without using cos(x)',
    """\
x = np.linspace(0, 10, 200, dtype='float64')
x.attach_grad()
with autograd.record():
    y = np.sin(x)
y.backward()
x.grad[:3]""",
)


def run_step(code, namespace, out=None, raises=None):
    """Run `code` statement by statement, printing it and the values it gives (REPL-style).

    The last statement may raise `raises`: its error is printed as a doctest shows it.

    >>> import io; out = io.StringIO()
    >>> run_step('1 / 0', {}, out, raises=ZeroDivisionError)
    >>> out.getvalue().splitlines()[1:]  # (after the echoed statement)
    ['Traceback (most recent call last):', '  ...', 'ZeroDivisionError: division by zero']
    """
    out = out or sys.stdout
    lines = code.splitlines()
    body = ast.parse(code).body
    for stmt in body:
        source = lines[stmt.lineno - 1 : stmt.end_lineno]
        print('>>> ' + source[0], file=out)
        for line in source[1:]:
            print('... ' + line, file=out)
        try:
            _run_statement(stmt, namespace, out)
        except Exception as error:
            if raises is None or stmt is not body[-1] or not isinstance(error, raises):
                raise
            print('Traceback (most recent call last):\n  ...', file=out)
            print(traceback.format_exception_only(error)[-1], end='', file=out)


def _run_statement(stmt, namespace, out):
    if isinstance(stmt, ast.Expr):
        value = eval(compile(ast.Expression(stmt.value), '<demo>', 'eval'), namespace)
        if value is not None:
            print(repr(value), file=out)
    else:
        exec(compile(ast.Module([stmt], []), '<demo>', 'exec'), namespace)


def sin_and_derivative(num=200, start=0.0, stop=10.0):
    """x, sin(x) and d sin(x)/dx from autograd (not from knowing that it is cos x).

    >>> xs, ys, dys = sin_and_derivative(num=2, stop=numpy.pi)
    >>> [round(float(v), 3) for v in dys]
    [1.0, -1.0]
    """
    x = np.linspace(start, stop, num, dtype='float64')
    x.attach_grad()
    with autograd.record():
        y = np.sin(x)
    y.backward()
    return x.asnumpy(), y.asnumpy(), x.grad.asnumpy()


def plot_sin(path, num=200):
    """Draw sin(x) and its autograd derivative into the PNG `path`.

    Returns `path`, or None when matplotlib is not installed.
    """
    try:
        fig = sin_figure(num)
    except ImportError:
        return None
    fig.savefig(path)
    return path


def sin_figure(num=200):
    """The matplotlib figure of sin(x) and its autograd derivative (ImportError without
    matplotlib)."""
    from matplotlib.figure import Figure

    xs, ys, dys = sin_and_derivative(num)
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    ax.plot(xs, ys, label='f(x) = sin(x)')
    ax.plot(xs, dys, '--', label="f'(x) from autograd")
    ax.set_xlabel('x')
    ax.set_ylabel('f(x) and df(x)/dx')
    ax.set_ylim(-1.2, 1.5)
    ax.legend(loc='upper center', ncol=2)
    ax.set_title('sin(x) and its derivative, computed by ndgrad.autograd')
    return fig


def main(argv=None):
    """Print the walk through the chapter, then plot sin(x) and its derivative."""
    parser = argparse.ArgumentParser(
        prog='python -m ndgrad.demo', description=__doc__.split('\n')[0]
    )
    parser.add_argument(
        '--out',
        default='sin_derivative.png',
        help='where to write the plot (PNG; default: %(default)s)',
    )
    args = parser.parse_args(argv)
    namespace = {'autograd': autograd, 'np': np, 'npx': npx}
    print('>>> from ndgrad import autograd, np, npx')
    with _restored_state():
        for number, (title, code, *raises) in enumerate(STEPS, 1):
            print(f'\n# {number}. {title}')
            run_step(code, namespace, raises=raises[0] if raises else None)
        print(f'\n# {SIN_STEP[0]}')
        run_step(SIN_STEP[1], namespace)
    xs, dys = namespace['x'].asnumpy(), namespace['x'].grad.asnumpy()
    error = float(numpy.max(numpy.abs(dys - numpy.cos(xs))))
    print('\n# The plot (matplotlib takes ndgrad arrays as they are):')
    print('#     plt.plot(x, y, label="f(x) = sin(x)")')
    print('#     plt.plot(x, x.grad, "--", label="df(x)/dx from autograd")')
    print(f'# max |autograd derivative - cos(x)| over {xs.size} points in [0, 10]: {error:.1e}')
    if plot_sin(args.out) is None:
        print(
            '# matplotlib is not installed: pip install matplotlib '
            "(or pip install 'ndgrad[plot]') gets the plot."
        )
    else:
        print(f'# plot written to {args.out}')
    return 0


@contextlib.contextmanager
def _restored_state():
    """Leave the caller's autograd flags and default dtype as they were."""
    from ._state import CONFIG, scope

    saved = CONFIG.float_dtype, CONFIG.numpy_defaults
    try:
        with scope(None, None):  # restores the recording and training flags
            yield
    finally:
        CONFIG.float_dtype, CONFIG.numpy_defaults = saved


if __name__ == '__main__':
    sys.exit(main())
