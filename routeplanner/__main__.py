"""``python -m routeplanner`` is the ``routeplanner`` command."""

from routeplanner.cli import main

raise SystemExit(main())
