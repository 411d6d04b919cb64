"""Uploaded content media (persona portraits, block images, audio, video, captions), served by
Django in every mode, so an uploaded image shows when DEBUG=0 too.

Only the folders content uploads go to are served, only with the extensions uploads may have
(lms/lib/uploads.py), each with its own content type and `nosniff`; anything else is a 404 (package
exports live in MEDIA_ROOT too but are downloaded through their authorised view). A reverse proxy
may serve the same folders itself (README, "Production").
"""

import posixpath

from django.conf import settings
from django.http import FileResponse, Http404
from django.utils._os import safe_join
from django.views.decorators.http import require_safe

from lms.lib.uploads import CONTENT_TYPES

PUBLIC_FOLDERS = ("personas/", "blocks/")
# Uploaded names are unique, so a file under a name never changes; a day is a safe lifetime.
MAX_AGE = 24 * 60 * 60


@require_safe
def media(request, path):
    """Return the uploaded file at `path` under MEDIA_ROOT, or 404."""
    path = posixpath.normpath(path).lstrip("/")
    extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if not path.startswith(PUBLIC_FOLDERS) or extension not in CONTENT_TYPES:
        raise Http404
    try:
        full = safe_join(str(settings.MEDIA_ROOT), path)
        handle = open(full, "rb")  # FileResponse closes it
    except (OSError, ValueError) as exc:  # ValueError: safe_join refused a path outside the root
        raise Http404 from exc
    response = FileResponse(handle, content_type=CONTENT_TYPES[extension])
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response
