"""Lets irctest's conftest run on pytest 7 with pluggy 1.0 (Debian 12's
python3-pytest), which lack new-style hook wrappers
(@pytest.hookimpl(wrapper=True)). Loaded by run.sh with -p pytest_compat
before the conftest; on a pytest that has them it does nothing.

A new-style wrapper receives the hook's result from its yield (or the
exception, raised there) and returns the result; an old-style one
(hookwrapper=True) receives an outcome object. adapt turns the first into
the second.
"""

import inspect

import pluggy
import pytest


def _has_new_style_wrappers() -> bool:
    try:
        pluggy.HookimplMarker("compat-check")(wrapper=True)
    except TypeError:
        return False
    return True


def _run(func, args):
    gen = func(*args)
    next(gen)
    outcome = yield
    try:
        result = outcome.get_result()
    except BaseException as exc:  # the hook raised: raise it in the wrapper
        try:
            gen.throw(exc)
        except StopIteration as stop:
            outcome.force_result(stop.value)
        except BaseException as raised:
            outcome._excinfo = (type(raised), raised, raised.__traceback__)
        return
    try:
        gen.send(result)
    except StopIteration as stop:
        outcome.force_result(stop.value)


def adapt(func):
    """An old-style wrapper with func's argument names (pluggy passes
    hook arguments by name)."""
    names = inspect.getfullargspec(func).args
    params = ", ".join(names)
    scope = {"_run": _run, "_func": func}
    exec(
        f"def {func.__name__}({params}):\n"
        f"    yield from _run(_func, ({params}{',' if names else ''}))\n",
        scope,
    )
    return scope[func.__name__]


if not _has_new_style_wrappers():
    _hookimpl = pytest.hookimpl

    def hookimpl(function=None, **kwargs):
        if not kwargs.pop("wrapper", False):
            return _hookimpl(function, **kwargs)
        kwargs["hookwrapper"] = True
        mark = _hookimpl(**kwargs)
        if function is not None:
            return mark(adapt(function))
        return lambda f: mark(adapt(f))

    pytest.hookimpl = hookimpl
