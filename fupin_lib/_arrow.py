"""Small helpers between pandas and Arrow for columns of a million rows.

pandas stores text in Arrow arrays; these helpers reach the Arrow array, its
buffers and the compute kernels without building one Python object per value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["to_arrow", "fixed_width_bytes", "string_series", "bool_mask"]


def to_arrow(values) -> pa.Array:
    """Return `values` (a Series, pandas array, numpy array or Arrow array)
    as one contiguous Arrow array."""
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    array = pa.array(values)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def fixed_width_bytes(values, width: int) -> np.ndarray:
    """View ASCII strings that all have `width` characters as an
    ``(n, width)`` array of bytes.

    Arrow keeps the characters of all values back to back, so the view needs
    no copy when the array has no nulls. Otherwise the values are joined once.
    """
    array = to_arrow(values)
    if array.null_count == 0 and (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        offset_type = np.int64 if pa.types.is_large_string(array.type) else np.int32
        offsets = np.frombuffer(array.buffers()[1], dtype=offset_type)[array.offset:array.offset + len(array) + 1]
        data = np.frombuffer(array.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
        if data.size == width * len(array):
            return data.reshape(-1, width)
    return np.frombuffer("".join(array.to_pylist()).encode("ascii"), dtype=np.uint8).reshape(-1, width)


def string_series(array: pa.Array, index=None) -> pd.Series:
    """Wrap an Arrow string array as a Series of the ``string`` dtype
    (missing values are ``pd.NA``) without converting the values."""
    array = to_arrow(array)
    if not pa.types.is_large_string(array.type):
        array = array.cast(pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(array), index=index, copy=False)


def bool_mask(array) -> np.ndarray:
    """Return an Arrow boolean array (or chunked array) as a numpy mask, with
    nulls taken as False."""
    array = to_arrow(array)
    if array.null_count:
        array = array.fill_null(False)
    return array.to_numpy(zero_copy_only=False)
