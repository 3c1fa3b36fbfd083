"""The report layer: what each lägesbild section shows, in Swedish, as tables, sentences and figures.

No statistics are computed here: verdicts come from the statistics layer (:mod:`analysis.crime`,
:mod:`analysis.survey`, :mod:`analysis.evaluation`) and are only worded. :mod:`.content` builds
each section's tables from a data folder; :mod:`.tables` formats them for display;
:mod:`.text` formats Swedish numbers, intervals and dates; :mod:`.findings` turns verdict rows
into sentences and the summary; :mod:`.captions` gives each table its one sentence;
:mod:`.wording` holds fixed paragraphs and caveats;
:mod:`.figures` draws every figure (one figure class, :class:`~.figures.ReportFigure`, for the
lägesbild and the evaluation draft; :mod:`.evaluation_figures` the evaluation's own plots with
it);
:mod:`.evaluation` words an evaluation draft; :mod:`.summary` writes count/rate summaries.
Submodules are imported explicitly (``from analysis.report.text import format_number``).
"""
