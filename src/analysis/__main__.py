"""``python -m analysis`` and the `lagesbild` console script: the command of :mod:`analysis.cli`."""

import sys


def run_command() -> None:
    """The `lagesbild` console script and ``python -m analysis``: :func:`analysis.cli.main`, then exit
    without tearing the interpreter down.

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
    _exit(code)


def _exit(code) -> None:
    import atexit
    import os
    import threading

    if threading.active_count() > 1:  # a thread still running: let Python wait for it
        sys.exit(code)
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed, status 1
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`lagesbild ... | head`)
            pass
    os._exit(code & 0xFF)  # as the shell sees sys.exit(code)


if __name__ == "__main__":
    run_command()
