"""``python -m ndgrad`` runs the demo (see `ndgrad.demo`)."""

import sys

from .demo import main

sys.exit(main())
