"""Who is calling: the actor every service receives, and the role checks services make."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ysdw_live.auth.models import MEETING_MANAGERS, Role, User
from ysdw_live.errors import Forbidden, NotAuthenticated

if TYPE_CHECKING:
    from ysdw_live.meetings.models import Participant


@dataclass(frozen=True)
class Actor:
    """The caller of a service: a staff user, a meeting participant, both or neither."""

    user: User | None = None
    participant: Participant | None = None

    @property
    def is_staff(self) -> bool:
        """Whether a logged-in, active staff member is calling (not one still on a one-time password)."""
        return self.user is not None and self.user.active and not self.user.must_change_password

    def require_password_chosen(self) -> None:
        """Raise 403 ``password_change_required`` when the staff login is still on its one-time password.

        A one-time password is good for one thing only: choosing a real one on the password page.
        """
        if self.user is not None and self.user.active and self.user.must_change_password:
            raise Forbidden(
                "Choose a new password first: log in on the website and set it on the password page.",
                code="password_change_required",
            )

    def require_staff(self, roles: frozenset[Role] = frozenset(Role)) -> User:
        """Return the staff user, or raise 401 (not logged in) / 403 (one-time password, wrong role)."""
        if self.user is None or not self.user.active:
            raise NotAuthenticated("Log in as staff to do this.")
        self.require_password_chosen()
        if self.user.role not in roles:
            allowed = " or ".join(sorted(role.value for role in roles))
            raise Forbidden(f"Only a {allowed} can do this.", code="wrong_role")
        return self.user

    def require_meeting_manager(self) -> User:
        """Return the user when an admin or facilitator is calling."""
        return self.require_staff(MEETING_MANAGERS)

    def require_admin(self) -> User:
        """Return the user when an admin is calling."""
        return self.require_staff(frozenset({Role.admin}))


ANONYMOUS = Actor()
