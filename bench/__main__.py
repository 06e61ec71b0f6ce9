"""Run every benchmark module of this package (`make bench`), then print one table of
the figures they recorded. `python -m bench api load` runs only the named modules."""

import importlib
import pkgutil
import sys

import bench
from bench.results import FIGURES, table


def main(only: list[str]) -> int:
    names = [
        info.name for info in pkgutil.iter_modules(bench.__path__) if not info.name.startswith("_")
    ]
    for name in names:
        if only and name not in only:
            continue
        module = importlib.import_module(f"bench.{name}")
        if hasattr(module, "main"):
            print(f"== bench/{name}.py", flush=True)
            module.main()
    if not FIGURES:
        print("No figures recorded (PostgreSQL is needed: set DATABASE_URL=postgres://...).")
        return 0
    print()
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
