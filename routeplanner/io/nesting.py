"""How deeply a parsed document (JSON, TOML) nests, checked without recursion.

Every reader of the input contract walks documents recursively (the TOML
writer of the API, ``json.dumps`` of a value shown in a problem), so a
document nested thousands deep would end in a ``RecursionError`` there.  A
scenario nests 4 levels (``stops`` > stop > ``days``); anything beyond
:data:`MAX_NESTING` is refused as bad input right after parsing.  The parsers
themselves (``json``, ``tomllib``) recurse too: callers catch their
``RecursionError`` and report it as the same problem.
"""

from __future__ import annotations

from typing import Any

from routeplanner.errors import Problem
from routeplanner.limits import MAX_NESTING  # levels of lists and tables (objects) a document may nest

__all__ = ["MAX_NESTING", "deeper_than", "nesting_problem"]


def deeper_than(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether ``value`` nests lists and dicts more than ``limit`` levels deep."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def nesting_problem(file: str, what: str = "document") -> Problem:
    """The problem of a document nested too deeply."""
    return Problem(file, None, "", f"lists or tables nested more than {MAX_NESTING} levels deep",
                   f"a {what} nested at most {MAX_NESTING} levels deep")
