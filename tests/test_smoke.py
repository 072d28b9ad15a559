"""Smoke: the app starts and its public pages answer."""


def test_home_page_renders_with_lang(client):
    """The home page has a lang attribute, a labelled code box and the 999/101 notice."""
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in html
    assert '<label class="label" for="code">Meeting code</label>' in html
    assert "999" in html and "101" in html


def test_page_language_follows_accept_language_among_supported_ones(app, client, monkeypatch):
    """g.lang comes from Accept-Language among the languages we have; right-to-left ones set dir="rtl"."""
    assert '<html lang="en" dir="ltr">' in client.get("/", headers={"Accept-Language": "fr-FR, fr"}).get_data(
        as_text=True
    )
    monkeypatch.setitem(app.config, "LANGUAGES", ["en", "ar"])
    arabic = client.get("/", headers={"Accept-Language": "ar, en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic
    english = client.get("/", headers={"Accept-Language": "de, en;q=0.8, ar;q=0.1"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in english


def test_the_language_switch_then_its_cookie_then_accept_language(app, client, monkeypatch):
    """?lang= wins and is remembered in a cookie; an unknown one is ignored; the footer offers each language."""
    monkeypatch.setitem(app.config, "LANGUAGES", ["en", "pl", "ur"])
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'href="/?lang=ur" lang="ur" hreflang="ur" dir="rtl">اردو</a>' in english
    assert '<span aria-current="true" lang="en" dir="ltr">English</span>' in english

    chosen = client.get("/?lang=ur", headers={"Accept-Language": "pl"})
    assert '<html lang="ur" dir="rtl">' in chosen.get_data(as_text=True)
    assert "ysdw_lang=ur" in chosen.headers["Set-Cookie"] and "HttpOnly" in chosen.headers["Set-Cookie"]
    # The cookie outranks the browser's Accept-Language on the next pages.
    assert '<html lang="ur" dir="rtl">' in client.get("/", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    # Nonsense is ignored (no error, no cookie change); the switch keeps a page's own query.
    ignored = client.get("/?lang=xx", headers={"Accept-Language": "pl"})
    assert ignored.status_code == 200 and "Set-Cookie" not in ignored.headers
    assert '<html lang="ur" dir="rtl">' in ignored.get_data(as_text=True)
    assert '<html lang="pl" dir="ltr">' in client.get("/?lang=pl").get_data(as_text=True)


def test_one_language_shows_no_switch(app, client, monkeypatch):
    """With English alone there is nothing to switch to."""
    monkeypatch.setitem(app.config, "LANGUAGES", ["en"])
    assert "language-switch" not in client.get("/").get_data(as_text=True)
