"""Every model module, imported once, so Base.metadata knows every table.

Feature areas keep their models in `fedi_aid/db/models_<area>.py`; they are found here by name.
"""

from __future__ import annotations

import importlib
import pkgutil

import fedi_aid.db
from fedi_aid.db.models import Base

for _module in pkgutil.iter_modules(fedi_aid.db.__path__):
    if _module.name.startswith("models_"):
        importlib.import_module(f"fedi_aid.db.{_module.name}")

__all__ = ["Base"]
