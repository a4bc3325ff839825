"""The exceptions the package raises for problems a user can fix.

Every user-facing error is an :class:`EventStudyError` whose message is one
sentence saying what is wrong and what to do.  The command line prints that
sentence and exits with status 2; anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations


class EventStudyError(Exception):
    """A problem with the user's input or environment, with a one-sentence message."""

    exit_code = 2


class DataError(EventStudyError):
    """Prices are missing, malformed or unusable."""


class MalformedFileError(DataError):
    """A price or catalogue file cannot be read as the format it claims."""


class DownloadError(DataError):
    """A download returned nothing usable (network down, unknown ticker)."""


class StoreCorruptedError(DataError):
    """A stored file does not match the checksum recorded when it was written."""


class EventError(EventStudyError):
    """An event is unknown, malformed, or falls outside the data."""


class WindowError(EventStudyError):
    """An event or estimation window is malformed or has too few usable days."""


class ModelError(EventStudyError):
    """The normal-return model cannot be built as asked (unknown name, a benchmark it
    needs is missing).
    """


class OptionError(EventStudyError, ValueError):
    """An option has a value the package does not know (also a ``ValueError``, which is
    what Python code passing a wrong argument expects).
    """
