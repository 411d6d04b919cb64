from django.conf import settings
from django.db import DataError
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from lms.lib.video_embeds import FRAME_HOSTS

# Learner pages load scripts and styles only from this site; media may come from this site too.
# Frames come only from the two video players (after the learner's consent, static/js/video.js).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "frame-src " + " ".join(FRAME_HOSTS),
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    """Adds a content security policy and a permissions policy to every HTML response.

    The admin keeps its own inline scripts, so it gets a policy that allows them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "text/html" in response.get("Content-Type", ""):
            policy = CONTENT_SECURITY_POLICY
            if request.path.startswith("/admin/"):
                policy = policy.replace(
                    "script-src 'self'", "script-src 'self' 'unsafe-inline'"
                ).replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
            response.setdefault("Content-Security-Policy", policy)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if not settings.DEBUG:
            response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


def bad_request(request, message: str) -> HttpResponse:
    """400 with `message`: JSON on the API, a short page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": message}, status=400)
    response = HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    return response


class BadInputMiddleware:
    """400 for input that no page can use, before any view sees it.

    A NUL byte in the path or the query string reaches PostgreSQL as a text parameter and fails
    there (psycopg refuses it), and a number too large for its column fails as a DataError; both
    are the client's mistake, not the server's, so neither may be a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return bad_request(request, _("Het adres bevat een ongeldig teken (NUL)."))
        return self.get_response(request)

    def process_exception(self, request, exception):
        # PostgreSQL refused a value the request carried (a number out of range for its column, a
        # string longer than its column, a NUL in text): the client's input, wherever it came
        # from (address, form field or API parameter), so a 400 saying so, never a 500. The API
        # speaks English JSON like its other errors.
        if isinstance(exception, DataError):
            if request.path.startswith("/api/"):
                return bad_request(
                    request, "A value in the request is invalid or too large to be stored."
                )
            return bad_request(
                request,
                _("Een ingevulde waarde of een waarde in het adres is ongeldig of te groot."),
            )
        return None
