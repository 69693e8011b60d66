"""``python -m topicstance.cli``: the same as the ``topicstance`` command."""
import sys

from . import main

sys.exit(main())
