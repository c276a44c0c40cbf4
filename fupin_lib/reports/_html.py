"""HTML export of executed notebooks for people: no code, no prompts, every
asset inline, readable on a phone.

nbconvert's own HTML templates load require.js, MathJax and Mermaid from a CDN;
offices often have no internet access, so the template in
``templates/county_report.html.j2`` drops those scripts, and images are
embedded as data URIs.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

__all__ = ["notebook_to_html", "external_urls"]

_TEMPLATE = "county_report.html.j2"

# Any http(s) or protocol-relative URL in an attribute or a CSS url().
_URL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)"""
                  r"""|url\(\s*["']?((?:https?:)?//[^"')\s]+)""", re.IGNORECASE)


def notebook_to_html(notebook, path: str | os.PathLike, *, title: str | None = None) -> Path:
    """Convert an executed notebook to a self-contained HTML report.

    Input cells and prompts are left out; outputs (tables, charts, Markdown)
    are kept. The page declares ``lang="zh-CN"`` and a viewport for phones.

    Parameters
    ----------
    notebook : NotebookNode or path-like
        The executed notebook or its file.
    path : path-like
        The HTML file to write; written to a temporary name first and then
        renamed.
    title : str, optional
        Page title; by default the notebook's file name.

    Returns
    -------
    Path
    """
    # nbformat and nbconvert take about a second to import; only report
    # writing needs them, not every command that imports fupin_lib.reports.
    import nbformat
    from nbconvert import HTMLExporter

    if not isinstance(notebook, nbformat.NotebookNode):
        notebook = nbformat.read(os.fspath(notebook), as_version=4)
    template = resources.files(__package__).joinpath("templates", _TEMPLATE)
    exporter = HTMLExporter(
        template_name="lab",
        template_file=str(template),
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code="zh",
    )
    metadata = {"name": title or Path(str(path)).stem}
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": metadata})
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(body, encoding="utf-8")
    os.replace(partial, path)
    return path


def external_urls(html: str) -> list[str]:
    """Return the URLs in `html` that a browser would fetch from another host
    (``src``, ``href`` and CSS ``url()`` values starting with ``http``,
    ``https`` or ``//``)."""
    return [a or b for a, b in _URL.findall(html)]
