"""Which video links become embeds, and where the player and the video's own page are."""

import pytest

from lms.lib.video_embeds import find_embed

YOUTUBE = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com/watch?v=dQw4w9WgXcQ&t=42s&list=PL1",
        "http://m.youtube.com/watch?feature=share&v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ?si=abc",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "https://www.youtube.com/embed/dQw4w9WgXcQ",
        " https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ ",
    ],
)
def test_it_embeds_youtube_links_on_the_privacy_enhanced_domain(url):
    embed = find_embed(url)
    assert embed is not None
    assert (embed.provider, embed.provider_name, embed.video_id) == (
        "youtube",
        "YouTube",
        "dQw4w9WgXcQ",
    )
    assert embed.embed_url == YOUTUBE
    assert embed.watch_url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


@pytest.mark.parametrize(
    ("url", "embed_url", "watch_url"),
    [
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1", None),
        ("https://www.vimeo.com/76979871/", "https://player.vimeo.com/video/76979871?dnt=1", None),
        (
            "https://vimeo.com/channels/staffpicks/76979871",
            "https://player.vimeo.com/video/76979871?dnt=1",
            None,
        ),
        (
            "https://player.vimeo.com/video/76979871",
            "https://player.vimeo.com/video/76979871?dnt=1",
            None,
        ),
        (
            "https://vimeo.com/76979871/abc123def",
            "https://player.vimeo.com/video/76979871?h=abc123def&dnt=1",
            "https://vimeo.com/76979871/abc123def",
        ),
    ],
)
def test_it_embeds_vimeo_links_without_tracking(url, embed_url, watch_url):
    embed = find_embed(url)
    assert embed is not None and embed.provider == "vimeo"
    assert embed.embed_url == embed_url
    assert embed.watch_url == (watch_url or "https://vimeo.com/76979871")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://example.org/video.mp4",
        "https://www.youtube.com/",
        "https://www.youtube.com/watch?v=kort",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ%22onload",
        "https://youtu.be/",
        "https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        "https://vimeo.com/about",
        "https://vimeo.com/123/<script>",
        "javascript:alert(1)//youtu.be/dQw4w9WgXcQ",
        "ftp://youtu.be/dQw4w9WgXcQ",
        "https://[::1",
    ],
)
def test_it_leaves_every_other_address_alone(url):
    assert find_embed(url) is None
