"""Registration of a CJK font for matplotlib, so Chinese labels render.

matplotlib's default DejaVu Sans has no CJK glyphs and draws boxes. This
module finds a CJK font installed on the machine (Debian's fonts-noto-cjk,
Windows' Microsoft YaHei or SimHei, macOS's PingFang), registers it and puts
it first in the sans-serif list. It never switches the backend, because doing
so inside a notebook drops the figures from the HTML.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

__all__ = ["use_cjk_font", "CJK_FONT_CANDIDATES"]

logger = logging.getLogger(__name__)

CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "/System/Library/Fonts/PingFang.ttc",
)


@functools.lru_cache(maxsize=1)
def use_cjk_font() -> str | None:
    """Register the first CJK font found and make it matplotlib's default.

    Also sets ``axes.unicode_minus`` to False, because CJK fonts lack the
    Unicode minus sign and negative numbers would lose their sign.

    Returns
    -------
    str or None
        The family name registered, or None (with a warning in the log) when no
        CJK font is installed.
    """
    import matplotlib as mpl
    from matplotlib import font_manager

    mpl.rcParams["axes.unicode_minus"] = False
    for candidate in CJK_FONT_CANDIDATES:
        path = Path(candidate)
        if not path.exists():
            continue
        font_manager.fontManager.addfont(str(path))
        family = font_manager.FontProperties(fname=str(path)).get_name()
        mpl.rcParams["font.family"] = "sans-serif"
        mpl.rcParams["font.sans-serif"] = [family, *mpl.rcParams["font.sans-serif"]]
        logger.info("CJK font registered: %s (%s)", family, path)
        return family
    logger.warning("No CJK font found; Chinese labels will not render. Install fonts-noto-cjk.")
    return None
