from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def whole_minutes(duration: timedelta) -> int:
    """A duration in minutes, rounded up so that "try again in N minutes" is never too early."""
    return -(-int(duration.total_seconds()) // 60)
