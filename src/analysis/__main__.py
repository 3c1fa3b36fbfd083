"""``python -m analysis``: the `lagesbild` command, for environments without its console script."""

from .cli import run

if __name__ == "__main__":
    run()
