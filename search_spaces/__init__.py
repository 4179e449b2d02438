"""Search spaces: architectures, their text forms, encodings and real PyTorch networks."""

from search_spaces.base import (
    Arch,
    InvalidArchError,
    SearchSpace,
    get_search_space,
    list_search_spaces,
    register_search_space,
)

# importing a space module registers it, in this order (the order `list_search_spaces` gives),
# after the names above, which they may use
# isort: off
from search_spaces import nb201, nb101, darts, nlp  # noqa: F401
# isort: on

__all__ = [
    "Arch",
    "InvalidArchError",
    "SearchSpace",
    "get_search_space",
    "list_search_spaces",
    "register_search_space",
]
