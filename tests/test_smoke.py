"""Smoke: the app starts and its public pages answer."""


def test_home_page_renders_with_lang(client):
    """The home page has a lang attribute, a labelled code box and the 999/101 notice."""
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in html
    assert '<label class="label" for="code">Meeting code</label>' in html
    assert "999" in html and "101" in html
