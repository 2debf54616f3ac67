"""The allauth login stage that asks for a second factor before the session is logged in."""

# allauth.account.stages must not be the first allauth module imported (a circular import).
from allauth.account.internal import flows  # noqa: F401, I001
from allauth.account.stages import LoginStage
from allauth.core.internal.httpkit import headed_redirect_response

from .selectors import has_second_factor


class SecondFactorStage(LoginStage):
    key = "wallet_second_factor"
    urlname = "account_second_factor"

    def handle(self):
        user = self.login.user
        if user is not None and has_second_factor(user):
            return headed_redirect_response(self.urlname), True
        return None, True
