"""`python -m ganlab`: the same as the `ganlab` command."""

from ganlab.cli import main

raise SystemExit(main())
