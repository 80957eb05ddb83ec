"""Images that always fit: at most 1568 px on the long side, re-encoded and shrunk until the whole result fits."""

from __future__ import annotations

import base64
import binascii
import html as htmllib
import io
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcp.types import ImageContent

if TYPE_CHECKING:
    from PIL.Image import Image

RASTER = ("image/png", "image/jpeg", "image/gif", "image/webp")
SVG = "image/svg+xml"
#: Longest side sent: larger images are downscaled by vision models anyway (Claude's limit for full detail).
MAX_SIDE = 1568
#: Below this a picture says nothing; leave it out instead.
MIN_SIDE = 96
#: JSON bytes of an image block besides its base64 data ({"type":"image","data":"","mimeType":"image/jpeg"}).
BLOCK_OVERHEAD = 64
_MIMES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


def block_bytes(raw_size: int) -> int:
    """JSON bytes an image of ``raw_size`` bytes takes in a result (base64 is 4/3 of the bytes)."""
    return 4 * math.ceil(raw_size / 3) + BLOCK_OVERHEAD


@dataclass(frozen=True)
class Picture:
    """An image found in an output."""

    mime: str
    data: str  # base64, without line breaks
    raw: bytes
    format: str  # as Pillow names it: PNG, JPEG, GIF, WEBP, ...
    width: int
    height: int

    def describe(self) -> str:
        return f"{self.format} {self.width}x{self.height}, {len(self.raw):,} bytes"

    def sendable(self, max_raw: int) -> bool:
        """Whether it can go out as it is."""
        return self.format in _MIMES and max(self.width, self.height) <= MAX_SIDE and len(self.raw) <= max_raw


@dataclass(frozen=True)
class Fitted:
    """A picture as sent: its content block, and what was done to it."""

    picture: Picture
    content: ImageContent
    format: str
    width: int
    height: int
    size: int
    changed: bool = False

    def note(self, number: int) -> str:
        """What was done, for the model (empty when it went out unchanged)."""
        if not self.changed:
            return ""
        original = self.picture
        frame = ", first frame" if original.format == "GIF" else ""
        done = "re-encoded" if (self.width, self.height) == (original.width, original.height) else "downscaled"
        return (
            f"[image {number} {done} to fit what MCP clients accept: sent as {self.format} {self.width}x{self.height} "
            f"({self.size:,} bytes{frame}); the original is {original.format} {original.width}x{original.height} "
            f"({len(original.raw):,} bytes)]"
        )


def read_picture(mime: str, value: Any) -> Picture | str:
    """Decode an output's image data; a string says why it cannot be shown."""
    from PIL import Image, UnidentifiedImageError

    data = "".join("".join(value) if isinstance(value, list) else str(value).split())
    try:
        raw = base64.b64decode(data, validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            width, height = image.size
            kind = str(image.format or "")
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError):
        return f"[{mime} output that is not a readable image]"
    except Image.DecompressionBombError:
        return f"[{mime} output too large to decode safely (Pillow's decompression-bomb limit)]"
    return Picture(mime=_MIMES.get(kind, mime), data=data, raw=raw, format=kind, width=width, height=height)


def _opaque(image: Image) -> Image:
    """RGB or L when no pixel is transparent, else RGBA (JPEG has no alpha; dropping it is free when unused)."""
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode in ("LA", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
    elif image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGB")
    if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 255:
        image = image.convert("RGB")
    return image


def _encode(image: Image, kind: str, quality: int = 0) -> bytes:
    out = io.BytesIO()
    if kind == "PNG":
        image.save(out, "PNG", compress_level=6)
    else:
        image.save(out, kind, quality=quality)
    return out.getvalue()


def _png_pays(image: Image) -> bool:
    """Whether PNG stays within twice JPEG's size, judged on three full-scale crops (encoding all of it costs 100+ ms).

    Plots with flat areas compress well losslessly; photos, heatmaps and dense scatters do not.
    """
    from PIL import Image as PILImage

    side = min(192, image.width, image.height)
    sample = PILImage.new(image.mode, (side * 3, side))
    for i, at in enumerate((0.25, 0.5, 0.75)):
        x = int((image.width - side) * at)
        y = int((image.height - side) * at)
        sample.paste(image.crop((x, y, x + side, y + side)), (i * side, 0))
    return len(_encode(sample, "PNG")) <= 2 * len(_encode(sample, "JPEG", 85))


def _candidates(image: Image) -> list[tuple[str, int]]:
    if image.mode == "RGBA":  # WebP keeps transparency where JPEG would lose it
        return [("PNG", 0), ("WEBP", 85), ("WEBP", 70)]
    if _png_pays(image):
        return [("PNG", 0), ("JPEG", 85), ("JPEG", 70)]
    return [("JPEG", 85), ("JPEG", 70)]


TOO_BIG = "no smaller version fits in this result"
UNREADABLE = "its pixel data is cut off or corrupt"


def fit_picture(picture: Picture, max_raw: int) -> Fitted | str:
    """The picture within ``MAX_SIDE`` and ``max_raw`` bytes, re-encoded and shrunk as needed, or why it cannot be."""
    if picture.sendable(max_raw):
        content = ImageContent(type="image", data=picture.data, mime_type=picture.mime)
        return Fitted(picture, content, picture.format, picture.width, picture.height, len(picture.raw))
    from PIL import Image as PILImage

    image: Image = PILImage.open(io.BytesIO(picture.raw))
    factor = max(picture.width, picture.height) / MAX_SIDE
    if image.format == "JPEG" and factor > 1:
        # Decode at a reduced scale straight from the DCT data: much faster than decoding all and resizing.
        image.draft("RGB", (math.ceil(picture.width / factor), math.ceil(picture.height / factor)))
    try:
        image.seek(0)
        image.load()
    except (OSError, ValueError):  # a truncated or corrupt file whose header was fine
        return UNREADABLE
    # A box reduction by a whole factor costs a tenth of a bicubic resize of a big image; when it lands within
    # 1/8 of the limit (3000 px -> 1500 px), it is all the downscaling needed.
    whole = int(factor) if factor >= 2 else 2 if factor >= 1.75 else 1
    whole = min(whole, max(1, min(image.size) // MIN_SIDE))
    if whole > 1 and image.mode in ("L", "LA", "RGB", "RGBA"):
        image = image.reduce(whole)
    image = _opaque(image)
    width, height = image.size
    scale = min(1.0, MAX_SIDE / max(width, height))
    source = image
    candidates: list[tuple[str, int]] | None = None
    for _ in range(8):
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        if max(size) < MIN_SIDE:
            return TOO_BIG
        # Each retry shrinks the last attempt rather than the full image: far cheaper, and as sharp.
        small = source if size == source.size else source.resize(size, PILImage.Resampling.BICUBIC, reducing_gap=2.0)
        candidates = candidates or _candidates(small)
        smallest = 0
        for kind, quality in candidates:
            data = _encode(small, kind, quality)
            if len(data) <= max_raw:
                encoded = base64.b64encode(data).decode("ascii")
                content = ImageContent(type="image", data=encoded, mime_type=_MIMES[kind])
                return Fitted(picture, content, kind, size[0], size[1], len(data), changed=True)
            smallest = min(smallest or len(data), len(data))
        source = small
        # Bytes grow about with the area: scale the sides by the square root of what is left, with a margin.
        scale *= min(0.9, max(0.3, math.sqrt(max_raw / smallest) * 0.95))
    return TOO_BIG


def fit_pictures(pictures: list[Picture], budget: int, max_image_bytes: int) -> list[Fitted | str]:
    """Fit every picture so that all of them together take at most ``budget`` JSON bytes.

    Small pictures keep their size; the budget left is shared evenly among the others (smallest first, so
    what one does not use goes to the next). A string says why a picture could not be sent.
    """
    fitted: list[Fitted | str] = [TOO_BIG] * len(pictures)

    def demand(index: int) -> float:
        picture = pictures[index]
        scale = min(1.0, MAX_SIDE / max(picture.width, picture.height, 1))
        return len(picture.raw) * scale * scale

    remaining = budget
    order = sorted(range(len(pictures)), key=demand)
    for position, index in enumerate(order):
        share = remaining // (len(order) - position)
        max_raw = min(max_image_bytes, (share - BLOCK_OVERHEAD) * 3 // 4)
        if max_raw <= 0:
            continue
        result = fit_picture(pictures[index], max_raw)
        fitted[index] = result
        if isinstance(result, Fitted):
            remaining -= block_bytes(result.size)
    return fitted


_SVG_SIZE = re.compile(r"<svg\b[^>]*?\bwidth=\"([^\"]+)\"[^>]*?\bheight=\"([^\"]+)\"", re.DOTALL)
_SVG_TEXT = re.compile(r"<(title|desc|text)\b[^>]*>(.*?)</\1>", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
#: SVG markup up to this size is shown as it is: a model can read a small diagram's markup.
SVG_MARKUP_CHARS = 2_000


def svg_text(svg: str) -> str:
    """An SVG-only output as text: MCP clients take PNG, JPEG, GIF and WebP pictures, not SVG.

    Rasterising would need a native renderer (cairo or resvg) as a dependency for a rare case; a small SVG's
    markup reads well, and for a big one (matplotlib writes text as paths) the hint to display PNG is what helps.
    """
    size = _SVG_SIZE.search(svg)
    dims = f" {size.group(1)}x{size.group(2)}" if size else ""
    if len(svg) <= SVG_MARKUP_CHARS:
        return f"[SVG image{dims}; its markup:]\n{svg.strip()}"
    texts: list[str] = []
    for match in _SVG_TEXT.finditer(svg):
        text = htmllib.unescape(_TAG.sub("", match.group(2))).strip()
        if text and text not in texts:
            texts.append(text)
        if len(texts) >= 30:
            break
    said = f"; its text: {' | '.join(texts)}" if texts else ""
    return (
        f"[SVG image{dims}, {len(svg):,} characters, not shown: MCP clients take no SVG pictures{said}; "
        "display it as PNG to see it, e.g. %config InlineBackend.figure_formats = ['png']]"
    )
