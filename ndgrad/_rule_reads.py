"""What a derivative rule reads: a look at its bytecode, so that `op(...)` can refuse a
``save=`` policy that keeps less than the rules need (at import, not at backward time).

A rule ``rule(xp, g, ans, *inputs, **kwargs)`` reads the values of ``ans`` (or of an
input) where its code uses that parameter as an operand (``ans * g``, ``-x``,
``x[i]``, ``x == 0``), reads an attribute of it other than its shape, ndim, dtype or
size (``x.T``, ``x.swapaxes(...)``), or passes it to a function of ``xp`` other than
those that read only its shape (``xp.cos(x)``). A parameter passed to any other
function, captured by a nested function or assigned to another name cannot be
followed: it is not counted, so the declared policy is trusted there.
"""

import dis
import sys

_META = frozenset({'shape', 'ndim', 'dtype', 'size'})
_META_FUNCTIONS = frozenset(
    {'zeros_like', 'ones_like', 'empty_like', 'full_like', 'shape', 'ndim', 'size'}
)
_OPERATORS = ('BINARY_', 'UNARY_', 'INPLACE_', 'COMPARE_OP')  # (opcode names' prefixes)
_OTHER = ('other', None)


def value_reads(rule, ninputs):
    """The parameters among ``ans`` and the first `ninputs` inputs whose values `rule`
    surely reads (see the module's docstring), as names of the form ``'ans'`` or
    ``'input 0'``.

    >>> sorted(value_reads(lambda xp, g, ans, x: g * xp.cos(x), 1))
    ['input 0']
    >>> sorted(value_reads(lambda xp, g, ans, x: xp.reshape(g, ans.shape), 1))
    []
    """
    code = getattr(rule, '__code__', None)
    if code is None or code.co_argcount < 3:
        return set()
    params = code.co_varnames[: code.co_argcount]
    tracked = {params[2]: 'ans'}
    tracked.update({p: f'input {i}' for i, p in enumerate(params[3 : 3 + ninputs])})
    for name in code.co_cellvars:  # captured by a nested function: not followed
        tracked.pop(name, None)
    return {tracked[n] for n in _reads(code, params[0], set(tracked))}


def _reads(code, xp, names):
    """The `names` (local parameters) whose values the instructions of `code` read."""
    read, stack, at_target = set(), [], {}
    for ins in dis.get_instructions(code):
        if ins.is_jump_target and ins.offset in at_target:
            stack = list(at_target[ins.offset])
        try:
            _step(ins, stack, xp, names, read)
        except IndexError:  # a stack this walk cannot follow: keep what it found
            return read
        if 'JUMP' in ins.opname and isinstance(ins.argval, int) and ins.argval > ins.offset:
            at_target[ins.argval] = list(stack)
    return read


def _step(ins, stack, xp, names, read):
    """Simulate one instruction on `stack`, whose items are ('name', n), ('xp', None),
    ('xpfn', f) or `_OTHER`; add to `read` the names it reads. (Python 3.10 to 3.13.)"""
    op = ins.opname
    if op.startswith('LOAD_FAST'):  # (3.13's LOAD_FAST_LOAD_FAST loads two)
        for n in ins.argval if type(ins.argval) is tuple else (ins.argval,):
            stack.append(('name', n) if n in names else ('xp', None) if n == xp else _OTHER)
        return
    if op in ('PRECALL', 'KW_NAMES', 'NOP', 'RESUME', 'CACHE'):  # (3.11: CALL takes the args)
        return
    effect = dis.stack_effect(
        ins.opcode, ins.arg if ins.opcode >= dis.HAVE_ARGUMENT else None, jump=False
    )
    if op in ('LOAD_ATTR', 'LOAD_METHOD'):
        kind, value = stack.pop()
        if kind == 'xp':
            item = ('xpfn', ins.argval)
        else:
            if kind == 'name' and ins.argval not in _META:
                read.add(value)
            item = _OTHER
        stack.extend([_OTHER] * effect + [item])  # (a method: NULL or self as well)
        return
    if op.startswith('CALL'):
        taken = ins.arg + 2 if op == 'CALL' and sys.version_info < (3, 12) else 1 - effect
        items = [stack.pop() for _ in range(taken)]
        callee = next((v for k, v in items if k == 'xpfn'), None)
        if callee is not None and callee not in _META_FUNCTIONS:
            read.update(v for k, v in items if k == 'name')
        stack.append(_OTHER)
        return
    if op.startswith(_OPERATORS):
        popped = [stack.pop() for _ in range(1 - effect)]
        read.update(v for k, v in popped if k == 'name')
        stack.append(_OTHER)
    elif effect > 0:
        stack.extend([_OTHER] * effect)
    else:  # takes -effect + 1 items and leaves one (or takes -effect and leaves none)
        del stack[len(stack) + effect :]
        if stack:
            stack[-1] = _OTHER


def check_save(name, save, keeps_inputs, keeps_output, rule_sets):
    """Raise ValueError if a rule of the op `name` surely reads the values of an array
    that its `save` policy does not keep. `rule_sets` maps 'vjp'/'jvp' to a tuple of
    rules, one per input (None: none).

    >>> check_save('f', 'shapes', False, False, {'vjp': (lambda xp, g, ans, x: g * x,)})
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: op 'f': its vjp rule for input 0 reads the values of input 0, but save=...
    """
    for kind, rules in rule_sets.items():
        for i, rule in enumerate(rules or ()):
            reads = value_reads(rule, len(rules)) if rule is not None else set()
            missing = sorted(
                r for r in reads if (not keeps_output if r == 'ans' else not keeps_inputs)
            )
            if missing:
                raise ValueError(
                    f'op {name!r}: its {kind} rule for input {i} reads the values '
                    f'of {" and ".join(missing)}, but save={save!r} keeps '
                    f'{_KEPT[keeps_inputs, keeps_output]}; declare '
                    f'save={_needed(reads, keeps_inputs, keeps_output)}'
                )


_KEPT = {
    (True, False): 'only the inputs',
    (False, True): 'only the output',
    (False, False): 'only shapes and dtypes',
    (True, True): 'inputs and output',
}


def _needed(reads, keeps_inputs, keeps_output):
    inputs = keeps_inputs or any(r != 'ans' for r in reads)
    output = keeps_output or 'ans' in reads
    return {
        (True, False): "'inputs' (or 'both')",
        (False, True): "'output' (or 'both')",
        (True, True): "'both'",
    }[inputs, output]
