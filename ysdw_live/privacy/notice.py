"""The privacy notice: a template in the instance folder that the organisation fills in.

On first run ``create_app`` copies the default shipped beside this module to
``instance/privacy_notice.html``; from then on that copy is the notice, and an edit shows at the
next page load. It is a fragment of HTML (a Jinja template, autoescaped) placed inside the site's
page at ``/privacy``; the app adds the retention periods itself, from each series' setting.
"""

from __future__ import annotations

import shutil
from pathlib import Path

NOTICE_FILE = "privacy_notice.html"
DEFAULT_NOTICE = Path(__file__).resolve().parent / "default_notice.html"


def notice_path(instance_path: str | Path) -> Path:
    """Return where the instance's notice lives."""
    return Path(instance_path) / NOTICE_FILE


def ensure_notice(instance_path: str | Path) -> Path:
    """Copy the shipped default into the instance folder if no notice is there yet; return its path."""
    path = notice_path(instance_path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DEFAULT_NOTICE, path)
    return path


def is_unedited(instance_path: str | Path) -> bool:
    """Whether the instance's notice is still the shipped default, placeholders and all."""
    path = notice_path(instance_path)
    try:
        return path.read_bytes() == DEFAULT_NOTICE.read_bytes()
    except OSError:
        return True
