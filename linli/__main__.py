"""`python -m linli` runs the `linli` command."""

from __future__ import annotations

from linli.cli.main import main

if __name__ == "__main__":
    main(prog_name="linli")
