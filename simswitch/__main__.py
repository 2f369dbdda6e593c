"""`python -m simswitch`."""

import sys

from simswitch.cli import main

sys.exit(main())
