"""How a person is shown to someone other than that person.

The rules live in accounts/masking.py (the wallet is not the only place that shows people);
the wallet's callers keep importing them from here.
"""

from accounts.masking import display_name_masked, email_masked, name_masked, phone_masked

__all__ = ["display_name_masked", "email_masked", "name_masked", "phone_masked"]
