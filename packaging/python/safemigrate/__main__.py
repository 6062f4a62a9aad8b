"""`python -m safemigrate ARGS...` runs the bundled safemigrate binary (no Django needed)."""

import os
import sys

from safemigrate import binary_path

if __name__ == "__main__":
    sys.stdout.flush()
    os.execv(binary_path(), [binary_path()] + sys.argv[1:])
