"""Errors the storage layer raises; callers never see the dialect."""


class NotFound(Exception):
    """get_* found no row. The message names what was looked for."""


class AlreadyExists(Exception):
    """A unique constraint refused the row."""
