"""fupin workbench (扶贫云工作台): import, consistency checks, risk of return to
poverty, job matching, county runs and review apps for poverty-alleviation
offices.

Subpackages are imported on demand (``from fupin_lib import checks``) so that
``import fupin_lib`` stays cheap in app kernels and CLI start-up.
"""

from importlib.metadata import PackageNotFoundError, version

from ._errors import (
    AccessDeniedError,
    ConflictError,
    DataQualityWarning,
    FupinError,
    InputFileError,
    ParameterError,
    SchemaMismatchError,
)

try:
    __version__ = version("fupin-workbench")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "FupinError",
    "InputFileError",
    "ParameterError",
    "SchemaMismatchError",
    "AccessDeniedError",
    "ConflictError",
    "DataQualityWarning",
]
