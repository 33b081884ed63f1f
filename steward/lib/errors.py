"""Domain errors: what services raise when a rule is broken.

Pages turn them into form errors, the API into a 4xx JSON body
`{"error": message, "code": code, "field": field}`.
"""

import re


class DomainError(Exception):
    """A broken domain rule, with a stable snake_case `code` and the `field` it concerns."""

    status = 400

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str, *, code: str = "not_found", field: str | None = None):
        super().__init__(message, code=code, field=field)


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str, *, code: str = "forbidden", field: str | None = None):
        super().__init__(message, code=code, field=field)


class Gone(DomainError):
    status = 410

    def __init__(self, message: str, *, code: str = "gone", field: str | None = None):
        super().__init__(message, code=code, field=field)


def from_validation_error(exc, error_class: type[DomainError] = DomainError) -> DomainError:
    """Turn a Django ValidationError from full_clean() into a DomainError naming the field."""
    if hasattr(exc, "message_dict"):
        field, messages = next(iter(exc.message_dict.items()))
        return error_class(f"{field}: {' '.join(messages)}", code="invalid", field=field)
    return error_class(" ".join(exc.messages), code="invalid")


class PaymentRequired(DomainError):
    status = 402

    def __init__(self, message: str, *, code: str = "payment_required", field: str | None = None):
        super().__init__(message, code=code, field=field)


class Conflict(DomainError):
    """The request contradicts the current state (decided twice, already pending)."""

    status = 409

    def __init__(self, message: str, *, code: str = "conflict", field: str | None = None):
        super().__init__(message, code=code, field=field)


def without_field_name(exc: DomainError) -> str:
    """A service's message without the API field name it starts with ("pointOfContactEmail:
    ..."), which the form shows next to the field anyway. Translations may space the colon
    ("name : ...")."""
    if not exc.field:
        return exc.message
    return re.sub(rf"^{re.escape(exc.field)}\s*:\s*", "", exc.message, count=1)
