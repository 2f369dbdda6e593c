"""`python -m simswitch`."""

from gevent import monkey

monkey.patch_all()  # before anything imports socket/threading

import sys  # noqa: E402

from simswitch.cli import main  # noqa: E402

sys.exit(main())
