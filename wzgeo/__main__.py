"""``python -m wzgeo``: the same command line as ``wzgeo``."""

from __future__ import annotations

import sys

from wzgeo.cli.entry import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
