from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def get_login_stages(self) -> list[str]:
        # The second factor is asked for last, after the password and email verification.
        return [*super().get_login_stages(), "accounts.stages.SecondFactorStage"]
