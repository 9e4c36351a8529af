#!/usr/bin/env python3
"""Build the briefing pack described in pack.yml. Run ``python build.py --help``."""

import sys

from briefkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
