"""`python -m bench.search`: see bench/search/run.py."""

import sys

from bench.search.run import main

sys.exit(main())
