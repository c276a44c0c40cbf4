"""Voila apps: per app a state object and pure functions, then widget wiring;
the signed-in user (`identity.current_user`), the Voila server with its
sign-in handlers, and the offline template."""

from .identity import User, current_user

__all__ = ["User", "current_user"]
