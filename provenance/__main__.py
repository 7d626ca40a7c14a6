"""`python -m provenance`: the command line."""

from .cli import main

main()
