"""`python -m lpconvert.cli`: the `lpconvert` command, for a process that has no console script."""

import sys

from . import main

sys.exit(main())
