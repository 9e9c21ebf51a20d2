"""What each role's dashboard shows; each domain adds its panel as it lands."""

from typing import Any


def dashboard_context(user: Any) -> dict[str, Any]:
    """Collect the panels for `user` (None for the public home page)."""
    context: dict[str, Any] = {}
    for provider in _PROVIDERS:
        extra = provider(user)
        panels = extra.pop("dashboard_panels", [])
        context.update(extra)
        context.setdefault("dashboard_panels", []).extend(panels)
    return context


_PROVIDERS: list = []


def dashboard_panel(provider):
    """Register a function(user) -> dict that adds data to dashboards."""
    _PROVIDERS.append(provider)
    return provider
