"""The installed version of the toolkit, stamped into every report."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("provenance-toolkit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
