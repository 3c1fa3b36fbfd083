"""Readers for real formats → validated tidy frames; the data directory; file checks.

One reader per source format (no statistics here): Brå's kommun CSV, statistikdatabas exports and
older P-tables; SCB PxWeb (JSON-stat 2, CSV); Kolada API JSON; survey microdata (CSV in any common
encoding and delimiter, Excel, SPSS). Every reader collects *all* problems of a file into one
:class:`analysis.errors.DataError` naming file, row, column, value and what was expected. Next in
the flow: crime statistics, survey statistics and measure evaluation.
"""

from .bra import read_bra_kommun_csv
from .bra_export import read_bra_table_export
from .check import CheckResult, check_file
from .delimited import read_delimited
from .kolada import read_kolada_json
from .ptables import read_bra_ptable, read_bra_region_table
from .scb import read_scb_pxweb_csv, read_scb_pxweb_jsonstat2
from .survey_files import read_items, read_survey
from .text import parse_number, parse_numbers
from .incidents import read_incidents
from .dataset import DATA_FILES, Dataset, load_dataset, load_dataset_shared, with_survey
from .tidy import read_crimes, read_margins, read_measures, read_population, read_tidy

__all__ = [
    "read_bra_kommun_csv", "read_bra_table_export", "read_bra_ptable", "read_bra_region_table",
    "read_scb_pxweb_jsonstat2", "read_scb_pxweb_csv", "read_kolada_json",
    "read_survey", "read_items", "read_measures", "read_tidy", "read_crimes", "read_population",
    "read_margins", "load_dataset", "load_dataset_shared", "with_survey", "Dataset", "DATA_FILES", "check_file", "CheckResult",
    "parse_numbers", "parse_number", "read_delimited", "read_incidents",
]
