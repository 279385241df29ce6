"""A folder named ``*.ckpt`` is one checkpoint: a sharded one (FSDP, DeepSpeed).

The catalog lists it as one entry and ``ocr validate`` checks it as one file:
its size is the total of the regular files in it (links not followed), it is
never walked into for other checkpoints, and never opened (its shards are
torch's business). Its sidecar is ``<name>.ckpt.meta.json`` beside it, like
a file's.
"""

from __future__ import annotations

import os
import stat

__all__ = ["folder_checkpoint_size"]


def folder_checkpoint_size(folder: str) -> int:
    """The total size of the regular files in a folder checkpoint.

    Args:
        folder: The ``*.ckpt`` folder.

    Returns:
        Bytes; files in unreadable sub-folders are not counted.
    """
    total = 0
    for current, _, files in os.walk(folder, followlinks=False):
        for name in files:
            found = os.lstat(os.path.join(current, name))  # noqa: PTH118
            if stat.S_ISREG(found.st_mode):
                total += found.st_size
    return total
