"""Give each local model in this process its own GPU(s) via ``CUDA_VISIBLE_DEVICES``.

On a machine without CUDA devices every method is a no-op, so the same pipeline runs
on a laptop and on a GPU box.
"""

import logging
import os
import shutil
import subprocess
import threading
from typing import ClassVar, Dict, List, Literal, Optional, Union

from pydantic import BaseModel, Field, PrivateAttr

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter

_logger = logging.getLogger("distilabel.cuda")


def available_cuda_devices() -> List[int]:
    """The CUDA device ids of this machine; empty without a GPU or a driver."""
    try:
        import torch

        if torch.cuda.is_available():
            return list(range(torch.cuda.device_count()))
        return []
    except ImportError:
        pass
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        listing = subprocess.run(
            ["nvidia-smi", "--list-gpus"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [i for i, line in enumerate(line for line in listing.splitlines() if line.strip())]


class CudaDevicePlacementMixin(BaseModel):
    """Places a local model on CUDA devices.

    Attributes:
        cuda_devices: the device ids to use, or ``"auto"`` to take the next free one
            among the models of this process.
        disable_cuda_device_placement: leave ``CUDA_VISIBLE_DEVICES`` alone.
    """

    cuda_devices: RuntimeParameter[Union[List[int], Literal["auto"]]] = Field(
        default="auto", description="The CUDA devices to use, or 'auto' to pick a free one."
    )
    disable_cuda_device_placement: RuntimeParameter[bool] = Field(
        default=False, description="Whether to leave CUDA_VISIBLE_DEVICES as it is."
    )

    # Devices handed out in this process: device id -> owner id.
    _assigned: ClassVar[Dict[int, int]] = {}
    _assigned_lock: ClassVar[threading.Lock] = threading.Lock()
    _placed_on: Optional[List[int]] = PrivateAttr(default=None)

    def load(self) -> None:
        """Choose the devices and set ``CUDA_VISIBLE_DEVICES`` (no-op without CUDA)."""
        if self.disable_cuda_device_placement:
            return
        available = available_cuda_devices()
        if not available:
            return
        with self._assigned_lock:
            if self.cuda_devices == "auto":
                free = [d for d in available if d not in self._assigned]
                devices = free[:1] or available[:1]
            else:
                devices = list(self.cuda_devices or [])
                unknown = [d for d in devices if d not in available]
                if unknown:
                    raise DistilabelUserError(
                        f"CUDA devices {unknown} do not exist; this machine has {available}."
                    )
            for device in devices:
                self._assigned[device] = id(self)
        self._placed_on = devices
        os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(str(d) for d in devices)
        _logger.info("%s placed on CUDA devices %s", type(self).__name__, devices)

    def unload(self) -> None:
        """Hand the devices back."""
        with self._assigned_lock:
            for device in self._placed_on or []:
                if self._assigned.get(device) == id(self):
                    del self._assigned[device]
        self._placed_on = None
