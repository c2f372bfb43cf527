"""ndgrad's benchmark suite: ndgrad against hand-written NumPy and other autodiff
libraries, on one thread. Run ``python -m bench`` (see bench/README.md)."""

import os

# One thread for every library: set before NumPy, torch or JAX is imported.
for _var in (
    'OMP_NUM_THREADS',
    'MKL_NUM_THREADS',
    'OPENBLAS_NUM_THREADS',
    'VECLIB_MAXIMUM_THREADS',
    'NUMEXPR_NUM_THREADS',
):
    os.environ[_var] = '1'
os.environ.setdefault(
    'XLA_FLAGS', '--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1'
)
os.environ.setdefault('JAX_PLATFORMS', 'cpu')
