"""`python -m node` is the same as the `maillage` command."""

from .cli import main

raise SystemExit(main())
