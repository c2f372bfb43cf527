"""The version of ndgrad, defined here only: packaging metadata reads it from this file.

>>> from ndgrad import __version__
>>> __version__.count('.')
2
"""

__version__ = '0.1.0'
