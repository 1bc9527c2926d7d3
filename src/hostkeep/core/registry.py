"""A small named registry for plug-ins (gateways, provisioning modules, channels).

Each kind of plug-in has one interface and one ``Registry``; an implementation registers
itself with the decorator, and the rest of the code asks the registry by name. This is the
only place classes are looked up dynamically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar


class Named(Protocol):
    name: str
    label: str


PluginT = TypeVar("PluginT", bound=type)


class UnknownPlugin(LookupError):
    """No plug-in of this kind is registered under the name asked for."""


class Registry[T]:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, type[T]] = {}

    def register(self, implementation: type[T]) -> type[T]:
        name = getattr(implementation, "name", "")
        if not name:
            raise ValueError(f"a {self.kind} needs a non-empty 'name'")
        if name in self._entries and self._entries[name] is not implementation:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = implementation
        return implementation

    def get(self, name: str) -> type[T]:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownPlugin(f"no {self.kind} named {name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[type[T]]:
        return iter(self._entries.values())

    def names(self) -> list[str]:
        return sorted(self._entries)

    def choices(self) -> list[tuple[str, str]]:
        return [(name, str(getattr(cls, "label", name))) for name, cls in sorted(self._entries.items())]

    def unregister(self, name: str) -> Callable[[], None]:
        """Remove an entry (tests only); returns a function that puts it back."""
        previous = self._entries.pop(name)

        def restore() -> None:
            self._entries[name] = previous

        return restore
