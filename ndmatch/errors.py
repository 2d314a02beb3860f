"""One exception family for the library; the CLI translates it once.

``UsageError`` subclasses map to exit status 2, every other ``NdmatchError`` to 1.
"""


class NdmatchError(Exception):
    """Base class of every error ndmatch reports to a person."""

    exit_code = 1


class UsageError(NdmatchError):
    """The command was called wrongly (bad option value, unknown program id...)."""

    exit_code = 2


class UnknownProgramError(UsageError):
    """A program id that is not in the catalog."""


class InputError(NdmatchError):
    """An input file or text that cannot be used (missing, empty, wrong columns...)."""


class CorpusFormatError(NdmatchError):
    """A corpus or program file that does not follow the documented schema."""


class ModelError(NdmatchError):
    """A model that is missing, incompatible, tampered with or unreadable."""


class JavaNotFoundError(NdmatchError):
    """KoNLPy needs a Java runtime and none was found or it failed to start."""


class NotFittedError(ValueError, AttributeError):
    """An estimator used before ``fit``."""
