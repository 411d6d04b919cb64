"""Video links that become embeds: YouTube (on its privacy-enhanced domain) and Vimeo.

`find_embed(url)` recognises the links an author copies from the address bar or the share
button and returns where the player lives and where the video can be opened on the site itself.
Anything else is not an embed. The frame hosts here are the only ones the Content-Security-Policy
allows (lms.middleware).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

YOUTUBE_EMBED_HOST = "www.youtube-nocookie.com"
VIMEO_EMBED_HOST = "player.vimeo.com"
FRAME_HOSTS = (f"https://{YOUTUBE_EMBED_HOST}", f"https://{VIMEO_EMBED_HOST}")

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_HOSTS = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "music.youtube.com",
    "youtube-nocookie.com",
    "www.youtube-nocookie.com",
}
_VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
# vimeo.com/123, vimeo.com/123/abcdef (unlisted, with its hash), vimeo.com/channels/x/123,
# player.vimeo.com/video/123.
_VIMEO_PATH = re.compile(r"^/(?:video/|channels/[\w-]+/|groups/[\w-]+/videos/)?(\d+)(?:/(\w+))?/?$")


@dataclass(frozen=True)
class Embed:
    """A recognised video: `provider` ("youtube" or "vimeo"), its name for people, the player's
    address (`embed_url`) and the video's page on the provider's site (`watch_url`)."""

    provider: str
    provider_name: str
    video_id: str
    embed_url: str
    watch_url: str


def _youtube(video_id: str) -> Embed | None:
    if not _YOUTUBE_ID.match(video_id):
        return None
    return Embed(
        provider="youtube",
        provider_name="YouTube",
        video_id=video_id,
        embed_url=f"https://{YOUTUBE_EMBED_HOST}/embed/{video_id}",
        watch_url=f"https://www.youtube.com/watch?v={video_id}",
    )


def _vimeo(video_id: str, unlisted_hash: str | None) -> Embed:
    # dnt=1: Vimeo's player sets no tracking cookies and sends no analytics.
    query = f"?h={unlisted_hash}&dnt=1" if unlisted_hash else "?dnt=1"
    return Embed(
        provider="vimeo",
        provider_name="Vimeo",
        video_id=video_id,
        embed_url=f"https://{VIMEO_EMBED_HOST}/video/{video_id}{query}",
        watch_url=f"https://vimeo.com/{video_id}" + (f"/{unlisted_hash}" if unlisted_hash else ""),
    )


def find_embed(url: str) -> Embed | None:
    """Return the Embed for a YouTube or Vimeo link (watch, youtu.be, shorts, embed, vimeo.com,
    player.vimeo.com), or None for any other address. Reads nothing over the network."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    path = parts.path
    if host in _YOUTUBE_HOSTS:
        if path in ("/watch", "/watch/"):
            return _youtube(parse_qs(parts.query).get("v", [""])[0])
        match = re.match(r"^/(?:shorts|embed|live|v)/([^/?#]+)/?$", path)
        return _youtube(match.group(1)) if match else None
    if host == "youtu.be":
        return _youtube(path.strip("/"))
    if host in _VIMEO_HOSTS:
        match = _VIMEO_PATH.match(path)
        if not match:
            return None
        unlisted_hash = match.group(2) or parse_qs(parts.query).get("h", [None])[0]
        if unlisted_hash is not None and not re.fullmatch(r"\w+", unlisted_hash):
            return None
        return _vimeo(match.group(1), unlisted_hash)
    return None
