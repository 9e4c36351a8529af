"""Moved to :mod:`briefkit.data.withheld`; this alias goes once no caller imports ``briefkit.withheld``."""

import sys
from importlib import import_module

sys.modules[__name__] = import_module("briefkit.data.withheld")
