"""Run the county notebook with papermill, one county at a time or many in
parallel on Dask.

`run_county` never raises for a failing county: it records the failure (the
failing cell, the error, the partial notebook) in the county's output folder
and returns it, so a city run finishes every other county.
"""

from __future__ import annotations

import datetime
import inspect
import logging
import os
import re
import sys
import time
from pathlib import Path

import pandas as pd

from .. import _paths, __version__
from .._errors import ParameterError
from ..geo import division_name
from . import _record
from ._kernel import private_kernel_manager_class

__all__ = ["run_county", "run_counties", "default_notebook", "NOTEBOOK_PARAMETERS"]

logger = logging.getLogger(__name__)

# Parameters of notebooks/county_report.ipynb and their Python types.
NOTEBOOK_PARAMETERS = {
    "county_code": str, "year": int, "data_dir": str, "model_dir": str,
    "params_file": str, "output_dir": str,
}
NOTEBOOK_FILE = "report.ipynb"
KERNEL_START_TIMEOUT = 120
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def default_notebook() -> Path:
    """Return the county notebook: ``notebooks/county_report.ipynb`` of the
    working directory, or of the source checkout."""
    local = Path("notebooks") / "county_report.ipynb"
    if local.exists():
        return local
    return Path(__file__).resolve().parents[2] / "notebooks" / "county_report.ipynb"


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _check_parameters(notebook: Path, parameters: dict) -> None:
    """Reject parameters that the notebook does not declare or whose type is
    wrong; papermill itself only logs a warning for an unknown one."""
    import nbformat
    from papermill.translators import PythonTranslator

    # The notebook's kernel name is ignored (the runner always uses this
    # interpreter), so the parameters cell is read as Python directly.
    document = nbformat.read(str(notebook), as_version=4)
    tagged = [c for c in document.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        raise ParameterError(f"笔记本 {notebook} 没有标记为 parameters 的单元格。")
    declared = {p.name for p in PythonTranslator.inspect(tagged[0])}
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise ParameterError(
            f"笔记本 {notebook} 的 parameters 单元格中没有参数 {', '.join(unknown)}。"
            f"已声明的参数：{', '.join(sorted(declared))}。"
        )
    for name, value in parameters.items():
        expected = NOTEBOOK_PARAMETERS.get(name)
        if expected and (type(value) is not expected):
            raise ParameterError(f"笔记本参数 {name} 应为 {expected.__name__}，得到 {value!r}。")


def _county_parameters(county_code, year, data_root, model_dir, params_file, staging) -> dict:
    return {
        "county_code": str(county_code),
        "year": int(year),
        "data_dir": str(Path(data_root).resolve()),
        "model_dir": str(Path(model_dir).resolve()) if model_dir else "",
        "params_file": str(Path(params_file).resolve()) if params_file else "",
        "output_dir": str(staging.resolve()),
    }


def _input_paths(data_root, county_code, year, model_dir, params_file) -> list:
    counties = _paths.parameters_dir() / "counties"
    return [
        _paths.clean_dir(data_root, county_code, year),
        _paths.clean_dir(data_root, county_code, year - 1),
        Path(params_file) if params_file else counties / f"{county_code}.yaml",
        _paths.parameters_dir() / "defaults.yaml",
        *([Path(model_dir)] if model_dir else []),
    ]


def _cells_started(notebook_path: Path) -> bool:
    import nbformat

    if not notebook_path.exists():
        return False
    notebook = nbformat.read(str(notebook_path), as_version=4)
    return any(cell.get("metadata", {}).get("papermill", {}).get("start_time")
               for cell in notebook.cells)


def _execute(notebook: Path, output: Path, parameters: dict, *, timeout, kernel_retries):
    """Execute the notebook, retrying when the kernel fails to start.

    A failure counts as a start failure when no cell began executing.
    """
    import papermill

    for attempt in range(kernel_retries + 1):
        try:
            with private_kernel_manager_class() as manager_class:
                papermill.execute_notebook(
                    str(notebook), str(output), parameters=parameters,
                    kernel_name="python3", progress_bar=False, log_output=False,
                    start_timeout=KERNEL_START_TIMEOUT, execution_timeout=timeout,
                    kernel_manager_class=manager_class,
                    resources={"metadata": {"path": str(output.parent)}},
                )
            return
        except papermill.PapermillExecutionError:
            raise
        except Exception:
            if attempt == kernel_retries or _cells_started(output):
                raise
            logger.warning("county %s: kernel failed to start (attempt %d of %d); retrying",
                           parameters["county_code"], attempt + 1, kernel_retries + 1,
                           exc_info=True)
            output.unlink(missing_ok=True)


def _error_details(error: BaseException) -> dict:
    import papermill

    if isinstance(error, papermill.PapermillExecutionError):
        return {
            "kind": "cell",
            "message": f"笔记本第 {error.exec_count} 个执行的单元格出错：{error.ename}: {error.evalue}",
            "cell_index": error.cell_index,
            "cell_source": error.source,
            "ename": error.ename,
            "evalue": error.evalue,
            "traceback": _ANSI.sub("", "\n".join(error.traceback)),
        }
    return {
        "kind": type(error).__name__,
        "message": f"{type(error).__name__}: {error}",
        "ename": type(error).__name__,
        "evalue": str(error),
    }


def _write_error_report(folder: Path, error: dict) -> None:
    lines = ["县级报告运行失败", "", f"错误：{error['message']}"]
    if "cell_source" in error:
        lines += ["", f"出错的单元格（第 {error['cell_index']} 个）：", error["cell_source"],
                  "", "错误详情：", error["traceback"]]
    (folder / "error.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _fix_injected_cell(path: Path, staging: Path, target: Path) -> None:
    """Give the injected parameters cell a fixed id and the final output
    folder.

    papermill gives that cell a random id, which would make every report.html
    differ, and the notebook ran with the staging folder as ``output_dir``.
    """
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    for cell in notebook.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"
            cell["source"] = cell["source"].replace(str(staging.resolve()), str(target.resolve()))
    nbformat.write(notebook, str(path))


def _convert_to_html(notebook: Path, staging: Path, target: Path, county_code: str,
                     year: int) -> dict | None:
    """Fix the injected cell and write report.html next to the notebook;
    return the error details if that fails."""
    from ..reports import notebook_to_html

    html = staging / "report.html"
    try:
        _fix_injected_cell(notebook, staging, target)
        county = division_name(county_code) or county_code
        notebook_to_html(notebook, html, title=f"{county} {year} 年县级报告")
    except Exception as caught:  # noqa: BLE001  (recorded in run.json like a cell error)
        logger.error("county %s %s: HTML export failed: %s", county_code, year, caught, exc_info=True)
        return _error_details(caught)
    return None


def _upsert_case_store(folder: Path, county_code: str, year: int) -> dict:
    """Send the run's flags and problems to the case store (idempotent; the
    case store keeps human decisions)."""
    try:
        from ..cases import upsert_run_results
    except ImportError:
        logger.warning("fupin_lib.cases has no upsert_run_results; case store not updated")
        return {"status": "skipped", "reason": "案例库模块不可用"}

    households = pd.read_parquet(folder / "households.parquet")
    kwargs = {"county_code": county_code, "year": year}
    if "problems" in inspect.signature(upsert_run_results).parameters:
        kwargs["problems"] = pd.read_parquet(folder / "problems.parquet")
    result = upsert_run_results(households, **kwargs)
    return {"status": "updated", "result": result if isinstance(result, (dict, int, str)) else None}


def run_county(county_code: str, *, year: int, data_root, model_dir=_paths.MODEL_DIR,
               output_root=_paths.OUTPUTS_DIR, params_file="", notebook=None,
               timeout: float | None = None, kernel_retries: int = 2,
               update_case_store: bool = True) -> dict:
    """Run the county notebook for one county and year.

    Writes ``output_root/<county_code>/<year>/`` (replacing it as a whole):
    report.ipynb, report.html, the data outputs of `write_county_outputs` and
    run.json. A failing run leaves the partial notebook, its HTML, error.txt
    and run.json with ``status: failed``.

    Parameters
    ----------
    county_code : str
        6-digit county code.
    year : int
    data_root : path-like
        Clean-data root.
    model_dir : path-like, default=models/risk
        Saved risk model; a missing folder gives a report without scores.
    output_root : path-like, default=outputs
    params_file : path-like, default=""
        County parameter file; empty means ``parameters/counties/<code>.yaml``.
    notebook : path-like, optional
        Another county notebook with the same parameters.
    timeout : float, optional
        Seconds a single cell may run; by default no limit.
    kernel_retries : int, default=2
        How often to retry when the kernel fails to start.
    update_case_store : bool, default=True
        Upsert the flags and problems into the case store after a successful
        run (`fupin_lib.cases.upsert_run_results`).

    Returns
    -------
    dict
        ``county``, ``year``, ``status`` ("success" or "failed"),
        ``seconds``, ``error`` (Chinese message or None) and ``output_dir``.
    """
    county_code, year = str(county_code), int(year)
    notebook = Path(notebook) if notebook else default_notebook()
    target = Path(output_root) / county_code / str(year)
    staging = _record.staging_folder(target)
    output = staging / NOTEBOOK_FILE
    started, clock = _now(), time.perf_counter()
    parameters = _county_parameters(county_code, year, data_root, model_dir, params_file, staging)
    record = {
        "county_code": county_code, "year": year, "parameters": dict(parameters),
        "notebook": str(notebook), "library_version": __version__, "python": sys.version.split()[0],
        "inputs": _record.hash_inputs(_input_paths(data_root, county_code, year, model_dir, params_file)),
        "start": started,
    }
    record["parameters"]["output_dir"] = str(target.resolve())
    error = None
    try:
        _check_parameters(notebook, parameters)
        _execute(notebook, output, parameters, timeout=timeout, kernel_retries=kernel_retries)
        if update_case_store:
            record["case_store"] = _upsert_case_store(staging, county_code, year)
    except Exception as caught:  # noqa: BLE001  (every failure is recorded, the city run goes on)
        error = _error_details(caught)
        # A cell error's traceback is in error.txt; other errors are logged whole.
        logger.error("county %s %s failed: %s", county_code, year, error["message"],
                     exc_info=error["kind"] != "cell")
        _write_error_report(staging, error)

    if output.exists():
        error = _convert_to_html(output, staging, target, county_code, year) or error
    record.update(status="failed" if error else "success", error=error, end=_now(),
                  seconds=round(time.perf_counter() - clock, 2))
    _record.write_run_record(staging, record)
    _record.replace_folder(staging, target)
    return {"county": county_code, "year": year, "status": record["status"],
            "seconds": record["seconds"], "error": error["message"] if error else None,
            "output_dir": str(target)}


def _years_to_run(data_root, counties, year) -> dict:
    """Map each county to the year to run: `year`, or the county's latest
    year in the data when `year` is None."""
    from ._sources import available_years

    years = available_years(data_root)
    missing = [c for c in counties if c not in years or (year is not None and int(year) not in years[c])]
    if missing:
        which = f"{year} 年的" if year is not None else ""
        raise ParameterError(f"数据目录 {data_root} 中没有这些县{which}规范表：{', '.join(missing)}。"
                             "请先运行 fupin import，或检查 --data 和 --year。")
    return {c: int(year) if year is not None else max(years[c]) for c in counties}


def _start_client(workers: int, scheduler: str | None):
    # Worker processes read their log level from the environment when they
    # start; Dask's INFO lines would bury the summary table otherwise.
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    from distributed import Client, LocalCluster

    if not logger.isEnabledFor(logging.INFO):
        logging.getLogger("distributed").setLevel(logging.WARNING)
    if scheduler:
        return Client(scheduler), None
    # The scheduler always serves Dask's HTTP health routes; with the dashboard
    # off they listen on a free port of 127.0.0.1 instead of 8787.
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address="127.0.0.1:0",
                           scheduler_kwargs={"dashboard": False})
    return Client(cluster), cluster


def run_counties(counties, *, year: int | None, data_root, model_dir=_paths.MODEL_DIR,
                 output_root=_paths.OUTPUTS_DIR, workers: int = 2, scheduler: str | None = None,
                 progress: bool = True, **run_options) -> pd.DataFrame:
    """Run the county notebook for many counties in parallel.

    Parameters
    ----------
    counties : iterable of str
        6-digit county codes.
    year : int or None
        Data year; None runs each county's latest year in `data_root`.
    data_root, model_dir, output_root : path-like
        As in `run_county`. With `scheduler`, every worker must see these
        paths (a shared filesystem).
    workers : int, default=2
        Worker processes of the local Dask cluster, one county each at a time.
        0 runs the counties one after another in this process, without Dask.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:port``) to use
        instead of a local cluster.
    progress : bool, default=True
        Show a progress bar (tqdm) on stderr.
    **run_options
        Passed to `run_county` (``timeout``, ``kernel_retries``, ...).

    Returns
    -------
    DataFrame
        One row per county in the order given: ``county``, ``year``,
        ``status``, ``seconds``, ``error``, ``output_dir``.

    Raises
    ------
    ParameterError
        If a county has no clean data for the year (or for any year when
        `year` is None) in `data_root`; no county runs then.
    """
    from tqdm.auto import tqdm

    counties = [str(c) for c in dict.fromkeys(counties)]
    years = _years_to_run(data_root, counties, year)
    common = dict(data_root=str(Path(data_root).resolve()),
                  model_dir=str(Path(model_dir).resolve()) if model_dir else "",
                  output_root=str(Path(output_root).resolve()), **run_options)
    bar = tqdm(total=len(counties), desc="县级报告", unit="县", disable=not progress, file=sys.stderr)
    results = {}
    if workers == 0 and not scheduler:
        for county in counties:
            results[county] = run_county(county, year=years[county], **common)
            bar.update()
    else:
        results = _run_on_dask(counties, years, common, workers, scheduler, bar)
    bar.close()
    table = pd.DataFrame([results[c] for c in counties],
                         columns=["county", "year", "status", "seconds", "error", "output_dir"])
    return table


def _run_on_dask(counties, years, common, workers, scheduler, bar) -> dict:
    from distributed import as_completed

    client, cluster = _start_client(workers, scheduler)
    results = {}
    try:
        futures = {client.submit(run_county, county, year=years[county], pure=False,
                                 key=f"fupin-run-{county}-{years[county]}-{os.getpid()}-{time.time_ns()}",
                                 **common): county
                   for county in counties}
        for future in as_completed(futures):
            county = futures[future]
            try:
                results[county] = future.result()
            except Exception as error:  # noqa: BLE001  (a lost worker fails one county only)
                logger.error("county %s: worker failed: %s", county, error)
                results[county] = {"county": county, "year": years[county], "status": "failed",
                                   "seconds": None, "error": f"Dask 工作进程失败：{error}",
                                   "output_dir": None}
            bar.update()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results
