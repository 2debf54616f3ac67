"""Signal receivers: thin, each calls a service."""

from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from . import referrals


@receiver(user_signed_up, dispatch_uid="promotions.referral_from_signup")
def referral_from_signup(sender, request, user, **kwargs):
    # The code was put in the session by the referral link (/r/<code>/ or ?ref=<code>).
    code = request.session.pop(referrals.SESSION_KEY, None) if request is not None else None
    referrals.referral_record_from_signup(user=user, code=code)
