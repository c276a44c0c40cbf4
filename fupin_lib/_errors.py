"""Exception and warning classes shared by the whole workbench.

Every error that the workbench raises on purpose derives from `FupinError`, so
callers (the CLI, the apps) can catch one class and show its Chinese message
without a traceback. Errors about a place in an input file carry that place.
"""

from __future__ import annotations

__all__ = [
    "FupinError",
    "InputFileError",
    "ParameterError",
    "SchemaMismatchError",
    "AccessDeniedError",
    "ConflictError",
    "DataQualityWarning",
]


class FupinError(Exception):
    """Base class of the errors the workbench raises on purpose.

    The message is written for the user, in Chinese, and says what to do.
    """


class InputFileError(FupinError):
    """An input file, or a place in it, cannot be read.

    Parameters
    ----------
    message : str
        Chinese message for the user.
    file, sheet : str, optional
        Where the problem is.
    row : int, optional
        1-based row number as shown by Excel, or the line number of a CSV file.
    column : str, optional
        The header of the column as written in the file.
    value : object, optional
        The original value.
    """

    def __init__(self, message, *, file=None, sheet=None, row=None, column=None, value=None):
        super().__init__(message)
        self.file = file
        self.sheet = sheet
        self.row = row
        self.column = column
        self.value = value


class ParameterError(FupinError, ValueError):
    """A parameter file or a command option holds an invalid value."""


class SchemaMismatchError(FupinError, ValueError):
    """Columns or library versions differ from those a saved artefact expects."""


class AccessDeniedError(FupinError, PermissionError):
    """The signed-in user's role or area does not allow the requested action."""


class ConflictError(FupinError):
    """Another user changed the same record first (optimistic locking)."""


class DataQualityWarning(UserWarning):
    """Input was accepted with a problem the user should look at."""
