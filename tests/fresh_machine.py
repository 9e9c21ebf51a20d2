"""A pytest plugin (`-p tests.fresh_machine`) that makes this machine look fresh: the optional
system packages the README does not ask for are hidden, whatever is installed.

- HarfBuzz's subsetter (libharfbuzz-subset0, `make pdf-deps`): loading it fails, as it does
  where the package is absent, so WeasyPrint takes its fontTools fallback.
- Chromium (`make browser-deps`) and the Nu HTML checker (`make html-checker`): the tests
  look for them at CHROMIUM_PATH and VNU_JAR, which tests/test_fresh_machine.py points at
  paths that do not exist (the browser tests are then left out with one line).
"""

import cffi

HIDDEN_LIBRARIES = ("harfbuzz-subset",)

_dlopen = cffi.FFI.dlopen


def _dlopen_without_optional_libraries(self, name, *args, **kwargs):
    if isinstance(name, str) and any(hidden in name for hidden in HIDDEN_LIBRARIES):
        raise OSError(f"cannot load library '{name}': hidden by tests/fresh_machine.py")
    return _dlopen(self, name, *args, **kwargs)


# Loaded as a -p plugin, before any test module imports WeasyPrint.
cffi.FFI.dlopen = _dlopen_without_optional_libraries
