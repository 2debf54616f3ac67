"""allauth's messages whose zh_Hans translation (allauth's own catalog) is half English.

allauth's catalog says "Email地址", "token", "Hello" where our pages say 邮箱. Our catalog,
locale/zh_Hans, translates these msgids again and wins over allauth's (LOCALE_PATHS come
first). They are listed here only so that `makemessages` finds them in our code and keeps
those translations instead of marking them obsolete. Nothing imports this module.

tests/guardrails finds such English on zh-hans pages; add a msgid here when it finds another.
"""

from django.utils.translation import gettext_noop

ALLAUTH_MESSAGES = (
    # account/adapter.py
    gettext_noop("The password reset token was invalid."),
    # templates/account/email.html, email_change.html, email_confirm.html
    gettext_noop("Email Addresses"),
    gettext_noop("The following email addresses are associated with your account:"),
    gettext_noop("Primary"),
    gettext_noop("Re-send Verification"),
    gettext_noop("Add Email Address"),
    gettext_noop("Add Email"),
    gettext_noop("Do you really want to remove the selected email address?"),
    gettext_noop("Email Address"),
    gettext_noop("Current email"),
    gettext_noop("Change Email"),
    gettext_noop("Confirm Email Address"),
    # templates/account/verification_sent.html, verified_email_required.html
    gettext_noop("Verify Your Email Address"),
    # templates/account/password_reset_from_key.html
    gettext_noop("Bad Token"),
    # templates/account/messages/
    gettext_noop("You cannot remove your primary email address (%(email)s)."),
    gettext_noop("You have confirmed %(email)s."),
    gettext_noop("Removed email address %(email)s."),
    gettext_noop("Primary email address set."),
    # templates/account/email/: the emails themselves
    gettext_noop("Hello from %(site_name)s!"),
    gettext_noop("Email Changed"),
    gettext_noop("Your email has been confirmed."),
    gettext_noop("Email Confirmation"),
    gettext_noop("Please Confirm Your Email Address"),
    gettext_noop("Email address %(deleted_email)s has been removed from your account."),
    gettext_noop("Email Removed"),
)
