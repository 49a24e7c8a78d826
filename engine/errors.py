"""Errors the analyst can act on.

Every problem caused by the input (a file, a project file, a choice) is raised as
an :class:`InputError` whose message is one plain sentence saying what is wrong
and what to do. The command line prints it on one line and exits non-zero; the
app shows it on the page where it happened. Anything else is a bug.
"""

from __future__ import annotations


class InputError(ValueError):
    """A problem with the analyst's input, explained in one sentence.

    Parameters
    ----------
    message : str
        One sentence: what is wrong and what to do about it.
    field : str, optional
        The input it concerns (a file name, a project-file key, a column).
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:  # one line, always
        return " ".join(self.message.split())
