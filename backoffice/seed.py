"""Building blocks of `seed_demo`: each ensures one thing exists, so re-running changes nothing."""

from allauth.account.models import EmailAddress
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.services import totp_secret_base32

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105  (demo data only, printed on purpose)


def verified_email_ensure(user: User) -> None:
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


def demo_customer_ensure(
    *, email: str, password: str, full_name: str, phone: str | None = None
) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=password, full_name=full_name, phone=phone
        )
    verified_email_ensure(user)
    return user


def demo_staff_totp_ensure(*, user: User) -> str:
    """Give a demo staff member a confirmed authenticator and return its key for the printout."""
    verified_email_ensure(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="demo authenticator", confirmed=True)
    return totp_secret_base32(device)
