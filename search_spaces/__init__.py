"""Search spaces: architectures, their text forms, encodings and real PyTorch networks."""

from search_spaces.base import (
    Arch,
    InvalidArchError,
    SearchSpace,
    get_search_space,
    list_search_spaces,
    register_search_space,
)

# importing a space module registers it
from search_spaces import nb201, nb101, darts  # noqa: E402,F401

__all__ = [
    "Arch",
    "InvalidArchError",
    "SearchSpace",
    "get_search_space",
    "list_search_spaces",
    "register_search_space",
]
