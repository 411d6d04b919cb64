from django.conf import settings


def idle_timeout(request):
    """`idle_timeout_seconds` for base.html: site.js warns before the session ends."""
    return {"idle_timeout_seconds": settings.SESSION_IDLE_TIMEOUT_SECONDS}
