"""`python -m qm_devstack.migrate` (make migrate): every service's migrations, then exit."""

from __future__ import annotations

import sys

from qm_devstack.paths import repo_root
from qm_devstack.settings import DevstackSettings
from qm_devstack.stack import Stack, StackConfig


def main() -> int:
    """Migrate QM_DATABASE_URL, or the embedded server under var/ when it is unset."""
    settings = DevstackSettings()
    root = repo_root()
    config = StackConfig(
        var_dir=root / settings.var_dir, database_url=settings.database_url or None
    )
    stack = Stack(config, root)
    stack.migrate_all()
    names = ", ".join(service.name for service in config.services)
    sys.stdout.write(f"migrated: {names}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
