"""``python -m sparkify.sample --out DIR …``: a source folder generated from the command line."""

import sys

from sparkify.sample.generator import main

sys.exit(main())
