"""Entry point: `python -m bench [--output PATH] [--duration SECONDS] [--scale FACTOR]`."""

from bench.run import main

raise SystemExit(main())
