"""Exceptions for the environment (files missing, locked, unreadable, unsafe to write).

Data problems are not exceptions: they are `records.Problem` lists, collected and
reported together. An exception here stops the command before anything is written.
"""
from __future__ import annotations


class KefuError(Exception):
    """Base class: the message is shown to the user as-is (Chinese)."""


class ConfigError(KefuError):
    """kefu-xl.toml holds a value that cannot be used."""


class InputFileError(KefuError):
    """An input file is missing, not a workbook, corrupted or unreadable."""


class InputMissingError(InputFileError):
    """An input file the command reads is not there (nor one of another format)."""


class FileLockedError(KefuError):
    """The file is open in Excel/WPS/LibreOffice (a lock file exists beside it)."""


class ReadOnlyFileError(KefuError):
    """The file (or its folder) may not be written: read-only, or no permission."""


class ChangedOnDiskError(KefuError):
    """The file was saved by someone else while kefu-xl was working on it: the result was
    dropped rather than written over theirs."""


class UnsafeToWriteError(KefuError):
    """Saving would drop content openpyxl cannot keep (images, charts, shapes…)."""


class DiskFullError(KefuError):
    """The disk ran out of space while writing: nothing half-made is left, the file is as it was."""


class BrokenPackageError(KefuError):
    """The file about to replace a workbook is not a sound package (a part twice, a dangling
    relationship…): the write is refused and the workbook stays as it was."""


class NotKefuWorkbookError(KefuError):
    """The workbook was not made by kefu-xl (no `_meta` sheet) or is of another kind."""


class DataProblemsError(KefuError):
    """Input data has errors that stop the command; `problems` lists all of them."""

    def __init__(self, message: str, problems: list):
        super().__init__(message)
        self.problems = problems
