from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone

from dbooster.fields import EncryptedTextField
from dbooster.roles import Role
from dbooster.rows import LoadedWithoutInit


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        # Whoever runs createsuperuser owns the address: no mail round trip for the operator.
        extra.setdefault("email_verified_at", timezone.now())
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(LoadedWithoutInit, AbstractBaseUser, PermissionsMixin):
    """The seed's `users` table; the e-mail is the login name."""

    google_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=255, null=True, blank=True)
    picture = models.URLField(max_length=1000, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    organization = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    github_token = EncryptedTextField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    # When the owner proved they read mail at `email` (a code, a link, or a provider that verified it).
    # Unverified users may sign in but not invite, connect databases or run anything against them.
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # A new address asked for with PATCH /users/me; it replaces `email` once its code is entered.
    pending_email = models.EmailField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        db_table = "users"
        ordering = ["email"]

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return (self.full_name or self.email).split(" ")[0]

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class OAuthExchangeCode(models.Model):
    """A one-time code handed to the front end after a provider sign-in.

    The browser carries the code, never tokens; `POST /auth/token` trades it once,
    within its short lifetime, for a token pair. Only its SHA-256 is stored, so a
    database read does not yield usable codes.
    """

    code_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "oauth_exchange_codes"
        indexes = [models.Index(fields=["expires_at"], name="oauth_code_expires_idx")]

    def __str__(self):
        return f"exchange code for {self.user_id} ({'used' if self.used_at else 'unused'})"


class EmailCode(models.Model):
    """A one-time code and link token e-mailed to prove an address (sign-up, e-mail change, password reset).

    Only keyed hashes are stored (HMAC with SECRET_KEY: six digits are too few to survive an
    offline guess against a plain hash). A code expires, is spent once, and locks after
    EMAIL_CODE_MAX_ATTEMPTS wrong tries; a new code for the same purpose retires the older ones.
    """

    class Purpose(models.TextChoices):
        VERIFY_EMAIL = "verify_email"
        RESET_PASSWORD = "reset_password"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    email = models.EmailField(help_text="The address the code was sent to (the new one for an e-mail change).")
    code_hash = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "email_codes"
        indexes = [models.Index(fields=["purpose", "email", "used_at"], name="email_code_lookup_idx")]

    def __str__(self):
        return f"{self.purpose} code for {self.email} ({'used' if self.used_at else 'unused'})"


class SignInSession(models.Model):
    """One sign-in (a chain of rotated refresh tokens) with where it is used from.

    The refresh token carries the session's id as its `sid` claim; rotation keeps the
    claim, so `jti` follows the chain to its current outstanding token.
    """

    # The token claim (refresh and access tokens) naming the session.
    TOKEN_CLAIM = "sid"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_sessions")
    jti = models.CharField(max_length=255, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField()
    user_agent = models.CharField(max_length=400, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "sign_in_sessions"
        ordering = ["-last_used_at"]

    def __str__(self):
        return f"session {self.pk} of {self.user_id}"
