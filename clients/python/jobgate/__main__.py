"""``python3 -m jobgate``: the command line (jobgate.cli)."""
import sys

from .cli import main

sys.exit(main())
