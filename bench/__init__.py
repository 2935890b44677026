"""The load benchmark: run it as `python -m bench.run` from the project folder."""
