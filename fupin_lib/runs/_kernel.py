"""The kernel manager of county runs.

Two choices differ from Jupyter's defaults:

- The kernel is ``sys.executable -m ipykernel_launcher``, the interpreter that
  runs the workbench, whatever kernel name the notebook's metadata holds, so
  a run never picks up another environment's ``python3`` kernel.
- The kernel talks over IPC sockets in a private temporary folder instead of
  TCP ports. Kernels started at the same moment choose TCP ports by binding
  and releasing them, and two kernels can pick the same port; socket files in
  a folder of their own cannot collide.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec

__all__ = ["private_kernel_manager_class"]

logger = logging.getLogger(__name__)


class _ProjectKernelManager(AsyncKernelManager):
    """Kernel manager launching this interpreter's ipykernel over IPC.

    Subclasses made by `private_kernel_manager_class` set ``socket_dir`` and
    ``instances``.
    """

    socket_dir: str = ""
    instances: list = []

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"
        self.connection_file = str(Path(self.socket_dir) / "kernel.json")
        self.ip = str(Path(self.socket_dir) / "kernel")
        type(self).instances.append(self)

    @property
    def kernel_spec(self) -> KernelSpec:
        # The inline backend is named here because a worker process may have
        # MPLBACKEND=Agg set, and Agg inside the kernel drops every chart.
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="fupin (this environment)",
            language="python",
            env={"MPLBACKEND": "module://matplotlib_inline.backend_inline"},
        )


@contextlib.contextmanager
def private_kernel_manager_class():
    """Yield a kernel manager class whose kernels use a new private socket
    folder; on exit, shut down any kernel still alive and remove the folder.

    Yields
    ------
    type
        A subclass of `jupyter_client.AsyncKernelManager` to pass to nbclient
        as ``kernel_manager_class``.
    """
    socket_dir = tempfile.mkdtemp(prefix="fupin-kernel-")
    manager_class = type("PrivateKernelManager", (_ProjectKernelManager,),
                         {"socket_dir": socket_dir, "instances": []})
    try:
        yield manager_class
    finally:
        for manager in manager_class.instances:
            _stop_kernel(manager)
        shutil.rmtree(socket_dir, ignore_errors=True)


def _stop_kernel(manager) -> None:
    # nbclient shuts its kernel down itself; this catches a kernel left alive
    # by an error between start-up and execution.
    provisioner = getattr(manager, "provisioner", None)
    process = getattr(provisioner, "process", None)
    if process is None or process.poll() is not None:
        return
    logger.warning("kernel %s still running after the notebook ended; killing it", process.pid)
    process.kill()
    process.wait(timeout=10)
