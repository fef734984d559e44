"""Debian's headless Chromium, started the same way by the report's browser tests and scripts/screenshots.py.

Without the background-networking flags Chromium keeps trying hosts this closed
network refuses; ``--no-sandbox`` because tests run as root.
"""

import shutil
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch_chromium(playwright: Any) -> Any:
    """A playwright ``Browser`` on Debian's Chromium."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
