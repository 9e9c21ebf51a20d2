"""`make bench`: data at scale, request rates, query counts, notice, ranking and memory
(issue #10). A script, not a test: run it with `python -m bench`."""
