#!/usr/bin/env python3
"""Build the briefing pack described in pack.yml. Run ``python build.py --help``."""

import gc
import sys

from briefkit.cli import main

if __name__ == "__main__":
    # A build allocates many short-lived objects (notebooks, kernel messages, HTML trees) on
    # top of a large heap of imported modules: collect the youngest generation every 10,000
    # allocations instead of 700. Measured over a 12-brief build: the collector's time in
    # this process fell from 0.34 to 0.13 core-seconds.
    gc.set_threshold(10_000, *gc.get_threshold()[1:])
    sys.exit(main())
