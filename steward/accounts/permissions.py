from django.http import Http404

from .models import ApiKey


def get_api_key_for(user, prefix: str) -> ApiKey:
    """The key with this prefix if it belongs to `user`; 404 for anybody else's key."""
    if not user.is_authenticated:
        raise Http404
    api_key = ApiKey.objects.filter(user=user, prefix=prefix).first()
    if api_key is None:
        raise Http404
    return api_key
