"""ndmatch: rank Korean New Deal funding programs for a Korean project proposal."""

__version__ = "0.1.0"
