"""QR codes decode back to exactly the meeting's join URL (decoded here, not trusted)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import PIL.Image
import pytest
import zxingcpp

from tests.conftest import PUBLIC_URL
from ysdw_live.meetings import qr

SVG_NS = "{http://www.w3.org/2000/svg}"


def decode(image: PIL.Image.Image) -> list[str]:
    """Return the texts of every QR code zxing finds in ``image``."""
    return [result.text for result in zxingcpp.read_barcodes(image) if result.format == zxingcpp.BarcodeFormat.QRCode]


def test_png_endpoint_decodes_to_the_join_url(client, factory):
    """The PNG from /qr.png is a real image whose QR code reads back as the join URL."""
    meeting = factory.meeting()
    response = client.get(f"/api/v1/meetings/{meeting.code}/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    image = PIL.Image.open(io.BytesIO(response.data))
    assert image.format == "PNG"
    assert decode(image) == [f"{PUBLIC_URL}/j/{meeting.code}"]
    # The join URL in the meeting JSON is exactly what the code holds.
    assert client.get(f"/api/v1/meetings/{meeting.code}").get_json()["join_url"] == decode(image)[0]


def test_lower_case_code_gives_the_canonical_url(client, factory):
    """Asking for the QR code with a lower-case code still encodes the canonical upper-case URL."""
    meeting = factory.meeting()
    response = client.get(f"/api/v1/meetings/{meeting.code.lower()}/qr.png")
    assert decode(PIL.Image.open(io.BytesIO(response.data))) == [f"{PUBLIC_URL}/j/{meeting.code}"]


def test_svg_endpoint_is_valid_xml_with_a_path(client, factory):
    """The SVG parses as XML, is an <svg> with a size, and draws the code as a filled path."""
    meeting = factory.meeting()
    response = client.get(f"/api/v1/meetings/{meeting.code}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox") or (root.get("width") and root.get("height"))
    paths = root.findall(f".//{SVG_NS}path")
    assert paths, "the SVG has no path"
    assert len(paths[0].get("d", "")) > 500  # a QR code of a URL has hundreds of modules


@pytest.mark.parametrize(
    "url",
    [
        "http://192.168.1.20:5000/j/K7P2QX",
        "https://meetings.example.police.uk/j/ABCDEF",
    ],
)
def test_png_helper_round_trips_any_url(url):
    """qr.png encodes the exact text it is given, including ports and https."""
    assert decode(PIL.Image.open(io.BytesIO(qr.png(url)))) == [url]


def test_small_png_still_decodes():
    """A small box size (for screens) still decodes."""
    url = "http://10.0.0.5:5000/j/ZX2CV3"
    assert decode(PIL.Image.open(io.BytesIO(qr.png(url, box_size=3)))) == [url]


def test_qr_of_unknown_meeting_is_404_json(client):
    """No QR code is drawn for a code that does not exist."""
    for suffix in ("qr.svg", "qr.png"):
        response = client.get(f"/api/v1/meetings/ZZZZZZ/{suffix}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "meeting_not_found"
