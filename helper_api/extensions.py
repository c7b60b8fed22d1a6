"""Typed access to what create_app() attaches to the Flask app."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app

from helper_api.auth import Guard
from helper_api.settings import Settings

SETTINGS_KEY = "helper_settings"
GUARD_KEY = "helper_guard"


def attach(app: Flask, settings: Settings, guard: Guard) -> None:
    app.extensions[SETTINGS_KEY] = settings
    app.extensions[GUARD_KEY] = guard


def settings_of(app: Flask) -> Settings:
    return cast(Settings, app.extensions[SETTINGS_KEY])


def current_settings() -> Settings:
    return settings_of(current_app)


def current_guard() -> Guard:
    return cast(Guard, current_app.extensions[GUARD_KEY])
