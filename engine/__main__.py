"""``python -m engine``: see engine.cli."""

import sys

try:
    from engine.cli import main
except KeyboardInterrupt:  # Ctrl-C while the libraries load: the same one line as later on
    print("error: interrupted.", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
