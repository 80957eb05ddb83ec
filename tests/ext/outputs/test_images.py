"""Pictures always fit: downscaled to 1568 px, re-encoded, and shrunk until the whole result fits a client's limit."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from mcp.types import ImageContent, TextContent
from PIL import Image

from jmcp_ext.outputs import MAX_RESULT_BYTES, Rendered, render_outputs
from jmcp_ext.outputs.images import MAX_SIDE, svg_text

from .conftest import png_output

SDK_EVENT_LIMIT = 1_048_576  # the MCP Python SDK client refuses a server-sent event over 1 MiB


def result_bytes(rendered: Rendered) -> int:
    """JSON bytes of the result's content blocks, as the server sends them."""
    blocks: list[TextContent | ImageContent] = [TextContent(type="text", text=rendered.text), *rendered.images]
    return sum(len(block.model_dump_json(by_alias=True, exclude_none=True)) for block in blocks)


def picture(block: ImageContent) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(block.data)))
    assert Image.MIME[str(image.format)] == block.mime_type
    return image


def encoded(image: Image.Image, kind: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def noise_png() -> bytes:
    """The issue's ~940 KB PNG (560x560 random noise) that broke the call."""
    pixels = np.random.default_rng(1).integers(0, 255, (560, 560, 3), dtype=np.uint8)
    return encoded(Image.fromarray(pixels), "PNG")


def test_a_small_figure_goes_out_unchanged(line_png: bytes) -> None:
    rendered = render_outputs([png_output(line_png)])
    assert rendered.images[0].data == base64.b64encode(line_png).decode()
    assert rendered.text == f"[image 1: PNG 640x480, {len(line_png):,} bytes]"  # the <Figure ...> repr is dropped


def test_the_big_scatter_plot_is_downscaled_not_dropped(scatter_png: bytes) -> None:
    assert len(scatter_png) > 1_000_000
    rendered = render_outputs([png_output(scatter_png)])
    (block,) = rendered.images
    image = picture(block)
    assert MAX_SIDE * 7 // 8 <= max(image.size) <= MAX_SIDE  # 3000 px: halved by a box filter, to 1500 px
    assert result_bytes(rendered) < MAX_RESULT_BYTES
    assert f"the original is PNG 3000x3000 ({len(scatter_png):,} bytes)" in rendered.text
    assert f"sent as {image.format} {image.width}x{image.height}" in rendered.text


def test_the_noise_image_that_broke_the_call_now_fits(noise_png: bytes) -> None:
    assert 900_000 < len(noise_png) < 1_000_000
    rendered = render_outputs([png_output(noise_png)], max_image_bytes=1_000_000)
    assert picture(rendered.images[0]).size == (560, 560)  # re-encoded (JPEG), not shrunk
    assert result_bytes(rendered) < MAX_RESULT_BYTES
    assert "re-encoded" in rendered.text


def test_many_big_pictures_share_the_budget_and_none_is_dropped(scatter_png: bytes, noise_png: bytes) -> None:
    outputs = (
        [png_output(scatter_png)] * 2
        + [png_output(noise_png)] * 3
        + [{"output_type": "stream", "name": "stdout", "text": "x" * 30_000}]
    )
    rendered = render_outputs(outputs, max_chars=20_000)
    assert len(rendered.images) == 5
    assert result_bytes(rendered) < MAX_RESULT_BYTES < SDK_EVENT_LIMIT
    assert all(max(picture(block).size) >= 300 for block in rendered.images)


def test_a_huge_text_limit_still_leaves_room_for_the_picture(noise_png: bytes) -> None:
    outputs = [{"output_type": "stream", "name": "stdout", "text": "y" * 2_000_000}, png_output(noise_png)]
    rendered = render_outputs(outputs, max_chars=5_000_000)
    assert len(rendered.images) == 1
    assert result_bytes(rendered) < MAX_RESULT_BYTES


def test_transparency_is_kept() -> None:
    image = Image.new("RGBA", (2400, 1200), (255, 0, 0, 0))
    image.paste((0, 0, 255, 255), (100, 100, 1200, 600))
    rendered = render_outputs([png_output(encoded(image, "PNG"))])
    sent = picture(rendered.images[0])
    assert sent.size == (1568, 784)
    assert sent.format in ("PNG", "WEBP") and sent.convert("RGBA").getpixel((0, 0))[3] == 0


def test_jpeg_webp_and_gif_inputs(line_png: bytes) -> None:
    photo = Image.fromarray(np.random.default_rng(2).integers(0, 255, (2000, 3000, 3), dtype=np.uint8))
    big_jpeg = encoded(photo, "JPEG", quality=90)
    frames = [Image.new("P", (50, 40), color) for color in (1, 2, 3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    webp = encoded(Image.open(io.BytesIO(line_png)), "WEBP")
    outputs = [
        png_output(big_jpeg, "image/jpeg"),
        png_output(buffer.getvalue(), "image/gif"),
        png_output(webp, "image/webp"),
    ]
    rendered = render_outputs(outputs)
    assert picture(rendered.images[0]).size == (1500, 1000)  # 3000x2000 halved
    assert [block.mime_type for block in rendered.images[1:]] == ["image/gif", "image/webp"]  # small: unchanged


def test_pictures_over_the_count_limit_are_named(line_png: bytes) -> None:
    rendered = render_outputs([png_output(line_png)] * 4, max_images=2)
    assert len(rendered.images) == 2
    assert "[images 3-4 left out: at most 2 pictures go in one result]" in rendered.text


def test_unreadable_image_data_is_said_once() -> None:
    rendered = render_outputs([{"output_type": "display_data", "data": {"image/png": "not base64!"}}])
    assert rendered.images == []
    assert rendered.text == "[image/png output that is not a readable image]"


def test_a_corrupt_picture_is_named_not_fatal(scatter_png: bytes) -> None:
    rendered = render_outputs([png_output(scatter_png[:200_000])])  # header fine, pixel data cut off
    assert rendered.images == []
    assert "[image 1 (PNG 3000x3000, 200,000 bytes) left out: its pixel data is cut off or corrupt]" in rendered.text


def test_brief_mode_counts_pictures_without_decoding_them(line_png: bytes) -> None:
    rendered = render_outputs([png_output(line_png), png_output(line_png)], mode="brief")
    assert rendered.images == [] and rendered.text == "[2 images; read_cell returns them]"


def test_svg_is_text_small_markup_or_a_hint() -> None:
    small = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="5" height="5"/></svg>'
    assert svg_text(small) == f"[SVG image 20x10; its markup:]\n{small}"
    paths = "".join(f'<path d="M{i} 0 L{i} 10"/>' for i in range(200))
    big = f'<svg width="460pt" height="345pt"><title>Sales</title>{paths}<text x="1">Q1 &amp; Q2</text></svg>'
    text = render_outputs(
        [{"output_type": "display_data", "data": {"image/svg+xml": big, "text/plain": "<Figure>"}}]
    ).text
    assert text.startswith(f"[SVG image 460ptx345pt, {len(big):,} characters, not shown")
    assert "its text: Sales | Q1 & Q2" in text and "figure_formats = ['png']" in text
