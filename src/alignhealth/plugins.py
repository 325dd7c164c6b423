"""The plugin host: one pluggy manager per run, built-ins first, then third parties.

Built-ins are registered by module name (never through entry points), so turning third
party plugins off never turns the core off. Each third-party entry point is loaded on its
own, and any failure is recorded against its name rather than stopping the run.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pluggy

from alignhealth import hookspecs
from alignhealth.errors import AlignhealthError
from alignhealth.findings import RunError

ENTRY_POINT_GROUP = "alignhealth"
DISABLE_AUTOLOAD_ENV = "ALIGNHEALTH_DISABLE_PLUGIN_AUTOLOAD"
BUILTIN_PLUGIN = "alignhealth"

#: The core, registered through the same hooks a third party uses.
BUILTIN_MODULES: tuple[str, ...] = (
    "alignhealth.rules.core.data",
    "alignhealth.rules.core.structure",
    "alignhealth.rules.core.ownership",
    "alignhealth.rules.core.levels",
    "alignhealth.rules.core.priorities",
    "alignhealth.rules.core.engagement",
    "alignhealth.rules.core.measurement",
    "alignhealth.rules.core.execution",
    "alignhealth.rules.core.orgchart",
    "alignhealth.rules.core.run",
    "alignhealth.loaders.builtin",
    "alignhealth.reporters.builtin",
    "alignhealth.presets",
)


@dataclass
class PluginInfo:
    """A registered plugin (or one that failed to load)."""

    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False
    error: str | None = None
    hooks: list[str] = field(default_factory=list)


class PluginHost:
    """Owns the :class:`pluggy.PluginManager` of one run and what was loaded into it."""

    def __init__(
        self,
        *,
        autoload: bool | None = None,
        modules: Sequence[str] = (),
        plugins: Sequence[tuple[str, object]] = (),
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: list[PluginInfo] = []
        self.errors: list[RunError] = []
        if autoload is None:
            autoload = os.environ.get(DISABLE_AUTOLOAD_ENV, "").strip() in ("", "0")
        for module_name in BUILTIN_MODULES:
            module = importlib.import_module(module_name)
            self._register(
                module, module_name, PluginInfo(BUILTIN_PLUGIN, module_name, builtin=True)
            )
        if autoload:
            self._load_entry_points()
        for module_name in modules:
            self.load_module(module_name)
        for name, plugin in plugins:
            self._register(plugin, name, PluginInfo(name, getattr(plugin, "__name__", name)))

    # -- loading -------------------------------------------------------------------------

    def _fail(self, info: PluginInfo, message: str) -> None:
        info.error = message
        self.infos.append(info)
        self.errors.append(
            RunError(code="plugin-error", message=f"plugin {info.name!r}: {message}")
        )

    def _register(self, plugin: object, name: str, info: PluginInfo) -> bool:
        try:
            self.pm.register(plugin, name=name)
        except ValueError as exc:  # already registered
            self._fail(info, str(exc))
            return False
        except pluggy.PluginValidationError as exc:
            self._fail(info, f"{exc}; check the hook's name and arguments in docs/plugins.md")
            return False
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(name=name)
            self._fail(info, f"{exc}: no such hook; see docs/plugins.md for the hook names")
            return False
        info.hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ())
        self.infos.append(info)
        return True

    def _load_entry_points(self) -> None:
        for ep in sorted(
            importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name
        ):
            dist = ep.dist.name if ep.dist else None
            version = ep.dist.version if ep.dist else None
            info = PluginInfo(dist or ep.name, ep.value, distribution=dist, version=version)
            try:
                plugin = ep.load()
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                self._fail(info, f"failed to import {ep.value!r}: {type(exc).__name__}: {exc}")
                continue
            self._register(plugin, info.name, info)

    def load_module(self, module_name: str) -> bool:
        """Register a plugin by module name (``-p MODULE``)."""
        info = PluginInfo(module_name, module_name)
        try:
            module: ModuleType = importlib.import_module(module_name)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            self._fail(info, f"failed to import: {type(exc).__name__}: {exc}")
            return False
        return self._register(module, module_name, info)

    # -- calling -------------------------------------------------------------------------

    def plugin_name(self, registered_name: str) -> str:
        for info in self.infos:
            if info.module == registered_name or info.name == registered_name:
                return info.name
        return registered_name

    def _ordered(self, hook: str, builtins_last: bool = False) -> list[Any]:
        impls = getattr(self.pm.hook, hook).get_hookimpls()

        def key(impl: Any) -> tuple[bool, str]:
            is_builtin = self.plugin_name(impl.plugin_name) == BUILTIN_PLUGIN
            return (is_builtin if builtins_last else not is_builtin, impl.plugin_name)

        return sorted(impls, key=key)

    def _call(self, hook: str, impl: Any, kwargs: dict[str, Any]) -> tuple[bool, Any]:
        args = {name: kwargs[name] for name in impl.argnames if name in kwargs}
        try:
            return True, impl.function(**args)
        except AlignhealthError:
            raise
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            name = self.plugin_name(impl.plugin_name)
            self.errors.append(
                RunError(
                    code="hook-error",
                    message=f"plugin {name!r}: hook {hook} raised {type(exc).__name__}: {exc}",
                )
            )
            return False, None

    def each(self, hook: str, **kwargs: Any) -> Iterator[tuple[str, Any]]:
        """Call every implementation of ``hook`` on its own, in a stable order (built-ins
        first, then by plugin name), yielding ``(plugin name, result)``.

        An implementation that raises is recorded as a plugin error and skipped, so one
        plugin's failure never discards the others' results. Errors of our own
        (:class:`AlignhealthError`, such as a bad input) propagate.
        """
        for impl in self._ordered(hook):
            ok, result = self._call(hook, impl, kwargs)
            if ok:
                yield self.plugin_name(impl.plugin_name), result

    def first(self, hook: str, **kwargs: Any) -> Any:
        """The first non-None result of a hook, trying third-party plugins (by name)
        before the built-ins."""
        for impl in self._ordered(hook, builtins_last=True):
            ok, result = self._call(hook, impl, kwargs)
            if ok and result is not None:
                return result
        return None
