"""Run the command-line interface as ``python -m evidencegraph``."""

from __future__ import annotations

from evidencegraph.cli.main import main

if __name__ == "__main__":
    main()
