"""ndgrad's transforms passed straight to SciPy's gradient-based entry points, each checked
against a known optimum or solution (docs/scipy.md shows the same calls)."""

import warnings

import numpy
import pytest

from ndgrad import func, np

so = pytest.importorskip('scipy.optimize')
si = pytest.importorskip('scipy.integrate')

X0 = numpy.array([1.3, 0.7, 0.8, 1.9, 1.2])
ONES = numpy.ones(5)


def rosen(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def cosh_bowl(x, c):
    """Strictly convex (positive definite Hessian everywhere), minimum at x = c."""
    return (np.cosh(x - c) + (x - c) ** 2).sum()


# --- minimize ----------------------------------------------------------------------------------


@pytest.mark.parametrize('method', ['BFGS', 'L-BFGS-B', 'CG', 'TNC', 'SLSQP'])
def test_minimize_with_jac(method):
    options = {'maxfun': 5000} if method == 'TNC' else {'maxiter': 5000}
    result = so.minimize(rosen, X0, jac=func.grad(rosen), method=method, options=options)
    numpy.testing.assert_allclose(result.x, ONES, atol=2e-3 if method == 'TNC' else 1e-4)


def precise(method):
    """Options for a tight optimum (Newton-CG stops at xtol=1e-5 by default)."""
    return {'maxiter': 2000, **({'xtol': 1e-10} if method == 'Newton-CG' else {})}


@pytest.mark.parametrize(
    'method', ['Newton-CG', 'trust-ncg', 'trust-krylov', 'trust-exact', 'trust-constr']
)
def test_minimize_with_jac_and_hess(method):
    result = so.minimize(
        rosen,
        X0,
        jac=func.grad(rosen),
        hess=func.hessian(rosen),
        method=method,
        options=precise(method),
    )
    numpy.testing.assert_allclose(result.x, ONES, atol=1e-4)
    assert result.nhev > 0 or method == 'trust-constr'


@pytest.mark.parametrize('method', ['Newton-CG', 'trust-ncg', 'trust-krylov', 'trust-constr'])
def test_minimize_with_jac_and_hessp(method):
    result = so.minimize(
        rosen,
        X0,
        jac=func.grad(rosen),
        hessp=func.hvp(rosen),
        method=method,
        options=precise(method),
    )
    numpy.testing.assert_allclose(result.x, ONES, atol=1e-4)


def test_minimize_dogleg_with_args():
    """dogleg needs a positive definite Hessian; extra `args` reach jac and hess too."""
    c = numpy.array([0.5, -1.0, 2.0])
    result = so.minimize(
        cosh_bowl,
        numpy.zeros(3),
        args=(c,),
        jac=func.grad(cosh_bowl),
        hess=func.hessian(cosh_bowl),
        method='dogleg',
    )
    numpy.testing.assert_allclose(result.x, c, atol=1e-8)


def test_minimize_jac_true_with_value_and_grad():
    result = so.minimize(func.value_and_grad(rosen), X0, jac=True, method='BFGS')
    numpy.testing.assert_allclose(result.x, ONES, atol=1e-4)
    assert type(result.fun) is numpy.float64


def constraints(x):
    """The three inequality constraints (>= 0) of SciPy's SLSQP tutorial problem."""
    return np.stack([x[0] - 2 * x[1] + 2, -x[0] - 2 * x[1] + 6, -x[0] + 2 * x[1] + 2])


def tutorial_objective(x):
    return (x[0] - 1) ** 2 + (x[1] - 2.5) ** 2


def test_slsqp_with_constraint_jacobian():
    cons = {'type': 'ineq', 'fun': constraints, 'jac': func.jacrev(constraints)}
    result = so.minimize(
        tutorial_objective,
        numpy.array([2.0, 0.0]),
        method='SLSQP',
        jac=func.grad(tutorial_objective),
        constraints=cons,
        bounds=[(0, None), (0, None)],
    )
    numpy.testing.assert_allclose(result.x, [1.4, 1.7], atol=1e-6)


def test_trust_constr_with_constraint_jacobian_and_hessian():
    nonlinear = so.NonlinearConstraint(
        lambda x: (x**2).sum(),
        -numpy.inf,
        1.0,
        jac=func.grad(lambda x: (x**2).sum()),
        hess=so.BFGS(),
    )
    linear = so.NonlinearConstraint(constraints, 0.0, numpy.inf, jac=func.jacrev(constraints))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)  # (quasi-Newton constraint Hessian)
        result = so.minimize(
            tutorial_objective,
            numpy.array([0.1, 0.1]),
            method='trust-constr',
            jac=func.grad(tutorial_objective),
            hess=func.hessian(tutorial_objective),
            constraints=[nonlinear, linear],
        )
    # the point of the unit disc nearest (1, 2.5) (the linear constraints are inactive)
    expected = numpy.array([1.0, 2.5]) / numpy.hypot(1.0, 2.5)
    numpy.testing.assert_allclose(result.x, expected, atol=1e-5)


# --- least squares, curve fitting, roots -------------------------------------------------------


def rosen_residuals(p):
    return np.stack([10 * (p[1] - p[0] ** 2), 1 - p[0]])


@pytest.mark.parametrize('method', ['trf', 'dogbox', 'lm'])
def test_least_squares_with_jac(method):
    result = so.least_squares(
        rosen_residuals, numpy.array([2.0, 2.0]), jac=func.jacrev(rosen_residuals), method=method
    )
    numpy.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-8)
    assert result.njev > 0


def decay(x, a, b, c):
    return a * np.exp(-b * x) + c


def test_curve_fit_with_jac():
    """curve_fit calls jac(x, *params); a tuple of per-parameter columns is SciPy's
    ``col_deriv=True`` layout (method 'lm')."""
    x = numpy.linspace(0.0, 4.0, 50)
    truth = numpy.array([2.5, 1.3, 0.5])
    noise = numpy.random.default_rng(0).normal(0.0, 0.01, x.size)
    y = truth[0] * numpy.exp(-truth[1] * x) + truth[2] + noise
    params, cov = so.curve_fit(
        decay, x, y, p0=[1.0, 1.0, 1.0], jac=func.jacfwd(decay, argnums=(1, 2, 3)), col_deriv=True
    )
    reference, _ = so.curve_fit(
        lambda x, a, b, c: a * numpy.exp(-b * x) + c, x, y, p0=[1.0, 1.0, 1.0]
    )
    numpy.testing.assert_allclose(params, reference, rtol=1e-6)
    numpy.testing.assert_allclose(params, truth, atol=0.05)
    assert numpy.all(numpy.isfinite(cov))


def circle_and_diagonal(v):
    return np.stack([v[0] ** 2 + v[1] ** 2 - 4, v[0] - v[1]])


@pytest.mark.parametrize('method', ['hybr', 'lm'])
def test_root_with_jac(method):
    result = so.root(
        circle_and_diagonal,
        numpy.array([1.0, 0.5]),
        jac=func.jacrev(circle_and_diagonal),
        method=method,
    )
    assert result.success
    numpy.testing.assert_allclose(result.x, [2**0.5, 2**0.5], rtol=1e-10)


# --- stiff ODEs --------------------------------------------------------------------------------


def robertson(t, y):
    """Robertson's chemical kinetics, the classic stiff test problem."""
    return np.stack(
        [
            -0.04 * y[0] + 1e4 * y[1] * y[2],
            0.04 * y[0] - 1e4 * y[1] * y[2] - 3e7 * y[1] ** 2,
            3e7 * y[1] ** 2,
        ]
    )


# Hairer & Wanner, Solving ODEs II, the reference solution at t = 40
ROBERTSON_AT_40 = numpy.array([0.7158270687193, 0.9185534764557e-5, 0.2841637457452])


@pytest.mark.parametrize('method', ['Radau', 'BDF', 'LSODA'])
def test_solve_ivp_stiff_with_jac(method):
    solution = si.solve_ivp(
        robertson,
        (0.0, 40.0),
        numpy.array([1.0, 0.0, 0.0]),
        method=method,
        jac=func.jacrev(robertson, argnums=1),
        rtol=1e-8,
        atol=1e-12,
    )
    assert solution.success and solution.njev > 0
    numpy.testing.assert_allclose(solution.y[:, -1], ROBERTSON_AT_40, rtol=1e-5)


# --- maximum likelihood with standard errors from the Hessian ----------------------------------


def normal_nll(theta, data):
    """The negative log-likelihood of a normal sample, in (mean, log standard deviation)."""
    mu, log_sigma = theta[0], theta[1]
    n = data.shape[0]
    return n * log_sigma + ((data - mu) ** 2).sum() / (2 * np.exp(2 * log_sigma))


def test_normal_maximum_likelihood_standard_errors():
    data = numpy.random.default_rng(1).normal(3.0, 2.0, 400)
    result = so.minimize(
        normal_nll,
        numpy.array([0.0, 0.0]),
        args=(data,),
        jac=func.grad(normal_nll),
        hess=func.hessian(normal_nll),
        method='trust-exact',
    )
    mu, sigma = data.mean(), data.std()  # the closed-form estimates
    numpy.testing.assert_allclose(result.x, [mu, numpy.log(sigma)], rtol=1e-8)
    standard_errors = numpy.sqrt(
        numpy.diag(numpy.linalg.inv(func.hessian(normal_nll)(result.x, data)))
    )
    n = data.size  # observed information at the MLE: diag(n / sigma^2, 2 n)
    numpy.testing.assert_allclose(standard_errors, [sigma / n**0.5, (2 * n) ** -0.5], rtol=1e-6)


def poisson_nll(beta, X, counts):
    eta = np.matmul(X, beta)
    return (np.exp(eta) - counts * eta).sum()


def test_poisson_regression_standard_errors_match_fisher_information():
    rng = numpy.random.default_rng(2)
    X = numpy.column_stack([numpy.ones(300), rng.normal(size=(300, 2))])
    counts = rng.poisson(numpy.exp(X @ numpy.array([0.3, 0.5, -0.4]))).astype(float)
    result = so.minimize(
        poisson_nll,
        numpy.zeros(3),
        args=(X, counts),
        jac=func.grad(poisson_nll),
        hess=func.hessian(poisson_nll),
        method='Newton-CG',
        options={'xtol': 1e-12},
    )
    beta = result.x
    rate = numpy.exp(X @ beta)
    numpy.testing.assert_allclose(X.T @ (counts - rate), 0.0, atol=1e-6)  # the score is zero
    hessian = func.hessian(poisson_nll)(beta, X, counts)
    numpy.testing.assert_allclose(hessian, X.T @ (rate[:, None] * X), rtol=1e-10)


# --- what comes back ---------------------------------------------------------------------------


def test_transforms_give_scipy_float64_numpy_values():
    g = func.grad(rosen)(X0)
    h = func.hessian(rosen)(X0)
    assert type(g) is numpy.ndarray and g.dtype == numpy.float64 and g.flags.writeable
    assert type(h) is numpy.ndarray and h.shape == (5, 5)
    numpy.testing.assert_allclose(h, so.rosen_hess(X0), rtol=1e-12)
    numpy.testing.assert_allclose(g, so.rosen_der(X0), rtol=1e-12)
    numpy.testing.assert_allclose(
        func.hvp(rosen)(X0, ONES), so.rosen_hess_prod(X0, ONES), rtol=1e-12
    )


def test_docs_scipy_examples_run_as_shown():
    import doctest
    import pathlib

    page = pathlib.Path(__file__).resolve().parents[2] / 'docs' / 'scipy.md'
    result = doctest.testfile(
        str(page), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted >= 30 and result.failed == 0
