"""Errors in a user's input are not bugs: they get their own type and a fixable message."""


class NeedleInputError(Exception):
    """Something the user gave Needle is wrong; the message says where and how to fix it.

    The CLI prints the message without a traceback and exits with status 2. The message
    must never contain a personal identifier.
    """
