from django.db import models


class RateLimitCounter(models.Model):
    """How many requests one client made in one rate-limit window.

    Used when no Redis is configured, so that every web process counts against the same
    budget. Rows are written only by `ratelimit.DatabaseCounters` (an atomic upsert) and
    deleted once `expires_at` has passed, when no window can read them any more."""

    # The limit and the client: "api:key:42", "login:ip:203.0.113.5".
    bucket = models.CharField(max_length=200)
    # Unix time, in seconds, at which the window began (a multiple of its length).
    window_start = models.BigIntegerField()
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["bucket", "window_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["bucket", "window_start"],
                name="operations_ratelimitcounter_one_per_window",
            )
        ]

    def __str__(self) -> str:
        return f"{self.bucket} @ {self.window_start}: {self.hits}"
