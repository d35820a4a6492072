"""What this interpreter is and what it can run. `python -m parbench_py.probe` prints it as one
JSON line (runners/python.c asks once, for `parbench list` and to refuse a case early); the
worker's `ready` message carries facts()."""
import json
import os
import platform
import sys
import sysconfig


def module_version(name, import_it=False):
    """A module's version, or None when it is not installed; imports it only if asked."""
    mod = sys.modules.get(name)
    if mod is None and import_it:
        try:
            mod = __import__(name)
        except Exception:
            return None
    if mod is not None:
        return str(getattr(mod, "__version__", "") or "unknown")
    try:
        from importlib import metadata
        return metadata.version(name)
    except Exception:
        return None


def facts(loop=None):
    """The interpreter, for `ready`: loop is the loop's name ("asyncio", "uvloop 0.17.0") or None."""
    is_gil = getattr(sys, "_is_gil_enabled", None)
    return {"executable": sys.executable, "version": platform.python_version(),
            "implementation": sys.implementation.name,
            "gil_enabled": bool(is_gil()) if is_gil else True,
            "free_threaded_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
            "loop": loop, "aiohttp": module_version("aiohttp"),
            "package": os.path.dirname(os.path.abspath(__file__))}


def probe():
    from .workloads import WORKLOADS
    from .runners import RUNNERS
    return {"python": facts(), "runners": list(RUNNERS), "workloads": list(WORKLOADS),
            "modules": {m: module_version(m, import_it=True) for m in ("aiohttp", "uvloop")}}


if __name__ == "__main__":
    print(json.dumps(probe()))
