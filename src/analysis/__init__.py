"""lagesbild: honest situation pictures of crime and safety for Swedish kommuner.

The importable package is ``analysis``. Data flows one way:
raw files (:mod:`analysis.io`) → validated tidy frames (:mod:`analysis.schemas`) → estimates
(crime statistics, survey statistics, measure evaluation) → figures and text → report drafts.
Nothing happens at import time beyond defining names.
"""

from .errors import DataError, LagesbildWarning, Problem

__version__ = "0.2.0"
SAMPLE_DATA_LABEL = "Syntetiska exempeldata – inte verklig statistik"

__all__ = ["DataError", "LagesbildWarning", "Problem", "SAMPLE_DATA_LABEL", "__version__"]
