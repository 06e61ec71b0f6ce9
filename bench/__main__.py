"""Run every benchmark module of this package (`make bench`)."""

import importlib
import pkgutil
import sys

import bench


def main() -> int:
    names = [
        info.name for info in pkgutil.iter_modules(bench.__path__) if not info.name.startswith("_")
    ]
    if not names:
        print("No benchmarks yet.")
        return 0
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if hasattr(module, "main"):
            print(f"== bench/{name}.py")
            module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
