"""The workloads, in the order the report lists them."""

from . import chain, hessian, jacobian, lenet, linreg, memory, mlp, mlp_d2l, sumsin

WORKLOADS = {
    m.W.name: m.W for m in (chain, sumsin, mlp, mlp_d2l, lenet, linreg, jacobian, hessian, memory)
}
