"""Generate docs/coverage.md, the table of which public functions have which derivatives.

Everything is read from the rule tables (`REGISTRY` and `COMPOSITES` in
`ndgrad._primitive`) and the public namespaces; nothing is listed by hand.
``python -m ndgrad._coverage`` rewrites the document; ``--check`` only compares.

>>> row = classify('np', 'sin')
>>> row.reverse, row.higher, row.forward
('yes', 'any order', 'own jvp rule')
"""

import dataclasses
import dis
import pathlib
import sys
import types

from . import npx as _npx, numpy as _np
from ._primitive import REC, REGISTRY, Primitive, exports

DOC = pathlib.Path(__file__).resolve().parent.parent / 'docs' / 'coverage.md'
NAMESPACES = (
    ('np', _np),
    ('linalg', _np.linalg),
    ('fft', _np.fft),
    ('random', _np.random),
    ('npx', _npx),
)
_PUBLIC_MODULES = (_np, _np.linalg)
_UNRECORDED = {
    'np': 'creates a constant array',
    'linalg': 'a constant result',
    'fft': 'sample frequencies are constants',
    'random': 'random numbers are constants',
    'npx': 'a setting or a query',
}


@dataclasses.dataclass
class Row:
    name: str
    reverse: str
    higher: str
    forward: str
    notes: str


def _positions(rules):
    """Input positions of a rule tuple (a variadic op's rules answer any position: [0])."""
    return list(range(len(rules))) if len(rules) else [0]


def _functions_reached(fn, seen=None):
    """`fn` and the ndgrad functions it calls by global name or closure, transitively."""
    seen = set() if seen is None else seen
    if not isinstance(fn, types.FunctionType) or fn in seen:
        return seen
    seen.add(fn)
    cells = [c.cell_contents for c in (fn.__closure__ or ()) if _filled(c)]
    names = [fn.__globals__.get(n) for n in _global_names(fn.__code__)]
    for other in cells + names:
        if isinstance(other, types.FunctionType) and other.__module__.startswith('ndgrad'):
            _functions_reached(other, seen)
    return seen


def _filled(cell):
    try:
        _ = cell.cell_contents
    except ValueError:
        return False
    return True


def _global_names(code):
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _calls(code, globals_):
    """(namespace object, attribute) pairs such as (REC, 'sum') for ``P.sum(...)``."""
    found, previous = [], None
    for ins in dis.get_instructions(code):
        if ins.opname in ('LOAD_ATTR', 'LOAD_METHOD') and previous is not None:
            found.append((previous, ins.argval))
        previous = globals_.get(ins.argval) if ins.opname == 'LOAD_GLOBAL' else None
        if ins.opname == 'LOAD_GLOBAL' and isinstance(previous, Primitive):
            found.append((None, previous.name))
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found += _calls(const, globals_)
    return found


def primitives_of(fn):
    """The primitives a composite function is built from (through REC, np or directly)."""
    prims = set()
    for f in _functions_reached(fn):
        for owner, attr in _calls(f.__code__, f.__globals__):
            target = REGISTRY.get(attr) if owner is REC or owner is None else None
            if owner in _PUBLIC_MODULES:
                target = getattr(owner, attr, None)
            if isinstance(target, Primitive):
                prims.add(target)
            elif isinstance(target, types.FunctionType) and target is not fn:
                prims |= primitives_of(target)
    return prims


def _unimplemented_cases(prim):
    """Whether some arguments make a rule raise NotImplementedError."""
    rules = [prim.vjps[i] for i in _positions(prim.vjps)]
    return any(
        'NotImplementedError' in f.__code__.co_names
        for rule in rules
        if rule is not None
        for f in _functions_reached(rule)
    )


def _forward(prims):
    """'own jvp rule' when every differentiable input has one, else the fallback."""
    missing = sorted(
        p.name
        for p in prims
        if any(
            p.vjps[i] is not None and (p.jvps is None or p.jvps[i] is None)
            for i in _positions(p.vjps)
        )
    )
    if not missing:
        return 'own jvp rule' if len(prims) == 1 else 'own jvp rules'
    if len(prims) == 1:
        return 'via transposed vjp'
    return 'via transposed vjp (' + ', '.join(missing) + ')'


def classify(namespace, name):
    """The coverage row of the public function `name` of `namespace`."""
    fn = exports(namespace).get(name)
    if fn is None:
        return Row(name, '—', '—', '—', 'not recorded: ' + _UNRECORDED[namespace])
    if isinstance(fn, Primitive):
        prims, notes = {fn} if fn.differentiable else set(), []
    else:
        built = primitives_of(fn)
        prims = {p for p in built if p.differentiable}
        notes = (
            ['composed of ' + ', '.join(f'`{p.name}`' for p in sorted(built, key=lambda p: p.name))]
            if built
            else ['composed of ndgrad ops']
        )
    if not prims:
        return Row(name, '—', '—', '—', '; '.join(notes + ['not differentiable']))
    if any(_unimplemented_cases(p) for p in prims):
        notes.append('some arguments raise NotImplementedError in the rule')
    return Row(name, 'yes', 'any order', _forward(prims), '; '.join(notes))


def public_names(namespace, module):
    """Public functions of a namespace: registry exports plus the module's own."""
    names = set(exports(namespace))
    listed = getattr(module, '__all__', None) or dir(module)
    for attr in listed:
        value = getattr(module, attr, None)
        if not attr.startswith('_') and (isinstance(value, (Primitive, types.FunctionType))):
            names.add(attr)
    return sorted(names)


def render():
    """The text of docs/coverage.md."""
    sections, totals = [], {'yes': 0, 'fwd': 0, 'none': 0}
    for namespace, module in NAMESPACES:
        rows = [classify(namespace, n) for n in public_names(namespace, module)]
        for r in rows:
            totals['yes' if r.reverse == 'yes' else 'none'] += 1
            totals['fwd'] += r.forward.startswith('own')
        prefix = {
            'np': 'np.',
            'linalg': 'np.linalg.',
            'fft': 'np.fft.',
            'random': 'np.random.',
            'npx': 'npx.',
        }
        count = f'{len(rows)} function' + ('' if len(rows) == 1 else 's')
        lines = [
            f'## {prefix[namespace][:-1]} ({count})',
            '',
            '| function | reverse mode | higher order | forward mode | notes |',
            '|---|---|---|---|---|',
        ]
        lines += [
            f'| `{prefix[namespace]}{r.name}` | {r.reverse} | {r.higher} | {r.forward} '
            f'| {r.notes} |'
            for r in rows
        ]
        sections.append('\n'.join(lines))
    head = f"""# Derivative coverage

Generated by `python -m ndgrad._coverage` from the rule tables
(`ndgrad._primitive.REGISTRY` and `COMPOSITES`) and the public namespaces. Do not edit
by hand: run the command after adding an op (a test fails while this file is stale).

* **reverse mode**: `backward()`, `autograd.grad`, `ndgrad.func.grad`/`vjp`/`jacrev`.
* **higher order**: every rule is written in ndgrad's own differentiable ops (the `xp`
  namespace), so a recorded backward pass (`create_graph=True`) can be differentiated
  again, to any order.
* **forward mode** (`ndgrad.func.jvp`, `jacfwd`): *own jvp rule* when the op has one for
  every differentiable input; *via transposed vjp* when it falls back to differentiating
  its (linear) vjp rule, which is exact but costs two reverse passes.
* **—**: not differentiable. The output carries no gradient (integer or boolean results,
  piecewise-constant functions), or the function makes a constant array.

{totals['yes']} functions are differentiable ({totals['fwd']} with their own forward rules);
{totals['none']} are not.
"""
    return head + '\n' + '\n\n'.join(sections) + '\n'


def main(argv=None):
    """Rewrite docs/coverage.md (``--check``: exit 1 if it is out of date)."""
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if '--check' in argv:
        current = DOC.read_text() if DOC.exists() else ''
        if current != text:
            print(f'{DOC} is out of date: run python -m ndgrad._coverage')
            return 1
        return 0
    DOC.write_text(text)
    print(f'wrote {DOC}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
