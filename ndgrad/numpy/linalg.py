"""Linear algebra (``np.linalg``) with derivatives of any order."""
from .._primitive import REGISTRY as _REGISTRY

for _name, _prim in _REGISTRY.items():
    if _prim.export == 'linalg':
        globals()[_name] = _prim
