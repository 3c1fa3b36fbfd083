"""``python -m analysis`` and the `lagesbild` console script: the command of :mod:`analysis.cli`."""

from .process import exit_now


def run_command() -> None:
    """The `lagesbild` console script and ``python -m analysis``: :func:`analysis.cli.main`,
    then an exit without tearing the interpreter down.

    Freeing every object of pandas, matplotlib and the notebook machinery took 0.3-0.5 s
    after a command had finished its work (a fifth of a second of the wait for one
    evaluation draft, more on a busy machine). The exit handlers still run (logging, temporary
    folders, workers left running) and the standard streams are flushed; only the
    interpreter's own clean-up is skipped, and only when no other thread is running. An
    exception other than ``SystemExit`` leaves as usual, with its traceback.
    """
    from .cli import main

    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    exit_now(code)


if __name__ == "__main__":
    run_command()
