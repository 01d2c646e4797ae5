"""What an installed routeplanner holds: every package and every data file of the checkout.

pyproject.toml lists the packages (templates/ and data/ are mapped into the package,
which discovery cannot do) and names the data files by glob, with
include-package-data off.  A folder or a file those lists miss would be missing
only from a wheel, never from the editable checkout the other tests run in, so
these tests compare the lists with the checkout.
"""

from __future__ import annotations

import glob
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]

#: Files in the package folders that are deliberately left out of a wheel.
NOT_INSTALLED = {
    "routeplanner/web/translations/messages.pot",  # the catalogue's template, for translators (make messages)
}


def package_folders() -> dict[str, Path]:
    mapped = SETUPTOOLS["package-dir"]
    return {name: ROOT / mapped.get(name, name.replace(".", "/")) for name in SETUPTOOLS["packages"]}


def owner(path: Path, folders: dict[str, Path]) -> str:
    """The listed package whose folder holds ``path`` most closely."""
    return max((name for name, folder in folders.items() if path.is_relative_to(folder)),
               key=lambda name: len(folders[name].parts))


def test_every_package_folder_is_listed():
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "routeplanner").rglob("__init__.py")}
    found |= set(SETUPTOOLS["package-dir"])
    assert found | {"routeplanner"} == set(SETUPTOOLS["packages"])


def test_every_data_file_is_installed():
    folders = package_folders()
    shipped: set[Path] = set()
    for name, patterns in SETUPTOOLS["package-data"].items():
        # glob, as setuptools does: recursive **, and no hidden files (the Leaflet stamp of make assets)
        shipped |= {folders[name] / p for pattern in patterns
                    for p in glob.glob(pattern, root_dir=folders[name], recursive=True)}
    missed = []
    for name, folder in folders.items():
        for path in folder.rglob("*"):
            if path.is_dir() or "__pycache__" in path.parts or path.name.startswith("."):
                continue
            if owner(path, folders) != name or path.relative_to(ROOT).as_posix() in NOT_INSTALLED:
                continue
            module = path.suffix == ".py" and path.parent == folder  # a package's module, installed as code
            if not module and path not in shipped:
                missed.append(path.relative_to(ROOT).as_posix())
    assert missed == [], "not installed: add them to [tool.setuptools.package-data] in pyproject.toml"
