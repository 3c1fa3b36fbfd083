"""Swedish words that the data readers, the statistics and the reports share: month and weekday names.

Kept here, below every layer, so a month is spelt one way in a Brå file reader, a seasonal
profile's ``month_name`` column and a draft's "januari 2025".
"""

__all__ = ["MONTH_NAMES", "MONTH_ABBREVIATIONS", "WEEKDAY_NAMES"]

MONTH_NAMES = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
               "september", "oktober", "november", "december")
#: Short forms as Brå and SCB tables and figure axes use them ("okt", "maj").
MONTH_ABBREVIATIONS = tuple(m[:3] for m in MONTH_NAMES)
#: Weekdays in the order of ``pandas.Timestamp.weekday()`` (0 = måndag).
WEEKDAY_NAMES = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
