"""Each database app has two logins, so a password can change while the app still uses
the other one.

The owner role is named after the app; the alternate login is ``<app>_alt`` (no app can
be named so: app names are DNS labels, without ``_``). ``platform:database.rotations``
counts an app's rotations: each one moves the app to the login it is not using, with a
new password, and leaves the password in use untouched. The old password stops working
only at the next rotation, once the app has long been restarted on the new one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AppLogin:
    user: str
    # How many times this login's password has been renewed.
    generation: int
    # Whether the app's credentials name this login.
    active: bool

    @property
    def keepers(self) -> dict[str, str] | None:
        """RandomPassword keepers: a new generation, a new password. None before the
        first, so stacks from before rotations keep their passwords."""
        return {"rotation": str(self.generation)} if self.generation else None


def app_logins(app: str, rotation: int) -> tuple[AppLogin, AppLogin]:
    """The owner and the alternate login after ``rotation`` rotations: even counts use
    the owner, odd ones the alternate, and each renews only the login it moves to."""
    return (
        AppLogin(app, rotation // 2, active=rotation % 2 == 0),
        AppLogin(f"{app}_alt", (rotation + 1) // 2, active=rotation % 2 == 1),
    )
