"""Remote HTML made safe; HTML to plain text."""

from __future__ import annotations

import pytest

from fedi_aid.activitypub.sanitize import html_to_text, sanitize_html

MASTODON_HASHTAG = (
    '<a href="https://mastodon.example/tags/insulin" class="mention hashtag" rel="tag">'
    "#<span>insulin</span></a>"
)


def test_script_and_style_go_with_their_contents() -> None:
    html = "<p>before<script>alert('x')</script>after<style>p { color: red }</style></p>"
    result = sanitize_html(html)
    assert result == "<p>beforeafter</p>"
    assert "alert" not in result and "color" not in result


def test_nested_and_foreign_script_like_elements() -> None:
    html = (
        "<svg><script>evil()</script><a href='https://x.example'>in svg</a></svg>"
        "<math><mi>x</mi></math><template><p>hidden</p></template>"
        "<iframe src='https://x.example'>frame</iframe><noscript>ns</noscript>ok"
    )
    result = sanitize_html(html)
    assert result == "ok"


def test_event_handlers_are_removed() -> None:
    result = sanitize_html(
        '<p onclick="steal()">hi <a href="https://a.example" onmouseover="x()">a</a></p>'
    )
    assert "onclick" not in result and "onmouseover" not in result and "steal" not in result
    assert result.startswith('<p>hi <a href="https://a.example"')


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "jav&#x61;script:alert(1)",
        " javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "/relative/path",
        "//evil.example/protocol-relative",
        "https://",
    ],
)
def test_unsafe_links_lose_their_href(href: str) -> None:
    result = sanitize_html(f'<a href="{href}">click</a>')
    assert "href" not in result
    assert "click" in result
    assert "javascript" not in result.lower()


@pytest.mark.parametrize(
    "href", ["https://aid.example/needs/1", "http://aid.example/", "mailto:help@aid.example"]
)
def test_safe_links_stay_with_forced_rel(href: str) -> None:
    result = sanitize_html(f'<a href="{href}" target="_blank" rel="opener">x</a>')
    assert f'href="{href}"' in result
    assert 'rel="nofollow noopener noreferrer"' in result
    assert "target" not in result and "opener " not in result.replace("noopener", "")


def test_mastodon_hashtag_markup_survives() -> None:
    result = sanitize_html(f"<p>need {MASTODON_HASHTAG}</p>")
    assert 'class="mention hashtag"' in result
    assert 'rel="nofollow noopener noreferrer tag"' in result
    assert "#<span>insulin</span>" in result


def test_unknown_classes_are_dropped() -> None:
    result = sanitize_html(
        '<span class="invisible evil">https://</span><a class="big" href="https://a.example">a</a>'
    )
    assert '<span class="invisible">' in result
    assert "evil" not in result and "big" not in result


def test_allowed_tags_are_kept() -> None:
    html = (
        "<p>a<br>b</p><strong>s</strong><em>e</em><ul><li>1</li></ul><ol><li>2</li></ol>"
        "<blockquote>q</blockquote><pre><code>c</code></pre>"
    )
    assert sanitize_html(html) == html


def test_other_tags_are_stripped_but_text_kept() -> None:
    result = sanitize_html(
        '<h1>Title</h1><img src="x" onerror="alert(1)"><div><b>bold</b></div><!-- c -->'
    )
    assert "<h1>" not in result and "<img" not in result and "<div" not in result
    assert "<b>" not in result and "<!--" not in result
    assert "Title" in result and "bold" in result
    assert "onerror" not in result


def test_broken_markup_does_not_smuggle_tags() -> None:
    result = sanitize_html("<scr<script>ipt>alert(1)</script>")
    assert "<script" not in result
    result = sanitize_html('<a href="https://a.example"<script>x</script>>y</a>')
    assert "<script" not in result


def test_text_is_escaped() -> None:
    assert sanitize_html("1 < 2 & 3 > 2") == "1 &lt; 2 &amp; 3 &gt; 2"


def test_sanitize_requires_text() -> None:
    with pytest.raises(TypeError):
        sanitize_html(None)  # type: ignore[arg-type]
    assert sanitize_html("") == ""


def test_html_to_text() -> None:
    html = "<p>Hello<br>world</p><p>Second &amp; more</p><ul><li>one</li><li>two</li></ul>"
    assert html_to_text(html) == "Hello\nworld\n\nSecond & more\n\none\n\ntwo"


def test_html_to_text_skips_scripts_and_collapses_space() -> None:
    assert html_to_text("<p>a   <script>x()</script>  b\n c</p>") == "a b c"
    assert html_to_text(f"<p>ask {MASTODON_HASHTAG}</p>") == "ask #insulin"
    assert html_to_text("plain &lt;text&gt;") == "plain <text>"
    assert html_to_text("<pre>a\n  b</pre>") == "a\n  b"


def test_a_remote_actor_bio_is_stored_sanitised() -> None:
    from fedi_aid.activitypub.actor_from_as import as_actor_to_fields

    fields = as_actor_to_fields(
        {
            "id": "https://social.example/users/alice",
            "type": "Person",
            "inbox": "https://social.example/users/alice/inbox",
            "summary": '<p onclick="x()">Hi <script>alert(1)</script><b>there</b></p>',
        }
    )
    assert "script" not in fields.summary and "onclick" not in fields.summary
    assert fields.summary == "<p>Hi there</p>"  # <b> is not among the tags Mastodon keeps


def test_mastodon_account_note_is_html_for_local_and_remote_actors() -> None:
    from types import SimpleNamespace

    from fedi_aid.mastodon_api.serializers import note_html

    local = SimpleNamespace(local=True, summary="Water & food\nfor Ward 4\n\n<b>not bold</b>")
    assert (
        note_html(local)
        == "<p>Water &amp; food<br>for Ward 4</p><p>&lt;b&gt;not bold&lt;/b&gt;</p>"
    )
    remote = SimpleNamespace(local=False, summary="<p>ok</p><script>bad()</script>")
    assert note_html(remote) == "<p>ok</p>"
