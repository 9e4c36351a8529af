"""Moved to :mod:`briefkit.nb.charts`; this alias goes once no caller imports ``briefkit.charts``."""

import sys
from importlib import import_module

sys.modules[__name__] = import_module("briefkit.nb.charts")
