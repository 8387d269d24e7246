"""`python -m postgen` is the same as `postgen`."""

from postgen.cli import main

main()
