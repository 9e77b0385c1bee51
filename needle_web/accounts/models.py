"""Accounts and invitations.

An account is a person working for the backbone, for one partner organisation, on the
steering group or for a funder. It is never a young person, and nothing here holds a young
person's data. The partner is stored by its code only: the partner register belongs to the
core (decision 0006), and Django keeps no copy of it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from needle_web.accounts.roles import BACKBONE_ROLES, PARTNER_ROLES, Role, role_partner_problem

__all__ = ["Invitation", "User", "UserManager", "normalise_email"]


def normalise_email(email: str) -> str:
    """The whole address in lower case: people type their address in many cases, and
    ``Sam@Example.org`` and ``sam@example.org`` must be one account, not two."""
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    """Creates accounts; the services decide when (invitations, the bootstrap command)."""

    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        """Sign-in looks the address up whatever its case."""
        return self.get(email=normalise_email(username or ""))

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        """An account with ``email``; ``password`` None makes it unusable until set."""
        user = self.model(email=normalise_email(email), **fields)
        user.set_password(password)
        user.full_clean()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        """Django's hook for ``createsuperuser``: a backbone admin."""
        fields.setdefault("role", Role.BACKBONE_ADMIN)
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account; the email address is the login name."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField("full name", max_length=150, blank=True)
    role = models.CharField(max_length=32, choices=Role.choices)
    partner_code = models.CharField(
        "partner code",
        max_length=16,
        blank=True,
        default="",
        help_text="The partner organisation's code in the register; empty unless a partner role.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["role"]

    class Meta:
        ordering = ("email",)
        constraints = (
            models.CheckConstraint(
                name="accounts_user_partner_iff_partner_role",
                condition=(
                    models.Q(role__in=[r.value for r in PARTNER_ROLES], partner_code__gt="")
                    | (
                        ~models.Q(role__in=[r.value for r in PARTNER_ROLES])
                        & models.Q(partner_code="")
                    )
                ),
            ),
        )

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        """Keep role and partner consistent; the database constraint is the backstop."""
        super().clean()
        self.email = normalise_email(self.email)
        problem = role_partner_problem(self.role, self.partner_code)
        if problem:
            field = "role" if self.role not in Role.values else "partner_code"
            raise ValidationError({field: problem})

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name or self.email

    @property
    def is_backbone(self) -> bool:
        """Backbone roles must use two-factor sign-in."""
        return self.role in BACKBONE_ROLES

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role in Role.values else self.role


class Invitation(models.Model):
    """An offer of an account, sent by email as a single-use link.

    Only a hash of the link's token is stored: someone who reads the database (a backup, a
    support query) still cannot accept an invitation meant for someone else.
    """

    email = models.EmailField("email address")
    role = models.CharField(max_length=32, choices=Role.choices)
    partner_code = models.CharField(max_length=16, blank=True, default="")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations_sent")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    account = models.OneToOneField(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="invitation"
    )

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"invitation for {self.email} as {self.role}"

    def clean(self) -> None:
        super().clean()
        problem = role_partner_problem(self.role, self.partner_code)
        if problem:
            raise ValidationError({"partner_code": problem})

    @property
    def is_pending(self) -> bool:
        """Neither accepted, revoked nor expired."""
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role in Role.values else self.role
