"""Saving and loading a trained risk model: skops (never pickle) plus a
metadata JSON that records what the model was trained on."""

from __future__ import annotations

import json
import logging
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import skops.io as sio

from .._errors import FupinError, SchemaMismatchError
from ._estimator import RiskModel
from ._features import FEATURE_COLUMNS

__all__ = ["save_model", "load_model", "library_versions", "MODEL_FILE", "METADATA_FILE"]

logger = logging.getLogger(__name__)

MODEL_FILE = "model.skops"
METADATA_FILE = "metadata.json"
# Libraries whose version must match at load time: the fitted objects of
# scikit-learn are only guaranteed to behave the same in the version that
# fitted them.
_STRICT_LIBRARIES = ("scikit-learn",)
_RECORDED_LIBRARIES = ("scikit-learn", "skops", "numpy", "scipy", "pandas", "fupin-workbench")
# Module prefixes whose types a saved model may contain.
_TRUSTED_PREFIXES = (
    "sklearn.", "numpy", "scipy.", "fupin_lib.risk.", "builtins.", "collections.", "functools.partial",
)


def library_versions() -> dict[str, str]:
    """Return the installed versions of the libraries a model depends on."""
    versions = {"python": platform.python_version()}
    for name in _RECORDED_LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def save_model(model: RiskModel, out, *, metadata: dict) -> Path:
    """Write `model` to ``out/model.skops`` and `metadata` (with the feature
    list and library versions added) to ``out/metadata.json``.

    Returns
    -------
    Path
        The model folder.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    metadata = {
        **metadata,
        "features": list(model.feature_names_in_),
        "libraries": library_versions(),
        "format": "skops",
    }
    sio.dump(model, out / MODEL_FILE)
    (out / METADATA_FILE).write_text(json.dumps(metadata, ensure_ascii=False, indent=2, default=str),
                                     encoding="utf-8")
    logger.info("risk model saved to %s", out)
    return out


def load_model(model_dir) -> RiskModel:
    """Load a model saved by `save_model` (or `train_model`).

    The returned model carries the metadata as ``metadata_``.

    Raises
    ------
    FupinError
        If the folder holds no model or an unexpected object.
    SchemaMismatchError
        If the installed scikit-learn differs from the one that trained the
        model, or the model's features differ from the current feature
        builder's; the message lists the differences.
    """
    model_dir = Path(model_dir)
    model_file, metadata_file = model_dir / MODEL_FILE, model_dir / METADATA_FILE
    if not model_file.exists() or not metadata_file.exists():
        raise FupinError(
            f"{model_dir} 中没有已训练的风险模型（需要 {MODEL_FILE} 和 {METADATA_FILE}）。"
            "请先运行 fupin model train --out 指向该目录。")
    metadata = json.loads(metadata_file.read_text(encoding="utf-8"))
    _check_versions(metadata, model_dir)
    _check_features(metadata, model_dir)

    untrusted = sio.get_untrusted_types(file=model_file)
    unexpected = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
    if unexpected:
        raise FupinError(
            f"模型文件 {model_file} 含有非预期的对象类型 {unexpected}，为安全起见拒绝加载。"
            "请只使用本工作台训练的模型。")
    model = sio.load(model_file, trusted=untrusted)
    if not isinstance(model, RiskModel):
        raise FupinError(f"模型文件 {model_file} 中不是风险模型（得到 {type(model).__name__}）。")
    model.metadata_ = metadata
    return model


def _check_versions(metadata: dict, model_dir: Path) -> None:
    recorded = metadata.get("libraries", {})
    installed = library_versions()
    differences = [
        f"{name}：训练时 {recorded.get(name, '未记录')}，当前 {installed[name]}"
        for name in _STRICT_LIBRARIES if recorded.get(name) != installed[name]
    ]
    if differences:
        raise SchemaMismatchError(
            f"模型 {model_dir} 与当前环境的库版本不一致：{'；'.join(differences)}。"
            "请在当前环境中重新训练模型（fupin model train），或安装训练时的版本。")


def _check_features(metadata: dict, model_dir: Path) -> None:
    saved = list(metadata.get("features", []))
    missing = [c for c in FEATURE_COLUMNS if c not in saved]
    extra = [c for c in saved if c not in FEATURE_COLUMNS]
    if missing or extra:
        raise SchemaMismatchError(
            f"模型 {model_dir} 的特征列与当前特征构建器不一致："
            f"模型中没有 {missing or '无'}，当前已不再生成 {extra or '无'}。"
            "请用当前版本重新训练模型（fupin model train）。")
