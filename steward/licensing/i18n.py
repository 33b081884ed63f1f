"""Translation in the pure modules (engine, describe, labels, licences), which cannot import
Django: texts are marked with `gettext_noop` so that `makemessages` finds them, and Django
code passes its own `gettext` where it shows them. `untranslated` is the default: English."""


def gettext_noop(message: str) -> str:
    """Marks a text for the message catalogues; it is translated where it is shown."""
    return message


def untranslated(message: str) -> str:
    return message
