"""Smoke: the app starts and its public pages answer."""


def test_home_page_renders_with_lang(client):
    """The home page has a lang attribute, a labelled code box and the 999/101 notice."""
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in html
    assert '<label class="label" for="code">Meeting code</label>' in html
    assert "999" in html and "101" in html


def test_page_language_follows_accept_language_among_supported_ones(client, monkeypatch):
    """g.lang comes from Accept-Language among the languages we have; right-to-left ones set dir="rtl"."""
    from ysdw_live import pages

    assert '<html lang="en" dir="ltr">' in client.get("/", headers={"Accept-Language": "fr-FR, fr"}).get_data(
        as_text=True
    )
    monkeypatch.setattr(pages, "SUPPORTED_LANGUAGES", ["en", "ar"])
    arabic = client.get("/", headers={"Accept-Language": "ar, en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic
    english = client.get("/", headers={"Accept-Language": "de, en;q=0.8, ar;q=0.1"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in english
