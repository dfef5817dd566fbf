"""senate-kg: the command line and the few pieces that wire mapping, store and server together."""

__version__ = "0.1.0"
