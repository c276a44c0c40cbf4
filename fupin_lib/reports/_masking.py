"""Masking of personal information for screens and exports."""

from __future__ import annotations

import hashlib

import pandas as pd

__all__ = ["mask_id_number", "mask_name", "mask_phone", "mask_address", "person_key", "mask_frame"]


def mask_id_number(values: pd.Series) -> pd.Series:
    """Keep the first 6 and last 4 characters of ID numbers: ``441224********123X``.

    Values shorter than 10 characters are masked whole.
    """
    text = values.astype("string")
    long_enough = text.str.len() >= 10
    masked = text.str[:6] + text.str[6:-4].str.replace(r".", "*", regex=True) + text.str[-4:]
    return masked.where(long_enough, text.str.replace(r".", "*", regex=True))


def mask_name(values: pd.Series) -> pd.Series:
    """Keep the surname and replace the rest with ``*``: ``张*`` and ``欧阳**``.

    Two-character names keep the first character; longer ones keep the first
    character too, because compound surnames cannot be told apart reliably.
    """
    text = values.astype("string")
    return text.str[:1] + text.str[1:].str.replace(r".", "*", regex=True)


def mask_phone(values: pd.Series) -> pd.Series:
    """Keep the first 3 and last 4 digits of phone numbers: ``138****1234``."""
    text = values.astype("string")
    long_enough = text.str.len() >= 7
    masked = text.str[:3] + text.str[3:-4].str.replace(r".", "*", regex=True) + text.str[-4:]
    return masked.where(long_enough, text.str.replace(r".", "*", regex=True))


def mask_address(values: pd.Series) -> pd.Series:
    """Keep the first 6 characters of an address (town and village) and hide
    the rest."""
    text = values.astype("string")
    return text.str[:6] + text.str[6:].str.replace(r".", "*", regex=True)


def person_key(id_numbers: pd.Series, *, salt: str = "fupin") -> pd.Series:
    """Return a stable pseudonymous key (16 hex digits) for each ID number, so
    that outputs can count and join people without carrying the ID itself."""
    def digest(value):
        if pd.isna(value):
            return pd.NA
        return hashlib.sha256(f"{salt}|{value}".encode("utf-8")).hexdigest()[:16]

    return id_numbers.map(digest).astype("string")


_MASKERS = {
    "id_number": mask_id_number,
    "head_id_number": mask_id_number,
    "name": mask_name,
    "head_name": mask_name,
    "helper_name": mask_name,
    "checker_name": mask_name,
    "phone": mask_phone,
    "helper_phone": mask_phone,
    "address": mask_address,
    "disability_cert_no": mask_id_number,
}


def mask_frame(frame: pd.DataFrame, *, keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """Return a copy of `frame` with every personal-information column that it
    contains masked, except the columns named in `keep` (those the user's role
    needs)."""
    masked = frame.copy()
    for column, mask in _MASKERS.items():
        if column in masked.columns and column not in keep:
            masked[column] = mask(masked[column])
    return masked
