"""Moved to :mod:`briefkit.nb.prose`; this alias goes once no caller imports ``briefkit.prose``."""

import sys
from importlib import import_module

sys.modules[__name__] = import_module("briefkit.nb.prose")
