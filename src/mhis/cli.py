"""The ``mhis`` command: every job of the system, Django management commands underneath.

``mhis demo``, ``mhis token create USER``, ``mhis keys``, ``mhis migrate``, ``mhis runserver`` …
"""

from __future__ import annotations

import os
import sys


def _print_keys() -> None:
    """Print fresh keys for a deployment's environment (works before settings can load)."""
    import secrets

    from cryptography.fernet import Fernet

    print(f"MHIS_SECRET_KEY={secrets.token_urlsafe(50)}")
    print(f"MHIS_FIELD_KEYS={Fernet.generate_key().decode()}")
    print(f"MHIS_HASH_KEY={secrets.token_urlsafe(32)}")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["keys"]:
        _print_keys()
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhis.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["mhis", *args])


if __name__ == "__main__":
    main()
