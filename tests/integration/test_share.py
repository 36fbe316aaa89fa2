"""Share images (issue 15, part 2), against the real binary: the campaign page names its Open
Graph card with an absolute URL, the card is a 1200x630 PNG with an ETag (304 when unchanged)
and served again from memory, the flyer and poster are one-page PDFs whose QR code decodes to
the campaign's page, and a draft has no card, flyer or poster."""

import re
import shutil
import struct
import subprocess

import pytest

from harness import Server, create_campaign, run_cli

SITE = "https://sign.example.org"


def png_size(body):
    assert body[:8] == b"\x89PNG\r\n\x1a\n", body[:16]
    assert body[12:16] == b"IHDR"
    return struct.unpack(">II", body[16:24])


def pdf_tool(tool, pdf, tmp_path, *args):
    """pdfinfo or pdftotext (then args end with "-": the text on stdout) of pdf."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, str(path), *args], capture_output=True, check=True).stdout


def decode_qr(pdf, tmp_path):
    """The QR codes zbarimg finds on the PDF's page rendered at 100 dpi."""
    path = tmp_path / "qr.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(path),
                    str(tmp_path / "qr")], check=True)
    p = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "qr.png")],
                       capture_output=True, text=True)
    return p.stdout.strip().splitlines()


@pytest.fixture
def server(tmp_path):
    data = tmp_path / "data"
    create_campaign(data, "end-the-contract", title="End the contract",
                    targets=["Dana Rivera|CEO|Acme|dana"], goal=5000,
                    letter="Dear Dana,\n\nWe, the undersigned workers of Acme, ask you to act.\n")
    create_campaign(data, "not-yet", title="Not yet", status="draft")
    s = Server(data, args=["--base-url", SITE]).start()
    yield s
    assert s.stop() == 0


def test_the_page_names_the_card_and_the_card_is_a_cached_png(server):
    c = server.client()
    page = c.get("/c/end-the-contract")
    assert page.status == 200, page
    assert '<meta property="og:image" content="%s/c/end-the-contract/card.png">' % SITE \
        in page.text, page.text[:1500]
    assert '<meta name="twitter:card" content="summary_large_image">' in page.text
    assert 'href="/c/end-the-contract/flyer.pdf"' in page.text
    assert 'href="/c/end-the-contract/poster.pdf"' in page.text

    card = c.get("/c/end-the-contract/card.png")
    assert card.status == 200, card
    assert card.header("content-type") == "image/png"
    assert png_size(card.body) == (1200, 630)
    etag = card.header("etag")
    assert re.fullmatch(r'"[0-9a-f]{16}"', etag), etag
    assert card.header("cache-control") == "public, max-age=60"
    # Served again from the cache: the same bytes; a client that has them gets a 304.
    again = c.get("/c/end-the-contract/card.png")
    assert again.body == card.body and again.header("etag") == etag
    not_modified = c.get("/c/end-the-contract/card.png", headers={"If-None-Match": etag})
    assert not_modified.status == 304 and not_modified.body == b""
    head = c.request("HEAD", "/c/end-the-contract/card.png")
    assert head.status == 200 and head.body == b""


def test_the_flyer_and_poster_carry_a_qr_code_to_the_page(server, tmp_path):
    c = server.client()
    for path, channel, size in [("/c/end-the-contract/flyer.pdf", "flyer", "(A4)"),
                                ("/c/end-the-contract/flyer.pdf?paper=letter", "flyer",
                                 "(letter)"),
                                ("/c/end-the-contract/poster.pdf", "poster", "(A3)")]:
        r = c.get(path)
        assert r.status == 200, (path, r)
        assert r.header("content-type") == "application/pdf"
        assert r.body.startswith(b"%PDF-")
        info = pdf_tool("pdfinfo", r.body, tmp_path).decode()
        assert re.search(r"^Pages:\s+1$", info, re.M), info
        assert size in info, info
        text = pdf_tool("pdftotext", r.body, tmp_path, "-").decode()
        assert "End the contract" in text and "Dana Rivera (CEO, Acme)" in text, text
        assert "We, the undersigned workers of Acme" in text, text
        assert "0 signatures" in text and "goal 5,000" in text, text
        if shutil.which("zbarimg") is None:
            pytest.skip("zbarimg (zbar-tools, scripts/deps.sh --test) is not installed")
        assert decode_qr(r.body, tmp_path) == ["%s/c/end-the-contract?s=%s" % (SITE, channel)]


def test_a_draft_has_no_share_images(server):
    c = server.client()
    for path in ["/c/not-yet/card.png", "/c/not-yet/flyer.pdf", "/c/not-yet/poster.pdf"]:
        r = c.get(path)
        assert r.status == 404, (path, r)
        assert r.header("content-type", "").startswith("text/html"), r


def test_posts_aimed_at_the_people_who_can_move_the_targets(tmp_path):
    """`campaign create --secondary-targets FILE`, then the campaign page offers the person, their
    page offers the posts in turn with the handle and count filled in, and sending leads to the
    network's share page with the text as edited; a bad file is refused and creates nothing."""
    data = tmp_path / "data"
    people = tmp_path / "people.txt"
    people.write_text(
        "name=Jane Doe; about=Keynote speaker; x=janedoe; mastodon=@jane@mastodon.social\n"
        "> {handle}, {count} of us ask you to speak up: {url}\n"
        "> {handle}: will you ask them on stage? {count} signed.\n", encoding="utf-8")
    create_campaign(data, "speak-up", title="Speak up", targets=["Dana Rivera|CEO|Acme|dana"],
                    extra=["--secondary-targets", str(people)])
    shown = run_cli("campaign", "show", "speak-up", data=data).stdout
    assert "moves them: Jane Doe, Keynote speaker (2 posts)" in shown, shown
    bad = tmp_path / "bad.txt"
    bad.write_text("name=Kim\n> Hi {name}\n", encoding="utf-8")
    refused = run_cli("campaign", "create", "--slug", "no-kim", "--title", "No", "--goal", "10",
                      "--target", "Dana", "--secondary-targets", str(bad), data=data, check=False)
    assert refused.returncode != 0
    assert "{name} is not a placeholder" in refused.stderr + refused.stdout
    assert "no-kim" not in run_cli("campaign", "list", data=data).stdout
    s = Server(data, args=["--base-url", SITE]).start()
    try:
        c = s.client()
        page = c.get("/c/speak-up")
        assert 'href="/c/speak-up/ask/1">Jane Doe</a>' in page.text, page.text
        first = c.get("/c/speak-up/ask/1")
        assert first.status == 200
        assert ">@janedoe, 0 of us ask you to speak up: %s/c/speak-up?s=x</textarea>" % SITE \
            in first.text, first.text
        assert "Message 1 of 2" in first.text
        assert "Message 2 of 2" in c.get("/c/speak-up/ask/1").text
        sent = c.get("/c/speak-up/ask/1/send?network=mastodon&text=Hello%20%40jane"
                     "&server=mastodon.social")
        assert sent.status == 303
        assert sent.header("location") == "https://mastodon.social/share?text=Hello%20%40jane"
        wrong = c.get("/c/speak-up/ask/1/send?network=mastodon&text=Mine&server=nope")
        assert wrong.status == 422 and ">Mine</textarea>" in wrong.text
    finally:
        assert s.stop() == 0
