#!/usr/bin/env python3
"""bqapi.py: `bqtest.py bq`, under the name older scripts call it by."""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
os.execv(sys.executable, [sys.executable, os.path.join(here, "bqtest.py"),
                          "bq"] + sys.argv[1:])
