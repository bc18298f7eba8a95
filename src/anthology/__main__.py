"""`python -m anthology` runs the CLI."""

from .cli import main

main()
