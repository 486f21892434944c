# peewee ships stubs that cannot type query results (.tuples(), .dicts(), implicit primary keys), so Linli's mypy
# run treats peewee as dynamic. This file shadows them for mypy only; it is not part of the package.
from typing import Any

def __getattr__(name: str) -> Any: ...
