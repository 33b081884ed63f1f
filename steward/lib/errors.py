"""Domain errors: what services raise when a rule is broken.

Pages turn them into form errors, the API into a 4xx JSON body
`{"error": message, "code": code, "field": field}`.
"""


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
