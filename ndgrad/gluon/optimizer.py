"""Optimizers with MXNet 1.9's update rules, used by `gluon.Trainer`.

Each works on NumPy arrays: ``update(index, weight, grad, state)`` changes `weight` and
`state` in place. The gradient is first multiplied by ``rescale_grad`` (the Trainer sets
it to 1/batch_size) and clipped to [-clip_gradient, clip_gradient]; weight decay `wd` is
added to the gradient as ``wd·weight`` (L2 regularization), as MXNet does; the learning
rate and weight decay of a parameter are multiplied by its ``lr_mult`` and ``wd_mult``.

>>> import numpy
>>> opt = create('sgd', learning_rate=0.1)
>>> w = numpy.array([1., 2.]); opt.update(0, w, numpy.array([1., 1.]), None); w
array([0.9, 1.9])
"""

import math

import numpy

__all__ = [
    'NAG',
    'SGD',
    'AdaDelta',
    'AdaGrad',
    'Adam',
    'Optimizer',
    'RMSProp',
    'create',
    'register',
]

_REGISTRY: dict[str, type] = {}


def register(klass):
    """Register an Optimizer subclass under its lower-case class name."""
    _REGISTRY[klass.__name__.lower()] = klass
    return klass


def create(name, **kwargs):
    """The optimizer registered as `name` ('sgd', 'nag', 'adam', 'adagrad', 'rmsprop',
    'adadelta'), made with `kwargs`."""
    try:
        klass = _REGISTRY[name.lower()]
    except KeyError:
        raise ValueError(
            f'Cannot find optimizer {name!r}; the optimizers are {", ".join(sorted(_REGISTRY))}'
        ) from None
    return klass(**kwargs)


class Optimizer:
    """Base class: learning rate (or ``lr_scheduler(num_update)``), weight decay,
    gradient rescaling and clipping, per-parameter multipliers and update counts.
    Subclasses define ``create_state(index, weight)`` and ``update(...)``.

    >>> Optimizer(learning_rate=0.5).learning_rate
    0.5
    """

    def __init__(self, rescale_grad=1.0, param_idx2name=None, wd=0.0, clip_gradient=None,
                 learning_rate=None, lr_scheduler=None, begin_num_update=0,
                 multi_precision=False, param_dict=None):  # fmt: skip
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None:
            lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.clip_gradient = clip_gradient
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._index_update_count = {}
        self.multi_precision = multi_precision
        self.idx2name = dict(param_idx2name or {})
        self.param_dict = param_dict or {}
        self.lr_mult = {}
        self.wd_mult = {}

    @property
    def learning_rate(self):
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr):
        """Set the learning rate (not allowed with an lr_scheduler)."""
        if self.lr_scheduler is not None:
            raise UserWarning(
                'LRScheduler of the optimizer has already been defined. Note '
                'that set_learning_rate can mutate the value of the learning '
                'rate of the optimizer only when the LRScheduler of the '
                'optimizer is undefined.'
            )
        self.lr = lr

    def set_lr_mult(self, args_lr_mult):
        self.lr_mult = dict(args_lr_mult)

    def set_wd_mult(self, args_wd_mult):
        self.wd_mult = dict(args_wd_mult)

    def _update_count(self, index):
        count = self._index_update_count.get(index, self.begin_num_update) + 1
        self._index_update_count[index] = count
        self.num_update = max(count, self.num_update)

    def _mult(self, index, attr, table):
        if index in self.param_dict:
            return getattr(self.param_dict[index], attr)
        if index in table:
            return table[index]
        return table.get(self.idx2name.get(index), 1.0)

    def _get_lr(self, index):
        return self.learning_rate * self._mult(index, 'lr_mult', self.lr_mult)

    def _get_wd(self, index):
        return self.wd * self._mult(index, 'wd_mult', self.wd_mult)

    def _rescaled(self, grad):
        """rescale_grad·grad, clipped to ±clip_gradient."""
        grad = grad * self.rescale_grad
        if self.clip_gradient is not None:
            grad = numpy.clip(grad, -self.clip_gradient, self.clip_gradient)
        return grad

    def create_state(self, index, weight):
        """The optimizer's state for one weight (None, an array, or a tuple of them)."""
        return None

    def update(self, index, weight, grad, state):
        """Update `weight` (and `state`) in place from `grad`."""
        raise NotImplementedError

    def _zeros(self, weight):
        return numpy.zeros_like(weight)


class _MomentumOptimizer(Optimizer):
    """An optimizer whose state is a momentum buffer, absent when ``momentum == 0``."""

    def __init__(self, momentum=0.0, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index, weight):
        return self._zeros(weight) if self.momentum != 0.0 else None


@register
class SGD(_MomentumOptimizer):
    """Stochastic gradient descent, with momentum::

        g = clip(rescale_grad·grad) + wd·weight
        state = momentum·state - lr·g ;  weight += state     (weight -= lr·g without)

    >>> import numpy
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> w = numpy.array([1.]); s = opt.create_state(0, w)
    >>> for _ in range(2): opt.update(0, w, numpy.array([1.]), s)
    >>> w
    array([0.71])
    """

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super().__init__(momentum, **kwargs)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        step = lr * (self._rescaled(grad) + wd * weight)
        if state is None:
            weight -= step
            return
        state *= self.momentum
        state -= step
        weight += state


@register
class NAG(_MomentumOptimizer):
    """Nesterov accelerated gradient::

        g = clip(rescale_grad·grad) + wd·weight
        state = momentum·state + g ;  weight -= lr·(g + momentum·state)

    MXNet 1.9's kernel computes the momentum's weight-decay term from the weight it
    has just updated (it writes the weight first, in the same memory); ndgrad uses the
    weight the step started from, as PyTorch's ``SGD(nesterov=True)`` does.

    >>> import numpy
    >>> opt = NAG(learning_rate=0.1, momentum=0.9)
    >>> w = numpy.array([1.]); opt.update(0, w, numpy.array([1.]), opt.create_state(0, w)); w
    array([0.81])
    """

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        g = self._rescaled(grad) + wd * weight
        if state is None:
            weight -= lr * g
            return
        state *= self.momentum
        state += g
        weight -= lr * (g + self.momentum * state)


@register
class Adam(Optimizer):
    """Adam (learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8)::

        g = clip(rescale_grad·grad + wd·weight)
        m = beta1·m + (1 - beta1)·g ;  v = beta2·v + (1 - beta2)·g²
        weight -= lr·sqrt(1 - beta2^t)/(1 - beta1^t) · m/(sqrt(v) + epsilon)

    >>> import numpy
    >>> opt = Adam(learning_rate=0.1)
    >>> w = numpy.array([1.]); opt.update(0, w, numpy.array([5.]), opt.create_state(0, w))
    >>> w.round(6)
    array([0.9])
    """

    def __init__(
        self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, lazy_update=True, **kwargs
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon

    def create_state(self, index, weight):
        return self._zeros(weight), self._zeros(weight)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        lr *= math.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t)
        g = grad * self.rescale_grad + wd * weight
        if self.clip_gradient is not None:
            g = numpy.clip(g, -self.clip_gradient, self.clip_gradient)
        mean, var = state
        mean *= self.beta1
        mean += (1.0 - self.beta1) * g
        var *= self.beta2
        var += (1.0 - self.beta2) * g * g
        weight -= lr * mean / (numpy.sqrt(var) + self.epsilon)


@register
class AdaGrad(Optimizer):
    """AdaGrad (eps=1e-7)::

        g = clip(rescale_grad·grad) ;  history += g²
        weight -= lr·(g/sqrt(history + eps) + wd·weight)

    >>> import numpy
    >>> opt = AdaGrad(learning_rate=0.1)
    >>> w = numpy.array([1.]); opt.update(0, w, numpy.array([2.]), opt.create_state(0, w)); w
    array([0.9])
    """

    def __init__(self, eps=1e-7, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        return self._zeros(weight)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        g = self._rescaled(grad)
        state += g * g
        weight -= lr * (g / numpy.sqrt(state + self.float_stable_eps) + wd * weight)


@register
class RMSProp(Optimizer):
    """RMSProp (learning_rate=0.001, gamma1=0.9, epsilon=1e-8; Tieleman & Hinton's
    version, or Graves's with ``centered=True`` and momentum gamma2)::

        g = clip(rescale_grad·grad + wd·weight)
        n = (1 - gamma1)·g² + gamma1·n ;  weight -= lr·g/sqrt(n + epsilon)

    centered: ``s = (1 - gamma1)·g + gamma1·s``,
    ``delta = gamma2·delta - lr·g/sqrt(n - s² + epsilon)``, ``weight += delta``.
    ``clip_weights`` clips the weights to ±clip_weights after each update.

    >>> import numpy
    >>> opt = RMSProp(learning_rate=0.1, gamma1=0.)
    >>> w = numpy.array([1.]); opt.update(0, w, numpy.array([3.]), opt.create_state(0, w)); w
    array([0.9])
    """

    def __init__(
        self,
        learning_rate=0.001,
        gamma1=0.9,
        gamma2=0.9,
        epsilon=1e-8,
        centered=False,
        clip_weights=None,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1, self.gamma2, self.epsilon = gamma1, gamma2, epsilon
        self.centered = centered
        self.clip_weights = clip_weights

    def create_state(self, index, weight):
        if self.centered:
            return self._zeros(weight), self._zeros(weight), self._zeros(weight)
        return (self._zeros(weight),)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        g = grad * self.rescale_grad + wd * weight
        if self.clip_gradient is not None:
            g = numpy.clip(g, -self.clip_gradient, self.clip_gradient)
        n = state[0]
        n *= self.gamma1
        n += (1 - self.gamma1) * g * g
        if self.centered:
            _, s, delta = state
            s *= self.gamma1
            s += (1 - self.gamma1) * g
            delta *= self.gamma2
            delta -= lr * g / numpy.sqrt(n - s * s + self.epsilon)
            weight += delta
        else:
            weight -= lr * g / numpy.sqrt(n + self.epsilon)
        if self.clip_weights:
            numpy.clip(weight, -self.clip_weights, self.clip_weights, out=weight)


@register
class AdaDelta(Optimizer):
    """AdaDelta (rho=0.9, epsilon=1e-5; the learning rate is not used, as in MXNet)::

        g = clip(rescale_grad·grad)
        acc_g = rho·acc_g + (1 - rho)·g²
        delta = sqrt(acc_delta + epsilon)/sqrt(acc_g + epsilon)·g
        acc_delta = rho·acc_delta + (1 - rho)·delta² ;  weight -= delta + wd·weight

    >>> import numpy
    >>> opt = AdaDelta(rho=0., epsilon=1.)
    >>> w = numpy.array([1.]); opt.update(0, w, numpy.array([0.]), opt.create_state(0, w)); w
    array([1.])
    """

    def __init__(self, rho=0.90, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.rho, self.epsilon = rho, epsilon

    def create_state(self, index, weight):
        return self._zeros(weight), self._zeros(weight)

    def update(self, index, weight, grad, state):
        wd = self._get_wd(index)
        self._update_count(index)
        g = self._rescaled(grad)
        acc_g, acc_delta = state
        acc_g *= self.rho
        acc_g += (1.0 - self.rho) * g * g
        delta = numpy.sqrt(acc_delta + self.epsilon) / numpy.sqrt(acc_g + self.epsilon) * g
        acc_delta *= self.rho
        acc_delta += (1.0 - self.rho) * delta * delta
        weight -= delta + wd * weight
