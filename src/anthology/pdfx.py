"""PDF/X colour: what WeasyPrint labels PDF/X, made so.

WeasyPrint labels a PDF as PDF/X but does not convert: SVG drawings, `rgb()` colours and RGB
images stay DeviceRGB, drawn in transparency groups whose blending space is DeviceRGB. A
print shop's preflight rejects that against a CMYK OutputIntent (PDF/X-4) and rejects any
RGB or transparency at all in PDF/X-1a. `Converter` rewrites a laid-out PDF in place with
pikepdf's public API, before its pages join the book:

- every RGB colour a content stream sets (`rg`, `RG`, `sc`/`scn` in an RGB space), every RGB
  image, shading and blending space is converted to DeviceCMYK with the OutputIntent's profile
  (littleCMS through Pillow's ImageCms, relative colorimetric with black point compensation);
  a neutral grey (r = g = b) becomes black ink only, as text and rules should print, instead
  of a four-colour rich black over the total-ink limit;
- for PDF/X-1a (`flatten`), transparency goes: transparency groups are drawn as plain forms,
  an image's alpha channel is composited onto white paper, and a colour drawn with an opacity
  below 1 becomes that colour mixed with white in the same proportion. That is exact on paper
  and approximate where translucent objects overlap others (the RIP would have mixed them).

The OutputIntent is also made to name the registered condition (`name_output_intent`).
"""

from __future__ import annotations

import functools
import io
import re
import zlib
from decimal import Decimal

import pikepdf
from pikepdf import Array, Dictionary, Name, Operator, Stream

from .colour import CMYK_PROFILE, CONDITION, CONDITION_INFO, REGISTRY

VERSION = "pdfx-1"  # in the layout digests: a change here lays the chunks out again

RGB_FAMILIES = ("/DeviceRGB", "/RGB", "/CalRGB")
# What a content stream may hold that X-4 conversion changes: RGB operators, forms and images
# (Do), shadings, inline images, a colour space set by name (but the CMYK and grey devices').
CONVERTIBLE = re.compile(rb"(?<![A-Za-z0-9_.*])(?:rg|RG|Do|sh|BI)(?![A-Za-z0-9_.*])|/DeviceRGB"
                         rb"|/(?!DeviceCMYK\s|DeviceGray\s|Pattern\s)[^\s/\[\]<>(){}%]+\s+(?:cs|CS)(?![A-Za-z])")
DEVICE = {"cmyk": (Name.DeviceCMYK, Name("/CMYK")), "gray": (Name.DeviceGray, Name("/G"))}


def name_output_intent(pdf: pikepdf.Pdf) -> None:
    """The GTS_PDFX OutputIntent names the registered condition (FOGRA39 in the ICC registry),
    not the profile's description, which is what WeasyPrint writes."""
    for intent in pdf.Root.get("/OutputIntents") or []:
        if isinstance(intent, Dictionary) and intent.get("/S") == "/GTS_PDFX":
            intent.OutputConditionIdentifier = pikepdf.String(CONDITION)
            intent.OutputCondition = pikepdf.String(CONDITION_INFO)
            intent.RegistryName = pikepdf.String(REGISTRY)
            intent.Info = pikepdf.String(CONDITION_INFO)


# --- colour conversion --------------------------------------------------------------------------

@functools.cache
def _transform():
    from PIL import ImageCms

    return ImageCms.buildTransform(ImageCms.createProfile("sRGB"), ImageCms.getOpenProfile(str(CMYK_PROFILE)),
                                   "RGB", "CMYK", ImageCms.Intent.RELATIVE_COLORIMETRIC,
                                   flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)


@functools.lru_cache(maxsize=4096)
def rgb_to_cmyk(r: float, g: float, b: float) -> tuple[float, float, float, float]:
    """An RGB colour (0–1) as CMYK (0–1) in the OutputIntent's condition; greys in black only."""
    r, g, b = (min(max(float(v), 0.0), 1.0) for v in (r, g, b))
    if abs(r - g) < 1e-3 and abs(g - b) < 1e-3:
        return (0.0, 0.0, 0.0, round(1 - (r + g + b) / 3, 4))
    from PIL import Image, ImageCms

    pixel = Image.new("RGB", (1, 1), tuple(round(v * 255) for v in (r, g, b)))
    return tuple(round(v / 255, 4) for v in ImageCms.applyTransform(pixel, _transform()).getpixel((0, 0)))


def image_to_cmyk(image):
    """A Pillow image (any mode but CMYK) converted to the OutputIntent's CMYK."""
    from PIL import ImageCms

    if image.mode != "RGB":
        image = image.convert("RGB")
    return ImageCms.applyTransform(image, _transform())


def _write(stream: Stream, instructions) -> None:
    """A content stream's new instructions, compressed (the book copies streams as they are)."""
    stream.write(zlib.compress(pikepdf.unparse_content_stream(instructions)), filter=Name.FlateDecode)


def _num(value: float):
    return Decimal(f"{value:.4f}").normalize() if value not in (0, 1) else int(value)


def _space_kind(space, resources: Dictionary, depth: int = 0) -> str:
    """'rgb', 'cmyk', 'gray' or 'other' for a colour space (a name or an array)."""
    if depth > 5 or space is None:
        return "other"
    if isinstance(space, Name):
        if space in RGB_FAMILIES:
            return "rgb"
        if space in ("/DeviceCMYK", "/CMYK"):
            return "cmyk"
        if space in ("/DeviceGray", "/G"):
            return "gray"
        named = (resources.get("/ColorSpace") or Dictionary()).get(space) if isinstance(resources, Dictionary) else None
        return _space_kind(named, resources, depth + 1) if named is not None else "other"
    if isinstance(space, Array) and len(space):
        family = space[0]
        if family == "/ICCBased":
            n = space[1].get("/N")
            return {3: "rgb", 4: "cmyk", 1: "gray"}.get(int(n) if n is not None else 0, "other")
        if family == "/CalRGB":
            return "rgb"
        if family == "/CalGray":
            return "gray"
    return "other"


def _decode(image: Stream):
    """An image XObject as a Pillow image; 16-bit samples (a 16-bit PNG), which Pillow has no
    mode for in colour, cut to 8."""
    if int(image.get("/BitsPerComponent", 8)) == 16 and image.get("/Filter") in (Name.FlateDecode, None):
        from PIL import Image

        kind = _space_kind(image.get("/ColorSpace"), Dictionary())
        mode = {"rgb": "RGB", "gray": "L", "cmyk": "CMYK"}.get(kind)
        if mode is not None:
            size = (int(image.Width), int(image.Height))
            return Image.frombytes(mode, size, image.read_bytes()[0::2])  # the high byte of each sample
    return pikepdf.PdfImage(image).as_pil_image()


class _State:
    __slots__ = ("fill_space", "stroke_space", "fa", "sa", "fill", "stroke")

    def __init__(self, fa: float = 1.0, sa: float = 1.0):
        self.fill_space = self.stroke_space = "gray"
        self.fa, self.sa = fa, sa
        self.fill = self.stroke = None  # the current colour as CMYK, once one is set

    def set_space(self, fill: bool, kind: str) -> None:
        """A grey set with `k` ("grey-k"): the space is DeviceCMYK, its later greys are set with k."""
        if fill:
            self.fill_space = kind
        else:
            self.stroke_space = kind

    def paint(self, fill: bool, cmyk: tuple, kind: str) -> None:
        """Set the fill or stroke colour (as CMYK) and the space it was given in."""
        if fill:
            self.fill, self.fill_space = cmyk, kind
        else:
            self.stroke, self.stroke_space = cmyk, kind

    def copy(self) -> "_State":
        new = _State(self.fa, self.sa)
        new.fill_space, new.stroke_space, new.fill, new.stroke = (self.fill_space, self.stroke_space,
                                                                  self.fill, self.stroke)
        return new


def _mix(cmyk, alpha: float):
    """A CMYK colour drawn at an opacity on white paper: its inks scaled."""
    return tuple(v * alpha for v in cmyk) if alpha < 1 else cmyk


class Converter:
    """Converts a PDF's pages to CMYK (and, flatten: removes its transparency), in place."""

    def __init__(self, pdf: pikepdf.Pdf, flatten: bool = False):
        self.pdf = pdf
        self.flatten = flatten
        self.done: set = set()  # streams and objects converted (by objgen)
        self.drawn: dict = {}  # form objgen: the opacities it was first drawn with (flatten)
        self.originals: dict = {}  # form objgen: its content and entries before conversion (flatten)
        self.copies: dict = {}  # (form objgen, opacities): a copy drawn at other opacities than the first
        self.listed: list[Dictionary] = []  # resources of the streams converted, swept at the end
        self.states: list[Dictionary] = []  # graphics states whose transparency goes at the end

    def run(self) -> None:
        for page in self.pdf.pages:
            self.page(page)
        self.finish()

    def page(self, page: pikepdf.Page) -> None:
        obj = page.obj
        resources = obj.get("/Resources")
        if not isinstance(resources, Dictionary):
            resources = Dictionary()
        self._group(obj)
        contents = obj.get("/Contents")
        if contents is None:
            return
        self.listed.append(resources)
        streams = list(contents) if isinstance(contents, Array) else [contents]
        if not self.flatten and not any(isinstance(s, Stream) and CONVERTIBLE.search(s.read_bytes()) for s in streams):
            return  # text in CMYK only, as most pages: nothing to parse
        instructions = list(pikepdf.parse_content_stream(page))
        new = self.content(instructions, resources, _State())
        if new is not None:
            obj.Contents = self.pdf.make_stream(b"")
            _write(obj.Contents, new)

    def finish(self) -> None:
        while self.listed:
            self._sweep(self.listed.pop())
        for gs in self.states:
            for key in ("/CA", "/ca"):
                if key in gs:
                    gs[key] = 1
            if "/SMask" in gs:
                gs.SMask = Name("/None")
            if "/BM" in gs:
                gs.BM = Name.Normal

    def _group(self, obj) -> None:
        """A transparency group: its blending space made CMYK, or (flatten) the group gone."""
        group = obj.get("/Group")
        if not isinstance(group, Dictionary):
            return
        if self.flatten:
            del obj["/Group"]
        elif _space_kind(group.get("/CS"), Dictionary()) == "rgb":
            group.CS = Name.DeviceCMYK

    # --- content streams ------------------------------------------------------------------------
    def content(self, instructions, resources: Dictionary, state: _State):
        """The instructions rewritten, or None when nothing changed."""
        out, changed, stack = [], False, []
        for item in instructions:
            operands, operator = item
            op = str(operator)
            replaced = None
            if op == "q":
                stack.append(state.copy())
            elif op == "Q":
                if stack:
                    state = stack.pop()
            elif op in ("rg", "RG") and len(operands) == 3:
                cmyk = rgb_to_cmyk(*(float(v) for v in operands))
                fill = op == "rg"
                state.paint(fill, cmyk, "cmyk")
                replaced = [self._cmyk(cmyk, state, fill)]
            elif op in ("k", "K") and len(operands) == 4:
                cmyk = tuple(float(v) for v in operands)
                fill = op == "k"
                state.paint(fill, cmyk, "cmyk")
                if (state.fa if fill else state.sa) < 1:
                    replaced = [self._cmyk(cmyk, state, fill)]
            elif op in ("g", "G") and len(operands) == 1:
                cmyk = (0.0, 0.0, 0.0, 1 - float(operands[0]))
                fill = op == "g"
                state.paint(fill, cmyk, "gray")
                if (state.fa if fill else state.sa) < 1:
                    replaced = [self._cmyk(cmyk, state, fill)]
                    state.set_space(fill, "grey-k")
            elif op in ("cs", "CS") and operands:
                kind = _space_kind(operands[0], resources)
                fill = op == "cs"
                if fill:
                    state.fill_space, state.fill = kind, None
                else:
                    state.stroke_space, state.stroke = kind, None
                if kind == "rgb":
                    replaced = [([Name.DeviceCMYK], Operator(op))]
                    if fill:
                        state.fill_space = "cmyk"
                    else:
                        state.stroke_space = "cmyk"
                    # the initial colour of DeviceCMYK is black, as DeviceRGB's: nothing to set
                elif self.flatten and kind in ("cmyk", "gray") and operands[0] not in DEVICE[kind]:
                    # PDF/X-1a has no ICC-based colour: CMYK or grey characterized by a profile
                    # (WeasyPrint's @color-profile device-cmyk, the OutputIntent's) is the device's
                    replaced = [([DEVICE[kind][0]], Operator(op))]
            elif op in ("sc", "scn", "SC", "SCN"):
                fill = op in ("sc", "scn")
                kind = state.fill_space if fill else state.stroke_space
                numbers = [float(v) for v in operands if isinstance(v, (int, float, Decimal))]
                if len(numbers) == len(operands):
                    cmyk = None
                    if kind == "cmyk" and len(numbers) == 4:
                        cmyk = tuple(numbers)
                    elif kind == "cmyk" and len(numbers) == 3:  # was RGB: the space was replaced
                        cmyk = rgb_to_cmyk(*numbers)
                    elif kind in ("gray", "grey-k") and len(numbers) == 1:
                        cmyk = (0.0, 0.0, 0.0, 1 - numbers[0])
                    if cmyk is not None:
                        if fill:
                            state.fill = cmyk
                        else:
                            state.stroke = cmyk
                        if len(numbers) == 3 or kind == "grey-k" or (state.fa if fill else state.sa) < 1:
                            replaced = [self._cmyk(cmyk, state, fill)]
                            if kind == "gray":
                                state.set_space(fill, "grey-k")
            elif op == "gs" and operands and self.flatten:
                gs = (resources.get("/ExtGState") or Dictionary()).get(operands[0])
                if isinstance(gs, Dictionary):
                    if "/ca" in gs or "/CA" in gs:
                        self.states.append(gs)
                        outer_fa, outer_sa = self._outer
                        if "/ca" in gs:
                            state.fa = outer_fa * float(gs.ca)
                        if "/CA" in gs:
                            state.sa = outer_sa * float(gs.CA)
                        replaced = [item]
                        for fill, colour in ((True, state.fill), (False, state.stroke)):
                            if colour is not None:
                                replaced.append(self._cmyk(colour, state, fill))
                                if (state.fill_space if fill else state.stroke_space) == "gray":
                                    state.set_space(fill, "grey-k")
                    elif "/SMask" in gs or "/BM" in gs:
                        self.states.append(gs)
            elif op == "Do" and operands:
                replaced = self._do(operands[0], resources, state, item)
            elif op == "sh" and operands:
                self._shading((resources.get("/Shading") or Dictionary()).get(operands[0]))
            if replaced is not None:
                changed = True
                out.extend(replaced)
            else:
                out.append(item)
        return out if changed else None

    _outer = (1.0, 1.0)  # the opacity a form is drawn with (flatten): set while converting it

    def _cmyk(self, cmyk, state: _State, fill: bool):
        alpha = state.fa if fill else state.sa
        if self.flatten:
            cmyk = _mix(cmyk, alpha)
        return ([_num(v) for v in cmyk], Operator("k" if fill else "K"))

    def _resources(self, resources: Dictionary) -> None:
        """Shadings and patterns listed in a stream's resources (a pattern is used by name)."""
        for pattern in (resources.get("/Pattern") or Dictionary()).values():
            if isinstance(pattern, Dictionary) and pattern.get("/PatternType") == 2:
                self._shading(pattern.get("/Shading"))
            elif isinstance(pattern, Stream) and pattern.get("/PatternType") == 1:
                self._form(pattern, resources, _State())

    def _do(self, name, resources: Dictionary, state: _State, item):
        xobjects = resources.get("/XObject") or Dictionary()
        xobject = xobjects.get(name)
        if not isinstance(xobject, Stream):
            return None
        if xobject.get("/Subtype") == "/Image":
            self._image(xobject)
            return None
        if xobject.get("/Subtype") != "/Form":
            return None
        alphas = (state.fa, state.sa) if self.flatten else (1.0, 1.0)
        first = self.drawn.setdefault(xobject.objgen, alphas)
        if first == alphas:  # as drawn the first time: converted in place
            self._form(xobject, resources, _State(*alphas), alphas)
            return None
        key = (xobject.objgen, alphas)
        if key not in self.copies:  # drawn at another opacity too: a copy, from the original
            data, entries = self.originals[xobject.objgen]
            copy = self.pdf.make_stream(zlib.compress(data), Filter=Name.FlateDecode)
            for k, v in entries.items():
                copy[k] = v
            self.copies[key] = copy
            self._form(copy, resources, _State(*alphas), alphas)
        new_name = Name(f"{name}_{round(alphas[0] * 1000)}_{round(alphas[1] * 1000)}")
        xobjects[new_name] = self.copies[key]
        return [([new_name], Operator("Do"))]

    def _form(self, form: Stream, parent: Dictionary, state: _State, alphas=(1.0, 1.0)) -> None:
        if form.objgen in self.done:
            return
        self.done.add(form.objgen)
        if self.flatten and form.is_indirect and form.objgen not in self.originals:
            self.originals[form.objgen] = (form.read_bytes(), {k: v for k, v in form.stream_dict.items()
                                                               if k not in ("/Length", "/Filter", "/DecodeParms")})
        self._group(form)
        resources = form.get("/Resources")
        if not isinstance(resources, Dictionary):
            resources = parent
        outer, self._outer = self._outer, alphas
        try:
            new = self.content(list(pikepdf.parse_content_stream(form)), resources, state)
        finally:
            self._outer = outer
        if new is not None:
            _write(form, new)
        self.listed.append(resources)

    def _sweep(self, resources: Dictionary) -> None:
        """What a stream's resources list but it did not draw (WeasyPrint's pages share one
        dictionary): converted too, so that no RGB is left in the file, drawn or not."""
        for xobject in list((resources.get("/XObject") or Dictionary()).values()):
            if not isinstance(xobject, Stream) or xobject.objgen in self.done:
                continue
            if xobject.get("/Subtype") == "/Image":
                self._image(xobject)
            elif xobject.get("/Subtype") == "/Form":
                self.drawn.setdefault(xobject.objgen, (1.0, 1.0))
                self._form(xobject, resources, _State())
        for shading in (resources.get("/Shading") or Dictionary()).values():
            self._shading(shading)
        for font in (resources.get("/Font") or Dictionary()).values():
            if isinstance(font, Dictionary) and font.get("/Subtype") == "/Type3" and font.objgen not in self.done:
                if font.is_indirect:
                    self.done.add(font.objgen)
                own = font.get("/Resources")
                for glyph in (font.get("/CharProcs") or Dictionary()).values():
                    if isinstance(glyph, Stream):
                        self._form(glyph, own if isinstance(own, Dictionary) else resources, _State())
        self._resources(resources)

    def _shading(self, shading) -> None:
        if not isinstance(shading, Dictionary) or shading.objgen in self.done and shading.is_indirect:
            return
        if shading.is_indirect:
            self.done.add(shading.objgen)
        kind = _space_kind(shading.get("/ColorSpace"), Dictionary())
        if self.flatten and kind in DEVICE and shading.ColorSpace not in DEVICE[kind]:
            shading.ColorSpace = DEVICE[kind][0]
        if kind != "rgb":
            return
        functions = shading.get("/Function")
        functions = list(functions) if isinstance(functions, Array) else [functions]
        if all(self._function(f) for f in functions):
            shading.ColorSpace = Name.DeviceCMYK

    def _function(self, function) -> bool:
        """An RGB function's outputs made CMYK: exponential ones (C0, C1) and stitching ones of
        those, as WeasyPrint writes gradients; False for any other (left to preflight)."""
        if not isinstance(function, Dictionary):
            return False
        kind = function.get("/FunctionType")
        if kind == 2:
            c0 = [float(v) for v in function.get("/C0", [0, 0, 0])]
            c1 = [float(v) for v in function.get("/C1", [1, 1, 1])]
            if len(c0) != 3:
                return len(c0) == 4
            function.C0 = Array([_num(v) for v in rgb_to_cmyk(*c0)])
            function.C1 = Array([_num(v) for v in rgb_to_cmyk(*c1)])
            if "/Range" in function:
                function.Range = Array([0, 1] * 4)
            return True
        if kind == 3:
            return all(self._function(f) for f in function.get("/Functions", []))
        return False

    def _image(self, image: Stream) -> None:
        if image.objgen in self.done:
            return
        self.done.add(image.objgen)
        rgb = _space_kind(image.get("/ColorSpace"), Dictionary()) == "rgb" or (
            isinstance(image.get("/ColorSpace"), Array) and len(image.ColorSpace) > 1
            and image.ColorSpace[0] in ("/Indexed", "/I")
            and _space_kind(image.ColorSpace[1], Dictionary()) == "rgb")
        smask = image.get("/SMask") if self.flatten else None
        if self.flatten and not rgb:
            kind = _space_kind(image.get("/ColorSpace"), Dictionary())
            if kind in DEVICE and image.ColorSpace not in DEVICE[kind]:  # ICC-based: the device's (see content)
                image.ColorSpace = DEVICE[kind][0]
        if not rgb and smask is None:
            return
        from PIL import Image

        try:
            picture, alpha = _decode(image), _decode(smask) if smask is not None else None
        except Exception:  # an image pikepdf or Pillow cannot decode is left as it is: preflight names it
            return
        if alpha is not None:  # onto white paper
            alpha = alpha.convert("L").resize(picture.size)
            white = Image.new(picture.mode if picture.mode in ("RGB", "CMYK", "L") else "RGB", picture.size,
                              {"CMYK": (0, 0, 0, 0), "L": 255}.get(picture.mode, (255, 255, 255)))
            picture = Image.composite(picture.convert(white.mode), white, alpha)
            del image["/SMask"]
            if picture.mode != "RGB" and not rgb:  # CMYK or grey already: only the mask goes
                self._write_image(image, picture, picture.mode)
                return
        self._write_image(image, image_to_cmyk(picture), "CMYK")

    def _write_image(self, image: Stream, picture, mode: str) -> None:
        jpeg = image.get("/Filter") in (Name.DCTDecode, Array([Name.DCTDecode]))
        for key in ("/Decode", "/DecodeParms", "/SMaskInData"):
            if key in image:
                del image[key]
        if jpeg:
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG", quality=92, subsampling=0)
            image.write(buffer.getvalue(), filter=Name.DCTDecode)
            if mode == "CMYK":  # Pillow writes Adobe's inverted CMYK
                image.Decode = Array([1, 0] * 4)
        else:
            image.write(zlib.compress(picture.tobytes()), filter=Name.FlateDecode)
        image.ColorSpace = {"CMYK": Name.DeviceCMYK, "L": Name.DeviceGray}.get(mode, Name.DeviceRGB)
        image.BitsPerComponent = 8


# --- fonts: PDF 1.4 knows CFF, not OpenType, programs -------------------------------------------

def bare_cff(program: bytes) -> bytes | None:
    """The CFF table of an OpenType (CFF-flavoured) font program, or None for any other font.

    WeasyPrint embeds CFF faces as OpenType (FontFile3 /Subtype /OpenType), which is PDF 1.6;
    a PDF/X-1a file is PDF 1.4, whose FontFile3 is a bare CFF (/Subtype /CIDFontType0C for a
    CIDFontType0). Its glyphs are those of the OpenType: a name-keyed CFF is read with CIDs as
    glyph ids, which WeasyPrint's subsets keep."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        font = TTFont(io.BytesIO(program), lazy=True)
        return font.reader["CFF "] if "CFF " in font.reader.keys() else None
    except (TTLibError, KeyError, ValueError, AssertionError):
        return None


def bare_fonts(pdf: pikepdf.Pdf, skip=()) -> None:
    """Every OpenType font program of a PDF (but those in `skip`, by objgen) made a bare CFF."""
    for obj in pdf.objects:
        if not (isinstance(obj, Dictionary) and obj.get("/Type") == "/FontDescriptor"):
            continue
        program = obj.get("/FontFile3")
        if not isinstance(program, Stream) or program.get("/Subtype") != "/OpenType" or program.objgen in skip:
            continue
        cff = bare_cff(program.read_bytes())
        if cff is not None:
            program.write(zlib.compress(cff), filter=Name.FlateDecode)
            program.Subtype = Name.CIDFontType0C


def convert(pdf: pikepdf.Pdf, variant: str | None) -> None:
    """Make a laid-out PDF's colour fit its PDF/X variant (in place); nothing for none."""
    if variant in ("pdf/x-4", "pdf/x-1a"):
        Converter(pdf, flatten=variant == "pdf/x-1a").run()
