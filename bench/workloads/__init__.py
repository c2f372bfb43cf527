"""The workloads, in the order the report lists them."""
from . import chain, sumsin, mlp, mlp_d2l, lenet, linreg, jacobian, hessian, memory

WORKLOADS = {m.W.name: m.W for m in (chain, sumsin, mlp, mlp_d2l, lenet, linreg, jacobian, hessian, memory)}
