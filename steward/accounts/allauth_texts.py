"""The texts of django-allauth that Steward's account pages show, so that they are translated
in every language of the interface.

allauth translates its own texts, but it has no Swahili catalogue, so a Swahili reader would
see them in English: the log-in error, the sign-up form's labels and errors, the messages
such as "Successfully signed in as ...". Listing them here with `gettext_noop` puts them in
Steward's message files (`make messages`), where they are translated like Steward's own
texts. Each string is one of allauth's msgids, copied exactly, since it is the key allauth
looks up (tests/test_allauth_swahili.py checks them against allauth's French catalogue).

Django merges the catalogues of LOCALE_PATHS (steward/locale) after those of the installed
apps, so Steward's translations win over allauth's in every language, not only in Swahili.
In fr, es and ar, these entries therefore hold allauth's own translation, copied from its
catalogue, so that nothing changes there; only sw gets new translations.

Only what Steward shows is listed. Left out: texts of the log-in methods, sign-up fields
and features Steward does not enable (phone numbers, log-in codes, security keys, a second
email field), errors that are not shown with its settings (allauth prevents account
enumeration, so "already registered" and "not assigned to any user account" are never
said), and the admin's model names.

The pages and emails Steward does not override are allauth's templates, rendered inside
Steward's layout (accounts/templates/allauth/layouts/base.html replaces allauth's, so its
"Menu:" and "Messages:" are never shown). Their {% trans %} and {% blocktrans %} texts are
listed below, page by page, as their msgids read in allauth's catalogues: placeholders as
%(name)s, line breaks kept. Left out are the parts these settings never show: security
keys (MFA_SUPPORTED_TYPES has no "webauthn"); codes sent by email instead of links for
verification, password reset and log-in (only re-authentication, which allauth offers by
code by default, sends one); "I have saved my recovery codes" (MFA_RECOVERY_CODES_SHOW_ONCE
is off); the trusted-browser page (MFA_TRUST_ENABLED is off); the email change page
(ACCOUNT_CHANGE_EMAIL is off); verified_email_required.html (no view of Steward requires
it); and what the pages put in their block extra_body, which Steward's layout does not
show. The security notices (password changed or set, email added, changed or removed,
two-factor changes: account/email/base_notification.txt and mfa/email/) are only sent with
ACCOUNT_EMAIL_NOTIFICATIONS, which is off. The recovery codes download
(mfa/recovery_codes/download.txt) holds only the codes.
"""

from django.utils.translation import gettext_noop, ngettext_lazy, pgettext_lazy

# Errors of the log-in, sign-up, password, email-address and two-factor forms, raised by
# allauth's adapters (account/adapter.py, mfa/adapter.py) and forms (account/forms.py).
ERRORS = [
    gettext_noop("The email address and/or password you specified are not correct."),
    gettext_noop("The username and/or password you specified are not correct."),
    gettext_noop("Too many failed login attempts. Try again later."),
    gettext_noop("Be patient, you are sending too many requests."),
    gettext_noop("You must type the same password each time."),
    gettext_noop("Please type your current password."),
    gettext_noop("Incorrect password."),
    gettext_noop("Incorrect code."),
    gettext_noop("This email address is already associated with this account."),
    gettext_noop(
        "You cannot add an email address to an account protected by two-factor authentication."
    ),
    gettext_noop(
        "You cannot activate two-factor authentication until you have verified your email address."
    ),
    gettext_noop(
        "You cannot generate recovery codes without having two-factor authentication enabled."
    ),
]

# Labels, placeholders and help texts of allauth's form fields (account/fields.py,
# account/forms.py, mfa/base/forms.py, mfa/totp/forms.py), and the re-authentication choices
# (account/adapter.py: "Send me a sign-in code" is offered to every account with a
# verified address). "Login" and "Remember Me" label the log-in form's fields, to which
# Steward's log-in page gives labels of its own.
FIELDS = [
    gettext_noop("Email"),
    gettext_noop("Password (again)"),
    gettext_noop("Forgot your password?"),
    gettext_noop("Current Password"),
    gettext_noop("New Password"),
    gettext_noop("New Password (again)"),
    gettext_noop("Authenticator code"),
    gettext_noop("Remember Me"),
    gettext_noop("Use your password"),
    gettext_noop("Use authenticator app or code"),
    gettext_noop("Send me a sign-in code"),
]
# Django has no pgettext_noop: pgettext_lazy marks a text and its context for makemessages,
# and translates nothing until it is shown.
FIELDS_IN_CONTEXT = {
    ("field label", "Login"): pgettext_lazy("field label", "Login"),
}

# Words allauth's fields use that Steward's own pages use too. Their translations are
# Steward's, and already applied to allauth's fields in every language; listed so that they
# stay in the catalogues even if Steward's pages stop using them.
SHARED_WITH_STEWARD = [
    gettext_noop("Email address"),
    gettext_noop("Username"),
    gettext_noop("Username or email"),
    gettext_noop("Password"),
    gettext_noop("Code"),
    # On allauth's pages: the email addresses' badge, the password reset's button, the
    # recovery codes' button.
    gettext_noop("Verified"),
    gettext_noop("Cancel"),
    gettext_noop("Download"),
]

# The messages allauth adds with django.contrib.messages, from its templates
# account/messages/*.txt and mfa/messages/*.txt: each one's {% blocktrans %} text, as its
# msgid reads. Steward does not override those templates; they find these translations.
MESSAGES = [
    gettext_noop("Successfully signed in as %(name)s."),
    gettext_noop("You have signed out."),
    gettext_noop("Confirmation email sent to %(email)s."),
    gettext_noop("You have confirmed %(email)s."),
    gettext_noop(
        "Unable to confirm %(email)s because it is already confirmed by a different account."
    ),
    gettext_noop("Removed email address %(email)s."),
    gettext_noop("You cannot remove your primary email address (%(email)s)."),
    gettext_noop("Primary email address set."),
    gettext_noop("Your primary email address must be verified."),
    gettext_noop("Password successfully changed."),
    gettext_noop("Password successfully set."),
    gettext_noop("Authenticator app activated."),
    gettext_noop("Authenticator app deactivated."),
    gettext_noop("A new set of recovery codes has been generated."),
    gettext_noop("A sign-in code has been sent to %(recipient)s."),
]

# allauth's pages -------------------------------------------------------------------------

# The email addresses page, /accounts/email/ (account/email.html, and
# account/snippets/warn_no_email.html for an account without any address). Left out: the
# question its script asks before removing an address, in its block extra_body, which
# Steward's layout does not show.
EMAIL_ADDRESSES_PAGE = [
    gettext_noop("Email Addresses"),
    gettext_noop("The following email addresses are associated with your account:"),
    gettext_noop("Unverified"),
    gettext_noop("Primary"),
    gettext_noop("Make Primary"),
    gettext_noop("Re-send Verification"),
    gettext_noop("Remove"),
    gettext_noop("Add Email Address"),
    gettext_noop("Add Email"),
    gettext_noop("Warning:"),
    gettext_noop(
        "You currently do not have any email address set up. You should really add an email "
        "address so you can receive notifications, reset your password, etc."
    ),
]

# Changing the password, /accounts/password/change/, and setting one where the account has
# none, /accounts/password/set/ (account/password_change.html, account/password_set.html).
PASSWORD_CHANGE_PAGES = [
    gettext_noop("Change Password"),
    gettext_noop("Set Password"),
]

# Resetting a forgotten password: the request, /accounts/password/reset/
# (account/password_reset.html, with account/snippets/already_logged_in.html for a reader
# who is signed in), "email sent" (account/password_reset_done.html), the link's page, or
# its "bad token" when the link is used up (account/password_reset_from_key.html), and
# "done" (account/password_reset_from_key_done.html). Their headings "Change Password" and
# button "Cancel" are listed above.
PASSWORD_RESET_PAGES = [
    gettext_noop("Password Reset"),
    gettext_noop(
        "Forgotten your password? Enter your email address below, and we'll send you an "
        "email allowing you to reset it."
    ),
    gettext_noop("Reset My Password"),
    gettext_noop("Please contact us if you have any trouble resetting your password."),
    gettext_noop("Note"),
    gettext_noop("You are already logged in as %(user_display)s."),
    gettext_noop(
        "We have sent you an email. If you have not received it please check your spam "
        "folder. Otherwise contact us if you do not receive it in a few minutes."
    ),
    gettext_noop("Bad Token"),
    gettext_noop(
        "The password reset link was invalid, possibly because it has already been used.  "
        'Please request a <a href="%(passwd_reset_url)s">new password reset</a>.'
    ),
    gettext_noop("Your password is now changed."),
]

# Verifying an email address: "verification sent", after signing up or logging in with an
# unverified address (account/verification_sent.html), and the confirmation link's page
# (account/email_confirm.html; its "already confirmed by a different account" is one of
# MESSAGES). Steward's export cards use "Confirm" too (exports/hfcard.py, the button of
# the gated-access form), in the same sense.
EMAIL_VERIFICATION_PAGES = [
    gettext_noop("Verify Your Email Address"),
    gettext_noop(
        "We have sent an email to you for verification. Follow the link provided to finalize "
        "the signup process. If you do not see the verification email in your main inbox, "
        "check your spam folder. Please contact us if you do not receive the verification "
        "email within a few minutes."
    ),
    gettext_noop("Confirm Email Address"),
    gettext_noop(
        'Please confirm that <a href="mailto:%(email)s">%(email)s</a> is an email address '
        "for user %(user_display)s."
    ),
    gettext_noop(
        "This email confirmation link expired or is invalid. Please "
        '<a href="%(email_url)s">issue a new email confirmation request</a>.'
    ),
    gettext_noop("Confirm"),
]

# Re-authentication, asked before two-factor settings change (account/base_reauthenticate.html
# with account/reauthenticate.html for the password, mfa/reauthenticate.html for an
# authenticator code, account/request_reauthentication_code.html to have a code emailed,
# and account/confirm_reauthentication_code.html with account/base_confirm_code.html to
# enter it; the choice between them is in FIELDS).
REAUTHENTICATION_PAGES = [
    gettext_noop("Confirm Access"),
    gettext_noop("Please reauthenticate to safeguard your account."),
    gettext_noop("Alternative options"),
    gettext_noop("Enter your password:"),
    gettext_noop("Enter an authenticator code:"),
    gettext_noop("Request Code"),
    gettext_noop("Enter Sign-In Code"),
    gettext_noop(
        "We've sent a code to %(recipient)s. The code expires shortly, so please enter it soon."
    ),
    gettext_noop("Request new code"),
]

# The page a deactivated account gets at log-in, with the right password (staff untick
# "active" in the admin; account/account_inactive.html).
ACCOUNT_INACTIVE_PAGE = [
    gettext_noop("Account Inactive"),
    gettext_noop("This account is inactive."),
]

# Two-factor authentication: the index, /accounts/2fa/ (mfa/index.html), the code asked at
# log-in (mfa/authenticate.html), and turning the authenticator app off
# (mfa/totp/base.html, mfa/totp/deactivate_form.html). Turning it on is Steward's page.
TWO_FACTOR_PAGES = [
    gettext_noop("Two-Factor Authentication"),
    gettext_noop("Authenticator App"),
    gettext_noop("Authentication using an authenticator app is active."),
    gettext_noop("An authenticator app is not active."),
    gettext_noop("Deactivate"),
    gettext_noop("Activate"),
    gettext_noop("Sign In"),
    gettext_noop(
        "Your account is protected by two-factor authentication. Please enter an "
        "authenticator code:"
    ),
    gettext_noop("Deactivate Authenticator App"),
    gettext_noop(
        "You are about to deactivate authenticator app based authentication. Are you sure?"
    ),
]

# Recovery codes: their panel on the index, their page (mfa/recovery_codes/index.html),
# and generating new ones (mfa/recovery_codes/generate.html). "Download" is listed above.
RECOVERY_CODES_PAGES = [
    gettext_noop("Recovery Codes"),
    gettext_noop("No recovery codes set up."),
    gettext_noop("View"),
    gettext_noop("Generate"),
    gettext_noop("Unused codes"),
    gettext_noop("Download codes"),
    gettext_noop("Generate new codes"),
    gettext_noop("You are about to generate a new set of recovery codes for your account."),
    gettext_noop("This action will invalidate your existing codes."),
    gettext_noop("Are you sure?"),
]
# Texts with a plural, as (singular, plural), both counted by unused_count. Like
# pgettext_lazy, ngettext_lazy marks them (msgid and msgid_plural) and translates nothing.
PLURALS = {
    (
        "There is %(unused_count)s out of %(total_count)s recovery codes available.",
        "There are %(unused_count)s out of %(total_count)s recovery codes available.",
    ): ngettext_lazy(
        "There is %(unused_count)s out of %(total_count)s recovery codes available.",
        "There are %(unused_count)s out of %(total_count)s recovery codes available.",
    ),
}

# allauth's emails -----------------------------------------------------------------------

# The emails Steward's settings send, each a subject and a message: the greeting and
# closing of all of them (account/email/base_message.txt); confirming an address, at
# sign-up or later (email_confirmation_*.txt, email_confirmation_signup_*.txt include
# them); the password reset link (password_reset_key_*.txt); and, since allauth prevents
# account enumeration, the answers to an address without an account
# (unknown_account_*.txt: a password reset for it) or that has one already
# (account_already_exists_*.txt: a sign-up with it); and the code for re-authentication
# (login_code_*.txt).
EMAILS = [
    gettext_noop("Hello from %(site_name)s!"),
    gettext_noop("Thank you for using %(site_name)s!\n%(site_domain)s"),
    gettext_noop("Please Confirm Your Email Address"),
    gettext_noop(
        "You're receiving this email because user %(user_display)s has given your email "
        "address to register an account on %(site_domain)s."
    ),
    gettext_noop("To confirm this is correct, go to %(activate_url)s"),
    gettext_noop("Password Reset Email"),
    gettext_noop(
        "You're receiving this email because you or someone else has requested a password "
        "reset for your user account.\nIt can be safely ignored if you did not request a "
        "password reset. Click the link below to reset your password."
    ),
    gettext_noop("In case you forgot, your username is %(username)s."),
    gettext_noop("Unknown Account"),
    gettext_noop(
        "You are receiving this email because you, or someone else, tried to access an "
        "account with email %(email)s. However, we do not have any record of such an account "
        "in our database."
    ),
    gettext_noop("This mail can be safely ignored if you did not initiate this action."),
    gettext_noop("If it was you, you can sign up for an account using the link below."),
    gettext_noop("Account Already Exists"),
    gettext_noop(
        "You are receiving this email because you or someone else tried to signup for an\n"
        "account using email address:\n"
        "\n"
        "%(email)s\n"
        "\n"
        "However, an account using that email address already exists.  In case you have\n"
        "forgotten about this, please use the password forgotten procedure to recover\n"
        "your account:\n"
        "\n"
        "%(password_reset_url)s"
    ),
    gettext_noop("Sign-In Code"),
    gettext_noop("Your sign-in code is listed below. Please enter it in your open browser window."),
]

PAGES = [
    *EMAIL_ADDRESSES_PAGE,
    *PASSWORD_CHANGE_PAGES,
    *PASSWORD_RESET_PAGES,
    *EMAIL_VERIFICATION_PAGES,
    *REAUTHENTICATION_PAGES,
    *ACCOUNT_INACTIVE_PAGE,
    *TWO_FACTOR_PAGES,
    *RECOVERY_CODES_PAGES,
]

# Every text listed without a plural, as (context, msgid); the context is "" where there is
# none. The texts with a plural are PLURALS' keys.
TEXTS: list[tuple[str, str]] = [
    *(
        ("", msgid)
        for msgid in [*ERRORS, *FIELDS, *SHARED_WITH_STEWARD, *MESSAGES, *PAGES, *EMAILS]
    ),
    *FIELDS_IN_CONTEXT,
]
